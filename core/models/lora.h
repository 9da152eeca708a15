// LoRA on the UNet's attention projections (to_q, to_k, to_v, to_out.0 of attn1/attn2), as diffusers'
// LoRACompatibleLinear + LoRALinearLayer: y = W x + b + scale · (alpha/rank) · up(down(x)).
// Reads the four key conventions in use (diffusers, attn-procs/Diff-Mix, PEFT, kohya) and writes the diffusers one.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/models/unet_2d_condition.h"

namespace diffii {

// One low-rank adapter for one Linear: down [rank, in], up [out, rank].
class LoraLayerImpl : public torch::nn::Module {
public:
    LoraLayerImpl(int64_t in, int64_t out, int64_t rank, double networkAlpha = 0.0 /* 0: alpha = rank */);
    torch::Tensor forward(const torch::Tensor& x);  // up(down(x)) · alpha/rank, in the layer's dtype
    int64_t rank() const { return down->weight.size(0); }
    double multiplier() const { return m_multiplier; }
    void setNetworkAlpha(double alpha);

    torch::nn::Linear down{nullptr};
    torch::nn::Linear up{nullptr};

private:
    double m_multiplier = 1.0;
};
TORCH_MODULE(LoraLayer);

// A set of LoRA layers keyed by the UNet module path of the Linear they adapt
// (e.g. "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"). Its parameters are registered under
// "<path with . replaced by _>.{down,up}.weight", so an optimizer can train them.
class UNetLoraImpl : public torch::nn::Module {
public:
    UNetLoraImpl() = default;

    // Fresh adapters on every attention projection of the UNet (down ~ N(0, 1/rank), up = 0, as diffusers).
    static std::shared_ptr<UNetLoraImpl> create(UNet2DConditionModelImpl& unet, int64_t rank, uint64_t seed);

    // Reads a LoRA file in any supported convention; every key must map onto a projection of this UNet,
    // with matching shapes (errors name the file and key).
    static std::shared_ptr<UNetLoraImpl> load(const std::string& path, UNet2DConditionModelImpl& unet);

    // Writes the diffusers convention (unet.<module>.lora.down.weight / .lora.up.weight), atomically.
    void save(const std::string& path, const std::map<std::string, std::string>& metadata = {}) const;

    // Adds the adapters to the UNet's projections with the given scale (cross_attention_kwargs["scale"]).
    // scale 0 or detach() removes them.
    void attach(UNet2DConditionModelImpl& unet, double scale = 1.0);
    static void detach(UNet2DConditionModelImpl& unet);

    // Merges the adapters into the projections' weights for inference: W += scale · (alpha/rank) · up · down,
    // computed in float32 and stored in the weight's dtype. A forward pass then costs what the base model costs.
    // The weights it replaces are kept, so unfuse() (or a later fuse()/attach()) restores them exactly.
    // Training needs attach(): a fused adapter has no gradient path.
    void fuse(UNet2DConditionModelImpl& unet, double scale = 1.0);
    void unfuse(UNet2DConditionModelImpl& unet);
    bool fused() const { return !m_unfusedWeights.empty(); }

    LoraLayer add(const std::string& modulePath, int64_t in, int64_t out, int64_t rank, double networkAlpha = 0.0);
    const std::map<std::string, LoraLayer>& layers() const { return m_layers; }
    std::string format;  // convention it was read from: "diffusers", "attn_procs", "peft", "kohya", or "new"

private:
    std::map<std::string, LoraLayer> m_layers;
    std::map<std::string, torch::Tensor> m_unfusedWeights;  // module path -> weight before fuse()
};
TORCH_MODULE(UNetLora);

// Module paths of every attention projection Linear of the UNet, in a fixed order.
std::vector<std::string> unetAttentionProjectionPaths(UNet2DConditionModelImpl& unet);

}  // namespace diffii
