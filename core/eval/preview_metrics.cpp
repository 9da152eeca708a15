#include "core/eval/preview_metrics.h"

#include <algorithm>

#include <torch/torch.h>

namespace diffii {

namespace {
// On the host: the renders may be on a GPU, the source images (read from disk) are not.
torch::Tensor centred(const torch::Tensor& t) {
    const auto f = t.flatten().to(torch::kCPU, torch::kFloat32);
    return f - f.mean();
}
}  // namespace

double meanSourceSimilarity(const std::vector<at::Tensor>& images, const at::Tensor& sourceA,
                            const at::Tensor& sourceB) {
    if (images.empty()) return 0.0;
    const auto a = centred(sourceA), b = centred(sourceB);
    double sum = 0.0;
    for (const auto& img : images) {
        const auto g = centred(img);
        sum += std::max(torch::cosine_similarity(g, a, 0).item<double>(),
                        torch::cosine_similarity(g, b, 0).item<double>());
    }
    return sum / static_cast<double>(images.size());
}

double meanPairwiseRmsDistance(const std::vector<at::Tensor>& images) {
    double sum = 0.0;
    int64_t pairs = 0;
    for (size_t i = 0; i < images.size(); ++i)
        for (size_t j = i + 1; j < images.size(); ++j, ++pairs)
            sum += (images[i].flatten() - images[j].flatten()).pow(2).mean().sqrt().item<double>();
    return pairs ? sum / static_cast<double>(pairs) : 0.0;
}

}  // namespace diffii
