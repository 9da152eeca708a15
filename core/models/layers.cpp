#include "core/models/layers.h"

#include <torch/library.h>

namespace diffii {

torch::Tensor linearRows(const torch::nn::Linear& linear, const torch::Tensor& x) {
    const auto& w = linear->weight;
    const auto& b = linear->bias;
    const int64_t in = w.size(1), outDim = w.size(0);
    const int64_t rows = x.dim() > 0 && in > 0 ? x.numel() / in : 0;
    const auto dtype = x.scalar_type();
    // Small products (the tiny models, time embeddings) and autograd stay with torch::linear.
    if (!at::hasMKLDNN() || rows * in * outDim < (int64_t(1) << 22) || x.size(-1) != in || !x.device().is_cpu() ||
        (dtype != torch::kFloat32 && dtype != torch::kBFloat16) || w.scalar_type() != dtype || !w.is_contiguous() ||
        (b.defined() && b.scalar_type() != dtype) ||
        (torch::GradMode::is_enabled() &&
         (x.requires_grad() || w.requires_grad() || (b.defined() && b.requires_grad()))))
        return torch::linear(x, w, b);
    // The rows of x as a channels-last [1, in, 1, rows] image, W as a 1x1 kernel: oneDNN's product on every thread.
    const auto x2 = x.reshape({rows, in}).contiguous();
    const auto image = x2.as_strided({1, in, 1, rows}, {rows * in, 1, rows * in, in});
    auto y = at::mkldnn_convolution(image, w.view({outDim, in, 1, 1}),
                                    b.defined() ? c10::optional<at::Tensor>(b) : c10::optional<at::Tensor>(), {0, 0},
                                    {1, 1}, {1, 1}, 1);
    auto sizes = x.sizes().vec();
    sizes.back() = outDim;
    return y.permute({0, 2, 3, 1}).reshape(sizes);  // a view when oneDNN kept the channels-last layout
}

namespace {

at::Tensor& keepUniform(at::Tensor& self, double, double, c10::optional<at::Generator>) { return self; }
at::Tensor& keepNormal(at::Tensor& self, double, double, c10::optional<at::Generator>) { return self; }

}  // namespace

TORCH_LIBRARY_IMPL(_, TESTING_ONLY_GenericMode, m) { m.fallback(torch::CppFunction::makeFallthrough()); }

TORCH_LIBRARY_IMPL(aten, TESTING_ONLY_GenericMode, m) {
    m.impl("uniform_", TORCH_FN(keepUniform));
    m.impl("normal_", TORCH_FN(keepNormal));
}

SkipRandomInit::SkipRandomInit() : m_guard(c10::DispatchKey::TESTING_ONLY_GenericMode) {}

void toComputeDtype(torch::nn::Module& module, torch::Dtype dtype) {
    module.to(dtype);
    for (auto& child : module.modules(true)) {
        if (child->as<torch::nn::GroupNormImpl>() || child->as<torch::nn::LayerNormImpl>()) child->to(torch::kFloat32);
    }
}

}  // namespace diffii
