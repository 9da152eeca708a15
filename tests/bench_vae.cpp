// Benchmark (not a CTest test): VAE decode and encode of a full-size model at real image sizes, in the layouts and
// tilings the pipeline can use — contiguous (NCHW), channels-last (NHWC; AutoencoderKL::setChannelsLast) and tiled
// (core/pipelines/vae_tiling.h, default tiles) — with the seconds of each, the resident memory each one adds above
// the loaded model (VmHWM reset through /proc/self/clear_refs), and the largest difference from the contiguous
// untiled result. Rounds alternate the modes so that a noisy machine affects them alike; the fastest round counts.
// Environment: DIFFII_BENCH_MODEL (or argv[1]; default /work/sd15-random), DIFFII_BENCH_SIZES (default 512,768),
// DIFFII_BENCH_ROUNDS (default 2), DIFFII_BENCH_DTYPES (float32/bfloat16, default auto), DIFFII_BENCH_THREADS (2).
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/jobs/block_cache.h"
#include "core/jobs/precision.h"
#include "core/jobs/threads.h"
#include "core/models/stable_diffusion.h"
#include "core/pipelines/vae_tiling.h"
#include "tests/bench_support.h"

using namespace diffii::bench;

namespace {

double statusMiB(const char* key) {
    std::ifstream status("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(key) + ":";
    while (std::getline(status, line))
        if (line.rfind(prefix, 0) == 0) return std::atof(line.c_str() + prefix.size()) / 1024.0;
    return 0;
}

// Runs f and returns {seconds, MiB of resident memory above what was resident before}.
template <typename F>
std::pair<double, double> measure(F&& f) {
    diffii::releaseCachedBlocks();
    std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current resident size
    const double before = statusMiB("VmRSS");
    const auto t0 = Clock::now();
    f();
    const double seconds = since(t0);
    return {seconds, statusMiB("VmHWM") - before};
}

struct Result {
    double seconds = 1e30;
    double peakMiB = 0;
    double maxDiff = 0;

    // One run: its {seconds, MiB} and output, against the first mode's output (ref, set by the first run).
    void add(std::pair<double, double> run, const torch::Tensor& out, torch::Tensor& ref) {
        seconds = std::min(seconds, run.first);
        peakMiB = std::max(peakMiB, run.second);
        const auto f = out.to(torch::kFloat32);
        if (!ref.defined()) ref = f;
        maxDiff = std::max(maxDiff, (f - ref).abs().max().item<double>());
    }
};

}  // namespace

int main(int argc, char** argv) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    try {
        const std::string model = benchModelFolder(argc, argv, "bench_vae");
        if (model.empty()) return 2;
        std::vector<int64_t> sizes;
        {
            const char* s = std::getenv("DIFFII_BENCH_SIZES");
            std::stringstream list(s && *s ? s : "512,768");
            for (std::string item; std::getline(list, item, ',');) sizes.push_back(std::stoll(item));
        }
        const int rounds = std::max(1, envInt("DIFFII_BENCH_ROUNDS", 2));
        diffii::configureComputeThreads(envInt("DIFFII_BENCH_THREADS", 2));
        std::printf("bench_vae: %s, %d round(s), %d threads\n  CPU: %s\n", model.c_str(), rounds, at::get_num_threads(),
                    diffii::cpuFeatures().describe().c_str());
        torch::NoGradGuard noGrad;
        const char* modes[] = {"contiguous", "channels-last", "tiled"};
        for (const auto& dtypeName : benchDtypes()) {
            diffii::LoadSettings ls;
            ls.dtype = dtypeName == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
            auto sd = diffii::StableDiffusion::load(model, ls);
            sd->releaseTextEncoder();
            auto& vae = sd->vae();
            const auto tiling = diffii::vaeTiling();
            for (const int64_t size : sizes) {
                torch::manual_seed(0);
                const int64_t f = sd->vaeScaleFactor();
                const auto latent = torch::randn({1, vae->config().latentChannels, size / f, size / f});
                const auto image = torch::rand({1, vae->config().inChannels, size, size}) * 2 - 1;
                std::map<std::string, Result> decode, encode;
                torch::Tensor refDecode, refEncode;
                for (int r = 0; r < rounds; ++r) {
                    for (const std::string mode : modes) {
                        vae->setChannelsLast(mode == "channels-last");
                        const bool tiled = mode == "tiled";
                        torch::Tensor out;
                        const auto decoding = measure([&] {
                            out = tiled ? diffii::vaeDecodeTiled(vae, latent, tiling.tileLatent, tiling.overlapLatent)
                                        : vae->decode(latent);
                        });
                        decode[mode].add(decoding, out, refDecode);
                        const auto encoding = measure([&] {
                            out = tiled
                                      ? diffii::vaeEncodeMeanTiled(vae, image, tiling.tileLatent, tiling.overlapLatent)
                                      : vae->encodeMeanLogvar(image).first;
                        });
                        encode[mode].add(encoding, out, refEncode);
                    }
                }
                vae->setChannelsLast(false);
                std::printf("%s %lldx%lld (tiles of %lld latent pixels, overlap %lld):\n", dtypeName.c_str(),
                            static_cast<long long>(size), static_cast<long long>(size),
                            static_cast<long long>(tiling.tileLatent), static_cast<long long>(tiling.overlapLatent));
                for (const std::string mode : modes)
                    std::printf(
                        "  %-13s decode %6.2f s  +%5.0f MiB  max|diff| %.2e   encode %6.2f s  +%5.0f MiB  "
                        "max|diff| %.2e\n",
                        mode.c_str(), decode[mode].seconds, decode[mode].peakMiB, decode[mode].maxDiff,
                        encode[mode].seconds, encode[mode].peakMiB, encode[mode].maxDiff);
                std::fflush(stdout);
            }
        }
        std::printf("  CPU: %s\n", diffii::cpuFeatures().describe().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_vae: %s\n", e.what());
        return 1;
    }
    return 0;
}
