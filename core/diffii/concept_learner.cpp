#include "core/diffii/concept_learner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <ATen/Context.h>

#include "core/diffii/concept_loss.h"
#include "core/diffii/textual_inversion.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/json_config.h"
#include "core/io/regular_file.h"
#include "core/io/safetensors.h"
#include "core/jobs/block_cache.h"
#include "core/jobs/threads.h"
#include "core/pipelines/sd_pipeline.h"
#include "core/training/curves.h"
#include "core/training/random.h"
#include "core/training/training_state.h"

namespace diffii {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCheckpointFormat = "diffii-concepts-checkpoint";
constexpr const char* kConceptsFormat = "diffii-concepts";
constexpr int kSchemaVersion = 1;

enum Stream : uint64_t { kEpochPermutation = 1, kStepDraws = 2, kEmbeddingResize = 3 };

std::string dtypeName(torch::Dtype dtype) { return dtype == torch::kBFloat16 ? "bfloat16" : c10::toString(dtype); }

// Resize the shorter side to `size`, then crop the centre (torchvision Resize + CenterCrop, as Diff-Mix).
torch::Tensor squareImage(const torch::Tensor& image, int64_t size) {
    const int64_t h = image.size(1), w = image.size(2);
    if (h == size && w == size) return image;
    const double scale = static_cast<double>(size) / static_cast<double>(std::min(h, w));
    const int64_t nh = std::max<int64_t>(size, std::llround(static_cast<double>(h) * scale));
    const int64_t nw = std::max<int64_t>(size, std::llround(static_cast<double>(w) * scale));
    const auto resized = resizeImage(image, nh, nw);
    const int64_t top = (nh - size) / 2, left = (nw - size) / 2;
    return resized.slice(1, top, top + size).slice(2, left, left + size).contiguous();
}

// Restores what train() changes on the shared model for the duration of training, also when it throws.
class TrainingModeGuard {
public:
    explicit TrainingModeGuard(torch::nn::Embedding embedding) : m_embedding(std::move(embedding)) {
        m_sparse = m_embedding->options.sparse();
        // A sparse gradient touches only the rows of the batch's ids instead of the whole [vocab, C] table.
        m_embedding->options.sparse(true);
        m_embedding->weight.set_requires_grad(true);
    }
    ~TrainingModeGuard() {
        m_embedding->options.sparse(m_sparse);
        m_embedding->weight.mutable_grad() = torch::Tensor();
        m_embedding->weight.set_requires_grad(false);
    }
    TrainingModeGuard(const TrainingModeGuard&) = delete;
    TrainingModeGuard& operator=(const TrainingModeGuard&) = delete;

private:
    torch::nn::Embedding m_embedding;
    bool m_sparse = false;
};

std::string shortNumber(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

void ensureWritableFolder(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        throw Error("output folder '" + dir + "' cannot be created: " + (ec ? ec.message() : "not a directory"));
    const std::string probe = (fs::path(dir) / ".diffii-write-test").string();
    try {
        writeFileAtomic(probe, "ok");
    } catch (const std::exception& e) {
        throw Error("output folder '" + dir + "' is not writable: " + e.what());
    }
    fs::remove(probe, ec);
}

}  // namespace

nlohmann::json ConceptSettings::toJson() const {
    return {{"tokens_per_class", tokensPerClass},
            {"init_word", initWord},
            {"lora_rank", loraRank},
            {"embedding_lr", embeddingLr},
            {"lora_lr", loraLr},
            {"embedding_weight_decay", embeddingWeightDecay},
            {"lora_weight_decay", loraWeightDecay},
            {"lr_warmup_steps", lrWarmupSteps},
            {"batch_size", batchSize},
            {"grad_accumulation", gradAccumulation},
            {"max_steps", maxSteps},
            {"checkpoint_every", checkpointEvery},
            {"seed", seed},
            {"bf16", bf16},
            {"image_size", imageSize},
            {"random_flip", randomFlip},
            {"loss_smoothing", lossSmoothing}};
}

std::string conceptPrompt(const std::vector<std::string>& tokens, const std::string& metaclass) {
    std::string p = "a photo of a";
    for (const auto& t : tokens) p += " " + t;
    if (!metaclass.empty()) p += " " + metaclass;
    return p;
}

std::vector<LossLogRow> readLossLog(const std::string& file) {
    std::vector<LossLogRow> rows;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return rows;
    std::ifstream csv(file);
    if (!csv) throw Error(file + ": cannot read");
    std::string line;
    std::getline(csv, line);  // the header
    while (std::getline(csv, line)) {
        if (line.empty()) continue;
        LossLogRow r;
        char* end = nullptr;
        r.step = std::strtoll(line.c_str(), &end, 10);
        if (*end != ',') throw Error(file + ": not a loss log line: " + line);
        r.loss = std::strtod(end + 1, &end);
        if (*end != ',') throw Error(file + ": not a loss log line: " + line);
        r.smoothed = std::strtod(end + 1, &end);
        rows.push_back(r);
    }
    return rows;
}

std::string conceptSlug(const std::string& className) {
    std::string out;
    bool dash = false;
    for (const unsigned char c : className) {
        if (std::isalnum(c) && c < 0x80) {
            if (dash && !out.empty()) out += '-';
            dash = false;
            out += static_cast<char>(std::tolower(c));
        } else {
            dash = true;
        }
    }
    return out;
}

ConceptLearner::ConceptLearner(std::shared_ptr<StableDiffusion> sd, std::vector<ConceptClass> classes,
                               std::string metaclass, ConceptSettings settings)
    : m_sd(std::move(sd)), m_classes(std::move(classes)), m_metaclass(std::move(metaclass)), m_settings(settings) {
    if (!m_sd) throw Error("ConceptLearner: no model");
    const auto& s = m_settings;
    auto require = [](bool ok, const std::string& key, const std::string& value, const std::string& expected) {
        if (!ok) throw Error("ConceptSettings." + key + " = " + value + ": expected " + expected);
    };
    require(s.tokensPerClass >= 1, "tokensPerClass", std::to_string(s.tokensPerClass), ">= 1");
    require(s.loraRank >= 1, "loraRank", std::to_string(s.loraRank), ">= 1");
    require(s.embeddingLr >= 0, "embeddingLr", shortNumber(s.embeddingLr), ">= 0");
    require(s.loraLr >= 0, "loraLr", shortNumber(s.loraLr), ">= 0");
    require(s.embeddingWeightDecay >= 0, "embeddingWeightDecay", shortNumber(s.embeddingWeightDecay), ">= 0");
    require(s.loraWeightDecay >= 0, "loraWeightDecay", shortNumber(s.loraWeightDecay), ">= 0");
    require(s.lrWarmupSteps >= 0, "lrWarmupSteps", std::to_string(s.lrWarmupSteps), ">= 0");
    require(s.batchSize >= 1, "batchSize", std::to_string(s.batchSize), ">= 1");
    require(s.gradAccumulation >= 1, "gradAccumulation", std::to_string(s.gradAccumulation), ">= 1");
    require(s.maxSteps >= 0, "maxSteps", std::to_string(s.maxSteps), ">= 0");
    require(s.checkpointEvery >= 0, "checkpointEvery", std::to_string(s.checkpointEvery), ">= 0");
    require(s.lossSmoothing >= 0 && s.lossSmoothing < 1, "lossSmoothing", shortNumber(s.lossSmoothing), "in [0, 1)");
    const int64_t factor = m_sd->vaeScaleFactor();
    require(s.imageSize == 0 || (s.imageSize > 0 && s.imageSize % factor == 0), "imageSize",
            std::to_string(s.imageSize),
            "0 (native) or a positive multiple of the VAE factor " + std::to_string(factor));
    const bool modelBf16 = m_sd->dtype() == torch::kBFloat16;
    if (s.bf16 != modelBf16)
        throw Error(std::string("ConceptSettings.bf16 = ") + (s.bf16 ? "true" : "false") + " but the model in '" +
                    m_sd->dir() + "' was loaded as " + dtypeName(m_sd->dtype()) +
                    (s.bf16 ? " (load it with LoadSettings{torch::kBFloat16})" : ""));
    if (m_classes.empty()) throw Error("ConceptLearner: no classes to learn");

    auto& tokenizer = m_sd->tokenizer();
    std::set<std::string> seenNames, seenTokens, seenSlugs;
    for (size_t c = 0; c < m_classes.size(); ++c) {
        auto& cls = m_classes[c];
        if (!seenNames.insert(cls.name).second) throw Error("class '" + cls.name + "' is given twice");
        if (cls.imagePaths.empty()) throw Error("class '" + cls.name + "' has no images");
        std::vector<std::string> tokens = cls.tokens;
        if (tokens.empty()) {
            std::string slug = conceptSlug(cls.name);
            if (slug.empty()) slug = "class" + std::to_string(c);
            // Classes whose names differ only in case or punctuation ("Owl" and "owl", "a,b" and "a b") share a slug:
            // a later one takes a number after it, the first free one from its index (it was refused as "token used
            // by another class").
            const std::string base = slug;
            for (size_t n = c; !seenSlugs.insert(slug).second; ++n) slug = base + "-" + std::to_string(n);
            for (int i = 0; i < s.tokensPerClass; ++i) tokens.push_back("<" + slug + "-" + std::to_string(i) + ">");
        }
        for (const auto& t : tokens) {
            if (t.empty() || t.find_first_of(" \t\r\n") != std::string::npos)
                throw Error("class '" + cls.name + "': placeholder token '" + t + "' is empty or contains whitespace");
            if (!seenTokens.insert(t).second)
                throw Error("class '" + cls.name + "': placeholder token '" + t + "' is used by another class");
            // An added token from an earlier run may be reused; a vocabulary word or special token may not.
            const auto& added = tokenizer.addedTokens();
            if (!tokenizer.hasToken(t) && tokenizer.isVocabularyWord(t))
                throw Error("class '" + cls.name + "': placeholder token '" + t +
                            "' is a word of the tokenizer's vocabulary");
            if (tokenizer.hasToken(t)) {
                const int64_t id = tokenizer.tokenId(t);
                const bool special = id == tokenizer.bosId() || id == tokenizer.eosId() || id == tokenizer.padId() ||
                                     id == tokenizer.unkId();
                if (special || std::find(added.begin(), added.end(), t) == added.end())
                    throw Error("class '" + cls.name + "': placeholder token '" + t +
                                "' is already a word of the tokenizer's vocabulary (id " + std::to_string(id) + ")");
            }
        }
        if (cls.initWord.empty()) cls.initWord = s.initWord.empty() ? m_metaclass : s.initWord;
        if (cls.initWord.empty())
            throw Error("class '" + cls.name +
                        "': no init word (neither the class, the settings nor the metaclass give one)");
        const auto ids = tokenizer.encode(cls.initWord);  // BOS ... EOS
        if (ids.size() <= 2) throw Error("class '" + cls.name + "': init word '" + cls.initWord + "' gives no token");
        for (size_t i = 1; i + 1 < ids.size(); ++i) {
            const int64_t id = ids[i];
            if (id == tokenizer.unkId() || id == tokenizer.bosId() || id == tokenizer.eosId() ||
                id == tokenizer.padId())
                throw Error("class '" + cls.name + "': init word '" + cls.initWord +
                            "' is unknown to the tokenizer (it maps to a special token)");
        }
        m_tokens.push_back(tokens);
    }
}

std::string LoadedConcepts::prompt(const std::string& className) const {
    const auto it = tokensPerClass.find(className);
    if (it == tokensPerClass.end()) throw Error("no learned concept for class '" + className + "'");
    return conceptPrompt(it->second, metaclass);
}

namespace {

// What the run depends on: a checkpoint is only resumed by the same description.
nlohmann::json runIdentity(const std::vector<ConceptClass>& classes,
                           const std::vector<std::vector<std::string>>& tokens, const std::string& metaclass,
                           const StableDiffusion& sd, const ConceptSettings& s) {
    nlohmann::json classesJson = nlohmann::json::array();
    for (size_t c = 0; c < classes.size(); ++c)
        classesJson.push_back({{"name", classes[c].name},
                               {"tokens", tokens[c]},
                               {"init_word", classes[c].initWord},
                               {"images", classes[c].imagePaths}});
    return {{"classes", classesJson},
            {"metaclass", metaclass},
            {"model", sd.dir()},
            {"dtype", dtypeName(sd.dtype())},
            {"settings", s.toJson()}};
}

nlohmann::json comparableSettings(nlohmann::json j) {
    j.erase("max_steps");
    j.erase("checkpoint_every");
    return j;
}

// The step a checkpoint of this run stopped at; an Error naming the key when it comes from another run.
int64_t readCheckpointStep(const SafeTensorsFile& checkpoint, const std::string& checkpointPath,
                           const nlohmann::json& identity) {
    const auto& meta = checkpoint.metadata();
    const auto it = meta.find("checkpoint");
    if (it == meta.end()) throw Error(checkpointPath + ": metadata key 'checkpoint' is missing");
    nlohmann::json saved;
    try {
        saved = nlohmann::json::parse(it->second);
    } catch (const std::exception& e) {
        throw Error(checkpointPath + ": metadata 'checkpoint' is not JSON: " + e.what());
    }
    if (saved.value("format", "") != kCheckpointFormat)
        throw Error(checkpointPath + ": metadata 'checkpoint'.format is '" + saved.value("format", "") +
                    "', expected '" + kCheckpointFormat + "'");
    // The values are quoted bounded: the class list of a large dataset runs to kilobytes.
    const std::string hint = "; resume with the checkpoint's value, or restart from step 0 (discards the checkpoint)";
    for (const char* key : {"classes", "metaclass", "model", "dtype"}) {
        if (saved.value(key, nlohmann::json()) != identity.at(key))
            throw CheckpointMismatch(checkpointPath + ": key '" + key + "' is " +
                                     boundedText(saved.value(key, nlohmann::json()).dump(), 200) +
                                     " but this run has " + boundedText(identity.at(key).dump(), 200) + hint);
    }
    const auto savedSettings = comparableSettings(saved.value("settings", nlohmann::json::object()));
    const auto ourSettings = comparableSettings(identity.at("settings"));
    for (const auto& [key, value] : ourSettings.items()) {
        if (!savedSettings.contains(key) || savedSettings[key] != value)
            throw CheckpointMismatch(
                checkpointPath + ": setting '" + key + "' is " +
                (savedSettings.contains(key) ? boundedText(savedSettings[key].dump(), 200) : std::string("missing")) +
                " but this run has " + boundedText(value.dump(), 200) + hint);
    }
    return jsonRequire<int64_t>(saved, "step", checkpointPath);
}

// class name -> its placeholder tokens.
nlohmann::json tokensByClass(const std::vector<ConceptClass>& classes,
                             const std::vector<std::vector<std::string>>& tokens) {
    nlohmann::json tokensJson = nlohmann::json::object();
    for (size_t c = 0; c < classes.size(); ++c) tokensJson[classes[c].name] = tokens[c];
    return tokensJson;
}

// The trained placeholder rows: a float32 master copy (the model's table may be bfloat16) and where they live in
// the text encoder's token-embedding table.
struct PlaceholderRows {
    std::vector<std::string> tokens;  // every class's tokens, in class order
    torch::Tensor ids;                // their token ids
    std::map<int64_t, int64_t> rowOfId;
    torch::Tensor rows;  // float32 [tokens, C]: what the optimizer trains
    torch::nn::Embedding module{nullptr};
    torch::Tensor weight;  // the model's token-embedding table

