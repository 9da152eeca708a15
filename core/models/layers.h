// Small building blocks shared by the UNet, the VAE and the CLIP text encoder.
// Normalisation always runs in float32: LibTorch 1.13 has no accurate bfloat16 GroupNorm/LayerNorm on CPU,
// so a bfloat16 model keeps its norm parameters in float32 and casts activations around the norm.
#pragma once

#include <memory>
#include <mutex>

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

// C = alpha op(A) op(B) + beta C for row-major float32 matrices (op: 'N' as stored, 'T' transposed), computed by
// oneDNN's sgemm on the calling thread's LibTorch threads. oneDNN is found in the process at run time (Debian's
// LibTorch links libdnnl); false when it is not there (a LibTorch that hides its oneDNN) or reports an error, and
// the caller computes the product itself.
bool onednnSgemm(char transA, char transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                 const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// Whether oneDNN's sgemm is there and runs AVX-512 kernels (the CPU has them, ONEDNN_MAX_CPU_ISA allows them).
bool onednnSgemmAvx512();

// y = x W^T + b for the Linear `linear`, x [..., in]. Without autograd, a large product runs as a oneDNN 1x1
// convolution over the rows of x seen as a channels-last image: LibTorch 1.13's float32 products go to OpenBLAS,
// which runs on the calling thread only (core/jobs/threads.cpp); measured 4-5x slower than oneDNN on the
// AVX-512 Xeon of this class. Same result up to the summation order; with autograd, for a weight far wider than the
// rows, and for small products where oneDNN's sgemm does not pay (below), torch::linear.
// Small float32 products without autograd (the embedded model's, the time embeddings) go to oneDNN's sgemm where
// its kernels are AVX-512 ones, and with AVX2 kernels where the output is at most twice as wide as the input:
// LibTorch sends them to OpenBLAS, which packs the weight anew for every call. Single thread, AMD EPYC family 26
// model 2: 64 rows 96 -> 96 19.5 -> 8.6 us, 64 x 96 -> 768 75 -> 46 us, 256 x 48 -> 48 24 -> 7.2 us; with oneDNN and
// OpenBLAS held to AVX2 96 -> 96 19.2 -> 11.8 us but 96 -> 768 73 -> 88 us (hence the rule).
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

// Winograd's route for 3x3 convolutions (core/models/winograd.h) is allowed: DIFFII_WINOGRAD is not 0.
bool winogradWanted();

// A Conv2d whose weight can be kept in oneDNN's blocked layout for inference. LibTorch 1.13 hands a dense weight to
// oneDNN on every call, which reorders it into a fresh buffer first: for SD 1.5's 1280-channel 3x3 convolutions on
// 4x4..16x16 latents that reorder cost more than the convolution (AMD EPYC family 26 model 2, float32, batch 2:
// 8x8 109 ms dense against 11 ms prepacked; 16x16 136 against 42 ms). With packing allowed (setConvPacking), the first
// call without autograd on a CPU tensor of the weight's dtype packs the weight once, when it pays (its weight has at
// least as many values as the input: the deep, wide layers; a large activation's own reorders would cost more) and
// frees the dense copy, so memory does not grow; later calls without autograd use the packed weight. A call with
// autograd, another dtype, or unpackConvWeights puts the dense weight back first (its values unchanged: the reorder
// is a permutation). While packed, `weight` is an empty tensor of the same dtype and device (dtype() and device()
// readers still work); code that reads or writes conv weights (state dicts, training) calls unpackConvWeights first.
// Same results as the dense path up to oneDNN's summation order (its kernel is the same one). DIFFII_PACK_WEIGHTS=0
// turns packing off.
class Conv2dImpl : public torch::nn::Conv2dImpl {
public:
    using torch::nn::Conv2dImpl::Conv2dImpl;
    // channelOffset: undefined, or [out channels] added to every output pixel of its channel (the bias plus it, where
    // oneDNN computes: one pass over the output fewer).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& channelOffset = {});
    // Off also unpacks.
    void setPacking(bool allowed);
    void unpack();
    bool packed() const;
    // Whether this convolution may use winogradConv3x3 (on by default unless DIFFII_WINOGRAD=0).
    void setWinograd(bool allowed);
    bool winogradReady() const;  // its Winograd kernel is there (a call took that route)

private:
    struct PackState {
        std::mutex mutex;
        torch::Tensor packed;    // oneDNN layout; undefined while dense
        torch::Tensor winograd;  // the kernel for winogradConv3x3 (core/models/winograd.h); undefined until used
        bool winogradAllowed = winogradWanted();
        bool allowed = false;
    };
    bool packable(const torch::Tensor& x) const;
    enum class WinogradRoute { None, Kept, PerCall };  // winogradConv3x3 with a kept kernel, or one made per call
    WinogradRoute winogradRoute(const torch::Tensor& x) const;
    torch::Tensor biasWith(const torch::Tensor& channelOffset) const;  // the bias plus the offset, either undefined
    void unpackLocked(PackState& s);
    std::shared_ptr<PackState> m_pack = std::make_shared<PackState>();
};
TORCH_MODULE(Conv2d);

// setPacking on every diffii::Conv2d of module (when DIFFII_PACK_WEIGHTS is not 0 and LibTorch has oneDNN), and
// the dense weights back in every one of them.
void setConvPacking(torch::nn::Module& module, bool allowed);
void unpackConvWeights(torch::nn::Module& module);
// setWinograd on every diffii::Conv2d of module.
void setConvWinograd(torch::nn::Module& module, bool allowed);

// Converts a module to dtype, but keeps every GroupNorm/LayerNorm parameter in float32.
void toComputeDtype(torch::nn::Module& module, torch::Dtype dtype);

}  // namespace diffii
