#include "core/engine/session.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include <unistd.h>

#include <torch/version.h>

#include "core/data/project_lock.h"
#include "core/data/stable_hash.h"
#include "core/data/synthetic_manifest.h"
#include "core/diffii/circle_interpolation.h"
#include "core/diffii/concept_learner.h"
#include "core/diffii/generator.h"
#include "core/diffii/inversion_pool.h"
#include "core/diffii/preview.h"
#include "core/diffii/suffixes.h"
#include "core/diffii/textual_inversion.h"
#include "core/eval/preview_metrics.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/json_config.h"
#include "core/io/regular_file.h"
#include "core/io/safetensors.h"
#include "core/jobs/device.h"
#include "core/jobs/slurm.h"
#include "core/jobs/threads.h"
#include "core/models/state_dict.h"

namespace diffii {

namespace fs = std::filesystem;

namespace {

// Settings for a project's model: the compute dtype fixed, on the project's device.
LoadSettings loadSettings(torch::Dtype dtype, const std::string& device) {
    LoadSettings settings;
    settings.dtype = dtype;
    settings.device = device;
    return settings;
}

constexpr const char* kSplitFile = "split.json";
constexpr const char* kSuffixFile = "suffixes.txt";
constexpr const char* kConceptsProvenance = "provenance.json";
constexpr const char* kImportedList = "imported.json";  // concepts/: the imported concepts
constexpr const char* kImportedFolder = "imported";     // concepts/: their embeddings
constexpr const char* kImportedFormat = "diffii-imported-concepts";

std::string fileStem(const std::string& path) { return fs::path(path).stem().string(); }

// concepts/imported.json: {"format", "version", "concepts": [{class, token, vectors, layout, source, file}]}.
std::string importedListPath(const std::string& conceptsDir) {
    return (fs::path(conceptsDir) / kImportedList).string();
}

std::vector<ImportedConcept> readImportedConcepts(const std::string& conceptsDir) {
    const auto path = importedListPath(conceptsDir);
    if (!fs::exists(path)) return {};
    const auto j = readJsonFile(path);
    if (jsonValue<std::string>(j, "format", "", path) != kImportedFormat)
        throw Error(path + ": key 'format' is not '" + kImportedFormat + "'");
    const auto list = jsonRequire<nlohmann::json>(j, "concepts", path);
    if (!list.is_array()) throw Error(path + ": key 'concepts' must be an array");
    std::vector<ImportedConcept> out;
    for (const auto& e : list) {
        ImportedConcept c;
        c.className = jsonRequire<std::string>(e, "class", path);
        c.token = jsonRequire<std::string>(e, "token", path);
        c.vectors = jsonRequire<int64_t>(e, "vectors", path);
        c.layout = jsonValue<std::string>(e, "layout", "", path);
        c.source = jsonValue<std::string>(e, "source", "", path);
        c.file = jsonRequire<std::string>(e, "file", path);
        // The copy lies in concepts/imported/: a name that leaves it is refused.
        if (fs::path(c.file).parent_path() != kImportedFolder ||
            fs::path(c.file).filename().string().rfind('.', 0) == 0)
            throw Error(path + ": class '" + c.className + "': file '" + c.file + "' is not in " + kImportedFolder +
                        "/");
        out.push_back(std::move(c));
    }
    return out;
}

void writeImportedConcepts(const std::string& conceptsDir, const std::vector<ImportedConcept>& imports) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : imports)
        list.push_back({{"class", c.className},
                        {"token", c.token},
                        {"vectors", c.vectors},
                        {"layout", c.layout},
                        {"source", c.source},
                        {"file", c.file}});
    const nlohmann::json j = {{"format", kImportedFormat}, {"version", 1}, {"concepts", list}};
    writeFileAtomic(importedListPath(conceptsDir), j.dump(2) + "\n");
}

// imported/<class slug>.safetensors, numbered when another class's import has that name.
std::string importedFileName(const std::vector<ImportedConcept>& others, const std::string& className) {
    std::string slug = conceptSlug(className);
    if (slug.empty()) slug = "class";
    for (int i = 1;; ++i) {
        const std::string name =
            std::string(kImportedFolder) + "/" + slug + (i == 1 ? "" : "-" + std::to_string(i)) + ".safetensors";
        bool taken = false;
        for (const auto& c : others) taken = taken || c.file == name;
        if (!taken) return name;
    }
}

void requireClass(const Split& split, const std::string& className, const std::string& projectFile) {
    std::string names;
    for (const auto& c : split.classes) {
        if (c.name == className) return;
        names += (names.empty() ? "'" : ", '") + c.name + "'";
    }
    throw Error(projectFile + ": no class '" + className + "' in the project's dataset (classes: " + names + ")");
}

// The project's model, with this thread's compute threads chosen for its size (configureThreadsForModel).
std::shared_ptr<StableDiffusion> loadModelForThisThread(const Project& project, LoadSettings settings) {
    settings.singleFile.modelConfig = project.modelConfigDir();
    if (!project.config().predictionType.empty())
        settings.singleFile.predictionType = parsePredictionTypeOption(project.config().predictionType);
    auto sd = StableDiffusion::load(project.modelDir(), settings);
    configureThreadsForModel(parameterCount(*sd->unet()));
    return sd;
}

PreviewRenderer::ClassInput classInput(const ProjectSession& session, const std::string& className) {
    PreviewRenderer::ClassInput in;
    for (const auto& e : session.pool())
        if (e.className == className && !e.stale) in.entries.push_back(e);
    in.prompt = session.classPrompt(className);
    in.negativePrompt = session.settings().negativePrompt;
    return in;
}

PreviewImage toPreviewImage(const RenderedPreview& r) {
    PreviewImage out;
    static_cast<PreviewInfo&>(out) = r;
    out.image = toImage(r.image);
    return out;
}

// concepts/samples/: the sample images of concept learning and their list.
constexpr const char* kSamplesFolder = "samples";
constexpr const char* kSamplesIndex = "samples.json";

