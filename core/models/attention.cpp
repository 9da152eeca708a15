#include "core/models/attention.h"

#include <algorithm>
#include <limits>

#include <ATen/Parallel.h>

#include "core/models/attention_kernels.h"
#include "core/models/layers.h"

namespace diffii {

namespace nn = torch::nn;

namespace {
// Elements of one block of attention scores, one per compute thread (256 Ki: 1 MiB in float32, within a core's L2).
// Blocks of 2 Mi elements were measured 2-4x faster than one full [B*heads, N, M] score tensor for SD 1.5 at 64x64
// latents (4096 tokens), and the peak memory no longer grows with N^2; per-thread blocks in L2 go further.
constexpr int64_t kScoreBlockElements = int64_t(1) << 18;
// Elements of one block of scores on a GPU: 128 Mi, 512 MiB of float32 probabilities (plus the scores in the model's
// dtype). SD 1.5 at 512² (16 head-batches x 4,096 x 4,096) computes in two blocks; SD 2.x at 768² (10 x 9,216 x
// 9,216: 3.4 GB of scores and as much again of probabilities at once) in seven.
constexpr int64_t kDeviceScoreBlockElements = int64_t(1) << 27;
}  // namespace

torch::Tensor attentionInQueryBlocks(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     double scale, bool upcastScores, int64_t maxScoreElements) {
    const bool upcast = upcastScores && q.scalar_type() != torch::kFloat32;
    const auto qs = upcast ? q.to(torch::kFloat32) : q;
    const auto kt = (upcast ? k.to(torch::kFloat32) : k).transpose(1, 2);
    auto block = [&](const torch::Tensor& qBlock) {
        auto scores = torch::bmm(qBlock * scale, kt);
        return torch::softmax(scores, -1, torch::kFloat32).to(v.scalar_type());
    };
    const int64_t bh = q.size(0), n = q.size(1), m = k.size(1);
    const int64_t rows =
        std::clamp<int64_t>(maxScoreElements / std::max<int64_t>(1, bh * m), 1, std::max<int64_t>(1, n));
    if (rows >= n) return torch::bmm(block(qs), v);
    auto out = torch::empty({bh, n, v.size(2)}, v.options());
    for (int64_t s = 0; s < n; s += rows) {
        const int64_t len = std::min(rows, n - s);
        auto outBlock = out.narrow(1, s, len);
        torch::bmm_out(outBlock, block(qs.narrow(1, s, len)), v);
    }
    return out;
}

torch::Tensor scaledDotProductAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                        double scale, bool upcastScores, bool upcastSoftmax) {
    const int64_t bh = q.size(0), n = q.size(1), m = k.size(1);
    if (torch::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad()))
        // Training (concept learning): out= kernels have no autograd, so the differentiable, unblocked form.
        return attentionInQueryBlocks(q, k, v, scale, upcastScores, std::numeric_limits<int64_t>::max());
    if (!q.device().is_cpu())
        // A GPU: blocks of queries bound the score memory; the CPU's task split below is for two cores' caches.
        return attentionInQueryBlocks(q, k, v, scale, upcastScores, kDeviceScoreBlockElements);
    auto out = torch::empty({bh, n, v.size(2)}, v.options());
    const bool reduced = q.scalar_type() != torch::kFloat32;
    torch::Tensor qf = q, kt = k.transpose(1, 2);
    if (reduced && upcastScores) {
        qf = q.to(torch::kFloat32);
        kt = kt.to(torch::kFloat32);
    } else if (reduced) {
        // The bfloat16 (oneDNN) baddbmm reads its uninitialised input despite beta = 0 (NaN), so the scale goes
        // into q: one extra rounding of q, well below the bfloat16 error of the scores.
        qf = (q.to(torch::kFloat32) * scale).to(q.scalar_type());
    }
    // Tasks of (one head, a block of queries), spread over the compute threads, each computed with single-threaded
    // products: LibTorch 1.13 runs a float32 bmm as one OpenBLAS product per batch entry on the calling thread (one
    // core of two), and a small score block per task stays in the core's cache between q·k, the scale, the softmax
    // and p·v. Identical arithmetic per query row to one unblocked product.
    // float32 throughout (a float32 model): the fused kernel. Scores upcast for a bfloat16 model: scaled here, then
    // LibTorch's softmax and the product in bfloat16.
    const bool fused = qf.scalar_type() == torch::kFloat32 && v.scalar_type() == torch::kFloat32;
    const bool upcast = !fused && qf.scalar_type() == torch::kFloat32;
    // float32 with AVX-512: both products of a (head, query block) through oneDNN's sgemm, which was 1.1-1.8x
    // LibTorch's OpenBLAS route on these shapes (SD 1.5's 64 queries x 4,096 keys x 40: 472 -> 264 us; the embedded
    // model's 4 heads x 64 x 64 x 24: 24 -> 17 us; one thread, AMD EPYC family 26 model 2). With AVX2 kernels it
    // was 0.8-1.2x: OpenBLAS stays.
    const bool onednn = fused && onednnSgemmAvx512() && qf.is_contiguous() && k.is_contiguous() && v.is_contiguous();
    const int64_t d = q.size(2), dv = v.size(2);
    // scores[len, m] = q[h][s .. s + len) k[h]^T; out[h][s .. s + len) = e v[h] (e: the exponentials in scores)
    auto productsOnednn = [&](int64_t h, int64_t s, int64_t len, float* scores, float* invSum) {
        const float* qp = qf.data_ptr<float>() + (h * n + s) * d;
        const float* kp = k.data_ptr<float>() + h * m * d;
        const float* vp = v.data_ptr<float>() + h * m * dv;
        float* op = out.data_ptr<float>() + (h * n + s) * dv;
        if (!onednnSgemm('N', 'T', len, m, d, 1.0f, qp, d, kp, d, 0.0f, scores, m)) return false;
        expRowsInPlace(scores, len, m, m, static_cast<float>(scale), invSum);
        if (!onednnSgemm('N', 'N', len, dv, m, 1.0f, scores, m, vp, dv, 0.0f, op, dv)) return false;
        for (int64_t r = 0; r < len; ++r)
            for (int64_t j = 0; j < dv; ++j) op[r * dv + j] *= invSum[r];
        return true;
    };
    if (onednn && bh * n * m <= kScoreBlockElements) {
        auto scores = torch::empty({n, m}, q.options());
        auto inv = torch::empty({n}, q.options());
        bool ok = true;
        for (int64_t h = 0; h < bh && ok; ++h)
            ok = productsOnednn(h, 0, n, scores.data_ptr<float>(), inv.data_ptr<float>());
        if (ok) return out;
    }
    if (fused && bh * n * m <= kScoreBlockElements) {
        // Small attention (the embedded model's 8 x 64 x 64, the tiny VAE's 256 x 256): the blocks below would be a
        // hundred small tensor operations whose overhead outweighs the arithmetic; the same computation in four.
        auto scores = torch::bmm(qf, kt);
        auto inv = torch::empty({bh, n, 1}, scores.options());
        expRowsInPlace(scores.data_ptr<float>(), bh * n, m, m, static_cast<float>(scale), inv.data_ptr<float>());
        return torch::bmm_out(out, scores, v).mul_(inv);
    }
    const int64_t threads = std::max<int64_t>(1, at::get_num_threads());
    int64_t queries = std::clamp<int64_t>(kScoreBlockElements / std::max<int64_t>(1, m), 16, n);
    const int64_t perHead = (n + queries - 1) / queries;
    const int64_t tasks = bh * perHead;
    at::parallel_for(0, tasks, (tasks + threads - 1) / threads, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
            const int64_t h = t / perHead, s = (t % perHead) * queries;
            const int64_t len = std::min(queries, n - s);
            const auto qs = qf[h].narrow(0, s, len);
            auto outBlock = out[h].narrow(0, s, len);
            if (onednn) {
                auto scores = torch::empty({len, m}, q.options());
                auto inv = torch::empty({len}, q.options());
                if (productsOnednn(h, s, len, scores.data_ptr<float>(), inv.data_ptr<float>())) continue;
            }
            if (fused) {
                // float32: exp(scale (s - max)) in place, the product with v, then each output row divided by its
                // sum (core/models/attention_kernels.h). diffusers computes baddbmm(empty, q, k^T, beta=0,
                // alpha=scale); LibTorch 1.13's CPU baddbmm can propagate NaN from the uninitialised input despite
                // beta = 0 (seen as intermittent NaN noise predictions), so mm, and the scale in the kernel.
                auto scores = torch::mm(qs, kt[h]);
                auto inv = torch::empty({len, 1}, scores.options());
                expRowsInPlace(scores.data_ptr<float>(), len, m, scores.stride(0), static_cast<float>(scale),
                               inv.data_ptr<float>());
                torch::mm_out(outBlock, scores, v[h]);
                outBlock.mul_(inv);
                continue;
            }
            torch::Tensor scores = torch::mm(qs, kt[h]);
            // A bfloat16 softmax accumulates in float32 internally; its output differs from a float32 softmax only
            // by the final rounding (measured: same max error against float64 attention), at a third of the cost.
            // upcastSoftmax (the VAE) keeps diffusers' float32 softmax.
            if (upcast) scores.mul_(scale);
            torch::Tensor probs = (upcastSoftmax && scores.scalar_type() != torch::kFloat32)
                                      ? torch::softmax(scores, -1, torch::kFloat32)
                                      : torch::softmax(scores, -1);
            scores = torch::Tensor();
            torch::mm_out(outBlock, probs.scalar_type() == v.scalar_type() ? probs : probs.to(v.scalar_type()), v[h]);
        }
    });
    return out;
}

