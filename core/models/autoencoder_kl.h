// AutoencoderKL (the Stable Diffusion VAE), after diffusers 0.25.1 models/autoencoders/autoencoder_kl.py and
// models/autoencoders/vae.py (Encoder, Decoder, DiagonalGaussianDistribution).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/models/unet_2d_blocks.h"

namespace diffii {

struct AutoencoderKLConfig {
    int64_t inChannels = 3;
    int64_t outChannels = 3;
    std::vector<std::string> downBlockTypes{"DownEncoderBlock2D"};
    std::vector<std::string> upBlockTypes{"UpDecoderBlock2D"};
    std::vector<int64_t> blockOutChannels{64};
    int64_t layersPerBlock = 1;
    int64_t latentChannels = 4;
    int64_t normNumGroups = 32;
    int64_t sampleSize = 32;
    double scalingFactor = 0.18215;
    bool forceUpcast = true;

    // Reads a diffusers config.json. The keys every diffusers version writes (those of SD 1.4's VAE config) are
    // required; norm_num_groups, scaling_factor and force_upcast take diffusers' defaults when absent. A missing
    // key, an unsupported option or a value outside core/models/config_limits.h, and a model above the parameter
    // budget, are a diffii::Error naming the file, the key and the value.
    static AutoencoderKLConfig fromJson(const nlohmann::json& j, const std::string& file);
    static AutoencoderKLConfig fromFile(const std::string& path);
    // The parameter count of AutoencoderKL(*this), computed from the config alone (nothing is allocated).
    int64_t parameterCount() const;
    // Image pixels per latent pixel (2^(number of down blocks - 1)).
    int64_t downscaleFactor() const { return int64_t(1) << (blockOutChannels.size() - 1); }
};

// The posterior N(mean, exp(logvar)) (diffusers DiagonalGaussianDistribution): moments = [mean, logvar] along the
// channels; logvar is clamped to [-30, 20].
struct DiagonalGaussian {
    torch::Tensor moments;
    torch::Tensor mean;
    torch::Tensor logvar;
    torch::Tensor std;

    static DiagonalGaussian fromMoments(const torch::Tensor& moments);
    torch::Tensor var() const { return torch::exp(logvar); }
    torch::Tensor mode() const { return mean; }
    // mean + std * noise; the caller draws the noise (explicit seeds).
    torch::Tensor sample(const torch::Tensor& noise) const { return mean + std * noise.to(mean.dtype()); }
};

class EncoderImpl : public torch::nn::Module {
public:
    explicit EncoderImpl(const AutoencoderKLConfig& config);
    // [B, in, H, W] -> [B, 2 * latent, H / f, W / f]; intermediates are stored as "<prefix>conv_in", ...
    torch::Tensor forward(const torch::Tensor& x, TensorMap* intermediates = nullptr, const std::string& prefix = "");

    Conv2d conv_in{nullptr};
    torch::nn::ModuleList down_blocks{nullptr};
    UNetMidBlock2D mid_block{nullptr};
    torch::nn::GroupNorm conv_norm_out{nullptr};
    Conv2d conv_out{nullptr};

private:
    std::vector<DownEncoderBlock2D> m_downBlocks;
};
TORCH_MODULE(Encoder);

class DecoderImpl : public torch::nn::Module {
public:
    explicit DecoderImpl(const AutoencoderKLConfig& config);
    torch::Tensor forward(const torch::Tensor& z, TensorMap* intermediates = nullptr, const std::string& prefix = "");

    Conv2d conv_in{nullptr};
    torch::nn::ModuleList up_blocks{nullptr};
    UNetMidBlock2D mid_block{nullptr};
    torch::nn::GroupNorm conv_norm_out{nullptr};
    Conv2d conv_out{nullptr};

private:
    std::vector<UpDecoderBlock2D> m_upBlocks;
};
TORCH_MODULE(Decoder);

class AutoencoderKLImpl : public torch::nn::Module {
public:
    explicit AutoencoderKLImpl(const AutoencoderKLConfig& config);

    // image [B, 3, H, W] in [-1, 1] (cast to the module's dtype) -> posterior over [B, latent, H / f, W / f].
    // Unscaled: multiply a sample by config().scalingFactor for the UNet. Intermediates: "encoder.conv_in",
    // "encoder.down_blocks.i", "encoder.mid_block", "encoder.conv_out", "quant_conv".
    DiagonalGaussian encode(const torch::Tensor& image, TensorMap* intermediates = nullptr);
    std::pair<torch::Tensor, torch::Tensor> encodeMeanLogvar(const torch::Tensor& image);
    // Unscaled latent (divide by scalingFactor first) -> image (not clamped). Intermediates: "post_quant_conv",
    // "decoder.conv_in", "decoder.mid_block", "decoder.up_blocks.i", "decoder.conv_norm_out", "decoder.conv_out".
    torch::Tensor decode(const torch::Tensor& latent, TensorMap* intermediates = nullptr);

    const AutoencoderKLConfig& config() const { return m_config; }
    torch::Dtype dtype() const;

    // Channels-last (NHWC) computation: the convolution weights are stored so and encode/decode convert their
    // input, so oneDNN runs its convolutions without reordering each activation to its blocked layout and back
    // (bench_vae compares both). Results are returned contiguous either way.
    void setChannelsLast(bool on);
    bool channelsLast() const { return m_channelsLast; }

    Encoder encoder{nullptr};
    Decoder decoder{nullptr};
    Conv2d quant_conv{nullptr};
    Conv2d post_quant_conv{nullptr};

private:
    torch::Tensor toInput(const torch::Tensor& x) const;

    AutoencoderKLConfig m_config;
    bool m_channelsLast = false;
};
TORCH_MODULE(AutoencoderKL);

// Maps the legacy VAE attention names (…attentions.N.query/key/value/proj_attn.{weight,bias}) to diffusers' current
// ones (to_q/to_k/to_v/to_out.0); other keys are returned unchanged. For LoadOptions::rename.
std::string vaeLegacyKeyRename(const std::string& key);

}  // namespace diffii
