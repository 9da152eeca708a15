#include "core/diffii/preview.h"

#include <algorithm>
#include <tuple>

#include <ATen/CPUGeneratorImpl.h>

#include "core/diffii/circle_interpolation.h"
#include "core/io/error.h"
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

}  // namespace

void PreviewRenderer::clear() {
    m_prompts.clear();
    m_inversions.clear();
    m_recent.clear();
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
    auto out = renderPair(z1, n >= 2 ? inversion(input.entries[static_cast<size_t>(b)].file) : torch::Tensor(),
                          input.prompt, input.negativePrompt, params, job, onStep);
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
            if (it->key != key || it->start.sizes() != start.sizes() || !torch::equal(it->start, start)) continue;
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
    if (from < d.steps) {
        DenoiseTrace trace;
        auto step = [&](int i, int total, const torch::Tensor& l) {
            if (!onStep) return;
            const bool show = params.intermediateEvery > 0 && (i + 1) % params.intermediateEvery == 0 && i + 1 < total;
            onStep(i, total, show ? decodeLatentToImage(*m_sd, l)[0] : torch::Tensor());
        };
        latents = denoiseTwoStageFrom(*m_sd, from, next.latents.back(), pe, d, job, &trace, step);
        next.latents.insert(next.latents.end(), trace.latents.begin() + 1, trace.latents.end());
    }
    out.image = decodeLatentToImage(*m_sd, latents)[0];
    if (m_reuse) {
        m_recent.push_back(std::move(next));
        while (static_cast<int>(m_recent.size()) > m_keep) m_recent.erase(m_recent.begin());
    }
    return out;
}

}  // namespace diffii
