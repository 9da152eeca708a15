#include "core/models/single_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <torch/torch.h>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/regular_file.h"
#include "core/io/safetensors.h"
#include "core/models/autoencoder_kl.h"
#include "core/models/clip_text_model.h"
#include "core/models/clip_vocabulary.h"
#include "core/models/layers.h"
#include "core/models/stable_diffusion.h"
#include "core/models/state_dict.h"
#include "core/models/unet_2d_condition.h"

namespace diffii {

namespace fs = std::filesystem;

namespace {

const char* const kComponents[] = {"text_encoder", "unet", "vae"};

// ---- The standard configs (those of runwayml/stable-diffusion-v1-5, stabilityai/stable-diffusion-2-base and
// stabilityai/stable-diffusion-2-1; the keys our config readers take).

nlohmann::json standardUnet(bool sd2, bool v768) {
    return {
        {"_class_name", "UNet2DConditionModel"},
        {"act_fn", "silu"},
        {"attention_head_dim", sd2 ? nlohmann::json({5, 10, 20, 20}) : nlohmann::json(8)},
        {"block_out_channels", {320, 640, 1280, 1280}},
        {"center_input_sample", false},
        {"cross_attention_dim", sd2 ? 1024 : 768},
        {"down_block_types", {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"}},
        {"downsample_padding", 1},
        {"flip_sin_to_cos", true},
        {"freq_shift", 0},
        {"in_channels", 4},
        {"layers_per_block", 2},
        {"mid_block_scale_factor", 1},
        {"norm_eps", 1e-05},
        {"norm_num_groups", 32},
        {"out_channels", 4},
        {"sample_size", v768 ? 96 : 64},
        {"up_block_types", {"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"}},
        {"upcast_attention", sd2 && v768},
        {"use_linear_projection", sd2}};
}

nlohmann::json standardVae(bool v768) {
    return {
        {"_class_name", "AutoencoderKL"},
        {"act_fn", "silu"},
        {"block_out_channels", {128, 256, 512, 512}},
        {"down_block_types", {"DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"}},
        {"in_channels", 3},
        {"latent_channels", 4},
        {"layers_per_block", 2},
        {"norm_num_groups", 32},
        {"out_channels", 3},
        {"sample_size", v768 ? 768 : 512},
        {"scaling_factor", 0.18215},
        {"up_block_types", {"UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"}}};
}

nlohmann::json standardTextEncoder(bool sd2) {
    return {{"architectures", {"CLIPTextModel"}},
            {"attention_dropout", 0.0},
            {"bos_token_id", 0},
            {"dropout", 0.0},
            {"eos_token_id", 2},
            {"hidden_act", sd2 ? "gelu" : "quick_gelu"},
            {"hidden_size", sd2 ? 1024 : 768},
            {"initializer_factor", 1.0},
            {"initializer_range", 0.02},
            {"intermediate_size", sd2 ? 4096 : 3072},
            {"layer_norm_eps", 1e-05},
            {"max_position_embeddings", 77},
            {"model_type", "clip_text_model"},
            {"num_attention_heads", sd2 ? 16 : 12},
            {"num_hidden_layers", sd2 ? 23 : 12},
            {"pad_token_id", 1},
            {"projection_dim", sd2 ? 512 : 768},
            {"vocab_size", 49408}};
}

nlohmann::json standardScheduler(PredictionType prediction) {
    return {{"_class_name", "PNDMScheduler"},
            {"beta_end", 0.012},
            {"beta_schedule", "scaled_linear"},
            {"beta_start", 0.00085},
            {"clip_sample", false},
            {"num_train_timesteps", 1000},
            {"prediction_type", predictionTypeName(prediction)},
            {"set_alpha_to_one", false},
            {"skip_prk_steps", true},
            {"steps_offset", 1},
            {"trained_betas", nullptr}};
}

// ---- Recognition: a few tensors whose shapes tell SD 1.x from SD 2.x (the strict load checks every other one).
struct Signature {
    const char* name;
    std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
};

const std::vector<Signature>& signatures() {
    static const std::vector<Signature> s{
        {"SD 1.x",
         {{"model.diffusion_model.input_blocks.0.0.weight", {320, 4, 3, 3}},
          {"model.diffusion_model.input_blocks.1.1.proj_in.weight", {320, 320, 1, 1}},
          {"model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", {320, 768}},
          {"model.diffusion_model.out.2.weight", {4, 320, 3, 3}},
          {"first_stage_model.encoder.conv_in.weight", {128, 3, 3, 3}},
          {"first_stage_model.decoder.conv_out.weight", {3, 128, 3, 3}},
          {"cond_stage_model.transformer.text_model.embeddings.token_embedding.weight", {49408, 768}},
          {"cond_stage_model.transformer.text_model.encoder.layers.11.mlp.fc1.weight", {3072, 768}}}},
        {"SD 2.x",
         {{"model.diffusion_model.input_blocks.0.0.weight", {320, 4, 3, 3}},
          {"model.diffusion_model.input_blocks.1.1.proj_in.weight", {320, 320}},
          {"model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", {320, 1024}},
          {"model.diffusion_model.out.2.weight", {4, 320, 3, 3}},
          {"first_stage_model.encoder.conv_in.weight", {128, 3, 3, 3}},
          {"first_stage_model.decoder.conv_out.weight", {3, 128, 3, 3}},
          {"cond_stage_model.model.token_embedding.weight", {49408, 1024}},
          {"cond_stage_model.model.transformer.resblocks.22.mlp.c_fc.weight", {4096, 1024}}}},
    };
    return s;
}

std::string shapeText(const std::vector<int64_t>& s) {
    std::ostringstream os;
    os << '[';
    for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
    os << ']';
    return os.str();
}

// "" when the shapes have every signature tensor; else the first difference.
std::string signatureMismatch(const std::map<std::string, std::vector<int64_t>>& shapes, const Signature& sig) {
    for (const auto& [key, shape] : sig.shapes) {
        const auto it = shapes.find(key);
        if (it == shapes.end()) return "no '" + key + "'";
        if (it->second != shape)
            return "'" + key + "' is " + shapeText(it->second) + ", " + sig.name + " has " + shapeText(shape);
    }
    return "";
}

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// parameterization: "v" in an A1111 / ldm .yaml beside the file (a line-based read: no YAML library needed).
std::optional<PredictionType> yamlPrediction(const std::string& path, std::string* source) {
    for (const char* ext : {".yaml", ".yml"}) {
        const auto yaml = fs::path(path).replace_extension(ext);
        if (!fs::is_regular_file(yaml)) continue;
        std::ifstream in(yaml);
        std::string line;
        *source = yaml.string();
        while (std::getline(in, line)) {
            const auto hash = line.find('#');
            if (hash != std::string::npos) line.resize(hash);
            const auto key = line.find("parameterization:");
            if (key == std::string::npos) continue;
            std::string value = line.substr(key + 17);
            value.erase(
                std::remove_if(value.begin(), value.end(),
                               [](char c) { return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '\r'; }),
                value.end());
            if (value == "v") return PredictionType::VPrediction;
            if (value == "eps" || value == "epsilon") return PredictionType::Epsilon;
            throw Error(yaml.string() + ": parameterization '" + value + "' is not supported (eps or v)");
        }
        return PredictionType::Epsilon;  // ldm's default parameterization
    }
    return std::nullopt;
}

OriginalLayoutShape layoutOf(const UNet2DConditionConfig& u, const AutoencoderKLConfig& v, const ClipTextConfig& t,
                             TextEncoderLayout textLayout) {
    OriginalLayoutShape s;
    for (const auto& b : u.downBlockTypes) s.unetDownHasAttention.push_back(b.find("CrossAttn") != std::string::npos);
    for (const auto& b : u.upBlockTypes) s.unetUpHasAttention.push_back(b.find("CrossAttn") != std::string::npos);
    s.unetLayersPerBlock = u.layersPerBlock;
    s.vaeBlocks = static_cast<int64_t>(v.blockOutChannels.size());
    s.vaeLayersPerBlock = v.layersPerBlock;
    s.textLayers = t.numHiddenLayers;
    s.textLayout = textLayout;
    return s;
}

// A 1x1 convolution's weight or bias as the linear layer's: the two trailing 1s dropped (when it has them).
std::vector<int64_t> asLinear(std::vector<int64_t> s) {
    if (s.size() >= 3 && s[s.size() - 1] == 1 && s[s.size() - 2] == 1) s.resize(s.size() - 2);
    return s;
}

// Walks a component's keys against the module's tensors; onMatch(key, part, parts, target).
template <typename OnMatch>
LoadReport matchComponent(const SingleFileModel& m, const SafeTensorsFile& f, const std::string& component,
                          torch::nn::Module& module, OnMatch&& onMatch) {
    const OriginalLayout layout(m.layout);
    auto targets = stateDictTargets(module);
    LoadReport report;
    std::set<std::string> seen;
    const auto it = m.componentKeys.find(component);
    for (const auto& key : it == m.componentKeys.end() ? std::vector<std::string>{} : it->second) {
        const auto match = layout.fromOriginal(key);
        if (!match || match->component != component) {
            report.unexpected.push_back(key);
            continue;
        }
        const auto& shape = f.info(key).shape;
        const size_t parts = match->diffusers.size();
        if (parts > 1 && (shape.empty() || shape[0] % static_cast<int64_t>(parts) != 0)) {
            report.mismatched.push_back(key + ": " + shapeText(shape) + " does not split into q, k, v");
            continue;
        }
        auto want = shape;
        if (parts > 1) want[0] /= static_cast<int64_t>(parts);
        if (match->convWeight) want = asLinear(want);
        for (size_t p = 0; p < parts; ++p) {
            const auto& name = match->diffusers[p];
            const auto t = targets.find(name);
            if (t == targets.end()) {
                report.unexpected.push_back(key + " (as " + name + ")");
                continue;
            }
            const auto have = t->second.sizes().vec();
            if (want != have) {
                report.mismatched.push_back(key + ": checkpoint " + shapeText(shape) + " vs model " + name + " " +
                                            shapeText(have));
                continue;
            }
            onMatch(key, p, parts, t->second);
            seen.insert(name);
        }
    }
    for (const auto& [name, t] : targets) {
        if (seen.count(name)) continue;
        const auto o = layout.fromDiffusers(component, name);
        report.missing.push_back(o ? o->original + " (" + name + ")" : name);
    }
    return report;
}

void requireComplete(const SingleFileModel& m, const std::string& component, const LoadReport& report) {
    if (!report.ok())
        throw Error(report.describe(m.path) + "\n  (" + component + " checked against the module built from " +
                    m.configPaths.at(component) + ")");
}

// Builds the module of a component from the resolved config (f gets it as a torch::nn::Module).
void withComponentModule(const SingleFileModel& m, const std::string& component,
                         const std::function<void(torch::nn::Module&)>& f) {
    const auto& src = m.configPaths.at(component);
    if (component == "text_encoder") {
        ClipTextModel module{nullptr};
        withFileContext(src, "building the text encoder",
                        [&] { module = ClipTextModel(ClipTextConfig::fromJson(m.textEncoder, src)); });
        f(*module);
    } else if (component == "unet") {
        UNet2DConditionModel module{nullptr};
        withFileContext(src, "building the UNet",
                        [&] { module = UNet2DConditionModel(UNet2DConditionConfig::fromJson(m.unet, src)); });
        f(*module);
    } else {
        AutoencoderKL module{nullptr};
        withFileContext(src, "building the VAE",
                        [&] { module = AutoencoderKL(AutoencoderKLConfig::fromJson(m.vae, src)); });
        f(*module);
    }
}

bool isFloat(StDtype d) { return d == StDtype::F32 || d == StDtype::F16 || d == StDtype::BF16; }

}  // namespace

PredictionType parsePredictionTypeOption(const std::string& value) {
    if (value == "epsilon" || value == "eps") return PredictionType::Epsilon;
    if (value == "v_prediction" || value == "v") return PredictionType::VPrediction;
    throw Error("--prediction-type: '" + value + "' is not one of epsilon, v_prediction");
}

std::string recogniseArchitecture(const std::map<std::string, std::vector<int64_t>>& shapes, std::string* why) {
    const bool openClip = std::any_of(shapes.begin(), shapes.end(),
                                      [](const auto& kv) { return startsWith(kv.first, kOriginalOpenClipPrefix); });
    for (const auto& sig : signatures()) {
        const auto mismatch = signatureMismatch(shapes, sig);
        if (mismatch.empty()) return sig.name;
        if (why && (std::string(sig.name) == "SD 2.x") == openClip) *why = mismatch;
    }
    return "";
}

bool isSingleFileModel(const std::string& path) {
    std::error_code ec;
    return !path.empty() && fs::exists(path, ec) && !fs::is_directory(path, ec);
}

std::string SingleFileModel::summary() const {
    if (!architecture.empty() && configSource.rfind("built-in", 0) == 0)
        return "recognised: " + architecture + " single file";
    return (architecture.empty() ? std::string("single file") : architecture + " single file") +
           " with the configs of " + configSource;
}

namespace {

// Which text encoder the file holds; throws, naming what is missing, when a component is absent or both text
// encoders are there.
TextEncoderLayout checkComponents(const SafeTensorsFile& f, const std::string& path) {
    bool clip = false, openClip = false;
    size_t unetKeys = 0, vaeKeys = 0, textKeys = 0;
    for (const auto& key : f.keys()) {
        if (startsWith(key, kOriginalClipPrefix)) clip = true;
        if (startsWith(key, kOriginalOpenClipPrefix)) openClip = true;
        if (startsWith(key, kOriginalUnetPrefix)) ++unetKeys;
        if (startsWith(key, kOriginalVaePrefix)) ++vaeKeys;
        if (startsWith(key, kOriginalClipPrefix) || startsWith(key, kOriginalOpenClipPrefix)) ++textKeys;
    }
    if (unetKeys == 0 || vaeKeys == 0 || textKeys == 0) {
        std::string missing;
        if (unetKeys == 0) missing += " the UNet (model.diffusion_model.*)";
        if (vaeKeys == 0) missing += std::string(missing.empty() ? "" : ",") + " the VAE (first_stage_model.*)";
        if (textKeys == 0)
            missing += std::string(missing.empty() ? "" : ",") +
                       " the text encoder (cond_stage_model.transformer.* or cond_stage_model.model.*)";
        throw Error(path + ": not a complete Stable Diffusion single-file checkpoint: it lacks" + missing +
                    (unetKeys + vaeKeys + textKeys == 0 ? " (no key of the original layout at all)" : "") +
                    "; a file holding only a UNet or a LoRA cannot be loaded as a model");
    }
    if (clip && openClip)
        throw Error(path +
                    ": holds both an SD 1.x (cond_stage_model.transformer.*) and an SD 2.x "
                    "(cond_stage_model.model.*) text encoder");
    return openClip ? TextEncoderLayout::OpenClip : TextEncoderLayout::Clip;
}

// Prediction type: --prediction-type, the config's scheduler, the sibling .yaml, the architecture's default (the
// source goes to m.predictionSource).
PredictionType choosePrediction(const std::string& path, const SingleFileOptions& options, const fs::path& schedPath,
                                bool sd2, SingleFileModel& m) {
    std::optional<PredictionType> prediction = options.predictionType;
    if (prediction) m.predictionSource = "--prediction-type";
    std::string yamlSource;
    std::optional<PredictionType> fromYaml = yamlPrediction(path, &yamlSource);
    if (!prediction && !schedPath.empty() && fs::exists(schedPath)) {
        const auto j = readJsonFile(schedPath.string());
        prediction = DdimConfig::fromJson(j, schedPath.string()).predictionType;
        m.predictionSource = schedPath.string();
    }
    if (!prediction && fromYaml) {
        prediction = fromYaml;
        m.predictionSource = yamlSource;
    }
    if (!prediction) {
        prediction = sd2 ? PredictionType::VPrediction : PredictionType::Epsilon;
        m.predictionSource = sd2 ? "default of SD 2.x 768 models" : "default";
    }
    return *prediction;
}

// Configs: --model-config's where it has them, else the built-in ones of the recognised architecture.
void chooseConfigs(const std::string& mc, const fs::path& schedPath, const SingleFileOptions& options,
                   PredictionType prediction, bool sd2, bool v768, SingleFileModel& m) {
    m.configSource = mc.empty() ? "built-in " + m.architecture : mc;
    const std::pair<const char*, nlohmann::json*> configs[] = {
        {"unet", &m.unet}, {"vae", &m.vae}, {"text_encoder", &m.textEncoder}};
    for (const auto& [name, slot] : configs) {
        const auto file = mc.empty() ? fs::path() : fs::path(mc) / name / "config.json";
        if (!mc.empty() && fs::exists(file)) {
            *slot = readJsonFile(file.string());
            m.configPaths[name] = file.string();
        } else if (!m.architecture.empty()) {
            const std::string n = name;
            *slot = n == "unet" ? standardUnet(sd2, v768) : n == "vae" ? standardVae(v768) : standardTextEncoder(sd2);
            m.configPaths[name] = "the built-in " + m.architecture + " " + n + " config";
        } else {
            throw Error(file.string() + ": missing, and the file's architecture is not one with a built-in config");
        }
    }
    if (!mc.empty() && fs::exists(schedPath)) {
        m.scheduler = readJsonFile(schedPath.string());
        m.configPaths["scheduler"] = schedPath.string();
    } else {
        m.scheduler = standardScheduler(prediction);
        m.configPaths["scheduler"] = "the built-in scheduler config";
    }
    if (options.predictionType || !m.scheduler.contains("prediction_type"))
        m.scheduler["prediction_type"] = predictionTypeName(prediction);
    if (!mc.empty() && fs::exists(fs::path(mc) / "tokenizer" / "vocab.json"))
        m.tokenizerDir = (fs::path(mc) / "tokenizer").string();
}

// The decoder's block numbering: ldm's (top = blocks - 1) or that of diffusers' convert script (top = 3).
int64_t vaeUpTop(const SafeTensorsFile& f, int64_t top) {
    const std::string up = std::string(kOriginalVaePrefix) + "decoder.up.";
    for (const auto& key : f.keys())
        if (startsWith(key, up)) {
            const auto dot = key.find('.', up.size());
            const auto index = key.substr(up.size(), dot - up.size());
            if (!index.empty() && index.size() < 4 &&
                std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; }))
                top = std::max<int64_t>(top, std::stoll(index));
        }
    return top;
}

// Every key: a component's, ignored (with the reason), or an error.
void assignKeys(const SafeTensorsFile& f, const std::string& path, SingleFileModel& m) {
    for (const char* c : kComponents) m.componentKeys[c];
    const OriginalLayout layout(m.layout);
    std::vector<std::string> stray;
    for (const auto& key : f.keys()) {
        const auto why = ignoredOriginalKey(key, m.layout);
        if (!why.empty()) {
            m.ignored.emplace_back(key, why);
            continue;
        }
        const auto component = layout.componentOf(key);
        if (component.empty()) {
            stray.push_back(key);
            continue;
        }
        const auto dtype = f.info(key).dtype;
        if (!isFloat(dtype))
            throw Error(path + ": tensor '" + key + "' is stored as " + stDtypeName(dtype) +
                        " (supported: F32, F16, BF16)");
        m.componentKeys[component].push_back(key);
    }
    if (!stray.empty()) {
        LoadReport r;
        r.unexpected = stray;
        throw Error(r.describe(path) + "\n  (keys of no Stable Diffusion component)");
    }
}

}  // namespace

SingleFileModel openSingleFile(const std::string& path, const SingleFileOptions& options) {
    if (!fs::exists(path)) throw Error(path + ": model file does not exist");
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".ckpt" || ext == ".pt" || ext == ".pth" || ext == ".bin" || ext == ".pkl")
        throw Error(path +
                    ": a pickled PyTorch checkpoint is refused (loading one can run arbitrary code); use the "
                    ".safetensors version of the model, or convert it to safetensors with a tool you trust");
    SingleFileModel m;
    m.path = path;
    SafeTensorsFile f(path);  // validates the header and the data offsets (a truncated file fails here)
    const TextEncoderLayout textLayout = checkComponents(f, path);