    void writeToModel() {
        torch::NoGradGuard g;
        weight.index_copy_(0, ids, rows.to(weight.scalar_type()));
    }

    // The token-embedding gradient of one backward -> the master rows' gradient; the rest of the table never
    // enters the optimizer. Taken after every micro-batch: LibTorch 1.13 cannot add sparse bfloat16 gradients.
    void takeGradient(torch::Tensor& rowsGrad) {
        torch::NoGradGuard g;
        auto grad = weight.grad();
        if (!grad.defined()) return;
        if (grad.is_sparse()) {
            grad = grad.coalesce();
            const auto idx = grad.indices()[0].to(torch::kCPU).contiguous();  // read on the host
            const auto values = grad.values().to(torch::kFloat32);
            const auto* idp = idx.data_ptr<int64_t>();
            std::vector<int64_t> src, dst;
            for (int64_t i = 0; i < idx.numel(); ++i) {
                const auto it = rowOfId.find(idp[i]);
                if (it == rowOfId.end()) continue;
                src.push_back(i);
                dst.push_back(it->second);
            }
            if (!src.empty())
                rowsGrad.index_add_(0, torch::tensor(dst, torch::kLong).to(rowsGrad.device()),
                                    values.index_select(0, torch::tensor(src, torch::kLong).to(values.device())));
        } else {
            rowsGrad.add_(grad.index_select(0, ids).to(torch::kFloat32));
        }
        weight.mutable_grad() = torch::Tensor();
    }
};

// Tokens: all added first, then one resize (a resize copies the whole table). Each new row starts from the init
// word's embedding.
PlaceholderRows addPlaceholderTokens(StableDiffusion& sd, const std::vector<ConceptClass>& classes,
                                     const std::vector<std::vector<std::string>>& classTokens, uint64_t seed) {
    auto& tokenizer = sd.tokenizer();
    auto& textEncoder = *sd.textEncoder();
    const auto baseWeight = textEncoder.tokenEmbeddingWeight().detach();
    std::vector<torch::Tensor> initRows;
    for (size_t c = 0; c < classes.size(); ++c) {
        const auto ids = tokenizer.encode(classes[c].initWord);
        const auto idTensor =
            torch::tensor(std::vector<int64_t>(ids.begin() + 1, ids.end() - 1), torch::kLong).to(baseWeight.device());
        // Several BPE pieces: the mean of their embeddings.
        const auto init = baseWeight.index_select(0, idTensor).to(torch::kFloat32).mean(0);
        for (size_t i = 0; i < classTokens[c].size(); ++i) initRows.push_back(init);
    }
    PlaceholderRows p;
    std::vector<int64_t> tokenIds;
    for (const auto& tokens : classTokens)
        for (const auto& t : tokens) {
            tokenIds.push_back(tokenizer.addToken(t));
            p.tokens.push_back(t);
        }
    if (static_cast<int64_t>(tokenizer.size()) > baseWeight.size(0))
        textEncoder.resizeTokenEmbeddings(static_cast<int64_t>(tokenizer.size()),
                                          derivedGenerator(seed, kEmbeddingResize, 0));
    p.module = textEncoder.textModel->embeddings->tokenEmbedding;
    p.weight = textEncoder.tokenEmbeddingWeight();
    p.ids = torch::tensor(tokenIds, torch::kLong).to(p.weight.device());
    p.rows = torch::stack(initRows).contiguous();
    for (size_t i = 0; i < tokenIds.size(); ++i) p.rowOfId[tokenIds[i]] = static_cast<int64_t>(i);
    return p;
}

void freezeModel(StableDiffusion& sd) {
    for (auto& p : sd.unet()->parameters()) p.set_requires_grad(false);
    for (auto& p : sd.textEncoder()->parameters()) p.set_requires_grad(false);
    for (auto& p : sd.vae()->parameters()) p.set_requires_grad(false);
}

// Attaches the LoRA at scale 1; returns its trainable weights ("<module>.down", "<module>.up", sorted by module).
NamedTensors attachSharedLora(UNetLoraImpl& lora, UNet2DConditionModelImpl& unet) {
    lora.attach(unet, 1.0);
    NamedTensors loraParams;
    for (const auto& [module, layer] : lora.layers()) {  // module path -> layer, sorted
        loraParams.emplace_back(module + ".down", layer->down->weight);
        loraParams.emplace_back(module + ".up", layer->up->weight);
    }
    for (auto& [name, p] : loraParams) p.set_requires_grad(true);
    return loraParams;
}

// The training images as cached latents (and those of their mirror images), with each image's class.
struct TrainingImages {
    torch::Tensor latents;     // [N, ...], the classes' images in order
    torch::Tensor flipped;     // the mirror images' latents (== latents without randomFlip)
    torch::Tensor classIds;    // [classes, maxLength]: the padded prompt ids of each class
    torch::Tensor imageClass;  // [N]: the class of each image
    int64_t count = 0;
};

// Progress is reported at startStep (a resumed run's step), so that the fronts' ETA does not take the resumed steps
// for work of this run.
TrainingImages encodeTrainingImages(StableDiffusion& sd, const std::vector<ConceptClass>& classes,
                                    const std::vector<std::vector<std::string>>& tokens, const std::string& metaclass,
                                    const ConceptSettings& s, int64_t startStep, const JobContext* job) {
    const int64_t size = s.imageSize > 0 ? s.imageSize : sd.nativeImageSize();
    std::vector<torch::Tensor> latents, flippedLatents;
    std::vector<int64_t> imageClass;
    int64_t totalImages = 0;
    for (const auto& cls : classes) totalImages += static_cast<int64_t>(cls.imagePaths.size());
    for (size_t c = 0; c < classes.size(); ++c) {
        for (const auto& path : classes[c].imagePaths) {
            if (job) job->throwIfCancelled();
            if (job)
                job->report("concepts", startStep, s.maxSteps,
                            "encoding image " + std::to_string(latents.size() + 1) + "/" + std::to_string(totalImages));
            torch::Tensor image;
            try {
                image = squareImage(loadImageRgb(path), size);
            } catch (const Error& e) {
                throw Error("class '" + classes[c].name + "': " + e.what());
            }
            latents.push_back(encodeImageToLatent(sd, image)[0]);
            if (s.randomFlip) flippedLatents.push_back(encodeImageToLatent(sd, image.flip({2}))[0]);
            imageClass.push_back(static_cast<int64_t>(c));
        }
    }
    TrainingImages out;
    out.latents = torch::stack(latents);
    out.flipped = s.randomFlip ? torch::stack(flippedLatents) : out.latents;
    std::vector<torch::Tensor> classIds;
    for (size_t c = 0; c < classes.size(); ++c)
        classIds.push_back(
            torch::tensor(sd.tokenizer().encodePadded(conceptPrompt(tokens[c], metaclass)), torch::kLong));
    out.classIds = torch::stack(classIds);
    out.imageClass = torch::tensor(imageClass, torch::kLong);
    out.count = out.latents.size(0);
    return out;
}

// AdamW with two groups: the embedding rows, then the LoRA weights.
std::unique_ptr<torch::optim::AdamW> makeOptimizer(const torch::Tensor& rows, const NamedTensors& loraParams,
                                                   const ConceptSettings& s) {
    rows.set_requires_grad(true);
    std::vector<torch::Tensor> loraTensors;
    for (auto& [name, p] : loraParams) loraTensors.push_back(p);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<torch::Tensor>{rows},
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(s.embeddingLr).weight_decay(s.embeddingWeightDecay)));
    groups.emplace_back(loraTensors, std::make_unique<torch::optim::AdamWOptions>(
                                         torch::optim::AdamWOptions(s.loraLr).weight_decay(s.loraWeightDecay)));
    return std::make_unique<torch::optim::AdamW>(std::move(groups));
}

