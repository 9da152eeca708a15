// Does bfloat16 pay on this CPU? One 320->320 3x3 convolution on a 32x32 map (a SD 1.5 UNet block's) and one
// 512x768 by 768x768 matrix product, in float32 and in bfloat16: seconds (median of DIFFII_BENCH_CALLS, default 5)
// and max-abs error against float64, beside the error of rounding the inputs alone to bfloat16. Where bfloat16 is
// native (AVX512_BF16, oneDNN) it is several times faster than float32 with an error near the rounding; where it is
// not (AVX2-only CPUs, or ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 on a newer one) it is slower and far less
// accurate. Prints core/jobs/precision.h's decision beside it.
#include <cstdio>
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "core/jobs/precision.h"
#include "core/jobs/threads.h"
#include "tests/bench_support.h"

using namespace diffii::bench;

namespace {

double timeIt(int calls, const std::function<torch::Tensor()>& f, torch::Tensor* out) {
    *out = f();  // warm-up (oneDNN primitive creation)
    std::vector<double> s;
    for (int i = 0; i < calls; ++i) {
        const auto t0 = Clock::now();
        *out = f();
        s.push_back(since(t0));
    }
    return median(s);
}

void measure(const char* what, const std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>& op,
             const torch::Tensor& a, const torch::Tensor& b, int calls) {
    torch::NoGradGuard ng;
    const auto ref = op(a.to(torch::kFloat64), b.to(torch::kFloat64));
    const auto rounded = op(a.to(torch::kBFloat16).to(torch::kFloat64), b.to(torch::kBFloat16).to(torch::kFloat64));
    const double roundingError = (rounded - ref).abs().max().item<double>();
    torch::Tensor out32, out16;
    const auto a16 = a.to(torch::kBFloat16), b16 = b.to(torch::kBFloat16);
    const double t32 = timeIt(
        calls, [&] { return op(a, b); }, &out32);
    const double t16 = timeIt(
        calls, [&] { return op(a16, b16); }, &out16);
    std::printf(
        "%-34s float32 %.4f s (error %.2g)   bfloat16 %.4f s (error %.3g; rounding the inputs alone %.3g)   "
        "bfloat16/float32 time %.2fx\n",
        what, t32, (out32.to(torch::kFloat64) - ref).abs().max().item<double>(), t16,
        (out16.to(torch::kFloat64) - ref).abs().max().item<double>(), roundingError, t16 / t32);
}

}  // namespace

int main(int, char** argv) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    const int threads = diffii::configureComputeThreads(envInt("DIFFII_BENCH_THREADS", 0));
    const int calls = std::max(1, envInt("DIFFII_BENCH_CALLS", 5));
    std::printf("bench_precision: %d threads, median of %d calls\n%s", threads, calls, diffii::systemReport().c_str());
    torch::manual_seed(0);
    const auto x = torch::randn({1, 320, 32, 32});
    const auto w = torch::randn({320, 320, 3, 3}) * 0.02;
    measure(
        "conv 320->320 3x3 on 1x320x32x32",
        [](const torch::Tensor& a, const torch::Tensor& b) { return torch::conv2d(a, b, {}, 1, 1); }, x, w, calls);
    const auto m = torch::randn({512, 768});
    const auto k = torch::randn({768, 768}) * 0.04;
    measure(
        "matmul 512x768 by 768x768", [](const torch::Tensor& a, const torch::Tensor& b) { return torch::mm(a, b); }, m,
        k, calls);
    return 0;
}
