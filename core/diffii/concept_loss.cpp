#include "core/diffii/concept_loss.h"

namespace diffii {

torch::Tensor conceptTrainingLoss(StableDiffusion& sd, const DdimScheduler& noiseScheduler, const torch::Tensor& x0,
                                  const torch::Tensor& noise, const torch::Tensor& timesteps,
                                  const torch::Tensor& inputIds) {
    const auto dtype = sd.dtype();
    const auto noisy = noiseScheduler.addNoise(x0, noise, timesteps);
    const auto ehs = sd.textEncoder()->encode(inputIds);
    const auto pred = sd.unet()->forward(noisy.to(dtype), timesteps, ehs.to(dtype));
    torch::Tensor target = noise;
    if (noiseScheduler.config().predictionType == PredictionType::VPrediction)
        target = noiseScheduler.getVelocity(x0, noise, timesteps);
    return torch::mse_loss(pred.to(torch::kFloat32), target.to(torch::kFloat32));
}

}  // namespace diffii
