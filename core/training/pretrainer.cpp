#include "core/training/pretrainer.h"
#include "core/jobs/block_cache.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "core/data/stable_hash.h"
#include "core/diffii/concept_loss.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/json_config.h"
#include "core/io/regular_file.h"
#include "core/io/safetensors.h"
#include "core/models/clip_bpe_trainer.h"
#include "core/models/stable_diffusion.h"
#include "core/training/curves.h"
#include "core/training/training_state.h"

namespace fs = std::filesystem;

namespace diffii {

namespace {

constexpr const char* kRunFormat = "diffii-pretrain-run";
constexpr int kRunVersion = 1;

using NamedParams = NamedTensors;

std::string readFileBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot be read");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeJsonAtomic(const fs::path& path, const nlohmann::json& j) {
    createFolders(path.parent_path());
    writeFileAtomic(path.string(), j.dump(2) + "\n");
}

NamedParams namedParameters(torch::nn::Module& m, const std::string& prefix = "") {
    NamedParams out;
    for (const auto& p : m.named_parameters(true)) out.emplace_back(prefix + p.key(), p.value());
    return out;
}

// Parameters and buffers as float32 copies (what a diffusers/transformers checkpoint holds).
std::map<std::string, at::Tensor> stateTensors(torch::nn::Module& m, torch::Dtype dtype) {
    std::map<std::string, at::Tensor> out;
    for (const auto& p : m.named_parameters(true)) out[p.key()] = p.value().detach().to(dtype).contiguous().clone();
    for (const auto& b : m.named_buffers(true)) {
        const auto& v = b.value();
        out[b.key()] = v.is_floating_point() ? v.detach().to(dtype).contiguous().clone() : v.detach().clone();
    }
    return out;
}

const char* weightFileOf(const std::string& component) {
    return component == "text_encoder" ? "model.safetensors" : "diffusion_pytorch_model.safetensors";
}

void saveComponent(torch::nn::Module& m, const fs::path& modelDir, const std::string& component,
                   torch::Dtype dtype = torch::kFloat32) {
    createFolders(modelDir / component);
    saveSafetensors((modelDir / component / weightFileOf(component)).string(), stateTensors(m, dtype),
                    {{"format", "pt"}});
}

at::Generator stepGenerator(uint64_t seed, uint64_t stageSalt, int64_t step) {
    return at::make_generator<at::CPUGeneratorImpl>(
        splitmix64(seed ^ splitmix64(stageSalt + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(step + 1))));
}

double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <typename T>
T recipeValue(const nlohmann::json& section, const char* key, const T& fallback, const std::string& file,
              const std::string& sectionName) {
    return jsonValue<T>(section, key, fallback, file + " [" + sectionName + "]");
}

// --- one training stage: AdamW over named parameter groups, warm-up, clipping, checkpoints, resume ---------------

struct StageGroup {
    NamedParams params;
    double lr;
    double weightDecay;
};

struct StageRun {
    std::string name;  // "vae" / "unet"
    std::vector<StageGroup> groups;
    int64_t steps = 0;
    int64_t warmup = 0;
    int64_t checkpointEvery = 0;
    std::function<torch::Tensor(int64_t step)> loss;  // differentiable scalar
    std::function<void()> saveWeights;                // writes the stage's module(s) into model/
};

// The pretraining stages' loss smoothing (0.98: about the last 50 steps).
constexpr double kLossSmoothing = 0.98;

struct StageOutcome {
    int64_t step = 0;
    double smoothedLoss = 0.0;
    double stepsPerSecond = 0.0;
};

// One AdamW over the stage's parameter groups (each with its learning rate and weight decay); every parameter is made
// trainable and listed under its name in *all, for checkpoints.
torch::optim::AdamW makeStageOptimizer(const StageRun& run, NamedParams* all) {
    std::vector<torch::optim::OptimizerParamGroup> groups;
    for (const auto& g : run.groups) {
        std::vector<torch::Tensor> ts;
        for (const auto& [name, p] : g.params) {
            p.set_requires_grad(true);
            ts.push_back(p);
            all->emplace_back(name, p);
        }
        groups.emplace_back(ts, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(g.lr).weight_decay(g.weightDecay)));
    }
    return torch::optim::AdamW(std::move(groups));
}

