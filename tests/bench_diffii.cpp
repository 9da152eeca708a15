// Benchmark (not a CTest test): one whole Diff-II image, ours beside the reference, in one run on one machine.
// Ours: the work of `diffii pair` (core/diffii/pair.cpp) — encode two images, DDIM-invert both (guidance 1), circle
// interpolation, two-stage CFG denoising (guidance 7.5, s 0.5), decode — on a full-size SD folder made by
//   /usr/bin/python3 ../shared/bench/make_random_sd.py ../shared/fixtures/manifests/sd15 \
//       ../shared/fixtures/tiny-sd1/tokenizer /work/sd15-random f16
// The peer: ../shared/bench/diffusers_diffii.py on the same folder with the same steps and size, run by this program
// (rounds interleaved ours/peer; the minimum of each is compared). Prints per-stage seconds, the ratio, the peak
// RSS of both (ours: VmHWM of this process; the peer's: ru_maxrss of the waited-for children) and the CPU model.
// Environment: DIFFII_BENCH_MODEL (the folder; or argv[1]), DIFFII_BENCH_SIZE (image side, default 256),
// DIFFII_BENCH_INVERT_STEPS (default 10), DIFFII_BENCH_STEPS (default 10), DIFFII_BENCH_ROUNDS (default 1),
// DIFFII_BENCH_DTYPES (float32 and/or bfloat16; default auto), DIFFII_BENCH_THREADS (default 2),
// DIFFII_BENCH_PEER (0: ours only), DIFFII_BENCH_PEER_SCRIPT (default ../shared/bench/diffusers_diffii.py),
// DIFFII_BENCH_PROFILE=PREFIX (the decode recorded as a Chrome trace PREFIX.decode.json).
// Run one dtype per process to see its own peak memory.
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/diffii/circle_interpolation.h"
#include "core/diffii/preview.h"
#include "core/jobs/threads.h"
#include "core/models/stable_diffusion.h"
#include "core/pipelines/sd_pipeline.h"
#include "tests/bench_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using namespace diffii::bench;

