// Timestep embeddings of the UNet, after diffusers' models/embeddings.py (get_timestep_embedding, Timesteps,
// TimestepEmbedding).
#pragma once

#include <torch/torch.h>

namespace diffii {

// Sinusoidal embedding of (possibly fractional) timesteps [N] -> [N, dim], always computed in float32 so that
// an integer timestep and its float32 value embed identically (diffusers: get_timestep_embedding).
// flipSinToCos puts the cosines first; downscaleFreqShift is diffusers' freq_shift.
torch::Tensor timestepSinusoid(const torch::Tensor& timesteps, int64_t dim, bool flipSinToCos,
                               double downscaleFreqShift, double scale = 1.0, double maxPeriod = 10000.0);

// diffusers Timesteps ("time_proj"): no parameters.
class TimestepsImpl : public torch::nn::Module {
public:
    TimestepsImpl(int64_t numChannels, bool flipSinToCos, double downscaleFreqShift);
    torch::Tensor forward(const torch::Tensor& timesteps) const;

private:
    int64_t m_numChannels;
    bool m_flipSinToCos;
    double m_downscaleFreqShift;
};
TORCH_MODULE(Timesteps);

// diffusers TimestepEmbedding ("time_embedding"): linear_1 -> SiLU -> linear_2.
class TimestepEmbeddingImpl : public torch::nn::Module {
public:
    TimestepEmbeddingImpl(int64_t inChannels, int64_t timeEmbedDim);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Linear linear_1{nullptr};
    torch::nn::Linear linear_2{nullptr};
};
TORCH_MODULE(TimestepEmbedding);

}  // namespace diffii
