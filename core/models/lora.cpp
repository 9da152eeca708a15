#include "core/models/lora.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <regex>

#include "core/io/error.h"
#include "core/io/finite.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/models/attention.h"

namespace diffii {
namespace {

const char* const kProjNames[] = {"to_q", "to_k", "to_v", "to_out.0"};

struct AttnRef {
    std::string path;  // module path of the Attention
    AttentionImpl* attn;
};

std::vector<AttnRef> attentionModules(UNet2DConditionModelImpl& unet) {
    std::vector<AttnRef> out;
    for (const auto& item : unet.named_modules("", false)) {
        if (auto* a = item.value()->as<AttentionImpl>()) {
            // The VAE-style attention (group_norm) does not occur in the UNet; transformer attentions only.
            out.push_back({item.key(), a});
        }
    }
    return out;
}

std::string underscored(std::string s) {
    for (auto& c : s)
        if (c == '.') c = '_';
    return s;
}

struct Entry {
    torch::Tensor down, up;
    double alpha = 0.0;  // 0: none given
    std::string downKey, upKey;
};

// One key of a LoRA file: its convention (diffusers, attn_procs, peft, kohya), the UNet module it adapts and its
// part ("down", "up" or "alpha"). byUnderscore maps kohya's module names (dots as underscores) to the UNet's.
struct LoraKey {
    const char* convention;
    std::string module;
    std::string part;
};

LoraKey parseLoraKey(const std::string& key, const std::map<std::string, std::string>& byUnderscore,
                     const std::string& path) {
    static const std::regex diffusersRe(R"(^unet\.(.+)\.lora\.(down|up)\.weight$)");
    static const std::regex attnProcsRe(R"(^(.+)\.processor\.(to_q|to_k|to_v|to_out)_lora\.(down|up)\.weight$)");
    static const std::regex peftRe(R"(^unet\.(.+)\.lora_(A|B)\.weight$)");
    static const std::regex kohyaRe(R"(^lora_unet_(.+)\.(lora_down\.weight|lora_up\.weight|alpha)$)");
    std::smatch m;
    if (std::regex_match(key, m, diffusersRe)) return {"diffusers", m[1], m[2]};
    if (std::regex_match(key, m, attnProcsRe))
        return {"attn_procs", std::string(m[1]) + "." + (m[2] == "to_out" ? "to_out.0" : std::string(m[2])), m[3]};
    if (std::regex_match(key, m, peftRe)) return {"peft", m[1], m[2] == "A" ? "down" : "up"};
    if (std::regex_match(key, m, kohyaRe)) {
        const auto it = byUnderscore.find(m[1]);
        if (it == byUnderscore.end())
            throw Error(path + ": key '" + key + "' names no attention projection of this UNet");
        return {"kohya", it->second, m[2] == "lora_down.weight" ? "down" : m[2] == "lora_up.weight" ? "up" : "alpha"};
    }
    throw Error(path + ": key '" + key +
                "' is not a UNet attention LoRA key in any supported convention (diffusers, attn_procs, "
                "peft, kohya); text-encoder LoRAs are not supported");
}

// LoRA layers are made (and seeded) on the CPU, then live where the UNet does.
void moveToUNetDevice(UNetLoraImpl& lora, UNet2DConditionModelImpl& unet) {
    const auto params = unet.parameters();
    if (!params.empty() && params.front().device() != torch::kCPU) lora.to(params.front().device());
}

// PEFT's scale settings in adapter_config.json: lora_alpha, per-module alpha_pattern, rsLoRA's alpha / sqrt(r).
// DoRA (use_dora) changes the layer itself and is refused; rank_pattern needs nothing (the rank is the weights').
struct PeftScaling {
    double alpha = 0.0;
    std::map<std::string, double> alphaPattern;  // module name suffix -> alpha
    bool rslora = false;

