#include "core/diffii/workflow.h"

#include <filesystem>

#include "core/diffii/suffixes.h"
#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/jobs/threads.h"

namespace diffii {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSplitFile = "split.json";
constexpr const char* kSuffixFile = "suffixes.txt";
constexpr const char* kConceptsProvenance = "provenance.json";

std::string fileStem(const std::string& path) { return fs::path(path).stem().string(); }

// The model, with this thread's compute threads chosen for its size (configureThreadsForModel).
std::shared_ptr<StableDiffusion> loadModelForThisThread(const std::string& modelDir, const LoadSettings& settings) {
    auto sd = StableDiffusion::load(modelDir, settings);
    int64_t parameters = 0;
    for (const auto& p : sd->unet()->parameters()) parameters += p.numel();
    configureThreadsForModel(parameters);
    return sd;
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
    if (!(w.denoise.split >= 0 && w.denoise.split <= 1))
        throw Error(gf + ": 'split' must be in [0, 1], got " + std::to_string(w.denoise.split));
    if (!(w.expansionRate > 0)) throw Error(gf + ": 'expansion_rate' must be > 0");
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
              {"negative_prompt", negativePrompt}}}};
}

std::unique_ptr<ProjectSession> ProjectSession::open(const std::string& projectDir, Precision precision,
                                                     const JobContext* job) {
    std::unique_ptr<ProjectSession> s(new ProjectSession());
    s->m_project = Project::open(projectDir);
    auto& project = *s->m_project;
    if (job) job->report("open", 0, 3, "dataset");
    s->m_dataset = std::make_unique<ImageFolderDataset>(project.datasetDir());
    const auto splitPath = (fs::path(project.dir()) / kSplitFile).string();
    s->m_split = fs::exists(splitPath) ? loadSplit(splitPath, s->m_dataset->root()) : all(*s->m_dataset);
    if (job) job->report("open", 1, 3, "model fingerprint");
    s->m_modelHash = modelFingerprint(project.modelDir());
    if (job) job->report("open", 2, 3, "model");
    LoadSettings ls;
    ls.precision = precision;
    s->m_sd = loadModelForThisThread(project.modelDir(), ls);
    s->loadTrainedConcepts();
    if (job) job->report("open", 3, 3, "ready");
    return s;
}

void ProjectSession::loadTrainedConcepts() {
    const auto dir = m_project->conceptsDir();
    if (!fs::exists(fs::path(dir) / "concepts.json")) return;
    const auto provPath = (fs::path(dir) / kConceptsProvenance).string();
    if (fs::exists(provPath)) {
        const auto prov = Provenance::fromJson(readJsonFile(provPath), provPath);
        if (prov.modelHash != m_modelHash)
            throw Error(provPath + ": the concepts were trained on model fingerprint " + prov.modelHash +
                        " but " + m_project->modelDir() + " now has fingerprint " + m_modelHash +
                        " (the model folder changed): retrain the concepts (diffii train --restart)");
    }
    m_concepts = loadConcepts(*m_sd, dir);
}

WorkflowSettings ProjectSession::settings() const {
    return WorkflowSettings::fromJson(m_project->config().settings, m_project->projectFile());
}

void ProjectSession::saveSettings(const WorkflowSettings& settings) {
    m_project->config().settings = settings.toJson();
    m_project->save();
}

void ProjectSession::setSplit(const Split& split) {
    saveSplit(split, (fs::path(m_project->dir()) / kSplitFile).string(), m_dataset->root());
    m_split = split;
}

std::string ProjectSession::conceptsHash() const {
    if (!m_concepts) return "";
    const auto dir = fs::path(m_project->conceptsDir());
    return fingerprintFiles({(dir / "embeddings.safetensors").string(), (dir / "lora.safetensors").string()});
}

std::vector<std::string> ProjectSession::classTokens(const std::string& className) const {
    if (!m_concepts) return {};
    const auto it = m_concepts->tokensPerClass.find(className);
    return it == m_concepts->tokensPerClass.end() ? std::vector<std::string>{} : it->second;
}

std::string ProjectSession::classPrompt(const std::string& className) const {
    if (m_concepts && m_concepts->tokensPerClass.count(className)) return m_concepts->prompt(className);
    return "a photo of a " + className + " " + m_project->config().metaclass;
}

