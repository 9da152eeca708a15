// Benchmark (not a CTest test): concept training (textual inversion + LoRA rank 10) on the tiny fixture model,
// batch 4, 32x32 images (16x16 latents), in float32 and bfloat16. Prints the median seconds per optimizer step
// (from the progress callback, first step excluded), steps/s, and a forward / backward split of one step.
// Environment: DIFFII_BENCH_THREADS (default 2), DIFFII_BENCH_STEPS (default 20), DIFFII_BENCH_DTYPES
// (default auto: float32, and bfloat16 where it is native), DIFFII_BENCH_BATCH (default 4), DIFFII_BENCH_MODEL (another
// model folder, e.g. a full-size random SD 1.5 made by ../shared/bench/make_random_sd.py; its classes then have two
// random images each), DIFFII_BENCH_SIZE (training size in pixels, default 32), DIFFII_BENCH_SPLIT (default 1: also
// time forward and backward of 5 steps; 0 skips it). Prints the peak resident memory of the process after each dtype
// (run one dtype per process to see its own).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <ATen/Context.h>
#include <torch/torch.h>

#include "core/diffii/concept_learner.h"
#include "core/diffii/concept_loss.h"
#include "core/io/image.h"
#include "core/jobs/threads.h"
#include "core/models/stable_diffusion.h"
#include "tests/bench_support.h"
#include "tests/test_support.h"

namespace {

using namespace diffii::bench;

}  // namespace

int main(int, char** argv) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    at::globalContext().setFlushDenormal(true);
    const int threads = envInt("DIFFII_BENCH_THREADS", 2);
    const int steps = std::max(3, envInt("DIFFII_BENCH_STEPS", 20));
    const int batch = std::max(1, envInt("DIFFII_BENCH_BATCH", 4));
    const char* modelEnv = std::getenv("DIFFII_BENCH_MODEL");
    const bool fixtureModel = !(modelEnv && *modelEnv);
    const std::string model = fixtureModel ? diffii::test::fixture("tiny-sd1") : modelEnv;
    const int64_t size = std::max(8, envInt("DIFFII_BENCH_SIZE", 32));
    const bool split = envInt("DIFFII_BENCH_SPLIT", 1) != 0;
    const auto dtypes = diffii::bench::benchDtypes();
    diffii::configureComputeThreads(threads);
    std::printf(
        "bench_concepts: %s, 2 classes x 2 images (%lldx%lld), batch %d, LoRA rank 10, %d steps, %d threads, CPU %s\n",
        model.c_str(), static_cast<long long>(size), static_cast<long long>(size), batch, steps, threads,
        diffii::cpuFeatures().describe().c_str());

    const auto dir = diffii::test::makeTempDir("bench-concepts");
    std::vector<diffii::ConceptClass> classes = {{"bird a", {}, {}, {}}, {"bird b", {}, {}, {}}};
    if (fixtureModel && size == 32)
        classes[0].imagePaths = {diffii::test::fixture("tiny-sd1-diffii/input_0.png"),
                                 diffii::test::fixture("tiny-sd1-diffii/input_1.png")};
    for (int c = fixtureModel && size == 32 ? 1 : 0; c < 2; ++c)
        for (int i = 0; i < 2; ++i) {
            torch::manual_seed(10 * c + i);
            const auto path = dir + "/c" + std::to_string(c) + "_" + std::to_string(i) + ".png";
            diffii::saveImagePng(path, torch::rand({3, size, size}));
            classes[static_cast<size_t>(c)].imagePaths.push_back(path);
        }

    for (const auto& [name, dtype] : std::vector<std::pair<std::string, torch::Dtype>>{
             {"float32", torch::kFloat32}, {"bfloat16", torch::kBFloat16}}) {
        if (!diffii::bench::benchWants(dtypes, name)) continue;
        try {
            auto sd = diffii::StableDiffusion::load(model, diffii::LoadSettings{dtype});
            diffii::ConceptSettings s;
            s.batchSize = batch;
            s.maxSteps = steps;
            s.checkpointEvery = 0;
            s.bf16 = dtype == torch::kBFloat16;
            s.randomFlip = true;
            s.imageSize = size;
            diffii::ConceptLearner learner(sd, classes, "bird", s);
            std::vector<double> stepSeconds;
            auto last = Clock::now();
            diffii::JobContext job;
            job.onProgress = [&](const diffii::Progress& p) {
                if (p.done <= 0) {
                    last = Clock::now();
                    return;
                }
                stepSeconds.push_back(since(last));
                last = Clock::now();
            };
            const auto t0 = Clock::now();
            const auto result = learner.train(dir + "/out-" + name, &job);
            const double total = since(t0);
            stepSeconds.erase(stepSeconds.begin());  // warm-up
            const double med = median(stepSeconds);
            std::printf(
                "  %-8s train: %.3f s/step median, %.2f steps/s (median), %.2f steps/s (job's own figure), "
                "%.1f s in all, final loss %.4f\n",
                name.c_str(), med, med > 0 ? 1.0 / med : 0.0, result.stepsPerSecond, total, result.finalLoss);

            std::printf("  %-8s peak RSS so far %.0f MiB\n", name.c_str(), peakRssMiB());
            std::fflush(stdout);
            if (!split) continue;
            // Where a step's time goes: forward (text encoder + UNet + loss) and backward.
            auto& tokenEmbedding = sd->textEncoder()->textModel->embeddings->tokenEmbedding;
            tokenEmbedding->weight.set_requires_grad(true);
            tokenEmbedding->options.sparse(true);
            diffii::DdimScheduler scheduler(sd->schedulerConfig());
            const int64_t latent = size / sd->vaeScaleFactor();
            const auto x0 = torch::randn({batch, 4, latent, latent});
            const auto noise = torch::randn({batch, 4, latent, latent});
            const auto t = torch::randint(0, 1000, {batch}, torch::kLong);
            const auto ids =
                torch::tensor(sd->tokenizer().encodePadded(diffii::conceptPrompt(learner.tokens()[0], "bird")))
                    .unsqueeze(0)
                    .repeat({batch, 1});
            std::vector<double> fwd, bwd;
            for (int i = 0; i < 6; ++i) {
                const auto a = Clock::now();
                const auto loss = diffii::conceptTrainingLoss(*sd, scheduler, x0, noise, t, ids);
                const double f = since(a);
                const auto b = Clock::now();
                loss.backward();
                const double g = since(b);
                if (i > 0) {
                    fwd.push_back(f);
                    bwd.push_back(g);
                }
                for (auto& p : learner.lora()->parameters()) p.mutable_grad() = torch::Tensor();
                tokenEmbedding->weight.mutable_grad() = torch::Tensor();
            }
            tokenEmbedding->options.sparse(false);
            tokenEmbedding->weight.set_requires_grad(false);
            std::printf("  %-8s one step: forward %.3f s, backward %.3f s (medians)\n", name.c_str(), median(fwd),
                        median(bwd));
        } catch (const std::exception& e) {
            std::printf("  %-8s failed: %s\n", name.c_str(), e.what());
        }
    }
    std::filesystem::remove_all(dir);
    return 0;
}
