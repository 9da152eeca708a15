#include "core/models/resnet.h"

#include "core/models/layers.h"

namespace diffii {

namespace nn = torch::nn;

torch::Tensor groupNormSilu(const nn::GroupNorm& norm, const torch::Tensor& x) {
    if (x.scalar_type() == torch::kFloat32) {
        // The normalised tensor is this function's own: without autograd, the activation overwrites it (one
        // activation-sized buffer less at the peak: 256 MiB for the VAE decoder at 512x512).
        auto y = groupNormF32(norm, x);
        return torch::GradMode::is_enabled() ? torch::silu(y) : torch::silu_(y);
    }
    // One round trip instead of two: the activation runs on the float32 normalised values.
    const auto& o = norm->options;
    auto y = torch::group_norm(x.to(torch::kFloat32), o.num_groups(), norm->weight, norm->bias, o.eps());
    return torch::silu_(y).to(x.scalar_type());
}

ResnetBlock2DImpl::ResnetBlock2DImpl(const ResnetBlock2DOptions& options) : m_options(options) {
    const auto& o = options;
    norm1 = register_module("norm1", nn::GroupNorm(nn::GroupNormOptions(o.groups, o.inChannels).eps(o.eps)));
    conv1 = register_module("conv1", Conv2d(nn::Conv2dOptions(o.inChannels, o.outChannels, 3).padding(1)));
    if (o.tembChannels > 0) time_emb_proj = register_module("time_emb_proj", nn::Linear(o.tembChannels, o.outChannels));
    norm2 = register_module("norm2", nn::GroupNorm(nn::GroupNormOptions(o.groups, o.outChannels).eps(o.eps)));
    conv2 = register_module("conv2", Conv2d(nn::Conv2dOptions(o.outChannels, o.outChannels, 3).padding(1)));
    if (o.inChannels != o.outChannels)
        conv_shortcut = register_module("conv_shortcut", Conv2d(nn::Conv2dOptions(o.inChannels, o.outChannels, 1)));
}

torch::Tensor ResnetBlock2DImpl::forward(const torch::Tensor& x, const torch::Tensor& temb) {
    // The time projection [B, out]: a single row goes in through conv1's bias, several are added per entry.
    const auto offset = time_emb_proj && temb.defined() ? time_emb_proj(temb) : torch::Tensor();
    const bool oneRow = offset.defined() && offset.size(0) == 1;
    auto h = conv1->forward(groupNormSilu(norm1, x), oneRow ? offset[0] : torch::Tensor());
    if (offset.defined() && !oneRow) h = h + offset.unsqueeze(-1).unsqueeze(-1);
    // dropout is 0 in every supported configuration (inference)
    h = conv2(groupNormSilu(norm2, h));
    auto shortcut = conv_shortcut ? conv_shortcut(x) : x;
    if (!torch::GradMode::is_enabled()) {  // h is this block's own: the sum goes into it
        h.add_(shortcut);
        if (m_options.outputScaleFactor != 1.0) h.div_(m_options.outputScaleFactor);
        return h;
    }
    auto out = shortcut + h;
    if (m_options.outputScaleFactor != 1.0) out = out / m_options.outputScaleFactor;
    return out;
}

Downsample2DImpl::Downsample2DImpl(int64_t channels, int64_t outChannels, int64_t padding) : m_padding(padding) {
    conv = register_module("conv", Conv2d(nn::Conv2dOptions(channels, outChannels, 3).stride(2).padding(padding)));
}

torch::Tensor Downsample2DImpl::forward(const torch::Tensor& x) {
    if (m_padding == 0) return conv(torch::constant_pad_nd(x, {0, 1, 0, 1}, 0));
    return conv(x);
}

Upsample2DImpl::Upsample2DImpl(int64_t channels, int64_t outChannels) {
    conv = register_module("conv", Conv2d(nn::Conv2dOptions(channels, outChannels, 3).padding(1)));
}

torch::Tensor Upsample2DImpl::forward(const torch::Tensor& x, std::optional<std::vector<int64_t>> outputSize) {
    std::vector<int64_t> size = outputSize ? *outputSize : std::vector<int64_t>{x.size(2) * 2, x.size(3) * 2};
    // Nearest neighbour with size = 2x picks src = floor(dst / 2), identical to scale_factor=2.
    auto up = torch::upsample_nearest2d(x, size);
    return conv(up);
}

}  // namespace diffii
