// The concept-learning objective of Diff-II (textual inversion + LoRA, as in Diff-Mix's training script):
// noisy = add_noise(x0, noise, t); pred = unet(noisy, t, text_encoder(prompt ids)); loss = MSE(pred, target)
// with target = noise (epsilon) or the velocity (v_prediction).
#pragma once

#include <torch/torch.h>

#include "core/models/stable_diffusion.h"

namespace diffii {

// Differentiable in the token embedding and in any LoRA attached to the UNet; x0 are scaled VAE latents.
torch::Tensor conceptTrainingLoss(StableDiffusion& sd, const DdimScheduler& noiseScheduler, const torch::Tensor& x0,
                                  const torch::Tensor& noise, const torch::Tensor& timesteps,
                                  const torch::Tensor& inputIds);

}  // namespace diffii
