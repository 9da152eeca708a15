#include "core/models/winograd.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include <ATen/Parallel.h>

#include "core/models/layers.h"
#include "core/models/winograd_kernels.h"

namespace diffii {

namespace {

// Transformed values of one tile group kept at once (V and M each): 1 Mi floats, 4 MiB.
constexpr int64_t kWinogradGroupFloats = int64_t(1) << 20;
// Multiply-adds per tile position (cin x cout x tiles) from which several threads run one phase at a time.
constexpr int64_t kWinogradLargeProducts = int64_t(1) << 24;

std::atomic<bool> withoutOnednn{false};  // winogradWithoutOnednnForTest

// One convolution's operands: x [N, Cin, H, W] and y [N, Cout, H, W] float32 contiguous, the kernel u [16, Cout, Cin],
// the bias (nullptr: none), th x tw tiles of 2x2 outputs per image. A group is the tile rows [g0, g1) of all images
// stacked ((g1 - g0) * tw tiles): its transformed input V [16, Cin, tiles] and products M [16, Cout, tiles].
struct WinogradCall {
    const float* x;
    const float* u;
    const float* bias;
    float* y;
    int64_t cin, cout, h, w, th, tw;
};

void transformInput(const WinogradCall& c, int64_t g0, int64_t g1, int64_t c0, int64_t c1, float* v, float* buf) {
    const int64_t tiles = (g1 - g0) * c.tw;
    for (int64_t ci = c0; ci < c1; ++ci)
        winogradInputRows(c.x, c.cin, ci, c.h, c.w, c.th, c.tw, g0, g1, v + ci * tiles, c.cin * tiles, buf);
}

void transformOutput(const WinogradCall& c, int64_t g0, int64_t g1, int64_t co0, int64_t co1, const float* m,
                     float* buf) {
    const int64_t tiles = (g1 - g0) * c.tw;
    for (int64_t co = co0; co < co1; ++co)
        winogradOutputRows(m + co * tiles, c.cout * tiles, c.bias ? c.bias[co] : 0.0f, c.y, c.cout, co, c.h, c.w, c.th,
                           c.tw, g0, g1, buf);
}

// M_p [Cout, tiles] = U_p [Cout, Cin] V_p [Cin, tiles] for the 16 positions p by oneDNN's sgemm; false when this
// process has no oneDNN (nothing written then).
bool productsOnednn(const WinogradCall& c, int64_t tiles, const float* v, float* m) {
    if (withoutOnednn) return false;
    for (int64_t p = 0; p < 16; ++p)
        if (!onednnSgemm('N', 'N', c.cout, tiles, c.cin, 1.0f, c.u + p * c.cout * c.cin, c.cin, v + p * c.cin * tiles,
                         tiles, 0.0f, m + p * c.cout * tiles, tiles))
            return false;
    return true;
}

// The same by LibTorch's bmm (not from LibTorch's worker threads).
void productsLibTorch(const WinogradCall& c, int64_t tiles, float* v, float* m) {
    const auto options = torch::TensorOptions().dtype(torch::kFloat32);
    auto out = torch::from_blob(m, {16, c.cout, tiles}, options);
    torch::bmm_out(out, torch::from_blob(const_cast<float*>(c.u), {16, c.cout, c.cin}, options),
                   torch::from_blob(v, {16, c.cin, tiles}, options));
}

// Large convolutions on several threads (SD 1.5's 320..1280 channels at 16x16..64x64): the groups one after the
// other, each phase over all threads: the transforms split by channel, the products by oneDNN's own threading.
void winogradLarge(const WinogradCall& c, int64_t rowsTotal, const torch::TensorOptions& options) {
    const int64_t groupRows =
        std::clamp<int64_t>(kWinogradGroupFloats / (16 * std::max(c.cin, c.cout) * c.tw), 1, rowsTotal);
    auto scratch = torch::empty({16 * (c.cin + c.cout) * groupRows * c.tw}, options);
    float* v = scratch.data_ptr<float>();
    float* m = v + 16 * c.cin * groupRows * c.tw;
    for (int64_t g0 = 0; g0 < rowsTotal; g0 += groupRows) {
        const int64_t g1 = std::min(rowsTotal, g0 + groupRows);
        at::parallel_for(0, c.cin, 1, [&](int64_t c0, int64_t c1) {
            std::vector<float> buf(winogradInputBufferFloats(c.tw));
            transformInput(c, g0, g1, c0, c1, v, buf.data());
        });
        if (!productsOnednn(c, (g1 - g0) * c.tw, v, m)) productsLibTorch(c, (g1 - g0) * c.tw, v, m);
        at::parallel_for(0, c.cout, 1, [&](int64_t co0, int64_t co1) {
            std::vector<float> buf(winogradOutputBufferFloats(c.tw));
            transformOutput(c, g0, g1, co0, co1, m, buf.data());
        });
    }
}

}  // namespace

torch::Tensor winogradKernel(const torch::Tensor& weight) {
    TORCH_CHECK(weight.dim() == 4 && weight.size(2) == 3 && weight.size(3) == 3,
                "winogradKernel: a [out, in, 3, 3] weight expected, got ", weight.sizes());
    torch::NoGradGuard noGrad;
    const auto g = weight.detach().to(torch::kCPU, torch::kFloat64).contiguous();  // [Cout, Cin, 3, 3]
    const auto G =
        torch::tensor({1.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0.0, 0.0, 1.0}, torch::kFloat64).view({4, 3});
    // U[co, ci] = G g[co, ci] G^T -> [Cout, Cin, 4, 4] -> [16, Cout, Cin]
    const auto u = torch::matmul(torch::matmul(G, g), G.t());
    return u.permute({2, 3, 0, 1}).reshape({16, weight.size(0), weight.size(1)}).to(torch::kFloat32).contiguous();
}

torch::Tensor winogradKernelNow(const torch::Tensor& weight) {
    TORCH_CHECK(weight.dim() == 4 && weight.size(2) == 3 && weight.size(3) == 3 &&
                    weight.scalar_type() == torch::kFloat32 && weight.device().is_cpu(),
                "winogradKernelNow: a float32 CPU [out, in, 3, 3] weight expected, got ", weight.sizes());
    const auto g = weight.contiguous();
    const int64_t cout = g.size(0), cin = g.size(1);
    auto u = torch::empty({16, cout, cin}, g.options());
    const float* gp = g.data_ptr<float>();
    float* up = u.data_ptr<float>();
    at::parallel_for(0, cout, 1, [&](int64_t co0, int64_t co1) {
        std::vector<float> buf(9 * cin);
        winogradKernelRows(gp, co0, co1, cout, cin, up, buf.data());
    });
    return u;
}

torch::Tensor winogradConv3x3(const torch::Tensor& xIn, const torch::Tensor& u, const torch::Tensor& bias) {
    TORCH_CHECK(xIn.dim() == 4 && xIn.scalar_type() == torch::kFloat32 && xIn.device().is_cpu(),
                "winogradConv3x3: a float32 CPU [N, C, H, W] input expected");
    TORCH_CHECK(u.dim() == 3 && u.size(0) == 16 && u.size(2) == xIn.size(1), "winogradConv3x3: kernel ", u.sizes(),
                " does not fit input ", xIn.sizes());
    const auto x = xIn.contiguous();
    const int64_t n = x.size(0), cin = x.size(1), h = x.size(2), w = x.size(3), cout = u.size(1);
    const int64_t th = (h + 1) / 2, tw = (w + 1) / 2, rowsTotal = n * th;
    auto y = torch::empty({n, cout, h, w}, x.options());
    if (y.numel() == 0) return y;
    const auto b = bias.defined() ? bias.to(torch::kFloat32).contiguous() : torch::Tensor();
    const float* bp = b.defined() ? b.data_ptr<float>() : nullptr;
    const WinogradCall c{x.data_ptr<float>(), u.data_ptr<float>(), bp, y.data_ptr<float>(), cin, cout, h, w, th, tw};
    // Tile rows in groups, each group's transformed tiles within kWinogradGroupFloats, and at least one group per
    // thread; the groups are independent (transform, 16 products, transform back), so the threads share no data and
    // meet at no barrier: one parallel region per call. Measured on two threads (tests/bench_conv.cpp) it is still
    // 0.3-0.6x the direct convolution on most of the embedded model's shapes, for a reason not found (not the
    // allocation, not oneDNN's sgemm opening nested OpenMP regions): Conv2d takes this route only on a thread
    // computing alone.
    const int64_t threads = at::in_parallel_region() ? 1 : std::max(1, at::get_num_threads());
    if (threads > 1 && cin * cout * rowsTotal * tw >= kWinogradLargeProducts) {
        winogradLarge(c, rowsTotal, x.options());
        return y;
    }
    const int64_t budgetRows = std::max<int64_t>(1, kWinogradGroupFloats / (16 * std::max(cin, cout) * tw));
    const int64_t groups = std::max((rowsTotal + budgetRows - 1) / budgetRows, std::min(threads, rowsTotal));
    const int64_t groupRows = (rowsTotal + groups - 1) / groups;
    std::atomic<bool> noOnednn{false};
    // Scratch for each thread, taken here on the calling thread (one allocation; the block cache reuses large ones).
    const int64_t perThread = 16 * (cin + cout) * groupRows * tw;
    const int64_t slots = std::min(threads, groups);  // LibTorch's team: at most one thread per group, per thread
    auto scratch = torch::empty({slots * perThread}, x.options());
    at::parallel_for(0, groups, 1, [&](int64_t first, int64_t last) {
        const int64_t slot = at::in_parallel_region() ? at::get_thread_num() : 0;
        TORCH_INTERNAL_ASSERT(slot < slots, "winogradConv3x3: thread ", slot, " of a team of ", slots);
        float* v = scratch.data_ptr<float>() + slot * perThread;
        float* m = v + 16 * cin * groupRows * tw;
        std::vector<float> inBuf(winogradInputBufferFloats(tw)), outBuf(winogradOutputBufferFloats(tw));
        for (int64_t group = first; group < last; ++group) {
            const int64_t g0 = group * groupRows, g1 = std::min(rowsTotal, g0 + groupRows);
            if (g1 <= g0) continue;
            transformInput(c, g0, g1, 0, cin, v, inBuf.data());
            if (!productsOnednn(c, (g1 - g0) * tw, v, m)) {
                noOnednn = true;
                return;
            }
            transformOutput(c, g0, g1, 0, cout, m, outBuf.data());
        }
    });
    if (noOnednn) {
        // Without oneDNN's sgemm: the whole image as one group, its 16 products by LibTorch's bmm.
        auto vm = torch::empty({16 * (cin + cout) * rowsTotal * tw}, x.options());
        float* v = vm.data_ptr<float>();
        float* m = v + 16 * cin * rowsTotal * tw;
        std::vector<float> inBuf(winogradInputBufferFloats(tw)), outBuf(winogradOutputBufferFloats(tw));
        transformInput(c, 0, rowsTotal, 0, cin, v, inBuf.data());
        productsLibTorch(c, rowsTotal * tw, v, m);
        transformOutput(c, 0, rowsTotal, 0, cout, m, outBuf.data());
    }
    return y;
}

bool winogradWithoutOnednnForTest(bool without) { return withoutOnednn.exchange(without); }

}  // namespace diffii
