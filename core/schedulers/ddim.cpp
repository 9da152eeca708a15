#include "core/schedulers/ddim.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/models/config_limits.h"

namespace diffii {
namespace {

std::string where(const std::string& file) { return file.empty() ? std::string("scheduler config") : file; }

[[noreturn]] void badValue(const std::string& file, const std::string& key, const std::string& value,
                           const std::string& expected) {
    throw Error(where(file) + ": key '" + key + "' has unsupported value " + value + " (expected " + expected + ")");
}

template <typename Enum, size_t N>
Enum parseEnum(const nlohmann::json& json, const std::string& key, Enum fallback, const std::string& file,
               const std::pair<const char*, Enum> (&names)[N]) {
    const auto it = json.find(key);
    if (it == json.end() || it->is_null()) return fallback;
    if (!it->is_string()) badValue(file, key, it->dump(), "a string");
    const std::string value = it->get<std::string>();
    std::string expected;
    for (const auto& [name, e] : names) {
        if (value == name) return e;
        expected += (expected.empty() ? "" : ", ") + std::string(name);
    }
    badValue(file, key, "\"" + value + "\"", "one of " + expected);
}

const std::pair<const char*, BetaSchedule> kBetaSchedules[] = {{"linear", BetaSchedule::Linear},
                                                               {"scaled_linear", BetaSchedule::ScaledLinear},
                                                               {"squaredcos_cap_v2", BetaSchedule::SquaredCosCapV2}};
const std::pair<const char*, PredictionType> kPredictionTypes[] = {{"epsilon", PredictionType::Epsilon},
                                                                   {"v_prediction", PredictionType::VPrediction},
                                                                   {"sample", PredictionType::Sample}};
const std::pair<const char*, TimestepSpacing> kSpacings[] = {{"leading", TimestepSpacing::Leading},
                                                             {"trailing", TimestepSpacing::Trailing},
                                                             {"linspace", TimestepSpacing::Linspace}};

std::string numberText(double v) {
    std::ostringstream os;
    os.precision(17);
    os << v;
    return os.str();
}

// Glide's cosine schedule (diffusers betas_for_alpha_bar, "cosine"): computed in double, stored as float32.
torch::Tensor cosineBetas(int64_t n, double maxBeta = 0.999) {
    const auto alphaBar = [](double t) {
        const double c = std::cos((t + 0.008) / 1.008 * M_PI / 2.0);
        return c * c;
    };
    std::vector<double> betas(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        const double t1 = static_cast<double>(i) / static_cast<double>(n);
        const double t2 = static_cast<double>(i + 1) / static_cast<double>(n);
        betas[static_cast<size_t>(i)] = std::min(1.0 - alphaBar(t2) / alphaBar(t1), maxBeta);
    }
    return torch::tensor(betas, torch::kFloat64).to(torch::kFloat32);
}

// Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1 (diffusers
// rescale_zero_terminal_snr), with the same float32 tensor ops.
torch::Tensor rescaleZeroTerminalSnr(const torch::Tensor& betas) {
    const auto alphas = 1.0 - betas;
    const auto alphasCumprod = torch::cumprod(alphas, 0);
    auto sqrtBar = alphasCumprod.sqrt();
    const auto first = sqrtBar[0].clone();
    const auto last = sqrtBar[-1].clone();
    sqrtBar -= last;
    sqrtBar *= first / (first - last);
    const auto bar = sqrtBar.pow(2);
    const auto ratios = bar.slice(0, 1) / bar.slice(0, 0, -1);
    return 1 - torch::cat({bar.slice(0, 0, 1), ratios});
}

// numpy.arange(start, stop, step) for doubles: length ceil((stop - start) / step); element i is
// start + i * (x1 - start) with x1 = start + step, exactly as numpy fills it.
std::vector<double> numpyArange(double start, double stop, double step) {
    const double len = std::ceil((stop - start) / step);
    std::vector<double> out;
    if (!(len > 0)) return out;
    const auto n = static_cast<size_t>(len);
    out.resize(n);
    out[0] = start;
    if (n > 1) {
        const double delta = (start + step) - start;
        for (size_t i = 1; i < n; ++i) out[i] = start + static_cast<double>(i) * delta;
    }
    return out;
}

// numpy.round: round half to even (the default rounding mode of nearbyint).
int64_t numpyRound(double v) { return static_cast<int64_t>(std::nearbyint(v)); }

void checkSteps(const DdimConfig& config, int numInferenceSteps) {
    if (numInferenceSteps < 1 || numInferenceSteps > config.numTrainTimesteps)
        throw Error("DDIM: num_inference_steps must be in [1, " + std::to_string(config.numTrainTimesteps) +
                    "] (num_train_timesteps of " + where(config.file) + "), got " + std::to_string(numInferenceSteps));
}

void checkTimestep(const DdimConfig& config, int64_t t, const char* what) {
    if (t < 0 || t >= config.numTrainTimesteps)
        throw Error(std::string(what) + ": timestep must be in [0, " + std::to_string(config.numTrainTimesteps - 1) +
                    "], got " + std::to_string(t));
}

void checkSameShape(const torch::Tensor& modelOutput, const torch::Tensor& sample, const char* what) {
    if (!modelOutput.sizes().equals(sample.sizes())) {
        std::ostringstream os;
        os << what << ": model output shape " << modelOutput.sizes() << " differs from sample shape " << sample.sizes();
        throw Error(os.str());
    }
}

// Step 3 of both diffusers schedulers: the predicted x0 and epsilon for each prediction type; alphaProdT and
// betaProdT are 0-dim float32 tensors, as in diffusers, so that the float32 ops and their order are the same.
std::pair<torch::Tensor, torch::Tensor> predictOriginalAndEpsilon(const DdimConfig& config,
                                                                  const torch::Tensor& modelOutput,
                                                                  const torch::Tensor& sample,
                                                                  const torch::Tensor& alphaProdT,
                                                                  const torch::Tensor& betaProdT) {
    switch (config.predictionType) {
        case PredictionType::Epsilon:
            return {(sample - betaProdT.pow(0.5) * modelOutput) / alphaProdT.pow(0.5), modelOutput};
        case PredictionType::Sample:
            return {modelOutput, (sample - alphaProdT.pow(0.5) * modelOutput) / betaProdT.pow(0.5)};
        case PredictionType::VPrediction:
            return {alphaProdT.pow(0.5) * sample - betaProdT.pow(0.5) * modelOutput,
                    alphaProdT.pow(0.5) * modelOutput + betaProdT.pow(0.5) * sample};
    }
    throw Error("DDIM: unknown prediction type");
}

// sqrt(a_t) and sqrt(1 - a_t) gathered per batch item and shaped [B, 1, 1, ...] to broadcast over x.
std::pair<torch::Tensor, torch::Tensor> noiseLevels(const torch::Tensor& alphasCumprodF32, const torch::Tensor& x,
                                                    const torch::Tensor& timesteps) {
    const auto alphasCumprod = alphasCumprodF32.to(x.device(), x.scalar_type());
    const auto t = timesteps.to(x.device()).to(torch::kLong);
    auto sqrtAlpha = alphasCumprod.index({t}).pow(0.5).flatten();
    auto sqrtOneMinus = (1 - alphasCumprod.index({t})).pow(0.5).flatten();
    while (sqrtAlpha.dim() < x.dim()) sqrtAlpha = sqrtAlpha.unsqueeze(-1);
    while (sqrtOneMinus.dim() < x.dim()) sqrtOneMinus = sqrtOneMinus.unsqueeze(-1);
    return {sqrtAlpha, sqrtOneMinus};
}

}  // namespace

const char* betaScheduleName(BetaSchedule schedule) {
    for (const auto& [name, e] : kBetaSchedules)
        if (e == schedule) return name;
    return "?";
}

const char* predictionTypeName(PredictionType type) {
    for (const auto& [name, e] : kPredictionTypes)
        if (e == type) return name;
    return "?";
}

const char* timestepSpacingName(TimestepSpacing spacing) {
    for (const auto& [name, e] : kSpacings)
        if (e == spacing) return name;
    return "?";
}

DdimConfig DdimConfig::fromJson(const nlohmann::json& json, const std::string& file) {
    if (!json.is_object()) throw Error(where(file) + ": expected a JSON object, got " + std::string(json.type_name()));
    DdimConfig c;
    c.file = file;
    // diffusers writes every __init__ argument into scheduler_config.json; these four define the noise schedule
    // and every scheduler class of every diffusers version has them. The rest keep DDIMScheduler's defaults.
    jsonRequireKeys(json, {"num_train_timesteps", "beta_start", "beta_end", "beta_schedule"}, where(file),
                    "diffusers writes it into every scheduler config");
    c.className = jsonValue<std::string>(json, "_class_name", "", file);
    c.numTrainTimesteps = jsonInt(json, "num_train_timesteps", 1, limits::kMaxTrainTimesteps, where(file));
    c.betaStart = jsonNumber(json, "beta_start", 0.0, 1.0, where(file));
    c.betaEnd = jsonNumber(json, "beta_end", 0.0, 1.0, where(file));
    c.betaSchedule = parseEnum(json, "beta_schedule", c.betaSchedule, file, kBetaSchedules);
    if (const auto it = json.find("trained_betas"); it != json.end() && !it->is_null()) {
        if (!it->is_array())
            throwKeyError(where(file), "trained_betas", "must be a list of numbers or null, got " + jsonExcerpt(*it));
        if (static_cast<int64_t>(it->size()) != c.numTrainTimesteps)
            badValue(file, "trained_betas", "of length " + std::to_string(it->size()),
                     "num_train_timesteps = " + std::to_string(c.numTrainTimesteps) + " values");
        std::vector<double> betas;
        for (size_t i = 0; i < it->size(); ++i) {
            const std::string key = "trained_betas[" + std::to_string(i) + "]";
            betas.push_back(jsonNumberIn((*it)[i], key, 0.0, 1.0, where(file)));
            if (betas.back() <= 0.0 || betas.back() >= 1.0)
                badValue(file, key, numberText(betas.back()), "0 < beta < 1");
        }
        c.trainedBetas = std::move(betas);
    }
    c.clipSample = jsonValue<bool>(json, "clip_sample", c.clipSample, file);
    c.clipSampleRange = jsonNumber(json, "clip_sample_range", 0.0, 1e6, where(file), c.clipSampleRange);
    c.setAlphaToOne = jsonValue<bool>(json, "set_alpha_to_one", c.setAlphaToOne, file);
    c.stepsOffset = jsonInt(json, "steps_offset", 0, c.numTrainTimesteps - 1, where(file), c.stepsOffset);
    c.predictionType = parseEnum(json, "prediction_type", c.predictionType, file, kPredictionTypes);
    c.timestepSpacing = parseEnum(json, "timestep_spacing", c.timestepSpacing, file, kSpacings);
    c.rescaleBetasZeroSnr = jsonValue<bool>(json, "rescale_betas_zero_snr", c.rescaleBetasZeroSnr, file);
    c.thresholding = jsonValue<bool>(json, "thresholding", c.thresholding, file);
    c.dynamicThresholdingRatio =
        jsonNumber(json, "dynamic_thresholding_ratio", 0.0, 1.0, where(file), c.dynamicThresholdingRatio);
    c.sampleMaxValue = jsonNumber(json, "sample_max_value", 0.0, 1e6, where(file), c.sampleMaxValue);

    if (!c.trainedBetas && c.betaSchedule != BetaSchedule::SquaredCosCapV2) {
        if (!(c.betaStart > 0.0 && c.betaStart < 1.0))
            badValue(file, "beta_start", numberText(c.betaStart), "0 < beta < 1");
        if (!(c.betaEnd > 0.0 && c.betaEnd < 1.0)) badValue(file, "beta_end", numberText(c.betaEnd), "0 < beta < 1");
        if (c.betaEnd < c.betaStart)
            badValue(file, "beta_end", numberText(c.betaEnd), "beta_end >= beta_start = " + numberText(c.betaStart));
    }
    if (c.stepsOffset < 0) badValue(file, "steps_offset", std::to_string(c.stepsOffset), "a non-negative integer");
    if (!(c.clipSampleRange > 0.0))
        badValue(file, "clip_sample_range", numberText(c.clipSampleRange), "a positive number");
    if (c.thresholding) badValue(file, "thresholding", "true", "false: dynamic thresholding is not supported");
    return c;
}

DdimConfig DdimConfig::fromFile(const std::string& path) { return fromJson(readJsonFile(path), path); }

NoiseSchedule NoiseSchedule::fromConfig(const DdimConfig& config) {
    torch::NoGradGuard noGrad;
    NoiseSchedule s;
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    if (config.trainedBetas) {
        // torch.tensor(list, dtype=float32): each double rounded to float.
        s.betas = torch::tensor(*config.trainedBetas, torch::kFloat64).to(torch::kFloat32);
    } else {
        switch (config.betaSchedule) {
            case BetaSchedule::Linear:
                s.betas = torch::linspace(config.betaStart, config.betaEnd, config.numTrainTimesteps, f32);
                break;
            case BetaSchedule::ScaledLinear:
                // The latent-diffusion schedule; sqrt in double (Python's ** 0.5), linspace and square in float32.
                s.betas = torch::linspace(std::pow(config.betaStart, 0.5), std::pow(config.betaEnd, 0.5),
                                          config.numTrainTimesteps, f32)
                              .pow(2);
                break;
            case BetaSchedule::SquaredCosCapV2:
                s.betas = cosineBetas(config.numTrainTimesteps);
                break;
        }
    }
    if (config.rescaleBetasZeroSnr) s.betas = rescaleZeroTerminalSnr(s.betas);
    s.alphas = 1.0 - s.betas;
    s.alphasCumprod = torch::cumprod(s.alphas, 0);
    return s;
}

// ---------------------------------------------------------------------------------------------------------------

DdimScheduler::DdimScheduler(DdimConfig config)
    : m_config(std::move(config)), m_schedule(NoiseSchedule::fromConfig(m_config)) {
    m_finalAlphaCumprod = m_config.setAlphaToOne ? torch::tensor(1.0f) : m_schedule.alphasCumprod[0].clone();
}

void DdimScheduler::setTimesteps(int numInferenceSteps) {
    checkSteps(m_config, numInferenceSteps);
    const int64_t trainSteps = m_config.numTrainTimesteps;
    const int64_t n = numInferenceSteps;
    std::vector<int64_t> ts;
    ts.reserve(static_cast<size_t>(n));
    switch (m_config.timestepSpacing) {
        case TimestepSpacing::Linspace: {
            // np.linspace(0, T - 1, n).round()[::-1]
            const double step = n > 1 ? static_cast<double>(trainSteps - 1) / static_cast<double>(n - 1) : 0.0;
            for (int64_t i = n - 1; i >= 0; --i) {
                const double v =
                    (n > 1 && i == n - 1) ? static_cast<double>(trainSteps - 1) : static_cast<double>(i) * step;
                ts.push_back(numpyRound(v));
            }
            break;
        }
        case TimestepSpacing::Leading: {
            const int64_t ratio = trainSteps / n;
            for (int64_t i = n - 1; i >= 0; --i) ts.push_back(i * ratio + m_config.stepsOffset);
            break;
        }
        case TimestepSpacing::Trailing: {
            // np.round(np.arange(T, 0, -T / n)) - 1
            const double ratio = static_cast<double>(trainSteps) / static_cast<double>(n);
            for (double v : numpyArange(static_cast<double>(trainSteps), 0.0, -ratio)) ts.push_back(numpyRound(v) - 1);
            break;
        }
    }
    m_numInferenceSteps = numInferenceSteps;
    m_timesteps = std::move(ts);
}

void DdimScheduler::requireTimesteps(const char* what) const {
    if (m_numInferenceSteps == 0) throw Error(std::string(what) + ": call setTimesteps() first");
}

int64_t DdimScheduler::prevTimestep(int64_t t) const {
    requireTimesteps("DdimScheduler::prevTimestep");
    return t - m_config.numTrainTimesteps / m_numInferenceSteps;
}

DdimScheduler::StepOutput DdimScheduler::step(const torch::Tensor& modelOutput, int64_t t, const torch::Tensor& sample,
                                              double eta, const torch::Tensor* varianceNoise) const {
    requireTimesteps("DdimScheduler::step");
    checkTimestep(m_config, t, "DdimScheduler::step");
    checkSameShape(modelOutput, sample, "DdimScheduler::step");
    const int64_t prev = prevTimestep(t);

    // 0-dim float32 tensors, as in diffusers (a 0-dim CPU tensor also combines with CUDA tensors).
    const auto& ac = m_schedule.alphasCumprod;
    const torch::Tensor alphaProdT = ac[t];
    const torch::Tensor alphaProdTPrev = prev >= 0 ? ac[prev] : m_finalAlphaCumprod;
    const torch::Tensor betaProdT = 1 - alphaProdT;

    auto [predOriginal, predEpsilon] = predictOriginalAndEpsilon(m_config, modelOutput, sample, alphaProdT, betaProdT);
    if (m_config.clipSample) predOriginal = predOriginal.clamp(-m_config.clipSampleRange, m_config.clipSampleRange);

    // sigma_t(eta) of eq. 16 (diffusers _get_variance).
    const torch::Tensor betaProdTPrev = 1 - alphaProdTPrev;
    const torch::Tensor variance = (betaProdTPrev / betaProdT) * (1 - alphaProdT / alphaProdTPrev);
    const torch::Tensor stdDevT = variance.pow(0.5) * eta;

    const auto direction = (1 - alphaProdTPrev - stdDevT.pow(2)).pow(0.5) * predEpsilon;
    auto prevSample = alphaProdTPrev.pow(0.5) * predOriginal + direction;

    if (eta > 0) {
        torch::Tensor noise;
        if (varianceNoise) {
            checkSameShape(*varianceNoise, sample, "DdimScheduler::step (variance noise)");
            noise = varianceNoise->to(sample.device(), sample.scalar_type());  // a CPU draw for a GPU sample
        } else {
            noise = torch::randn_like(modelOutput);
        }
        prevSample = prevSample + stdDevT * noise;
    }
    return {prevSample, predOriginal};
}

torch::Tensor DdimScheduler::addNoise(const torch::Tensor& originalSamples, const torch::Tensor& noise,
                                      const torch::Tensor& timesteps) const {
    const auto [sqrtAlpha, sqrtOneMinus] = noiseLevels(m_schedule.alphasCumprod, originalSamples, timesteps);
    return sqrtAlpha * originalSamples + sqrtOneMinus * noise;
}

torch::Tensor DdimScheduler::getVelocity(const torch::Tensor& sample, const torch::Tensor& noise,
                                         const torch::Tensor& timesteps) const {
    const auto [sqrtAlpha, sqrtOneMinus] = noiseLevels(m_schedule.alphasCumprod, sample, timesteps);
    return sqrtAlpha * noise - sqrtOneMinus * sample;
}

// ---------------------------------------------------------------------------------------------------------------

DdimInverseScheduler::DdimInverseScheduler(DdimConfig config)
    : m_config(std::move(config)), m_schedule(NoiseSchedule::fromConfig(m_config)) {
    if (m_config.timestepSpacing == TimestepSpacing::Linspace)
        badValue(m_config.file, "timestep_spacing", "\"linspace\"",
                 "leading or trailing: DDIMInverseScheduler supports no other spacing");
    m_initialAlphaCumprod = m_config.setAlphaToOne ? torch::tensor(1.0f) : m_schedule.alphasCumprod[0].clone();
}

void DdimInverseScheduler::setTimesteps(int numInferenceSteps) {
    checkSteps(m_config, numInferenceSteps);
    const int64_t trainSteps = m_config.numTrainTimesteps;
    const int64_t n = numInferenceSteps;
    std::vector<int64_t> ts;
    ts.reserve(static_cast<size_t>(n));
    if (m_config.timestepSpacing == TimestepSpacing::Leading) {
        const int64_t ratio = trainSteps / n;
        for (int64_t i = 0; i < n; ++i) ts.push_back(i * ratio + m_config.stepsOffset);
    } else {
        // np.round(np.arange(T, 0, -T / n)[::-1]) - 1
        const double ratio = static_cast<double>(trainSteps) / static_cast<double>(n);
        const auto values = numpyArange(static_cast<double>(trainSteps), 0.0, -ratio);
        for (auto it = values.rbegin(); it != values.rend(); ++it) ts.push_back(numpyRound(*it) - 1);
    }
    m_numInferenceSteps = numInferenceSteps;
    m_timesteps = std::move(ts);
}

int64_t DdimInverseScheduler::currentTimestep(int64_t t) const {
    if (m_numInferenceSteps == 0) throw Error("DdimInverseScheduler::currentTimestep: call setTimesteps() first");
    return std::min(t - m_config.numTrainTimesteps / m_numInferenceSteps, m_config.numTrainTimesteps - 1);
}

DdimInverseScheduler::StepOutput DdimInverseScheduler::step(const torch::Tensor& modelOutput, int64_t t,
                                                            const torch::Tensor& sample) const {
    if (m_numInferenceSteps == 0) throw Error("DdimInverseScheduler::step: call setTimesteps() first");
    checkTimestep(m_config, t, "DdimInverseScheduler::step");
    checkSameShape(modelOutput, sample, "DdimInverseScheduler::step");
    const int64_t current = currentTimestep(t);

    const auto& ac = m_schedule.alphasCumprod;
    const torch::Tensor alphaProdT = current >= 0 ? ac[current] : m_initialAlphaCumprod;  // level of `sample`
    const torch::Tensor alphaProdTNext = ac[t];                                           // target level
    const torch::Tensor betaProdT = 1 - alphaProdT;

    auto [predOriginal, predEpsilon] = predictOriginalAndEpsilon(m_config, modelOutput, sample, alphaProdT, betaProdT);
    if (m_config.clipSample) predOriginal = predOriginal.clamp(-m_config.clipSampleRange, m_config.clipSampleRange);

    const auto direction = (1 - alphaProdTNext).pow(0.5) * predEpsilon;
    auto nextSample = alphaProdTNext.pow(0.5) * predOriginal + direction;
    return {nextSample, predOriginal};
}

}  // namespace diffii
