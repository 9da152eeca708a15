// Benchmark (prints figures; not a timed test): Diff-II inversion seconds per image (50 steps, guidance 1) and
// generation seconds per image (25 steps, CFG 7.5, two-stage) on a model folder (default: the tiny fixture
// model), in float32 and bfloat16.
//   bench_pipeline [MODEL_DIR] [--threads N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <torch/torch.h>

#include "core/diffii/circle_interpolation.h"
#include "core/io/image.h"
#include "core/jobs/threads.h"
#include "core/models/stable_diffusion.h"
#include "core/pipelines/sd_pipeline.h"
#include "tests/bench_support.h"
#include "tests/test_support.h"

namespace {

double seconds(std::chrono::steady_clock::time_point a) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

void run(const std::string& modelDir, torch::Dtype dtype, int reps) {
    diffii::LoadSettings ls;
    ls.dtype = dtype;
    auto sd = diffii::StableDiffusion::load(modelDir, ls);
    const int64_t size = sd->nativeImageSize();
    const auto image =
        diffii::resizeImage(diffii::loadImageRgb(diffii::test::fixture("tiny-sd1-diffii/input_0.png")), size, size);
    const auto prompts = diffii::encodePrompts(*sd, "a photo of a bird", "standing on a tree branch");
    diffii::InversionSettings inv;  // 50 steps, guidance 1
    diffii::DenoiseSettings den;    // 25 steps, guidance 7.5, s 0.5
    // warm-up
    auto x0 = diffii::encodeImageToLatent(*sd, image);
    auto z = diffii::ddimInvert(*sd, x0, prompts, inv);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) {
        x0 = diffii::encodeImageToLatent(*sd, image);
        z = diffii::ddimInvert(*sd, x0, prompts, inv);
    }
    const double invS = seconds(t0) / reps;
    const auto z2 = torch::randn_like(z);
    diffii::decodeLatentToImage(*sd, diffii::denoiseTwoStage(*sd, z, prompts, den));
    t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) {
        const auto c = diffii::circleInterpolate(z, z2, 0.3 * i + 0.1);
        diffii::decodeLatentToImage(*sd, diffii::denoiseTwoStage(*sd, c.z, prompts, den));
    }
    const double genS = seconds(t0) / reps;
    std::printf("%-9s image %lldx%lld: inversion %.3f s/image (50 steps), generation %.3f s/image (25 steps, CFG)\n",
                dtype == torch::kFloat32 ? "float32" : "bfloat16", static_cast<long long>(size),
                static_cast<long long>(size), invS, genS);
}

}  // namespace

int main(int argc, char** argv) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    std::string model = diffii::test::fixture("tiny-sd1");
    int threads = 2;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = std::atoi(argv[++i]);
        else
            model = argv[i];
    }
    at::globalContext().setFlushDenormal(true);
    torch::set_num_threads(threads);
    std::printf("bench_pipeline: %s, %d threads\n", model.c_str(), threads);
    const auto dtypes = diffii::bench::benchDtypes();
    run(model, torch::kFloat32, 3);
    if (diffii::bench::benchWants(dtypes, "bfloat16")) run(model, torch::kBFloat16, 3);
    return 0;
}
