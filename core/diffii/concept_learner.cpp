#include "core/diffii/concept_learner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include <ATen/Context.h>

#include "core/diffii/concept_loss.h"
#include "core/diffii/textual_inversion.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/jobs/threads.h"
#include "core/pipelines/sd_pipeline.h"
#include "core/training/training_state.h"

namespace diffii {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCheckpointFormat = "diffii-concepts-checkpoint";
constexpr const char* kConceptsFormat = "diffii-concepts";
constexpr int kSchemaVersion = 1;

uint64_t splitMix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Every random draw of the job comes from a generator seeded by (seed, stream, index), so that a resumed run
// draws exactly what an uninterrupted one would without saving generator states.
at::Generator derivedGenerator(uint64_t seed, uint64_t stream, uint64_t index) {
    return at::detail::createCPUGenerator(splitMix64(splitMix64(seed ^ splitMix64(stream)) + index));
}

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
    std::set<std::string> seenNames, seenTokens;
    for (size_t c = 0; c < m_classes.size(); ++c) {
        auto& cls = m_classes[c];
        if (!seenNames.insert(cls.name).second) throw Error("class '" + cls.name + "' is given twice");
        if (cls.imagePaths.empty()) throw Error("class '" + cls.name + "' has no images");
        std::vector<std::string> tokens = cls.tokens;
        if (tokens.empty()) {
            std::string slug = conceptSlug(cls.name);
            if (slug.empty()) slug = "class" + std::to_string(c);
            for (int i = 0; i < s.tokensPerClass; ++i) tokens.push_back("<" + slug + "-" + std::to_string(i) + ">");
        }
        for (const auto& t : tokens) {
            if (t.empty() || t.find_first_of(" \t\r\n") != std::string::npos)
                throw Error("class '" + cls.name + "': placeholder token '" + t + "' is empty or contains whitespace");
            if (!seenTokens.insert(t).second)
                throw Error("class '" + cls.name + "': placeholder token '" + t + "' is used by another class");
            // An added token from an earlier run may be reused; a vocabulary word or special token may not.
            const auto& added = tokenizer.addedTokens();
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

ConceptResult ConceptLearner::train(const std::string& outputDir, const JobContext* job, bool resume) {
    const auto& s = m_settings;
    ensureWritableFolder(outputDir);
    // Denormals in the backward pass made a step ~47x slower on CPU; the flag lives in each thread's MXCSR.
    flushDenormalsOnComputeThreads();

    StableDiffusion& sd = *m_sd;
    auto& tokenizer = sd.tokenizer();
    auto& textEncoder = *sd.textEncoder();
    auto& unet = *sd.unet();
    const auto dtype = sd.dtype();
    const fs::path out(outputDir);
    const std::string checkpointPath = (out / "checkpoint.safetensors").string();

    // What the run depends on: a checkpoint is only resumed by the same description.
    nlohmann::json classesJson = nlohmann::json::array();
    for (size_t c = 0; c < m_classes.size(); ++c)
        classesJson.push_back({{"name", m_classes[c].name},
                               {"tokens", m_tokens[c]},
                               {"init_word", m_classes[c].initWord},
                               {"images", m_classes[c].imagePaths}});
    nlohmann::json identity = {{"classes", classesJson},
                               {"metaclass", m_metaclass},
                               {"model", sd.dir()},
                               {"dtype", dtypeName(dtype)},
                               {"settings", s.toJson()}};
    auto comparableSettings = [](nlohmann::json j) {
        j.erase("max_steps");
        j.erase("checkpoint_every");
        return j;
    };

    std::unique_ptr<SafeTensorsFile> checkpoint;
    int64_t startStep = 0;
    if (resume && fs::exists(checkpointPath)) {
        checkpoint = std::make_unique<SafeTensorsFile>(checkpointPath);
        const auto& meta = checkpoint->metadata();
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
        for (const char* key : {"classes", "metaclass", "model", "dtype"}) {
            if (saved.value(key, nlohmann::json()) != identity[key])
                throw Error(checkpointPath + ": key '" + key + "' is " + saved.value(key, nlohmann::json()).dump() +
                            " but this run has " + identity[key].dump() +
                            "; use another output folder or resume=false");
        }
        const auto savedSettings = comparableSettings(saved.value("settings", nlohmann::json::object()));
        const auto ourSettings = comparableSettings(identity["settings"]);
        for (const auto& [key, value] : ourSettings.items()) {
            if (!savedSettings.contains(key) || savedSettings[key] != value)
                throw Error(checkpointPath + ": setting '" + key + "' is " +
                            (savedSettings.contains(key) ? savedSettings[key].dump() : std::string("missing")) +
                            " but this run has " + value.dump());
        }
        startStep = jsonRequire<int64_t>(saved, "step", checkpointPath);
    }

    // --- tokens: all added first, then one resize (a resize copies the whole table) ----------------------------
    const auto baseWeight = textEncoder.tokenEmbeddingWeight().detach();
    std::vector<torch::Tensor> initRows;
    for (size_t c = 0; c < m_classes.size(); ++c) {
        const auto ids = tokenizer.encode(m_classes[c].initWord);
        const auto idTensor = torch::tensor(std::vector<int64_t>(ids.begin() + 1, ids.end() - 1), torch::kLong);
        // Several BPE pieces: the mean of their embeddings.
        const auto init = baseWeight.index_select(0, idTensor).to(torch::kFloat32).mean(0);
        for (size_t i = 0; i < m_tokens[c].size(); ++i) initRows.push_back(init);
    }
    std::vector<int64_t> tokenIds;
    std::vector<std::string> allTokens;
    for (const auto& tokens : m_tokens)
        for (const auto& t : tokens) {
            tokenIds.push_back(tokenizer.addToken(t));
            allTokens.push_back(t);
        }
    if (static_cast<int64_t>(tokenizer.size()) > baseWeight.size(0))
        textEncoder.resizeTokenEmbeddings(static_cast<int64_t>(tokenizer.size()),
                                          derivedGenerator(s.seed, kEmbeddingResize, 0));
    auto embeddingModule = textEncoder.textModel->embeddings->tokenEmbedding;
    auto weight = textEncoder.tokenEmbeddingWeight();
    const auto idsTensor = torch::tensor(tokenIds, torch::kLong);
    // float32 master copy of the trained rows (the model's table may be bfloat16).
    torch::Tensor rows = torch::stack(initRows).contiguous();
    std::map<int64_t, int64_t> rowOfId;
    for (size_t i = 0; i < tokenIds.size(); ++i) rowOfId[tokenIds[i]] = static_cast<int64_t>(i);
    auto writeRows = [&] {
        torch::NoGradGuard g;
        weight.index_copy_(0, idsTensor, rows.to(weight.scalar_type()));
    };

    // --- model: frozen, plus the shared LoRA -------------------------------------------------------------------
    for (auto& p : unet.parameters()) p.set_requires_grad(false);
    for (auto& p : textEncoder.parameters()) p.set_requires_grad(false);
    for (auto& p : sd.vae()->parameters()) p.set_requires_grad(false);
    m_lora = UNetLoraImpl::create(unet, s.loraRank, s.seed);
    m_lora->attach(unet, 1.0);
    const auto loraLayers = m_lora->layers();  // module path -> layer, sorted
    std::vector<std::pair<std::string, torch::Tensor>> loraParams;
    for (const auto& [module, layer] : loraLayers) {
        loraParams.emplace_back(module + ".down", layer->down->weight);
        loraParams.emplace_back(module + ".up", layer->up->weight);
    }
    for (auto& [name, p] : loraParams) p.set_requires_grad(true);

    // --- training images -> cached latents (and their mirror images) -------------------------------------------
    const int64_t size = s.imageSize > 0 ? s.imageSize : sd.nativeImageSize();
    std::vector<torch::Tensor> latents, flippedLatents;
    std::vector<int64_t> imageClass;
    int64_t totalImages = 0;
    for (const auto& cls : m_classes) totalImages += static_cast<int64_t>(cls.imagePaths.size());
    for (size_t c = 0; c < m_classes.size(); ++c) {
        for (const auto& path : m_classes[c].imagePaths) {
            if (job) job->throwIfCancelled();
            if (job)
                job->report("concepts", 0, s.maxSteps,
                            "encoding image " + std::to_string(latents.size() + 1) + "/" + std::to_string(totalImages));
            torch::Tensor image;
            try {
                image = squareImage(loadImageRgb(path), size);
            } catch (const Error& e) {
                throw Error("class '" + m_classes[c].name + "': " + e.what());
            }
            latents.push_back(encodeImageToLatent(sd, image)[0]);
            if (s.randomFlip) flippedLatents.push_back(encodeImageToLatent(sd, image.flip({2}))[0]);
            imageClass.push_back(static_cast<int64_t>(c));
        }
    }
    const auto latentTable = torch::stack(latents);
    const auto flippedTable = s.randomFlip ? torch::stack(flippedLatents) : latentTable;
    std::vector<torch::Tensor> classIds;
    for (size_t c = 0; c < m_classes.size(); ++c)
        classIds.push_back(
            torch::tensor(tokenizer.encodePadded(conceptPrompt(m_tokens[c], m_metaclass)), torch::kLong));
    const auto idsTable = torch::stack(classIds);
    const auto imageClassTensor = torch::tensor(imageClass, torch::kLong);
    const int64_t numImages = latentTable.size(0);

    // --- optimizer ---------------------------------------------------------------------------------------------
    rows.set_requires_grad(true);
    std::vector<torch::Tensor> loraTensors;
    for (auto& [name, p] : loraParams) loraTensors.push_back(p);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<torch::Tensor>{rows},
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(s.embeddingLr).weight_decay(s.embeddingWeightDecay)));
    groups.emplace_back(loraTensors, std::make_unique<torch::optim::AdamWOptions>(
                                         torch::optim::AdamWOptions(s.loraLr).weight_decay(s.loraWeightDecay)));
    torch::optim::AdamW optimizer(std::move(groups));
    std::vector<std::pair<std::string, torch::Tensor>> namedParams = {{"embeddings", rows}};
    for (auto& [name, p] : loraParams) namedParams.emplace_back("lora." + name, p);

    std::vector<double> lossLog;
    if (checkpoint) {
        restoreTrainingState(optimizer, namedParams, *checkpoint);
        if (checkpoint->contains("log.loss")) {
            const auto log = checkpoint->tensor("log.loss").to(torch::kFloat64).contiguous();
            lossLog.assign(log.data_ptr<double>(), log.data_ptr<double>() + log.numel());
        }
        if (static_cast<int64_t>(lossLog.size()) != startStep)
            throw Error(checkpointPath + ": key 'log.loss' has " + std::to_string(lossLog.size()) +
                        " entries, expected one per step (" + std::to_string(startStep) + ")");
        checkpoint.reset();
    }
    writeRows();
    // The smoothed loss the progress reports, kept step by step (the same recurrence as smoothedLosses()).
    double emaLoss = 0.0, emaWeight = 0.0;
    auto addToEma = [&](double l) {
        emaLoss = s.lossSmoothing * emaLoss + (1 - s.lossSmoothing) * l;
        emaWeight = s.lossSmoothing * emaWeight + (1 - s.lossSmoothing);
    };
    for (const double l : lossLog) addToEma(l);

    // --- bookkeeping -------------------------------------------------------------------------------------------
    auto lrFactor = [&](int64_t step /* 1-based */) {
        return s.lrWarmupSteps > 0 ? std::min(1.0, static_cast<double>(step) / static_cast<double>(s.lrWarmupSteps))
                                   : 1.0;
    };
    auto smoothedLosses = [&] {
        std::vector<double> sm;
        double ema = 0.0, weightSum = 0.0;
        for (const double l : lossLog) {
            ema = s.lossSmoothing * ema + (1 - s.lossSmoothing) * l;
            weightSum = s.lossSmoothing * weightSum + (1 - s.lossSmoothing);
            sm.push_back(ema / weightSum);
        }
        return sm;
    };
    auto writeLossCsv = [&] {
        const auto sm = smoothedLosses();
        std::ostringstream csv;
        csv << "step,loss,smoothed_loss,lr_embedding,lr_lora\n";
        for (size_t i = 0; i < lossLog.size(); ++i) {
            const double f = lrFactor(static_cast<int64_t>(i) + 1);
            csv << (i + 1) << ',' << shortNumber(lossLog[i]) << ',' << shortNumber(sm[i]) << ','
                << shortNumber(s.embeddingLr * f) << ',' << shortNumber(s.loraLr * f) << '\n';
        }
        writeFileAtomic((out / "loss.csv").string(), csv.str());
    };
    nlohmann::json tokensJson = nlohmann::json::object();
    for (size_t c = 0; c < m_classes.size(); ++c) tokensJson[m_classes[c].name] = m_tokens[c];
    auto writeCheckpoint = [&](int64_t step) {
        std::map<std::string, torch::Tensor> tensors;
        storeTrainingState(optimizer, namedParams, tensors);
        tensors["log.loss"] = torch::tensor(lossLog, torch::kFloat64);
        nlohmann::json j = identity;
        j["format"] = kCheckpointFormat;
        j["version"] = kSchemaVersion;
        j["step"] = step;
        j["tokens"] = tokensJson;
        saveSafetensors(checkpointPath, tensors, {{"checkpoint", j.dump()}});
        // Informational copy; resume reads the safetensors metadata, which is written in the same atomic rename.
        writeFileAtomic((out / "checkpoint.json").string(), j.dump(2) + "\n");
        writeLossCsv();
    };

    // --- training ----------------------------------------------------------------------------------------------
    TrainingModeGuard trainingMode(embeddingModule);
    DdimScheduler noiseScheduler(sd.schedulerConfig());
    const int64_t numTrainTimesteps = sd.schedulerConfig().numTrainTimesteps;
    const int64_t perStep = static_cast<int64_t>(s.batchSize) * s.gradAccumulation;
    int64_t cachedEpoch = -1;
    torch::Tensor permutation;
    auto imageAt = [&](int64_t k) {  // k-th training sample overall: epochs of seeded permutations
        const int64_t epoch = k / numImages;
        if (epoch != cachedEpoch) {
            auto gen = derivedGenerator(s.seed, kEpochPermutation, static_cast<uint64_t>(epoch));
            permutation = torch::randperm(numImages, gen, torch::kLong);
            cachedEpoch = epoch;
        }
        return permutation[k % numImages].item<int64_t>();
    };

    ConceptResult result;
    result.resumedFromStep = startStep;
    result.outputDir = outputDir;
    for (size_t c = 0; c < m_classes.size(); ++c) {
        result.classNames.push_back(m_classes[c].name);
        result.tokensPerClass[m_classes[c].name] = m_tokens[c];
    }

    // The token-embedding gradient of one backward -> the master rows' gradient; the rest of the table never
    // enters the optimizer. Taken after every micro-batch: LibTorch 1.13 cannot add sparse bfloat16 gradients.
    auto takeEmbeddingGrad = [&](torch::Tensor& rowsGrad) {
        torch::NoGradGuard g;
        auto grad = weight.grad();
        if (!grad.defined()) return;
        if (grad.is_sparse()) {
            grad = grad.coalesce();
            const auto idx = grad.indices()[0].contiguous();
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
                rowsGrad.index_add_(0, torch::tensor(dst, torch::kLong),
                                    values.index_select(0, torch::tensor(src, torch::kLong)));
        } else {
            rowsGrad.add_(grad.index_select(0, idsTensor).to(torch::kFloat32));
        }
        weight.mutable_grad() = torch::Tensor();
    };

    const auto t0 = std::chrono::steady_clock::now();
    int64_t step = startStep;
    while (step < s.maxSteps) {
        if (job && job->cancelled()) {
            writeCheckpoint(step);
            job->throwIfCancelled();
        }
        const int64_t next = step + 1;
        const double f = lrFactor(next);
        static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[0].options()).lr(s.embeddingLr * f);
        static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[1].options()).lr(s.loraLr * f);