// The k-th training sample overall: epochs of seeded permutations of the images.
class EpochOrder {
public:
    EpochOrder(uint64_t seed, int64_t numImages) : m_seed(seed), m_numImages(numImages) {}
    int64_t imageAt(int64_t k) {
        const int64_t epoch = k / m_numImages;
        if (epoch != m_cachedEpoch) {
            auto gen = derivedGenerator(m_seed, kEpochPermutation, static_cast<uint64_t>(epoch));
            m_permutation = torch::randperm(m_numImages, gen, torch::kLong);
            m_cachedEpoch = epoch;
        }
        return m_permutation[k % m_numImages].item<int64_t>();
    }

private:
    uint64_t m_seed;
    int64_t m_numImages;
    int64_t m_cachedEpoch = -1;
    torch::Tensor m_permutation;
};

// The state of one train() call: what it trains, its optimizer, the loss log and the files it writes.
struct ConceptRun {
    ConceptRun(StableDiffusion& model, const ConceptSettings& settings, const std::string& outputDir)
        : sd(model), s(settings), out(outputDir), checkpointPath((out / "checkpoint.safetensors").string()) {}

    StableDiffusion& sd;
    const ConceptSettings& s;
    const fs::path out;
    const std::string checkpointPath;
    nlohmann::json identity;    // runIdentity()
    nlohmann::json tokensJson;  // tokensByClass()
    PlaceholderRows placeholders;
    TrainingImages images;
    std::unique_ptr<torch::optim::AdamW> optimizer;
    NamedTensors namedParams;     // "embeddings", "lora.<module>.{down,up}": what a checkpoint holds
    std::vector<double> lossLog;  // one loss per optimizer step
    // The smoothed loss the progress reports, kept step by step.
    LossEma ema{s.lossSmoothing};

