#include "core/models/layers.h"

#include <dlfcn.h>

#include <variant>

#include <torch/library.h>

#include "core/jobs/env_switch.h"
#include "core/jobs/precision.h"
#include "core/models/winograd.h"

namespace diffii {

namespace {

using SgemmFn = int (*)(char, char, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                        float, float*, int64_t);

SgemmFn onednnSgemmFn() {
    static const auto fn = reinterpret_cast<SgemmFn>(dlsym(RTLD_DEFAULT, "dnnl_sgemm"));
    return fn;
}

}  // namespace

bool onednnSgemmAvx512() { return cpuFeatures().onednnAvx512 && onednnSgemmFn(); }

namespace {

// A small float32 product without autograd through oneDNN's sgemm (see layers.h); undefined where it does not pay
// or oneDNN is not there.
torch::Tensor smallLinear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, int64_t rows) {
    const int64_t in = w.size(1), out = w.size(0);
    if (!onednnSgemmFn() || (!onednnSgemmAvx512() && out > 2 * in) || rows == 0 || in == 0 || out == 0 ||
        x.scalar_type() != torch::kFloat32 || w.scalar_type() != torch::kFloat32 || !w.is_contiguous() ||
        (b.defined() && (b.scalar_type() != torch::kFloat32 || b.dim() != 1)))
        return {};
    const auto x2 = x.reshape({rows, in}).contiguous();
    // A new tensor always (the bias expanded to one row is already contiguous: the product would add into the bias)
    auto y = torch::empty({rows, out}, x.options());
    if (b.defined()) y.copy_(b.expand({rows, out}));
    if (!onednnSgemm('N', 'T', rows, out, in, 1.0f, x2.data_ptr<float>(), in, w.data_ptr<float>(), in,
                     b.defined() ? 1.0f : 0.0f, y.data_ptr<float>(), out))
        return {};
    auto sizes = x.sizes().vec();
    sizes.back() = out;
    return y.view(sizes);
}

}  // namespace

