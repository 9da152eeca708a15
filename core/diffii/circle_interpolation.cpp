#include "core/diffii/circle_interpolation.h"

#include <cmath>
#include <random>

#include <torch/torch.h>

#include "core/io/error.h"

namespace diffii {
namespace {
// Below this sin θ, θ itself is float32 rounding noise (acos near ±1 resolves ~3e-4 rad) and 1/sin θ amplifies it.
constexpr double kMinSinTheta = 1e-3;
}  // namespace

double circleTheta(const at::Tensor& z1, const at::Tensor& z2) {
    if (!z1.sizes().equals(z2.sizes())) throw Error("circle interpolation: latents have different shapes");
    const auto a = z1.to(torch::kFloat32), b = z2.to(torch::kFloat32);
    const auto cosine = (a * b).sum() / (a.norm() * b.norm());
    return torch::acos(cosine.clamp(-1.0, 1.0)).item<double>();
}

CircleInterpolation circleInterpolate(const at::Tensor& z1, const at::Tensor& z2, double alpha) {
    if (!std::isfinite(alpha)) throw Error("circle interpolation: alpha is not finite");
    CircleInterpolation r;
    r.theta = circleTheta(z1, z2);
    r.alpha = alpha;
    r.period = r.theta > 0 ? circlePeriod(r.theta) : INFINITY;
    // α is periodic (period 2π/θ): one far outside any period is first brought into one, in double, where float32
    // would overflow (α = 1e300 gave NaN latents). Values a user or a sample meets (|α| ≤ 1e6) are used as given, so
    // that the formula stays the reference's.
    if (std::abs(alpha) > 1e6 && std::isfinite(r.period)) alpha = std::fmod(alpha, r.period);
    const auto a = z1.to(torch::kFloat32), b = z2.to(torch::kFloat32);
    const double s = std::sin(r.theta);
    if (std::isfinite(r.theta) && s > kMinSinTheta) {
        // Float32 scalar arithmetic, as the reference evaluates the formula on float32 tensors.
        const float theta = static_cast<float>(r.theta);
        const float al = static_cast<float>(alpha);
        const float sinT = std::sin(theta);
        const float c1 = std::sin((1.0f + al) * theta) / sinT;
        const float c2 = std::sin(al * theta) / sinT;
        r.z = c1 * a - c2 * b;
        return r;
    }
    // Degenerate: rotate z1 in the plane of z1 and the part of z2 orthogonal to it, by angle αθ.
    r.degenerate = true;
    const auto u = a / a.norm();
    auto w = b - (b * u).sum() * u;
    const double wn = w.norm().item<double>();
    if (wn < 1e-5 * b.norm().item<double>()) {
        r.z = a.clone();
        return r;
    }
    w = w / wn;
    const double angle = alpha * r.theta;
    r.z = a.norm() * (std::cos(angle) * u - std::sin(angle) * w);
    return r;
}

double sampleCircleAlpha(double theta, uint64_t seed) {
    if (!(theta > 0)) return 0.0;
    std::mt19937_64 rng(seed);
    // 53 random bits -> [0, 1), portable (std::uniform_real_distribution is implementation-defined).
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    return u * circlePeriod(theta);
}

}  // namespace diffii