std::vector<ConceptSampleRecord> readConceptSamples(const fs::path& samplesDir) {
    std::vector<ConceptSampleRecord> out;
    const auto index = samplesDir / kSamplesIndex;
    if (!fs::exists(index)) return out;
    const auto j = readJsonFile(index.string());
    const auto list = jsonValue<nlohmann::json>(j, "samples", nlohmann::json::array(), index.string());
    if (!list.is_array()) throw Error(index.string() + ": key 'samples' must be an array");
    for (const auto& e : list) {
        ConceptSampleRecord r;
        r.step = jsonRequire<int64_t>(e, "step", index.string());
        r.className = jsonRequire<std::string>(e, "class", index.string());
        r.file = (samplesDir / jsonRequire<std::string>(e, "file", index.string())).string();
        out.push_back(std::move(r));
    }
    return out;
}

void writeConceptSamples(const fs::path& samplesDir, const std::vector<ConceptSampleRecord>& samples) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : samples)
        list.push_back({{"step", r.step}, {"class", r.className}, {"file", fs::path(r.file).filename().string()}});
    writeFileAtomic((samplesDir / kSamplesIndex).string(), nlohmann::json{{"samples", list}}.dump(2) + "\n");
}

// Keeps the samples of steps <= lastStep (lastStep 0 keeps none) and returns their list; the files of the others
// are removed.
std::vector<ConceptSampleRecord> pruneConceptSamples(const fs::path& samplesDir, int64_t lastStep) {
    if (!fs::exists(samplesDir)) return {};
    std::vector<ConceptSampleRecord> kept;
    for (auto& r : readConceptSamples(samplesDir)) {
        if (r.step <= lastStep) {
            kept.push_back(std::move(r));
        } else {
            std::error_code ec;
            fs::remove(r.file, ec);
        }
    }
    writeConceptSamples(samplesDir, kept);
    return kept;
}

// The step of concepts/checkpoint.json (the informational copy of the checkpoint's metadata), 0 without one.
int64_t checkpointStep(const fs::path& conceptsDir, nlohmann::json* checkpoint = nullptr) {
    const auto path = conceptsDir / "checkpoint.json";
    if (!fs::exists(path)) return 0;
    auto j = readJsonFile(path.string());
    const auto step = jsonValue<int64_t>(j, "step", 0, path.string());
    if (checkpoint) *checkpoint = std::move(j);
    return step;
}

// The name a set's shard locks carry: its folder relative to the project ("synthetic", "strategies-diff-gen").
std::string lockNameOfSet(const std::string& projectDir, const std::string& outDir) {
    auto rel = fs::absolute(outDir).lexically_normal().lexically_relative(fs::absolute(projectDir).lexically_normal());
    std::string name =
        rel.empty() || rel.string().rfind("..", 0) == 0 ? fs::path(outDir).filename().string() : rel.generic_string();
    while (!name.empty() && name.back() == '/') name.pop_back();
    std::replace(name.begin(), name.end(), '/', '-');
    return name.empty() ? std::string("set") : name;
}

// What a set is generated with: the project's settings, with the expansion rate and s overridden where given.
GenerationSettings generationSettingsOf(const ProjectSession& session, SynthesisStrategy strategy,
                                        std::optional<double> expansionRate, std::optional<double> splitRatio) {
    const auto s = session.settings();
    GenerationSettings g;
    g.expansionRate = expansionRate.value_or(s.expansionRate);
    g.strategy = strategy;
    g.denoise = s.denoise;
    if (splitRatio) {
        if (!(*splitRatio > 0.0 && *splitRatio <= 1.0))
            throw Error("split ratio s must be in (0, 1], got " + std::to_string(*splitRatio));
        g.denoise.split = *splitRatio;
    }
    g.inversionSteps = s.pool.steps;
    g.suffixes = session.suffixes();
    g.negativePrompt = s.negativePrompt;
    g.modelHash = session.modelHash();
    g.conceptsHash = session.conceptsHash();
    // A full-size model on the CPU frees its UNet for each decode (SD 1.5 float32 at 512x512, 1 step: peak 4,784 ->
    // 4,282 MiB, now set by loading the three models; Xeon f6 m207).
    g.releaseUNetForDecode =
        session.model().device().is_cpu() && session.model().unetConfig().parameterCount() >= kSmallModelParameters;
    return g;
}

}  // namespace

