#include "core/models/stable_diffusion.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/jobs/device.h"
#include "core/jobs/precision.h"
#include "core/models/config_limits.h"
#include "core/models/layers.h"
#include "core/models/state_dict.h"
#include "core/models/value_scan.h"

namespace diffii {
namespace fs = std::filesystem;

namespace {

// Modules built under it allocate their parameters in dtype (LibTorch's default dtype, process-wide: only the model
// loader sets it, for the time it builds a module).
class DefaultDtypeGuard {
public:
    explicit DefaultDtypeGuard(torch::Dtype dtype) : m_saved(torch::get_default_dtype()) {
        torch::set_default_dtype(c10::scalarTypeToTypeMeta(dtype));
    }
    ~DefaultDtypeGuard() { torch::set_default_dtype(m_saved); }
    DefaultDtypeGuard(const DefaultDtypeGuard&) = delete;
    DefaultDtypeGuard& operator=(const DefaultDtypeGuard&) = delete;

private:
    caffe2::TypeMeta m_saved;
};

std::vector<std::string> shardsFromIndex(const std::string& indexPath) {
    const auto index = readJsonFile(indexPath);
    const auto it = index.find("weight_map");
    if (it == index.end() || !it->is_object())
        throw Error(indexPath + ": key 'weight_map' is missing or not an object");
    std::set<std::string> files;
    for (auto kv = it->begin(); kv != it->end(); ++kv) {
        if (!kv->is_string()) throw Error(indexPath + ": weight_map['" + kv.key() + "'] is not a file name");
        files.insert(kv->get<std::string>());
    }
    std::vector<std::string> out;
    const auto dir = fs::path(indexPath).parent_path();
    for (const auto& f : files) {
        const auto p = dir / f;
        if (!fs::exists(p)) throw Error(indexPath + ": lists shard '" + f + "' which does not exist");
        out.push_back(p.string());
    }
    return out;
}

int64_t headerParameterCount(const SafeTensorsFile& f, const LoadOptions& options, ComponentReport* report) {
    int64_t total = 0;
    for (const auto& key : f.keys()) {
        if (options.ignore && options.ignore(key)) continue;
        const auto& info = f.info(key);
        total += info.numel();
        if (report) {
            report->tensorCount++;
            report->dtypeCounts[stDtypeName(info.dtype)]++;
        }
    }
    return total;
}

std::string requireDir(const std::string& modelDir) {
    if (!fs::exists(modelDir)) throw Error(modelDir + ": does not exist (expected a diffusers model folder)");
    if (!fs::is_directory(modelDir)) throw Error(modelDir + ": not a directory (expected a diffusers model folder)");
    const auto index = fs::path(modelDir) / "model_index.json";
    if (!fs::exists(index))
        throw Error(index.string() +
                    ": missing (not a diffusers model folder: expected model_index.json with unet, "
                    "vae, text_encoder, tokenizer, scheduler)");
    return index.string();
}

void checkModelIndex(const nlohmann::json& index, const std::string& path) {
    if (!index.is_object()) throw Error(path + ": expected a JSON object, got " + std::string(index.type_name()));
    // [library, class] of each component this engine loads; the class must be the one it implements.
    const std::pair<const char*, std::vector<std::string>> components[] = {
        {"unet", {"UNet2DConditionModel"}},
        {"vae", {"AutoencoderKL"}},
        {"text_encoder", {"CLIPTextModel"}},
        {"tokenizer", {"CLIPTokenizer", "CLIPTokenizerFast"}},
        {"scheduler", {}}};  // any scheduler class: its config is run as DDIM
    for (const auto& [key, classes] : components) {
        const auto it = index.find(key);
        if (it == index.end() || it->is_null())
            throw Error(path + ": component '" + std::string(key) + "' is missing from model_index.json");
        if (!it->is_array() || it->size() != 2 || !(*it)[0].is_string() || !(*it)[1].is_string())
            throwKeyError(path, key, "must be [library, class name], got " + jsonExcerpt(*it));
        const auto cls = (*it)[1].get<std::string>();
        if (!classes.empty() && std::find(classes.begin(), classes.end(), cls) == classes.end())
            throwKeyError(path, key,
                          "class " + jsonExcerpt((*it)[1]) + " is not supported (supported: " + classes.front() +
                              (classes.size() > 1 ? ", " + classes.back() : "") + ")");
    }
}

// Strict weight matching (loading, or checking the headers) of one component, through withFileContext: its errors also
// name the config the module was built from, since a valid config the weights do not match is at fault as much as
// the weights.
void withWeights(const ComponentFiles& files, const std::string& what, const std::function<void()>& f) {
    try {
        withFileContext(files.weightFiles.front(), what, f);
    } catch (const Error& e) {
        throw Error(std::string(e.what()) + " (weights checked against the module built from " + files.configPath +
                    ")");
    }
}

// Every config of the folder, read and validated before anything is allocated, and checked against each other.
struct FolderConfigs {
    ComponentFiles textEncoderFiles, unetFiles, vaeFiles;
    ClipTextConfig textEncoder;
    UNet2DConditionConfig unet;
    AutoencoderKLConfig vae;
    std::string schedulerPath;
    DdimConfig scheduler;
};

// The cross-checks of the configs (shared by folders and single files): dimensions that must agree, and the size.
void checkConfigs(const FolderConfigs& f, const std::string& modelDir);

FolderConfigs readFolderConfigs(const std::string& modelDir) {
    FolderConfigs f;
    f.textEncoderFiles = locateComponent(modelDir, "text_encoder");
    f.textEncoder = ClipTextConfig::fromFile(f.textEncoderFiles.configPath);
    f.unetFiles = locateComponent(modelDir, "unet");
    f.unet = UNet2DConditionConfig::fromFile(f.unetFiles.configPath);
    f.vaeFiles = locateComponent(modelDir, "vae");
    f.vae = AutoencoderKLConfig::fromFile(f.vaeFiles.configPath);
    f.schedulerPath = (fs::path(modelDir) / "scheduler" / "scheduler_config.json").string();
    f.scheduler = DdimConfig::fromFile(f.schedulerPath);
    checkConfigs(f, modelDir);
    return f;
}

// The configs a single file resolved to (built-in or --model-config), with the file as every component's weights.
FolderConfigs singleFileConfigs(const SingleFileModel& m) {
    FolderConfigs f;
    const auto files = [&](const char* name) {
        ComponentFiles c;
        c.name = name;
        c.configPath = m.configPaths.at(name);
        c.weightFiles = {m.path};
        return c;
    };
    f.textEncoderFiles = files("text_encoder");
    f.textEncoder = ClipTextConfig::fromJson(m.textEncoder, f.textEncoderFiles.configPath);
    f.unetFiles = files("unet");
    f.unet = UNet2DConditionConfig::fromJson(m.unet, f.unetFiles.configPath);
    f.vaeFiles = files("vae");
    f.vae = AutoencoderKLConfig::fromJson(m.vae, f.vaeFiles.configPath);
    f.schedulerPath = m.configPaths.at("scheduler");
    f.scheduler = DdimConfig::fromJson(m.scheduler, f.schedulerPath);
    checkConfigs(f, m.path);
    return f;
}

void checkConfigs(const FolderConfigs& f, const std::string& modelDir) {
    const auto& u = f.unet;
    const std::string unetPath = f.unetFiles.configPath;
    for (size_t i = 0; i < u.crossAttentionDim.size(); ++i)
        if (u.crossAttentionDim[i] != f.textEncoder.hiddenSize)
            throwKeyError(unetPath, "cross_attention_dim",
                          std::to_string(u.crossAttentionDim[i]) + " differs from the text encoder's 'hidden_size' " +
                              std::to_string(f.textEncoder.hiddenSize) + " (" + f.textEncoderFiles.configPath + ")");
    if (u.inChannels != f.vae.latentChannels)
        throwKeyError(unetPath, "in_channels",
                      std::to_string(u.inChannels) + " differs from the VAE's 'latent_channels' " +
                          std::to_string(f.vae.latentChannels) + " (" + f.vaeFiles.configPath + ")");
    if (u.outChannels != f.vae.latentChannels)
        throwKeyError(unetPath, "out_channels",
                      std::to_string(u.outChannels) + " differs from the VAE's 'latent_channels' " +
                          std::to_string(f.vae.latentChannels) + " (" + f.vaeFiles.configPath + ")");
    const int64_t total = f.textEncoder.parameterCount() + u.parameterCount() + f.vae.parameterCount();
    checkParameterBudget(total, "the model (UNet, VAE and text encoder together)", modelDir,
                         "of unet/, vae/ and text_encoder/config.json");
}

// The tokenizer's ids and length must fit the text encoder's embeddings.
void checkTokenizerFits(const ClipTokenizer& tok, const std::string& modelDir, const FolderConfigs& f) {
    const auto tokDir = (fs::path(modelDir) / "tokenizer").string();
    if (static_cast<int64_t>(tok.size()) > f.textEncoder.vocabSize)
        throwKeyError(f.textEncoderFiles.configPath, "vocab_size",
                      std::to_string(f.textEncoder.vocabSize) + " is smaller than the tokenizer's " +
                          std::to_string(tok.size()) + " tokens (" + tokDir + ")");
    if (static_cast<int64_t>(tok.maxLength()) > f.textEncoder.maxPositionEmbeddings)
        throwKeyError(tokDir + "/tokenizer_config.json", "model_max_length",
                      std::to_string(tok.maxLength()) + " exceeds the text encoder's 'max_position_embeddings' " +
                          std::to_string(f.textEncoder.maxPositionEmbeddings) + " (" + f.textEncoderFiles.configPath +
                          ")");
}

}  // namespace

void withFileContext(const std::string& file, const std::string& what, const std::function<void()>& f) {
    try {
        f();
    } catch (const Error&) {
        throw;
    } catch (const c10::Error& e) {
        throw Error(file + ": " + what + " failed: " + e.what_without_backtrace());
    } catch (const std::bad_alloc&) {
        throw Error(file + ": " + what + " failed: out of memory");
    } catch (const std::exception& e) {
        throw Error(file + ": " + what + " failed: " + e.what());
    }
}

ComponentFiles locateComponent(const std::string& modelDir, const std::string& name) {
    ComponentFiles c;
    c.name = name;
    const auto dir = fs::path(modelDir) / name;
    if (!fs::is_directory(dir)) throw Error(dir.string() + ": component folder '" + name + "' is missing");
    c.configPath = (dir / "config.json").string();
    if (!fs::exists(c.configPath)) throw Error(c.configPath + ": missing config for component '" + name + "'");
    const std::string stem = name == "text_encoder" ? "model" : "diffusion_pytorch_model";
    for (const std::string variant : {"", ".fp16"}) {
        const auto single = dir / (stem + variant + ".safetensors");
        if (fs::exists(single)) {
            c.weightFiles = {single.string()};
            return c;
        }
        const auto index = dir / (stem + variant + ".safetensors.index.json");
        if (fs::exists(index)) {
            c.weightFiles = shardsFromIndex(index.string());
            return c;
        }
    }
    for (const char* legacy : {".bin", ".ckpt", ".pt"}) {
        if (fs::exists(dir / (stem + legacy)))
            throw Error((dir / (stem + legacy)).string() +
                        ": only safetensors weights are supported (pickled PyTorch files can run code); "
                        "convert it to " +
                        stem + ".safetensors");
    }
    throw Error(dir.string() + ": no weights found (expected " + stem + ".safetensors or a sharded index)");
}

LoadOptions loadOptionsFor(const std::string& component) {
    LoadOptions o;
    if (component == "vae") o.rename = vaeLegacyKeyRename;
    if (component == "text_encoder")
        o.ignore = [](const std::string& key) { return key == "text_model.embeddings.position_ids"; };
    return o;
}

namespace {

// Where a model's configs and weights come from: a single file (original layout) or a diffusers folder. Either way
// every config is validated (ranges, cross-checks, the size estimate) before any module is allocated.
struct ModelSource {
    FolderConfigs configs;
    nlohmann::json modelIndex;
    // Weights are read through a shared copy of the single file's index, so that a deferred UNet (loadUNet) reads
    // the same file with the same checks after load() has returned.
    std::shared_ptr<const SingleFileModel> single;
};

ModelSource openModelSource(const std::string& modelDir, const SingleFileOptions& options) {
    ModelSource src;
    if (isSingleFileModel(modelDir)) {
        auto single = openSingleFile(modelDir, options);
        src.modelIndex = {{"_class_name", "StableDiffusionPipeline"}, {"single_file", single.summary()}};
        src.configs = singleFileConfigs(single);
        src.single = std::make_shared<const SingleFileModel>(std::move(single));
    } else {
        const std::string indexPath = requireDir(modelDir);
        src.modelIndex = readJsonFile(indexPath);
        checkModelIndex(src.modelIndex, indexPath);
        src.configs = readFolderConfigs(modelDir);
    }
    return src;
}

// Builds one component: the module in its compute dtype (norms back to float32), its weights copied into it straight
// from the mapped file, then moved to the device. Copyable: the model keeps one to rebuild a released component.
struct ComponentBuilder {
    torch::Dtype dtype;
    torch::Device device;
    std::string deviceName, modelDir;
    std::shared_ptr<const SingleFileModel> single;