    // The alpha to build the layer with (its multiplier is alpha / rank).
    double alphaOf(const std::string& module, int64_t rank) const {
        double a = alpha;
        size_t best = 0;
        // PEFT matches a pattern key against the module's name or its end after a dot; the longest match wins.
        for (const auto& [key, value] : alphaPattern)
            if ((module == key ||
                 (module.size() > key.size() && module.compare(module.size() - key.size(), key.size(), key) == 0 &&
                  module[module.size() - key.size() - 1] == '.')) &&
                key.size() > best) {
                best = key.size();
                a = value;
            }
        return rslora ? a * std::sqrt(static_cast<double>(rank)) : a;
    }
};

PeftScaling readPeftScaling(const std::string& file) {
    const auto cfg = readJsonFile(file);
    PeftScaling p;
    p.alpha = jsonValue<double>(cfg, "lora_alpha", 0.0, file);
    if (cfg.contains("use_dora") && cfg["use_dora"] == true)
        throw Error(file + ": key 'use_dora' is true: DoRA adapters are not supported (only LoRA)");
    p.rslora = cfg.contains("use_rslora") && cfg["use_rslora"] == true;
    if (cfg.contains("alpha_pattern") && !cfg["alpha_pattern"].is_null()) {
        const auto& pattern = cfg["alpha_pattern"];
        if (!pattern.is_object()) throw Error(file + ": key 'alpha_pattern' must be an object of module -> alpha");
        for (const auto& [key, value] : pattern.items()) {
            if (!value.is_number())
                throw Error(file + ": key 'alpha_pattern'.'" + key + "' must be a number, got " + value.dump());
            p.alphaPattern[key] = value.get<double>();
        }
    }
    return p;
}

}  // namespace

LoraLayerImpl::LoraLayerImpl(int64_t in, int64_t out, int64_t rank, double networkAlpha) {
    down = register_module("down", torch::nn::Linear(torch::nn::LinearOptions(in, rank).bias(false)));
    up = register_module("up", torch::nn::Linear(torch::nn::LinearOptions(rank, out).bias(false)));
    setNetworkAlpha(networkAlpha);
}

void LoraLayerImpl::setNetworkAlpha(double alpha) {
    m_multiplier = alpha > 0 ? alpha / static_cast<double>(rank()) : 1.0;
}

torch::Tensor LoraLayerImpl::forward(const torch::Tensor& x) {
    const auto dtype = down->weight.scalar_type();
    auto y = up->forward(down->forward(x.to(dtype)));
    if (m_multiplier != 1.0) y = y * m_multiplier;
    return y.to(x.scalar_type());
}

std::vector<std::string> unetAttentionProjectionPaths(UNet2DConditionModelImpl& unet) {
    std::vector<std::string> out;
    for (const auto& a : attentionModules(unet))
        for (const char* p : kProjNames) out.push_back(a.path + "." + p);
    return out;
}

LoraLayer UNetLoraImpl::add(const std::string& modulePath, int64_t in, int64_t out, int64_t rank, double alpha) {
    auto layer = LoraLayer(in, out, rank, alpha);
    register_module(underscored(modulePath), layer);
    m_layers.insert_or_assign(modulePath, layer);
    return layer;
}

std::shared_ptr<UNetLoraImpl> UNetLoraImpl::create(UNet2DConditionModelImpl& unet, int64_t rank, uint64_t seed) {
    if (rank < 1) throw Error("LoRA rank must be >= 1, got " + std::to_string(rank));
    auto lora = std::make_shared<UNetLoraImpl>();
    lora->format = "new";
    auto gen = at::detail::createCPUGenerator(seed);
    torch::NoGradGuard g;
    for (const auto& a : attentionModules(unet)) {
        for (int i = 0; i < 4; ++i) {
            auto& lin = a.attn->projection(static_cast<AttentionImpl::Projection>(i));
            auto layer = lora->add(a.path + "." + kProjNames[i], lin->weight.size(1), lin->weight.size(0), rank);
            layer->down->weight.normal_(0.0, 1.0 / static_cast<double>(rank), gen);
            layer->up->weight.zero_();
        }
    }
    moveToUNetDevice(*lora, unet);
    return lora;
}

std::shared_ptr<UNetLoraImpl> UNetLoraImpl::load(const std::string& path, UNet2DConditionModelImpl& unet) {
    SafeTensorsFile file(path);
    std::map<std::string, std::pair<int64_t, int64_t>> targets;  // module path -> (in, out)
    std::map<std::string, std::string> byUnderscore;
    for (const auto& a : attentionModules(unet)) {
        for (int i = 0; i < 4; ++i) {
            auto& lin = a.attn->projection(static_cast<AttentionImpl::Projection>(i));
            const std::string p = a.path + "." + kProjNames[i];
            targets[p] = {lin->weight.size(1), lin->weight.size(0)};
            byUnderscore[underscored(p)] = p;
        }
    }
    std::map<std::string, Entry> entries;
    std::string format;
    for (const auto& key : file.keys()) {
        const auto [convention, module, part] = parseLoraKey(key, byUnderscore, path);
        if (format.empty())
            format = convention;
        else if (format != convention)
            throw Error(path + ": key '" + key + "' is in the " + convention + " convention but earlier keys were " +
                        format);
        if (!targets.count(module))
            throw Error(path + ": key '" + key + "' names module '" + module + "', which this UNet does not have");
        auto& e = entries[module];
        if (part == "alpha") {
            e.alpha = file.tensor(key).to(torch::kFloat64).item<double>();
        } else if (part == "down") {
            e.down = file.tensor(key).to(torch::kFloat32);
            e.downKey = key;
        } else {
            e.up = file.tensor(key).to(torch::kFloat32);
            e.upKey = key;
        }
    }
    if (entries.empty()) throw Error(path + ": no LoRA weights in the file");
    // PEFT files carry their alpha in adapter_config.json beside the weights.
    PeftScaling peft;
    const auto adapterConfig = std::filesystem::path(path).parent_path() / "adapter_config.json";
    if (format == "peft" && std::filesystem::exists(adapterConfig)) peft = readPeftScaling(adapterConfig.string());
    auto lora = std::make_shared<UNetLoraImpl>();
    lora->format = format;
    torch::NoGradGuard g;
    for (auto& [module, e] : entries) {
        if (!e.down.defined() || !e.up.defined())
            throw Error(path + ": module '" + module + "' has only one of the down/up weights");
        const auto [in, out] = targets[module];
        const int64_t rank = e.down.size(0);
        if (e.down.dim() != 2 || e.down.size(1) != in || e.up.dim() != 2 || e.up.size(0) != out || e.up.size(1) != rank)
            throw Error(path + ": key '" + e.downKey + "'/'" + e.upKey + "' shapes [" + std::to_string(e.down.size(0)) +
                        ", " + std::to_string(e.down.dim() > 1 ? e.down.size(1) : -1) + "] / [" +
                        std::to_string(e.up.size(0)) + ", " + std::to_string(e.up.dim() > 1 ? e.up.size(1) : -1) +
                        "] do not fit " + module + " (in " + std::to_string(in) + ", out " + std::to_string(out) + ")");
        // A NaN in a LoRA weight ended a job at its first step, naming the step and not the file.
        for (const auto& [t, key] : {std::pair{&e.down, &e.downKey}, std::pair{&e.up, &e.upKey}})
            if (const auto bad = nonFiniteSummary(*t); !bad.empty())
                throw Error(path + ": key '" + *key + "' holds non-finite values (" + bad + ")");
        const double alpha = format == "peft" ? peft.alphaOf(module, rank) : e.alpha;
        auto layer = lora->add(module, in, out, rank, alpha);
        layer->down->weight.copy_(e.down);
        layer->up->weight.copy_(e.up);
    }
    moveToUNetDevice(*lora, unet);
    return lora;
}

void UNetLoraImpl::save(const std::string& path, const std::map<std::string, std::string>& metadata) const {
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& [module, layer] : m_layers) {
        // The diffusers convention has no alpha: fold alpha/rank into up.
        tensors["unet." + module + ".lora.down.weight"] = layer->down->weight.detach().to(torch::kFloat32);
        tensors["unet." + module + ".lora.up.weight"] =
            (layer->up->weight.detach() * layer->multiplier()).to(torch::kFloat32);
    }
    saveSafetensors(path, tensors, metadata);
}