    // The architecture.
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& key : f.keys()) shapes[key] = f.info(key).shape;
    std::string closest;
    m.architecture = recogniseArchitecture(shapes, &closest);
    if (m.architecture.empty() && options.modelConfig.empty())
        throw Error(path + ": the tensor shapes match no known architecture (SD 1.x, SD 2.x): " + closest +
                    "; give the component configs with --model-config DIR (a diffusers-layout folder with "
                    "unet/, vae/ and text_encoder/config.json)");
    const bool sd2 = m.architecture == "SD 2.x";

    const std::string mc = options.modelConfig;
    if (!mc.empty() && !fs::is_directory(mc)) throw Error(mc + ": --model-config is not a folder");
    const auto schedPath = mc.empty() ? fs::path() : fs::path(mc) / "scheduler" / "scheduler_config.json";
    const PredictionType prediction = choosePrediction(path, options, schedPath, sd2, m);
    const bool v768 = sd2 && prediction == PredictionType::VPrediction;
    if (!m.architecture.empty() && sd2) m.architecture = v768 ? "SD 2.x 768-v" : "SD 2.x 512";
    chooseConfigs(mc, schedPath, options, prediction, sd2, v768, m);

    const auto unet = UNet2DConditionConfig::fromJson(m.unet, m.configPaths["unet"]);
    const auto vae = AutoencoderKLConfig::fromJson(m.vae, m.configPaths["vae"]);
    const auto text = ClipTextConfig::fromJson(m.textEncoder, m.configPaths["text_encoder"]);
    m.layout = layoutOf(unet, vae, text, textLayout);
    m.layout.vaeUpTop = vaeUpTop(f, m.layout.vaeUpTop);
    assignKeys(f, path, m);
    return m;
}

