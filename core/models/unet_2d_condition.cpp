#include "core/models/unet_2d_condition.h"

#include <sstream>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/models/config_limits.h"
#include "core/models/layers.h"

namespace diffii {

namespace nn = torch::nn;
using namespace paramcount;

namespace {

const std::vector<std::string> kDownBlockTypes{"CrossAttnDownBlock2D", "DownBlock2D"};
const std::vector<std::string> kUpBlockTypes{"CrossAttnUpBlock2D", "UpBlock2D"};
const std::vector<std::string> kMidBlockTypes{"UNetMidBlock2DCrossAttn"};

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

void checkBlockType(const std::string& file, const std::string& key, const std::string& value,
                    const std::vector<std::string>& supported) {
    for (const auto& s : supported)
        if (s == value) return;
    throw Error(file + ": key '" + key + "': '" + value.substr(0, 80) +
                "' is not supported (supported: " + joined(supported) + ")");
}

// A list of 1..kMaxBlocks block type names.
std::vector<std::string> unetBlockTypes(const nlohmann::json& j, const std::string& key, const std::string& file) {
    const auto& v = j.at(key);
    if (!v.is_array() || v.empty() || v.size() > size_t(limits::kMaxBlocks))
        throwKeyError(
            file, key,
            "must be a list of 1 to " + std::to_string(limits::kMaxBlocks) + " block names, got " + jsonExcerpt(v));
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string())
            throwKeyError(file, key + "[" + std::to_string(i) + "]", "must be a block name, got " + jsonExcerpt(v[i]));
        out.push_back(v[i].get<std::string>());
    }
    return out;
}

[[noreturn]] void wrongLength(const std::string& file, const std::string& key, size_t got, size_t blocks) {
    throwKeyError(file, key,
                  "has " + std::to_string(got) + " entries, expected " + std::to_string(blocks) +
                      " (one per down block, as 'down_block_types')");
}

// An int in [min, max] (repeated for every block) or a list with one such entry per block.
std::vector<int64_t> unetPerBlockInt(const nlohmann::json& j, const std::string& key, size_t blocks,
                                     std::optional<int64_t> fallback, int64_t min, int64_t max,
                                     const std::string& file) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (!fallback) throw Error(file + ": required key '" + key + "' is missing");
        return std::vector<int64_t>(blocks, *fallback);
    }
    if (!it->is_array()) return std::vector<int64_t>(blocks, jsonIntIn(*it, key, min, max, file));
    if (it->size() != blocks) wrongLength(file, key, it->size(), blocks);
    std::vector<int64_t> out;
    for (size_t i = 0; i < blocks; ++i)
        out.push_back(jsonIntIn((*it)[i], key + "[" + std::to_string(i) + "]", min, max, file));
    return out;
}

std::vector<bool> unetPerBlockBool(const nlohmann::json& j, const std::string& key, size_t blocks,
                                   const std::string& file) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::vector<bool>(blocks, false);
    if (it->is_boolean()) return std::vector<bool>(blocks, it->get<bool>());
    if (!it->is_array()) throwKeyError(file, key, "must be true, false or a list of them, got " + jsonExcerpt(*it));
    if (it->size() != blocks) wrongLength(file, key, it->size(), blocks);
    std::vector<bool> out;
    for (size_t i = 0; i < blocks; ++i) {
        if (!(*it)[i].is_boolean())
            throwKeyError(file, key + "[" + std::to_string(i) + "]",
                          "must be true or false, got " + jsonExcerpt((*it)[i]));
        out.push_back((*it)[i].get<bool>());
    }
    return out;
}

// Keys whose only supported value is the diffusers default (usually null): anything else is reported by value.
void requireDefault(const nlohmann::json& j, const std::string& key, const nlohmann::json& expected,
                    const std::string& file, const std::string& what) {
    const auto it = j.find(key);
    if (it == j.end()) return;
    if (*it != expected)
        throw Error(file + ": key '" + key + "' is " + jsonExcerpt(*it) + ", but only " + expected.dump() +
                    " is supported (" + what + ")");
}

