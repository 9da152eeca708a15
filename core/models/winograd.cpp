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
    const int64_t groupRows = std::clamp<int64_t>(kWinogradGroupFloats / (16 * std::max(cin, cout) * tw), 1, rowsTotal);
    const int64_t maxTiles = groupRows * tw;
    // Scratch from LibTorch's allocator (core/jobs/block_cache.h keeps freed blocks for reuse): a buffer per calling
    // thread would be allocated anew, page by page, on every guidance step's new helper thread.
    auto scratch = torch::empty({16 * (cin + cout) * maxTiles}, x.options());
    const float* xp = x.data_ptr<float>();
    const float* up = u.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    float* vp = scratch.data_ptr<float>();
    float* mp = vp + 16 * cin * maxTiles;
    const float* bp = b.defined() ? b.data_ptr<float>() : nullptr;
    for (int64_t g0 = 0; g0 < rowsTotal; g0 += groupRows) {
        const int64_t g1 = std::min(rowsTotal, g0 + groupRows), tiles = (g1 - g0) * tw;
        auto inputs = [&](int64_t c0, int64_t c1) {
            std::vector<float> buf(winogradInputBufferFloats(tw));
            for (int64_t c = c0; c < c1; ++c)
                winogradInputRows(xp, cin, c, h, w, th, tw, g0, g1, vp + c * tiles, cin * tiles, buf.data());
        };
        at::parallel_for(0, cin, 1, inputs);
        // M_p [Cout, tiles] = U_p [Cout, Cin] V_p [Cin, tiles], the 16 products over the threads
        std::atomic<bool> done{true};
        auto gemms = [&](int64_t p0, int64_t p1) {
            for (int64_t p = p0; p < p1; ++p)
                if (!onednnSgemm('N', 'N', cout, tiles, cin, 1.0f, up + p * cout * cin, cin, vp + p * cin * tiles,
                                 tiles, 0.0f, mp + p * cout * tiles, tiles))
                    done = false;
        };
        at::parallel_for(0, 16, 1, gemms);
        if (!done) {
            auto mView = torch::from_blob(mp, {16, cout, tiles}, x.options());
            torch::bmm_out(mView, u, torch::from_blob(vp, {16, cin, tiles}, x.options()));
        }
        at::parallel_for(0, cout, 1, [&](int64_t co0, int64_t co1) {
            std::vector<float> buf(winogradOutputBufferFloats(tw));
            for (int64_t co = co0; co < co1; ++co)
                winogradOutputRows(mp + co * tiles, cout * tiles, bp ? bp[co] : 0.0f, yp, cout, co, h, w, th, tw, g0,
                                   g1, buf.data());
        });
    }
    return y;
}

}  // namespace diffii
