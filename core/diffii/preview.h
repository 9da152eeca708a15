// One Diff-II image for interactive use: pool pair -> circle interpolation (α) -> two-stage denoising (s, suffix,
// CFG) -> decode, with the work a slider move does not change kept between calls. For a real model one UNet call
// costs seconds, so the renderer caches per session what depends only on the project (the pool's latents, the
// prompt embeddings) and the last trajectory: changing only s or the suffix re-runs the steps from the first one
// whose prompt changes, bit-identical to a full run (denoiseTwoStageFrom). ProjectSession owns one and clears it
// when the pool, the concepts or the settings change.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/diffii/inversion_pool.h"
#include "core/engine/types.h"
#include "core/pipelines/sd_pipeline.h"

namespace diffii {

// The renderer's result: the image as a tensor (the session hands the fronts a PreviewImage of core/engine/types.h).
struct RenderedPreview : PreviewInfo {
    torch::Tensor image;  // (3, H, W) in [0, 1]
};

// Called after every denoising step; image is defined only at the intermediate steps (decoded there). A front may
// throw Cancelled from it (a newer slider position superseded this preview); nothing is cached then.
using PreviewStepCallback = std::function<void(int step, int total, const torch::Tensor& image)>;

// A step callback that frees sd's UNet after the last denoising step, before the decode, so that the decode's
// activations do not come on top of its weights (`diffii pair`; generation's releaseUNetForDecode).
PreviewStepCallback releaseUNetAfterLastStep(StableDiffusion& sd);

// The draft previews of a large model (PreviewParams::fullRender unset): the pair's latents subsampled (a stride
// keeps their Gaussian statistics) to the largest side from maxLatentSide down to minLatentSide (SD 1.5: 32 or 16,
// a 256- or 128-pixel image) where minSteps steps and the decode fit budgetSeconds, and as many steps as fit there
// (at most maxSteps), by the costs the last previews took (per step and latent pixel, measured as they run; a guess
// for the first). Side and steps are chosen once (and again once measured), so that the s/suffix reuse applies to
// drafts as to full renders; clear() chooses again.
struct DraftPolicy {
    int64_t minParameters = 100000000;  // UNets from this size on preview as drafts (SD 1.5: 860 M; the demo: 5 M)
    double budgetSeconds = 8.0;         // denoising + decode of one draft
    int64_t maxLatentSide = 32;         // the draft's latent side: the largest from this, halving, where minSteps fit
    int64_t minLatentSide = 16;
    int minSteps = 2;
    int maxSteps = 10;
};

class PreviewRenderer {
public:
    explicit PreviewRenderer(StableDiffusion& sd);

    // What the session knows and the renderer does not: the class's pool entries (current ones only) and its prompt.
    struct ClassInput {
        std::vector<PoolEntry> entries;
        std::string prompt;
        std::string negativePrompt;
    };

    RenderedPreview render(const ClassInput& input, const PreviewParams& params, const JobContext* job = nullptr,
                           const PreviewStepCallback& onStep = {});
    // The one render path of Diff-II: the circle through z1 and z2 at params.alpha (z2 undefined: a one-image
    // class, seeded Gaussian noise of z1's shape instead) → two-stage denoising from the last trajectory's shared
    // prefix → decode. render() feeds it pool entries; `diffii pair` feeds it two fresh inversions.
    RenderedPreview renderPair(const torch::Tensor& z1, const torch::Tensor& z2, const std::string& prompt,
                               const std::string& negativePrompt, const PreviewParams& params,
                               const JobContext* job = nullptr, const PreviewStepCallback& onStep = {});

    // reuse = false: every call computes from scratch (the uncached path, for tests and benchmarks).
    void setReuse(bool reuse) { m_reuse = reuse; }
    bool reuse() const { return m_reuse; }
    // How many recent trajectories are kept for reuse (default 1, the last one). A split-ratio sweep renders its
    // samples s by s, α by α, so it keeps one per sample: each render finds its α's previous s.
    void setKeptTrajectories(int count) { m_keep = std::max(1, count); }
    int keptTrajectories() const { return m_keep; }
    void setDraftPolicy(const DraftPolicy& policy) { m_draft = policy; }
    const DraftPolicy& draftPolicy() const { return m_draft; }
    // Whether render() would answer params with a draft, and with how many steps (0: a full render).
    int draftSteps(const PreviewParams& params);
    // The pool, the concepts or the model changed: forget everything derived from them.
    void clear();
    int64_t promptEncodings() const { return m_promptEncodings; }  // text-encoder runs so far (for tests)

    const PromptEmbeddings& prompts(const std::string& prompt, const std::string& suffix, const std::string& negative);
    // The pair a request names among n entries: indices clamped into range and made distinct, so that preview,
    // strip and sweep always agree on which two images are on screen.
    static std::pair<int, int> choosePair(int n, int first, int second);
    // θ between the pair's two inversions (0 for a one-image class).
    double pairTheta(const ClassInput& input, const PreviewParams& params);
    const torch::Tensor& inversion(const std::string& file);

private:
    struct Trajectory {
        std::string key;                     // start latents' identity: prompt, negative, steps, guidance
        torch::Tensor start;                 // latents before step 0 (compared exactly)
        std::vector<std::string> prompts;    // per step: "" for the plain prompt, else the suffix used
        std::vector<torch::Tensor> latents;  // latents[i]: before step i; latents[steps]: the result
    };

    StableDiffusion* m_sd;
    bool m_reuse = true;
    int64_t m_promptEncodings = 0;
    std::map<std::string, PromptEmbeddings> m_prompts;
    std::map<std::string, torch::Tensor> m_inversions;
    std::vector<Trajectory> m_recent;  // newest last, at most m_keep
    int m_keep = 1;
    DraftPolicy m_draft;
    int64_t m_unetParameters = 0;
    double m_stepSecondsPerCell = 0.0;    // measured: seconds of one denoising step per latent pixel (0: none yet)
    double m_decodeSecondsPerCell = 0.0;  // measured: seconds of one decode per latent pixel
    int m_draftSteps = 0;                 // chosen for this model (0: not yet)
    int64_t m_draftSide = 0;              // the draft's latent side, chosen with m_draftSteps
    bool m_draftStepsMeasured = false;    // chosen from measured costs (else from the first guess)
};

}  // namespace diffii
