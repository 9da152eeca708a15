#include "core/diffii/textual_inversion.h"

#include <algorithm>
#include <filesystem>

#include "core/io/error.h"
#include "core/io/finite.h"
#include "core/io/safetensors.h"

namespace diffii {

namespace {

namespace fs = std::filesystem;

bool endsWith(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// "a [2, 768], b [768], ... (40 keys)": what a file holds, for an error message.
std::string listKeys(const SafeTensorsFile& file) {
    constexpr size_t kShown = 12;
    const auto keys = file.keys();
    std::string out;
    for (size_t i = 0; i < keys.size() && i < kShown; ++i) {
        std::string shape;
        for (const auto d : file.info(keys[i]).shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
        out += (i ? ", " : "") + ("'" + keys[i] + "' [" + shape + "]");
    }
    if (keys.size() > kShown) out += ", ... (" + std::to_string(keys.size()) + " keys)";
    return out;
}

// A diffusers-layout file holds one [C] or [n, C] floating tensor per token; a key named like a module weight
// (a LoRA or a model given by mistake) is no token.
bool looksLikeTokenKey(const SafeTensorsFile& file, const std::string& key) {
    for (const char* tail : {".weight", ".bias", ".alpha", "_weight", ".diff"})
        if (endsWith(key, tail)) return false;
    const auto& shape = file.info(key).shape;
    return shape.size() == 1 || shape.size() == 2;
}

TextualInversionEmbedding readEmbedding(const SafeTensorsFile& file, const std::string& key, std::string token,
                                        const std::string& layout, int64_t hiddenSize) {
    const std::string& path = file.path();
    auto t = file.tensor(key);
    if (!t.is_floating_point())
        throw Error(path + ": key '" + key + "' has dtype " + std::string(c10::toString(t.scalar_type())) +
                    ", expected F32, F16 or BF16 embedding vectors");
    if (t.dim() == 1) t = t.unsqueeze(0);
    if (t.dim() != 2)
        throw Error(path + ": key '" + key + "' has shape " + c10::str(t.sizes()) + ", expected [C] or [n, C]");
    if (t.size(0) == 0 || t.size(1) == 0)
        throw Error(path + ": key '" + key + "' has shape " + c10::str(t.sizes()) + ": no vectors");
    if (hiddenSize > 0 && t.size(1) != hiddenSize)
        throw Error(path + ": key '" + key + "' holds vectors of size " + std::to_string(t.size(1)) +
                    " but the text encoder's hidden size is " + std::to_string(hiddenSize) +
                    " (an embedding made for another model: SD 1.x has 768, SD 2.x 1024)");
    const auto summary = nonFiniteSummary(t);
    if (!summary.empty()) throw Error(path + ": key '" + key + "' has non-finite values (" + summary + ")");
    if (token.empty()) throw Error(path + ": key '" + key + "': the embedding has no name (give one: FILE:TOKEN)");
    return {std::move(token), t.to(torch::kFloat32).contiguous(), key, layout};
}

}  // namespace

std::vector<TextualInversionEmbedding> loadTextualInversionFile(const std::string& path, int64_t hiddenSize,
                                                                const std::string& tokenName) {
    const std::string ext = fs::path(path).extension().string();
    for (const char* pickled : {".pt", ".pth", ".bin", ".ckpt"})
        if (ext == pickled)
            throw Error(path + ": a pickled " + ext +
                        " file is not read (loading it could run code); use the .safetensors version of the embedding");
    SafeTensorsFile file(path);
    const auto keys = file.keys();
    if (keys.empty()) throw Error(path + ": no tensors in the file (expected a textual-inversion embedding)");
    const std::string stem = fs::path(path).stem().string();
    const std::string named = tokenName.empty() ? stem : tokenName;

    if (file.contains("clip_l") || file.contains("clip_g"))
        throw Error(path +
                    ": an SDXL embedding (keys 'clip_l' / 'clip_g'); SD 1.x/2.x models read only 'emb_params', "
                    "'string_to_param.*' or {token: vector} embeddings");
    if (file.contains("emb_params")) return {readEmbedding(file, "emb_params", named, "kohya", hiddenSize)};
    std::vector<std::string> a1111;
    for (const auto& k : keys)
        if (k.rfind("string_to_param.", 0) == 0) a1111.push_back(k);
    if (a1111.size() > 1)
        throw Error(
            path + ": " + std::to_string(a1111.size()) +
            " 'string_to_param.*' keys, expected one (an A1111 embedding holds one); keys found: " + listKeys(file));
    if (a1111.size() == 1) return {readEmbedding(file, a1111[0], named, "a1111", hiddenSize)};

    for (const auto& k : keys)
        if (!looksLikeTokenKey(file, k))
            throw Error(path +
                        ": not a textual-inversion embedding in a known layout (expected 'emb_params' (kohya), "
                        "'string_to_param.*' (A1111) or one [C] or [n, C] tensor per token (diffusers)); "
                        "keys found: " +
                        listKeys(file));
    if (!tokenName.empty() && keys.size() != 1)
        throw Error(path + ": holds " + std::to_string(keys.size()) + " tokens (" + listKeys(file) +
                    "); a token name (FILE:" + tokenName + ") renames only a file with one");
    std::vector<TextualInversionEmbedding> out;
    for (const auto& k : keys)
        out.push_back(readEmbedding(file, k, tokenName.empty() ? k : tokenName, "diffusers", hiddenSize));
    return out;
}

std::pair<std::string, std::string> splitEmbeddingArgument(const std::string& arg) {
    std::error_code ec;
    const auto colon = arg.rfind(':');
    if (colon == std::string::npos || fs::exists(arg, ec)) return {arg, ""};
    return {arg.substr(0, colon), arg.substr(colon + 1)};
}

std::vector<std::string> placeholderTokens(const std::string& token, int64_t n) {
    std::vector<std::string> names;
    for (int64_t i = 0; i < n; ++i) names.push_back(i == 0 ? token : token + "_" + std::to_string(i));
    return names;
}

std::vector<std::string> addTextualInversion(const std::string& source,
                                             const std::vector<TextualInversionEmbedding>& embeddings,
                                             ClipTokenizer& tokenizer, ClipTextModelImpl& textEncoder) {
    // Every name is checked before the first is added, so that a refused file leaves the model as it was.
    std::vector<std::string> all;
    for (const auto& e : embeddings)
        for (const auto& name : placeholderTokens(e.token, e.vectors.size(0))) {
            const auto& added = tokenizer.addedTokens();
            if (tokenizer.hasToken(name) || tokenizer.isVocabularyWord(name) ||
                std::find(all.begin(), all.end(), name) != all.end())
                throw Error(source + ": token '" + name + "' " +
                            (std::find(added.begin(), added.end(), name) != added.end() ||
                                     std::find(all.begin(), all.end(), name) != all.end()
                                 ? "is already in use (another embedding or a trained concept)"
                                 : "is a word of the model's vocabulary") +
                            "; give the embedding another name (FILE:TOKEN)");
            all.push_back(name);
        }
    for (const auto& e : embeddings) {
        const auto names = placeholderTokens(e.token, e.vectors.size(0));
        for (size_t i = 0; i < names.size(); ++i)
            setTokenEmbedding(tokenizer, textEncoder, names[i], e.vectors[static_cast<int64_t>(i)]);
        if (names.size() > 1) tokenizer.setExpansion(e.token, {names.begin() + 1, names.end()});
    }
    return all;
}

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
                                              ClipTextModelImpl& textEncoder, const std::string& tokenName) {
    const int64_t hidden = textEncoder.tokenEmbeddingWeight().size(1);
    return addTextualInversion(path, loadTextualInversionFile(path, hidden, tokenName), tokenizer, textEncoder);
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
