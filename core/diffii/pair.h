// One Diff-II sample from two images: invert both with the class prompt, rotate along the circle through the two
// inversions by α, denoise in two stages, decode. The engine behind `diffii pair` and the GUI preview.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/diffii/circle_interpolation.h"
#include "core/diffii/sampler.h"
#include "core/jobs/precision.h"

namespace diffii {

struct PairRequest {
    std::string imageA, imageB;
    int64_t width = 0, height = 0;  // 0: the model's native size
    std::string prompt;
    std::string suffix;
    std::optional<double> alpha;  // explicit rotation parameter; otherwise drawn from seed
    uint64_t seed = 0;
    InversionSettings inversion;  // steps 50, guidance 1.0
    DenoiseSettings denoise;      // steps 25, guidance 7.5, split s
    std::string negativePrompt;
};

struct PairResult {
    torch::Tensor image;   // (3, H, W) in [0, 1], clamped
    torch::Tensor latent;  // final denoised latent
    CircleInterpolation circle;
};

PairResult generatePair(StableDiffusion& sd, const PairRequest& request, const JobContext* job = nullptr);

// `diffii pair` in one call: the model folder loaded in a precision, textual-inversion files and a LoRA applied, then
// generatePair. precisionReason says what the model computed in.
struct PairModel {
    std::string modelDir;
    Precision precision = Precision::Auto;
    std::vector<std::string> embeddings;  // {token: vector} safetensors files
    std::string lora;                     // diffusers, attn-procs, PEFT or kohya keys; "" for none
};
PairResult generatePair(const PairModel& model, const PairRequest& request, const JobContext* job = nullptr,
                        std::string* precisionReason = nullptr);

// Loads and (only when needed) resizes an image to (3, height, width).
torch::Tensor loadImageForModel(const std::string& path, int64_t height, int64_t width);

}  // namespace diffii
