#include "core/eval/lpips.h"

#include "core/eval/metrics.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/models/state_dict.h"

namespace diffii {

namespace {

// The ReLU outputs LPIPS taps: after features.1, 4, 7, 9 and 11.
constexpr int kTaps[] = {1, 4, 7, 9, 11};
constexpr int64_t kTapChannels[] = {64, 192, 384, 256, 256};

torch::nn::Conv2d alexConv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool bias = true) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias));
}

torch::Tensor unitNormalize(const torch::Tensor& x) { return x / (x.pow(2).sum(1, /*keepdim=*/true).sqrt() + 1e-10); }

}  // namespace

torch::nn::Sequential alexnetFeatures() {
    using namespace torch::nn;
    auto pool = [] { return MaxPool2d(MaxPool2dOptions(3).stride(2)); };
    return Sequential(alexConv(3, 64, 11, 4, 2), ReLU(), pool(), alexConv(64, 192, 5, 1, 2), ReLU(), pool(),
                      alexConv(192, 384, 3, 1, 1), ReLU(), alexConv(384, 256, 3, 1, 1), ReLU(),
                      alexConv(256, 256, 3, 1, 1), ReLU(), pool());
}

AlexNetImpl::AlexNetImpl(int64_t numClasses) {
    using namespace torch::nn;
    features = register_module("features", alexnetFeatures());
    classifier = register_module("classifier", Sequential(Dropout(0.5), Linear(256 * 6 * 6, 4096), ReLU(), Dropout(0.5),
                                                          Linear(4096, 4096), ReLU(), Linear(4096, numClasses)));
}

torch::Tensor AlexNetImpl::forward(const torch::Tensor& x) {
    return classifier->forward(torch::adaptive_avg_pool2d(features->forward(x), {6, 6}).flatten(1));
}

LpipsImpl::LpipsImpl() {
    features = register_module("features", alexnetFeatures());
    for (size_t i = 0; i < std::size(kTapChannels); ++i) {
        auto lin = torch::nn::Sequential(torch::nn::Dropout(0.5), alexConv(kTapChannels[i], 1, 1, 1, 0, false));
        auto holder = std::make_shared<torch::nn::Module>();
        holder->register_module("model", lin);
        register_module("lin" + std::to_string(i), holder);
        lins.push_back(lin);
    }
    eval();
}

void LpipsImpl::load(const std::string& trunkFile, const std::string& linFile) {
    LoadOptions options;
    options.allowSqueezedLinear = false;
    options.ignore = [](const std::string& key) { return key.rfind("classifier.", 0) == 0; };
    loadStateDict(*this, {trunkFile, linFile}, options);
    eval();
}

LpipsResult LpipsImpl::forward(const torch::Tensor& in0, const torch::Tensor& in1, bool spatial) {
    if (in0.sizes() != in1.sizes() || in0.dim() != 4 || in0.size(1) != 3)
        throw Error("LPIPS: the two inputs must be (B, 3, H, W) of one shape");
    const auto shift = torch::tensor({-.030f, -.088f, -.188f}).view({1, 3, 1, 1});
    const auto scale = torch::tensor({.458f, .448f, .450f}).view({1, 3, 1, 1});
    auto x0 = (in0.to(torch::kFloat32) - shift) / scale;
    auto x1 = (in1.to(torch::kFloat32) - shift) / scale;
    LpipsResult r;
    size_t tap = 0;
    int index = 0;
    for (auto& module : *features) {
        x0 = module.forward(x0);
        x1 = module.forward(x1);
        if (index == kTaps[tap]) {
            const auto d = (unitNormalize(x0) - unitNormalize(x1)).pow(2);
            const auto lin = lins[tap]->forward(d);  // (B, 1, h, w)
            r.layers.push_back(lin.mean({2, 3}).flatten());
            if (spatial) {
                const auto up =
                    torch::nn::functional::interpolate(lin, torch::nn::functional::InterpolateFuncOptions()
                                                                .size(std::vector<int64_t>{in0.size(2), in0.size(3)})
                                                                .mode(torch::kBilinear)
                                                                .align_corners(false));
                r.spatial = r.spatial.defined() ? r.spatial + up : up;
            }
            if (++tap == std::size(kTaps)) break;
        }
        ++index;
    }
    r.distance = r.layers[0];
    for (size_t k = 1; k < r.layers.size(); ++k) r.distance = r.distance + r.layers[k];
    return r;
}

double meanPairwiseLpips(Lpips& lpips, const std::vector<torch::Tensor>& images01) {
    if (images01.size() < 2) return 0.0;
    torch::NoGradGuard g;
    double sum = 0.0;
    int64_t pairs = 0;
    for (size_t i = 0; i < images01.size(); ++i)
        for (size_t j = i + 1; j < images01.size(); ++j) {
            const auto a = images01[i].unsqueeze(0) * 2 - 1;
            const auto b = images01[j].unsqueeze(0) * 2 - 1;
            sum += lpips->forward(a, b).distance.item<double>();
            ++pairs;
        }
    return sum / static_cast<double>(pairs);
}

double lpipsDistance(const std::string& trunkFile, const std::string& linFile, const std::string& imageA,
                     const std::string& imageB) {
    torch::NoGradGuard g;
    Lpips net;
    net->load(trunkFile, linFile);
    const auto a = loadImageRgb(imageA);
    // AlexNet's stride-4 stem and two 3x3/2 poolings leave nothing of a side under 31 pixels (LibTorch failed with
    // "Output size is too small" and its stack). B is compared at A's size.
    constexpr int64_t kMinSide = 31;
    if (a.size(1) < kMinSide || a.size(2) < kMinSide)
        throw Error(imageA + ": " + std::to_string(a.size(2)) + "x" + std::to_string(a.size(1)) +
                    " pixels is smaller than LPIPS (AlexNet) takes: at least " + std::to_string(kMinSide) + "x" +
                    std::to_string(kMinSide));
    const auto b = resizeImage(loadImageRgb(imageB), a.size(1), a.size(2));
    return net->forward(a.unsqueeze(0) * 2 - 1, b.unsqueeze(0) * 2 - 1).distance.item<double>();
}

}  // namespace diffii
