// Small building blocks shared by the UNet, the VAE and the CLIP text encoder.
// Normalisation always runs in float32: LibTorch 1.13 has no accurate bfloat16 GroupNorm/LayerNorm on CPU,
// so a bfloat16 model keeps its norm parameters in float32 and casts activations around the norm.
#pragma once

#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/torch.h>

namespace diffii {

inline torch::Tensor groupNormF32(const torch::nn::GroupNorm& gn, const torch::Tensor& x) {
    const auto& o = gn->options;
    if (x.scalar_type() == torch::kFloat32) return torch::group_norm(x, o.num_groups(), gn->weight, gn->bias, o.eps());
    return torch::group_norm(x.to(torch::kFloat32), o.num_groups(), gn->weight.to(torch::kFloat32),
                             gn->bias.to(torch::kFloat32), o.eps())
        .to(x.scalar_type());
}

inline torch::Tensor layerNormF32(const torch::nn::LayerNorm& ln, const torch::Tensor& x) {
    const auto& o = ln->options;
    if (x.scalar_type() == torch::kFloat32)
        return torch::layer_norm(x, o.normalized_shape(), ln->weight, ln->bias, o.eps());
    return torch::layer_norm(x.to(torch::kFloat32), o.normalized_shape(), ln->weight.to(torch::kFloat32),
                             ln->bias.to(torch::kFloat32), o.eps())
        .to(x.scalar_type());
}

// y = x W^T + b for the Linear `linear`, x [..., in]. Without autograd, a large product runs as a oneDNN 1x1
// convolution over the rows of x seen as a channels-last image: LibTorch 1.13's float32 products go to OpenBLAS,
// which runs on the calling thread only (core/jobs/threads.cpp); measured 4-5x slower than oneDNN on the
// AVX-512 Xeon of this class. Same result up to the summation order; with autograd or for small products,
// torch::linear.
torch::Tensor linearRows(const torch::nn::Linear& linear, const torch::Tensor& x);

// While alive, on this thread, LibTorch's random initialisation of parameters (uniform_ and normal_: kaiming_uniform_,
// Linear's bias, Embedding's rows) does nothing and leaves the memory as allocated. For modules whose every parameter
// is read from a weight file right after (StableDiffusion::load: strict matching, a missing key is an error); never
// for modules that train from their initial values. The init is serial in LibTorch's CPU generator: building SD 1.5
// spent ~25% of a small `diffii pair` run in it (perf, Xeon f6 m207), for values overwritten at once.
// Built on a dispatch key of LibTorch's that nothing else registers for (TESTING_ONLY_GenericMode in 1.13, a mode key
// meant for such overrides): every other operator falls through to its usual kernel.
class SkipRandomInit {
public:
    SkipRandomInit();

private:
    c10::impl::IncludeDispatchKeyGuard m_guard;
};

// Converts a module to dtype, but keeps every GroupNorm/LayerNorm parameter in float32.
void toComputeDtype(torch::nn::Module& module, torch::Dtype dtype);

}  // namespace diffii
