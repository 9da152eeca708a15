// Attention blocks of the UNet and the VAE, after diffusers' models/attention_processor.py (Attention with the
// AttnProcessor path), models/attention.py (BasicTransformerBlock, FeedForward, GEGLU) and
// models/transformer_2d.py (Transformer2DModel, continuous input).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "core/models/layers.h"

namespace diffii {

struct AttentionOptions {
    int64_t queryDim = 0;
    int64_t crossAttentionDim = 0;  // 0: self-attention (keys/values from the query input)
    int64_t heads = 8;
    int64_t dimHead = 64;
    bool bias = false;             // to_q / to_k / to_v
    bool outBias = true;           // to_out.0
    bool upcastAttention = false;  // q·k in float32 (diffusers upcast_attention)
    bool upcastSoftmax = false;    // softmax in float32 (diffusers upcast_softmax)
    int64_t normNumGroups = 0;     // > 0: group_norm on the input (VAE mid-block attention)
    double normEps = 1e-5;
    bool residualConnection = false;
    double rescaleOutputFactor = 1.0;
};

// softmax(scale * q k^T) v over q [B*heads, N, D], k, v [B*heads, M, D], computed in blocks of heads and queries so
// that the score block stays small (cache-friendly, bounded memory). In a reduced dtype, upcastScores computes q·k
// and the softmax in float32 (diffusers upcast_attention) and upcastSoftmax the softmax (upcast_softmax).
torch::Tensor scaledDotProductAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                        double scale, bool upcastScores = false, bool upcastSoftmax = false);

// The same with LibTorch's products and softmax on any device, the queries taken in blocks so that one block's scores
// ([B*heads, rows, M]) hold at most maxScoreElements (at least one query row a block). Under autograd with an unbounded
// maximum it is the differentiable, unblocked form. The softmax is in float32 whatever the dtype.
torch::Tensor attentionInQueryBlocks(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     double scale, bool upcastScores, int64_t maxScoreElements);

// diffusers Attention. Each projection (to_q, to_k, to_v, to_out.0) is a torch::nn::Linear that keeps diffusers'
// parameter names; every use of a projection goes through project(), the seam where a low-rank (LoRA) delta is
// added: y = Linear(x) + hook(x).
class AttentionImpl : public torch::nn::Module {
public:
    enum Projection { Query = 0, Key = 1, Value = 2, Out = 3 };
    // A low-rank delta for one projection, evaluated on the projection's input; its output is added to the
    // Linear's. (Set by a LoRA; none by default.)
    using ProjectionHook = std::function<torch::Tensor(const torch::Tensor& input)>;

    explicit AttentionImpl(const AttentionOptions& options);

    // hidden: [B, N, C] or [B, C, H, W] (the latter is flattened to tokens and restored, as diffusers does).
    // context: [B, M, crossAttentionDim]; undefined for self-attention.
    torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& context = {});

    torch::Tensor project(Projection which, const torch::Tensor& x);
    torch::nn::Linear& projection(Projection which);
    void setProjectionHook(Projection which, ProjectionHook hook) { m_hooks[which] = std::move(hook); }
    const AttentionOptions& options() const { return m_options; }

    torch::nn::GroupNorm group_norm{nullptr};
    torch::nn::Linear to_q{nullptr};
    torch::nn::Linear to_k{nullptr};
    torch::nn::Linear to_v{nullptr};
    torch::nn::ModuleList to_out{nullptr};  // [Linear, Dropout]

private:
    friend class CrossAttentionCache;
    // Keys and values already projected, per context, while a CrossAttentionCache is alive (see there).
    struct KeyValueCache {
        struct Entry {
            torch::Tensor context, k, v;  // the context is held: its memory cannot be reused while cached
        };
        std::mutex mutex;  // the halves of a guidance batch may run on two threads
        int scopes = 0;
        std::vector<Entry> entries;
    };
    std::pair<torch::Tensor, torch::Tensor> keysValues(const torch::Tensor& kv, int64_t batch);

    AttentionOptions m_options;
    torch::nn::Linear m_toOut{nullptr};
    std::array<ProjectionHook, 4> m_hooks;
    std::shared_ptr<KeyValueCache> m_kvCache = std::make_shared<KeyValueCache>();
};
TORCH_MODULE(Attention);

