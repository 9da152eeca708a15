// The original (CompVis / A1111 "single file") layout of Stable Diffusion 1.x / 2.x checkpoints and its one table of
// names against the diffusers layout our modules use. Both directions read the same rules: loading and
// `diffii convert FILE` map original -> diffusers, `diffii convert DIR --to-single-file` maps diffusers -> original.
// Learnt from diffusers 0.25.1's scripts/convert_diffusers_to_original_stable_diffusion.py, generalised to any block
// count read from the configs. No LibTorch here: names and shapes only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace diffii {

// The top-level prefixes of the three components in a single file.
inline constexpr const char* kOriginalUnetPrefix = "model.diffusion_model.";
inline constexpr const char* kOriginalVaePrefix = "first_stage_model.";
inline constexpr const char* kOriginalClipPrefix = "cond_stage_model.transformer.";  // SD 1.x: transformers names
inline constexpr const char* kOriginalOpenClipPrefix = "cond_stage_model.model.";    // SD 2.x: OpenCLIP names

enum class TextEncoderLayout {
    Clip,      // SD 1.x: cond_stage_model.transformer.text_model.* (transformers' names)
    OpenClip,  // SD 2.x: cond_stage_model.model.* (resblocks, q/k/v stacked in in_proj, one extra final resblock)
};

// What the name table needs of the architecture (from the diffusers configs).
struct OriginalLayoutShape {
    std::vector<bool> unetDownHasAttention;   // per down block
    std::vector<bool> unetUpHasAttention;     // per up block
    std::vector<int64_t> unetLayersPerBlock;  // per down block; up block i has reversed[i] + 1
    int64_t vaeBlocks = 0;
    int64_t vaeLayersPerBlock = 0;  // encoder blocks; decoder blocks have one more
    // The original index of the decoder's up_blocks.0 (up_blocks.i is up.<top - i>); -1: vaeBlocks - 1 (ldm's).
    // diffusers' convert script writes up.<3 - i> whatever the block count; a file it wrote has top 3.
    int64_t vaeUpTop = -1;
    int64_t textLayers = 0;  // num_hidden_layers of the diffusers text encoder
    TextEncoderLayout textLayout = TextEncoderLayout::Clip;
};

// One original tensor and the diffusers tensor(s) it holds.
struct LayoutMatch {
    std::string component;  // "unet", "vae", "text_encoder"
    std::string original;   // full single-file key
    // Diffusers keys of the component: one, or q, k, v stacked along dim 0 (OpenCLIP in_proj).
    std::vector<std::string> diffusers;
    // The original is a 1x1 convolution (weight (C, C, 1, 1), bias (C, 1, 1) as diffusers' convert script writes
    // it; ldm's own files have bias (C)) where diffusers has a linear layer (C, C), (C).
    bool convWeight = false;
};

class OriginalLayout {
public:
    explicit OriginalLayout(const OriginalLayoutShape& shape);

    // The rule for a single-file key; nullopt when no rule names it (an unexpected key).
    std::optional<LayoutMatch> fromOriginal(const std::string& originalKey) const;
    // The rule for a diffusers key of a component; `part` receives its index in LayoutMatch::diffusers.
    std::optional<LayoutMatch> fromDiffusers(const std::string& component, const std::string& diffusersKey,
                                             size_t* part = nullptr) const;
    // The component a single-file key belongs to by its prefix ("" for none).
    std::string componentOf(const std::string& originalKey) const;
    const OriginalLayoutShape& shape() const { return m_shape; }

private:
    struct Rule {
        std::string component;
        std::string original;                // prefix (ends in '.') or a whole key
        std::vector<std::string> diffusers;  // prefixes or whole keys, as `original`
        bool convWeight = false;             // applies to a "weight" or "bias" remainder
    };
    void add(const std::string& component, const std::string& original, std::vector<std::string> diffusers,
             bool convWeight = false);
    // The rules of each component, from the shape.
    void addUnetRules();
    void addVaeRules();
    void addTextEncoderRules();
    std::optional<LayoutMatch> apply(const Rule& rule, const std::string& rest) const;

    OriginalLayoutShape m_shape;
    std::vector<Rule> m_rules;
    std::unordered_map<std::string, size_t> m_byOriginal;                      // original prefix -> rule
    std::unordered_map<std::string, std::pair<size_t, size_t>> m_byDiffusers;  // component|prefix -> rule, part
};

// Why a single-file key is skipped ("" when it is not): model_ema.*, the scheduler buffers (betas, alphas_cumprod,
// ...), position_ids, OpenCLIP's text_projection / logit_scale, and resblocks past the text encoder's layers.
std::string ignoredOriginalKey(const std::string& key, const OriginalLayoutShape& shape);

}  // namespace diffii