// Where a checkpoint of this stage stopped (0 without one): the optimizer state and the parameters are restored, and
// *lossLog gets one loss per step done.
int64_t resumeStage(const StageRun& run, const fs::path& ckptPath, torch::optim::AdamW& optimizer,
                    const NamedParams& all, std::vector<double>* lossLog) {
    if (!fs::exists(ckptPath)) return 0;
    SafeTensorsFile ckpt(ckptPath.string());
    const auto meta = ckpt.metadata();
    const auto it = meta.find("stage");
    if (it == meta.end() || it->second != run.name) return 0;
    const int64_t start = std::stoll(meta.at("step"));
    restoreTrainingState(optimizer, all, ckpt);
    *lossLog = restoreLossLog(ckpt);
    lossLog->resize(static_cast<size_t>(start), lossLog->empty() ? 0.0 : lossLog->back());
    return start;
}

StageOutcome runStage(const StageRun& run, const fs::path& workDir, const JobContext* job) {
    const LargeBlocksMapped heapPolicy;  // training (core/jobs/block_cache.h)
    const fs::path ckptPath = workDir / "checkpoint.safetensors";
    NamedParams all;
    torch::optim::AdamW optimizer = makeStageOptimizer(run, &all);
    std::vector<double> lossLog;
    const int64_t start = resumeStage(run, ckptPath, optimizer, all, &lossLog);

    LossEma smoothed(kLossSmoothing);
    for (const double l : lossLog) smoothed.add(l);
    auto writeCheckpoint = [&](int64_t step) {
        std::map<std::string, at::Tensor> tensors;
        storeTrainingState(optimizer, all, tensors);
        storeLossLog(lossLog, tensors);
        run.saveWeights();
        saveSafetensors(ckptPath.string(), tensors, {{"stage", run.name}, {"step", std::to_string(step)}});
        std::ostringstream csv;
        csv << "step,loss\n";
        for (size_t i = 0; i < lossLog.size(); ++i) csv << (i + 1) << ',' << lossLog[i] << '\n';
        writeFileAtomic((workDir / ("loss-" + run.name + ".csv")).string(), csv.str());
    };

    const auto t0 = std::chrono::steady_clock::now();
    int64_t step = start;
    for (; step < run.steps; ++step) {
        if (job && job->cancelled()) {
            writeCheckpoint(step);
            throw Cancelled();
        }
        const double f = linearWarmup(step + 1, run.warmup);
        for (size_t g = 0; g < run.groups.size(); ++g)
            static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[g].options()).lr(run.groups[g].lr * f);
        optimizer.zero_grad();
        auto loss = run.loss(step);
        if (!std::isfinite(loss.item<double>()))
            throw Error("pretraining stage '" + run.name + "': the loss became " + std::to_string(loss.item<double>()) +
                        " at step " + std::to_string(step + 1) + "; resume from the last checkpoint with a lower lr");
        loss.backward();
        std::vector<torch::Tensor> ps;
        for (const auto& [n, p] : all) ps.push_back(p);
        torch::nn::utils::clip_grad_norm_(ps, 1.0);
        optimizer.step();
        lossLog.push_back(loss.item<double>());
        smoothed.add(lossLog.back());
        if (job) {
            char detail[96];
            std::snprintf(detail, sizeof detail, "loss %.4f", smoothed.value());
            job->report(run.name, step + 1, run.steps, detail);
        }
        if (run.checkpointEvery > 0 && (step + 1) % run.checkpointEvery == 0 && step + 1 < run.steps)
            writeCheckpoint(step + 1);
    }
    const double secs = since(t0);
    if (step > start || !fs::exists(ckptPath)) writeCheckpoint(step);
    for (auto& [n, p] : all) p.set_requires_grad(false);
    StageOutcome out;
    out.step = step;
    out.smoothedLoss = smoothed.value();
    out.stepsPerSecond = step > start && secs > 0 ? (step - start) / secs : 0.0;
    return out;
}

void initTextEncoderWeights(ClipTextModel& te, double range) {
    torch::NoGradGuard ng;
    for (auto& p : te->named_parameters(true)) {
        if (p.key().find("token_embedding.weight") != std::string::npos) p.value().normal_(0.0, range);
        if (p.key().find("position_embedding.weight") != std::string::npos) p.value().normal_(0.0, range / 2);
    }
}

}  // namespace

