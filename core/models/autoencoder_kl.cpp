#include "core/models/autoencoder_kl.h"

#include <sstream>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/models/layers.h"
#include "core/models/resnet.h"

namespace diffii {

namespace nn = torch::nn;

namespace {

void checkTypes(const std::vector<std::string>& types, const std::string& key, const std::string& supported,
                const std::string& file) {
    for (size_t i = 0; i < types.size(); ++i)
        if (types[i] != supported)
            throw Error(file + ": " + key + "[" + std::to_string(i) + "] '" + types[i] +
                        "' is not supported (supported: " + supported + ")");
}

UNetBlockOptions vaeBlock(const AutoencoderKLConfig& c) {
    UNetBlockOptions o;
    o.tembChannels = 0;
    o.resnetEps = 1e-6;
    o.resnetGroups = c.normNumGroups;
    o.downsamplePadding = 0;
    return o;
}

}  // namespace

AutoencoderKLConfig AutoencoderKLConfig::fromJson(const nlohmann::json& j, const std::string& file) {
    if (!j.is_object()) throw Error(file + ": expected a JSON object");
    AutoencoderKLConfig c;
    c.inChannels = jsonValue<int64_t>(j, "in_channels", 3, file);
    c.outChannels = jsonValue<int64_t>(j, "out_channels", 3, file);
    c.downBlockTypes = jsonValue<std::vector<std::string>>(j, "down_block_types", c.downBlockTypes, file);
    c.upBlockTypes = jsonValue<std::vector<std::string>>(j, "up_block_types", c.upBlockTypes, file);
    c.blockOutChannels = jsonValue<std::vector<int64_t>>(j, "block_out_channels", c.blockOutChannels, file);
    c.layersPerBlock = jsonValue<int64_t>(j, "layers_per_block", 1, file);
    c.latentChannels = jsonValue<int64_t>(j, "latent_channels", 4, file);
    c.normNumGroups = jsonValue<int64_t>(j, "norm_num_groups", 32, file);
    c.sampleSize = jsonValue<int64_t>(j, "sample_size", 32, file);
    c.scalingFactor = jsonValue<double>(j, "scaling_factor", 0.18215, file);
    c.forceUpcast = jsonValue<bool>(j, "force_upcast", true, file);
    checkTypes(c.downBlockTypes, "down_block_types", "DownEncoderBlock2D", file);
    checkTypes(c.upBlockTypes, "up_block_types", "UpDecoderBlock2D", file);
    const auto act = jsonValue<std::string>(j, "act_fn", "silu", file);
    if (act != "silu") throw Error(file + ": act_fn '" + act + "' is not supported (supported: silu)");
    for (const char* key : {"use_quant_conv", "use_post_quant_conv", "mid_block_add_attention"})
        if (!jsonValue<bool>(j, key, true, file))
            throw Error(file + ": key '" + std::string(key) + "' is false, but only true is supported");
    if (j.contains("shift_factor") && !j["shift_factor"].is_null() && j["shift_factor"] != 0)
        throw Error(file + ": key 'shift_factor' is " + j["shift_factor"].dump() + ", but only null is supported");
    if (c.blockOutChannels.empty() || c.downBlockTypes.size() != c.blockOutChannels.size() ||
        c.upBlockTypes.size() != c.blockOutChannels.size()) {
        std::ostringstream os;
        os << file << ": down_block_types, up_block_types and block_out_channels must have the same, non-zero length"
           << " (got " << c.downBlockTypes.size() << ", " << c.upBlockTypes.size() << ", " << c.blockOutChannels.size()
           << ")";
        throw Error(os.str());
    }
    for (size_t i = 0; i < c.blockOutChannels.size(); ++i)
        if (c.blockOutChannels[i] % c.normNumGroups != 0)
            throw Error(file + ": block_out_channels[" + std::to_string(i) +
                        "] = " + std::to_string(c.blockOutChannels[i]) + " is not divisible by norm_num_groups " +
                        std::to_string(c.normNumGroups));
    return c;
}

AutoencoderKLConfig AutoencoderKLConfig::fromFile(const std::string& path) {
    return fromJson(readJsonFile(path), path);
}

DiagonalGaussian DiagonalGaussian::fromMoments(const torch::Tensor& moments) {
    DiagonalGaussian g;
    g.moments = moments;
    auto parts = moments.chunk(2, 1);
    g.mean = parts[0];
    g.logvar = torch::clamp(parts[1], -30.0, 20.0);
    g.std = torch::exp(0.5 * g.logvar);
    return g;
}

EncoderImpl::EncoderImpl(const AutoencoderKLConfig& c) {
    const auto& ch = c.blockOutChannels;
    conv_in = register_module("conv_in", nn::Conv2d(nn::Conv2dOptions(c.inChannels, ch[0], 3).padding(1)));
    down_blocks = register_module("down_blocks", nn::ModuleList());
    int64_t out = ch[0];
    for (size_t i = 0; i < ch.size(); ++i) {
        auto o = vaeBlock(c);
        o.inChannels = out;
        out = ch[i];
        o.outChannels = out;
        o.numLayers = c.layersPerBlock;
        o.addDownsample = i + 1 < ch.size();
        m_downBlocks.push_back(DownEncoderBlock2D(o));
        down_blocks->push_back(m_downBlocks.back());
    }
    auto mid = vaeBlock(c);
    mid.inChannels = mid.outChannels = ch.back();
    mid.numLayers = 1;
    mid_block = register_module("mid_block", UNetMidBlock2D(mid));
    conv_norm_out =
        register_module("conv_norm_out", nn::GroupNorm(nn::GroupNormOptions(c.normNumGroups, ch.back()).eps(1e-6)));
    conv_out =
        register_module("conv_out", nn::Conv2d(nn::Conv2dOptions(ch.back(), 2 * c.latentChannels, 3).padding(1)));
}

torch::Tensor EncoderImpl::forward(const torch::Tensor& x, TensorMap* intermediates, const std::string& prefix) {
    auto capture = [&](const std::string& name, const torch::Tensor& t) {
        if (intermediates) (*intermediates)[prefix + name] = t;
    };
    auto h = conv_in(x);
    capture("conv_in", h);
    for (size_t i = 0; i < m_downBlocks.size(); ++i) {
        h = m_downBlocks[i](h);
        capture("down_blocks." + std::to_string(i), h);
    }
    h = mid_block(h);
    capture("mid_block", h);
    h = conv_out(groupNormSilu(conv_norm_out, h));
    capture("conv_out", h);
    return h;
}

DecoderImpl::DecoderImpl(const AutoencoderKLConfig& c) {
    std::vector<int64_t> rev(c.blockOutChannels.rbegin(), c.blockOutChannels.rend());
    conv_in = register_module("conv_in", nn::Conv2d(nn::Conv2dOptions(c.latentChannels, rev[0], 3).padding(1)));
    auto mid = vaeBlock(c);
    mid.inChannels = mid.outChannels = rev[0];
    mid.numLayers = 1;
    mid_block = register_module("mid_block", UNetMidBlock2D(mid));
    up_blocks = register_module("up_blocks", nn::ModuleList());
    int64_t out = rev[0];
    for (size_t i = 0; i < rev.size(); ++i) {
        auto o = vaeBlock(c);
        o.inChannels = out;
        out = rev[i];
        o.outChannels = out;
        o.numLayers = c.layersPerBlock + 1;
        o.addUpsample = i + 1 < rev.size();
        m_upBlocks.push_back(UpDecoderBlock2D(o));
        up_blocks->push_back(m_upBlocks.back());
    }
    conv_norm_out =
        register_module("conv_norm_out", nn::GroupNorm(nn::GroupNormOptions(c.normNumGroups, rev.back()).eps(1e-6)));
    conv_out = register_module("conv_out", nn::Conv2d(nn::Conv2dOptions(rev.back(), c.outChannels, 3).padding(1)));
}

torch::Tensor DecoderImpl::forward(const torch::Tensor& z, TensorMap* intermediates, const std::string& prefix) {
    auto capture = [&](const std::string& name, const torch::Tensor& t) {
        if (intermediates) (*intermediates)[prefix + name] = t;
    };
    auto h = conv_in(z);
    capture("conv_in", h);
    h = mid_block(h);
    capture("mid_block", h);
    for (size_t i = 0; i < m_upBlocks.size(); ++i) {
        h = m_upBlocks[i](h);
        capture("up_blocks." + std::to_string(i), h);
    }
    if (intermediates) {
        h = groupNormF32(conv_norm_out, h);
        capture("conv_norm_out", h);
        h = torch::silu(h);
    } else {
        h = groupNormSilu(conv_norm_out, h);
    }
    h = conv_out(h);
    capture("conv_out", h);
    return h;
}

AutoencoderKLImpl::AutoencoderKLImpl(const AutoencoderKLConfig& config) : m_config(config) {
    const int64_t lat = config.latentChannels;
    encoder = register_module("encoder", Encoder(config));
    decoder = register_module("decoder", Decoder(config));
    quant_conv = register_module("quant_conv", nn::Conv2d(nn::Conv2dOptions(2 * lat, 2 * lat, 1)));
    post_quant_conv = register_module("post_quant_conv", nn::Conv2d(nn::Conv2dOptions(lat, lat, 1)));
}

torch::Dtype AutoencoderKLImpl::dtype() const { return quant_conv->weight.scalar_type(); }

DiagonalGaussian AutoencoderKLImpl::encode(const torch::Tensor& image, TensorMap* intermediates) {
    TORCH_CHECK(image.dim() == 4, "VAE image must be [B, C, H, W], got ", image.sizes());
    auto h = encoder(image.to(quant_conv->weight.device(), dtype()), intermediates, "encoder.");
    auto moments = quant_conv(h);
    if (intermediates) (*intermediates)["quant_conv"] = moments;
    return DiagonalGaussian::fromMoments(moments);
}

std::pair<torch::Tensor, torch::Tensor> AutoencoderKLImpl::encodeMeanLogvar(const torch::Tensor& image) {
    auto g = encode(image);
    return {g.mean, g.logvar};
}

torch::Tensor AutoencoderKLImpl::decode(const torch::Tensor& latent, TensorMap* intermediates) {
    TORCH_CHECK(latent.dim() == 4, "VAE latent must be [B, C, H, W], got ", latent.sizes());
    auto z = post_quant_conv(latent.to(quant_conv->weight.device(), dtype()));
    if (intermediates) (*intermediates)["post_quant_conv"] = z;
    return decoder(z, intermediates, "decoder.");
}

std::string vaeLegacyKeyRename(const std::string& key) {
    static const std::pair<const char*, const char*> kNames[] = {
        {"query", "to_q"}, {"key", "to_k"}, {"value", "to_v"}, {"proj_attn", "to_out.0"}};
    // …attentions.<n>.<legacy>.<weight|bias>
    const auto last = key.rfind('.');
    if (last == std::string::npos || last == 0) return key;
    const auto prev = key.rfind('.', last - 1);
    if (prev == std::string::npos) return key;
    const std::string name = key.substr(prev + 1, last - prev - 1);
    if (key.find("attentions.") == std::string::npos) return key;
    for (const auto& [legacy, current] : kNames)
        if (name == legacy) return key.substr(0, prev + 1) + current + key.substr(last);
    return key;
}

}  // namespace diffii