// The class name, the keys that may not be null, and the keys diffusers writes into every config.
void checkUNetConfigShape(const nlohmann::json& j, const std::string& file) {
    if (!j.is_object()) throw Error(file + ": expected a JSON object, got " + std::string(j.type_name()));
    if (j.contains("_class_name") && j["_class_name"] != "UNet2DConditionModel")
        throwKeyError(file, "_class_name",
                      jsonExcerpt(j["_class_name"]) + " is not supported (supported: UNet2DConditionModel)");
    if (j.contains("norm_num_groups") && j["norm_num_groups"].is_null())
        throw Error(file + ": key 'norm_num_groups': null (no output norm) is not supported");
    if (j.contains("mid_block_type") && j["mid_block_type"].is_null())
        throw Error(file + ": key 'mid_block_type': null is not supported (supported: " + joined(kMidBlockTypes) + ")");
    // diffusers writes every __init__ argument into config.json; these are the ones of its first Stable Diffusion
    // release (SD 1.4's config, diffusers 0.2.2), so every diffusers UNet config has them. Later additions
    // (mid_block_type, transformer_layers_per_block, use_linear_projection, upcast_attention, ...) keep
    // diffusers' defaults when absent. The heads are checked in readPerBlock (attention_head_dim or
    // num_attention_heads).
    jsonRequireKeys(
        j,
        {"in_channels", "out_channels", "sample_size", "block_out_channels", "down_block_types", "up_block_types",
         "layers_per_block", "cross_attention_dim", "norm_num_groups", "norm_eps", "act_fn", "center_input_sample",
         "flip_sin_to_cos", "freq_shift", "downsample_padding", "mid_block_scale_factor"},
        file, "diffusers writes it into every UNet2DConditionModel config");
}

// down/up/mid block types and one channel count per block.
void readBlocks(const nlohmann::json& j, const std::string& file, UNet2DConditionConfig& c) {
    c.downBlockTypes = unetBlockTypes(j, "down_block_types", file);
    c.upBlockTypes = unetBlockTypes(j, "up_block_types", file);
    for (size_t i = 0; i < c.downBlockTypes.size(); ++i)
        checkBlockType(file, "down_block_types[" + std::to_string(i) + "]", c.downBlockTypes[i], kDownBlockTypes);
    for (size_t i = 0; i < c.upBlockTypes.size(); ++i)
        checkBlockType(file, "up_block_types[" + std::to_string(i) + "]", c.upBlockTypes[i], kUpBlockTypes);
    c.midBlockType = jsonValue<std::string>(j, "mid_block_type", c.midBlockType, file);
    checkBlockType(file, "mid_block_type", c.midBlockType, kMidBlockTypes);

    const size_t n = c.downBlockTypes.size();
    if (c.upBlockTypes.size() != n)
        throwKeyError(file, "up_block_types",
                      "has " + std::to_string(c.upBlockTypes.size()) + " entries, but 'down_block_types' has " +
                          std::to_string(n));
    const auto& channels = j.at("block_out_channels");
    if (!channels.is_array() || channels.size() != n)
        throwKeyError(file, "block_out_channels",
                      "must be a list with one channel count per block (" + std::to_string(n) +
                          ", as 'down_block_types'), got " + jsonExcerpt(channels));
    c.blockOutChannels.clear();
    for (size_t i = 0; i < n; ++i)
        c.blockOutChannels.push_back(
            jsonIntIn(channels[i], "block_out_channels[" + std::to_string(i) + "]", 1, limits::kMaxChannels, file));
}

// The settings given once or per block. Returns the key the heads were read from.
std::string readPerBlock(const nlohmann::json& j, const std::string& file, UNet2DConditionConfig& c) {
    const size_t n = c.downBlockTypes.size();
    c.layersPerBlock = unetPerBlockInt(j, "layers_per_block", n, std::nullopt, 1, limits::kMaxLayersPerBlock, file);
    c.transformerLayersPerBlock =
        unetPerBlockInt(j, "transformer_layers_per_block", n, 1, 1, limits::kMaxTransformerLayers, file);
    // diffusers 0.25.1: num_attention_heads = num_attention_heads or attention_head_dim (a historical misnomer: the
    // value of attention_head_dim is the number of heads).
    const bool hasHeads = j.contains("num_attention_heads") && !j["num_attention_heads"].is_null();
    std::string headsKey = hasHeads ? "num_attention_heads" : "attention_head_dim";
    c.numAttentionHeads = unetPerBlockInt(j, headsKey, n, std::nullopt, 1, limits::kMaxChannels, file);
    c.crossAttentionDim = unetPerBlockInt(j, "cross_attention_dim", n, std::nullopt, 1, limits::kMaxChannels, file);
    c.onlyCrossAttention = unetPerBlockBool(j, "only_cross_attention", n, file);
    return headsKey;
}