ClipTokenizer singleFileTokenizer(const SingleFileModel& m) {
    if (!m.tokenizerDir.empty()) return ClipTokenizer::fromFolder(m.tokenizerDir);
    return builtinClipTokenizer(m.layout.textLayout == TextEncoderLayout::OpenClip);
}

void loadSingleFileComponent(const SingleFileModel& m, const std::string& component, torch::nn::Module& module,
                             bool load) {
    torch::NoGradGuard noGrad;
    SafeTensorsFile f(m.path);
    LoadReport report;
    withFileContext(m.path, "loading the " + component + "'s weights", [&] {
        report = matchComponent(m, f, component, module,
                                [&](const std::string& key, size_t part, size_t parts, torch::Tensor& target) {
                                    if (!load) return;
                                    auto src = f.view(key);
                                    if (parts > 1) src = src.chunk(static_cast<int64_t>(parts), 0)[part];
                                    // copy_ converts the dtype on the way: no temporary per tensor.
                                    target.copy_(src.reshape(target.sizes()));
                                });
    });
    requireComplete(m, component, report);
}

ModelFolderReport inspectSingleFile(const std::string& path, const SingleFileOptions& options, bool verify) {
    const auto m = openSingleFile(path, options);
    ModelFolderReport r;
    r.dir = path;
    r.modelIndex = {{"_class_name", "StableDiffusionPipeline"}};
    r.architecture = m.summary();
    SafeTensorsFile f(path);
    const OriginalLayout layout(m.layout);
    for (const char* name : kComponents) {
        ComponentReport c;
        c.name = name;
        c.className = std::string(name) == "unet"  ? "UNet2DConditionModel"
                      : std::string(name) == "vae" ? "AutoencoderKL"
                                                   : "CLIPTextModel";
        c.configPath = m.configPaths.at(name);
        c.config = std::string(name) == "unet" ? m.unet : std::string(name) == "vae" ? m.vae : m.textEncoder;
        c.weightFiles = {path};
        for (const auto& key : m.componentKeys.at(name)) {
            const auto& info = f.info(key);
            c.parameterCount += info.numel();
            c.tensorCount++;
            c.dtypeCounts[stDtypeName(info.dtype)]++;
        }
        if (verify) {
            torch::NoGradGuard noGrad;
            withComponentModule(m, name,
                                [&](torch::nn::Module& module) { loadSingleFileComponent(m, name, module, false); });
        }
        r.components.push_back(std::move(c));
    }
    for (const auto& [key, why] : m.ignored) r.ignoredKeys.push_back(key + " (" + why + ")");
    const auto tok = singleFileTokenizer(m);
    std::ostringstream ts;
    ts << tok.size() << " tokens, max length " << tok.maxLength() << ", bos " << tok.bosId() << ", eos " << tok.eosId()
       << ", pad " << tok.padId()
       << (m.tokenizerDir.empty() ? " (built-in CLIP vocabulary)" : " (" + m.tokenizerDir + ")");
    r.tokenizerSummary = ts.str();
    const auto sched = DdimConfig::fromJson(m.scheduler, m.configPaths.at("scheduler"));
    std::ostringstream ss;
    ss << (sched.className.empty() ? "?" : sched.className) << " (run as DDIM): " << sched.numTrainTimesteps
       << " train steps, beta " << sched.betaStart << ".." << sched.betaEnd << " "
       << betaScheduleName(sched.betaSchedule) << ", prediction " << predictionTypeName(sched.predictionType) << " ("
       << m.predictionSource << "), spacing " << timestepSpacingName(sched.timestepSpacing) << ", steps_offset "
       << sched.stepsOffset;
    r.schedulerSummary = ss.str();
    return r;
}

