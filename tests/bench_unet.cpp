// Benchmark (not a CTest test): one call of the full-size SD 1.5 UNet (manifests/sd15/unet/config.json, random
// weights) on batch 2, 64x64 latents, encoder_hidden_states (2, 77, 768), in float32 and bfloat16.
// Prints the median seconds per call after a warm-up and the peak resident memory.
// Environment: DIFFII_BENCH_THREADS (default 2), DIFFII_BENCH_CALLS (default 3), DIFFII_BENCH_DTYPES
// (default auto: float32, and bfloat16 where it is native; run one dtype per process to see its own peak memory),
// DIFFII_BENCH_PROFILE (a path prefix: the last call of each dtype is recorded as a Chrome trace
// <prefix>.<dtype>.json), DIFFII_BENCH_PEER (default 1: after our calls of a dtype, run the reference peer
// ../shared/bench/diffusers_unet.py with /usr/bin/python3 for the same dtype and print both times and the ratio;
// 0 skips it), DIFFII_BENCH_PEER_REPS (default 2; the peer reports the fastest of its reps, so compare it with our
// fastest call, also printed). Also prints the machine's measured peak (a 2048^3 product in each dtype, the faster
// of torch::mm and a oneDNN 1x1 convolution) and our GFLOP/s against it (1,607 GFLOP per call, the peer's count).
// On a shared machine all of these are noisy: run on a quiet one.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <ATen/Context.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include "core/jobs/threads.h"
#include "core/models/layers.h"
#include "core/models/unet_2d_condition.h"
#include "tests/bench_support.h"
#include "tests/test_support.h"

namespace {

using diffii::bench::envInt;
using diffii::bench::peakRssMiB;

// Process CPU seconds (user + system), a steadier figure than wall time on a shared machine.
double cpuSeconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double currentRssMiB() {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// Seconds per call of the reference peer for `dtype` ("fp32"/"bf16"), or a negative number when it cannot run.
double peerSeconds(const std::string& dtype, int reps) {
    const std::string script = diffii::test::fixturesDir() + "/../bench/diffusers_unet.py";
    if (!std::ifstream(script) || !std::ifstream("/usr/bin/python3")) return -1.0;
    const std::string cmd = "DTYPES=" + dtype + " /usr/bin/python3 '" + script + "' '" +
                            diffii::test::fixture("manifests/sd15") + "' " + std::to_string(reps) + " 2>/dev/null";
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) return -1.0;
    std::string text;
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe)) text += buf;
    pclose(pipe);
    const std::string key = "\"" + dtype + "_s_per_call\": ";
    const auto at = text.find(key);
    return at == std::string::npos ? -1.0 : std::atof(text.c_str() + at + key.size());
}

// GFLOP/s of a 2048^3 product in dtype: the faster of torch::mm and oneDNN (a 1x1 convolution).
double peakGflops(torch::Dtype dtype) {
    const int64_t n = 2048;
    const auto a = torch::randn({n, n}).to(dtype), b = torch::randn({n, n}).to(dtype);
    const auto image = a.as_strided({1, n, 1, n}, {n * n, 1, n * n, n});
    const auto kernel = b.view({n, n, 1, 1});
    double best = 1e30;
    for (int i = 0; i < 3; ++i) {
        for (int way = 0; way < 2; ++way) {
            const auto t0 = std::chrono::steady_clock::now();
            if (way == 0)
                torch::mm(a, b);
            else
                at::mkldnn_convolution(image, kernel, c10::nullopt, {0, 0}, {1, 1}, {1, 1}, 1);
            best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
    }
    return 2.0 * double(n) * double(n) * double(n) / best / 1e9;
}

constexpr double kGflopPerCall = 1607.0;  // SD 1.5, batch 2, 64x64, as the peer's profiler counts it

}  // namespace

int main(int, char** argv) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    at::globalContext().setFlushDenormal(true);
    const int threads = envInt("DIFFII_BENCH_THREADS", 2);
    const int calls = std::max(1, envInt("DIFFII_BENCH_CALLS", 3));
    const auto dtypes = diffii::bench::benchDtypes();
    diffii::configureComputeThreads(threads);
    torch::NoGradGuard noGrad;
    std::printf(
        "bench_unet: SD 1.5 UNet, batch 2, 64x64 latents, context (2, 77, 768), %d threads, median of %d calls\n",
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
        if (!diffii::bench::benchWants(dtypes, name)) continue;
        diffii::UNet2DConditionModel unet(config);
        unet->eval();
        if (dtype != torch::kFloat32) diffii::toComputeDtype(*unet, dtype);
        diffii::setConvPacking(*unet, true);  // as StableDiffusion::load does on the CPU (DIFFII_PACK_WEIGHTS=0: off)
        const double weightsRss = currentRssMiB();
        std::vector<double> seconds, cpu;
        torch::Tensor out;
        for (int i = 0; i <= calls; ++i) {  // call 0 is the warm-up
            const double c0 = cpuSeconds();
            const auto t0 = std::chrono::steady_clock::now();
            const char* profile = std::getenv("DIFFII_BENCH_PROFILE");
            if (profile && *profile && i == calls) {
                torch::autograd::profiler::RecordProfile guard(std::string(profile) + "." + name + ".json");
                out = unet->forward(sample, timestep, context);
            } else {
                out = unet->forward(sample, timestep, context);
            }
            const auto t1 = std::chrono::steady_clock::now();
            const double wall = std::chrono::duration<double>(t1 - t0).count(), used = cpuSeconds() - c0;
            if (i > 0) {
                seconds.push_back(wall);
                cpu.push_back(used);
            }
            std::printf("  %s call %d: %.3f s wall, %.3f CPU-s\n", name.c_str(), i, wall, used);
        }
        std::sort(seconds.begin(), seconds.end());
        std::sort(cpu.begin(), cpu.end());
        const double peak = peakGflops(dtype);
        std::printf(
            "%s: %.3f s per call (median; %.3f CPU-s), output finite: %s, RSS with weights %.0f MiB, "
            "peak RSS so far %.0f MiB\n",
            name.c_str(), seconds[seconds.size() / 2], cpu[cpu.size() / 2],
            torch::isfinite(out).all().item<bool>() ? "yes" : "no", weightsRss, peakRssMiB());
        std::printf("%s: whole process so far: %s\n", name.c_str(), diffii::bench::faultsLine().c_str());
        std::printf(
            "%s: fastest call %.3f s = %.0f GFLOP/s, %.0f%% of the measured peak %.0f GFLOP/s (2048^3 product)\n",
            name.c_str(), seconds.front(), kGflopPerCall / seconds.front(),
            100.0 * kGflopPerCall / seconds.front() / peak, peak);
        std::fflush(stdout);
        if (envInt("DIFFII_BENCH_PEER", 1) != 0) {
            const std::string peerName = dtype == torch::kFloat32 ? "fp32" : "bf16";
            const double peer = peerSeconds(peerName, std::max(1, envInt("DIFFII_BENCH_PEER_REPS", 2)));
            if (peer > 0)
                std::printf("%s on %s: ours %.3f s (fastest), reference (diffusers, fastest) %.3f s, ratio %.2fx\n",
                            name.c_str(), diffii::cpuFeatures().describe().c_str(), seconds.front(), peer,
                            peer / seconds.front());
            else
                std::printf(
                    "%s: reference peer not run (../shared/bench/diffusers_unet.py or /usr/bin/python3 missing)\n",
                    name.c_str());
            std::fflush(stdout);
        }
    }
    return 0;
}