// The input and output: channels, size, the timestep's sinusoid.
void readInputOutput(const nlohmann::json& j, const std::string& file, UNet2DConditionConfig& c) {
    c.inChannels = jsonInt(j, "in_channels", 1, limits::kMaxIoChannels, file);
    c.outChannels = jsonInt(j, "out_channels", 1, limits::kMaxIoChannels, file);
    c.sampleSize = jsonInt(j, "sample_size", 1, limits::kMaxUNetSampleSize, file);
    c.centerInputSample = jsonRequire<bool>(j, "center_input_sample", file);
    c.flipSinToCos = jsonRequire<bool>(j, "flip_sin_to_cos", file);
    c.freqShift = jsonNumber(j, "freq_shift", 0.0, 1.0, file);
}

// The model-wide numbers and flags that follow the blocks: padding, norms, attention options, kernels.
void readLayerOptions(const nlohmann::json& j, const std::string& file, UNet2DConditionConfig& c) {
    c.downsamplePadding = jsonInt(j, "downsample_padding", 0, 1, file);
    c.midBlockScaleFactor = jsonNumber(j, "mid_block_scale_factor", 0.0, 1e6, file);
    if (c.midBlockScaleFactor == 0.0) throwKeyError(file, "mid_block_scale_factor", "must be > 0, got 0");
    c.normNumGroups = jsonInt(j, "norm_num_groups", 1, limits::kMaxChannels, file);
    c.normEps = jsonNumber(j, "norm_eps", 0.0, 1.0, file);
    if (c.normEps == 0.0) throwKeyError(file, "norm_eps", "must be > 0, got 0");
    c.useLinearProjection = jsonValue<bool>(j, "use_linear_projection", false, file);
    c.upcastAttention = jsonValue<bool>(j, "upcast_attention", false, file);
    c.timeEmbeddingDim = jsonInt(j, "time_embedding_dim", 1, 4 * limits::kMaxChannels, file, 0);
    c.convInKernel = jsonInt(j, "conv_in_kernel", 1, limits::kMaxKernel, file, 3);
    c.convOutKernel = jsonInt(j, "conv_out_kernel", 1, limits::kMaxKernel, file, 3);
    if (c.convInKernel % 2 == 0)
        throwKeyError(file, "conv_in_kernel", "must be odd, got " + std::to_string(c.convInKernel));
    if (c.convOutKernel % 2 == 0)
        throwKeyError(file, "conv_out_kernel", "must be odd, got " + std::to_string(c.convOutKernel));
}

