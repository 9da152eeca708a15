#include "core/models/original_layout.h"

#include <algorithm>

namespace diffii {

namespace {

std::string n(int64_t i) { return std::to_string(i); }

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// Every candidate rule key of a name: the whole name, then each prefix ending in '.', longest first.
template <typename F>
auto longestPrefix(const std::string& name, F&& find) -> decltype(find(name)) {
    if (auto r = find(name)) return r;
    for (size_t pos = name.size(); pos > 0; --pos)
        if (name[pos - 1] == '.' && pos < name.size())
            if (auto r = find(name.substr(0, pos))) return r;
    return {};
}

}  // namespace

void OriginalLayout::add(const std::string& component, const std::string& original, std::vector<std::string> diffusers,
                         bool convWeight) {
    const size_t index = m_rules.size();
    m_rules.push_back({component, original, std::move(diffusers), convWeight});
    m_byOriginal[original] = index;
    for (size_t p = 0; p < m_rules.back().diffusers.size(); ++p)
        m_byDiffusers[component + "|" + m_rules.back().diffusers[p]] = {index, p};
}

OriginalLayout::OriginalLayout(const OriginalLayoutShape& s) : m_shape(s) {
    addUnetRules();
    addVaeRules();
    addTextEncoderRules();
}

// UNet (ldm openaimodel.UNetModel <-> diffusers UNet2DConditionModel).
void OriginalLayout::addUnetRules() {
    const auto& s = m_shape;
    const std::string u = kOriginalUnetPrefix;
    const auto resnet = [&](const std::string& o, const std::string& d) {
        add("unet", u + o, {d});
        const std::pair<const char*, const char*> inner[] = {
            {"in_layers.0.", "norm1."},  {"in_layers.2.", "conv1."},          {"out_layers.0.", "norm2."},
            {"out_layers.3.", "conv2."}, {"emb_layers.1.", "time_emb_proj."}, {"skip_connection.", "conv_shortcut."}};
        for (const auto& [a, b] : inner) add("unet", u + o + a, {d + b});
    };
    add("unet", u + "time_embed.0.", {"time_embedding.linear_1."});
    add("unet", u + "time_embed.2.", {"time_embedding.linear_2."});
    add("unet", u + "input_blocks.0.0.", {"conv_in."});
    add("unet", u + "out.0.", {"conv_norm_out."});
    add("unet", u + "out.2.", {"conv_out."});
    const int64_t downs = static_cast<int64_t>(s.unetLayersPerBlock.size());
    int64_t block = 1;
    for (int64_t i = 0; i < downs; ++i) {
        for (int64_t j = 0; j < s.unetLayersPerBlock[i]; ++j, ++block) {
            const std::string o = "input_blocks." + n(block) + ".";
            const std::string d = "down_blocks." + n(i) + ".";
            resnet(o + "0.", d + "resnets." + n(j) + ".");
            if (s.unetDownHasAttention[i]) add("unet", u + o + "1.", {d + "attentions." + n(j) + "."});
        }
        if (i + 1 < downs) {
            add("unet", u + "input_blocks." + n(block) + ".0.op.", {"down_blocks." + n(i) + ".downsamplers.0.conv."});
            ++block;
        }
    }
    resnet("middle_block.0.", "mid_block.resnets.0.");
    add("unet", u + "middle_block.1.", {"mid_block.attentions.0."});
    resnet("middle_block.2.", "mid_block.resnets.1.");
    block = 0;
    const int64_t ups = static_cast<int64_t>(s.unetUpHasAttention.size());
    for (int64_t i = 0; i < ups; ++i) {
        const int64_t layers = s.unetLayersPerBlock[std::max<int64_t>(0, downs - 1 - i)] + 1;
        for (int64_t j = 0; j < layers; ++j, ++block) {
            const std::string o = "output_blocks." + n(block) + ".";
            const std::string d = "up_blocks." + n(i) + ".";
            resnet(o + "0.", d + "resnets." + n(j) + ".");
            if (s.unetUpHasAttention[i]) add("unet", u + o + "1.", {d + "attentions." + n(j) + "."});
            if (j + 1 == layers && i + 1 < ups)
                add("unet", u + o + (s.unetUpHasAttention[i] ? "2." : "1.") + "conv.", {d + "upsamplers.0.conv."});
        }
    }
}

// VAE (ldm autoencoder Encoder/Decoder <-> diffusers AutoencoderKL); attention as 1x1 convolutions.
void OriginalLayout::addVaeRules() {
    const auto& s = m_shape;
    const std::string v = kOriginalVaePrefix;
    const auto vaeResnet = [&](const std::string& o, const std::string& d) {
        add("vae", v + o, {d});
        add("vae", v + o + "nin_shortcut.", {d + "conv_shortcut."});
    };
    for (const std::string part : {"encoder.", "decoder."}) {
        add("vae", v + part + "conv_in.", {part + "conv_in."});
        add("vae", v + part + "conv_out.", {part + "conv_out."});
        add("vae", v + part + "norm_out.", {part + "conv_norm_out."});
        vaeResnet(part + "mid.block_1.", part + "mid_block.resnets.0.");
        vaeResnet(part + "mid.block_2.", part + "mid_block.resnets.1.");
        const std::string a = part + "mid.attn_1.", da = part + "mid_block.attentions.0.";
        add("vae", v + a + "norm.", {da + "group_norm."});
        add("vae", v + a + "q.", {da + "to_q."}, true);
        add("vae", v + a + "k.", {da + "to_k."}, true);
        add("vae", v + a + "v.", {da + "to_v."}, true);
        add("vae", v + a + "proj_out.", {da + "to_out.0."}, true);
    }
    const int64_t upTop = s.vaeUpTop >= 0 ? s.vaeUpTop : s.vaeBlocks - 1;
    for (int64_t i = 0; i < s.vaeBlocks; ++i) {
        for (int64_t j = 0; j < s.vaeLayersPerBlock; ++j)
            vaeResnet("encoder.down." + n(i) + ".block." + n(j) + ".",
                      "encoder.down_blocks." + n(i) + ".resnets." + n(j) + ".");
        if (i + 1 < s.vaeBlocks)
            add("vae", v + "encoder.down." + n(i) + ".downsample.",
                {"encoder.down_blocks." + n(i) + ".downsamplers.0."});
        const std::string up = "decoder.up." + n(upTop - i) + ".";
        for (int64_t j = 0; j <= s.vaeLayersPerBlock; ++j)
            vaeResnet(up + "block." + n(j) + ".", "decoder.up_blocks." + n(i) + ".resnets." + n(j) + ".");
        if (i + 1 < s.vaeBlocks) add("vae", v + up + "upsample.", {"decoder.up_blocks." + n(i) + ".upsamplers.0."});
    }
    add("vae", v + "quant_conv.", {"quant_conv."});
    add("vae", v + "post_quant_conv.", {"post_quant_conv."});
}

// Text encoder: OpenAI CLIP keys under the diffusers names, or OpenCLIP's (SD 2.x) with q/k/v in one projection.
void OriginalLayout::addTextEncoderRules() {
    const auto& s = m_shape;
    if (s.textLayout == TextEncoderLayout::Clip) {
        add("text_encoder", std::string(kOriginalClipPrefix) + "text_model.", {"text_model."});
    } else {
        const std::string t = kOriginalOpenClipPrefix;
        add("text_encoder", t + "token_embedding.", {"text_model.embeddings.token_embedding."});
        add("text_encoder", t + "positional_embedding", {"text_model.embeddings.position_embedding.weight"});
        add("text_encoder", t + "ln_final.", {"text_model.final_layer_norm."});
        for (int64_t i = 0; i < s.textLayers; ++i) {
            const std::string o = t + "transformer.resblocks." + n(i) + ".";
            const std::string d = "text_model.encoder.layers." + n(i) + ".";
            add("text_encoder", o + "ln_1.", {d + "layer_norm1."});
            add("text_encoder", o + "ln_2.", {d + "layer_norm2."});
            add("text_encoder", o + "mlp.c_fc.", {d + "mlp.fc1."});
            add("text_encoder", o + "mlp.c_proj.", {d + "mlp.fc2."});
            add("text_encoder", o + "attn.out_proj.", {d + "self_attn.out_proj."});
            for (const std::string leaf : {"weight", "bias"})
                add("text_encoder", o + "attn.in_proj_" + leaf,
                    {d + "self_attn.q_proj." + leaf, d + "self_attn.k_proj." + leaf, d + "self_attn.v_proj." + leaf});
        }
    }
}

std::optional<LayoutMatch> OriginalLayout::apply(const Rule& rule, const std::string& rest) const {
    LayoutMatch m;
    m.component = rule.component;
    m.original = rule.original + rest;
    for (const auto& d : rule.diffusers) m.diffusers.push_back(d + rest);
    m.convWeight = rule.convWeight && (rest == "weight" || rest == "bias");
    return m;
}

std::optional<LayoutMatch> OriginalLayout::fromOriginal(const std::string& key) const {
    return longestPrefix(key, [&](const std::string& prefix) -> std::optional<LayoutMatch> {
        const auto it = m_byOriginal.find(prefix);
        if (it == m_byOriginal.end()) return std::nullopt;
        return apply(m_rules[it->second], key.substr(prefix.size()));
    });
}

std::optional<LayoutMatch> OriginalLayout::fromDiffusers(const std::string& component, const std::string& key,
                                                         size_t* part) const {
    return longestPrefix(key, [&](const std::string& prefix) -> std::optional<LayoutMatch> {
        const auto it = m_byDiffusers.find(component + "|" + prefix);
        if (it == m_byDiffusers.end()) return std::nullopt;
        if (part) *part = it->second.second;
        return apply(m_rules[it->second.first], key.substr(prefix.size()));
    });
}

std::string OriginalLayout::componentOf(const std::string& key) const {
    if (startsWith(key, kOriginalUnetPrefix)) return "unet";
    if (startsWith(key, kOriginalVaePrefix)) return "vae";
    if (startsWith(key, kOriginalClipPrefix) || startsWith(key, kOriginalOpenClipPrefix)) return "text_encoder";
    return "";
}

std::string ignoredOriginalKey(const std::string& key, const OriginalLayoutShape& shape) {
    if (startsWith(key, "model_ema.")) return "EMA weights";
    static const char* schedule[] = {"betas",
                                     "alphas_cumprod",
                                     "alphas_cumprod_prev",
                                     "sqrt_alphas_cumprod",
                                     "sqrt_one_minus_alphas_cumprod",
                                     "log_one_minus_alphas_cumprod",
                                     "sqrt_recip_alphas_cumprod",
                                     "sqrt_recipm1_alphas_cumprod",
                                     "posterior_variance",
                                     "posterior_log_variance_clipped",
                                     "posterior_mean_coef1",
                                     "posterior_mean_coef2",
                                     "logvar",
                                     "lvlb_weights"};
    for (const char* s : schedule)
        if (key == s) return "training noise schedule";
    const std::string ids = "position_ids";
    if (key.size() >= ids.size() && key.compare(key.size() - ids.size(), ids.size(), ids) == 0) return "position ids";
    const std::string t = kOriginalOpenClipPrefix;
    if (key == t + "text_projection" || key == t + "logit_scale") return "CLIP projection, unused by Stable Diffusion";
    const std::string blocks = t + "transformer.resblocks.";
    if (startsWith(key, blocks)) {
        const auto dot = key.find('.', blocks.size());
        const std::string index = key.substr(blocks.size(), dot - blocks.size());
        if (!index.empty() && std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
            index.size() < 6 && std::stoll(index) >= shape.textLayers)
            return "text encoder layer past the one Stable Diffusion conditions on";
    }
    return "";
}

}  // namespace diffii