        auto gen = derivedGenerator(s.seed, kStepDraws, static_cast<uint64_t>(step));
        auto rowsGrad = torch::zeros_like(rows);
        double lossSum = 0.0;
        for (int micro = 0; micro < s.gradAccumulation; ++micro) {
            std::vector<int64_t> picks;
            for (int b = 0; b < s.batchSize; ++b) picks.push_back(imageAt(step * perStep + micro * s.batchSize + b));
            const auto index = torch::tensor(picks, torch::kLong);
            auto x0 = latentTable.index_select(0, index);
            if (s.randomFlip) {
                const auto flip = torch::randint(0, 2, {s.batchSize}, gen, torch::kLong).to(torch::kBool);
                x0 = torch::where(flip.view({-1, 1, 1, 1}), flippedTable.index_select(0, index), x0);
            }
            const auto noise = torch::randn(x0.sizes(), gen, torch::kFloat32);
            const auto timesteps = torch::randint(0, numTrainTimesteps, {s.batchSize}, gen, torch::kLong);
            const auto inputIds = idsTable.index_select(0, imageClassTensor.index_select(0, index));
            const auto loss = conceptTrainingLoss(sd, noiseScheduler, x0, noise, timesteps, inputIds);
            (s.gradAccumulation > 1 ? loss / static_cast<double>(s.gradAccumulation) : loss).backward();
            lossSum += loss.item<double>();
            takeEmbeddingGrad(rowsGrad);
        }