// Features of diffusers' UNet this one does not have: accepted only at their default value.
void checkUnsupportedFeatures(const nlohmann::json& j, const std::string& file) {
    requireDefault(j, "act_fn", "silu", file, "activation");
    requireDefault(j, "dual_cross_attention", false, file, "dual cross-attention");
    requireDefault(j, "class_embed_type", nullptr, file, "class embeddings");
    requireDefault(j, "num_class_embeds", nullptr, file, "class embeddings");
    requireDefault(j, "addition_embed_type", nullptr, file, "added embeddings");
    requireDefault(j, "encoder_hid_dim", nullptr, file, "encoder hidden projection");
    requireDefault(j, "encoder_hid_dim_type", nullptr, file, "encoder hidden projection");
    requireDefault(j, "time_cond_proj_dim", nullptr, file, "timestep condition");
    requireDefault(j, "time_embedding_type", "positional", file, "time embedding");
    requireDefault(j, "time_embedding_act_fn", nullptr, file, "time embedding activation");
    requireDefault(j, "timestep_post_act", nullptr, file, "time embedding activation");
    requireDefault(j, "resnet_time_scale_shift", "default", file, "resnet time embedding norm");
    requireDefault(j, "resnet_skip_time_act", false, file, "resnet time activation");
    requireDefault(j, "resnet_out_scale_factor", 1.0, file, "resnet output scale");
    requireDefault(j, "cross_attention_norm", nullptr, file, "cross-attention norm");
    requireDefault(j, "attention_type", "default", file, "attention type");
    requireDefault(j, "class_embeddings_concat", false, file, "class embeddings");
    requireDefault(j, "mid_block_only_cross_attention", nullptr, file, "mid-block attention");
    requireDefault(j, "reverse_transformer_layers_per_block", nullptr, file, "transformer layers");
    if (j.contains("dropout") && !j["dropout"].is_null() &&
        jsonNumberIn(j["dropout"], "dropout", 0.0, 1.0, file) != 0.0)
        throw Error(file + ": key 'dropout' is " + jsonExcerpt(j["dropout"]) +
                    ", but only 0.0 is supported (inference)");
}

// Every block's channels divide into its heads and into the norm's groups.
void checkDivisibility(const UNet2DConditionConfig& c, const std::string& headsKey, const std::string& file) {
    for (size_t i = 0; i < c.blockOutChannels.size(); ++i) {
        const int64_t ch = c.blockOutChannels[i];
        if (ch % c.numAttentionHeads[i] != 0) {
            std::ostringstream os;
            os << "'block_out_channels[" << i << "]' = " << ch << " is not divisible by the number of heads "
               << c.numAttentionHeads[i] << " (attention_head_dim / num_attention_heads)";
            throwKeyError(file, headsKey, os.str());
        }
        if (ch % c.normNumGroups != 0) {
            std::ostringstream os;
            os << "'block_out_channels[" << i << "]' = " << ch << " is not divisible by norm_num_groups "
               << c.normNumGroups;
            throwKeyError(file, "norm_num_groups", os.str());
        }
    }
}

}  // namespace

UNet2DConditionConfig UNet2DConditionConfig::fromJson(const nlohmann::json& j, const std::string& file) {
    checkUNetConfigShape(j, file);
    UNet2DConditionConfig c;
    readInputOutput(j, file, c);
    readBlocks(j, file, c);
    const auto headsKey = readPerBlock(j, file, c);
    readLayerOptions(j, file, c);
    checkUnsupportedFeatures(j, file);
    checkDivisibility(c, headsKey, file);
    checkParameterBudget(c.parameterCount(), "the UNet this config describes", file,
                         "block_out_channels, layers_per_block, transformer_layers_per_block, cross_attention_dim");
    return c;
}

int64_t UNet2DConditionConfig::parameterCount() const {
    const size_t n = blockOutChannels.size();
    const int64_t temb = timeEmbedDim();
    const int64_t ch0 = blockOutChannels[0];
    int64_t total = convParams(inChannels, ch0, convInKernel) + linearParams(ch0, temb) + linearParams(temb, temb);
    int64_t out = ch0;
    for (size_t i = 0; i < n; ++i) {
        const int64_t in = out;
        out = blockOutChannels[i];
        const bool attention = downBlockTypes[i] == "CrossAttnDownBlock2D";
        for (int64_t l = 0; l < layersPerBlock[i]; ++l) {
            total += resnetParams(l == 0 ? in : out, out, temb);
            if (attention)
                total +=
                    transformerParams(out, transformerLayersPerBlock[i], crossAttentionDim[i], onlyCrossAttention[i]);
        }
        if (i + 1 < n) total += convParams(out, out, 3);
    }
    const int64_t last = blockOutChannels.back();
    total += 2 * resnetParams(last, last, temb) +
             transformerParams(last, transformerLayersPerBlock.back(), crossAttentionDim.back(), false);
    std::vector<int64_t> rev(blockOutChannels.rbegin(), blockOutChannels.rend());
    out = rev[0];
    for (size_t i = 0; i < n; ++i) {
        const size_t d = n - 1 - i;
        const int64_t prev = out;
        out = rev[i];
        const int64_t in = rev[std::min(i + 1, n - 1)];
        const int64_t layers = layersPerBlock[d] + 1;
        const bool attention = upBlockTypes[i] == "CrossAttnUpBlock2D";
        for (int64_t l = 0; l < layers; ++l) {
            const int64_t skip = l == layers - 1 ? in : out;
            total += resnetParams((l == 0 ? prev : out) + skip, out, temb);
            if (attention)
                total +=
                    transformerParams(out, transformerLayersPerBlock[d], crossAttentionDim[d], onlyCrossAttention[d]);
        }
        if (i + 1 < n) total += convParams(out, out, 3);
    }
    total += 2 * ch0 + convParams(ch0, outChannels, convOutKernel);
    return total;
}

