// The CLIP text encoder of Stable Diffusion (transformers CLIPTextModel, v4.36): token + position embeddings,
// pre-LayerNorm transformer layers with a causal mask, a final LayerNorm and the pooled EOS state.
// Parameter names equal transformers' state_dict names (text_model.embeddings.token_embedding.weight, ...), so
// model.safetensors of a diffusers text_encoder/ folder loads strictly with clipTextLoadOptions().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/models/state_dict.h"

namespace diffii {

// config.json of a transformers CLIPTextModel. Defaults are transformers' CLIPTextConfig defaults.
struct ClipTextConfig {
    int64_t vocabSize = 49408;
    int64_t hiddenSize = 512;
    int64_t intermediateSize = 2048;
    int64_t numHiddenLayers = 12;
    int64_t numAttentionHeads = 8;
    int64_t maxPositionEmbeddings = 77;
    std::string hiddenAct = "quick_gelu";  // "quick_gelu" (CLIP ViT-L/14, SD 1.x) or "gelu" (OpenCLIP ViT-H, SD 2.x)
    double layerNormEps = 1e-5;
    int64_t bosTokenId = 49406;
    int64_t eosTokenId = 49407;  // 2 in legacy configs (SD 1.5 / 2.1): pooling then uses argmax(input_ids)
    int64_t padTokenId = 1;
    int64_t projectionDim = 512;  // unused by the text model itself (CLIPTextModelWithProjection)
    double initializerFactor = 1.0;
    double initializerRange = 0.02;

    // The keys transformers writes into every CLIPTextConfig file (vocab_size, hidden_size, intermediate_size,
    // num_hidden_layers, num_attention_heads, max_position_embeddings, hidden_act, layer_norm_eps) are required at
    // the top level; a CLIPModel config's nested "text_config" is written as a difference from these defaults, so
    // there they may be absent. Unknown hidden_act, sizes outside core/models/config_limits.h, hidden_size not
    // divisible by num_attention_heads, or a model above the parameter budget are a diffii::Error naming the file,
    // the key and the value.
    static ClipTextConfig fromJson(const nlohmann::json& json, const std::string& file);
    static ClipTextConfig fromFile(const std::string& path);
    // The parameter count of ClipTextModel(*this), computed from the config alone (nothing is allocated).
    int64_t parameterCount() const;
};

struct ClipTextOutput {
    torch::Tensor lastHiddenState;            // [B, T, C], after final_layer_norm (SD's encoder_hidden_states)
    torch::Tensor pooled;                     // [B, C], lastHiddenState at the EOS position of each row
    std::vector<torch::Tensor> hiddenStates;  // numHiddenLayers + 1: embeddings, then each layer (before final LN)
};

// --- building blocks (module names follow transformers' CLIP modules) -----------------------------------------

class ClipTextEmbeddingsImpl : public torch::nn::Module {
public:
    explicit ClipTextEmbeddingsImpl(const ClipTextConfig& config);
    torch::Tensor forward(const torch::Tensor& inputIds);

    torch::nn::Embedding tokenEmbedding{nullptr};
    torch::nn::Embedding positionEmbedding{nullptr};
};
TORCH_MODULE(ClipTextEmbeddings);

class ClipAttentionImpl : public torch::nn::Module {
public:
    explicit ClipAttentionImpl(const ClipTextConfig& config);
    // causalMask: additive [T, T] float32 mask (0 on and below the diagonal, -inf above).
    torch::Tensor forward(const torch::Tensor& hiddenStates, const torch::Tensor& causalMask);

    torch::nn::Linear kProj{nullptr}, vProj{nullptr}, qProj{nullptr}, outProj{nullptr};

private:
    int64_t m_numHeads;
    int64_t m_headDim;
    double m_scale;
};
TORCH_MODULE(ClipAttention);

class ClipMlpImpl : public torch::nn::Module {
public:
    explicit ClipMlpImpl(const ClipTextConfig& config);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Linear fc1{nullptr}, fc2{nullptr};

private:
    bool m_quickGelu;
};
TORCH_MODULE(ClipMlp);

class ClipEncoderLayerImpl : public torch::nn::Module {
public:
    explicit ClipEncoderLayerImpl(const ClipTextConfig& config);
    torch::Tensor forward(const torch::Tensor& hiddenStates, const torch::Tensor& causalMask);

    ClipAttention selfAttn{nullptr};
    torch::nn::LayerNorm layerNorm1{nullptr};
    ClipMlp mlp{nullptr};
    torch::nn::LayerNorm layerNorm2{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

class ClipEncoderImpl : public torch::nn::Module {
public:
    explicit ClipEncoderImpl(const ClipTextConfig& config);

    std::vector<ClipEncoderLayer> layers;

private:
    torch::nn::ModuleList m_layerList;
};
TORCH_MODULE(ClipEncoder);

class ClipTextTransformerImpl : public torch::nn::Module {
public:
    explicit ClipTextTransformerImpl(const ClipTextConfig& config);

    ClipTextEmbeddings embeddings{nullptr};
    ClipEncoder encoder{nullptr};
    torch::nn::LayerNorm finalLayerNorm{nullptr};
};
TORCH_MODULE(ClipTextTransformer);

// --- the model ----------------------------------------------------------------------------------------------------

class ClipTextModelImpl : public torch::nn::Module {
public:
    explicit ClipTextModelImpl(const ClipTextConfig& config);

    const ClipTextConfig& config() const { return m_config; }

    // inputIds: int64 [B, T], T <= maxPositionEmbeddings, ids < vocabSize (the current, possibly resized, size).
    // Computes in the dtype of the token embedding (float32, or bfloat16 after toComputeDtype()).
    ClipTextOutput forward(const torch::Tensor& inputIds);
    // Fast path: only lastHiddenState, without keeping the per-layer hidden states or pooling.
    torch::Tensor encode(const torch::Tensor& inputIds);

    // Grows (or shrinks) the vocabulary keeping the first min(old, new) rows, as transformers'
    // resize_token_embeddings does. New rows are drawn from N(0, 1): in transformers 4.36 the new nn.Embedding
    // gets torch's default initialisation (CLIP's _init_weights does not touch a bare nn.Embedding). Pass a
    // generator for reproducible rows; textual inversion overwrites them anyway. The parameter tensor keeps its
    // identity (set_data), so references to tokenEmbeddingWeight() stay valid.
    void resizeTokenEmbeddings(int64_t newSize, c10::optional<at::Generator> generator = c10::nullopt);
    // The token-embedding parameter [vocab, C] (text_model.embeddings.token_embedding.weight).
    torch::Tensor tokenEmbeddingWeight() const;

    ClipTextTransformer textModel{nullptr};

private:
    torch::Tensor run(const torch::Tensor& inputIds, std::vector<torch::Tensor>* hiddenStates);

    ClipTextConfig m_config;
};
TORCH_MODULE(ClipTextModel);

// Load options for CLIP text-encoder checkpoints: skips text_model.embeddings.position_ids (an int64 [1, 77]
// buffer many SD checkpoints contain; this module computes positions itself).
LoadOptions clipTextLoadOptions();

// Builds the model from <dir>/config.json and loads <dir>/model.safetensors strictly (float32).
ClipTextModel loadClipTextModel(const std::string& dir);

}  // namespace diffii
