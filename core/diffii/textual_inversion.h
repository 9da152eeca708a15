// Textual-inversion embeddings: placeholder tokens added to the tokenizer with their rows in the text encoder's
// token embedding. File form: safetensors {token: F32 [C]} (one vector) or {token: [n, C]} (n vectors, added as
// token, token_1, ..., token_{n-1} as diffusers does).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/models/clip_text_model.h"
#include "core/models/clip_tokenizer.h"

namespace diffii {

// Adds (or overwrites) one token with its embedding row; returns the token id. Grows the text encoder's
// embedding when the tokenizer grew.
int64_t setTokenEmbedding(ClipTokenizer& tokenizer, ClipTextModelImpl& textEncoder, const std::string& token,
                          const torch::Tensor& vector);

// Loads a file; returns the tokens added, in file order. Errors name the file, the token and the shapes.
std::vector<std::string> loadTextualInversion(const std::string& path, ClipTokenizer& tokenizer,
                                              ClipTextModelImpl& textEncoder);

// Writes {token: vector} for the given tokens (float32), atomically.
void saveTextualInversion(const std::string& path, const std::vector<std::string>& tokens,
                          const ClipTokenizer& tokenizer, ClipTextModelImpl& textEncoder,
                          const std::map<std::string, std::string>& metadata = {});

}  // namespace diffii
