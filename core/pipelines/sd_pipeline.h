// The Diff-II sampling path over a loaded Stable Diffusion: VAE encode, DDIM inversion conditioned on the class
// prompt, two-stage denoising with classifier-free guidance (suffixed prompt for t >= 1000·(1−s), plain prompt
// after), VAE decode. Pure functions over tensors; progress and cancellation through JobContext.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/engine/types.h"
#include "core/jobs/progress.h"
#include "core/models/stable_diffusion.h"

namespace diffii {

// Text conditioning for one class: plain prompt, suffixed prompt, and the negative (unconditional) prompt.
struct PromptEmbeddings {
    torch::Tensor plain;     // (1, 77, C)
    torch::Tensor suffixed;  // (1, 77, C); equals plain when there is no suffix
    torch::Tensor uncond;    // (1, 77, C)
};

PromptEmbeddings encodePrompts(StableDiffusion& sd, const std::string& prompt, const std::string& suffix,
                               const std::string& negativePrompt = "");

// image (1 or B, 3, H, W) in [0, 1] -> latent mean × scaling factor (the posterior mean, as the official code).
torch::Tensor encodeImageToLatent(StableDiffusion& sd, const torch::Tensor& image01);

// latents -> image (B, 3, H, W) in [0, 1], clamped. Multiplies by the float 1/scaling_factor as the reference.
torch::Tensor decodeLatentToImage(StableDiffusion& sd, const torch::Tensor& latents);

// Called after every UNet step with (step index, total, current latents); may be empty.
using LatentCallback = std::function<void(int, int, const torch::Tensor&)>;

struct InversionTrace {
    std::vector<torch::Tensor> latents;     // latents[0] = x0, latents[i+1] after step i
    std::vector<torch::Tensor> noisePreds;  // per step
};

// DDIM inversion x0 -> z_T with the inverse scheduler (UNet evaluated at the target timestep). x0 may hold several
// latents [N, C, h, w] of one prompt: they invert as one batch (`diffii pair` inverts its two images so).
torch::Tensor ddimInvert(StableDiffusion& sd, const torch::Tensor& x0, const PromptEmbeddings& prompts,
                         const InversionSettings& settings, const JobContext* job = nullptr,
                         InversionTrace* trace = nullptr, const LatentCallback& onStep = {});

struct DenoiseTrace {
    std::vector<torch::Tensor> latents;  // latents[0] = z · init_noise_sigma
    std::vector<torch::Tensor> noisePredUncond;
    std::vector<torch::Tensor> noisePredText;
    std::vector<bool> suffixed;  // per step: which prompt was used
    std::vector<int64_t> timesteps;
};

// Threshold in timestep units: t >= splitThreshold(s, T) uses the suffixed prompt.
double splitThreshold(double split, int64_t numTrainTimesteps = 1000);

torch::Tensor denoiseTwoStage(StableDiffusion& sd, const torch::Tensor& z, const PromptEmbeddings& prompts,
                              const DenoiseSettings& settings, const JobContext* job = nullptr,
                              DenoiseTrace* trace = nullptr, const LatentCallback& onStep = {});

// Text to image from seeded Gaussian noise of the UNet's native size (no suffix): e.g. the concept samples shown
// while training. Returns (3, H, W) in [0, 1].
torch::Tensor textToImage(StableDiffusion& sd, const std::string& prompt, uint64_t seed,
                          const DenoiseSettings& settings);

// Image to image from a strength (diffusers' StableDiffusionImg2ImgPipeline with DDIM): of the run's timesteps the
// last min(floor(steps · strength), steps) are run, from the source latent noised to the first of them
// (scheduler.add_noise). Strength 1 starts from the noise itself (× init_noise_sigma) — exactly text to image from
// that noise, where diffusers keeps a trace of the source (ᾱ of the first timestep is not 0); strength 0 runs no
// step and returns the source latent. x0: (1, C, h, w) latent (encodeImageToLatent); noise: its shape. The
// prompts' suffixed embedding is used above the settings' split threshold, as in two-stage denoising (pass
// suffix "" for one prompt throughout). Returns the final latent.
torch::Tensor imageToImage(StableDiffusion& sd, const torch::Tensor& x0, const torch::Tensor& noise, double strength,
                           const PromptEmbeddings& prompts, const DenoiseSettings& settings,
                           const JobContext* job = nullptr);

// Which steps of a run use the suffixed prompt (t >= splitThreshold), in step order: a prefix of trues, since the
// timesteps descend.
std::vector<bool> suffixedSteps(const DdimConfig& config, const DenoiseSettings& settings);

// The rest of a two-stage run from step fromStep, given the latents the run had before that step (trace->latents
// [fromStep] of a run with the same start, steps and guidance, and the same prompt in every step before fromStep).
// DDIM steps are pure functions of (latents, t, prediction), so the result is bit-identical to the full run; the
// preview uses this to redo only the steps a change of s or suffix touches. trace, when given, is filled from
// fromStep on (its latents start with latentsBefore).
torch::Tensor denoiseTwoStageFrom(StableDiffusion& sd, int fromStep, const torch::Tensor& latentsBefore,
                                  const PromptEmbeddings& prompts, const DenoiseSettings& settings,
                                  const JobContext* job = nullptr, DenoiseTrace* trace = nullptr,
                                  const LatentCallback& onStep = {});

}  // namespace diffii