        rows.mutable_grad() = rowsGrad;
        optimizer.step();
        optimizer.zero_grad();
        writeRows();

        step = next;
        lossLog.push_back(lossSum / s.gradAccumulation);
        addToEma(lossLog.back());
        result.finalLoss = lossLog.back();
        if (job) {
            char detail[64];
            std::snprintf(detail, sizeof detail, "loss %.4f", lossLog.back());
            Progress p{"concepts", step, s.maxSteps, detail, lossLog.back(), emaLoss / emaWeight};
            job->report(p);
        }
        if (s.checkpointEvery > 0 && step % s.checkpointEvery == 0 && step < s.maxSteps) writeCheckpoint(step);
        if (m_onStep) m_onStep(step);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int64_t ran = step - startStep;
    result.stepsPerSecond = ran > 0 && seconds > 0 ? static_cast<double>(ran) / seconds : 0.0;
    result.steps = step;
    if (!lossLog.empty()) {
        result.finalLoss = lossLog.back();
        result.smoothedLoss = smoothedLosses().back();
    }

    // --- outputs: weights first, concepts.json last (it names what the folder holds) --------------------------
    writeCheckpoint(step);
    const std::map<std::string, std::string> metadata = {{"diffii.concepts", identity.dump()},
                                                         {"diffii.steps", std::to_string(step)}};
    {
        std::map<std::string, torch::Tensor> embeddings;
        const auto master = rows.detach();
        for (size_t i = 0; i < allTokens.size(); ++i) embeddings[allTokens[i]] = master[i].clone();
        saveSafetensors((out / "embeddings.safetensors").string(), embeddings, metadata);
    }
    m_lora->save((out / "lora.safetensors").string(), metadata);
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
    return result;
}

}  // namespace diffii