WorkflowSettings WorkflowSettings::fromJson(const nlohmann::json& s, const std::string& file) {
    WorkflowSettings w;
    const auto c = s.value("concepts", nlohmann::json::object());
    const std::string cf = file + " settings.concepts";
    auto& cs = w.concepts;
    cs.tokensPerClass = jsonValue<int>(c, "tokens_per_class", cs.tokensPerClass, cf);
    cs.initWord = jsonValue<std::string>(c, "init_word", cs.initWord, cf);
    cs.loraRank = jsonValue<int64_t>(c, "lora_rank", cs.loraRank, cf);
    cs.embeddingLr = jsonValue<double>(c, "embedding_lr", cs.embeddingLr, cf);
    cs.loraLr = jsonValue<double>(c, "lora_lr", cs.loraLr, cf);
    cs.embeddingWeightDecay = jsonValue<double>(c, "embedding_weight_decay", cs.embeddingWeightDecay, cf);
    cs.loraWeightDecay = jsonValue<double>(c, "lora_weight_decay", cs.loraWeightDecay, cf);
    cs.lrWarmupSteps = jsonValue<int64_t>(c, "lr_warmup_steps", cs.lrWarmupSteps, cf);
    cs.batchSize = jsonValue<int>(c, "batch_size", cs.batchSize, cf);
    cs.gradAccumulation = jsonValue<int>(c, "grad_accumulation", cs.gradAccumulation, cf);
    cs.maxSteps = jsonValue<int64_t>(c, "max_steps", cs.maxSteps, cf);
    cs.checkpointEvery = jsonValue<int64_t>(c, "checkpoint_every", cs.checkpointEvery, cf);
    cs.seed = jsonValue<uint64_t>(c, "seed", cs.seed, cf);
    cs.bf16 = jsonValue<bool>(c, "bf16", cs.bf16, cf);
    if (c.contains("precision"))
        w.conceptsPrecision = parsePrecision(jsonValue<std::string>(c, "precision", "auto", cf), cf + ".precision");
    else
        w.conceptsPrecision = cs.bf16 ? Precision::BFloat16 : Precision::Auto;
    cs.imageSize = jsonValue<int64_t>(c, "image_size", cs.imageSize, cf);
    cs.randomFlip = jsonValue<bool>(c, "random_flip", cs.randomFlip, cf);
    cs.lossSmoothing = jsonValue<double>(c, "loss_smoothing", cs.lossSmoothing, cf);
    const auto p = s.value("pool", nlohmann::json::object());
    const std::string pf = file + " settings.pool";
    w.pool.steps = jsonValue<int>(p, "steps", w.pool.steps, pf);
    w.pool.guidance = jsonValue<double>(p, "guidance", w.pool.guidance, pf);
    w.pool.reconstruct = jsonValue<bool>(p, "reconstruct", w.pool.reconstruct, pf);
    const auto g = s.value("generation", nlohmann::json::object());
    const std::string gf = file + " settings.generation";
    w.expansionRate = jsonValue<double>(g, "expansion_rate", w.expansionRate, gf);
    w.denoise.steps = jsonValue<int>(g, "steps", w.denoise.steps, gf);
    w.denoise.guidance = jsonValue<double>(g, "guidance", w.denoise.guidance, gf);
    w.denoise.split = jsonValue<double>(g, "split", w.denoise.split, gf);
    w.negativePrompt = jsonValue<std::string>(g, "negative_prompt", w.negativePrompt, gf);
    const auto e = s.value("evaluation", nlohmann::json::object());
    w.evaluationTestDir = jsonValue<std::string>(e, "test_dir", w.evaluationTestDir, file + " settings.evaluation");
    auto check = [](bool ok, const std::string& where, const char* key, const std::string& rule, double value) {
        if (!ok) {
            std::ostringstream v;
            v << value;
            throw Error(where + ": '" + key + "' must be " + rule + ", got " + v.str());
        }
    };
    const auto steps = "an integer in [1, " + std::to_string(kMaxSamplingSteps) + "]";
    check(w.denoise.split >= 0 && w.denoise.split <= 1, gf, "split", "in [0, 1]", w.denoise.split);
    check(w.expansionRate > 0 && w.expansionRate <= kMaxExpansionRate, gf, "expansion_rate",
          "in (0, " + std::to_string(static_cast<int64_t>(kMaxExpansionRate)) + "]", w.expansionRate);
    check(w.denoise.steps >= 1 && w.denoise.steps <= kMaxSamplingSteps, gf, "steps", steps, w.denoise.steps);
    check(std::isfinite(w.denoise.guidance) && w.denoise.guidance >= 0 && w.denoise.guidance <= kMaxGuidance, gf,
          "guidance", "in [0, 100]", w.denoise.guidance);
    check(w.pool.steps >= 1 && w.pool.steps <= kMaxSamplingSteps, pf, "steps", steps, w.pool.steps);
    check(std::isfinite(w.pool.guidance) && w.pool.guidance >= 0 && w.pool.guidance <= kMaxGuidance, pf, "guidance",
          "in [0, 100]", w.pool.guidance);
    check(cs.maxSteps >= 1 && cs.maxSteps <= kMaxTrainingSteps, cf, "max_steps",
          "in [1, " + std::to_string(kMaxTrainingSteps) + "]", static_cast<double>(cs.maxSteps));
    check(cs.batchSize >= 1 && cs.batchSize <= 1024, cf, "batch_size", "in [1, 1024]", cs.batchSize);
    check(cs.gradAccumulation >= 1 && cs.gradAccumulation <= 1024, cf, "grad_accumulation", "in [1, 1024]",
          cs.gradAccumulation);
    check(cs.tokensPerClass >= 1 && cs.tokensPerClass <= 16, cf, "tokens_per_class", "in [1, 16]", cs.tokensPerClass);
    check(cs.loraRank >= 1 && cs.loraRank <= 1024, cf, "lora_rank", "in [1, 1024]", static_cast<double>(cs.loraRank));
    check(cs.checkpointEvery >= 0, cf, "checkpoint_every", ">= 0", static_cast<double>(cs.checkpointEvery));
    check(cs.lrWarmupSteps >= 0, cf, "lr_warmup_steps", ">= 0", static_cast<double>(cs.lrWarmupSteps));
    check(cs.imageSize >= 0 && cs.imageSize <= 4096 && cs.imageSize % 8 == 0, cf, "image_size",
          "0 (the model's size) or a multiple of 8 up to 4096", static_cast<double>(cs.imageSize));
    for (const auto& [key, value] : {std::pair<const char*, double>{"embedding_lr", cs.embeddingLr},
                                     {"lora_lr", cs.loraLr},
                                     {"embedding_weight_decay", cs.embeddingWeightDecay},
                                     {"lora_weight_decay", cs.loraWeightDecay}})
        check(std::isfinite(value) && value >= 0 && value < 1e3, cf, key, "finite, >= 0 and < 1000", value);
    check(std::isfinite(cs.lossSmoothing) && cs.lossSmoothing >= 0 && cs.lossSmoothing < 1, cf, "loss_smoothing",
          "in [0, 1)", cs.lossSmoothing);
    return w;
}

nlohmann::json WorkflowSettings::toJson() const {
    auto c = concepts.toJson();
    c.erase("bf16");  // resolved when training starts; what the user chose is "precision"
    c["precision"] = precisionName(conceptsPrecision);
    return {{"concepts", c},
            {"pool", {{"steps", pool.steps}, {"guidance", pool.guidance}, {"reconstruct", pool.reconstruct}}},
            {"generation",
             {{"expansion_rate", expansionRate},
              {"steps", denoise.steps},
              {"guidance", denoise.guidance},
              {"split", denoise.split},
              {"negative_prompt", negativePrompt}}},
            {"evaluation", {{"test_dir", evaluationTestDir}}}};
}

void writeProjectSplit(const Project& project, const Split& split, const std::string& datasetRoot) {
    saveSplit(split, (fs::path(project.dir()) / kSplitFile).string(), datasetRoot);
}

std::vector<std::string> projectSuffixes(const Project& project) {
    const auto path = fs::path(project.dir()) / kSuffixFile;
    if (fs::exists(path)) return loadSuffixes(path.string());
    return defaultSuffixes(project.config().metaclass);
}

void writeProjectSuffixes(const Project& project, const std::vector<std::string>& suffixes) {
    saveSuffixes((fs::path(project.dir()) / kSuffixFile).string(), suffixes);
}

void resetProjectSuffixes(const Project& project) { fs::remove(fs::path(project.dir()) / kSuffixFile); }

