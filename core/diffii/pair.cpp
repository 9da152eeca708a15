#include "core/diffii/pair.h"

#include "core/diffii/circle_interpolation.h"
#include "core/diffii/preview.h"
#include "core/diffii/textual_inversion.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/safetensors.h"
#include "core/models/lora.h"
#include "core/pipelines/sd_pipeline.h"

namespace diffii {

namespace {

PairResult renderPairOf(StableDiffusion& sd, const PairRequest& request, const JobContext* job) {
    const int64_t native = sd.nativeImageSize();
    const int64_t w = request.width > 0 ? request.width : native;
    const int64_t h = request.height > 0 ? request.height : native;
    if (w % sd.vaeScaleFactor() != 0 || h % sd.vaeScaleFactor() != 0)
        throw Error("size " + std::to_string(w) + "x" + std::to_string(h) + " is not a multiple of the VAE factor " +
                    std::to_string(sd.vaeScaleFactor()));
    PreviewRenderer renderer(sd);
    const auto& prompts = renderer.prompts(request.prompt, request.suffix, request.negativePrompt);
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
        const auto x0 = encodeImageToLatent(sd, loadImageForModel(*paths[k], h, w));
        z[k] = ddimInvert(sd, x0, prompts, request.inversion, job ? &inner : nullptr);
        base += request.inversion.steps;
    }
    PreviewParams params;
    params.suffix = request.suffix;
    params.denoise = request.denoise;
    params.alpha = request.alpha ? *request.alpha : sampleCircleAlpha(circleTheta(z[0], z[1]), request.seed);
    const auto r =
        renderer.renderPair(z[0], z[1], request.prompt, request.negativePrompt, params, job ? &inner : nullptr);
    PairResult out;
    out.image = toImage(r.image);
    out.theta = r.theta;
    out.alpha = r.alpha;
    out.period = r.period;
    out.interpolation = r.interpolation;
    return out;
}

}  // namespace

PairResult generatePair(const PairModel& model, const PairRequest& request, const JobContext* job) {
    LoadSettings settings;
    settings.precision = model.precision;
    auto sd = StableDiffusion::load(model.modelDir, settings);
    for (const auto& e : model.embeddings) loadTextualInversion(e, sd->tokenizer(), *sd->textEncoder());
    if (!model.lora.empty()) {
        auto lora = UNetLoraImpl::load(model.lora, *sd->unet());
        if (sd->dtype() != torch::kFloat32) lora->to(sd->dtype());
        lora->attach(*sd->unet(), 1.0);
    }
    auto out = renderPairOf(*sd, request, job);
    out.precisionReason = sd->precisionReason();
    return out;
}

void savePairRaw(const std::string& path, const PairResult& result) {
    saveSafetensors(path, {{"image", fromImage(result.image)}},
                    {{"theta", std::to_string(result.theta)}, {"alpha", std::to_string(result.alpha)}});
}

}  // namespace diffii
