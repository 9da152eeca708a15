// UNet2DConditionModel (Stable Diffusion 1.x / 2.x denoiser), after diffusers 0.25.1
// models/unets/unet_2d_condition.py. Parameter names equal diffusers' state-dict keys, so diffusers checkpoints load
// with loadStateDict unchanged.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/models/embeddings.h"
#include "core/models/unet_2d_blocks.h"

namespace diffii {

struct UNet2DConditionConfig {
    int64_t inChannels = 4;
    int64_t outChannels = 4;
    int64_t sampleSize = 64;
    bool centerInputSample = false;
    bool flipSinToCos = true;
    double freqShift = 0.0;
    std::vector<std::string> downBlockTypes{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                            "DownBlock2D"};
    std::string midBlockType = "UNetMidBlock2DCrossAttn";
    std::vector<std::string> upBlockTypes{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                                          "CrossAttnUpBlock2D"};
    std::vector<int64_t> blockOutChannels{320, 640, 1280, 1280};
    // Per down block (the up blocks use them reversed), expanded from an int where the config has one.
    std::vector<int64_t> layersPerBlock{2, 2, 2, 2};
    std::vector<int64_t> transformerLayersPerBlock{1, 1, 1, 1};
    std::vector<int64_t> numAttentionHeads{8, 8, 8, 8};  // heads (diffusers: num_attention_heads or attention_head_dim)
    std::vector<int64_t> crossAttentionDim{768, 768, 768, 768};
    std::vector<bool> onlyCrossAttention{false, false, false, false};
    int64_t downsamplePadding = 1;
    double midBlockScaleFactor = 1.0;
    int64_t normNumGroups = 32;
    double normEps = 1e-5;
    bool useLinearProjection = false;
    bool upcastAttention = false;
    int64_t timeEmbeddingDim = 0;  // 0: 4 * blockOutChannels[0]
    int64_t convInKernel = 3;
    int64_t convOutKernel = 3;

    // Reads a diffusers config.json. The keys every diffusers version writes (those of SD 1.4's config) are required;
    // later additions take diffusers' defaults when absent. A missing key, an unsupported option or a value outside
    // core/models/config_limits.h, and a model above the parameter budget, are a diffii::Error naming the file, the
    // key and the value.
    static UNet2DConditionConfig fromJson(const nlohmann::json& j, const std::string& file);
    static UNet2DConditionConfig fromFile(const std::string& path);

    int64_t timeEmbedDim() const { return timeEmbeddingDim > 0 ? timeEmbeddingDim : blockOutChannels[0] * 4; }
    // The parameter count of UNet2DConditionModel(*this), computed from the config alone (nothing is allocated).
    int64_t parameterCount() const;
};

class UNet2DConditionModelImpl : public torch::nn::Module {
public:
    explicit UNet2DConditionModelImpl(const UNet2DConditionConfig& config);

    // sample [B, inChannels, H, W] (any H, W), timestep 0-dim or [B] of any integer/float dtype, encoderHiddenStates
    // [B, M, crossAttentionDim]. Inputs are cast to the module's dtype; the output [B, outChannels, H, W] has it.
    // With `intermediates`, the outputs of time_proj, time_embedding, conv_in, down_blocks.i, mid_block, up_blocks.i,
    // conv_norm_out and conv_out are stored under those names.
    torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timestep,
                          const torch::Tensor& encoderHiddenStates, TensorMap* intermediates = nullptr);

    const UNet2DConditionConfig& config() const { return m_config; }
    // The dtype the module computes in (that of conv_in's weight).
    torch::Dtype dtype() const;

    Conv2d conv_in{nullptr};
    Timesteps time_proj{nullptr};
    TimestepEmbedding time_embedding{nullptr};
    torch::nn::ModuleList down_blocks{nullptr};
    UNetMidBlock2DCrossAttn mid_block{nullptr};
    torch::nn::ModuleList up_blocks{nullptr};
    torch::nn::GroupNorm conv_norm_out{nullptr};
    Conv2d conv_out{nullptr};

private:
    UNet2DConditionConfig m_config;
    std::vector<std::shared_ptr<UNetDownBlock>> m_downBlocks;
    std::vector<std::shared_ptr<UNetUpBlock>> m_upBlocks;
};
TORCH_MODULE(UNet2DConditionModel);

}  // namespace diffii