UNet2DConditionConfig UNet2DConditionConfig::fromFile(const std::string& path) {
    return fromJson(readJsonFile(path), path);
}

UNet2DConditionModelImpl::UNet2DConditionModelImpl(const UNet2DConditionConfig& config) : m_config(config) {
    const auto& c = config;
    const size_t n = c.blockOutChannels.size();
    const int64_t tembDim = c.timeEmbedDim();
    conv_in = register_module(
        "conv_in",
        Conv2d(
            nn::Conv2dOptions(c.inChannels, c.blockOutChannels[0], c.convInKernel).padding((c.convInKernel - 1) / 2)));
    time_proj = register_module("time_proj", Timesteps(c.blockOutChannels[0], c.flipSinToCos, c.freqShift));
    time_embedding = register_module("time_embedding", TimestepEmbedding(c.blockOutChannels[0], tembDim));

    auto base = [&] {
        UNetBlockOptions o;
        o.tembChannels = tembDim;
        o.resnetEps = c.normEps;
        o.resnetGroups = c.normNumGroups;
        o.downsamplePadding = c.downsamplePadding;
        o.useLinearProjection = c.useLinearProjection;
        o.upcastAttention = c.upcastAttention;
        return o;
    };

    down_blocks = register_module("down_blocks", nn::ModuleList());
    int64_t outCh = c.blockOutChannels[0];
    for (size_t i = 0; i < n; ++i) {
        auto o = base();
        o.inChannels = outCh;
        outCh = c.blockOutChannels[i];
        o.outChannels = outCh;
        o.numLayers = c.layersPerBlock[i];
        o.transformerLayers = c.transformerLayersPerBlock[i];
        o.addDownsample = i + 1 < n;
        o.crossAttentionDim = c.crossAttentionDim[i];
        o.numAttentionHeads = c.numAttentionHeads[i];
        o.onlyCrossAttention = c.onlyCrossAttention[i];
        auto block = std::make_shared<DownBlock2DImpl>(o, c.downBlockTypes[i] == "CrossAttnDownBlock2D");
        m_downBlocks.push_back(block);
        down_blocks->push_back(block);
    }

    {
        auto o = base();
        o.inChannels = o.outChannels = c.blockOutChannels.back();
        o.numLayers = 1;
        o.transformerLayers = c.transformerLayersPerBlock.back();
        o.outputScaleFactor = c.midBlockScaleFactor;
        o.crossAttentionDim = c.crossAttentionDim.back();
        o.numAttentionHeads = c.numAttentionHeads.back();
        mid_block = register_module("mid_block", UNetMidBlock2DCrossAttn(o));
    }

    up_blocks = register_module("up_blocks", nn::ModuleList());
    std::vector<int64_t> rev(c.blockOutChannels.rbegin(), c.blockOutChannels.rend());
    outCh = rev[0];
    for (size_t i = 0; i < n; ++i) {
        const size_t d = n - 1 - i;  // the matching down block
        auto o = base();
        o.prevOutputChannels = outCh;
        outCh = rev[i];
        o.outChannels = outCh;
        o.inChannels = rev[std::min(i + 1, n - 1)];
        o.numLayers = c.layersPerBlock[d] + 1;
        o.transformerLayers = c.transformerLayersPerBlock[d];
        o.addUpsample = i + 1 < n;
        o.crossAttentionDim = c.crossAttentionDim[d];
        o.numAttentionHeads = c.numAttentionHeads[d];
        o.onlyCrossAttention = c.onlyCrossAttention[d];
        auto block = std::make_shared<UpBlock2DImpl>(o, c.upBlockTypes[i] == "CrossAttnUpBlock2D");
        m_upBlocks.push_back(block);
        up_blocks->push_back(block);
    }

    conv_norm_out = register_module(
        "conv_norm_out", nn::GroupNorm(nn::GroupNormOptions(c.normNumGroups, c.blockOutChannels[0]).eps(c.normEps)));
    conv_out =
        register_module("conv_out", Conv2d(nn::Conv2dOptions(c.blockOutChannels[0], c.outChannels, c.convOutKernel)
                                               .padding((c.convOutKernel - 1) / 2)));
}

