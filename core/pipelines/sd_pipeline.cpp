#include "core/pipelines/sd_pipeline.h"

#include <cmath>
#include <future>

#include <ATen/CPUGeneratorImpl.h>

#include "core/io/error.h"
#include "core/io/finite.h"
#include "core/jobs/threads.h"
#include "core/models/attention.h"
#include "core/pipelines/vae_tiling.h"

namespace diffii {
namespace {

torch::Tensor unetCall(StableDiffusion& sd, const torch::Tensor& latents, int64_t t, const torch::Tensor& ehs) {
    const auto dtype = sd.dtype();
    if (torch::GradMode::is_enabled())
        return sd.unet()
            ->forward(latents.to(dtype), torch::tensor(t, torch::kInt64), ehs.to(dtype))
            .to(torch::kFloat32);
    // Inference mode (no version counters, no autograd dispatch): less overhead per operation, which is most of a
    // small model's time. The result leaves it as an ordinary tensor (a copy of the small noise prediction), so
    // that callers may use it anywhere, autograd included.
    torch::Tensor out;
    {
        c10::InferenceMode inference;
        const auto x = latents.to(dtype), e = ehs.to(dtype), step = torch::tensor(t, torch::kInt64);
        const int64_t b = x.size(0), half = b / 2;
        if (b >= 2 && b % 2 == 0 && sd.device().is_cpu() && splitGuidanceBatch(sd.unetConfig().parameterCount())) {
            // A small model's guidance batch as two halves (core/jobs/threads.h), at once on two threads when there
            // are two. The helper's future is waited for on every path (its destructor), so nothing it reads goes
            // away under it.
            const auto lower = [&] { return sd.unet()->forward(x.narrow(0, 0, half), step, e.narrow(0, 0, half)); };
            const auto upper = [&] {
                return sd.unet()->forward(x.narrow(0, half, half), step, e.narrow(0, half, half));
            };
            if (halvesOnTwoThreads()) {
                auto second = std::async(std::launch::async, [&] {
                    c10::InferenceMode helperInference;
                    prepareHelperComputeThread();
                    return upper();
                });
                auto first = lower();
                out = torch::cat({first, second.get()});
            } else {
                out = torch::cat({lower(), upper()});
            }
        } else {
            out = sd.unet()->forward(x, step, e);
        }
    }
    return out.is_inference() ? out.to(torch::kFloat32, /*non_blocking=*/false, /*copy=*/true) : out;
}

void checkSettings(int steps, double guidance, const char* what) {
    if (steps < 1 || steps > 1000)
        throw Error(std::string(what) + ": steps must be in [1, 1000], got " + std::to_string(steps));
    if (!std::isfinite(guidance) || guidance < 0)
        throw Error(std::string(what) + ": guidance must be >= 0, got " + std::to_string(guidance));
}

}  // namespace

PromptEmbeddings encodePrompts(StableDiffusion& sd, const std::string& prompt, const std::string& suffix,
                               const std::string& negativePrompt) {
    PromptEmbeddings p;
    p.plain = sd.encodePrompt(prompt).to(torch::kFloat32);
    p.suffixed = suffix.empty() ? p.plain : sd.encodePrompt(prompt + " " + suffix).to(torch::kFloat32);
    p.uncond = sd.encodePrompt(negativePrompt).to(torch::kFloat32);
    return p;
}

torch::Tensor encodeImageToLatent(StableDiffusion& sd, const torch::Tensor& image01) {
    torch::NoGradGuard g;
    auto x = image01.dim() == 3 ? image01.unsqueeze(0) : image01;
    const auto dtype = sd.dtype();
    torch::Tensor mean;
    {
        c10::InferenceMode inference;  // see unetCall
        mean = vaeEncodeMean(sd.vae(), (2 * x.to(torch::kFloat32) - 1).to(dtype));
    }
    mean = mean.to(torch::kFloat32);
    requireFinite(mean, "VAE encode");
    return mean * sd.vae()->config().scalingFactor;  // an ordinary tensor
}

torch::Tensor decodeLatentToImage(StableDiffusion& sd, const torch::Tensor& latents) {
    torch::NoGradGuard g;
    const auto scaled = (1.0 / sd.vae()->config().scalingFactor) * latents.to(torch::kFloat32);
    torch::Tensor decoded;
    {
        c10::InferenceMode inference;  // see unetCall
        decoded = vaeDecode(sd.vae(), scaled.to(sd.dtype()));
    }
    decoded = decoded.to(torch::kFloat32);
    // Before the clamp, which would turn infinity into white.
    requireFinite(decoded, "decode (VAE)");
    return (decoded / 2 + 0.5).clamp(0, 1);
}

torch::Tensor ddimInvert(StableDiffusion& sd, const torch::Tensor& x0, const PromptEmbeddings& prompts,
                         const InversionSettings& settings, const JobContext* job, InversionTrace* trace,
                         const LatentCallback& onStep) {
    checkSettings(settings.steps, settings.guidance, "inversion");
    torch::NoGradGuard g;
    DdimInverseScheduler scheduler(sd.schedulerConfig());
    scheduler.setTimesteps(settings.steps);
    const bool cfg = settings.guidance > 1.0;
    auto latents = x0.to(sd.device(), torch::kFloat32) * scheduler.initNoiseSigma();
    // Several images (one prompt) invert as one batch: [uncond x N, prompt x N] under guidance.
    const int64_t n = latents.size(0);
    auto each = [&](const torch::Tensor& e) { return e.expand({n, e.size(1), e.size(2)}); };
    // In the model's dtype once, so that every step passes the same context (the cross-attention cache's key).
    const auto ehs =
        (cfg ? torch::cat({each(prompts.uncond), each(prompts.plain)}) : each(prompts.plain)).to(sd.dtype());
    CrossAttentionCache keysValues(*sd.unet());
    if (trace) trace->latents.push_back(latents);
    const auto& ts = scheduler.timesteps();
    for (size_t i = 0; i < ts.size(); ++i) {
        if (job) job->throwIfCancelled();
        const auto input = cfg ? torch::cat({latents, latents}) : latents;
        auto pred = unetCall(sd, input, ts[i], ehs);
        if (cfg) {
            auto chunks = pred.chunk(2);
            pred = chunks[0] + settings.guidance * (chunks[1] - chunks[0]);
        }
        latents = scheduler.step(pred, ts[i], latents).prevSample;
        requireFinite(latents,
                      "DDIM inversion (step " + std::to_string(i + 1) + " of " + std::to_string(ts.size()) + ")");
        if (trace) {
            trace->noisePreds.push_back(pred);
            trace->latents.push_back(latents);
        }
        if (job) job->report("inversion", static_cast<int64_t>(i + 1), static_cast<int64_t>(ts.size()));
        if (onStep) onStep(static_cast<int>(i), static_cast<int>(ts.size()), latents);
    }
    return latents;
}

double splitThreshold(double split, int64_t numTrainTimesteps) {
    return static_cast<double>(numTrainTimesteps) * (1.0 - split);
}

torch::Tensor textToImage(StableDiffusion& sd, const std::string& prompt, uint64_t seed,
                          const DenoiseSettings& settings) {
    const int64_t size = sd.unet()->config().sampleSize;
    auto gen = at::detail::createCPUGenerator(seed);
    const auto z = torch::randn({1, sd.unet()->config().inChannels, size, size}, gen);
    return decodeLatentToImage(sd, denoiseTwoStage(sd, z, encodePrompts(sd, prompt, ""), settings))[0];
}

torch::Tensor imageToImage(StableDiffusion& sd, const torch::Tensor& x0, const torch::Tensor& noise, double strength,
                           const PromptEmbeddings& prompts, const DenoiseSettings& settings, const JobContext* job) {
    checkSettings(settings.steps, settings.guidance, "img2img");
    if (!(strength >= 0.0 && strength <= 1.0))
        throw Error("img2img: strength must be in [0, 1], got " + std::to_string(strength));
    if (!noise.sizes().equals(x0.sizes())) throw Error("img2img: the noise must have the latent's shape");
    DdimScheduler scheduler(sd.schedulerConfig());
    scheduler.setTimesteps(settings.steps);
    const int run = std::min(static_cast<int>(std::floor(settings.steps * strength)), settings.steps);
    if (run == 0) return x0.to(sd.device(), torch::kFloat32);
    const int from = settings.steps - run;
    torch::Tensor start;
    if (from == 0 && strength >= 1.0) {
        start = noise.to(sd.device(), torch::kFloat32) * scheduler.initNoiseSigma();
    } else {
        const auto t = torch::tensor(scheduler.timesteps()[static_cast<size_t>(from)], torch::kLong);
        start = scheduler.addNoise(x0.to(sd.device(), torch::kFloat32), noise.to(sd.device(), torch::kFloat32), t);
    }
    return denoiseTwoStageFrom(sd, from, start, prompts, settings, job);
}

std::vector<bool> suffixedSteps(const DdimConfig& config, const DenoiseSettings& settings) {
    DdimScheduler scheduler(config);
    scheduler.setTimesteps(settings.steps);
    const double threshold = splitThreshold(settings.split, config.numTrainTimesteps);
    std::vector<bool> out;
    for (const int64_t t : scheduler.timesteps()) out.push_back(static_cast<double>(t) >= threshold);
    return out;
}

torch::Tensor denoiseTwoStage(StableDiffusion& sd, const torch::Tensor& z, const PromptEmbeddings& prompts,
                              const DenoiseSettings& settings, const JobContext* job, DenoiseTrace* trace,
                              const LatentCallback& onStep) {
    checkSettings(settings.steps, settings.guidance, "denoising");
    DdimScheduler scheduler(sd.schedulerConfig());
    return denoiseTwoStageFrom(sd, 0, z.to(torch::kFloat32) * scheduler.initNoiseSigma(), prompts, settings, job, trace,
                               onStep);
}

torch::Tensor denoiseTwoStageFrom(StableDiffusion& sd, int fromStep, const torch::Tensor& latentsBefore,
                                  const PromptEmbeddings& prompts, const DenoiseSettings& settings,
                                  const JobContext* job, DenoiseTrace* trace, const LatentCallback& onStep) {
    checkSettings(settings.steps, settings.guidance, "denoising");
    if (!(settings.split >= 0.0 && settings.split <= 1.0))
        throw Error("denoising: split ratio s must be in [0, 1], got " + std::to_string(settings.split));
    if (fromStep < 0 || fromStep > settings.steps)
        throw Error("denoising: cannot resume at step " + std::to_string(fromStep) + " of " +
                    std::to_string(settings.steps));
    torch::NoGradGuard g;
    DdimScheduler scheduler(sd.schedulerConfig());
    scheduler.setTimesteps(settings.steps);
    const bool cfg = settings.guidance > 1.0;
    const double threshold = splitThreshold(settings.split, sd.schedulerConfig().numTrainTimesteps);
    auto latents = latentsBefore.to(sd.device(), torch::kFloat32);
    const int64_t batch = latents.size(0);
    auto batched = [batch](const torch::Tensor& e) { return e.expand({batch, e.size(1), e.size(2)}); };
    const auto dtype = sd.dtype();  // once: see ddimInvert
    const auto ehsPlain =
        (cfg ? torch::cat({batched(prompts.uncond), batched(prompts.plain)}) : batched(prompts.plain)).to(dtype);
    const auto ehsSuffix =
        (cfg ? torch::cat({batched(prompts.uncond), batched(prompts.suffixed)}) : batched(prompts.suffixed)).to(dtype);
    CrossAttentionCache keysValues(*sd.unet());
    if (trace) trace->latents.push_back(latents);
    const auto& ts = scheduler.timesteps();
    for (size_t i = static_cast<size_t>(fromStep); i < ts.size(); ++i) {
        if (job) job->throwIfCancelled();
        const int64_t t = ts[i];
        const bool suffixed = static_cast<double>(t) >= threshold;
        const auto input = cfg ? torch::cat({latents, latents}) : latents;
        auto pred = unetCall(sd, input, t, suffixed ? ehsSuffix : ehsPlain);
        torch::Tensor uncond, text;
        if (cfg) {
            auto chunks = pred.chunk(2);
            uncond = chunks[0];
            text = chunks[1];
            pred = uncond + settings.guidance * (text - uncond);
        } else {
            text = pred;
        }
        latents = scheduler.step(pred, t, latents).prevSample;
        requireFinite(latents, "denoising (step " + std::to_string(i + 1) + " of " + std::to_string(ts.size()) + ")");
        if (trace) {
            trace->noisePredUncond.push_back(uncond);
            trace->noisePredText.push_back(text);
            trace->latents.push_back(latents);
            trace->suffixed.push_back(suffixed);
            trace->timesteps.push_back(t);
        }
        if (job) job->report("denoising", static_cast<int64_t>(i + 1), static_cast<int64_t>(ts.size()));
        if (onStep) onStep(static_cast<int>(i), static_cast<int>(ts.size()), latents);
    }
    return latents;
}

}  // namespace diffii