namespace {

// [B, len, heads * d] -> [B * heads, len, d]
torch::Tensor toHeads(const torch::Tensor& t, int64_t b, int64_t heads, int64_t d) {
    return t.view({b, t.size(1), heads, d}).permute({0, 2, 1, 3}).reshape({b * heads, t.size(1), d});
}

bool sameTensor(const torch::Tensor& a, const torch::Tensor& b) {
    return a.is_alias_of(b) && a.data_ptr() == b.data_ptr() && a.sizes().equals(b.sizes()) &&
           a.strides().equals(b.strides()) && a.scalar_type() == b.scalar_type();
}

// Contexts one cache keeps: a guidance loop has two or three (unconditional, prompt, prompt with the suffix), as
// one batch or as halves.
constexpr size_t kCachedContexts = 8;

}  // namespace

std::pair<torch::Tensor, torch::Tensor> AttentionImpl::keysValues(const torch::Tensor& kv, int64_t batch) {
    const auto& o = m_options;
    auto compute = [&] {
        return std::pair{toHeads(project(Key, kv), batch, o.heads, o.dimHead),
                         toHeads(project(Value, kv), batch, o.heads, o.dimHead)};
    };
    auto& cache = *m_kvCache;
    std::unique_lock lock(cache.mutex);
    if (cache.scopes == 0 || o.crossAttentionDim == 0 || torch::GradMode::is_enabled()) {
        lock.unlock();
        return compute();
    }
    for (const auto& e : cache.entries)
        if (sameTensor(e.context, kv)) return {e.k, e.v};
    lock.unlock();
    auto kvPair = compute();
    lock.lock();
    if (cache.scopes > 0) {
        if (cache.entries.size() >= kCachedContexts) cache.entries.erase(cache.entries.begin());
        cache.entries.push_back({kv, kvPair.first, kvPair.second});
    }
    return kvPair;
}

