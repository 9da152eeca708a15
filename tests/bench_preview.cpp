// Benchmark (not a CTest test): the preview's reuse (core/diffii/preview.h) on a sequence of slider moves — s 0.3 ->
// 0.5 -> 0.7, a suffix change, an α change — with and without reuse: denoising steps computed and seconds per move.
// Default: the demo project (emoji-sd-tiny, shipped concepts and pool) in a temporary folder; DIFFII_BENCH_PROJECT=DIR
// uses an existing project whose pool is built (e.g. one on a full-size SD 1.5), DIFFII_BENCH_CLASS names the class.
// DIFFII_BENCH_STEPS (default 25), DIFFII_BENCH_GUIDANCE (default 7.5), DIFFII_BENCH_PROFILE=FILE records the last
// move as a Chrome trace (LibTorch's profiler: every operator with its time).
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <memory>
#include <string>

#include <torch/csrc/autograd/profiler_legacy.h>

#include "core/demo/demo.h"
#include "core/diffii/preview.h"
#include "core/engine/session.h"
#include "core/jobs/precision.h"
#include "core/jobs/threads.h"
#include "core/models/stable_diffusion.h"
#include "tests/bench_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using namespace diffii::bench;

int main(int, char** argv) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    try {
        const char* projectEnv = std::getenv("DIFFII_BENCH_PROJECT");
        std::string dir, tmp;
        if (projectEnv && *projectEnv) {
            dir = projectEnv;
        } else {
            tmp = diffii::test::makeTempDir("bench-preview");
            dir = diffii::prepareDemoProject(tmp + "/project", diffii::locateDemoResources());
        }
        auto session = diffii::ProjectSession::open(dir);
        const char* classEnv = std::getenv("DIFFII_BENCH_CLASS");
        const std::string cls = classEnv && *classEnv ? classEnv : session->split().classes.front().name;
        std::printf("bench_preview: %s, class %s, model %s (%s), CPU %s\n", dir.c_str(), cls.c_str(),
                    session->project().modelDir().c_str(), session->model().precisionReason().c_str(),
                    diffii::cpuFeatures().describe().c_str());
        struct Move {
            const char* what;
            double split;
            const char* suffix;
            double alpha;
        };
        const Move moves[] = {{"s 0.3", 0.3, "on a branch", 0.4}, {"s 0.5", 0.5, "on a branch", 0.4},
                              {"s 0.7", 0.7, "on a branch", 0.4}, {"suffix", 0.7, "in the sky", 0.4},
                              {"alpha", 0.7, "in the sky", 1.3},  {"s 0.3", 0.3, "in the sky", 1.3}};
        for (const bool reuse : {false, true}) {
            auto& r = session->previewRenderer();
            r.clear();
            r.setReuse(reuse);
            int steps = 0;
            double seconds = 0;
            std::printf("%s:\n", reuse ? "with reuse" : "without reuse");
            for (const auto& m : moves) {
                diffii::PreviewParams p;
                p.className = cls;
                p.alpha = m.alpha;
                p.suffix = m.suffix;
                p.denoise.steps = envInt("DIFFII_BENCH_STEPS", 25);
                p.denoise.guidance = envDouble("DIFFII_BENCH_GUIDANCE", 7.5);
                p.denoise.split = m.split;
                const auto t0 = Clock::now();
                const char* profile = std::getenv("DIFFII_BENCH_PROFILE");
                std::unique_ptr<torch::autograd::profiler::RecordProfile> recording;
                if (profile && *profile && reuse && &m == &moves[std::size(moves) - 1])
                    recording = std::make_unique<torch::autograd::profiler::RecordProfile>(profile);
                const auto img = session->preview(p);
                recording.reset();
                const double s = since(t0);
                steps += img.computedSteps;
                seconds += s;
                std::printf("  %-7s %2d steps computed, %2d reused, %.3f s\n", m.what, img.computedSteps,
                            img.reusedSteps, s);
            }
            std::printf("  total: %d denoising steps (UNet calls, CFG batched), %.3f s\n", steps, seconds);
        }
        session.reset();
        if (!tmp.empty()) fs::remove_all(tmp);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_preview: %s\n", e.what());
        return 1;
    }
    return 0;
}