namespace {

ModelFolderReport inspectModel(const std::string& modelDir, bool verify, const std::string& modelConfig,
                               const std::string& predictionType) {
    if (!isSingleFileModel(modelDir)) {
        if (!modelConfig.empty() || !predictionType.empty())
            throw Error(modelDir + ": --model-config and --prediction-type apply to single-file checkpoints only");
        return inspectModelFolder(modelDir, verify);
    }
    SingleFileOptions options;
    options.modelConfig = modelConfig;
    if (!predictionType.empty()) options.predictionType = parsePredictionTypeOption(predictionType);
    return inspectSingleFile(modelDir, options, verify);
}

}  // namespace

std::string modelFolderReport(const std::string& modelDir, bool verify, const std::string& modelConfig,
                              const std::string& predictionType) {
    return inspectModel(modelDir, verify, modelConfig, predictionType).format();
}

std::vector<std::string> convertModel(const std::string& source, const std::string& out, bool toSingleFile, bool half,
                                      const std::string& modelConfig, const std::string& predictionType) {
    if (toSingleFile) {
        if (isSingleFileModel(source)) throw Error(source + ": --to-single-file converts a diffusers folder");
        if (!modelConfig.empty() || !predictionType.empty())
            throw Error("--model-config and --prediction-type apply to converting a single file");
        return convertFolderToSingleFile(source, out, half).lines;
    }
    if (!isSingleFileModel(source)) throw Error(source + ": not a file (a folder converts with --to-single-file)");
    SingleFileOptions options;
    options.modelConfig = modelConfig;
    if (!predictionType.empty()) options.predictionType = parsePredictionTypeOption(predictionType);
    return convertSingleFileToFolder(source, options, out, half).lines;
}

ModelFolderSummary summarizeModelFolder(const std::string& modelDir, const std::string& modelConfig) {
    const auto report = inspectModel(modelDir, false, modelConfig, "");
    ModelFolderSummary s;
    s.singleFile = report.architecture;
    s.pipelineClass = report.modelIndex.value("_class_name", std::string());
    for (const auto& c : report.components) {
        s.parameterCount += c.parameterCount;
        if (c.name == "unet") {
            s.unetClass = c.className;
            s.nativeImageSize = c.config.value("sample_size", int64_t{0});
            const auto& dim = c.config.value("cross_attention_dim", nlohmann::json());
            if (dim.is_number_integer()) s.crossAttentionDim = dim.get<int64_t>();
        } else if (c.name == "text_encoder") {
            s.textEncoderClass = c.className;
        } else if (c.name == "vae") {
            s.vaeClass = c.className;
            const auto& blocks = c.config.value("block_out_channels", nlohmann::json());
            if (blocks.is_array() && !blocks.empty()) s.nativeImageSize <<= (blocks.size() - 1);
        }
    }
    return s;
}

CreatedProjectFolder createProjectFolder(const std::string& dir, const ProjectConfig& config) {
    if (dir.empty()) throw Error("no project folder given");
    fs::path target = fs::absolute(dir).lexically_normal();
    if (target.filename().empty()) target = target.parent_path();  // "a/b/" -> "a/b"
    CreatedProjectFolder created;
    created.dir = target.string();
    std::error_code ec;
    created.existed = fs::exists(target, ec);
    if (created.existed) {
        if (!fs::is_directory(target, ec)) throw Error(created.dir + ": exists and is not a folder");
        if (!fs::is_empty(target, ec) || ec)
            throw Error(created.dir + ": the folder is not empty (choose a new or an empty folder)");
    } else {
        for (fs::path p = target; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
            created.topCreated = p.string();
            if (p == p.parent_path()) break;
        }
    }
    const fs::path parent = target.parent_path();
    const fs::path temp = parent / ("." + target.filename().string() + ".creating-" + std::to_string(::getpid()));
    try {
        createFolders(parent);
        fs::remove_all(temp, ec);
        Project::create(temp.string(), config);
        // rename(2) replaces an empty folder; one that filled up in the meantime makes it fail.
        fs::rename(temp, target, ec);
        if (ec) throw Error(created.dir + ": cannot create the project folder: " + ec.message());
    } catch (...) {
        std::error_code ignored;
        fs::remove_all(temp, ignored);
        if (!created.topCreated.empty() && created.topCreated != created.dir)
            fs::remove_all(created.topCreated, ignored);
        throw;
    }
    return created;
}

void removeCreatedProjectFolder(const CreatedProjectFolder& created) {
    std::error_code ec;
    if (created.existed) {
        fs::remove_all(created.dir, ec);
        fs::create_directory(created.dir, ec);
    } else if (!created.topCreated.empty()) {
        fs::remove_all(created.topCreated, ec);
    }
}

std::unique_ptr<ProjectSession> ProjectSession::open(const std::string& projectDir, Precision precision,
                                                     const JobContext* job, const std::string& device) {
    std::unique_ptr<ProjectSession> s(new ProjectSession());
    s->m_device = parseDevice(device, "device");
    requireDeviceAvailable(s->m_device, "device");  // before the project is read: the error is the device's
    s->m_project = Project::open(projectDir);
    auto& project = *s->m_project;
    if (job) job->report("open", 0, 3, "dataset");
    s->m_dataset = std::make_unique<ImageFolderDataset>(project.datasetDir());
    const auto splitPath = (fs::path(project.dir()) / kSplitFile).string();
    s->m_split = fs::exists(splitPath) ? loadSplit(splitPath, s->m_dataset->root()) : all(*s->m_dataset);
    if (job) job->report("open", 1, 3, "model fingerprint");
    s->m_modelHash = modelFingerprint(project.modelDir());
    if (!project.config().modelConfigPath.empty()) {  // a single file's configs are part of the model
        StableHasher h;
        h.updateString(s->m_modelHash);
        h.updateString(modelFingerprint(project.modelConfigDir()));
        s->m_modelHash = h.hex();
    }
    if (job) job->report("open", 2, 3, "model");
    LoadSettings ls;
    ls.precision = precision;
    ls.device = s->m_device;
    s->m_sd = loadModelForThisThread(project, ls);
    s->loadTrainedConcepts();
    if (job) job->report("open", 3, 3, "ready");
    return s;
}

ProjectSession::ProjectSession() = default;
ProjectSession::~ProjectSession() = default;

std::string ProjectSession::precisionReason() const { return m_sd->precisionReason(); }
std::string ProjectSession::device() const { return m_device; }
int64_t ProjectSession::nativeImageSize() const { return m_sd->nativeImageSize(); }

void ProjectSession::invalidateCaches() {
    m_poolCache.reset();
    m_renderer.reset();
}