// While alive, each cross-attention in `module` (keys and values from a context: a UNet's text conditioning) keeps
// the keys and values it projects for a context and reuses them when the same context (same memory, sizes and
// strides) comes again. A denoising loop calls the UNet with two or three contexts at every step; projecting their
// 77 tokens anew each time was about a tenth of the embedded model's arithmetic. For a loop whose contexts and
// weights do not change while it runs (the pipelines' inversion and denoising loops, core/pipelines/sd_pipeline.cpp);
// nothing is cached while autograd records, and everything is dropped when the last cache of a module goes.
class CrossAttentionCache {
public:
    explicit CrossAttentionCache(torch::nn::Module& module);
    ~CrossAttentionCache();
    CrossAttentionCache(const CrossAttentionCache&) = delete;
    CrossAttentionCache& operator=(const CrossAttentionCache&) = delete;

private:
    std::vector<std::shared_ptr<AttentionImpl::KeyValueCache>> m_caches;
};

// GEGLU: proj -> (hidden, gate) -> hidden * gelu(gate).
class GEGLUImpl : public torch::nn::Module {
public:
    GEGLUImpl(int64_t dimIn, int64_t dimOut);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Linear proj{nullptr};
};
TORCH_MODULE(GEGLU);

// FeedForward with activation "geglu": net = [GEGLU, Dropout, Linear].
class FeedForwardImpl : public torch::nn::Module {
public:
    FeedForwardImpl(int64_t dim, int64_t mult = 4);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::ModuleList net{nullptr};

private:
    GEGLU m_geglu{nullptr};
    torch::nn::Linear m_out{nullptr};
};
TORCH_MODULE(FeedForward);

struct BasicTransformerBlockOptions {
    int64_t dim = 0;
    int64_t heads = 8;
    int64_t dimHead = 64;
    int64_t crossAttentionDim = 0;
    bool onlyCrossAttention = false;
    bool upcastAttention = false;
    double normEps = 1e-5;
};

// norm_type "layer_norm": x += attn1(norm1(x)); x += attn2(norm2(x), context); x += ff(norm3(x)).
class BasicTransformerBlockImpl : public torch::nn::Module {
public:
    explicit BasicTransformerBlockImpl(const BasicTransformerBlockOptions& options);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

    torch::nn::LayerNorm norm1{nullptr};
    Attention attn1{nullptr};
    torch::nn::LayerNorm norm2{nullptr};
    Attention attn2{nullptr};
    torch::nn::LayerNorm norm3{nullptr};
    FeedForward ff{nullptr};

private:
    bool m_onlyCrossAttention;
};
TORCH_MODULE(BasicTransformerBlock);

struct Transformer2DModelOptions {
    int64_t heads = 8;
    int64_t dimHead = 64;
    int64_t inChannels = 0;
    int64_t numLayers = 1;
    int64_t crossAttentionDim = 0;
    int64_t normNumGroups = 32;
    bool useLinearProjection = false;
    bool onlyCrossAttention = false;
    bool upcastAttention = false;
};

// Continuous-input Transformer2DModel: GroupNorm -> proj_in (1x1 conv or Linear) -> blocks -> proj_out, + residual.
class Transformer2DModelImpl : public torch::nn::Module {
public:
    explicit Transformer2DModelImpl(const Transformer2DModelOptions& options);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

    torch::nn::GroupNorm norm{nullptr};
    torch::nn::ModuleList transformer_blocks{nullptr};
    std::vector<BasicTransformerBlock> blocks;

private:
    torch::Tensor projIn(const torch::Tensor& x);
    torch::Tensor projOut(const torch::Tensor& x);

    Transformer2DModelOptions m_options;
    Conv2d m_projInConv{nullptr}, m_projOutConv{nullptr};
    torch::nn::Linear m_projInLinear{nullptr}, m_projOutLinear{nullptr};
};
TORCH_MODULE(Transformer2DModel);

}  // namespace diffii