CrossAttentionCache::CrossAttentionCache(torch::nn::Module& module) {
    for (auto& m : module.modules(/*include_self=*/true)) {
        auto* attention = m->as<AttentionImpl>();
        if (!attention || attention->options().crossAttentionDim == 0) continue;
        const auto& cache = attention->m_kvCache;
        std::lock_guard lock(cache->mutex);
        ++cache->scopes;
        m_caches.push_back(cache);
    }
}

CrossAttentionCache::~CrossAttentionCache() {
    for (const auto& cache : m_caches) {
        std::lock_guard lock(cache->mutex);
        if (--cache->scopes == 0) cache->entries.clear();
    }
}

AttentionImpl::AttentionImpl(const AttentionOptions& options) : m_options(options) {
    const auto& o = options;
    const int64_t inner = o.heads * o.dimHead;
    const int64_t kvDim = o.crossAttentionDim > 0 ? o.crossAttentionDim : o.queryDim;
    if (o.normNumGroups > 0)
        group_norm = register_module("group_norm",
                                     nn::GroupNorm(nn::GroupNormOptions(o.normNumGroups, o.queryDim).eps(o.normEps)));
    to_q = register_module("to_q", nn::Linear(nn::LinearOptions(o.queryDim, inner).bias(o.bias)));
    to_k = register_module("to_k", nn::Linear(nn::LinearOptions(kvDim, inner).bias(o.bias)));
    to_v = register_module("to_v", nn::Linear(nn::LinearOptions(kvDim, inner).bias(o.bias)));
    m_toOut = nn::Linear(nn::LinearOptions(inner, o.queryDim).bias(o.outBias));
    to_out = register_module("to_out", nn::ModuleList(m_toOut, nn::Dropout(0.0)));
}