    void setTrainedParameters(const NamedTensors& loraParams) {
        optimizer = makeOptimizer(placeholders.rows, loraParams, s);
        namedParams = {{"embeddings", placeholders.rows}};
        for (auto& [name, p] : loraParams) namedParams.emplace_back("lora." + name, p);
    }

    // The optimizer state, the trained weights and the loss log (replayed into the EMA) of a checkpoint that
    // stopped at startStep.
    void restore(const SafeTensorsFile& checkpoint, int64_t startStep) {
        restoreTrainingState(*optimizer, namedParams, checkpoint);
        lossLog = restoreLossLog(checkpoint);
        if (static_cast<int64_t>(lossLog.size()) != startStep)
            throw Error(checkpointPath + ": key 'log.loss' has " + std::to_string(lossLog.size()) +
                        " entries, expected one per step (" + std::to_string(startStep) + ")");
        for (const double l : lossLog) ema.add(l);
    }

    void recordLoss(double l) {
        lossLog.push_back(l);
        ema.add(l);
    }

    double lrFactor(int64_t step /* 1-based */) const { return linearWarmup(step, s.lrWarmupSteps); }

    std::vector<double> smoothedLosses() const { return LossEma::curve(lossLog, s.lossSmoothing); }

    void writeLossCsv() const {
        const auto sm = smoothedLosses();
        std::ostringstream csv;
        csv << "step,loss,smoothed_loss,lr_embedding,lr_lora\n";
        for (size_t i = 0; i < lossLog.size(); ++i) {
            const double f = lrFactor(static_cast<int64_t>(i) + 1);
            csv << (i + 1) << ',' << shortNumber(lossLog[i]) << ',' << shortNumber(sm[i]) << ','
                << shortNumber(s.embeddingLr * f) << ',' << shortNumber(s.loraLr * f) << '\n';
        }
        writeFileAtomic((out / "loss.csv").string(), csv.str());
    }

