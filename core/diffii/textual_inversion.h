// Textual-inversion embeddings: placeholder tokens added to the tokenizer with their rows in the text encoder's
// token embedding.
//
// The files people share, all safetensors (pickled .pt/.bin files are refused, as everywhere):
//   - diffusers / this project: {token: [C]} or {token: [n, C]}, one key per token (learned_embeds.safetensors,
//     concepts/embeddings.safetensors);
//   - kohya: {"emb_params": [n, C]}, named after the file (its stem) as A1111 does;
//   - A1111: {"string_to_param.*": [n, C]} (its "string_to_token.*" key is ignored), named after the file too.
// SDXL embeddings ({"clip_l", "clip_g"}) are for another text encoder and refused with a message saying so.
// A token with n > 1 vectors is added as token, token_1, ..., token_{n-1} (diffusers' names), and the tokenizer
// expands `token` in every prompt into all n of them (A1111's convention; ClipTokenizer::setExpansion).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/engine/types.h"  // splitEmbeddingArgument
#include "core/models/clip_text_model.h"
#include "core/models/clip_tokenizer.h"

namespace diffii {

// One embedding of a file: the word a prompt uses and its vectors.
struct TextualInversionEmbedding {
    std::string token;      // e.g. "<cat-toy>" or "EasyNegative"
    torch::Tensor vectors;  // float32 [n, C], n >= 1, every value finite
    std::string key;        // the file's key it came from ("emb_params", "string_to_param.*", "<cat-toy>")
    std::string layout;     // "diffusers", "kohya" or "a1111"
};

// Reads the embeddings of a file in any of the layouts above, in file (sorted-key) order. hiddenSize > 0: every
// vector must have that size (the text encoder's). tokenName non-empty: the name of the file's one embedding
// (kohya and A1111 files, or a diffusers file with one key), instead of the file's stem / key. Errors name the file
// and the key: a vector size that is not hiddenSize (both sizes named), a layout that is none of these (the keys
// found listed), non-finite values, an empty or non-floating tensor.
std::vector<TextualInversionEmbedding> loadTextualInversionFile(const std::string& path, int64_t hiddenSize = 0,
                                                                const std::string& tokenName = "");

// The placeholder tokens of an embedding of n vectors: token, token_1, ..., token_{n-1}.
std::vector<std::string> placeholderTokens(const std::string& token, int64_t n);

// Adds each embedding's placeholder tokens with their rows and registers the prompt expansion of a several-vector
// token; returns the tokens added, in order. A token that is a word of the model's vocabulary or already added
// (another embedding, a trained concept) is refused with an error naming source and token: its row would change
// the meaning of other prompts.
std::vector<std::string> addTextualInversion(const std::string& source,
                                             const std::vector<TextualInversionEmbedding>& embeddings,
                                             ClipTokenizer& tokenizer, ClipTextModelImpl& textEncoder);

// Adds (or overwrites) one token with its embedding row; returns the token id. Grows the text encoder's
// embedding when the tokenizer grew.
int64_t setTokenEmbedding(ClipTokenizer& tokenizer, ClipTextModelImpl& textEncoder, const std::string& token,
                          const torch::Tensor& vector);

// loadTextualInversionFile (checked against the text encoder's hidden size) + addTextualInversion: returns the
// tokens added, in file order. tokenName as for loadTextualInversionFile.
std::vector<std::string> loadTextualInversion(const std::string& path, ClipTokenizer& tokenizer,
                                              ClipTextModelImpl& textEncoder, const std::string& tokenName = "");

// Writes {token: vector} for the given tokens (float32), atomically.
void saveTextualInversion(const std::string& path, const std::vector<std::string>& tokens,
                          const ClipTokenizer& tokenizer, ClipTextModelImpl& textEncoder,
                          const std::map<std::string, std::string>& metadata = {});

}  // namespace diffii