PretrainRecipe PretrainRecipe::fromFile(const std::string& path) {
    const auto j = readJsonFile(path);
    if (jsonValue<std::string>(j, "format", "", path) != "diffii-pretrain-recipe")
        throw Error(path + ": key 'format' must be \"diffii-pretrain-recipe\"");
    PretrainRecipe r;
    r.path = path;
    r.seed = jsonValue<uint64_t>(j, "seed", 0, path);
    r.imageSize = jsonValue<int64_t>(j, "image_size", 64, path);
    const auto tok = j.value("tokenizer", nlohmann::json::object());
    r.vocabSize = recipeValue<int>(tok, "vocab_size", 4096, path, "tokenizer");
    r.minPairFrequency = recipeValue<int>(tok, "min_pair_frequency", 2, path, "tokenizer");
    r.extraVocabularyText = recipeValue<std::vector<std::string>>(tok, "extra_text", {}, path, "tokenizer");
    const auto v = j.value("vae_training", nlohmann::json::object());
    r.vaeSteps = recipeValue<int64_t>(v, "steps", r.vaeSteps, path, "vae_training");
    r.vaeBatch = recipeValue<int64_t>(v, "batch_size", r.vaeBatch, path, "vae_training");
    r.vaeLr = recipeValue<double>(v, "lr", r.vaeLr, path, "vae_training");
    r.vaeWarmup = recipeValue<int64_t>(v, "warmup_steps", r.vaeWarmup, path, "vae_training");
    r.klWeight = recipeValue<double>(v, "kl_weight", r.klWeight, path, "vae_training");
    r.l1Weight = recipeValue<double>(v, "l1_weight", r.l1Weight, path, "vae_training");
    r.mseWeight = recipeValue<double>(v, "mse_weight", r.mseWeight, path, "vae_training");
    const auto u = j.value("unet_training", nlohmann::json::object());
    r.unetSteps = recipeValue<int64_t>(u, "steps", r.unetSteps, path, "unet_training");
    r.unetBatch = recipeValue<int64_t>(u, "batch_size", r.unetBatch, path, "unet_training");
    r.unetLr = recipeValue<double>(u, "unet_lr", r.unetLr, path, "unet_training");
    r.textLr = recipeValue<double>(u, "text_lr", r.textLr, path, "unet_training");
    r.unetWarmup = recipeValue<int64_t>(u, "warmup_steps", r.unetWarmup, path, "unet_training");
    r.weightDecay = recipeValue<double>(u, "weight_decay", r.weightDecay, path, "unet_training");
    r.captionDropout = recipeValue<double>(u, "caption_dropout", r.captionDropout, path, "unet_training");
    r.randomFlip = jsonValue<bool>(j, "random_flip", true, path);
    if (j.contains("precision"))
        r.precision = parsePrecision(jsonValue<std::string>(j, "precision", "auto", path), path + " key 'precision'");
    else if (j.contains("bf16_autocast"))
        r.precision = jsonValue<bool>(j, "bf16_autocast", true, path) ? Precision::BFloat16 : Precision::Float32;
    r.checkpointEvery = jsonValue<int64_t>(j, "checkpoint_every", 200, path);
    for (const char* key : {"unet", "vae", "text_encoder", "scheduler"})
        if (!j.contains(key) || !j[key].is_object())
            throw Error(path + ": key '" + key + "' (a config object) is missing");
    r.unetConfig = j["unet"];
    r.vaeConfig = j["vae"];
    r.textEncoderConfig = j["text_encoder"];
    r.schedulerConfig = j["scheduler"];
    if (r.imageSize <= 0 || r.vaeBatch <= 0 || r.unetBatch <= 0 || r.vaeSteps < 0 || r.unetSteps < 0)
        throw Error(path + ": image_size, batch sizes and steps must be positive");
    if (r.captionDropout < 0 || r.captionDropout >= 1) throw Error(path + ": key 'caption_dropout' must be in [0, 1)");
    // Configs are checked by the model classes themselves.
    (void)UNet2DConditionConfig::fromJson(r.unetConfig, path + " [unet]");
    (void)AutoencoderKLConfig::fromJson(r.vaeConfig, path + " [vae]");
    return r;
}

nlohmann::json PretrainRecipe::identity() const {
    nlohmann::json id = {{"seed", seed},
                         {"image_size", imageSize},
                         {"vocab_size", vocabSize},
                         {"min_pair_frequency", minPairFrequency},
                         {"extra_text", extraVocabularyText},
                         {"vae", {vaeSteps, vaeBatch, vaeLr, vaeWarmup, klWeight, l1Weight, mseWeight}},
                         {"unet", {unetBatch, unetLr, textLr, unetWarmup, weightDecay, captionDropout}},
                         {"random_flip", randomFlip},
                         {"configs", {unetConfig, vaeConfig, textEncoderConfig, schedulerConfig}}};
    // An explicit precision keeps the key that earlier runs (and the shipped model's record) used.
    if (precision == Precision::Auto)
        id["precision"] = "auto";
    else
        id["bf16_autocast"] = precision == Precision::BFloat16;
    return id;
}

