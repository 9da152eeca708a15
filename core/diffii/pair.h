// One Diff-II sample from two images: invert both with the prompt, rotate along the circle through the two
// inversions by α, denoise in two stages, decode — `diffii pair`. The render half is the preview's
// (PreviewRenderer::renderPair), so a pair and a preview of the same latents are the same image.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/engine/types.h"
#include "core/jobs/precision.h"
#include "core/jobs/progress.h"

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

// The model of a pair: a diffusers folder loaded in a precision, textual-inversion files and a LoRA applied.
struct PairModel {
    std::string modelDir;
    Precision precision = Precision::Auto;
    std::string device = "cpu";  // "cpu", "cuda", "cuda:N" (core/jobs/device.h)
    // Textual-inversion files, "FILE" or "FILE:TOKEN", in any layout of core/diffii/textual_inversion.h (kohya,
    // A1111, diffusers); the prompt uses their tokens, a several-vector token expanding in place.
    std::vector<std::string> embeddings;
    std::string lora;  // diffusers, attn-procs, PEFT or kohya keys; "" for none
    // modelDir a single-file checkpoint: the --model-config folder ("" for the built-in configs) and the
    // --prediction-type ("" for the file's own: config, .yaml, architecture).
    std::string modelConfig;
    std::string predictionType;
};

struct PairResult {
    Image image;  // (3, H, W) in [0, 1], clamped
    double theta = 0.0, alpha = 0.0, period = 0.0;
    bool interpolation = false;
    std::string precisionReason;  // what the model computed in
};

// Checks every argument of a pair (files, steps, split, guidance, alpha, size) before any work: throws
// diffii::Error naming the option and the value.
void validatePairRequest(const PairModel& model, const PairRequest& request);

PairResult generatePair(const PairModel& model, const PairRequest& request, const JobContext* job = nullptr);

// The decoded image as float32 safetensors tensor "image" (3, H, W) with theta and alpha as metadata (`--raw`).
void savePairRaw(const std::string& path, const PairResult& result);

}  // namespace diffii