namespace {

double childrenPeakRssMiB() {
    rusage u{};
    getrusage(RUSAGE_CHILDREN, &u);
    return double(u.ru_maxrss) / 1024.0;
}

using Stages = std::map<std::string, double>;

Stages runOurs(diffii::StableDiffusion& sd, int64_t size, int invertSteps, int steps) {
    torch::manual_seed(0);
    const auto images = torch::rand({2, 3, size, size});  // [0, 1]; the pipeline maps to [-1, 1]
    Stages s;
    auto t0 = Clock::now();
    diffii::PreviewRenderer renderer(sd);
    const auto& prompts = renderer.prompts("a photo of a bench", "in the snow", "");
    sd.releaseTextEncoder();  // as `diffii pair` (core/diffii/pair.cpp)
    s["text_s"] = since(t0);
    t0 = Clock::now();
    // As `diffii pair` (core/diffii/pair.cpp): both images encoded, then inverted together as one batch.
    const auto x = torch::cat({diffii::encodeImageToLatent(sd, images[0]), diffii::encodeImageToLatent(sd, images[1])});
    s["encode_s"] = since(t0);
    t0 = Clock::now();
    sd.loadUNet();  // as `diffii pair`: the UNet is read once the prompts and images are encoded
    const double unetLoad = since(t0);
    t0 = Clock::now();
    diffii::InversionSettings inv;
    inv.steps = invertSteps;
    inv.guidance = 1.0;
    const auto inverted = diffii::ddimInvert(sd, x, prompts, inv);
    const torch::Tensor z[2] = {inverted.narrow(0, 0, 1), inverted.narrow(0, 1, 1)};
    s["invert_s"] = since(t0);
    t0 = Clock::now();
    diffii::PreviewParams params;
    params.suffix = "in the snow";
    params.denoise.steps = steps;
    params.denoise.guidance = 7.5;
    params.denoise.split = 0.5;
    params.alpha = 0.3 * (2 * M_PI / diffii::circleTheta(z[0], z[1]));
    // What PreviewRenderer::renderPair does for `diffii pair`, stage by stage.
    const auto circle = diffii::circleInterpolate(z[0], z[1], params.alpha);
    const auto latents = diffii::denoiseTwoStage(sd, circle.z, prompts, params.denoise);
    sd.releaseUNet();  // as `diffii pair`, before its decode
    s["denoise_s"] = since(t0);
    t0 = Clock::now();
    torch::Tensor image;
    {
        const char* profile = std::getenv("DIFFII_BENCH_PROFILE");
        std::unique_ptr<torch::autograd::profiler::RecordProfile> recording;
        if (profile && *profile)
            recording =
                std::make_unique<torch::autograd::profiler::RecordProfile>(std::string(profile) + ".decode.json");
        image = diffii::decodeLatentToImage(sd, latents);
    }
    s["decode_s"] = since(t0);
    if (!torch::isfinite(image).all().item<bool>()) std::printf("  ours: the image is not finite\n");
    double total = 0;
    for (const auto& [k, v] : s) total += v;
    s["total_s"] = total;
    s["unet_load_s"] = unetLoad;  // not in the total: the peer's model is loaded before its clock starts, as ours
    return s;
}

Stages runPeer(const std::string& script, const std::string& model, const std::string& dtype, int64_t size,
               int invertSteps, int steps, int threads) {
    const std::string cmd = "THREADS=" + std::to_string(threads) + " /usr/bin/python3 '" + script + "' '" + model +
                            "' " + dtype + " " + std::to_string(invertSteps) + " " + std::to_string(steps) + " " +
                            std::to_string(size) + " 2>&1";
    Stages s;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return s;
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    const int rc = pclose(p);
    const auto brace = out.rfind('{');
    if (rc != 0 || brace == std::string::npos) {
        std::printf("  peer failed (exit %d): %s\n", rc, out.substr(out.size() > 2000 ? out.size() - 2000 : 0).c_str());
        return s;
    }
    const auto j = nlohmann::json::parse(out.substr(brace), nullptr, false);
    if (j.is_discarded()) return s;
    for (const auto& [k, v] : j.items())
        if (v.is_number() && k.size() > 2 && k.substr(k.size() - 2) == "_s") s[k] = v.get<double>();
    return s;
}

void printStages(const char* who, const Stages& s) {
    std::printf("  %-5s", who);
    for (const char* k : {"text_s", "encode_s", "invert_s", "denoise_s", "decode_s", "total_s", "unet_load_s"}) {
        const auto it = s.find(k);
        if (it != s.end()) std::printf(" %s %.2f", k, it->second);
    }
    std::printf("\n");
    std::fflush(stdout);
}

Stages minOf(const std::vector<Stages>& runs) {
    Stages m;
    for (const auto& r : runs)
        for (const auto& [k, v] : r)
            if (!m.count(k) || v < m[k]) m[k] = v;
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    try {
        const std::string model = benchModelFolder(argc, argv, "bench_diffii");
        if (model.empty()) return 2;
        const int64_t size = envInt("DIFFII_BENCH_SIZE", 256);
        const int invertSteps = envInt("DIFFII_BENCH_INVERT_STEPS", 10);
        const int steps = envInt("DIFFII_BENCH_STEPS", 10);
        const int rounds = std::max(1, envInt("DIFFII_BENCH_ROUNDS", 1));
        const int threads = envInt("DIFFII_BENCH_THREADS", 2);
        const bool peer = envInt("DIFFII_BENCH_PEER", 1) != 0;
        const char* scriptEnv = std::getenv("DIFFII_BENCH_PEER_SCRIPT");
        const std::string script =
            scriptEnv && *scriptEnv
                ? scriptEnv
                : (fs::path(diffii::test::fixturesDir()).parent_path() / "bench" / "diffusers_diffii.py").string();
        std::printf(
            "bench_diffii: %s, %lldx%lld, %d inversion steps (guidance 1) + %d two-stage CFG steps "
            "(guidance 7.5, s 0.5), %d threads, %d round(s), peer %s\n",
            model.c_str(), static_cast<long long>(size), static_cast<long long>(size), invertSteps, steps, threads,
            rounds, peer ? script.c_str() : "off");
        const auto dtypes = benchDtypes();
        diffii::configureComputeThreads(threads);
        torch::NoGradGuard noGrad;
        for (const auto& name : dtypes) {
            std::vector<Stages> ours, theirs;
            for (int r = 0; r < rounds; ++r) {
                // Loaded per round: runOurs releases the text encoder once the prompts are encoded, as `diffii pair`.
                const auto t0 = Clock::now();
                diffii::LoadSettings ls;
                ls.dtype = name == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
                ls.deferUNet = true;  // as `diffii pair`
                auto sd = diffii::StableDiffusion::load(model, ls);
                std::printf("%s: loaded in %.1f s (peak RSS so far %.0f MiB)\n", name.c_str(), since(t0), peakRssMiB());
                ours.push_back(runOurs(*sd, size, invertSteps, steps));
                sd.reset();
                printStages("ours", ours.back());
                if (peer) {
                    theirs.push_back(runPeer(script, model, name == "bfloat16" ? "bf16" : "fp32", size, invertSteps,
                                             steps, threads));
                    printStages("peer", theirs.back());
                }
            }
            const auto a = minOf(ours), b = minOf(theirs);
            std::printf("%s (min over rounds):\n", name.c_str());
            printStages("ours", a);
            if (!b.empty()) {
                printStages("peer", b);
                // The peer does not encode prompts (random embeddings): compare the same stages.
                const double oursWork = a.at("total_s") - a.at("text_s");
                std::printf("  ratio peer/ours (stages both do): %.2fx; with our text encoding %.2fx\n",
                            b.at("total_s") / oursWork, b.at("total_s") / a.at("total_s"));
            }
            std::printf("  peak RSS: ours %.0f MiB (whole process: load + %s work), peer %.0f MiB\n", peakRssMiB(),
                        name.c_str(), peer ? childrenPeakRssMiB() : 0.0);
            std::printf("  ours, whole process so far: %s\n", faultsLine().c_str());
            std::printf("  CPU: %s\n", diffii::cpuFeatures().describe().c_str());
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_diffii: %s\n", e.what());
        return 1;
    }
    return 0;
}