std::vector<CorpusItem> readCaptionCorpus(const std::string& corpusDir) {
    const fs::path listPath = fs::path(corpusDir) / "captions.jsonl";
    std::ifstream in(listPath);
    if (!in)
        throw Error(listPath.string() + ": cannot be read (build the corpus with resources/emoji-birds/rebuild.sh)");
    std::vector<CorpusItem> items;
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (line.empty()) continue;
        const std::string where = listPath.string() + ":" + std::to_string(lineNo);
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const std::exception& e) {
            throw Error(where + ": not JSON (" + e.what() + ")");
        }
        CorpusItem item;
        item.file = (fs::path(corpusDir) / jsonRequire<std::string>(j, "file", where)).string();
        item.caption = jsonRequire<std::string>(j, "caption", where);
        items.push_back(std::move(item));
    }
    if (items.empty()) throw Error(listPath.string() + ": no entries");
    return items;
}

namespace {

// An existing run.json must come from the same recipe and corpus.
void checkRunMatches(const nlohmann::json& run, const fs::path& runPath, const nlohmann::json& identity,
                     uint64_t corpusHash, const PretrainRecipe& recipe, const std::string& corpusDir) {
    if (run.value("format", "") != kRunFormat) throw Error(runPath.string() + ": not a pretraining run (key 'format')");
    if (run.value("identity", nlohmann::json()) != identity)
        throw Error(runPath.string() + ": this work folder was made with another recipe than " + recipe.path +
                    "; use a new --work folder");
    if (run.value("corpus_hash", std::string()) != std::to_string(corpusHash))
        throw Error(runPath.string() + ": this work folder was made from another corpus than " + corpusDir +
                    "; use a new --work folder");
}

// The CLIP-format BPE vocabulary of the captions and the recipe's extra text, saved as model/tokenizer; returns its
// size.
int64_t writeVocabulary(const PretrainRecipe& recipe, const std::vector<CorpusItem>& corpus, const fs::path& modelDir) {
    std::vector<std::string> texts;
    texts.reserve(corpus.size() + recipe.extraVocabularyText.size());
    for (const auto& c : corpus) texts.push_back(c.caption);
    for (const auto& t : recipe.extraVocabularyText) texts.push_back(t);
    BpeTrainingSettings bpe;
    bpe.vocabSize = recipe.vocabSize;
    bpe.minPairFrequency = recipe.minPairFrequency;
    const auto vocab = learnClipBpe(texts, bpe);
    saveClipTokenizerFolder(vocab, (modelDir / "tokenizer").string());
    return static_cast<int64_t>(vocab.tokens.size());
}

void writeModelConfigs(const PretrainRecipe& recipe, const fs::path& modelDir, int64_t vocabSize) {
    auto te = recipe.textEncoderConfig;
    te["vocab_size"] = vocabSize;
    te["bos_token_id"] = vocabSize - 2;
    te["eos_token_id"] = vocabSize - 1;
    te["pad_token_id"] = vocabSize - 1;
    writeJsonAtomic(modelDir / "text_encoder" / "config.json", te);
    writeJsonAtomic(modelDir / "unet" / "config.json", recipe.unetConfig);
    writeJsonAtomic(modelDir / "vae" / "config.json", recipe.vaeConfig);
    writeJsonAtomic(modelDir / "scheduler" / "scheduler_config.json", recipe.schedulerConfig);
    writeJsonAtomic(modelDir / "model_index.json", {{"_class_name", "StableDiffusionPipeline"},
                                                    {"_diffusers_version", "0.25.1"},
                                                    {"requires_safety_checker", false},
                                                    {"feature_extractor", {nullptr, nullptr}},
                                                    {"safety_checker", {nullptr, nullptr}},
                                                    {"scheduler", {"diffusers", "DDIMScheduler"}},
                                                    {"text_encoder", {"transformers", "CLIPTextModel"}},
                                                    {"tokenizer", {"transformers", "CLIPTokenizer"}},
                                                    {"unet", {"diffusers", "UNet2DConditionModel"}},
                                                    {"vae", {"diffusers", "AutoencoderKL"}}});
}

// The randomly initialised weights, all drawn from the global generator seeded with the recipe's seed.
void writeInitialWeights(const PretrainRecipe& recipe, const fs::path& modelDir) {
    torch::manual_seed(recipe.seed);
    const auto teCfg = ClipTextConfig::fromFile((modelDir / "text_encoder" / "config.json").string());
    ClipTextModel textEncoder(teCfg);
    initTextEncoderWeights(textEncoder, teCfg.initializerRange);
    UNet2DConditionModel unet(UNet2DConditionConfig::fromJson(recipe.unetConfig, recipe.path));
    AutoencoderKL vae(AutoencoderKLConfig::fromJson(recipe.vaeConfig, recipe.path));
    saveComponent(*textEncoder, modelDir, "text_encoder");
    saveComponent(*unet, modelDir, "unet");
    saveComponent(*vae, modelDir, "vae");
}

// Stage "tokenizer": the vocabulary, the configs and the randomly initialised weights; returns the new run.json.
nlohmann::json startRun(const PretrainRecipe& recipe, const std::vector<CorpusItem>& corpus, const fs::path& workDir,
                        const fs::path& modelDir, const fs::path& runPath, const nlohmann::json& identity,
                        uint64_t corpusHash, const JobContext* job) {
    createFolders(workDir);
    if (job) job->report("tokenizer", 0, 1);
    const auto vocabSize = writeVocabulary(recipe, corpus, modelDir);
    writeModelConfigs(recipe, modelDir, vocabSize);
    writeInitialWeights(recipe, modelDir);
    nlohmann::json run = {{"format", kRunFormat},         {"version", kRunVersion},
                          {"identity", identity},         {"corpus_hash", std::to_string(corpusHash)},
                          {"corpus_size", corpus.size()}, {"stage", "vae"},
                          {"recipe", recipe.path}};
    writeJsonAtomic(runPath, run);
    if (job) job->report("tokenizer", 1, 1, std::to_string(vocabSize) + " tokens");
    return run;
}

// The corpus, decoded once (uint8, N x 3 x S x S); left uninitialised when no stage that reads it is left.
torch::Tensor loadCorpusImages(const std::vector<CorpusItem>& corpus, int64_t S, bool needImages,
                               const JobContext* job) {
    const int64_t n = static_cast<int64_t>(corpus.size());
    auto images = torch::empty({n, 3, S, S}, torch::kUInt8);
    if (needImages) {
        for (int64_t i = 0; i < n; ++i) {
            if (job) {
                job->throwIfCancelled();
                if (i % 256 == 0 || i + 1 == n) job->report("load", i + 1, n);
            }
            auto img = resizeImage(loadImageRgb(corpus[i].file), S, S);
            images[i] = (img * 255.0).round().clamp(0, 255).to(torch::kUInt8);
        }
    }
    return images;
}

// The work folder's model, every parameter frozen (a stage unfreezes what it trains).
std::shared_ptr<StableDiffusion> loadFrozenModel(const fs::path& modelDir) {
    auto sd = StableDiffusion::load(modelDir.string());
    for (auto* m :
         std::initializer_list<torch::nn::Module*>{sd->unet().get(), sd->vae().get(), sd->textEncoder().get()})
        for (auto& p : m->parameters()) p.set_requires_grad(false);
    return sd;
}

// Corpus images `idx` in [-1, 1], each mirrored with probability 1/2 under randomFlip.
torch::Tensor corpusBatch(const torch::Tensor& images, const torch::Tensor& idx, const at::Generator& gen,
                          bool randomFlip) {
    auto x = images.index_select(0, idx).to(torch::kFloat32).div(127.5).sub(1.0);
    if (randomFlip) {
        auto flip = torch::rand({idx.size(0)}, gen).lt(0.5).view({-1, 1, 1, 1});
        x = torch::where(flip, x.flip({3}), x);
    }
    return x;
}

// Stage "vae": the VAE alone, L1 + MSE reconstruction + a small KL term.
StageOutcome trainVaeStage(StableDiffusion& sd, const PretrainRecipe& recipe, const torch::Tensor& images,
                           const fs::path& modelDir, const fs::path& workDir, bool autocast, const JobContext* job) {
    const int64_t n = images.size(0);
    auto& vae = sd.vae();
    vae->train();
    StageRun st;
    st.name = "vae";
    st.groups.push_back({namedParameters(*vae), recipe.vaeLr, 0.0});
    st.steps = recipe.vaeSteps;
    st.warmup = recipe.vaeWarmup;
    st.checkpointEvery = recipe.checkpointEvery;
    st.saveWeights = [&] { saveComponent(*vae, modelDir, "vae"); };
    st.loss = [&](int64_t step) {
        const auto gen = stepGenerator(recipe.seed, 1, step);
        const auto idx = torch::randint(n, {recipe.vaeBatch}, gen, torch::kLong);
        const auto x = corpusBatch(images, idx, gen, recipe.randomFlip);
        BFloat16Autocast ac(autocast);
        const auto post = vae->encode(x);
        const auto mean = post.mean.to(torch::kFloat32);
        const auto logvar = post.logvar.to(torch::kFloat32);
        const auto z = mean + torch::exp(0.5 * logvar) * torch::randn(mean.sizes(), gen);
        const auto rec = vae->decode(z).to(torch::kFloat32);
        const auto kl = (0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)).sum({1, 2, 3}).mean();
        return recipe.l1Weight * (rec - x).abs().mean() + recipe.mseWeight * (rec - x).pow(2).mean() +
               recipe.klWeight * kl;
    };
    const auto o = runStage(st, workDir, job);
    vae->eval();
    return o;
}

