#include "core/diffii/pair.h"

#include <cmath>
#include <filesystem>
#include <functional>

#include "core/diffii/circle_interpolation.h"
#include "core/diffii/preview.h"
#include "core/diffii/textual_inversion.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/safetensors.h"
#include "core/jobs/device.h"
#include "core/jobs/threads.h"
#include "core/models/lora.h"
#include "core/pipelines/sd_pipeline.h"

namespace diffii {

namespace {

// sd comes without its UNet (LoadSettings::deferUNet); loadUNet reads it (and attaches the LoRA) once the prompts and
// both images are encoded.
PairResult renderPairOf(StableDiffusion& sd, const PairRequest& request, const JobContext* job,
                        const std::function<void()>& loadUNet) {
    const int64_t native = sd.nativeImageSize();
    const int64_t w = request.width > 0 ? request.width : native;
    const int64_t h = request.height > 0 ? request.height : native;
    if (w % sd.vaeScaleFactor() != 0 || h % sd.vaeScaleFactor() != 0)
        throw Error("size " + std::to_string(w) + "x" + std::to_string(h) + " is not a multiple of the VAE factor " +
                    std::to_string(sd.vaeScaleFactor()));
    PreviewRenderer renderer(sd);
    const auto& prompts = renderer.prompts(request.prompt, request.suffix, request.negativePrompt);
    sd.releaseTextEncoder();  // the model is generatePair's own, and every prompt is encoded (cached by the renderer)
    const int64_t total = request.inversion.steps + request.denoise.steps;
    int64_t base = 0;
    JobContext inner;
    if (job) {
        inner.cancelFlag = job->cancelFlag;
        inner.onProgress = [&](const Progress& p) {
            Progress q = p;
            q.done = base + p.done;
            q.total = total;
            job->report(q);
        };
    }
    // Both images invert together (one prompt, guidance per the request): one batch-2 UNet call per step instead of
    // two batch-1 calls, 1.4x less time for SD 1.5 on 2 cores (a batch-1 call costs 7.8 s, a batch-2 call 11.4 s).
    const auto x0 = torch::cat({encodeImageToLatent(sd, loadImageForModel(request.imageA, h, w)),
                                encodeImageToLatent(sd, loadImageForModel(request.imageB, h, w))});
    // The UNet only now: its weights never sit beside the text encoder's or the encoder's activations (SD 1.5
    // float32 at 512x512: peak 4,588 -> 4,043 MiB; bfloat16 2,131 MiB; Xeon f6 m207).
    loadUNet();
    const auto inverted = ddimInvert(sd, x0, prompts, request.inversion, job ? &inner : nullptr);
    base += request.inversion.steps;
    const torch::Tensor z[2] = {inverted.narrow(0, 0, 1), inverted.narrow(0, 1, 1)};
    PreviewParams params;
    params.suffix = request.suffix;
    params.denoise = request.denoise;
    params.alpha = request.alpha ? *request.alpha : sampleCircleAlpha(circleTheta(z[0], z[1]), request.seed);
    // The model is generatePair's own: after the last denoising step the UNet goes, so that the decode's
    // activations do not come on top of its weights (SD 1.5 float32 at 512x512: peak 4,772 -> 4,588 MiB, now at the
    // encode).
    const auto r = renderer.renderPair(z[0], z[1], request.prompt, request.negativePrompt, params,
                                       job ? &inner : nullptr, releaseUNetAfterLastStep(sd));
    PairResult out;
    out.image = toImage(r.image);
    out.theta = r.theta;
    out.alpha = r.alpha;
    out.period = r.period;
    out.interpolation = r.interpolation;
    return out;
}

}  // namespace

void validatePairRequest(const PairModel& model, const PairRequest& request) {
    auto fail = [](const std::string& what) { throw Error(what); };
    auto readable = [&](const std::string& path, const char* what) {
        std::error_code ec;
        if (path.empty()) fail(std::string(what) + ": no file given");
        if (!std::filesystem::is_regular_file(path, ec)) fail(path + ": " + what + " is not a readable file");
    };
    readable(request.imageA, "--image");
    readable(request.imageB, "--image");
    for (const auto& e : model.embeddings) {
        const auto [file, token] = splitEmbeddingArgument(e);
        readable(file, "--embedding");
        if (e.find(':') != std::string::npos && file != e && token.empty())
            fail("--embedding " + e + ": no token after ':' (FILE:TOKEN)");
    }
    if (!model.lora.empty()) readable(model.lora, "--lora");
    requireDeviceAvailable(model.device, "--device");
    if (request.prompt.empty()) fail("--prompt is empty");
    const auto steps = "an integer in [1, " + std::to_string(kMaxSamplingSteps) + "]";
    if (request.denoise.steps < 1 || request.denoise.steps > kMaxSamplingSteps)
        fail("--steps must be " + steps + ", got " + std::to_string(request.denoise.steps));
    if (request.inversion.steps < 1 || request.inversion.steps > kMaxSamplingSteps)
        fail("--invert-steps must be " + steps + ", got " + std::to_string(request.inversion.steps));
    if (!(request.denoise.split >= 0.0 && request.denoise.split <= 1.0))
        fail("--split must be in [0, 1], got " + std::to_string(request.denoise.split));
    if (!(std::isfinite(request.denoise.guidance) && request.denoise.guidance >= 0 &&
          request.denoise.guidance <= kMaxGuidance))
        fail("--guidance must be in [0, 100], got " + std::to_string(request.denoise.guidance));
    if (!(std::isfinite(request.inversion.guidance) && request.inversion.guidance >= 0 &&
          request.inversion.guidance <= kMaxGuidance))
        fail("--invert-guidance must be in [0, 100], got " + std::to_string(request.inversion.guidance));
    if (request.alpha && !std::isfinite(*request.alpha))
        fail("--alpha must be a finite number, got " + std::to_string(*request.alpha));
    for (const int64_t side : {request.width, request.height})
        if (side < 0 || side > 4096 || side % 8 != 0)
            fail("--size: " + std::to_string(request.width) + "x" + std::to_string(request.height) +
                 ": each side must be a multiple of 8 up to 4096");
}

PairResult generatePair(const PairModel& model, const PairRequest& request, const JobContext* job) {
    validatePairRequest(model, request);  // every argument before the model loads and the first UNet call
    LoadSettings settings;
    settings.precision = model.precision;
    settings.singleFile.modelConfig = model.modelConfig;
    if (!model.predictionType.empty())
        settings.singleFile.predictionType = parsePredictionTypeOption(model.predictionType);
    settings.device = model.device;
    settings.deferUNet = true;
    auto sd = StableDiffusion::load(model.modelDir, settings);
    // As a project's model (core/engine/session.cpp): threads for its size, so that a small model's guidance halves
    // run at once on two threads (core/jobs/threads.h).
    configureThreadsForModel(sd->unetConfig().parameterCount());
    for (const auto& e : model.embeddings) {
        const auto [file, token] = splitEmbeddingArgument(e);
        loadTextualInversion(file, sd->tokenizer(), *sd->textEncoder(), token);
    }
    const auto loadUNet = [&] {
        sd->loadUNet();
        if (model.lora.empty()) return;
        auto lora = UNetLoraImpl::load(model.lora, *sd->unet());
        if (sd->dtype() != torch::kFloat32) lora->to(sd->dtype());
        lora->attach(*sd->unet(), 1.0);
    };
    auto out = renderPairOf(*sd, request, job, loadUNet);
    out.precisionReason = sd->precisionReason();
    return out;
}

void savePairRaw(const std::string& path, const PairResult& result) {
    saveSafetensors(path, {{"image", fromImage(result.image)}},
                    {{"theta", std::to_string(result.theta)}, {"alpha", std::to_string(result.alpha)}});
}

}  // namespace diffii