nn::Linear& AttentionImpl::projection(Projection which) {
    switch (which) {
        case Query:
            return to_q;
        case Key:
            return to_k;
        case Value:
            return to_v;
        case Out:
            break;
    }
    return m_toOut;
}

torch::Tensor AttentionImpl::project(Projection which, const torch::Tensor& x) {
    auto y = linearRows(projection(which), x);
    if (m_hooks[which]) y = y + m_hooks[which](x);
    return y;
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& hidden, const torch::Tensor& context) {
    const auto& o = m_options;
    const bool spatial = hidden.dim() == 4;
    const int64_t b = hidden.size(0);
    torch::Tensor x;
    if (spatial) {
        auto flat = hidden.flatten(2);  // [B, C, HW]
        if (group_norm) flat = groupNormF32(group_norm, flat);
        x = flat.transpose(1, 2);
    } else {
        x = group_norm ? groupNormF32(group_norm, hidden.transpose(1, 2)).transpose(1, 2) : hidden;
    }
    const int64_t n = x.size(1), h = o.heads, d = o.dimHead;
    auto q = toHeads(project(Query, x), b, h, d);
    auto [k, v] = keysValues(context.defined() ? context : x, b);
    auto attn = scaledDotProductAttention(q, k, v, 1.0 / std::sqrt(double(d)), o.upcastAttention, o.upcastSoftmax);
    attn = attn.view({b, h, n, d}).permute({0, 2, 1, 3}).reshape({b, n, h * d});
    auto out = project(Out, attn);
    if (spatial) out = out.transpose(1, 2).reshape(hidden.sizes());
    if (o.residualConnection) out = out + hidden;
    if (o.rescaleOutputFactor != 1.0) out = out / o.rescaleOutputFactor;
    return out;
}

GEGLUImpl::GEGLUImpl(int64_t dimIn, int64_t dimOut) { proj = register_module("proj", nn::Linear(dimIn, dimOut * 2)); }

torch::Tensor GEGLUImpl::forward(const torch::Tensor& x) {
    auto projected = linearRows(proj, x);
    if (projected.device().is_cpu() && projected.scalar_type() == torch::kFloat32 && projected.is_contiguous() &&
        !(torch::GradMode::is_enabled() && projected.requires_grad())) {
        // Inference in float32: the gate in one pass (core/models/attention_kernels.h), rows over the threads.
        const int64_t inner = projected.size(-1) / 2, rows = projected.numel() / std::max<int64_t>(1, 2 * inner);
        auto sizes = projected.sizes().vec();
        sizes.back() = inner;
        auto out = torch::empty(sizes, projected.options());
        const float* in = projected.data_ptr<float>();
        float* o = out.data_ptr<float>();
        at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner)),
                         [&](int64_t begin, int64_t end) {
                             gegluRows(in + begin * 2 * inner, end - begin, inner, o + begin * inner);
                         });
        return out;
    }
    auto parts = projected.chunk(2, -1);
    if (torch::GradMode::is_enabled()) return parts[0] * torch::gelu(parts[1]);
    return torch::gelu(parts[1]).mul_(parts[0]);  // inference: one temporary fewer
}