bool onednnSgemm(char transA, char transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                 const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    const auto fn = onednnSgemmFn();
    return fn && fn(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == 0;  // 0: dnnl_success
}

torch::Tensor linearRows(const torch::nn::Linear& linear, const torch::Tensor& x) {
    const auto& w = linear->weight;
    const auto& b = linear->bias;
    const int64_t in = w.size(1), outDim = w.size(0);
    const int64_t rows = x.dim() > 0 && in > 0 ? x.numel() / in : 0;
    const auto dtype = x.scalar_type();
    const bool inference = !torch::GradMode::is_enabled() ||
                           !(x.requires_grad() || w.requires_grad() || (b.defined() && b.requires_grad()));
    if (rows * in * outDim < (int64_t(1) << 22) && inference && x.device().is_cpu() && x.size(-1) == in)
        if (auto y = smallLinear(x, w, b, rows); y.defined()) return y;
    // Small products (the tiny models, time embeddings) and autograd stay with torch::linear.
    // So does a product whose weight dwarfs its rows (out >= 16 x rows: the feed-forward's 1280 -> 10240 on a deep
    // level's few tokens): oneDNN would reorder the whole weight for a few rows of work (256x256 Diff-II image, 10+10
    // steps, alternating runs: 54.6 / 54.2 s -> 49.6 / 48.8 s; AMD EPYC family 26 model 2).
    if (!at::hasMKLDNN() || rows * in * outDim < (int64_t(1) << 22) || outDim >= 16 * rows || x.size(-1) != in ||
        !x.device().is_cpu() || (dtype != torch::kFloat32 && dtype != torch::kBFloat16) || w.scalar_type() != dtype ||
        !w.is_contiguous() || (b.defined() && b.scalar_type() != dtype) ||
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

bool packingWanted() {
    static const bool wanted = at::hasMKLDNN() && !switchedOffByEnv("DIFFII_PACK_WEIGHTS");
    return wanted;
}

// torch::nn's option variants are c10::variant in LibTorch 1.13 and std::variant in 2.x: the unqualified calls below
// find c10's functions by argument-dependent lookup, std's by the using-declarations.
template <class T, class V>
bool holds(const V& v) {
    using std::holds_alternative;
    return holds_alternative<T>(v);
}

at::IntArrayRef paddingOf(const torch::nn::detail::ConvNdOptions<2>& o) {
    using std::get;
    return get<torch::ExpandingArray<2>>(o.padding());  // only called when packable() checked the alternative
}

template <typename Fn>
void forEachConv(torch::nn::Module& module, Fn&& fn) {
    for (auto& m : module.modules(/*include_self=*/true))
        if (auto* conv = m->as<Conv2dImpl>()) fn(*conv);
}

}  // namespace

bool Conv2dImpl::packable(const torch::Tensor& x) const {
    const auto dtype = x.scalar_type();
    return !torch::GradMode::is_enabled() && x.device().is_cpu() && x.layout() == torch::kStrided && x.dim() == 4 &&
           (dtype == torch::kFloat32 || dtype == torch::kBFloat16) &&
           holds<torch::ExpandingArray<2>>(options.padding()) &&
           holds<torch::enumtype::kZeros>(options.padding_mode()) && !options.transposed();
}

bool winogradWanted() {
    static const bool wanted = !switchedOffByEnv("DIFFII_WINOGRAD");
    return wanted;
}

Conv2dImpl::WinogradRoute Conv2dImpl::winogradRoute(const torch::Tensor& x) const {
    const auto& o = options;
    const auto k = *o.kernel_size(), st = *o.stride(), d = *o.dilation();
    if (!m_pack->winogradAllowed || x.scalar_type() != torch::kFloat32 || o.groups() != 1 || k[0] != 3 || k[1] != 3 ||
        st[0] != 1 || st[1] != 1 || d[0] != 1 || d[1] != 1 || x.size(2) < 8 || x.size(3) < 8)
        return WinogradRoute::None;
    const auto pad = paddingOf(o);
    if (pad[0] != 1 || pad[1] != 1) return WinogradRoute::None;
    // Where it was measured faster (tests/bench_conv.cpp, AMD EPYC family 26 model 2):
    // - On a thread that computes alone (a small model's calls, each guidance half on its own thread), with the
    //   kernel kept: with AVX2 kernels 1.6-1.8x oneDNN's direct convolution on every 3x3 shape of the embedded model
    //   from 8x8 up (the 4x4 level: 0.99x); with AVX-512 kernels 1.15-1.4x from 64 tiles up (16x16 at batch 1; the
    //   VAE's 64 channels at 64x64 1.7x), but at 8x8 as low as 0.68x (128 channels). A kept kernel is 16/9 of the
    //   weight, hence the bound on the weight: 1 Mi values.
    // - On several threads, large products only (SD 1.5 at 16x16 and up, batch 2: 1.3-2.0x with AVX-512 kernels),
    //   with the kernel made per call so that memory does not grow, hence up to 640 x 640 channels (a 26 MB kernel
    //   per call). The embedded model's shapes measured 0.3-0.6x on two threads (see winograd.cpp): not there.
    const int64_t in = o.in_channels(), out = o.out_channels();
    const int64_t tiles = x.size(0) * ((x.size(2) + 1) / 2) * ((x.size(3) + 1) / 2);
    if (at::get_num_threads() == 1 || at::in_parallel_region())
        return in * out * 9 <= (int64_t(1) << 20) && (!cpuFeatures().onednnAvx512 || tiles >= 64) ? WinogradRoute::Kept
                                                                                                  : WinogradRoute::None;
    return x.size(2) >= 16 && x.size(3) >= 16 && in * out <= 640 * 640 && in * out * tiles >= (int64_t(1) << 24)
               ? WinogradRoute::PerCall
               : WinogradRoute::None;
}

torch::Tensor Conv2dImpl::biasWith(const torch::Tensor& channelOffset) const {
    if (!channelOffset.defined()) return bias;
    return bias.defined() ? bias + channelOffset : channelOffset;
}

bool Conv2dImpl::winogradReady() const {
    std::lock_guard lock(m_pack->mutex);
    return m_pack->winograd.defined();
}

void Conv2dImpl::setWinograd(bool allowed) {
    std::lock_guard lock(m_pack->mutex);
    m_pack->winogradAllowed = allowed && winogradWanted();  // a kernel already made stays until unpacked
}

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x, const torch::Tensor& channelOffset) {
    auto& s = *m_pack;
    std::unique_lock lock(s.mutex);
    if (s.allowed || s.packed.defined()) {
        const bool inference = packable(x);
        // oneDNN tensors are handled below autograd (LibTorch asserts it); no autograd is recorded on this path anyway.
        at::AutoDispatchBelowADInplaceOrView belowAutograd;
        const auto route = inference && s.allowed ? winogradRoute(x) : WinogradRoute::None;
        // The Winograd kernel of this call: the kept one (made on first use), or on the per-call route one made now
        // from the dense float32 weight (under the lock: the weight stays; a weight packed by an earlier call stays
        // direct). Undefined: the direct route.
        torch::Tensor u;
        if (route == WinogradRoute::Kept) {
            if (!s.winograd.defined()) s.winograd = winogradKernel(s.packed.defined() ? s.packed.to_dense() : weight);
            u = s.winograd;
        } else if (route == WinogradRoute::PerCall) {
            if (s.winograd.defined())
                u = s.winograd;
            else if (!s.packed.defined() && weight.scalar_type() == torch::kFloat32 && weight.numel() > 0)
                u = winogradKernelNow(weight);
        }
        if (u.defined()) {
            lock.unlock();
            return winogradConv3x3(x, u, biasWith(channelOffset));
        }
        if (inference && !s.packed.defined() && weight.scalar_type() == x.scalar_type() && weight.numel() > 0 &&
            weight.numel() >= x.numel() && x.is_contiguous()) {
            s.packed = at::mkldnn_reorder_conv2d_weight(weight.contiguous().to_mkldnn(), paddingOf(options),
                                                        *options.stride(), *options.dilation(), options.groups());
            weight.set_();  // the packed copy replaces it (see layers.h)
        }
        if (inference && s.packed.defined() && s.packed.scalar_type() == x.scalar_type()) {
            const auto w = s.packed;
            lock.unlock();
            // the weight is read-only: other threads (guidance halves) may use it at once
            try {
                c10::optional<at::Tensor> b;
                if (auto t = biasWith(channelOffset); t.defined()) b = t;
                return at::mkldnn_convolution(x, w, b, paddingOf(options), *options.stride(), *options.dilation(),
                                              options.groups());
            } catch (const c10::Error&) {
                // oneDNN refused (bfloat16 on a CPU without AVX-512BW, say): dense from now on; the dense path
                // reports a genuine error itself.
                lock.lock();
                s.allowed = false;
            }
        }
        if (s.packed.defined()) unpackLocked(s);
    }
    lock.unlock();
    auto y = torch::nn::Conv2dImpl::forward(x);
    if (!channelOffset.defined()) return y;
    const auto offset = channelOffset.view({1, -1, 1, 1});
    return torch::GradMode::is_enabled() ? y + offset : y.add_(offset);
}

void Conv2dImpl::unpackLocked(PackState& s) {
    s.winograd = torch::Tensor();
    if (!s.packed.defined()) return;
    torch::NoGradGuard noGrad;
    c10::InferenceMode notInference(false);  // the dense weight must be an ordinary tensor
    at::AutoDispatchBelowADInplaceOrView belowAutograd;
    weight.set_(s.packed.to_dense().to(weight.scalar_type()));
    s.packed = torch::Tensor();
}

void Conv2dImpl::unpack() {
    std::lock_guard lock(m_pack->mutex);
    unpackLocked(*m_pack);
}

void Conv2dImpl::setPacking(bool allowed) {
    std::lock_guard lock(m_pack->mutex);
    m_pack->allowed = allowed && packingWanted();
    if (!m_pack->allowed) unpackLocked(*m_pack);
}

bool Conv2dImpl::packed() const {
    std::lock_guard lock(m_pack->mutex);
    return m_pack->packed.defined();
}

void setConvPacking(torch::nn::Module& module, bool allowed) {
    forEachConv(module, [&](Conv2dImpl& c) { c.setPacking(allowed); });
}

void setConvWinograd(torch::nn::Module& module, bool allowed) {
    forEachConv(module, [&](Conv2dImpl& c) { c.setWinograd(allowed); });
}

void unpackConvWeights(torch::nn::Module& module) {
    forEachConv(module, [](Conv2dImpl& c) { c.unpack(); });
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
