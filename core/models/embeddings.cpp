#include "core/models/embeddings.h"

#include <cmath>

namespace diffii {

torch::Tensor timestepSinusoid(const torch::Tensor& timesteps, int64_t dim, bool flipSinToCos,
                               double downscaleFreqShift, double scale, double maxPeriod) {
    TORCH_CHECK(timesteps.dim() == 1, "timesteps must be one-dimensional, got ", timesteps.sizes());
    const int64_t half = dim / 2;
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(timesteps.device());
    // Same operation order as diffusers so that float32 rounding matches: exp(-log(P) * i / (half - shift)).
    auto exponent = torch::arange(0, half, f32) * static_cast<float>(-std::log(maxPeriod));
    exponent = exponent / static_cast<float>(half - downscaleFreqShift);
    auto emb = timesteps.to(torch::kFloat32).unsqueeze(1) * torch::exp(exponent).unsqueeze(0);
    if (scale != 1.0) emb = emb * scale;
    emb = flipSinToCos ? torch::cat({torch::cos(emb), torch::sin(emb)}, -1)
                       : torch::cat({torch::sin(emb), torch::cos(emb)}, -1);
    if (dim % 2 == 1) emb = torch::constant_pad_nd(emb, {0, 1});
    return emb;
}

TimestepsImpl::TimestepsImpl(int64_t numChannels, bool flipSinToCos, double downscaleFreqShift)
    : m_numChannels(numChannels), m_flipSinToCos(flipSinToCos), m_downscaleFreqShift(downscaleFreqShift) {}

torch::Tensor TimestepsImpl::forward(const torch::Tensor& timesteps) const {
    return timestepSinusoid(timesteps, m_numChannels, m_flipSinToCos, m_downscaleFreqShift);
}

TimestepEmbeddingImpl::TimestepEmbeddingImpl(int64_t inChannels, int64_t timeEmbedDim) {
    linear_1 = register_module("linear_1", torch::nn::Linear(inChannels, timeEmbedDim));
    linear_2 = register_module("linear_2", torch::nn::Linear(timeEmbedDim, timeEmbedDim));
}

torch::Tensor TimestepEmbeddingImpl::forward(const torch::Tensor& x) { return linear_2(torch::silu(linear_1(x))); }

}  // namespace diffii