void ProjectSession::loadTrainedConcepts() {
    invalidateCaches();
    m_conceptsHash.clear();
    m_concepts.reset();
    m_imported.clear();
    const auto dir = m_project->conceptsDir();
    std::vector<std::string> fingerprinted;
    if (fs::exists(fs::path(dir) / "concepts.json")) {
        const auto provPath = (fs::path(dir) / kConceptsProvenance).string();
        if (fs::exists(provPath)) {
            const auto prov = Provenance::fromJson(readJsonFile(provPath), provPath);
            if (prov.modelHash != m_modelHash)
                throw Error(provPath + ": the concepts were trained on model fingerprint " + prov.modelHash + " but " +
                            m_project->modelDir() + " now has fingerprint " + m_modelHash +
                            " (the model folder changed): retrain the concepts (diffii train --restart)");
        }
        m_concepts = std::make_unique<LoadedConcepts>(loadConcepts(*m_sd, dir));
        fingerprinted = {(fs::path(dir) / "embeddings.safetensors").string(),
                         (fs::path(dir) / "lora.safetensors").string()};
    }
    // The imports after the trained tokens: a token of both is refused (addTextualInversion) instead of one
    // silently replacing the other.
    const auto imports = readImportedConcepts(dir);
    for (const auto& c : imports) {
        const auto path = (fs::path(dir) / c.file).string();
        const auto added = loadTextualInversion(path, m_sd->tokenizer(), *m_sd->textEncoder());
        if (added.empty() || added.front() != c.token || static_cast<int64_t>(added.size()) != c.vectors)
            throw Error(path + ": holds other tokens than " + importedListPath(dir) + " records for class '" +
                        c.className + "' ('" + c.token + "', " + std::to_string(c.vectors) + " vectors)");
    }
    if (!imports.empty()) {
        fingerprinted.push_back(importedListPath(dir));
        for (const auto& c : imports) fingerprinted.push_back((fs::path(dir) / c.file).string());
    }
    m_imported = imports;
    if (!fingerprinted.empty()) m_conceptsHash = fingerprintFiles(fingerprinted);
}

WorkflowSettings ProjectSession::settings() const {
    return WorkflowSettings::fromJson(m_project->config().settings, m_project->projectFile());
}

void ProjectSession::saveSettings(const WorkflowSettings& settings) {
    const ProjectLock lock(m_project->dir(), "save settings");
    m_project->config().settings = settings.toJson();
    m_project->save();
    m_poolCache.reset();  // pool settings decide which entries are stale
}

void ProjectSession::setSplit(const Split& split) {
    const ProjectLock lock(m_project->dir(), "split");
    writeProjectSplit(*m_project, split, m_dataset->root());
    m_split = split;
    invalidateCaches();
}

std::string ProjectSession::conceptsHash() const { return m_conceptsHash; }

std::vector<std::string> ProjectSession::classTokens(const std::string& className) const {
    for (const auto& c : m_imported)
        if (c.className == className) return {c.token};
    if (!m_concepts) return {};
    const auto it = m_concepts->tokensPerClass.find(className);
    return it == m_concepts->tokensPerClass.end() ? std::vector<std::string>{} : it->second;
}

std::string ProjectSession::classPrompt(const std::string& className) const {
    for (const auto& c : m_imported)
        if (c.className == className) return conceptPrompt({c.token}, m_project->config().metaclass);
    if (m_concepts && m_concepts->tokensPerClass.count(className)) return m_concepts->prompt(className);
    return "a photo of a " + className + " " + m_project->config().metaclass;
}

ConceptResult ProjectSession::trainConcepts(
    const JobContext* job, bool resume, int64_t sampleEvery,
    const std::function<void(int64_t, const std::string&, const Image&)>& onSample) {
    const ProjectLock lock(m_project->dir(), "train");
    std::vector<ConceptClass> classes;
    for (const auto& c : m_split.classes) {
        if (c.train.empty()) continue;
        ConceptClass cc;
        cc.name = c.name;
        cc.imagePaths = c.train;
        classes.push_back(std::move(cc));
    }
    if (classes.empty()) throw Error(m_project->dir() + ": the split has no training images");
    auto s = settings();
    // Training starts from the base model (without old concepts), in the precision the settings ask for.
    const torch::Dtype workDtype = m_sd->dtype();
    s.concepts.bf16 = choosePrecisionOn(m_device, s.conceptsPrecision, parameterCount(*m_sd->unet())).bfloat16;
    const torch::Dtype trainDtype = s.concepts.bf16 ? torch::kBFloat16 : torch::kFloat32;
    if (m_concepts || !m_imported.empty() || trainDtype != workDtype) {
        m_concepts.reset();
        m_imported.clear();
        m_conceptsHash.clear();
        invalidateCaches();
        m_sd = loadModelForThisThread(*m_project, loadSettings(trainDtype, m_device));
    }
    ConceptLearner learner(m_sd, classes, m_project->config().metaclass, s.concepts);
    // The samples of the steps a resumed run trains again, or of every step for a fresh run, are gone.
    const fs::path samplesDir = fs::path(m_project->conceptsDir()) / kSamplesFolder;
    // The list as the run extends it.
    std::vector<ConceptSampleRecord> samples =
        pruneConceptSamples(samplesDir, resume ? checkpointStep(m_project->conceptsDir()) : 0);
    if (sampleEvery > 0) {
        learner.setStepCallback([&](int64_t step) {
            if (step % sampleEvery != 0) return;
            // One class per sample, in turn, so every class is seen as training goes on.
            const size_t c = static_cast<size_t>(step / sampleEvery - 1) % classes.size();
            DenoiseSettings den;
            den.steps = 15;
            den.split = 0.0;
            const auto prompt = conceptPrompt(learner.tokens()[c], m_project->config().metaclass);
            const Image image = toImage(textToImage(*m_sd, prompt, static_cast<uint64_t>(step), den));
            // Saved before it is shown: the PNG first, then the list that names it.
            std::error_code ec;
            createFolders(samplesDir);
            char name[32];
            std::snprintf(name, sizeof name, "%08lld-", static_cast<long long>(step));
            std::string slug = conceptSlug(classes[c].name);
            ConceptSampleRecord record{step, classes[c].name,
                                       (samplesDir / (name + (slug.empty() ? "class" : slug) + ".png")).string()};
            saveImagePng(record.file, image);
            samples.push_back(std::move(record));
            writeConceptSamples(samplesDir, samples);
            if (onSample) onSample(step, classes[c].name, image);
        });
    }
    ConceptResult result;
    try {
        result = learner.train(m_project->conceptsDir(), job, resume);
    } catch (...) {
        // Paused or failed: the model holds a half-trained LoRA and extra tokens. Back to the base model with the
        // concepts trained before (if any), so that previews and the pool do not use the unfinished state.
        try {
            m_sd = loadModelForThisThread(*m_project, loadSettings(workDtype, m_device));
            loadTrainedConcepts();
        } catch (...) {
            // The original error is the one to report.
        }
        throw;
    }
    Provenance prov;
    prov.producer = "diffii concepts";
    prov.modelHash = m_modelHash;
    prov.settings = s.concepts.toJson();
    prov.created = isoTimeNow();
    writeFileAtomic((fs::path(m_project->conceptsDir()) / kConceptsProvenance).string(), prov.toJson().dump(2));
    // Use exactly what was saved (the same path as a later open()), in the session's dtype.
    m_sd = loadModelForThisThread(*m_project, loadSettings(workDtype, m_device));
    loadTrainedConcepts();
    return result;
}

