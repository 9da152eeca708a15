// Benchmark (not a CTest test): one call of the full-size SD 1.5 UNet (manifests/sd15/unet/config.json, random
// weights) on batch 2, 64x64 latents, encoder_hidden_states (2, 77, 768), in float32 and bfloat16.
// Prints the median seconds per call after a warm-up and the peak resident memory.
// Environment: DIFFII_BENCH_THREADS (default 2), DIFFII_BENCH_CALLS (default 3), DIFFII_BENCH_DTYPES
// ("float32,bfloat16" by default; run one dtype per process to see its own peak memory).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <ATen/Context.h>
#include <torch/torch.h>

#include "core/models/layers.h"
#include "core/models/unet_2d_condition.h"
#include "tests/test_support.h"

namespace {

int envInt(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
}

double peakRssMiB() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double currentRssMiB() {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

}  // namespace

int main() {
    at::globalContext().setFlushDenormal(true);
    const int threads = envInt("DIFFII_BENCH_THREADS", 2);
    const int calls = std::max(1, envInt("DIFFII_BENCH_CALLS", 3));
    const char* dtypesEnv = std::getenv("DIFFII_BENCH_DTYPES");
    const std::string dtypes = dtypesEnv && *dtypesEnv ? dtypesEnv : "float32,bfloat16";
    torch::set_num_threads(threads);
    torch::NoGradGuard noGrad;
    std::printf("bench_unet: SD 1.5 UNet, batch 2, 64x64 latents, context (2, 77, 768), %d threads, median of %d calls\n",
                threads, calls);
    std::printf("  MKLDNN available: %s\n", at::hasMKLDNN() ? "yes" : "no");

    const auto config =
        diffii::UNet2DConditionConfig::fromFile(diffii::test::fixture("manifests/sd15/unet/config.json"));
    torch::manual_seed(0);
    const auto sample = torch::randn({2, 4, 64, 64});
    const auto timestep = torch::tensor({981, 17}, torch::kInt64);
    const auto context = torch::randn({2, 77, 768});

    for (const auto& [name, dtype] : std::vector<std::pair<std::string, torch::Dtype>>{
             {"float32", torch::kFloat32}, {"bfloat16", torch::kBFloat16}}) {
        if (dtypes.find(name) == std::string::npos) continue;
        diffii::UNet2DConditionModel unet(config);
        unet->eval();
        if (dtype != torch::kFloat32) diffii::toComputeDtype(*unet, dtype);
        const double weightsRss = currentRssMiB();
        std::vector<double> seconds;
        torch::Tensor out;
        for (int i = 0; i <= calls; ++i) {  // call 0 is the warm-up
            const auto t0 = std::chrono::steady_clock::now();
            out = unet->forward(sample, timestep, context);
            const auto t1 = std::chrono::steady_clock::now();
            if (i > 0) seconds.push_back(std::chrono::duration<double>(t1 - t0).count());
            std::printf("  %s call %d: %.3f s\n", name.c_str(), i, std::chrono::duration<double>(t1 - t0).count());
        }
        std::sort(seconds.begin(), seconds.end());
        std::printf("%s: %.3f s per call (median), output finite: %s, RSS with weights %.0f MiB, peak RSS so far %.0f MiB\n",
                    name.c_str(), seconds[seconds.size() / 2],
                    torch::isfinite(out).all().item<bool>() ? "yes" : "no", weightsRss, peakRssMiB());
        std::fflush(stdout);
    }
    return 0;
}
