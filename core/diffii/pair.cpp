#include "core/diffii/pair.h"

#include "core/diffii/textual_inversion.h"
#include "core/models/lora.h"

#include "core/io/error.h"
#include "core/io/image.h"

namespace diffii {

torch::Tensor loadImageForModel(const std::string& path, int64_t height, int64_t width) {
    return resizeImage(loadImageRgb(path), height, width);
}

PairResult generatePair(StableDiffusion& sd, const PairRequest& request, const JobContext* job) {
    const int64_t native = sd.nativeImageSize();
    const int64_t w = request.width > 0 ? request.width : native;
    const int64_t h = request.height > 0 ? request.height : native;
    if (w % sd.vaeScaleFactor() != 0 || h % sd.vaeScaleFactor() != 0)
        throw Error("size " + std::to_string(w) + "x" + std::to_string(h) + " is not a multiple of the VAE factor " +
                    std::to_string(sd.vaeScaleFactor()));
    const auto prompts = encodePrompts(sd, request.prompt, request.suffix, request.negativePrompt);
    const int64_t total = 2 * request.inversion.steps + request.denoise.steps;
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
    torch::Tensor z[2];
    const std::string* paths[2] = {&request.imageA, &request.imageB};
    for (int k = 0; k < 2; ++k) {
        const auto image = loadImageForModel(*paths[k], h, w);
        const auto x0 = encodeImageToLatent(sd, image);
        z[k] = ddimInvert(sd, x0, prompts, request.inversion, job ? &inner : nullptr);
        base += request.inversion.steps;
    }
    PairResult r;
    const double theta = circleTheta(z[0], z[1]);
    const double alpha = request.alpha ? *request.alpha : sampleCircleAlpha(theta, request.seed);
    r.circle = circleInterpolate(z[0], z[1], alpha);
    r.latent = denoiseTwoStage(sd, r.circle.z, prompts, request.denoise, job ? &inner : nullptr);
    r.image = decodeLatentToImage(sd, r.latent)[0];
    return r;
}

PairResult generatePair(const PairModel& model, const PairRequest& request, const JobContext* job,
                        std::string* precisionReason) {
    LoadSettings settings;
    settings.precision = model.precision;
    auto sd = StableDiffusion::load(model.modelDir, settings);
    if (precisionReason) *precisionReason = sd->precisionReason();
    for (const auto& e : model.embeddings) loadTextualInversion(e, sd->tokenizer(), *sd->textEncoder());
    if (!model.lora.empty()) {
        auto lora = UNetLoraImpl::load(model.lora, *sd->unet());
        if (sd->dtype() != torch::kFloat32) lora->to(sd->dtype());
        lora->attach(*sd->unet(), 1.0);
    }
    return generatePair(*sd, request, job);
}

}  // namespace diffii