    void writeCheckpoint(int64_t step) const {
        std::map<std::string, torch::Tensor> tensors;
        storeTrainingState(*optimizer, namedParams, tensors);
        storeLossLog(lossLog, tensors);
        nlohmann::json j = identity;
        j["format"] = kCheckpointFormat;
        j["version"] = kSchemaVersion;
        j["step"] = step;
        j["tokens"] = tokensJson;
        saveSafetensors(checkpointPath, tensors, {{"checkpoint", j.dump()}});
        // Informational copy; resume reads the safetensors metadata, which is written in the same atomic rename.
        writeFileAtomic((out / "checkpoint.json").string(), j.dump(2) + "\n");
        writeLossCsv();
    }

    // Optimizer step `step` + 1: its micro-batches (all draws from the step's own generator), the embedding
    // gradient of each, the update, and the updated rows written into the model. Returns the step's loss (the mean
    // over its micro-batches).
    double trainStep(int64_t step, const DdimScheduler& noiseScheduler, EpochOrder& order) {
        const int64_t numTrainTimesteps = sd.schedulerConfig().numTrainTimesteps;
        const int64_t perStep = static_cast<int64_t>(s.batchSize) * s.gradAccumulation;
        const double f = lrFactor(step + 1);
        static_cast<torch::optim::AdamWOptions&>(optimizer->param_groups()[0].options()).lr(s.embeddingLr * f);
        static_cast<torch::optim::AdamWOptions&>(optimizer->param_groups()[1].options()).lr(s.loraLr * f);

        auto gen = derivedGenerator(s.seed, kStepDraws, static_cast<uint64_t>(step));
        auto& rows = placeholders.rows;
        auto rowsGrad = torch::zeros_like(rows);
        double lossSum = 0.0;
        for (int micro = 0; micro < s.gradAccumulation; ++micro) {
            std::vector<int64_t> picks;
            for (int b = 0; b < s.batchSize; ++b)
                picks.push_back(order.imageAt(step * perStep + micro * s.batchSize + b));
            // Drawn on the CPU (the same draws on every device), used where the latents live.
            const auto dev = images.latents.device();
            const auto index = torch::tensor(picks, torch::kLong);
            auto x0 = images.latents.index_select(0, index.to(dev));
            if (s.randomFlip) {
                const auto flip = torch::randint(0, 2, {s.batchSize}, gen, torch::kLong).to(dev, torch::kBool);
                x0 = torch::where(flip.view({-1, 1, 1, 1}), images.flipped.index_select(0, index.to(dev)), x0);
            }
            const auto noise = torch::randn(x0.sizes(), gen, torch::kFloat32).to(dev);
            const auto timesteps = torch::randint(0, numTrainTimesteps, {s.batchSize}, gen, torch::kLong).to(dev);
            const auto inputIds = images.classIds.index_select(0, images.imageClass.index_select(0, index));
            const auto loss = conceptTrainingLoss(sd, noiseScheduler, x0, noise, timesteps, inputIds);
            if (!std::isfinite(loss.item<double>()))
                throw Error("concept learning loss is " + std::to_string(loss.item<double>()) + " at step " +
                            std::to_string(step + 1) + " (non-finite: the model's weights or the learning rates)");
            (s.gradAccumulation > 1 ? loss / static_cast<double>(s.gradAccumulation) : loss).backward();
            lossSum += loss.item<double>();
            placeholders.takeGradient(rowsGrad);
        }

        rows.mutable_grad() = rowsGrad;
        optimizer->step();
        optimizer->zero_grad();
        placeholders.writeToModel();
        return lossSum / s.gradAccumulation;
    }

