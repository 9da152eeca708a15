// DDIM sampling (Song et al. 2020, eq. 12) and DDIM inversion, numerically matching diffusers 0.25.1's
// DDIMScheduler and DDIMInverseScheduler: the noise schedule is built with the same float32 torch ops (so
// alphas_cumprod is bit-exact), and every step runs the same sequence of float32 tensor ops on 0-dim tensors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

namespace diffii {

enum class BetaSchedule { Linear, ScaledLinear, SquaredCosCapV2 };
enum class PredictionType { Epsilon, VPrediction, Sample };
enum class TimestepSpacing { Leading, Trailing, Linspace };

// The names diffusers uses in scheduler_config.json ("scaled_linear", "v_prediction", "leading", ...).
const char* betaScheduleName(BetaSchedule schedule);
const char* predictionTypeName(PredictionType type);
const char* timestepSpacingName(TimestepSpacing spacing);

// The DDIM-relevant keys of a scheduler_config.json. Defaults are DDIMScheduler's: a key absent from the file
// takes DDIM's default even when the file belongs to another scheduler class (an SD 1.5 PNDM file has no
// prediction_type, and DDIM's clip_sample default true applies only when the file lacks clip_sample).
struct DdimConfig {
    int64_t numTrainTimesteps = 1000;
    double betaStart = 0.0001;
    double betaEnd = 0.02;
    BetaSchedule betaSchedule = BetaSchedule::Linear;
    std::optional<std::vector<double>> trainedBetas;  // overrides betaSchedule when present
    bool clipSample = true;
    double clipSampleRange = 1.0;
    bool setAlphaToOne = true;
    int64_t stepsOffset = 0;
    PredictionType predictionType = PredictionType::Epsilon;
    TimestepSpacing timestepSpacing = TimestepSpacing::Leading;
    bool rescaleBetasZeroSnr = false;
    bool thresholding = false;  // dynamic thresholding is not implemented: true is rejected
    double dynamicThresholdingRatio = 0.995;
    double sampleMaxValue = 1.0;
    std::string className;  // "_class_name" of the file, informational
    std::string file;       // where the config came from, for error messages (may be empty)

    // Unknown keys (skip_prk_steps, _diffusers_version, ...) are ignored, as diffusers does. An unknown
    // beta_schedule / prediction_type / timestep_spacing, thresholding true, or an out-of-range number is a
    // diffii::Error naming the file, the key and the value.
    static DdimConfig fromJson(const nlohmann::json& json, const std::string& file);
    static DdimConfig fromFile(const std::string& path);
};

struct DdimStepOutput {
    torch::Tensor prevSample;          // DdimScheduler: the less noisy latent; DdimInverseScheduler: the noisier one
    torch::Tensor predOriginalSample;  // predicted x0
};

// betas and alphas_cumprod of a config, float32 [numTrainTimesteps] (shared by both schedulers).
struct NoiseSchedule {
    torch::Tensor betas;
    torch::Tensor alphas;
    torch::Tensor alphasCumprod;
    static NoiseSchedule fromConfig(const DdimConfig& config);
};

class DdimScheduler {
public:
    using StepOutput = DdimStepOutput;

    explicit DdimScheduler(DdimConfig config);

    const DdimConfig& config() const { return m_config; }

    // Throws diffii::Error unless 1 <= numInferenceSteps <= numTrainTimesteps.
    void setTimesteps(int numInferenceSteps);
    int numInferenceSteps() const { return m_numInferenceSteps; }
    // Descending, e.g. 901, 801, ..., 1 for 10 "leading" steps with steps_offset 1. Empty before setTimesteps.
    const std::vector<int64_t>& timesteps() const { return m_timesteps; }
    // t - numTrainTimesteps / numInferenceSteps (may be negative: the final step then uses finalAlphaCumprod).
    int64_t prevTimestep(int64_t t) const;

    // One reverse step from timestep t. eta > 0 adds sigma_t * varianceNoise; without varianceNoise the noise
    // is drawn with torch::randn_like (the global generator) — pass the noise for reproducible results.
    StepOutput step(const torch::Tensor& modelOutput, int64_t t, const torch::Tensor& sample, double eta = 0.0,
                    const torch::Tensor* varianceNoise = nullptr) const;

    // sqrt(a_t) * x0 + sqrt(1 - a_t) * noise, one timestep per batch item (timesteps: int64 [B] or 0-dim).
    torch::Tensor addNoise(const torch::Tensor& originalSamples, const torch::Tensor& noise,
                           const torch::Tensor& timesteps) const;
    // v = sqrt(a_t) * noise - sqrt(1 - a_t) * x0.
    torch::Tensor getVelocity(const torch::Tensor& sample, const torch::Tensor& noise,
                              const torch::Tensor& timesteps) const;

    torch::Tensor betas() const { return m_schedule.betas; }
    torch::Tensor alphasCumprod() const { return m_schedule.alphasCumprod; }
    // 0-dim float32: 1 when set_alpha_to_one, else alphas_cumprod[0].
    torch::Tensor finalAlphaCumprod() const { return m_finalAlphaCumprod; }
    double initNoiseSigma() const { return 1.0; }

private:
    void requireTimesteps(const char* what) const;

    DdimConfig m_config;
    NoiseSchedule m_schedule;
    torch::Tensor m_finalAlphaCumprod;
    int m_numInferenceSteps = 0;
    std::vector<int64_t> m_timesteps;
};

// DDIM inversion (diffusers DDIMInverseScheduler): timesteps ascend, and step(modelOutput, t, sample) moves the
// sample from the level of timestep currentTimestep(t) = min(t - numTrain / numInference, numTrain - 1)
// (initialAlphaCumprod when that is negative, i.e. at the first step) to the level alphas_cumprod[t]. The UNet is
// evaluated at the target timestep t, as the diffusers pipelines do. Only "leading" and "trailing" spacings.
class DdimInverseScheduler {
public:
    using StepOutput = DdimStepOutput;

    // Throws diffii::Error for timestep_spacing "linspace" (diffusers' inverse scheduler rejects it too).
    explicit DdimInverseScheduler(DdimConfig config);

    const DdimConfig& config() const { return m_config; }

    void setTimesteps(int numInferenceSteps);
    int numInferenceSteps() const { return m_numInferenceSteps; }
    // Ascending, e.g. 1, 101, ..., 901 for 10 "leading" steps with steps_offset 1.
    const std::vector<int64_t>& timesteps() const { return m_timesteps; }
    int64_t currentTimestep(int64_t t) const;

    // prevSample is the next, noisier latent (diffusers keeps the name prev_sample).
    StepOutput step(const torch::Tensor& modelOutput, int64_t t, const torch::Tensor& sample) const;

    torch::Tensor betas() const { return m_schedule.betas; }
    torch::Tensor alphasCumprod() const { return m_schedule.alphasCumprod; }
    // 0-dim float32: 1 when set_alpha_to_one, else alphas_cumprod[0].
    torch::Tensor initialAlphaCumprod() const { return m_initialAlphaCumprod; }
    double initNoiseSigma() const { return 1.0; }

private:
    DdimConfig m_config;
    NoiseSchedule m_schedule;
    torch::Tensor m_initialAlphaCumprod;
    int m_numInferenceSteps = 0;
    std::vector<int64_t> m_timesteps;
};

}  // namespace diffii