    void loadWeights(const ComponentFiles& files, const std::string& what, torch::nn::Module& m) const {
        if (single)
            loadSingleFileComponent(*single, files.name, m);
        else
            withWeights(files, what, [&] { loadStateDict(m, files.weightFiles, loadOptionsFor(files.name)); });
    }

    template <typename Make>
    auto operator()(const ComponentFiles& files, const std::string& name, Make make) const {
        torch::NoGradGuard noGrad;
        decltype(make()) m{nullptr};
        withFileContext(files.configPath, "building the " + name, [&] {
            DefaultDtypeGuard guard(dtype);
            SkipRandomInit noInit;  // every parameter is read from the weights below
            m = make();
            toComputeDtype(*m, dtype);
        });
        loadWeights(files, "loading the " + name + "'s weights", *m);
        withFileContext(modelDir, "moving the " + name + " to " + deviceName, [&] {
            m->eval();
            if (device != torch::kCPU) m->to(device);
        });
        // Inference on the CPU: the wide convolutions keep their weights in oneDNN's layout (layers.h).
        setConvPacking(*m, device == torch::kCPU);
        return m;
    }
};

}  // namespace

std::shared_ptr<StableDiffusion> StableDiffusion::load(const std::string& modelDir, const LoadSettings& settings) {
    if (settings.dtype != torch::kFloat32 && settings.dtype != torch::kBFloat16)
        throw Error("unsupported compute dtype: only float32 and bfloat16");
    auto sd = std::shared_ptr<StableDiffusion>(new StableDiffusion());
    sd->m_dir = modelDir;
    sd->m_deviceName = parseDevice(settings.device, "device");
    requireDeviceAvailable(sd->m_deviceName, "device");
    configureDeviceMath(sd->m_deviceName);
    sd->m_device = torch::Device(sd->m_deviceName);
    sd->m_dtype = settings.dtype;
    sd->m_precisionReason = settings.dtype == torch::kFloat32 ? "float32: asked for" : "bfloat16: asked for";
    auto src = openModelSource(modelDir, settings.singleFile);
    const auto& cfg = src.configs;
    sd->m_modelIndex = std::move(src.modelIndex);

    // Denormal floats made a training step 47x slower on this machine class; flushing them costs no accuracy
    // that matters here. The flag is per thread: this sets the loading thread's; flushDenormalsOnComputeThreads
    // (core/jobs/threads.h) sets LibTorch's pool threads as well.
    at::globalContext().setFlushDenormal(true);
    sd->m_tokenizer = std::make_unique<ClipTokenizer>(
        src.single ? singleFileTokenizer(*src.single)
                   : ClipTokenizer::fromFolder((fs::path(modelDir) / "tokenizer").string()));
    checkTokenizerFits(*sd->m_tokenizer, modelDir, cfg);

    // The compute dtype is known before any module is built, so that each is built in it and its weights are
    // copied straight from the mapped file into their final dtype: no float32 copy of a bfloat16 model ever exists
    // (the peak memory of loading SD 1.5 in bfloat16 is that of the bfloat16 weights).
    if (settings.precision) {
        const auto choice = choosePrecisionOn(sd->m_deviceName, *settings.precision, cfg.unet.parameterCount());
        sd->m_dtype = choice.bfloat16 ? torch::kBFloat16 : torch::kFloat32;
        sd->m_precisionReason = choice.reason;
    }
    const ComponentBuilder build{sd->m_dtype, sd->m_device, sd->m_deviceName, modelDir, src.single};
    sd->m_textEncoderVocab = cfg.textEncoder.vocabSize;
    sd->m_buildTextEncoder = [build, files = cfg.textEncoderFiles, config = cfg.textEncoder] {
        return build(files, "text encoder", [&] { return ClipTextModel(config); });
    };
    sd->m_textEncoder = sd->m_buildTextEncoder();
    sd->m_unetConfig = cfg.unet;
    sd->m_buildUNet = [build, files = cfg.unetFiles, config = cfg.unet] {
        return build(files, "UNet", [&] { return UNet2DConditionModel(config); });
    };
    if (!settings.deferUNet) sd->m_unet = sd->m_buildUNet();
    sd->m_vae = build(cfg.vaeFiles, "VAE", [&] { return AutoencoderKL(cfg.vae); });
    sd->m_schedulerConfig = cfg.scheduler;
    return sd;
}

void StableDiffusion::loadUNet() {
    if (hasUNet()) return;
    auto unet = m_buildUNet();
    torch::NoGradGuard noGrad;
    for (const auto& apply : m_unetAdapters) apply(*unet);
    m_unet = unet;
}

void StableDiffusion::addUNetAdapter(std::function<void(UNet2DConditionModelImpl&)> apply) {
    m_unetAdapters.push_back(std::move(apply));
}

torch::Tensor StableDiffusion::encodePrompt(const std::string& prompt) {
    if (!hasTextEncoder())
        throw Error("the text encoder of " + m_dir +
                    " was released after the job's prompts were encoded; cannot "
                    "encode '" +
                    prompt + "'");
    torch::NoGradGuard noGrad;
    const auto ids = m_tokenizer->encodePadded(prompt, m_tokenizer->maxLength());
    auto input = torch::tensor(ids, torch::kInt64).unsqueeze(0).to(m_device);
    return m_textEncoder->forward(input).lastHiddenState;
}

void StableDiffusion::releaseTextEncoder() {
    if (!hasTextEncoder()) return;
    const auto weight = m_textEncoder->tokenEmbeddingWeight().detach();
    m_addedTokenRows = weight.size(0) > m_textEncoderVocab
                           ? weight.narrow(0, m_textEncoderVocab, weight.size(0) - m_textEncoderVocab).clone()
                           : torch::Tensor();
    m_textEncoder = ClipTextModel(nullptr);
}

void StableDiffusion::loadTextEncoder() {
    if (hasTextEncoder()) return;
    auto te = m_buildTextEncoder();
    if (m_addedTokenRows.defined()) {
        torch::NoGradGuard noGrad;
        const int64_t added = m_addedTokenRows.size(0);
        te->resizeTokenEmbeddings(m_textEncoderVocab + added);
        te->tokenEmbeddingWeight().narrow(0, m_textEncoderVocab, added).copy_(m_addedTokenRows);
    }
    m_textEncoder = te;
    m_addedTokenRows = torch::Tensor();
}

void StableDiffusion::releaseUNet() { m_unet = UNet2DConditionModel(nullptr); }

int64_t StableDiffusion::vaeScaleFactor() const { return m_vae->config().downscaleFactor(); }

int64_t StableDiffusion::nativeImageSize() const { return m_unetConfig.sampleSize * vaeScaleFactor(); }

ModelFolderReport inspectModelFolder(const std::string& modelDir, bool verifyAgainstConfig) {
    if (isSingleFileModel(modelDir)) return inspectSingleFile(modelDir, {}, verifyAgainstConfig);
    const std::string indexPath = requireDir(modelDir);
    ModelFolderReport r;
    r.dir = modelDir;
    r.modelIndex = readJsonFile(indexPath);
    checkModelIndex(r.modelIndex, indexPath);
    // The configs are always validated (cheap, nothing allocated); verification builds the modules as well.
    const auto cfg = readFolderConfigs(modelDir);
    torch::NoGradGuard noGrad;
    for (const std::string name : {"text_encoder", "unet", "vae"}) {
        ComponentReport c;
        c.name = name;
        const auto& files = name == "text_encoder" ? cfg.textEncoderFiles
                            : name == "unet"       ? cfg.unetFiles
                                                   : cfg.vaeFiles;
        c.configPath = files.configPath;
        c.weightFiles = files.weightFiles;
        c.config = readJsonFile(files.configPath);
        const auto& entry = r.modelIndex[name];
        c.className = entry[1].get<std::string>();
        const auto options = loadOptionsFor(name);
        for (const auto& w : files.weightFiles) {
            SafeTensorsFile f(w);
            c.parameterCount += headerParameterCount(f, options, &c);
        }
        if (verifyAgainstConfig) {
            const auto check = [&](torch::nn::Module& m) {
                withWeights(files, "matching the weights", [&] { checkStateDict(m, files.weightFiles, options); });
            };
            const std::string what = "building the " + name + " from its config";
            if (name == "text_encoder") {
                ClipTextModel m{nullptr};
                withFileContext(files.configPath, what, [&] { m = ClipTextModel(cfg.textEncoder); });
                check(*m);
            } else if (name == "unet") {
                UNet2DConditionModel m{nullptr};
                withFileContext(files.configPath, what, [&] { m = UNet2DConditionModel(cfg.unet); });
                check(*m);
            } else {
                AutoencoderKL m{nullptr};
                withFileContext(files.configPath, what, [&] { m = AutoencoderKL(cfg.vae); });
                check(*m);
            }
        }
        r.components.push_back(std::move(c));
    }
    const auto tok = ClipTokenizer::fromFolder((fs::path(modelDir) / "tokenizer").string());
    checkTokenizerFits(tok, modelDir, cfg);
    std::ostringstream ts;
    ts << tok.size() << " tokens, max length " << tok.maxLength() << ", bos " << tok.bosId() << ", eos " << tok.eosId()
       << ", pad " << tok.padId();
    r.tokenizerSummary = ts.str();
    const auto& sched = cfg.scheduler;
    std::ostringstream ss;
    ss << (sched.className.empty() ? "?" : sched.className) << " (run as DDIM): " << sched.numTrainTimesteps
       << " train steps, beta " << sched.betaStart << ".." << sched.betaEnd << " "
       << betaScheduleName(sched.betaSchedule) << ", prediction " << predictionTypeName(sched.predictionType)
       << ", spacing " << timestepSpacingName(sched.timestepSpacing) << ", steps_offset " << sched.stepsOffset;
    r.schedulerSummary = ss.str();
    return r;
}

std::string ModelFolderReport::format() const {
    std::ostringstream os;
    os << "model: " << dir << "\n";
    if (!architecture.empty()) os << "architecture: " << architecture << "\n";
    int64_t total = 0;
    for (const auto& c : components) {
        os << "\n" << c.name << " (" << c.className << ")\n";
        os << "  config:     " << c.configPath << "\n";
        for (const auto& w : c.weightFiles) os << "  weights:    " << w << "\n";
        os << "  parameters: " << c.parameterCount << " in " << c.tensorCount << " tensors\n";
        os << "  dtype:     ";
        for (const auto& d : c.dtypeCounts) os << " " << d.first << " (" << d.second << ")";
        os << "\n  settings:   " << c.config.dump() << "\n";
        total += c.parameterCount;
    }
    if (!ignoredKeys.empty()) {
        os << "\nignored keys (" << ignoredKeys.size() << "):\n";
        for (const auto& k : ignoredKeys) os << "  " << k << "\n";
    }
    os << "\ntokenizer: " << tokenizerSummary << "\n";
    os << "scheduler: " << schedulerSummary << "\n";
    os << "\ntotal parameters: " << total << "\n";
    return os.str();
}

}  // namespace diffii