    // The result's step count, speed (steps of this call / their wall time) and final losses.
    void finishResult(ConceptResult& result, int64_t startStep, int64_t step, double seconds) const {
        const int64_t ran = step - startStep;
        result.stepsPerSecond = ran > 0 && seconds > 0 ? static_cast<double>(ran) / seconds : 0.0;
        result.steps = step;
        if (!lossLog.empty()) {
            result.finalLoss = lossLog.back();
            result.smoothedLoss = smoothedLosses().back();
        }
    }

    void reportStep(const JobContext& job, int64_t step) const {
        char detail[64];
        std::snprintf(detail, sizeof detail, "loss %.4f", lossLog.back());
        Progress p{"concepts", step, s.maxSteps, detail, lossLog.back(), ema.value()};
        job.report(p);
    }

    // Weights first, concepts.json last (it names what the folder holds).
    void writeOutputs(const UNetLoraImpl& lora, int64_t step, const ConceptResult& result) const {
        const std::map<std::string, std::string> metadata = {{"diffii.concepts", identity.dump()},
                                                             {"diffii.steps", std::to_string(step)}};
        {
            std::map<std::string, torch::Tensor> embeddings;
            const auto master = placeholders.rows.detach();
            for (size_t i = 0; i < placeholders.tokens.size(); ++i)
                embeddings[placeholders.tokens[i]] = master[i].clone();
            saveSafetensors((out / "embeddings.safetensors").string(), embeddings, metadata);
        }
        lora.save((out / "lora.safetensors").string(), metadata);
        nlohmann::json concepts = identity;
        concepts["format"] = kConceptsFormat;
        concepts["version"] = kSchemaVersion;
        concepts["prompt_template"] = "a photo of a {tokens} {metaclass}";
        concepts["steps"] = step;
        concepts["final_loss"] = result.finalLoss;
        concepts["smoothed_loss"] = result.smoothedLoss;
        concepts["tokens"] = tokensJson;
        concepts["embeddings"] = "embeddings.safetensors";
        concepts["lora"] = "lora.safetensors";
        writeFileAtomic((out / "concepts.json").string(), concepts.dump(2) + "\n");
    }
};