FeedForwardImpl::FeedForwardImpl(int64_t dim, int64_t mult) {
    const int64_t inner = dim * mult;
    m_geglu = GEGLU(dim, inner);
    m_out = nn::Linear(inner, dim);
    net = register_module("net", nn::ModuleList(m_geglu, nn::Dropout(0.0), m_out));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) { return linearRows(m_out, m_geglu(x)); }

BasicTransformerBlockImpl::BasicTransformerBlockImpl(const BasicTransformerBlockOptions& o)
    : m_onlyCrossAttention(o.onlyCrossAttention) {
    auto ln = [&] { return nn::LayerNorm(nn::LayerNormOptions({o.dim}).eps(o.normEps)); };
    AttentionOptions a;
    a.queryDim = o.dim;
    a.heads = o.heads;
    a.dimHead = o.dimHead;
    a.upcastAttention = o.upcastAttention;
    norm1 = register_module("norm1", ln());
    AttentionOptions a1 = a;
    a1.crossAttentionDim = o.onlyCrossAttention ? o.crossAttentionDim : 0;
    attn1 = register_module("attn1", Attention(a1));
    norm2 = register_module("norm2", ln());
    AttentionOptions a2 = a;
    a2.crossAttentionDim = o.crossAttentionDim;
    attn2 = register_module("attn2", Attention(a2));
    norm3 = register_module("norm3", ln());
    ff = register_module("ff", FeedForward(o.dim));
}

torch::Tensor BasicTransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
    auto h = attn1(layerNormF32(norm1, x), m_onlyCrossAttention ? context : torch::Tensor()) + x;
    h = attn2(layerNormF32(norm2, h), context) + h;
    return ff(layerNormF32(norm3, h)) + h;
}

Transformer2DModelImpl::Transformer2DModelImpl(const Transformer2DModelOptions& options) : m_options(options) {
    const auto& o = options;
    const int64_t inner = o.heads * o.dimHead;
    norm = register_module("norm", nn::GroupNorm(nn::GroupNormOptions(o.normNumGroups, o.inChannels).eps(1e-6)));
    if (o.useLinearProjection)
        m_projInLinear = register_module("proj_in", nn::Linear(o.inChannels, inner));
    else
        m_projInConv = register_module("proj_in", Conv2d(nn::Conv2dOptions(o.inChannels, inner, 1)));
    transformer_blocks = register_module("transformer_blocks", nn::ModuleList());
    for (int64_t i = 0; i < o.numLayers; ++i) {
        BasicTransformerBlockOptions bo;
        bo.dim = inner;
        bo.heads = o.heads;
        bo.dimHead = o.dimHead;
        bo.crossAttentionDim = o.crossAttentionDim;
        bo.onlyCrossAttention = o.onlyCrossAttention;
        bo.upcastAttention = o.upcastAttention;
        blocks.push_back(BasicTransformerBlock(bo));
        transformer_blocks->push_back(blocks.back());
    }
    if (o.useLinearProjection)
        m_projOutLinear = register_module("proj_out", nn::Linear(inner, o.inChannels));
    else
        m_projOutConv = register_module("proj_out", Conv2d(nn::Conv2dOptions(inner, o.inChannels, 1)));
}

torch::Tensor Transformer2DModelImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
    const int64_t b = x.size(0), hgt = x.size(2), wid = x.size(3);
    auto h = groupNormF32(norm, x);
    if (m_projInConv) {
        h = m_projInConv(h);
        h = h.permute({0, 2, 3, 1}).reshape({b, hgt * wid, h.size(1)});
    } else {
        h = linearRows(m_projInLinear, h.permute({0, 2, 3, 1}).reshape({b, hgt * wid, x.size(1)}));
    }
    for (auto& block : blocks) h = block(h, context);
    if (m_projOutConv) {
        h = h.reshape({b, hgt, wid, h.size(2)}).permute({0, 3, 1, 2}).contiguous();
        h = m_projOutConv(h);
    } else {
        h = linearRows(m_projOutLinear, h).reshape({b, hgt, wid, x.size(1)}).permute({0, 3, 1, 2}).contiguous();
    }
    return h + x;
}

}  // namespace diffii
