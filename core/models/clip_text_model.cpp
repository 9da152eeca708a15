#include "core/models/clip_text_model.h"

#include <algorithm>
#include <limits>
#include <sstream>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/models/config_limits.h"
#include "core/models/layers.h"

namespace diffii {
namespace {

std::string shapeText(c10::IntArrayRef s) {
    std::ostringstream os;
    os << s;
    return os.str();
}

[[noreturn]] void badConfig(const std::string& file, const std::string& key, const std::string& value,
                            const std::string& expected) {
    throw Error(file + ": key '" + key + "' has unsupported value " + value + " (expected " + expected + ")");
}

torch::nn::LayerNorm makeLayerNorm(const ClipTextConfig& c) {
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hiddenSize}).eps(c.layerNormEps));
}

}  // namespace

ClipTextConfig ClipTextConfig::fromJson(const nlohmann::json& root, const std::string& file) {
    if (!root.is_object()) throw Error(file + ": expected a JSON object, got " + std::string(root.type_name()));
    // A full CLIPModel config nests the text part under "text_config".
    const bool nested =
        !root.contains("hidden_size") && root.contains("text_config") && root["text_config"].is_object();
    const nlohmann::json& j = nested ? root["text_config"] : root;
    if (!nested)
        jsonRequireKeys(j,
                        {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                         "max_position_embeddings", "hidden_act", "layer_norm_eps"},
                        file, "transformers writes it into every CLIPTextConfig");
    ClipTextConfig c;
    using namespace limits;
    c.vocabSize = jsonInt(j, "vocab_size", 1, kMaxVocab, file, c.vocabSize);
    c.hiddenSize = jsonInt(j, "hidden_size", 1, kMaxTextHidden, file, c.hiddenSize);
    c.intermediateSize = jsonInt(j, "intermediate_size", 1, kMaxTextIntermediate, file, c.intermediateSize);
    c.numHiddenLayers = jsonInt(j, "num_hidden_layers", 1, kMaxTextLayers, file, c.numHiddenLayers);
    c.numAttentionHeads = jsonInt(j, "num_attention_heads", 1, kMaxTextHidden, file, c.numAttentionHeads);
    c.maxPositionEmbeddings = jsonInt(j, "max_position_embeddings", 1, kMaxPositions, file, c.maxPositionEmbeddings);
    c.hiddenAct = jsonValue<std::string>(j, "hidden_act", c.hiddenAct, file);
    c.layerNormEps = jsonNumber(j, "layer_norm_eps", 0.0, 1.0, file, c.layerNormEps);
    // Token ids: the pooled output looks up eos_token_id (2 in legacy configs: argmax then).
    const std::pair<const char*, int64_t*> ids[] = {
        {"bos_token_id", &c.bosTokenId}, {"eos_token_id", &c.eosTokenId}, {"pad_token_id", &c.padTokenId}};
    for (const auto& [key, id] : ids) {
        *id = jsonInt(j, key, 0, kMaxVocab, file, std::min(*id, c.vocabSize - 1));
        if (*id >= c.vocabSize)
            throwKeyError(file, key,
                          "must be below 'vocab_size' " + std::to_string(c.vocabSize) + ", got " + std::to_string(*id));
    }
    c.projectionDim = jsonInt(j, "projection_dim", 1, kMaxTextHidden, file, c.projectionDim);
    c.initializerFactor = jsonNumber(j, "initializer_factor", 0.0, 1e6, file, c.initializerFactor);
    c.initializerRange = jsonNumber(j, "initializer_range", 0.0, 1e6, file, c.initializerRange);

    if (c.hiddenAct != "quick_gelu" && c.hiddenAct != "gelu")
        badConfig(file, "hidden_act", jsonExcerpt(c.hiddenAct), "\"quick_gelu\" or \"gelu\"");
    if (c.hiddenSize % c.numAttentionHeads != 0)
        badConfig(file, "num_attention_heads", std::to_string(c.numAttentionHeads),
                  "a divisor of hidden_size " + std::to_string(c.hiddenSize));
    if (!(c.layerNormEps > 0.0)) badConfig(file, "layer_norm_eps", std::to_string(c.layerNormEps), "a positive number");
    checkParameterBudget(c.parameterCount(), "the text encoder this config describes", file,
                         "vocab_size, hidden_size, intermediate_size, num_hidden_layers");
    return c;
}

int64_t ClipTextConfig::parameterCount() const {
    using namespace paramcount;
    const int64_t h = hiddenSize;
    const int64_t layer =
        4 * linearParams(h, h) + 2 * 2 * h + linearParams(h, intermediateSize) + linearParams(intermediateSize, h);
    return (vocabSize + maxPositionEmbeddings) * h + numHiddenLayers * layer + 2 * h;
}