std::vector<ImportedConcept> ProjectSession::importedConcepts() const { return m_imported; }

ImportedConcept ProjectSession::importConcept(const std::string& className, const std::string& file,
                                              const std::string& token, const JobContext* job) {
    const ProjectLock lock(m_project->dir(), "import concept");
    requireClass(m_split, className, m_project->projectFile());
    if (job) job->report("import", 0, 2, "reading " + file);
    const int64_t hidden = m_sd->textEncoder()->tokenEmbeddingWeight().size(1);
    const auto embeddings = loadTextualInversionFile(file, hidden, token);
    if (embeddings.size() != 1) {
        std::string names;
        for (const auto& e : embeddings) names += (names.empty() ? "'" : ", '") + e.token + "'";
        throw Error(file + ": holds " + std::to_string(embeddings.size()) + " embeddings (" + names +
                    "); a class takes one: import a file with one embedding");
    }
    const auto& e = embeddings.front();
    // The names the class's earlier import holds are free again; any other use of a name is refused now, before
    // anything is written.
    std::vector<ImportedConcept> imports;
    std::vector<std::string> freed;
    for (const auto& c : m_imported) {
        if (c.className == className)
            freed = placeholderTokens(c.token, c.vectors);
        else
            imports.push_back(c);
    }
    for (const auto& name : placeholderTokens(e.token, e.vectors.size(0)))
        if ((m_sd->tokenizer().hasToken(name) || m_sd->tokenizer().isVocabularyWord(name)) &&
            std::find(freed.begin(), freed.end(), name) == freed.end())
            throw Error(file + ": token '" + name +
                        "' is already in use (a word of the model's vocabulary, a "
                        "trained concept or another class's import); import it under another name");

    ImportedConcept c;
    c.className = className;
    c.token = e.token;
    c.vectors = e.vectors.size(0);
    c.layout = e.layout;
    c.source = file;
    c.file = importedFileName(imports, className);
    const fs::path dir = m_project->conceptsDir();
    std::error_code ec;
    createFolders(dir / kImportedFolder);
    // Written in the diffusers layout under the token's name; the list that names it afterwards.
    saveSafetensors((dir / c.file).string(), {{c.token, e.vectors}},
                    {{"diffii.source", file}, {"diffii.source_key", e.key}, {"diffii.layout", e.layout}});
    imports.push_back(c);
    if (job) job->report("import", 1, 2, "loading the model with " + c.token);
    writeImports(imports);
    if (job) job->report("import", 2, 2, "imported " + c.token);
    return c;
}

void ProjectSession::removeImportedConcept(const std::string& className, const JobContext* job) {
    const ProjectLock lock(m_project->dir(), "remove imported concept");
    std::vector<ImportedConcept> imports;
    std::string removedFile;
    for (const auto& c : m_imported) {
        if (c.className == className)
            removedFile = c.file;
        else
            imports.push_back(c);
    }
    if (removedFile.empty())
        throw Error(importedListPath(m_project->conceptsDir()) + ": class '" + className + "' has no imported concept");
    if (job) job->report("import", 0, 1, "removing the concept of " + className);
    writeImports(imports);
    std::error_code ec;
    fs::remove(fs::path(m_project->conceptsDir()) / removedFile, ec);
    if (job) job->report("import", 1, 1, "removed");
}

void ProjectSession::writeImports(const std::vector<ImportedConcept>& imports) {
    const auto listPath = importedListPath(m_project->conceptsDir());
    std::optional<nlohmann::json> before;
    if (fs::exists(listPath)) before = readJsonFile(listPath);
    writeImportedConcepts(m_project->conceptsDir(), imports);
    // The model as open() would load it: the base weights, the trained concepts, the imports.
    const auto dtype = m_sd->dtype();
    try {
        m_imported.clear();
        m_concepts.reset();
        invalidateCaches();
        m_sd = loadModelForThisThread(*m_project, loadSettings(dtype, m_device));
        loadTrainedConcepts();
    } catch (...) {
        try {
            std::error_code ec;
            if (before)
                writeFileAtomic(listPath, before->dump(2) + "\n");
            else
                fs::remove(listPath, ec);
            m_sd = loadModelForThisThread(*m_project, loadSettings(dtype, m_device));
            loadTrainedConcepts();
        } catch (...) {
            // The original error is the one to report.
        }
        throw;
    }
}

std::vector<PoolSource> ProjectSession::poolSources() const {
    std::vector<PoolSource> out;
    for (const auto& c : m_split.classes) {
        // An entry's key names its file (<class>/<key>.safetensors): the image's stem, or its whole name where two
        // images of the class share a stem (x.png and x.bmp overwrote each other's inversion, and the pool never
        // became current).
        std::map<std::string, int> stems;
        for (const auto& img : c.train) ++stems[fileStem(img)];
        for (const auto& img : c.train) {
            // A file removed from the dataset after the split chose it (one create warned about, say).
            std::error_code ec;
            if (!fs::exists(img, ec))
                throw Error(img + ": a training image of the split (" + kSplitFile +
                            ") is no longer there: choose the split again (diffii split, or the Dataset page) or "
                            "put the file back");
            const auto stem = fileStem(img);
            const auto key = stems[stem] > 1 ? fs::path(img).filename().string() : stem;
            out.push_back({c.name, img, key, classPrompt(c.name)});
        }
    }
    return out;
}

