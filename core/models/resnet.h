// ResNet building blocks of the UNet and the VAE, after diffusers' models/resnet.py and models/downsampling.py /
// upsampling.py (ResnetBlock2D with time_embedding_norm "default", Downsample2D and Upsample2D with a conv).
#pragma once

#include <optional>

#include <torch/torch.h>

#include "core/models/layers.h"

namespace diffii {

struct ResnetBlock2DOptions {
    int64_t inChannels = 0;
    int64_t outChannels = 0;
    int64_t tembChannels = 0;  // 0: no time embedding (VAE)
    int64_t groups = 32;
    double eps = 1e-6;
    double outputScaleFactor = 1.0;
};

class ResnetBlock2DImpl : public torch::nn::Module {
public:
    explicit ResnetBlock2DImpl(const ResnetBlock2DOptions& options);
    // temb: [B, tembChannels], the time embedding after its SiLU (diffusers applies silu(temb) here, in every
    // resnet; the UNet does it once for all of them), or undefined when the block has no time embedding projection.
    // A single projected row (batch 1, or one timestep for the batch) is added through conv1's bias.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb = {});

    torch::nn::GroupNorm norm1{nullptr};
    Conv2d conv1{nullptr};
    torch::nn::Linear time_emb_proj{nullptr};
    torch::nn::GroupNorm norm2{nullptr};
    Conv2d conv2{nullptr};
    Conv2d conv_shortcut{nullptr};

private:
    ResnetBlock2DOptions m_options;
};
TORCH_MODULE(ResnetBlock2D);

// Stride-2 3x3 conv. padding 0 pads (0, 1, 0, 1) first, as the VAE encoder does (downsample_padding=0).
class Downsample2DImpl : public torch::nn::Module {
public:
    Downsample2DImpl(int64_t channels, int64_t outChannels, int64_t padding);
    torch::Tensor forward(const torch::Tensor& x);

    Conv2d conv{nullptr};

private:
    int64_t m_padding;
};
TORCH_MODULE(Downsample2D);

// Nearest 2x upsampling (or to outputSize, for inputs that are not multiples of the UNet's total factor) + 3x3 conv.
class Upsample2DImpl : public torch::nn::Module {
public:
    Upsample2DImpl(int64_t channels, int64_t outChannels);
    torch::Tensor forward(const torch::Tensor& x, std::optional<std::vector<int64_t>> outputSize = std::nullopt);

    Conv2d conv{nullptr};
};
TORCH_MODULE(Upsample2D);

// SiLU(GroupNorm(x)) with the norm in float32 and the result in x's dtype.
torch::Tensor groupNormSilu(const torch::nn::GroupNorm& norm, const torch::Tensor& x);

}  // namespace diffii