// ---- convert

namespace {

std::string weightsName(const std::string& component) {
    return component == "text_encoder" ? "model.safetensors" : "diffusion_pytorch_model.safetensors";
}

at::Tensor stored(const at::Tensor& t, bool half) {
    return half && t.is_floating_point() && t.scalar_type() != at::kHalf ? t.to(at::kHalf) : t;
}

// The component's tensors under diffusers names (views of f; q/k/v thirds of in_proj, 1x1 convs as linear).
std::map<std::string, at::Tensor> diffusersTensors(const SingleFileModel& m, const SafeTensorsFile& f,
                                                   const std::string& component, bool half) {
    const OriginalLayout layout(m.layout);
    std::map<std::string, at::Tensor> out;
    for (const auto& key : m.componentKeys.at(component)) {
        const auto match = layout.fromOriginal(key);
        if (!match) throw Error(m.path + ": no diffusers name for '" + key + "'");
        auto t = f.view(key);
        const size_t parts = match->diffusers.size();
        const auto chunks = parts > 1 ? t.chunk(static_cast<int64_t>(parts), 0) : std::vector<at::Tensor>{t};
        for (size_t p = 0; p < parts; ++p) {
            auto part = chunks[p];
            if (match->convWeight) part = part.reshape(asLinear(part.sizes().vec()));
            out[match->diffusers[p]] = stored(part, half);
        }
    }
    return out;
}

// True when `file` holds exactly `tensors` (names, shapes, dtypes, values): a component kept by a resumed convert.
bool holdsTensors(const std::string& file, const std::map<std::string, at::Tensor>& tensors) {
    try {
        if (!fs::exists(file)) return false;
        SafeTensorsFile f(file);
        const auto keys = f.keys();
        if (keys.size() != tensors.size()) return false;
        for (const auto& [name, t] : tensors) {
            if (!f.contains(name)) return false;
            const auto& info = f.info(name);
            if (info.shape != t.sizes().vec()) return false;
            const auto have = f.view(name);
            if (have.scalar_type() != t.scalar_type() || !torch::equal(have, t.reshape(have.sizes()))) return false;
        }
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

void writeJson(const fs::path& path, const nlohmann::json& j) {
    createFolders(path.parent_path());
    writeFileAtomic(path.string(), j.dump(2) + "\n");
}

}  // namespace

ConvertReport convertSingleFileToFolder(const std::string& file, const SingleFileOptions& options,
                                        const std::string& outDir, bool half) {
    if (fs::exists(outDir)) throw Error(outDir + ": already exists (convert writes a new folder)");
    const auto m = openSingleFile(file, options);
    // Strict: every name and shape against the modules before anything is written.
    for (const char* name : kComponents)
        withComponentModule(m, name,
                            [&](torch::nn::Module& module) { loadSingleFileComponent(m, name, module, false); });

    ConvertReport report;
    report.out = outDir;
    const fs::path tmp = fs::path(outDir).string() + ".partial";
    createFolders(tmp);

    SafeTensorsFile f(file);
    const std::pair<const char*, const nlohmann::json*> configs[] = {
        {"text_encoder", &m.textEncoder}, {"unet", &m.unet}, {"vae", &m.vae}};
    for (const auto& [name, config] : configs) {
        const auto tensors = diffusersTensors(m, f, name, half);
        const auto weights = tmp / name / weightsName(name);
        if (holdsTensors(weights.string(), tensors)) {
            report.lines.push_back(std::string(name) + ": kept from an interrupted run (" +
                                   std::to_string(tensors.size()) + " tensors verified)");
        } else {
            createFolders(weights.parent_path());
            saveSafetensors(weights.string(), tensors, {{"format", "pt"}});
            report.lines.push_back(std::string(name) + ": written (" + std::to_string(tensors.size()) + " tensors)");
        }
        writeJson(tmp / name / "config.json", *config);
    }
    const bool openClip = m.layout.textLayout == TextEncoderLayout::OpenClip;
    if (m.tokenizerDir.empty()) {
        writeBuiltinTokenizerFolder((tmp / "tokenizer").string(), openClip);
    } else {
        createFolders(tmp / "tokenizer");
        for (const auto& e : fs::directory_iterator(m.tokenizerDir))
            if (e.is_regular_file())
                fs::copy_file(e.path(), tmp / "tokenizer" / e.path().filename(), fs::copy_options::overwrite_existing);
    }
    report.lines.push_back(std::string("tokenizer: ") +
                           (m.tokenizerDir.empty() ? "built-in CLIP vocabulary" : m.tokenizerDir));
    writeJson(tmp / "scheduler" / "scheduler_config.json", m.scheduler);
    report.lines.push_back("scheduler: prediction " + m.scheduler.value("prediction_type", std::string("epsilon")));
    writeJson(tmp / "model_index.json",
              {{"_class_name", "StableDiffusionPipeline"},
               {"feature_extractor", {nullptr, nullptr}},
               {"requires_safety_checker", false},
               {"safety_checker", {nullptr, nullptr}},
               {"scheduler", {"diffusers", m.scheduler.value("_class_name", std::string("PNDMScheduler"))}},
               {"text_encoder", {"transformers", "CLIPTextModel"}},
               {"tokenizer", {"transformers", "CLIPTokenizer"}},
               {"unet", {"diffusers", "UNet2DConditionModel"}},
               {"vae", {"diffusers", "AutoencoderKL"}}});
    (void)inspectModelFolder(tmp.string(), false);  // the folder reads back (configs, headers, tokenizer)
    fs::rename(tmp, outDir);
    return report;
}

ConvertReport convertFolderToSingleFile(const std::string& modelDir, const std::string& outFile, bool half) {
    if (fs::exists(outFile)) throw Error(outFile + ": already exists");
    const auto folder = inspectModelFolder(modelDir, true);  // strict: every name and shape against the configs
    const auto unetFiles = locateComponent(modelDir, "unet");
    const auto vaeFiles = locateComponent(modelDir, "vae");
    const auto textFiles = locateComponent(modelDir, "text_encoder");
    const auto text = ClipTextConfig::fromFile(textFiles.configPath);
    auto shape = layoutOf(UNet2DConditionConfig::fromFile(unetFiles.configPath),
                          AutoencoderKLConfig::fromFile(vaeFiles.configPath), text,
                          text.hiddenAct == "gelu" ? TextEncoderLayout::OpenClip : TextEncoderLayout::Clip);
    // As diffusers' convert script numbers the decoder blocks (up.<3 - i>; ldm's own numbering for 4 blocks).
    shape.vaeUpTop = std::max<int64_t>(3, shape.vaeBlocks - 1);
    const OriginalLayout layout(shape);
    std::vector<std::unique_ptr<SafeTensorsFile>> open;
    std::map<std::string, at::Tensor> out;
    std::map<std::string, std::vector<at::Tensor>> stacked;
    ConvertReport report;
    report.out = outFile;
    for (const auto* files : {&textFiles, &unetFiles, &vaeFiles}) {
        const auto options = loadOptionsFor(files->name);
        size_t count = 0;
        for (const auto& w : files->weightFiles) {
            open.push_back(std::make_unique<SafeTensorsFile>(w));
            const auto& f = *open.back();
            for (const auto& key : f.keys()) {
                if (options.ignore && options.ignore(key)) continue;
                const std::string name = options.rename ? options.rename(key) : key;
                size_t part = 0;
                const auto match = layout.fromDiffusers(files->name, name, &part);
                if (!match) throw Error(w + ": '" + key + "' has no name in the original layout");
                auto t = f.view(key);
                if (match->convWeight && t.dim() <= 2) {  // as diffusers' convert script: (C, C, 1, 1), (C, 1, 1)
                    auto sizes = t.sizes().vec();
                    sizes.insert(sizes.end(), {1, 1});
                    t = t.reshape(sizes);
                }
                if (match->diffusers.size() > 1) {
                    auto& slot = stacked[match->original];
                    slot.resize(match->diffusers.size());
                    slot[part] = t;
                } else {
                    out[match->original] = stored(t, half);
                }
                ++count;
            }
        }
        report.lines.push_back(files->name + ": " + std::to_string(count) + " tensors");
    }
    for (auto& [name, parts] : stacked) {
        for (const auto& p : parts)
            if (!p.defined()) throw Error(modelDir + ": q, k or v of '" + name + "' is missing");
        out[name] = stored(torch::cat(parts, 0), half);
    }
    (void)folder;
    createFolders(fs::absolute(outFile).parent_path());
    saveSafetensors(outFile, out, {{"format", "pt"}});
    return report;
}

}  // namespace diffii
