// Benchmark (not a CTest test): the cost of candidate tiny-model configurations for the embedded default model.
// For each UNet / VAE config in a JSON file (DIFFII_BENCH_CONFIGS, default: the recipe's configs) it prints the
// parameter count and the median seconds of one full training step (forward, backward, AdamW) at the given batch,
// in float32 and in bfloat16 autocast, plus the batch-2 UNet forward used by a preview (CFG) step.
// Environment: DIFFII_BENCH_THREADS (default 2), DIFFII_BENCH_BATCH (default 32), DIFFII_BENCH_STEPS (default 6).
// Arguments: any number of JSON files, each {"unet": {...}} or {"vae": {...}} (diffusers configs).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <ATen/Context.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/jobs/threads.h"
#include "core/models/autoencoder_kl.h"
#include "core/models/unet_2d_condition.h"
#include "core/training/training_state.h"
#include "tests/bench_support.h"

namespace {

using namespace diffii::bench;

int64_t paramCount(torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters()) n += p.numel();
    return n;
}

template <typename StepFn>
double timeSteps(int steps, StepFn&& step) {
    std::vector<double> t;
    for (int i = 0; i < steps + 1; ++i) {
        const auto t0 = Clock::now();
        step();
        if (i > 0) t.push_back(since(t0));
    }
    return median(t);
}

}  // namespace

int main(int argc, char** argv) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    at::globalContext().setFlushDenormal(true);
    diffii::configureComputeThreads(envInt("DIFFII_BENCH_THREADS", 2));
    const int batch = envInt("DIFFII_BENCH_BATCH", 32);
    const int steps = envInt("DIFFII_BENCH_STEPS", 6);
    torch::manual_seed(0);
    std::vector<bool> precisions = {false};
    if (diffii::bench::benchWants(diffii::bench::benchDtypes(), "bfloat16")) precisions.push_back(true);
    for (int a = 1; a < argc; ++a) {
        std::ifstream in(argv[a]);
        const auto j = nlohmann::json::parse(in);
        if (j.contains("unet")) {
            auto cfg = diffii::UNet2DConditionConfig::fromJson(j["unet"], argv[a]);
            diffii::UNet2DConditionModel unet(cfg);
            const int64_t s = cfg.sampleSize;
            const int64_t ctx = cfg.crossAttentionDim[0];
            std::printf("%s: UNet %.2fM parameters, latents %lldx%lld\n", argv[a], paramCount(*unet) / 1e6,
                        (long long)s, (long long)s);
            torch::optim::AdamW opt(unet->parameters(), torch::optim::AdamWOptions(1e-4));
            for (bool bf16 : precisions) {
                const double sec = timeSteps(steps, [&] {
                    diffii::BFloat16Autocast scope(bf16);
                    auto x = torch::randn({batch, cfg.inChannels, s, s});
                    auto t = torch::randint(0, 1000, {batch}, torch::kLong);
                    auto e = torch::randn({batch, 77, ctx});
                    auto loss = (unet->forward(x, t, e).to(torch::kFloat32) - x).pow(2).mean();
                    opt.zero_grad();
                    loss.backward();
                    opt.step();
                });
                torch::NoGradGuard ng;
                const double fwd = timeSteps(steps * 3, [&] {
                    diffii::BFloat16Autocast scope(bf16);
                    auto x = torch::randn({2, cfg.inChannels, s, s});
                    auto t = torch::full({2}, 500, torch::kLong);
                    auto e = torch::randn({2, 77, ctx});
                    (void)unet->forward(x, t, e);
                });
                std::printf("  %-8s train step (batch %d) %.3f s   preview UNet call (batch 2) %.4f s\n",
                            bf16 ? "bf16" : "float32", batch, sec, fwd);
            }
        }
        if (j.contains("vae")) {
            auto cfg = diffii::AutoencoderKLConfig::fromJson(j["vae"], argv[a]);
            diffii::AutoencoderKL vae(cfg);
            const int64_t s = cfg.sampleSize;
            std::printf("%s: VAE %.2fM parameters, images %lldx%lld\n", argv[a], paramCount(*vae) / 1e6, (long long)s,
                        (long long)s);
            torch::optim::AdamW opt(vae->parameters(), torch::optim::AdamWOptions(1e-4));
            for (bool bf16 : precisions) {
                const double sec = timeSteps(steps, [&] {
                    diffii::BFloat16Autocast scope(bf16);
                    auto x = torch::rand({batch, 3, s, s}) * 2 - 1;
                    auto post = vae->encode(x);
                    auto rec = vae->decode(post.sample(torch::randn_like(post.mean))).to(torch::kFloat32);
                    auto kl =
                        0.5 * (post.mean.pow(2) + post.var() - 1.0 - post.logvar).to(torch::kFloat32).sum({1, 2, 3});
                    auto loss = (rec - x).pow(2).mean() + 1e-6 * kl.mean();
                    opt.zero_grad();
                    loss.backward();
                    opt.step();
                });
                std::printf("  %-8s train step (batch %d) %.3f s\n", bf16 ? "bf16" : "float32", batch, sec);
            }
        }
    }
    return 0;
}
