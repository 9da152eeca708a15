#include "core/pipelines/vae_tiling.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "core/jobs/memory.h"

namespace diffii {

namespace {

std::mutex& tilingMutex() {
    static std::mutex m;
    return m;
}

VaeTiling& tilingState() {
    static VaeTiling t = [] {
        VaeTiling v;
        const char* mode = std::getenv("DIFFII_VAE_TILING");
        const std::string m = mode ? mode : "";
        if (m == "on" || m == "1" || m == "always") v.mode = VaeTiling::Mode::Always;
        if (m == "off" || m == "0" || m == "never") v.mode = VaeTiling::Mode::Never;
        const char* budget = std::getenv("DIFFII_VAE_BUDGET_MIB");
        if (budget && std::atoll(budget) > 0) v.budgetBytes = std::atoll(budget) * (int64_t(1) << 20);
        return v;
    }();
    return t;
}

// One axis of n cells cut into k balanced tiles of equal length, neighbours overlapping by at least `overlap`.
struct TileAxis {
    int64_t length = 0;
    std::vector<int64_t> starts;
};

TileAxis tileAxis(int64_t n, int64_t tile, int64_t overlap) {
    TileAxis a;
    tile = std::max<int64_t>(1, tile);
    overlap = std::clamp<int64_t>(overlap, 0, tile - 1);
    if (n <= tile) {
        a.length = n;
        a.starts = {0};
        return a;
    }
    const int64_t k = (n - overlap + (tile - overlap) - 1) / (tile - overlap);
    a.length = std::min(n, (n + (k - 1) * overlap + k - 1) / k);
    for (int64_t i = 0; i < k; ++i)
        a.starts.push_back(
            k == 1 ? 0 : static_cast<int64_t>(std::llround(double(i) * double(n - a.length) / double(k - 1))));
    return a;
}

// Blend weights of tile i of an axis in output units (factor f per cell): 1 inside, linear ramps across the
// overlaps with the previous and the next tile. The caller normalises by the sum of weights.
torch::Tensor rampWeights(const TileAxis& a, size_t i, int64_t f) {
    const int64_t begin = a.starts[i] * f, len = a.length * f;
    auto pos = torch::arange(len, torch::kFloat32).add_(0.5);  // cell centres relative to begin
    auto w = torch::ones({len});
    if (i > 0) {
        const double ovl = double((a.starts[i - 1] + a.length) * f - begin);
        if (ovl > 0) w = torch::minimum(w, pos / ovl);
    }
    if (i + 1 < a.starts.size()) {
        const double ovl = double(begin + len - a.starts[i + 1] * f);
        if (ovl > 0) w = torch::minimum(w, (double(len) - pos) / ovl);
    }
    return w;
}

// Runs fn on every tile of `input` (cells of `cellIn` input pixels) and blends its outputs (cells of `cellOut`).
template <typename Fn>
torch::Tensor tiled(const torch::Tensor& input, int64_t cellIn, int64_t cellOut, int64_t tile, int64_t overlap, Fn fn) {
    const int64_t h = input.size(2) / cellIn, w = input.size(3) / cellIn;
    const auto ay = tileAxis(h, tile, overlap), ax = tileAxis(w, tile, overlap);
    torch::Tensor out, weight;
    for (size_t iy = 0; iy < ay.starts.size(); ++iy) {
        const auto wy = rampWeights(ay, iy, cellOut);
        for (size_t ix = 0; ix < ax.starts.size(); ++ix) {
            const auto part = fn(input.narrow(2, ay.starts[iy] * cellIn, ay.length * cellIn)
                                     .narrow(3, ax.starts[ix] * cellIn, ax.length * cellIn))
                                  .to(torch::kFloat32);
            if (!out.defined()) {
                // on the model's device (a GPU's tiles blend there)
                out = torch::zeros({part.size(0), part.size(1), h * cellOut, w * cellOut}, part.options());
                weight = torch::zeros({1, 1, h * cellOut, w * cellOut}, part.options());
            }
            const auto wgt = (wy.view({-1, 1}) * rampWeights(ax, ix, cellOut).view({1, -1})).to(part.device());
            out.narrow(2, ay.starts[iy] * cellOut, ay.length * cellOut)
                .narrow(3, ax.starts[ix] * cellOut, ax.length * cellOut)
                .add_(part * wgt);
            weight.narrow(2, ay.starts[iy] * cellOut, ay.length * cellOut)
                .narrow(3, ax.starts[ix] * cellOut, ax.length * cellOut)
                .add_(wgt);
        }
    }
    return out.div_(weight);
}

}  // namespace

VaeTiling vaeTiling() {
    std::lock_guard<std::mutex> lock(tilingMutex());
    return tilingState();
}

void setVaeTiling(const VaeTiling& tiling) {
    std::lock_guard<std::mutex> lock(tilingMutex());
    tilingState() = tiling;
}

int64_t estimateVaeActivationBytes(const AutoencoderKLConfig& config, int64_t batch, int64_t latentH, int64_t latentW) {
    const auto& ch = config.blockOutChannels;
    const size_t n = ch.size();
    int64_t widest = 0;
    for (size_t i = 0; i < n; ++i) {
        const int64_t scale = int64_t(1) << i, c = ch[n - 1 - i];
        widest = std::max(widest, c * latentH * scale * latentW * scale);
        if (i + 1 < n) widest = std::max(widest, c * latentH * scale * 2 * latentW * scale * 2);  // upsampled
    }
    // About four live tensors of the widest level (input, normalised, convolved, residual), float32.
    return 4 * batch * widest * int64_t(sizeof(float));
}

bool vaeShouldTile(const VaeTiling& tiling, const AutoencoderKLConfig& config, int64_t batch, int64_t latentH,
                   int64_t latentW, int64_t availableBytes) {
    if (tiling.mode == VaeTiling::Mode::Never) return false;
    if (latentH <= tiling.tileLatent && latentW <= tiling.tileLatent) return false;  // one tile: nothing to cut
    if (tiling.mode == VaeTiling::Mode::Always) return true;
    const int64_t estimate = estimateVaeActivationBytes(config, batch, latentH, latentW);
    return estimate > tiling.budgetBytes || (availableBytes >= 0 && 2 * estimate > availableBytes);
}

bool vaeShouldTile(const VaeTiling& tiling, const AutoencoderKLConfig& config, int64_t batch, int64_t latentH,
                   int64_t latentW) {
    if (tiling.mode != VaeTiling::Mode::Auto) return vaeShouldTile(tiling, config, batch, latentH, latentW, -1);
    return vaeShouldTile(tiling, config, batch, latentH, latentW, availableMemoryBytes());
}

torch::Tensor vaeDecodeTiled(AutoencoderKL& vae, const torch::Tensor& latent, int64_t tileLatent,
                             int64_t overlapLatent) {
    TORCH_CHECK(latent.dim() == 4, "VAE latent must be [B, C, H, W], got ", latent.sizes());
    return tiled(latent, 1, vae->config().downscaleFactor(), tileLatent, overlapLatent,
                 [&](const torch::Tensor& t) { return vae->decode(t); });
}

torch::Tensor vaeEncodeMeanTiled(AutoencoderKL& vae, const torch::Tensor& image, int64_t tileLatent,
                                 int64_t overlapLatent) {
    TORCH_CHECK(image.dim() == 4, "VAE image must be [B, C, H, W], got ", image.sizes());
    const int64_t f = vae->config().downscaleFactor();
    TORCH_CHECK(image.size(2) % f == 0 && image.size(3) % f == 0, "VAE image sides must be multiples of ", f, ", got ",
                image.sizes());
    return tiled(image, f, 1, tileLatent, overlapLatent,
                 [&](const torch::Tensor& t) { return vae->encodeMeanLogvar(t).first; });
}

torch::Tensor vaeDecode(AutoencoderKL& vae, const torch::Tensor& latent) {
    const auto t = vaeTiling();
    if (vaeShouldTile(t, vae->config(), latent.size(0), latent.size(2), latent.size(3)))
        return vaeDecodeTiled(vae, latent, t.tileLatent, t.overlapLatent);
    return vae->decode(latent);
}

torch::Tensor vaeEncodeMean(AutoencoderKL& vae, const torch::Tensor& image) {
    const auto t = vaeTiling();
    const int64_t f = vae->config().downscaleFactor();
    if (image.size(2) % f == 0 && image.size(3) % f == 0 &&
        vaeShouldTile(t, vae->config(), image.size(0), image.size(2) / f, image.size(3) / f))
        return vaeEncodeMeanTiled(vae, image, t.tileLatent, t.overlapLatent);
    return vae->encodeMeanLogvar(image).first;
}

}  // namespace diffii