ClipTextConfig ClipTextConfig::fromFile(const std::string& path) { return fromJson(readJsonFile(path), path); }

// --- blocks ---------------------------------------------------------------------------------------------------------

ClipTextEmbeddingsImpl::ClipTextEmbeddingsImpl(const ClipTextConfig& c) {
    tokenEmbedding = register_module("token_embedding", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
    positionEmbedding =
        register_module("position_embedding", torch::nn::Embedding(c.maxPositionEmbeddings, c.hiddenSize));
}

torch::Tensor ClipTextEmbeddingsImpl::forward(const torch::Tensor& inputIds) {
    // transformers adds position_embedding(position_ids[:, :T]) with position_ids = arange(T).
    const int64_t tokens = inputIds.size(1);
    return tokenEmbedding(inputIds) + positionEmbedding->weight.slice(0, 0, tokens);
}

ClipAttentionImpl::ClipAttentionImpl(const ClipTextConfig& c)
    : m_numHeads(c.numAttentionHeads),
      m_headDim(c.hiddenSize / c.numAttentionHeads),
      m_scale(std::pow(static_cast<double>(c.hiddenSize / c.numAttentionHeads), -0.5)) {
    // Registration order as in transformers' CLIPAttention (k, v, q, out), so state-dict order matches too.
    kProj = register_module("k_proj", torch::nn::Linear(c.hiddenSize, c.hiddenSize));
    vProj = register_module("v_proj", torch::nn::Linear(c.hiddenSize, c.hiddenSize));
    qProj = register_module("q_proj", torch::nn::Linear(c.hiddenSize, c.hiddenSize));
    outProj = register_module("out_proj", torch::nn::Linear(c.hiddenSize, c.hiddenSize));
}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& causalMask) {
    const int64_t batch = x.size(0), tokens = x.size(1), channels = x.size(2);
    const auto heads = [&](const torch::Tensor& t) {
        return t.view({batch, tokens, m_numHeads, m_headDim}).transpose(1, 2);  // [B, H, T, D]
    };
    // As transformers: the query is scaled before the product.
    const auto q = heads(qProj(x) * m_scale);
    const auto k = heads(kProj(x));
    const auto v = heads(vProj(x));
    auto weights = torch::matmul(q, k.transpose(-1, -2));  // [B, H, T, T]
    // Softmax in float32 also for bfloat16 (the mask is float32; exp of -inf is exactly 0 either way).
    weights = torch::softmax(weights.to(torch::kFloat32) + causalMask, -1).to(v.scalar_type());
    const auto out = torch::matmul(weights, v).transpose(1, 2).reshape({batch, tokens, channels});
    return outProj(out);
}

ClipMlpImpl::ClipMlpImpl(const ClipTextConfig& c) : m_quickGelu(c.hiddenAct == "quick_gelu") {
    fc1 = register_module("fc1", torch::nn::Linear(c.hiddenSize, c.intermediateSize));
    fc2 = register_module("fc2", torch::nn::Linear(c.intermediateSize, c.hiddenSize));
}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor& x) {
    auto h = fc1(x);
    // quick_gelu is OpenAI CLIP's x * sigmoid(1.702 x); gelu is the exact (erf) GELU.
    h = m_quickGelu ? h * torch::sigmoid(1.702 * h) : torch::gelu(h);
    return fc2(h);
}

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipTextConfig& c) {
    selfAttn = register_module("self_attn", ClipAttention(c));
    layerNorm1 = register_module("layer_norm1", makeLayerNorm(c));
    mlp = register_module("mlp", ClipMlp(c));
    layerNorm2 = register_module("layer_norm2", makeLayerNorm(c));
}

torch::Tensor ClipEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& causalMask) {
    auto h = x + selfAttn(layerNormF32(layerNorm1, x), causalMask);
    return h + mlp(layerNormF32(layerNorm2, h));
}

ClipEncoderImpl::ClipEncoderImpl(const ClipTextConfig& c) {
    m_layerList = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.numHiddenLayers; ++i) {
        layers.emplace_back(c);
        m_layerList->push_back(layers.back());
    }
}

ClipTextTransformerImpl::ClipTextTransformerImpl(const ClipTextConfig& c) {
    embeddings = register_module("embeddings", ClipTextEmbeddings(c));
    encoder = register_module("encoder", ClipEncoder(c));
    finalLayerNorm = register_module("final_layer_norm", makeLayerNorm(c));
}

// --- model ----------------------------------------------------------------------------------------------------------

ClipTextModelImpl::ClipTextModelImpl(const ClipTextConfig& config) : m_config(config) {
    textModel = register_module("text_model", ClipTextTransformer(config));
}