// Stage "latents": every corpus image (and its mirror image) encoded once into latentsPath; the latent scaling
// factor (1 / std of the latents, rounded to 5 decimals) is written into the VAE's config and returned.
nlohmann::json encodeCorpusLatents(StableDiffusion& sd, const PretrainRecipe& recipe, const torch::Tensor& images,
                                   const fs::path& latentsPath, const fs::path& modelDir, bool autocast,
                                   const JobContext* job) {
    torch::NoGradGuard ng;
    const int64_t n = images.size(0);
    auto& vae = sd.vae();
    vae->eval();
    const int64_t chunk = 64;
    std::vector<torch::Tensor> means, logvars;
    for (int flip = 0; flip < (recipe.randomFlip ? 2 : 1); ++flip) {
        for (int64_t i = 0; i < n; i += chunk) {
            if (job) {
                job->throwIfCancelled();
                job->report("latents", flip * n + std::min(n, i + chunk), (recipe.randomFlip ? 2 : 1) * n);
            }
            auto x = images.slice(0, i, std::min(n, i + chunk)).to(torch::kFloat32).div(127.5).sub(1.0);
            if (flip) x = x.flip({3});
            BFloat16Autocast ac(autocast);
            auto [mean, logvar] = vae->encodeMeanLogvar(x);
            means.push_back(mean.to(torch::kFloat32));
            logvars.push_back(logvar.to(torch::kFloat32));
        }
    }
    auto mean = torch::cat(means);
    auto logvar = torch::cat(logvars);
    const auto gen = stepGenerator(recipe.seed, 2, 0);
    const auto z = mean + torch::exp(0.5 * logvar) * torch::randn(mean.sizes(), gen);
    const double scaling = 1.0 / z.std().item<double>();
    saveSafetensors(latentsPath.string(), {{"mean", mean}, {"logvar", logvar}});
    auto vaeCfg = readJsonFile((modelDir / "vae" / "config.json").string());
    vaeCfg["scaling_factor"] = std::round(scaling * 1e5) / 1e5;
    writeJsonAtomic(modelDir / "vae" / "config.json", vaeCfg);
    return vaeCfg["scaling_factor"];
}