ConceptResult startResult(const std::string& outputDir, int64_t startStep, const std::vector<ConceptClass>& classes,
                          const std::vector<std::vector<std::string>>& tokens) {
    ConceptResult result;
    result.resumedFromStep = startStep;
    result.outputDir = outputDir;
    for (size_t c = 0; c < classes.size(); ++c) {
        result.classNames.push_back(classes[c].name);
        result.tokensPerClass[classes[c].name] = tokens[c];
    }
    return result;
}

}  // namespace

ConceptResult ConceptLearner::train(const std::string& outputDir, const JobContext* job, bool resume) {
    const auto& s = m_settings;
    ensureWritableFolder(outputDir);
    // Denormals in the backward pass made a step ~47x slower on CPU; the flag lives in each thread's MXCSR.
    flushDenormalsOnComputeThreads();
    const LargeBlocksMapped heapPolicy;  // training's activations fragment the heap (core/jobs/block_cache.h)
    StableDiffusion& sd = *m_sd;
    ConceptRun run(sd, s, outputDir);

    // --- run identity + checkpoint validation ------------------------------------------------------------------
    run.identity = runIdentity(m_classes, m_tokens, m_metaclass, sd, s);
    run.tokensJson = tokensByClass(m_classes, m_tokens);
    std::unique_ptr<SafeTensorsFile> checkpoint;
    int64_t startStep = 0;
    if (resume && fs::exists(run.checkpointPath)) {
        checkpoint = std::make_unique<SafeTensorsFile>(run.checkpointPath);
        startStep = readCheckpointStep(*checkpoint, run.checkpointPath, run.identity);
    }

    // --- tokens, then the model: frozen, plus the shared LoRA ------------------------------------------------
    run.placeholders = addPlaceholderTokens(sd, m_classes, m_tokens, s.seed);
    freezeModel(sd);
    m_lora = UNetLoraImpl::create(*sd.unet(), s.loraRank, s.seed);
    const NamedTensors loraParams = attachSharedLora(*m_lora, *sd.unet());

    // --- training images -> cached latents (and their mirror images) -------------------------------------------
    run.images = encodeTrainingImages(sd, m_classes, m_tokens, m_metaclass, s, startStep, job);

    // --- optimizer, restored with the weights and the loss log when resuming -----------------------------------
    run.setTrainedParameters(loraParams);
    if (checkpoint) {
        run.restore(*checkpoint, startStep);
        checkpoint.reset();
    }
    run.placeholders.writeToModel();

    // --- training ----------------------------------------------------------------------------------------------
    TrainingModeGuard trainingMode(run.placeholders.module);
    DdimScheduler noiseScheduler(sd.schedulerConfig());
    EpochOrder order(s.seed, run.images.count);
    ConceptResult result = startResult(outputDir, startStep, m_classes, m_tokens);
    const auto t0 = std::chrono::steady_clock::now();
    int64_t step = startStep;
    while (step < s.maxSteps) {
        if (job && job->cancelled()) {
            run.writeCheckpoint(step);
            job->throwIfCancelled();
        }
        run.recordLoss(run.trainStep(step, noiseScheduler, order));
        ++step;
        if (job) run.reportStep(*job, step);
        if (s.checkpointEvery > 0 && step % s.checkpointEvery == 0 && step < s.maxSteps) run.writeCheckpoint(step);
        if (m_onStep) m_onStep(step);
    }
    run.finishResult(result, startStep, step,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

    // --- outputs -----------------------------------------------------------------------------------------------
    run.writeCheckpoint(step);
    run.writeOutputs(*m_lora, step, result);
    return result;
}

LoadedConcepts loadConcepts(StableDiffusion& sd, const std::string& folder, double loraScale) {
    const fs::path dir(folder);
    const std::string conceptsPath = (dir / "concepts.json").string();
    if (!fs::exists(conceptsPath))
        throw Error(conceptsPath + ": not found (is '" + folder + "' a trained concept folder?)");
    const auto j = readJsonFile(conceptsPath);
    if (jsonValue<std::string>(j, "format", "", conceptsPath) != kConceptsFormat)
        throw Error(conceptsPath + ": key 'format' is '" + jsonValue<std::string>(j, "format", "", conceptsPath) +
                    "', expected '" + kConceptsFormat + "'");
    LoadedConcepts result;
    result.metaclass = jsonRequire<std::string>(j, "metaclass", conceptsPath);
    const auto classes = jsonRequire<nlohmann::json>(j, "classes", conceptsPath);
    if (!classes.is_array()) throw Error(conceptsPath + ": key 'classes' must be an array");
    for (const auto& c : classes) {
        const auto name = jsonRequire<std::string>(c, "name", conceptsPath);
        result.classNames.push_back(name);
        result.tokensPerClass[name] = jsonRequire<std::vector<std::string>>(c, "tokens", conceptsPath);
    }
    const std::string embeddingsPath =
        (dir / jsonValue<std::string>(j, "embeddings", "embeddings.safetensors", conceptsPath)).string();
    const std::string loraPath = (dir / jsonValue<std::string>(j, "lora", "lora.safetensors", conceptsPath)).string();
    const auto added = loadTextualInversion(embeddingsPath, sd.tokenizer(), *sd.textEncoder());
    const std::set<std::string> addedSet(added.begin(), added.end());
    for (const auto& [name, tokens] : result.tokensPerClass)
        for (const auto& t : tokens)
            if (!addedSet.count(t))
                throw Error(embeddingsPath + ": token '" + t + "' of class '" + name + "' (named in " + conceptsPath +
                            ") is not in the file");
    result.lora = UNetLoraImpl::load(loraPath, *sd.unet());
    result.lora->fuse(*sd.unet(), loraScale);
    sd.addUNetAdapter([lora = result.lora, loraScale](UNet2DConditionModelImpl& unet) { lora->fuse(unet, loraScale); });
    return result;
}

}  // namespace diffii
