#include "core/models/unet_2d_condition.h"

#include <sstream>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/models/layers.h"

namespace diffii {

namespace nn = torch::nn;

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
    throw Error(file + ": " + key + " '" + value + "' is not supported (supported: " + joined(supported) + ")");
}

// An int (repeated for every block) or a list with one entry per block.
template <typename T>
std::vector<T> perBlock(const nlohmann::json& j, const std::string& key, size_t blocks, const T& fallback,
                        const std::string& file) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::vector<T>(blocks, fallback);
    try {
        if (it->is_array()) {
            if (it->size() != blocks) {
                std::ostringstream os;
                os << file << ": key '" << key << "' has " << it->size() << " entries, expected " << blocks
                   << " (one per down block): " << it->dump();
                throw Error(os.str());
            }
            std::vector<T> out;
            for (const auto& v : *it) out.push_back(v.get<T>());
            return out;
        }
        return std::vector<T>(blocks, it->get<T>());
    } catch (const nlohmann::json::exception& e) {
        throw Error(file + ": key '" + key + "' has an unexpected type (value " + it->dump() + "): " + e.what());
    }
}

// Keys whose only supported value is the diffusers default (usually null): anything else is reported by value.
void requireDefault(const nlohmann::json& j, const std::string& key, const nlohmann::json& expected,
                    const std::string& file, const std::string& what) {
    const auto it = j.find(key);
    if (it == j.end()) return;
    if (*it != expected)
        throw Error(file + ": key '" + key + "' is " + it->dump() + ", but only " + expected.dump() +
                    " is supported (" + what + ")");
}

}  // namespace

