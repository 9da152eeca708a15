#include "core/models/autoencoder_kl.h"

#include <sstream>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/models/config_limits.h"
#include "core/models/layers.h"
#include "core/models/resnet.h"

namespace diffii {

namespace nn = torch::nn;

namespace {

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
    if (!j.is_object()) throw Error(file + ": expected a JSON object, got " + std::string(j.type_name()));
    AutoencoderKLConfig c;
    if (j.contains("_class_name") && j["_class_name"] != "AutoencoderKL")
        throwKeyError(file, "_class_name",
                      jsonExcerpt(j["_class_name"]) + " is not supported (supported: AutoencoderKL)");
    // diffusers writes every __init__ argument into config.json; these are the ones of its first Stable Diffusion
    // release (SD 1.4's VAE config, diffusers 0.2.2). norm_num_groups, scaling_factor, force_upcast came later.
    jsonRequireKeys(j,
                    {"in_channels", "out_channels", "down_block_types", "up_block_types", "block_out_channels",
                     "layers_per_block", "latent_channels", "act_fn", "sample_size"},
                    file, "diffusers writes it into every AutoencoderKL config");
    c.inChannels = jsonInt(j, "in_channels", 1, limits::kMaxIoChannels, file);
    c.outChannels = jsonInt(j, "out_channels", 1, limits::kMaxIoChannels, file);
    c.layersPerBlock = jsonInt(j, "layers_per_block", 1, limits::kMaxLayersPerBlock, file);
    c.latentChannels = jsonInt(j, "latent_channels", 1, limits::kMaxIoChannels, file);
    c.normNumGroups = jsonInt(j, "norm_num_groups", 1, limits::kMaxChannels, file, 32);
    c.sampleSize = jsonInt(j, "sample_size", 1, limits::kMaxVaeSampleSize, file);
    c.scalingFactor = jsonNumber(j, "scaling_factor", 0.0, 1e6, file, 0.18215);
    if (c.scalingFactor == 0.0) throwKeyError(file, "scaling_factor", "must be > 0, got 0");
    c.forceUpcast = jsonValue<bool>(j, "force_upcast", true, file);