// Stage "unet": the UNet and the text encoder together, all parameters, on the cached latents (scaled by
// run["scaling_factor"]) with caption dropout.
StageOutcome trainUnetStage(StableDiffusion& sd, const PretrainRecipe& recipe, const std::vector<CorpusItem>& corpus,
                            const fs::path& latentsPath, nlohmann::json& run, const fs::path& modelDir,
                            const fs::path& workDir, bool autocast, const JobContext* job) {
    const int64_t n = static_cast<int64_t>(corpus.size());
    SafeTensorsFile lat(latentsPath.string());
    const auto mean = lat.tensor("mean");
    const auto stdev = torch::exp(0.5 * lat.tensor("logvar"));
    const double scaling = run["scaling_factor"].get<double>();
    const int64_t variants = mean.size(0) / n;
    if (variants * n != mean.size(0))
        throw Error(latentsPath.string() + ": holds " + std::to_string(mean.size(0)) + " latents for " +
                    std::to_string(n) + " images");
    auto& tok = sd.tokenizer();
    const int maxLen = tok.maxLength();
    auto ids = torch::empty({n, maxLen}, torch::kLong);
    for (int64_t i = 0; i < n; ++i) ids[i] = torch::tensor(tok.encodePadded(corpus[i].caption, maxLen), torch::kLong);
    const auto emptyIds = torch::tensor(tok.encodePadded("", maxLen), torch::kLong).unsqueeze(0);
    const DdimScheduler noiseScheduler(sd.schedulerConfig());
    const int64_t T = sd.schedulerConfig().numTrainTimesteps;
    auto& unet = sd.unet();
    auto& te = sd.textEncoder();
    unet->train();
    te->train();
    StageRun st;
    st.name = "unet";
    st.groups.push_back({namedParameters(*unet, "unet."), recipe.unetLr, recipe.weightDecay});
    st.groups.push_back({namedParameters(*te, "text_encoder."), recipe.textLr, recipe.weightDecay});
    st.steps = recipe.unetSteps;
    st.warmup = recipe.unetWarmup;
    st.checkpointEvery = recipe.checkpointEvery;
    st.saveWeights = [&] {
        saveComponent(*unet, modelDir, "unet");
        saveComponent(*te, modelDir, "text_encoder");
    };
    st.loss = [&](int64_t step) {
        const auto gen = stepGenerator(recipe.seed, 3, step);
        const int64_t B = recipe.unetBatch;
        auto idx = torch::randint(n, {B}, gen, torch::kLong);
        auto rows = idx + torch::randint(variants, {B}, gen, torch::kLong) * n;
        const auto m = mean.index_select(0, rows);
        const auto x0 = (m + stdev.index_select(0, rows) * torch::randn(m.sizes(), gen)) * scaling;
        auto batchIds = ids.index_select(0, idx);
        const auto drop = torch::rand({B}, gen).lt(recipe.captionDropout).view({-1, 1});
        batchIds = torch::where(drop, emptyIds.expand_as(batchIds), batchIds);
        const auto noise = torch::randn(x0.sizes(), gen);
        const auto t = torch::randint(T, {B}, gen, torch::kLong);
        BFloat16Autocast ac(autocast);
        return conceptTrainingLoss(sd, noiseScheduler, x0, noise, t, batchIds);
    };
    const auto o = runStage(st, workDir, job);
    unet->eval();
    te->eval();
    return o;
}