std::vector<PoolEntry> ProjectSession::buildPool(const JobContext* job,
                                                 const std::function<void(const PoolEntry&)>& onEntry) {
    const ProjectLock lock(m_project->dir(), "pool");
    const auto s = settings();
    invalidateCaches();
    auto entries = buildInversionPool(*m_sd, poolSources(), s.pool, m_project->inversionsDir(), m_modelHash,
                                      conceptsHash(), job, onEntry);
    invalidateCaches();
    return entries;
}

std::vector<PoolEntry> ProjectSession::pool() const {
    if (!m_poolCache) {
        const auto s = settings();
        m_poolCache = listInversionPool(m_project->inversionsDir(), poolSources(), s.pool, m_modelHash, conceptsHash());
    }
    return *m_poolCache;
}

ConceptHistory ProjectSession::conceptHistory() const {
    ConceptHistory h;
    const fs::path dir = m_project->conceptsDir();
    nlohmann::json checkpoint;
    h.trainedSteps = checkpointStep(dir, &checkpoint);
    const std::string checkpointFile = (dir / "checkpoint.json").string();
    const auto tokens = jsonValue<nlohmann::json>(checkpoint, "tokens", nlohmann::json::object(), checkpointFile);
    if (tokens.is_object())
        for (const auto& [name, list] : tokens.items())
            h.tokensPerClass[name] = jsonRequire<std::vector<std::string>>(tokens, name, checkpointFile);
    const auto conceptsFile = dir / "concepts.json";
    if (fs::exists(conceptsFile)) {
        const auto j = readJsonFile(conceptsFile.string());
        const auto steps = jsonValue<int64_t>(j, "steps", 0, conceptsFile.string());
        if (h.trainedSteps == 0) h.trainedSteps = steps;  // concepts copied without their checkpoint
        h.finished = steps == h.trainedSteps;
    }
    for (const auto& row : readLossLog((dir / "loss.csv").string()))
        if (row.step >= 1 && row.step <= h.trainedSteps) h.loss.push_back({row.step, row.loss, row.smoothed});
    for (auto& r : readConceptSamples(dir / kSamplesFolder))
        if (r.step <= h.trainedSteps && fs::exists(r.file)) h.samples.push_back(std::move(r));
    return h;
}

PreviewRenderer& ProjectSession::previewRenderer() {
    if (!m_renderer) m_renderer = std::make_unique<PreviewRenderer>(*m_sd);
    return *m_renderer;
}

PreviewImage ProjectSession::preview(const PreviewParams& params, const JobContext* job,
                                     const std::function<void(int, int, const Image&)>& onStep) {
    PreviewStepCallback step;
    if (onStep)
        step = [&](int i, int total, const torch::Tensor& image) {
            onStep(i, total, image.defined() ? toImage(image) : Image());
        };
    return toPreviewImage(previewRenderer().render(classInput(*this, params.className), params, job, step));
}

std::vector<PreviewImage> ProjectSession::circleStrip(const PreviewParams& params, int count, const JobContext* job,
                                                      const std::function<void(int, const PreviewImage&)>& onImage) {
    const auto input = classInput(*this, params.className);
    if (input.entries.size() < 2)
        throw Error("circle strip: class '" + params.className + "' has " + std::to_string(input.entries.size()) +
                    " current inversions, needs 2 (build the pool first)");
    auto& renderer = previewRenderer();
    const double theta = renderer.pairTheta(input, params);
    std::vector<PreviewImage> out;
    for (int i = 0; i < count; ++i) {
        if (job) job->throwIfCancelled();
        PreviewParams p = params;
        p.intermediateEvery = 0;
        p.alpha = alphaForTurn(theta, static_cast<double>(i) / count);
        out.push_back(toPreviewImage(renderer.render(input, p)));
        if (onImage) onImage(i, out.back());
        if (job) job->report("strip", i + 1, count);
    }
    return out;
}

std::vector<SplitSweepPoint> ProjectSession::splitSweep(
    const PreviewParams& params, const std::vector<double>& splits, int samples, const JobContext* job,
    const std::function<void(int, const SplitSweepPoint&, const std::vector<PreviewImage>&)>& onPoint,
    bool firstAtAlpha) {
    const auto input = classInput(*this, params.className);
    if (input.entries.size() < 2)
        throw Error("sweep: class '" + params.className + "' has " + std::to_string(input.entries.size()) +
                    " current inversions, needs 2 (build the pool first)");
    auto& renderer = previewRenderer();
    const int64_t size = m_sd->nativeImageSize();
    std::vector<SplitSweepPoint> points;
    const int64_t total = static_cast<int64_t>(splits.size()) * samples;
    int64_t done = 0;
    const double theta = renderer.pairTheta(input, params);
    const auto [a, b] =
        PreviewRenderer::choosePair(static_cast<int>(input.entries.size()), params.first, params.second);
    const auto srcA = resizeImage(loadImageRgb(input.entries[static_cast<size_t>(a)].imagePath), size, size);
    const auto srcB = resizeImage(loadImageRgb(input.entries[static_cast<size_t>(b)].imagePath), size, size);
    std::vector<double> alphas;
    for (int k = 0; k < samples; ++k)
        alphas.push_back(k == 0 && firstAtAlpha ? params.alpha
                                                : sampleCircleAlpha(theta, params.seed + static_cast<uint64_t>(k)));
    // s by s, so that each point is complete as early as possible; the renderer keeps one trajectory per sample,
    // so the render of an α at the next s still starts from that α's shared prefix (the steps before the first
    // whose prompt changes with s).
    const int keep = renderer.keptTrajectories();
    renderer.setKeptTrajectories(std::max(keep, std::min(samples, 16)));
    struct RestoreKeep {
        PreviewRenderer& r;
        int keep;
        ~RestoreKeep() { r.setKeptTrajectories(keep); }
    } restore{renderer, keep};
    for (size_t i = 0; i < splits.size(); ++i) {
        std::vector<torch::Tensor> images;
        std::vector<PreviewImage> shown;
        for (int k = 0; k < samples; ++k) {
            if (job) job->throwIfCancelled();
            PreviewParams p = params;
            p.intermediateEvery = 0;
            p.alpha = alphas[static_cast<size_t>(k)];
            p.denoise.split = splits[i];
            p.fullRender = true;  // the metrics compare with the sources at the model's size
            auto rendered = renderer.render(input, p);
            images.push_back(rendered.image);
            if (onPoint) shown.push_back(toPreviewImage(rendered));
            if (job) job->report("sweep", ++done, total);
        }
        points.push_back({splits[i], meanSourceSimilarity(images, srcA, srcB), meanPairwiseRmsDistance(images)});
        if (onPoint) onPoint(static_cast<int>(i), points.back(), shown);
    }
    return points;
}