    const std::pair<const char*, const char*> lists[] = {{"down_block_types", "DownEncoderBlock2D"},
                                                         {"up_block_types", "UpDecoderBlock2D"}};
    for (const auto& [key, supported] : lists) {
        const auto& v = j.at(key);
        if (!v.is_array() || v.empty() || v.size() > size_t(limits::kMaxBlocks))
            throwKeyError(
                file, key,
                "must be a list of 1 to " + std::to_string(limits::kMaxBlocks) + " block names, got " + jsonExcerpt(v));
        for (size_t i = 0; i < v.size(); ++i)
            if (v[i] != supported)
                throw Error(file + ": key '" + std::string(key) + "[" + std::to_string(i) + "]': " +
                            (v[i].is_string() ? "'" + v[i].get<std::string>().substr(0, 80) + "'" : jsonExcerpt(v[i])) +
                            " is not supported (supported: " + supported + ")");
        (std::string(key) == "down_block_types" ? c.downBlockTypes : c.upBlockTypes) =
            v.get<std::vector<std::string>>();
    }
    const auto& act = j.at("act_fn");
    if (act != "silu") throwKeyError(file, "act_fn", jsonExcerpt(act) + " is not supported (supported: silu)");
    for (const char* key : {"use_quant_conv", "use_post_quant_conv", "mid_block_add_attention"})
        if (!jsonValue<bool>(j, key, true, file))
            throw Error(file + ": key '" + std::string(key) + "' is false, but only true is supported");
    if (j.contains("shift_factor") && !j["shift_factor"].is_null() && j["shift_factor"] != 0)
        throw Error(file + ": key 'shift_factor' is " + jsonExcerpt(j["shift_factor"]) +
                    ", but only null is supported");
    if (c.upBlockTypes.size() != c.downBlockTypes.size())
        throwKeyError(file, "up_block_types",
                      "has " + std::to_string(c.upBlockTypes.size()) + " entries, but 'down_block_types' has " +
                          std::to_string(c.downBlockTypes.size()));
    const auto& channels = j.at("block_out_channels");
    const size_t n = c.downBlockTypes.size();
    if (!channels.is_array() || channels.size() != n)
        throwKeyError(file, "block_out_channels",
                      "must be a list with one channel count per block (" + std::to_string(n) +
                          ", as 'down_block_types'), got " + jsonExcerpt(channels));
    c.blockOutChannels.clear();
    for (size_t i = 0; i < n; ++i) {
        const std::string key = "block_out_channels[" + std::to_string(i) + "]";
        c.blockOutChannels.push_back(jsonIntIn(channels[i], key, 1, limits::kMaxChannels, file));
        if (c.blockOutChannels[i] % c.normNumGroups != 0)
            throwKeyError(file, "norm_num_groups",
                          "'" + key + "' = " + std::to_string(c.blockOutChannels[i]) +
                              " is not divisible by norm_num_groups " + std::to_string(c.normNumGroups));
    }
    checkParameterBudget(c.parameterCount(), "the VAE this config describes", file,
                         "block_out_channels, layers_per_block");
    return c;
}

int64_t AutoencoderKLConfig::parameterCount() const {
    using namespace paramcount;
    const auto& ch = blockOutChannels;
    const size_t n = ch.size();
    // UNetMidBlock2D: resnet, single-head attention with group_norm and biased q/k/v, resnet.
    const auto mid = [](int64_t c) { return 2 * resnetParams(c, c, 0) + 2 * c + 4 * linearParams(c, c); };
    int64_t total = convParams(inChannels, ch[0], 3);  // encoder
    int64_t out = ch[0];
    for (size_t i = 0; i < n; ++i) {
        const int64_t in = out;
        out = ch[i];
        for (int64_t l = 0; l < layersPerBlock; ++l) total += resnetParams(l == 0 ? in : out, out, 0);
        if (i + 1 < n) total += convParams(out, out, 3);
    }
    total += mid(ch.back()) + 2 * ch.back() + convParams(ch.back(), 2 * latentChannels, 3);
    total += convParams(latentChannels, ch.back(), 3) + mid(ch.back());  // decoder
    out = ch.back();
    for (size_t i = 0; i < n; ++i) {
        const int64_t in = out;
        out = ch[n - 1 - i];
        for (int64_t l = 0; l < layersPerBlock + 1; ++l) total += resnetParams(l == 0 ? in : out, out, 0);
        if (i + 1 < n) total += convParams(out, out, 3);
    }
    total += 2 * ch[0] + convParams(ch[0], outChannels, 3);
    total += convParams(2 * latentChannels, 2 * latentChannels, 1) + convParams(latentChannels, latentChannels, 1);
    return total;
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
    conv_in = register_module("conv_in", Conv2d(nn::Conv2dOptions(c.inChannels, ch[0], 3).padding(1)));
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
    conv_out = register_module("conv_out", Conv2d(nn::Conv2dOptions(ch.back(), 2 * c.latentChannels, 3).padding(1)));
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
    conv_in = register_module("conv_in", Conv2d(nn::Conv2dOptions(c.latentChannels, rev[0], 3).padding(1)));
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
    conv_out = register_module("conv_out", Conv2d(nn::Conv2dOptions(rev.back(), c.outChannels, 3).padding(1)));
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
    quant_conv = register_module("quant_conv", Conv2d(nn::Conv2dOptions(2 * lat, 2 * lat, 1)));
    post_quant_conv = register_module("post_quant_conv", Conv2d(nn::Conv2dOptions(lat, lat, 1)));
}

torch::Dtype AutoencoderKLImpl::dtype() const { return quant_conv->weight.scalar_type(); }

void AutoencoderKLImpl::setChannelsLast(bool on) {
    const auto format = on ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    torch::NoGradGuard noGrad;
    for (auto& child : modules(true))
        if (auto* conv = child->as<Conv2dImpl>()) {
            conv->unpack();
            conv->weight.set_data(conv->weight.contiguous(format));
        }
    m_channelsLast = on;
}

torch::Tensor AutoencoderKLImpl::toInput(const torch::Tensor& x) const {
    auto y = x.to(quant_conv->weight.device(), dtype());
    return m_channelsLast ? y.contiguous(torch::MemoryFormat::ChannelsLast) : y;
}

DiagonalGaussian AutoencoderKLImpl::encode(const torch::Tensor& image, TensorMap* intermediates) {
    TORCH_CHECK(image.dim() == 4, "VAE image must be [B, C, H, W], got ", image.sizes());
    auto h = encoder(toInput(image), intermediates, "encoder.");
    auto moments = quant_conv(h).contiguous();
    if (intermediates) (*intermediates)["quant_conv"] = moments;
    return DiagonalGaussian::fromMoments(moments);
}

std::pair<torch::Tensor, torch::Tensor> AutoencoderKLImpl::encodeMeanLogvar(const torch::Tensor& image) {
    auto g = encode(image);
    return {g.mean, g.logvar};
}

torch::Tensor AutoencoderKLImpl::decode(const torch::Tensor& latent, TensorMap* intermediates) {
    TORCH_CHECK(latent.dim() == 4, "VAE latent must be [B, C, H, W], got ", latent.sizes());
    auto z = post_quant_conv(toInput(latent));
    if (intermediates) (*intermediates)["post_quant_conv"] = z;
    return decoder(z, intermediates, "decoder.").contiguous();
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
