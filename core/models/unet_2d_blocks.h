// The down, mid and up blocks of the UNet and of the VAE's encoder/decoder, after diffusers'
// models/unets/unet_2d_blocks.py. The UNet holds its blocks through the UNetDownBlock / UNetUpBlock interfaces so
// that down_blocks / up_blocks can mix block types under diffusers' names.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "core/models/attention.h"
#include "core/models/resnet.h"

namespace diffii {

// Named tensors captured during a forward pass (diffusers forward-hook names, e.g. "down_blocks.0").
using TensorMap = std::map<std::string, torch::Tensor>;

// Settings shared by the blocks of one UNet.
struct UNetBlockOptions {
    int64_t numLayers = 2;
    int64_t transformerLayers = 1;
    int64_t inChannels = 0;
    int64_t outChannels = 0;
    int64_t prevOutputChannels = 0;  // up blocks: channels coming from the previous (deeper) block
    int64_t tembChannels = 0;
    bool addDownsample = true;
    bool addUpsample = true;
    double resnetEps = 1e-5;
    int64_t resnetGroups = 32;
    double outputScaleFactor = 1.0;
    int64_t downsamplePadding = 1;
    int64_t crossAttentionDim = 0;
    int64_t numAttentionHeads = 8;
    bool useLinearProjection = false;
    bool onlyCrossAttention = false;
    bool upcastAttention = false;
};

// In every block, temb is the time embedding after the SiLU that diffusers applies at the start of each resnet's
// time projection; the UNet applies it once for all its resnets (see ResnetBlock2DImpl::forward).
class UNetDownBlock : public torch::nn::Module {
public:
    // Returns the block's output and the states it passes to the skip connections (one per resnet + downsampler).
    virtual std::pair<torch::Tensor, std::vector<torch::Tensor>> forward(const torch::Tensor& x,
                                                                         const torch::Tensor& temb,
                                                                         const torch::Tensor& context) = 0;
    virtual bool hasCrossAttention() const = 0;
};

class UNetUpBlock : public torch::nn::Module {
public:
    // skips: the skip states this block consumes (the last one first), outputSize: the upsampler's output size when
    // the input is not a multiple of the UNet's total down-sampling factor.
    virtual torch::Tensor forward(const torch::Tensor& x, std::vector<torch::Tensor> skips, const torch::Tensor& temb,
                                  const torch::Tensor& context,
                                  const std::optional<std::vector<int64_t>>& outputSize) = 0;
    virtual int64_t numResnets() const = 0;
    virtual bool hasCrossAttention() const = 0;
};

// CrossAttnDownBlock2D (withAttention) and DownBlock2D.
class DownBlock2DImpl : public UNetDownBlock {
public:
    DownBlock2DImpl(const UNetBlockOptions& options, bool withAttention);
    std::pair<torch::Tensor, std::vector<torch::Tensor>> forward(const torch::Tensor& x, const torch::Tensor& temb,
                                                                 const torch::Tensor& context) override;
    bool hasCrossAttention() const override { return !m_attentions.empty(); }

    torch::nn::ModuleList attentions{nullptr};
    torch::nn::ModuleList resnets{nullptr};
    torch::nn::ModuleList downsamplers{nullptr};

private:
    std::vector<ResnetBlock2D> m_resnets;
    std::vector<Transformer2DModel> m_attentions;
    Downsample2D m_downsampler{nullptr};
};
TORCH_MODULE(DownBlock2D);

// CrossAttnUpBlock2D (withAttention) and UpBlock2D.
class UpBlock2DImpl : public UNetUpBlock {
public:
    UpBlock2DImpl(const UNetBlockOptions& options, bool withAttention);
    torch::Tensor forward(const torch::Tensor& x, std::vector<torch::Tensor> skips, const torch::Tensor& temb,
                          const torch::Tensor& context, const std::optional<std::vector<int64_t>>& outputSize) override;
    int64_t numResnets() const override { return int64_t(m_resnets.size()); }
    bool hasCrossAttention() const override { return !m_attentions.empty(); }

    torch::nn::ModuleList attentions{nullptr};
    torch::nn::ModuleList resnets{nullptr};
    torch::nn::ModuleList upsamplers{nullptr};

private:
    std::vector<ResnetBlock2D> m_resnets;
    std::vector<Transformer2DModel> m_attentions;
    Upsample2D m_upsampler{nullptr};
};
TORCH_MODULE(UpBlock2D);

// UNetMidBlock2DCrossAttn: resnet, then (transformer, resnet) x numLayers. Uses inChannels, numLayers (default 1).
class UNetMidBlock2DCrossAttnImpl : public torch::nn::Module {
public:
    explicit UNetMidBlock2DCrossAttnImpl(const UNetBlockOptions& options);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb, const torch::Tensor& context);

    torch::nn::ModuleList attentions{nullptr};
    torch::nn::ModuleList resnets{nullptr};

private:
    std::vector<ResnetBlock2D> m_resnets;
    std::vector<Transformer2DModel> m_attentions;
};
TORCH_MODULE(UNetMidBlock2DCrossAttn);

// --- VAE blocks (no time embedding) ---

// DownEncoderBlock2D: resnets, then an optional Downsample2D (padding downsamplePadding; the VAE uses 0).
class DownEncoderBlock2DImpl : public torch::nn::Module {
public:
    explicit DownEncoderBlock2DImpl(const UNetBlockOptions& options);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::ModuleList resnets{nullptr};
    torch::nn::ModuleList downsamplers{nullptr};

private:
    std::vector<ResnetBlock2D> m_resnets;
    Downsample2D m_downsampler{nullptr};
};
TORCH_MODULE(DownEncoderBlock2D);

// UpDecoderBlock2D: resnets, then an optional 2x Upsample2D.
class UpDecoderBlock2DImpl : public torch::nn::Module {
public:
    explicit UpDecoderBlock2DImpl(const UNetBlockOptions& options);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::ModuleList resnets{nullptr};
    torch::nn::ModuleList upsamplers{nullptr};

private:
    std::vector<ResnetBlock2D> m_resnets;
    Upsample2D m_upsampler{nullptr};
};
TORCH_MODULE(UpDecoderBlock2D);

// UNetMidBlock2D as the VAE uses it: resnet, then (single-head self-attention with group_norm and a residual,
// resnet) x numLayers (default 1). The attention head dimension is the channel count (attention_head_dim =
// block_out_channels[-1] in diffusers' Encoder/Decoder).
class UNetMidBlock2DImpl : public torch::nn::Module {
public:
    explicit UNetMidBlock2DImpl(const UNetBlockOptions& options);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::ModuleList attentions{nullptr};
    torch::nn::ModuleList resnets{nullptr};

private:
    std::vector<ResnetBlock2D> m_resnets;
    std::vector<Attention> m_attentions;
};
TORCH_MODULE(UNetMidBlock2D);

}  // namespace diffii
