#include "core/diffii/preview.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <tuple>

#include <ATen/CPUGeneratorImpl.h>

#include "core/diffii/circle_interpolation.h"
#include "core/io/error.h"
#include "core/models/state_dict.h"
#include "core/schedulers/ddim.h"

namespace diffii {

namespace {

// The prompt of each step: "" for the plain prompt, else the suffix (an empty suffix is the plain prompt too).
std::vector<std::string> stepPrompts(const DdimConfig& config, const DenoiseSettings& d, const std::string& suffix) {
    std::vector<std::string> out;
    for (const bool s : suffixedSteps(config, d)) out.push_back(s ? suffix : std::string());
    return out;
}

std::string trajectoryKey(const std::string& prompt, const std::string& negative, const DenoiseSettings& d) {
    return prompt + '\x1f' + negative + '\x1f' + std::to_string(d.steps) + '\x1f' + std::to_string(d.guidance);
}

// Every stride-th latent pixel in both directions, the stride making each side at most maxSide.
torch::Tensor subsampleLatent(const torch::Tensor& z, int64_t maxSide) {
    if (!z.defined()) return z;
    const int64_t side = std::max(z.size(-2), z.size(-1));
    const int64_t stride = (side + maxSide - 1) / std::max<int64_t>(1, maxSide);  // e.g. 64 -> 32: 2
    if (stride <= 1) return z;
    return z.slice(-2, 0, z.size(-2), stride).slice(-1, 0, z.size(-1), stride).contiguous();
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

PreviewStepCallback releaseUNetAfterLastStep(StableDiffusion& sd) {
    return [&sd](int step, int steps, const torch::Tensor&) {
        if (step + 1 == steps) sd.releaseUNet();
    };
}

PreviewRenderer::PreviewRenderer(StableDiffusion& sd) : m_sd(&sd), m_unetParameters(sd.unetConfig().parameterCount()) {}

void PreviewRenderer::clear() {
    m_prompts.clear();
    m_inversions.clear();
    m_recent.clear();
    m_draftSteps = 0;
    m_draftStepsMeasured = false;
}

int PreviewRenderer::draftSteps(const PreviewParams& params) {
    if (params.fullRender || m_unetParameters < m_draft.minParameters) return 0;
    const bool measured = m_stepSecondsPerCell > 0 && m_decodeSecondsPerCell > 0;
    if (m_draftSteps == 0 || (measured && !m_draftStepsMeasured)) {
        // First guess: ~1.6 TFLOP per CFG step of SD 1.5 at 64x64 latents, scaled by the UNet's size, at 60 GFLOP/s
        // in float32 (Zen 3 measured 63), three times that in bfloat16; the decode about as costly as 1.5 steps.
        const double guess = 1.607e12 / 60e9 / 4096.0 * (double(m_unetParameters) / 860e6) *
                             (m_sd->dtype() == torch::kFloat32 ? 1.0 : 1.0 / 3.0);
        const double step = measured ? m_stepSecondsPerCell : guess;
        const double decode = measured ? m_decodeSecondsPerCell : 1.5 * guess;
        const int cap = std::min(m_draft.maxSteps, std::max(1, params.denoise.steps));
        const int least = std::min(m_draft.minSteps, cap);
        // The largest side (at most maxLatentSide, halving down to minLatentSide) where the fewest steps fit.
        const int64_t full = m_sd->unet()->config().sampleSize;
        int64_t side = std::min(full, m_draft.maxLatentSide);
        int steps = least;
        for (;; side /= 2) {
            const double cells = double(side * side);
            const double fit = (m_draft.budgetSeconds - decode * cells) / (step * cells);
            steps = std::clamp(static_cast<int>(std::floor(fit)), least, cap);
            if (fit >= least || side / 2 < m_draft.minLatentSide) break;
        }
        m_draftSide = side;
        m_draftSteps = steps;
        m_draftStepsMeasured = measured;
    }
    return std::min(m_draftSteps, std::max(1, params.denoise.steps));
}

const PromptEmbeddings& PreviewRenderer::prompts(const std::string& prompt, const std::string& suffix,
                                                 const std::string& negative) {
    const std::string key = prompt + '\x1f' + suffix + '\x1f' + negative;
    auto it = m_prompts.find(key);
    if (it == m_prompts.end() || !m_reuse) {
        ++m_promptEncodings;
        // The plain prompt and the negative one are shared by every suffix: encode them once.
        const std::string plainKey = prompt + '\x1f' + '\x1f' + negative;
        PromptEmbeddings p;
        const auto plain = m_prompts.find(plainKey);
        if (m_reuse && plain != m_prompts.end() && !suffix.empty()) {
            p = plain->second;
            p.suffixed = m_sd->encodePrompt(prompt + " " + suffix).to(torch::kFloat32);
        } else {
            p = encodePrompts(*m_sd, prompt, suffix, negative);
        }
        it = m_prompts.insert_or_assign(key, p).first;
        if (!suffix.empty() && !m_prompts.count(plainKey)) {
            PromptEmbeddings q = p;
            q.suffixed = p.plain;
            m_prompts.emplace(plainKey, q);
        }
    }
    return it->second;
}

const torch::Tensor& PreviewRenderer::inversion(const std::string& file) {
    auto it = m_inversions.find(file);
    if (it == m_inversions.end() || !m_reuse) it = m_inversions.insert_or_assign(file, loadInversion(file)).first;
    return it->second;
}

std::pair<int, int> PreviewRenderer::choosePair(int n, int first, int second) {
    if (n <= 0) return {0, 0};
    first = std::clamp(first, 0, n - 1);
    second = std::clamp(second, 0, n - 1);
    if (n > 1 && second == first) second = (first + 1) % n;
    return {first, second};
}

double PreviewRenderer::pairTheta(const ClassInput& input, const PreviewParams& params) {
    const int n = static_cast<int>(input.entries.size());
    if (n < 2) return 0.0;
    const auto [a, b] = choosePair(n, params.first, params.second);
    return circleTheta(inversion(input.entries[static_cast<size_t>(a)].file),
                       inversion(input.entries[static_cast<size_t>(b)].file));
}

RenderedPreview PreviewRenderer::render(const ClassInput& input, const PreviewParams& params, const JobContext* job,
                                        const PreviewStepCallback& onStep) {
    if (input.entries.empty())
        throw Error("preview: class '" + params.className + "' has no current inversions (build the pool first)");
    const int n = static_cast<int>(input.entries.size());
    const auto [a, b] = choosePair(n, params.first, params.second);
    const auto& z1 = inversion(input.entries[static_cast<size_t>(a)].file);
    const auto z2 = n >= 2 ? inversion(input.entries[static_cast<size_t>(b)].file) : torch::Tensor();
    RenderedPreview out;
    if (const int steps = draftSteps(params)) {
        PreviewParams draft = params;
        draft.denoise.steps = steps;
        draft.intermediateEvery = 0;  // a decode costs more than a draft step
        out = renderPair(subsampleLatent(z1, m_draftSide), subsampleLatent(z2, m_draftSide), input.prompt,
                         input.negativePrompt, draft, job, onStep);
        out.draft = true;
    } else {
        out = renderPair(z1, z2, input.prompt, input.negativePrompt, params, job, onStep);
    }
    out.first = a;
    out.second = b;
    return out;
}

RenderedPreview PreviewRenderer::renderPair(const torch::Tensor& z1, const torch::Tensor& z2, const std::string& prompt,
                                            const std::string& negativePrompt, const PreviewParams& params,
                                            const JobContext* job, const PreviewStepCallback& onStep) {
    RenderedPreview out;
    torch::Tensor z;
    if (z2.defined()) {
        const auto circle = circleInterpolate(z1, z2, params.alpha);
        z = circle.z;
        out.theta = circle.theta;
        out.alpha = circle.alpha;
        out.period = circle.period;
        out.interpolation = isInterpolation(circle.theta, circle.alpha);
    } else {
        // One training image: fresh Gaussian noise of the latent's shape (Diff-II), from the request's seed.
        auto gen = at::detail::createCPUGenerator(params.seed);
        z = torch::randn(z1.sizes().vec(), gen);
        out.fallbackNoise = true;
    }

    const auto& pe = prompts(prompt, params.suffix, negativePrompt);
    const auto& d = params.denoise;
    DdimScheduler scheduler(m_sd->schedulerConfig());
    const auto start = z.to(torch::kFloat32) * scheduler.initNoiseSigma();
    const auto key = trajectoryKey(prompt, negativePrompt, d);
    const auto perStep = stepPrompts(m_sd->schedulerConfig(), d, params.suffix);

    // The steps a recent trajectory shares with this one: same start, settings and prompt in every step before;
    // the one sharing the most is continued.
    int from = 0;
    const Trajectory* base = nullptr;
    if (m_reuse) {
        for (auto it = m_recent.rbegin(); it != m_recent.rend(); ++it) {
            if (it->key != key || it->start.sizes() != start.sizes() || it->start.device() != start.device() ||
                !torch::equal(it->start, start))
                continue;
            int shared = 0;
            while (shared < d.steps && it->prompts[static_cast<size_t>(shared)] == perStep[static_cast<size_t>(shared)])
                ++shared;
            if (shared > from || !base) {
                from = shared;
                base = &*it;
            }
        }
    }
    Trajectory next;
    next.key = key;
    next.start = start;
    next.prompts = perStep;
    torch::Tensor latents;
    if (base && from > 0) {
        next.latents.assign(base->latents.begin(), base->latents.begin() + from + 1);
        latents = next.latents.back();
    } else {
        next.latents.push_back(start);
    }
    out.reusedSteps = from;
    out.computedSteps = d.steps - from;
    out.steps = d.steps;
    const double cells = double(start.size(-2) * start.size(-1));
    auto t0 = std::chrono::steady_clock::now();
    if (from < d.steps) {
        DenoiseTrace trace;
        auto step = [&](int i, int total, const torch::Tensor& l) {
            if (!onStep) return;
            const bool show = params.intermediateEvery > 0 && (i + 1) % params.intermediateEvery == 0 && i + 1 < total;
            onStep(i, total, show ? decodeLatentToImage(*m_sd, l)[0] : torch::Tensor());
        };
        latents = denoiseTwoStageFrom(*m_sd, from, next.latents.back(), pe, d, job, &trace, step);
        next.latents.insert(next.latents.end(), trace.latents.begin() + 1, trace.latents.end());
        // The cost per step and latent pixel, for the draft's step count (intermediate decodes included: a rough
        // figure is all it needs).
        m_stepSecondsPerCell = secondsSince(t0) / (out.computedSteps * cells);
    }
    t0 = std::chrono::steady_clock::now();
    out.image = decodeLatentToImage(*m_sd, latents)[0];
    m_decodeSecondsPerCell = secondsSince(t0) / cells;
    if (m_reuse) {
        m_recent.push_back(std::move(next));
        while (static_cast<int>(m_recent.size()) > m_keep) m_recent.erase(m_recent.begin());
    }
    return out;
}

}  // namespace diffii