std::vector<GenerationClass> ProjectSession::generationClasses(bool needPool) const {
    const auto entries = needPool ? pool() : std::vector<PoolEntry>{};
    std::vector<GenerationClass> out;
    int64_t index = 0;
    for (const auto& c : m_split.classes) {
        GenerationClass g;
        g.name = c.name;
        g.classIndex = index++;
        g.prompt = classPrompt(c.name);
        g.trainImages = static_cast<int64_t>(c.train.size());
        g.plainPrompt = "a photo of a " + c.name + " " + m_project->config().metaclass;
        g.images = c.train;
        for (const auto& e : entries) {
            if (e.className != c.name) continue;
            if (e.stale)
                throw Error(e.file +
                            ": inversion pool entry is stale (model, concepts or settings changed): "
                            "rebuild the pool first");
            g.pool.push_back(e);
        }
        if (g.trainImages == 0) continue;
        if (needPool && g.pool.size() < c.train.size())
            throw Error(m_project->inversionsDir() + ": class '" + c.name + "' has " + std::to_string(g.pool.size()) +
                        " of " + std::to_string(c.train.size()) + " inversions: build the pool first");
        out.push_back(std::move(g));
    }
    return out;
}

GenerationReport ProjectSession::generate(const JobContext* job, int shardIndex, int shardCount) {
    return generateStrategy(SynthesisStrategy::DiffII, m_project->syntheticDir(), std::nullopt, job, shardIndex,
                            shardCount);
}

std::string ProjectSession::strategyDir(SynthesisStrategy strategy, std::optional<double> splitRatio) const {
    if (strategy == SynthesisStrategy::DiffII && !splitRatio) return m_project->syntheticDir();
    std::string name = strategyName(strategy);
    if (splitRatio) {
        char suffix[32];
        std::snprintf(suffix, sizeof suffix, "-s%g", *splitRatio);
        name += suffix;
    }
    return (fs::path(m_project->dir()) / "strategies" / name).string();
}

GenerationReport ProjectSession::generateStrategy(SynthesisStrategy strategy, const std::string& outDir,
                                                  std::optional<double> expansionRate, const JobContext* job,
                                                  int shardIndex, int shardCount, std::optional<double> splitRatio) {
    // One shard of several takes the project shared with the other shards (core/data/project_lock.h); the set's
    // manifest is then rewritten under the set's own lock, one shard at a time.
    std::optional<ProjectLock> lock;
    std::string manifestLock;
    if (shardCount > 1) {
        const auto set = lockNameOfSet(m_project->dir(), outDir);
        lock.emplace(m_project->dir(), "generate", set, shardIndex, shardCount);
        manifestLock = (fs::path(m_project->dir()) / ProjectLock::kShardFolder / (set + ".manifest")).string();
    } else {
        lock.emplace(m_project->dir(), "generate");
    }
    auto g = generationSettingsOf(*this, strategy, expansionRate, splitRatio);
    g.manifestLock = manifestLock;
    return runGeneration(*m_sd, generationClasses(strategy == SynthesisStrategy::DiffII), g, m_project->config().seed,
                         outDir, shardIndex, shardCount, job);
}

SlurmPlan ProjectSession::slurmPlan() const {
    SlurmPlan plan;
    plan.projectDir = m_project->dir();
    plan.syntheticDir = m_project->syntheticDir();
    for (const auto& r :
         planGeneration(generationClasses(true),
                        generationSettingsOf(*this, SynthesisStrategy::DiffII, std::nullopt, std::nullopt),
                        m_project->config().seed))
        plan.outputs.push_back(r.outputPath);
    plan.unetParameters = parameterCount(*m_sd->unet());
    return plan;
}

SlurmRunStatus ProjectSession::submitToSlurm(const SlurmSubmitOptions& options) {
    return submitSlurmRun(slurmPlan(), options);
}

SlurmRunStatus ProjectSession::resumeSlurm(const std::string& sbatch) { return resumeSlurmRun(slurmPlan(), sbatch); }

std::vector<SyntheticRecord> ProjectSession::syntheticSet() const {
    const auto manifest = fs::path(m_project->syntheticDir()) / "manifest.jsonl";
    if (!fs::exists(manifest)) return {};
    return readManifestJsonl(manifest.string());
}

void ProjectSession::setCuration(const std::string& outputPath, Curation curation,
                                 const std::vector<std::string>& tags) {
    setCurations({CurationMark{outputPath, curation, tags}});
}

void ProjectSession::setCurations(const std::vector<CurationMark>& marks) {
    if (marks.empty()) return;
    const ProjectLock lock(m_project->dir(), "curate");
    const auto dir = m_project->syntheticDir();
    auto records = readManifestJsonl(dir + "/manifest.jsonl");
    for (const auto& mark : marks) {
        bool found = false;
        for (auto& r : records) {
            if (r.outputPath != mark.outputPath) continue;
            r.curation = mark.curation;
            r.tags = mark.tags;
            found = true;
        }
        if (!found) throw Error(dir + "/manifest.jsonl: no image '" + mark.outputPath + "'");
    }
    writeManifest(dir, records);
}

int64_t ProjectSession::exportSet(const std::string& exportDir, const JobContext* job, bool force) {
    const ProjectLock lock(m_project->dir(), "export");
    checkClusterRunComplete(m_project->dir());
    return exportSyntheticSet(m_project->syntheticDir(), exportDir, false, job, force);
}

std::vector<std::string> ProjectSession::suffixes() const { return projectSuffixes(*m_project); }

void ProjectSession::setSuffixes(const std::vector<std::string>& suffixes) {
    const ProjectLock lock(m_project->dir(), "suffixes");
    writeProjectSuffixes(*m_project, suffixes);
}

std::string libtorchVersion() { return TORCH_VERSION; }

}  // namespace diffii