torch::Tensor ClipTextModelImpl::run(const torch::Tensor& inputIdsIn, std::vector<torch::Tensor>* hiddenStates) {
    if (inputIdsIn.dim() != 2 || inputIdsIn.size(1) == 0)
        throw Error("ClipTextModel: input_ids must have shape [batch, tokens] with tokens >= 1, got " +
                    shapeText(inputIdsIn.sizes()));
    if (inputIdsIn.size(1) > m_config.maxPositionEmbeddings)
        throw Error("ClipTextModel: " + std::to_string(inputIdsIn.size(1)) +
                    " tokens exceed max_position_embeddings = " + std::to_string(m_config.maxPositionEmbeddings));
    if (c10::isFloatingType(inputIdsIn.scalar_type()) || inputIdsIn.scalar_type() == torch::kBool)
        throw Error(std::string("ClipTextModel: input_ids must be an integer tensor, got ") +
                    c10::toString(inputIdsIn.scalar_type()));
    const auto& weight = textModel->embeddings->tokenEmbedding->weight;
    const auto inputIds = inputIdsIn.to(weight.device(), torch::kLong);
    if (inputIds.numel() > 0) {
        const int64_t lo = inputIds.min().item<int64_t>(), hi = inputIds.max().item<int64_t>();
        if (lo < 0 || hi >= weight.size(0))
            throw Error("ClipTextModel: token id " + std::to_string(lo < 0 ? lo : hi) + " outside the vocabulary [0, " +
                        std::to_string(weight.size(0)) + ")");
    }

    const int64_t tokens = inputIds.size(1);
    const auto causalMask = torch::full({tokens, tokens}, -std::numeric_limits<float>::infinity(),
                                        torch::TensorOptions().dtype(torch::kFloat32).device(weight.device()))
                                .triu(1);

    auto h = textModel->embeddings(inputIds);
    if (hiddenStates) hiddenStates->push_back(h);
    for (auto& layer : textModel->encoder->layers) {
        h = layer(h, causalMask);
        if (hiddenStates) hiddenStates->push_back(h);
    }
    return layerNormF32(textModel->finalLayerNorm, h);
}

ClipTextOutput ClipTextModelImpl::forward(const torch::Tensor& inputIds) {
    ClipTextOutput out;
    out.hiddenStates.reserve(static_cast<size_t>(m_config.numHiddenLayers + 1));
    out.lastHiddenState = run(inputIds, &out.hiddenStates);

    // transformers: legacy configs (eos_token_id 2) take argmax(input_ids), i.e. the highest id (49407 = EOS in
    // the CLIP vocabulary); otherwise the first position holding eos_token_id (position 0 when there is none).
    const auto ids = inputIds.to(out.lastHiddenState.device(), torch::kInt);
    const auto eosIndex =
        m_config.eosTokenId == 2 ? ids.argmax(-1) : (ids == m_config.eosTokenId).to(torch::kInt).argmax(-1);
    const auto rows = torch::arange(ids.size(0), torch::TensorOptions().dtype(torch::kLong).device(ids.device()));
    out.pooled = out.lastHiddenState.index({rows, eosIndex});
    return out;
}

torch::Tensor ClipTextModelImpl::encode(const torch::Tensor& inputIds) { return run(inputIds, nullptr); }

void ClipTextModelImpl::resizeTokenEmbeddings(int64_t newSize, c10::optional<at::Generator> generator) {
    if (newSize < 1)
        throw Error("ClipTextModel::resizeTokenEmbeddings: new size must be positive, got " + std::to_string(newSize));
    auto& embedding = textModel->embeddings->tokenEmbedding;
    auto& weight = embedding->weight;
    const int64_t oldSize = weight.size(0);
    if (newSize == oldSize) return;
    torch::NoGradGuard noGrad;
    auto fresh = torch::empty({newSize, weight.size(1)}, torch::kFloat32).normal_(0.0, 1.0, generator);
    fresh = fresh.to(weight.options());
    const int64_t keep = std::min(oldSize, newSize);
    fresh.slice(0, 0, keep).copy_(weight.slice(0, 0, keep));
    weight.set_data(fresh);
    if (weight.grad().defined()) weight.mutable_grad() = torch::Tensor();
    embedding->options.num_embeddings(newSize);
    m_config.vocabSize = newSize;
}

torch::Tensor ClipTextModelImpl::tokenEmbeddingWeight() const { return textModel->embeddings->tokenEmbedding->weight; }

LoadOptions clipTextLoadOptions() {
    LoadOptions options;
    options.ignore = [](const std::string& key) { return key == "text_model.embeddings.position_ids"; };
    return options;
}

ClipTextModel loadClipTextModel(const std::string& dir) {
    ClipTextModel model(ClipTextConfig::fromFile(dir + "/config.json"));
    loadStateDict(*model, {dir + "/model.safetensors"}, clipTextLoadOptions());
    model->eval();
    return model;
}

}  // namespace diffii
