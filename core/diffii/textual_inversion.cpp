#include "core/diffii/textual_inversion.h"

#include "core/io/error.h"
#include "core/io/safetensors.h"

namespace diffii {

int64_t setTokenEmbedding(ClipTokenizer& tokenizer, ClipTextModelImpl& textEncoder, const std::string& token,
                          const torch::Tensor& vector) {
    auto weight = textEncoder.tokenEmbeddingWeight();
    if (vector.dim() != 1 || vector.size(0) != weight.size(1))
        throw Error("embedding for token '" + token + "' has shape " + c10::str(vector.sizes()) +
                    " but the text encoder's hidden size is " + std::to_string(weight.size(1)));
    const int64_t id = tokenizer.addToken(token);
    if (static_cast<int64_t>(tokenizer.size()) > weight.size(0)) {
        textEncoder.resizeTokenEmbeddings(static_cast<int64_t>(tokenizer.size()));
        weight = textEncoder.tokenEmbeddingWeight();
    }
    torch::NoGradGuard g;
    weight[id].copy_(vector.to(weight.scalar_type()));
    return id;
}

std::vector<std::string> loadTextualInversion(const std::string& path, ClipTokenizer& tokenizer,
                                              ClipTextModelImpl& textEncoder) {
    SafeTensorsFile file(path);
    const auto keys = file.keys();
    if (keys.empty()) throw Error(path + ": no embeddings in the file");
    std::vector<std::string> added;
    for (const auto& token : keys) {
        auto t = file.tensor(token).to(torch::kFloat32);
        if (t.dim() == 1) {
            setTokenEmbedding(tokenizer, textEncoder, token, t);
            added.push_back(token);
        } else if (t.dim() == 2) {
            for (int64_t i = 0; i < t.size(0); ++i) {
                const std::string name = i == 0 ? token : token + "_" + std::to_string(i);
                setTokenEmbedding(tokenizer, textEncoder, name, t[i]);
                added.push_back(name);
            }
        } else {
            throw Error(path + ": embedding '" + token + "' has shape " + c10::str(t.sizes()) +
                        ", expected [hidden] or [n, hidden]");
        }
    }
    return added;
}

void saveTextualInversion(const std::string& path, const std::vector<std::string>& tokens,
                          const ClipTokenizer& tokenizer, ClipTextModelImpl& textEncoder,
                          const std::map<std::string, std::string>& metadata) {
    const auto weight = textEncoder.tokenEmbeddingWeight().detach();
    std::map<std::string, torch::Tensor> out;
    for (const auto& t : tokens) out[t] = weight[tokenizer.tokenId(t)].to(torch::kFloat32).clone();
    saveSafetensors(path, out, metadata);
}

}  // namespace diffii