void UNetLoraImpl::attach(UNet2DConditionModelImpl& unet, double scale) {
    detach(unet);
    unfuse(unet);
    if (scale == 0.0) return;
    for (const auto& a : attentionModules(unet)) {
        for (int i = 0; i < 4; ++i) {
            const auto it = m_layers.find(a.path + "." + kProjNames[i]);
            if (it == m_layers.end()) continue;
            LoraLayer layer = it->second;
            a.attn->setProjectionHook(static_cast<AttentionImpl::Projection>(i),
                                      [layer, scale](const torch::Tensor& x) mutable {
                                          auto y = layer->forward(x);
                                          return scale == 1.0 ? y : y * scale;
                                      });
        }
    }
}

void UNetLoraImpl::fuse(UNet2DConditionModelImpl& unet, double scale) {
    detach(unet);
    unfuse(unet);
    if (scale == 0.0) return;
    torch::NoGradGuard noGrad;
    for (const auto& a : attentionModules(unet)) {
        for (int i = 0; i < 4; ++i) {
            const std::string path = a.path + "." + kProjNames[i];
            const auto it = m_layers.find(path);
            if (it == m_layers.end()) continue;
            const LoraLayer& layer = it->second;
            auto& weight = a.attn->projection(static_cast<AttentionImpl::Projection>(i))->weight;
            const auto delta =
                torch::mm(layer->up->weight.to(torch::kFloat32), layer->down->weight.to(torch::kFloat32)) *
                (layer->multiplier() * scale);
            m_unfusedWeights.emplace(path, weight.detach().clone());
            weight.copy_((weight.to(torch::kFloat32) + delta).to(weight.scalar_type()));
        }
    }
}

void UNetLoraImpl::unfuse(UNet2DConditionModelImpl& unet) {
    if (m_unfusedWeights.empty()) return;
    torch::NoGradGuard noGrad;
    for (const auto& a : attentionModules(unet)) {
        for (int i = 0; i < 4; ++i) {
            const auto it = m_unfusedWeights.find(a.path + "." + kProjNames[i]);
            if (it != m_unfusedWeights.end())
                a.attn->projection(static_cast<AttentionImpl::Projection>(i))->weight.copy_(it->second);
        }
    }
    m_unfusedWeights.clear();
}

void UNetLoraImpl::detach(UNet2DConditionModelImpl& unet) {
    for (const auto& a : attentionModules(unet))
        for (int i = 0; i < 4; ++i) a.attn->setProjectionHook(static_cast<AttentionImpl::Projection>(i), nullptr);
}

}  // namespace diffii