namespace diffii {
namespace {

bool isFloatDtype(StDtype d) {
    return d == StDtype::F32 || d == StDtype::F16 || d == StDtype::BF16 || d == StDtype::F64;
}

}  // namespace

ModelValueScan scanModelValues(const std::string& modelDir, const JobContext* job) {
    std::vector<std::string> paths;
    if (isSingleFileModel(modelDir)) {
        paths = {modelDir};
    } else {
        requireDir(modelDir);
        for (const char* name : {"unet", "vae", "text_encoder"})
            for (const auto& path : locateComponent(modelDir, name).weightFiles) paths.push_back(path);
    }
    std::vector<std::unique_ptr<SafeTensorsFile>> files;
    int64_t total = 0;
    for (const auto& path : paths) {
        files.push_back(std::make_unique<SafeTensorsFile>(path));
        for (const auto& key : files.back()->keys()) total += isFloatDtype(files.back()->info(key).dtype) ? 1 : 0;
    }
    torch::NoGradGuard noGrad;
    ModelValueScan scan;
    scan.files = static_cast<int64_t>(files.size());
    for (const auto& f : files) {
        for (const auto& key : f->keys()) {
            if (!isFloatDtype(f->info(key).dtype)) continue;
            if (job) job->throwIfCancelled();
            const auto t = f->tensor(key);
            ++scan.tensors;
            scan.values += t.numel();
            if (t.numel() > 0 && !torch::isfinite(t).all().item<bool>())
                scan.nonFinite.push_back({f->path(), key, torch::isnan(t).sum().item<int64_t>(),
                                          torch::isinf(t).sum().item<int64_t>(), t.numel()});
            if (job) job->report("scan", scan.tensors, total, f->path());
        }
    }
    return scan;
}

}  // namespace diffii