UNet2DConditionConfig UNet2DConditionConfig::fromJson(const nlohmann::json& j, const std::string& file) {
    if (!j.is_object()) throw Error(file + ": expected a JSON object");
    UNet2DConditionConfig c;
    c.inChannels = jsonValue<int64_t>(j, "in_channels", 4, file);
    c.outChannels = jsonValue<int64_t>(j, "out_channels", 4, file);
    c.sampleSize = jsonValue<int64_t>(j, "sample_size", 64, file);
    c.centerInputSample = jsonValue<bool>(j, "center_input_sample", false, file);
    c.flipSinToCos = jsonValue<bool>(j, "flip_sin_to_cos", true, file);
    c.freqShift = jsonValue<double>(j, "freq_shift", 0.0, file);
    c.downBlockTypes = jsonValue<std::vector<std::string>>(j, "down_block_types", c.downBlockTypes, file);
    c.upBlockTypes = jsonValue<std::vector<std::string>>(j, "up_block_types", c.upBlockTypes, file);
    c.blockOutChannels = jsonValue<std::vector<int64_t>>(j, "block_out_channels", c.blockOutChannels, file);
    for (size_t i = 0; i < c.downBlockTypes.size(); ++i)
        checkBlockType(file, "down_block_types[" + std::to_string(i) + "]", c.downBlockTypes[i], kDownBlockTypes);
    for (size_t i = 0; i < c.upBlockTypes.size(); ++i)
        checkBlockType(file, "up_block_types[" + std::to_string(i) + "]", c.upBlockTypes[i], kUpBlockTypes);
    if (j.contains("mid_block_type") && j["mid_block_type"].is_null())
        throw Error(file + ": mid_block_type null is not supported (supported: " + joined(kMidBlockTypes) + ")");
    c.midBlockType = jsonValue<std::string>(j, "mid_block_type", c.midBlockType, file);
    checkBlockType(file, "mid_block_type", c.midBlockType, kMidBlockTypes);

    const size_t n = c.downBlockTypes.size();
    if (n == 0) throw Error(file + ": down_block_types is empty");
    if (c.upBlockTypes.size() != n || c.blockOutChannels.size() != n) {
        std::ostringstream os;
        os << file << ": down_block_types, up_block_types and block_out_channels must have the same length (got " << n
           << ", " << c.upBlockTypes.size() << ", " << c.blockOutChannels.size() << ")";
        throw Error(os.str());
    }

    c.layersPerBlock = perBlock<int64_t>(j, "layers_per_block", n, 2, file);
    if (j.contains("transformer_layers_per_block") && j["transformer_layers_per_block"].is_array())
        for (const auto& v : j["transformer_layers_per_block"])
            if (v.is_array())
                throw Error(file + ": key 'transformer_layers_per_block' with nested lists (" +
                            j["transformer_layers_per_block"].dump() + ") is not supported");
    c.transformerLayersPerBlock = perBlock<int64_t>(j, "transformer_layers_per_block", n, 1, file);
    // diffusers 0.25.1: num_attention_heads = num_attention_heads or attention_head_dim (a historical misnomer: the
    // value of attention_head_dim is the number of heads).
    const bool hasHeads = j.contains("num_attention_heads") && !j["num_attention_heads"].is_null();
    c.numAttentionHeads = hasHeads ? perBlock<int64_t>(j, "num_attention_heads", n, 8, file)
                                   : perBlock<int64_t>(j, "attention_head_dim", n, 8, file);
    c.crossAttentionDim = perBlock<int64_t>(j, "cross_attention_dim", n, 1280, file);
    c.onlyCrossAttention = perBlock<bool>(j, "only_cross_attention", n, false, file);
    c.downsamplePadding = jsonValue<int64_t>(j, "downsample_padding", 1, file);
    c.midBlockScaleFactor = jsonValue<double>(j, "mid_block_scale_factor", 1.0, file);
    if (j.contains("norm_num_groups") && j["norm_num_groups"].is_null())
        throw Error(file + ": norm_num_groups null (no output norm) is not supported");
    c.normNumGroups = jsonValue<int64_t>(j, "norm_num_groups", 32, file);
    c.normEps = jsonValue<double>(j, "norm_eps", 1e-5, file);
    c.useLinearProjection = jsonValue<bool>(j, "use_linear_projection", false, file);
    c.upcastAttention = jsonValue<bool>(j, "upcast_attention", false, file);
    c.timeEmbeddingDim = jsonValue<int64_t>(j, "time_embedding_dim", 0, file);
    c.convInKernel = jsonValue<int64_t>(j, "conv_in_kernel", 3, file);
    c.convOutKernel = jsonValue<int64_t>(j, "conv_out_kernel", 3, file);
    if (c.convInKernel % 2 == 0 || c.convOutKernel % 2 == 0)
        throw Error(file + ": conv_in_kernel / conv_out_kernel must be odd (got " + std::to_string(c.convInKernel) +
                    ", " + std::to_string(c.convOutKernel) + ")");

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
    if (j.contains("dropout") && j["dropout"].is_number() && j["dropout"].get<double>() != 0.0)
        throw Error(file + ": key 'dropout' is " + j["dropout"].dump() + ", but only 0.0 is supported (inference)");

    for (size_t i = 0; i < n; ++i) {
        const int64_t ch = c.blockOutChannels[i];
        if (c.numAttentionHeads[i] <= 0 || ch % c.numAttentionHeads[i] != 0) {
            std::ostringstream os;
            os << file << ": block_out_channels[" << i << "] = " << ch << " is not divisible by the number of heads "
               << c.numAttentionHeads[i] << " (attention_head_dim / num_attention_heads)";
            throw Error(os.str());
        }
        if (ch % c.normNumGroups != 0) {
            std::ostringstream os;
            os << file << ": block_out_channels[" << i << "] = " << ch << " is not divisible by norm_num_groups "
               << c.normNumGroups;
            throw Error(os.str());
        }
    }
    return c;
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
        nn::Conv2d(
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
        register_module("conv_out", nn::Conv2d(nn::Conv2dOptions(c.blockOutChannels[0], c.outChannels, c.convOutKernel)
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
    t = t.expand({batch});
    auto tEmb = time_proj(t);
    capture("time_proj", tEmb);
    auto emb = time_embedding(tEmb.to(dtype));
    capture("time_embedding", emb);

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