torch::Dtype UNet2DConditionModelImpl::dtype() const { return conv_in->weight.scalar_type(); }

torch::Tensor UNet2DConditionModelImpl::forward(const torch::Tensor& sample, const torch::Tensor& timestep,
                                                const torch::Tensor& encoderHiddenStates, TensorMap* intermediates) {
    TORCH_CHECK(sample.dim() == 4, "UNet sample must be [B, C, H, W], got ", sample.sizes());
    const auto dtype = this->dtype();
    const auto device = conv_in->weight.device();
    const int64_t batch = sample.size(0);
    auto capture = [&](const char* name, const torch::Tensor& t) {
        if (intermediates) (*intermediates)[name] = t;
    };

    // Sizes that are not multiples of 2^(number of upsamplers) need the skip connection's size at each upsampler.
    int64_t factor = 1;
    for (const auto& b : m_upBlocks)
        if (b != m_upBlocks.back()) factor *= 2;
    const bool forwardUpsampleSize = sample.size(2) % factor != 0 || sample.size(3) % factor != 0;

    auto x = sample.to(device, dtype);
    if (m_config.centerInputSample) x = 2 * x - 1.0;
    auto context = encoderHiddenStates.to(device, dtype);

    auto t = timestep.to(device);
    if (t.dim() == 0) t = t.unsqueeze(0);
    // One timestep for the whole batch (the pipelines): its embedding once, a single row that every resnet adds
    // through a convolution's bias. The per-entry rows where intermediates are captured (the parity tests).
    t = t.expand({t.numel() == 1 && !intermediates ? 1 : batch});
    auto tEmb = time_proj(t);
    capture("time_proj", tEmb);
    auto emb = time_embedding(tEmb.to(dtype));
    capture("time_embedding", emb);
    emb = torch::silu(emb);  // every resnet's time projection starts with it: once here for all of them

    x = conv_in(x);
    capture("conv_in", x);
    std::vector<torch::Tensor> skips{x};
    for (size_t i = 0; i < m_downBlocks.size(); ++i) {
        auto result = m_downBlocks[i]->forward(x, emb, context);
        x = result.first;
        for (auto& s : result.second) skips.push_back(std::move(s));
        if (intermediates) (*intermediates)["down_blocks." + std::to_string(i)] = x;
    }
    x = mid_block(x, emb, context);
    capture("mid_block", x);
    for (size_t i = 0; i < m_upBlocks.size(); ++i) {
        const auto& block = m_upBlocks[i];
        const size_t used = size_t(block->numResnets());
        std::vector<torch::Tensor> blockSkips(skips.end() - used, skips.end());
        skips.resize(skips.size() - used);
        std::optional<std::vector<int64_t>> outputSize;
        if (i + 1 < m_upBlocks.size() && forwardUpsampleSize)
            outputSize = std::vector<int64_t>{skips.back().size(2), skips.back().size(3)};
        x = block->forward(x, std::move(blockSkips), emb, context, outputSize);
        if (intermediates) (*intermediates)["up_blocks." + std::to_string(i)] = x;
    }
    if (intermediates) {
        x = groupNormF32(conv_norm_out, x);
        capture("conv_norm_out", x);
        x = torch::silu(x);
    } else {
        x = groupNormSilu(conv_norm_out, x);
    }
    x = conv_out(x);
    capture("conv_out", x);
    return x;
}

}  // namespace diffii
