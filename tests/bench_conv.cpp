// The 3x3 convolutions of the embedded model (and of SD 1.5 at 64x64 latents with DIFFII_BENCH_SD15=1) through
// diffii::Conv2d, Winograd F(2x2, 3x3) (core/models/winograd.h) against oneDNN's direct convolution with the weight
// prepacked, alternating in one process; one thread and all threads. Columns: the direct convolution, diffii::Conv2d
// as it chooses (Winograd where winogradFits says it pays), and Winograd forced. Not a timed test: it prints figures.
#include <cstdio>

#include <torch/torch.h>

#include "core/jobs/precision.h"
#include "core/jobs/threads.h"
#include "core/models/layers.h"
#include "core/models/winograd.h"
#include "tests/bench_support.h"

namespace {

struct Shape {
    int64_t batch, cin, cout, side;
};

double timeCalls(diffii::Conv2d& conv, const torch::Tensor& x, int reps) {
    const auto t0 = diffii::bench::Clock::now();
    for (int i = 0; i < reps; ++i) (void)conv(x);
    return diffii::bench::since(t0) / reps;
}

}  // namespace

int main(int, char** argv) {
    diffii::prepareProcess(argv);
    const int threads = diffii::configureComputeThreads();
    std::printf("bench_conv: CPU %s, kernels %s\n", diffii::cpuFeatures().describe().c_str(),
                diffii::cpuFeatures().onednnAvx512 ? "oneDNN AVX-512" : "oneDNN AVX2 or less");
    std::vector<Shape> shapes = {{1, 48, 48, 16},  {1, 96, 48, 16},  {1, 144, 48, 16}, {1, 96, 96, 16},
                                 {1, 48, 96, 8},   {1, 96, 96, 8},   {1, 144, 96, 8},  {1, 224, 96, 8},
                                 {1, 128, 128, 8}, {1, 128, 128, 4}, {1, 64, 64, 64},  {1, 64, 64, 32}};
    if (diffii::bench::envInt("DIFFII_BENCH_SD15", 0) == 1)
        shapes = {{2, 320, 320, 64}, {2, 640, 640, 32}, {2, 640, 320, 64}, {2, 1280, 1280, 16}, {2, 1280, 1280, 8}};
    torch::NoGradGuard noGrad;
    for (const int t : {1, threads}) {
        at::set_num_threads(t);
        std::printf("%d thread(s)\n  %-22s %10s %10s %7s %10s %7s %9s\n", t, "batch x in -> out, side", "direct ms",
                    "Conv2d ms", "ratio", "forced ms", "ratio", "max diff");
        for (size_t si = 0; si < shapes.size(); ++si) {
            const auto& s = shapes[si];
            if (diffii::bench::envInt("DIFFII_BENCH_ONLY", -1) >= 0 &&
                static_cast<size_t>(diffii::bench::envInt("DIFFII_BENCH_ONLY", -1)) != si)
                continue;
            torch::manual_seed(1);
            diffii::Conv2d direct(torch::nn::Conv2dOptions(s.cin, s.cout, 3).padding(1));
            diffii::Conv2d wino(torch::nn::Conv2dOptions(s.cin, s.cout, 3).padding(1));
            {
                torch::NoGradGuard ng;
                wino->weight.copy_(direct->weight);
                wino->bias.copy_(direct->bias);
            }
            const auto u = diffii::winogradKernel(direct->weight);  // for the forced column
            diffii::setConvPacking(*direct, true);
            diffii::setConvPacking(*wino, true);
            direct->setWinograd(false);
            const auto x = torch::randn({s.batch, s.cin, s.side, s.side});
            const double diff = (direct(x) - wino(x)).abs().max().item<double>();  // also packs / transforms
            const double flop = 2.0 * s.batch * s.side * s.side * s.cin * s.cout * 9;
            const int reps = std::max(3, static_cast<int>(2e9 / flop));
            std::vector<double> d, w, f;
            for (int r = 0; r < 5; ++r) {
                d.push_back(timeCalls(direct, x, reps));
                w.push_back(timeCalls(wino, x, reps));
                const auto t0 = diffii::bench::Clock::now();
                for (int i = 0; i < reps; ++i) (void)diffii::winogradConv3x3(x, u, wino->bias);
                f.push_back(diffii::bench::since(t0) / reps);
            }
            const double md = diffii::bench::median(d), mw = diffii::bench::median(w), mf = diffii::bench::median(f);
            std::printf("  %ld x %4ld -> %4ld, %3ld  %10.4f %10.4f %6.2fx %10.4f %6.2fx %9.2e  (direct %.0f GFLOP/s)\n",
                        long(s.batch), long(s.cin), long(s.cout), long(s.side), md * 1e3, mw * 1e3, md / mw, mf * 1e3,
                        md / mf, diff, flop / md * 1e-9);
        }
    }
    return 0;
}