ConceptResult ProjectSession::trainConcepts(const JobContext* job, bool resume, int64_t sampleEvery,
                                            const std::function<void(int64_t, const std::string&, const std::string&)>& onSample) {
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
    int64_t unetParameters = 0;
    for (const auto& p : m_sd->unet()->parameters()) unetParameters += p.numel();
    s.concepts.bf16 = choosePrecision(s.conceptsPrecision, unetParameters).bfloat16;
    const torch::Dtype trainDtype = s.concepts.bf16 ? torch::kBFloat16 : torch::kFloat32;
    if (m_concepts || trainDtype != workDtype) {
        m_concepts.reset();
        m_sd = loadModelForThisThread(m_project->modelDir(), LoadSettings{trainDtype, std::nullopt});
    }
    ConceptLearner learner(m_sd, classes, m_project->config().metaclass, s.concepts);
    if (sampleEvery > 0 && onSample) {
        learner.setStepCallback([&](int64_t step) {
            if (step % sampleEvery != 0) return;
            // One class per sample, in turn, so every class is seen as training goes on.
            const size_t c = static_cast<size_t>(step / sampleEvery - 1) % classes.size();
            onSample(step, classes[c].name, conceptPrompt(learner.tokens()[c], m_project->config().metaclass));
        });
    }
    const auto result = learner.train(m_project->conceptsDir(), job, resume);
    Provenance prov;
    prov.producer = "diffii concepts";
    prov.modelHash = m_modelHash;
    prov.settings = s.concepts.toJson();
    prov.created = isoTimeNow();
    writeFileAtomic((fs::path(m_project->conceptsDir()) / kConceptsProvenance).string(), prov.toJson().dump(2));
    // Use exactly what was saved (the same path as a later open()), in the session's dtype.
    m_sd = loadModelForThisThread(m_project->modelDir(), LoadSettings{workDtype, std::nullopt});
    loadTrainedConcepts();
    return result;
}

std::vector<PoolSource> ProjectSession::poolSources() const {
    std::vector<PoolSource> out;
    for (const auto& c : m_split.classes)
        for (const auto& img : c.train) out.push_back({c.name, img, fileStem(img), classPrompt(c.name)});
    return out;
}

std::vector<PoolEntry> ProjectSession::buildPool(const JobContext* job) {
    const auto s = settings();
    return buildInversionPool(*m_sd, poolSources(), s.pool, m_project->inversionsDir(), m_modelHash, conceptsHash(), job);
}

std::vector<PoolEntry> ProjectSession::pool() const {
    const auto s = settings();
    return listInversionPool(m_project->inversionsDir(), poolSources(), s.pool, m_modelHash, conceptsHash());
}

std::vector<GenerationClass> ProjectSession::generationClasses() const {
    const auto entries = pool();
    std::vector<GenerationClass> out;
    int64_t index = 0;
    for (const auto& c : m_split.classes) {
        GenerationClass g;
        g.name = c.name;
        g.classIndex = index++;
        g.prompt = classPrompt(c.name);
        g.trainImages = static_cast<int64_t>(c.train.size());
        for (const auto& e : entries) {
            if (e.className != c.name) continue;
            if (e.stale)
                throw Error(e.file + ": inversion pool entry is stale (model, concepts or settings changed): "
                                     "rebuild the pool first");
            g.pool.push_back(e);
        }
        if (g.trainImages == 0) continue;
        if (g.pool.size() < c.train.size())
            throw Error(m_project->inversionsDir() + ": class '" + c.name + "' has " + std::to_string(g.pool.size()) +
                        " of " + std::to_string(c.train.size()) + " inversions: build the pool first");
        out.push_back(std::move(g));
    }
    return out;
}

GenerationReport ProjectSession::generate(const JobContext* job, int shardIndex, int shardCount) {
    const auto s = settings();
    GenerationSettings g;
    g.expansionRate = s.expansionRate;
    g.denoise = s.denoise;
    g.inversionSteps = s.pool.steps;
    g.suffixes = suffixes();
    g.negativePrompt = s.negativePrompt;
    g.modelHash = m_modelHash;
    g.conceptsHash = conceptsHash();
    return runGeneration(*m_sd, generationClasses(), g, m_project->config().seed, m_project->syntheticDir(),
                         shardIndex, shardCount, job);
}

int64_t ProjectSession::exportSet(const std::string& exportDir, const JobContext* job) {
    return exportSyntheticSet(m_project->syntheticDir(), exportDir, false, job);
}

std::vector<std::string> ProjectSession::suffixes() const {
    const auto path = fs::path(m_project->dir()) / kSuffixFile;
    if (fs::exists(path)) return loadSuffixes(path.string());
    return defaultSuffixes(m_project->config().metaclass);
}

void ProjectSession::setSuffixes(const std::vector<std::string>& suffixes) {
    saveSuffixes((fs::path(m_project->dir()) / kSuffixFile).string(), suffixes);
}

}  // namespace diffii