// run.json's "<stage>_step" and "<stage>_loss".
void recordStage(nlohmann::json& run, const std::string& stage, const StageOutcome& o) {
    run[stage + "_step"] = o.step;
    run[stage + "_loss"] = o.smoothedLoss;
}

PretrainResult pretrainResult(const nlohmann::json& run, const fs::path& modelDir, double speed) {
    PretrainResult result;
    result.modelDir = modelDir.string();
    result.stage = run.at("stage").get<std::string>();
    result.vaeStep = run.value("vae_step", int64_t{0});
    result.unetStep = run.value("unet_step", int64_t{0});
    result.vaeLoss = run.value("vae_loss", 0.0);
    result.unetLoss = run.value("unet_loss", 0.0);
    result.scalingFactor = run.value("scaling_factor", 0.0);
    result.stepsPerSecond = speed;
    return result;
}

}  // namespace

PretrainResult pretrainModel(const PretrainRecipe& recipe, const std::string& corpusDir, const std::string& workDirArg,
                             const JobContext* job) {
    const fs::path workDir(workDirArg);
    const fs::path modelDir = workDir / "model";
    const fs::path runPath = workDir / "run.json";
    const auto corpus = readCaptionCorpus(corpusDir);
    const uint64_t corpusHash = fnv1a64(readFileBytes((fs::path(corpusDir) / "captions.jsonl").string()));
    const auto identity = recipe.identity();

    // --- the run record: this work folder's, or a new one (stage "tokenizer") ----------------------------------
    nlohmann::json run;
    if (fs::exists(runPath)) {
        run = readJsonFile(runPath.string());
        checkRunMatches(run, runPath, identity, corpusHash, recipe, corpusDir);
    } else {
        run = startRun(recipe, corpus, workDir, modelDir, runPath, identity, corpusHash, job);
    }
    // More UNet steps than a finished run had: continue it.
    if (run["stage"] == "done" && run.value("unet_step", int64_t{0}) < recipe.unetSteps) run["stage"] = "unet";

    // --- the corpus images (stages "vae" and "latents" only) and the model ----------------------------------------
    const bool needImages = run["stage"] == "vae" || run["stage"] == "latents";
    auto images = loadCorpusImages(corpus, recipe.imageSize, needImages, job);
    auto sd = loadFrozenModel(modelDir);
    // Auto follows the model's size as every other job does: a small UNet computes in float32 on every CPU, so that
    // the pretrained weights do not depend on the machine (it took bfloat16 on CPUs that have it).
    const auto precision = choosePrecision(recipe.precision, sd->unetConfig().parameterCount());
    const bool autocast = precision.bfloat16;
    run["compute_precision"] = precision.reason;
    double speed = 0.0;

    if (run["stage"] == "vae") {
        const auto o = trainVaeStage(*sd, recipe, images, modelDir, workDir, autocast, job);
        speed = o.stepsPerSecond;
        run["stage"] = "latents";
        recordStage(run, "vae", o);
        writeJsonAtomic(runPath, run);
    }

    const fs::path latentsPath = workDir / "latents.safetensors";
    if (run["stage"] == "latents") {
        const auto scalingFactor = encodeCorpusLatents(*sd, recipe, images, latentsPath, modelDir, autocast, job);
        run["stage"] = "unet";
        run["scaling_factor"] = scalingFactor;
        writeJsonAtomic(runPath, run);
    }
    images = torch::Tensor();

    if (run["stage"] == "unet") {
        const auto o = trainUnetStage(*sd, recipe, corpus, latentsPath, run, modelDir, workDir, autocast, job);
        speed = o.stepsPerSecond;
        recordStage(run, "unet", o);
        if (o.step >= recipe.unetSteps) run["stage"] = "done";
        writeJsonAtomic(runPath, run);
    }
    return pretrainResult(run, modelDir, speed);
}

void exportPretrainedModel(const std::string& workDirArg, const std::string& outDirArg) {
    const fs::path workDir(workDirArg);
    const fs::path modelDir = workDir / "model";
    const auto run = readJsonFile((workDir / "run.json").string());
    auto sd = StableDiffusion::load(modelDir.string());  // checks the folder with the same strict loader
    const fs::path outDir = fs::absolute(outDirArg).lexically_normal();
    // The target is replaced: never the work folder or what holds it, a file, or a folder of other files (an earlier
    // export, which has pretraining.json, is replaced).
    requireOutside(outDir, workDir, "the exported model");
    std::error_code ec;
    if (fs::exists(outDir, ec) && !fs::is_directory(outDir, ec))
        throw Error(outDirArg + ": is a file; give a new folder (or an earlier export) for the exported model");
    if (fs::is_directory(outDir, ec) && !fs::is_empty(outDir, ec) && !fs::exists(outDir / "pretraining.json", ec))
        throw Error(outDirArg +
                    ": the folder holds other files and is not an earlier export (no pretraining.json); give a new "
                    "or empty folder");
    const fs::path tmp = outDir.parent_path() / (outDir.filename().string() + ".tmp-export");
    fs::remove_all(tmp);
    createFolders(tmp);
    for (const char* sub : {"tokenizer", "scheduler", "unet", "vae", "text_encoder"}) {
        createFolders(tmp / sub);
        for (const auto& e : fs::directory_iterator(modelDir / sub))
            if (e.path().extension() == ".json" || e.path().extension() == ".txt")
                fs::copy_file(e.path(), tmp / sub / e.path().filename());
    }
    fs::copy_file(modelDir / "model_index.json", tmp / "model_index.json");
    saveComponent(*sd->unet(), tmp, "unet", torch::kFloat16);
    saveComponent(*sd->vae(), tmp, "vae", torch::kFloat16);
    saveComponent(*sd->textEncoder(), tmp, "text_encoder", torch::kFloat16);
    nlohmann::json info = {{"recipe", run.value("recipe", "")},
                           {"identity", run["identity"]},
                           {"corpus_size", run.value("corpus_size", 0)},
                           {"stage", run.value("stage", "")},
                           // An export of a stopped run holds its weights as they were when it stopped; the step
                           // counts below are those of the last finished stage only.
                           {"finished", run.value("stage", "") == "done"},
                           {"vae_steps_done", run.value("vae_step", 0)},
                           {"unet_steps_done", run.value("unet_step", 0)},
                           {"vae_loss", run.value("vae_loss", 0.0)},
                           {"unet_loss", run.value("unet_loss", 0.0)},
                           {"compute_precision", run.value("compute_precision", "")},
                           {"weights_dtype", "float16"}};
    writeJsonAtomic(tmp / "pretraining.json", info);
    (void)StableDiffusion::load(tmp.string());
    if (fs::exists(outDir)) {
        const fs::path old = outDir.parent_path() / (outDir.filename().string() + ".old-export");
        fs::remove_all(old);
        fs::rename(outDir, old);
        fs::rename(tmp, outDir);
        fs::remove_all(old);
    } else {
        fs::rename(tmp, outDir);
    }
}

}  // namespace diffii
