// DDIM and DDIM-inverse schedulers against the diffusers 0.25.1 goldens of tiny-sd1-io/schedulers.*: the noise
// schedule bit for bit, the timestep lists exactly, every single step (fed the saved inputs) to 1e-6, add_noise and
// get_velocity; and configs of other scheduler classes and bad values.
#include <QtTest/QtTest>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/schedulers/ddim.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::DdimConfig;
using diffii::DdimInverseScheduler;
using diffii::DdimScheduler;

namespace {

using diffii::test::expectError;

// Single steps are float32 elementwise ops in the same order as diffusers: 1e-6 abs is the suggested bound.
constexpr double kStepTolerance = 1e-6;

std::vector<int64_t> toVector(const torch::Tensor& t) {
    const auto c = t.to(torch::kLong).contiguous();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

void printDiff(const std::string& what, const torch::Tensor& a, const torch::Tensor& b) {
    if (std::getenv("DIFFII_PRINT_DIFFS"))
        std::fprintf(stderr, "  %s: max-abs-diff %.3g%s\n", what.c_str(), diffii::test::maxAbsDiff(a, b),
                     torch::equal(a, b) ? " (bit-exact)" : "");
}

}  // namespace

class TestDdimScheduler : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<diffii::SafeTensorsFile> m_golden;
    nlohmann::json m_cases;
    std::string m_configPath;
    DdimConfig m_config;

    DdimConfig configFor(const std::string& predictionType) const {
        auto json = diffii::readJsonFile(m_configPath);
        json["prediction_type"] = predictionType;
        return DdimConfig::fromJson(json, m_configPath);
    }

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_golden =
            std::make_unique<diffii::SafeTensorsFile>(diffii::test::fixture("tiny-sd1-io/schedulers.safetensors"));
        m_cases = diffii::readJsonFile(diffii::test::fixture("tiny-sd1-io/schedulers.json"));
        m_configPath = diffii::test::fixture("tiny-sd1/scheduler/scheduler_config.json");
        m_config = DdimConfig::fromFile(m_configPath);
    }

    void readsPndmConfig() {
        // The SD 1.5-style file is a PNDMScheduler config; its DDIM-relevant keys are honoured, the rest ignored.
        QCOMPARE(m_config.className, std::string("PNDMScheduler"));
        QCOMPARE(m_config.numTrainTimesteps, int64_t(1000));
        QCOMPARE(m_config.betaStart, 0.00085);
        QCOMPARE(m_config.betaEnd, 0.012);
        QVERIFY(m_config.betaSchedule == diffii::BetaSchedule::ScaledLinear);
        QVERIFY(!m_config.trainedBetas.has_value());
        QCOMPARE(m_config.clipSample, false);  // the file's value, not DDIM's default (true)
        QCOMPARE(m_config.setAlphaToOne, false);
        QCOMPARE(m_config.stepsOffset, int64_t(1));
        QVERIFY(m_config.predictionType == diffii::PredictionType::Epsilon);
        QVERIFY(m_config.timestepSpacing == diffii::TimestepSpacing::Leading);

        // The instantiated config diffusers reports agrees on every key it shares with ours.
        const auto& ref = m_cases["ddim_config"];
        QCOMPARE(m_config.clipSampleRange, ref["clip_sample_range"].get<double>());
        QCOMPARE(m_config.rescaleBetasZeroSnr, ref["rescale_betas_zero_snr"].get<bool>());
        QCOMPARE(m_config.thresholding, ref["thresholding"].get<bool>());
        QCOMPARE(std::string(diffii::timestepSpacingName(m_config.timestepSpacing)),
                 ref["timestep_spacing"].get<std::string>());

        // The keys every diffusers scheduler config has are required; other absent keys take DDIMScheduler's
        // defaults.
        expectError([&] { DdimConfig::fromJson(nlohmann::json::object(), "bare.json"); },
                    {"bare.json", "'num_train_timesteps'", "missing"});
        const nlohmann::json required = {
            {"num_train_timesteps", 1000}, {"beta_start", 0.0001}, {"beta_end", 0.02}, {"beta_schedule", "linear"}};
        const auto bare = DdimConfig::fromJson(required, "bare.json");
        QCOMPARE(bare.clipSample, true);
        QCOMPARE(bare.setAlphaToOne, true);
        QCOMPARE(bare.stepsOffset, int64_t(0));
        QCOMPARE(bare.betaStart, 0.0001);
        QVERIFY(bare.betaSchedule == diffii::BetaSchedule::Linear);

        // SD 2.1 (768-v): a DDIM file with v_prediction.
        const auto sd21 =
            DdimConfig::fromFile(diffii::test::fixture("manifests/sd21-768v/scheduler/scheduler_config.json"));
        QVERIFY(sd21.predictionType == diffii::PredictionType::VPrediction);
        QCOMPARE(sd21.clipSample, false);
    }

    void scheduleIsBitExact() {
        const DdimScheduler s(m_config);
        const auto alphasCumprod = m_golden->tensor("alphas_cumprod");
        const auto betas = m_golden->tensor("betas");
        printDiff("alphas_cumprod", s.alphasCumprod(), alphasCumprod);
        printDiff("betas", s.betas(), betas);
        DIFFII_COMPARE_TENSORS(s.alphasCumprod(), alphasCumprod, 1e-7, "alphas_cumprod");
        DIFFII_COMPARE_TENSORS(s.betas(), betas, 1e-7, "betas");
        // Same float32 torch ops as diffusers: bit-exact.
        QVERIFY(torch::equal(s.alphasCumprod(), alphasCumprod));
        QVERIFY(torch::equal(s.betas(), betas));
        QVERIFY(torch::equal(s.finalAlphaCumprod().reshape({1}), m_golden->tensor("final_alpha_cumprod")));
        QCOMPARE(s.initNoiseSigma(), 1.0);

        const DdimInverseScheduler inv(m_config);
        QVERIFY(torch::equal(inv.alphasCumprod(), alphasCumprod));
        QVERIFY(
            torch::equal(inv.initialAlphaCumprod().reshape({1}), m_golden->tensor("inverse.initial_alpha_cumprod")));
    }

    void timesteps() {
        DdimScheduler s(m_config);
        for (int n : {10, 25, 50}) {
            s.setTimesteps(n);
            QCOMPARE(s.numInferenceSteps(), n);
            QCOMPARE(s.timesteps(), toVector(m_golden->tensor("ddim.timesteps_" + std::to_string(n))));
            QCOMPARE(s.timesteps(), m_cases["ddim_timesteps"][std::to_string(n)].get<std::vector<int64_t>>());
        }
        DdimInverseScheduler inv(m_config);
        for (int n : {10, 25}) {
            inv.setTimesteps(n);
            QCOMPARE(inv.timesteps(), toVector(m_golden->tensor("inverse.timesteps_" + std::to_string(n))));
            QCOMPARE(inv.timesteps(), m_cases["inverse_timesteps"][std::to_string(n)].get<std::vector<int64_t>>());
        }
    }

    void otherSpacings() {
        // trailing / linspace as diffusers computes them (numpy arange / linspace, round half to even).
        DdimConfig c = m_config;
        c.timestepSpacing = diffii::TimestepSpacing::Trailing;
        DdimScheduler trailing(c);
        trailing.setTimesteps(10);
        QCOMPARE(trailing.timesteps(), (std::vector<int64_t>{999, 899, 799, 699, 599, 499, 399, 299, 199, 99}));
        trailing.setTimesteps(3);
        QCOMPARE(trailing.timesteps(), (std::vector<int64_t>{999, 666, 332}));
        DdimInverseScheduler inverseTrailing(c);
        inverseTrailing.setTimesteps(3);
        QCOMPARE(inverseTrailing.timesteps(), (std::vector<int64_t>{332, 666, 999}));

        c.timestepSpacing = diffii::TimestepSpacing::Linspace;
        DdimScheduler linspace(c);
        linspace.setTimesteps(10);
        QCOMPARE(linspace.timesteps(), (std::vector<int64_t>{999, 888, 777, 666, 555, 444, 333, 222, 111, 0}));
        linspace.setTimesteps(4);  // 0, 333, 666, 999
        QCOMPARE(linspace.timesteps(), (std::vector<int64_t>{999, 666, 333, 0}));
        linspace.setTimesteps(1);
        QCOMPARE(linspace.timesteps(), (std::vector<int64_t>{0}));
        expectError([&] { DdimInverseScheduler bad(c); }, {"timestep_spacing", "linspace"});
    }

    void otherSchedules() {
        // No goldens for these: check the defining properties.
        DdimConfig c = m_config;
        c.betaSchedule = diffii::BetaSchedule::Linear;
        DdimScheduler linear(c);
        QCOMPARE(linear.betas()[0].item<float>(), 0.00085f);
        QCOMPARE(linear.betas()[-1].item<float>(), 0.012f);

        c.betaSchedule = diffii::BetaSchedule::SquaredCosCapV2;
        DdimScheduler cosine(c);
        QVERIFY(cosine.betas().max().item<float>() <= 0.999f);
        QVERIFY(cosine.betas().min().item<float>() > 0.0f);

        c = m_config;
        c.rescaleBetasZeroSnr = true;
        DdimScheduler zeroSnr(c);
        QVERIFY(std::abs(zeroSnr.alphasCumprod()[-1].item<float>()) < 1e-9f);  // zero terminal SNR
        QVERIFY(std::abs(zeroSnr.alphasCumprod()[0].item<float>() -
                         DdimScheduler(m_config).alphasCumprod()[0].item<float>()) < 1e-6f);

        c = m_config;
        c.trainedBetas = std::vector<double>(1000, 0.01);
        DdimScheduler trained(c);
        QVERIFY(torch::allclose(trained.betas(), torch::full({1000}, 0.01f)));
    }

    void ddimSteps_data() {
        QTest::addColumn<QString>("name");
        for (const auto& c : m_cases["ddim_step_cases"]) {
            const auto name = c["name"].get<std::string>();
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
        }
    }

    void ddimSteps() {
        QFETCH(QString, name);
        const std::string caseName = name.toStdString();
        nlohmann::json spec;
        for (const auto& c : m_cases["ddim_step_cases"])
            if (c["name"] == caseName) spec = c;
        DdimScheduler s(configFor(spec["prediction_type"].get<std::string>()));
        s.setTimesteps(spec["num_inference_steps"].get<int>());
        const int64_t t = spec["timestep"].get<int64_t>();
        if (spec.contains("prev_timestep")) QCOMPARE(s.prevTimestep(t), spec["prev_timestep"].get<int64_t>());

        const auto g = [&](const std::string& key) { return m_golden->tensor(caseName + "." + key); };
        const double eta = spec["eta"].get<double>();
        torch::Tensor noise;
        if (eta > 0) noise = g("variance_noise");
        const auto out = s.step(g("model_output"), t, g("sample"), eta, eta > 0 ? &noise : nullptr);
        printDiff(caseName + ".prev_sample", out.prevSample, g("prev_sample"));
        printDiff(caseName + ".pred_original_sample", out.predOriginalSample, g("pred_original_sample"));
        DIFFII_COMPARE_TENSORS(out.prevSample, g("prev_sample"), kStepTolerance, caseName + ".prev_sample");
        DIFFII_COMPARE_TENSORS(out.predOriginalSample, g("pred_original_sample"), kStepTolerance,
                               caseName + ".pred_original_sample");
    }

    void inverseSteps_data() {
        QTest::addColumn<QString>("name");
        for (const auto& c : m_cases["inverse_step_cases"]) {
            const auto name = c["name"].get<std::string>();
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
        }
    }

    void inverseSteps() {
        QFETCH(QString, name);
        const std::string caseName = name.toStdString();
        nlohmann::json spec;
        for (const auto& c : m_cases["inverse_step_cases"])
            if (c["name"] == caseName) spec = c;
        DdimInverseScheduler s(configFor(spec["prediction_type"].get<std::string>()));
        s.setTimesteps(spec["num_inference_steps"].get<int>());
        const int64_t t = spec["timestep"].get<int64_t>();
        // The noise levels the reference used: current = alphas_cumprod[t - 1000 // N] (or the initial one).
        QCOMPARE(spec["alpha_prod_t_next_index"].get<int64_t>(), t);
        const int64_t current = s.currentTimestep(t);
        if (spec["alpha_prod_t_index"].is_string()) {
            QCOMPARE(spec["alpha_prod_t_index"].get<std::string>(), std::string("initial_alpha_cumprod"));
            QVERIFY(current < 0);
        } else {
            QCOMPARE(current, spec["alpha_prod_t_index"].get<int64_t>());
        }

        const auto g = [&](const std::string& key) { return m_golden->tensor(caseName + "." + key); };
        const auto out = s.step(g("model_output"), t, g("sample"));
        printDiff(caseName + ".prev_sample", out.prevSample, g("prev_sample"));
        printDiff(caseName + ".pred_original_sample", out.predOriginalSample, g("pred_original_sample"));
        DIFFII_COMPARE_TENSORS(out.prevSample, g("prev_sample"), kStepTolerance, caseName + ".prev_sample");
        DIFFII_COMPARE_TENSORS(out.predOriginalSample, g("pred_original_sample"), kStepTolerance,
                               caseName + ".pred_original_sample");
    }

    void addNoiseAndVelocity() {
        const DdimScheduler s(m_config);
        const auto x0 = m_golden->tensor("add_noise.original_samples");
        const auto noise = m_golden->tensor("add_noise.noise");
        const auto t = m_golden->tensor("add_noise.timesteps");
        QCOMPARE(toVector(t), (std::vector<int64_t>{0, 1, 250, 999}));
        const auto noisy = s.addNoise(x0, noise, t);
        printDiff("add_noise.noisy_samples", noisy, m_golden->tensor("add_noise.noisy_samples"));
        DIFFII_COMPARE_TENSORS(noisy, m_golden->tensor("add_noise.noisy_samples"), kStepTolerance, "add_noise");
        DIFFII_COMPARE_TENSORS(noisy, m_golden->tensor("add_noise.ddim_noisy_samples"), kStepTolerance,
                               "add_noise (DDIM)");
        const auto velocity = s.getVelocity(x0, noise, t);
        printDiff("get_velocity.velocity", velocity, m_golden->tensor("get_velocity.velocity"));
        DIFFII_COMPARE_TENSORS(velocity, m_golden->tensor("get_velocity.velocity"), kStepTolerance, "get_velocity");
        // A 0-dim timestep broadcasts over the batch.
        const auto one = s.addNoise(x0, noise, torch::tensor(int64_t(250)));
        DIFFII_COMPARE_TENSORS(one[2], noisy[2], 0.0, "add_noise with a 0-dim timestep");
    }

    void badConfigValues() {
        const auto withValue = [](const std::string& key, const nlohmann::json& value) {
            nlohmann::json j = {{"beta_schedule", "scaled_linear"},
                                {"_class_name", "PNDMScheduler"},
                                {"num_train_timesteps", 1000},
                                {"beta_start", 0.00085},
                                {"beta_end", 0.012}};
            j[key] = value;
            return j;
        };
        const std::string file = "/models/x/scheduler/scheduler_config.json";
        expectError([&] { DdimConfig::fromJson(withValue("beta_schedule", "cosine"), file); },
                    {file, "beta_schedule", "cosine", "scaled_linear"});
        expectError([&] { DdimConfig::fromJson(withValue("prediction_type", "flow"), file); },
                    {file, "prediction_type", "flow", "v_prediction"});
        expectError([&] { DdimConfig::fromJson(withValue("timestep_spacing", "karras"), file); },
                    {file, "timestep_spacing", "karras", "trailing"});
        expectError([&] { DdimConfig::fromJson(withValue("thresholding", true), file); },
                    {file, "thresholding", "true"});
        expectError([&] { DdimConfig::fromJson(withValue("clip_sample", "yes"), file); }, {file, "clip_sample"});
        expectError([&] { DdimConfig::fromJson(withValue("num_train_timesteps", 0), file); },
                    {file, "num_train_timesteps", "0"});
        expectError([&] { DdimConfig::fromJson(withValue("beta_end", 1.5), file); }, {file, "beta_end", "1.5"});
        expectError(
            [&] {
                DdimConfig::fromJson(withValue("trained_betas", nlohmann::json::array({0.1, 0.2})), file);
            },
            {file, "trained_betas", "1000"});
        expectError([&] { DdimConfig::fromJson(nlohmann::json::array(), file); }, {file, "object"});

        // Unknown keys are ignored, null values take the default.
        auto extra = withValue("skip_prk_steps", true);
        extra["some_future_key"] = {{"nested", 1}};
        extra["trained_betas"] = nullptr;
        QVERIFY(!DdimConfig::fromJson(extra, file).trainedBetas.has_value());

        // fromFile names the file.
        const auto dir = diffii::test::makeTempDir("ddim");
        const std::string path = dir + "/scheduler_config.json";
        std::ofstream(path) << R"({"_class_name": "DDIMScheduler", "prediction_type": "x0", "num_train_timesteps": 1000,
                                  "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear"})";
        expectError([&] { DdimConfig::fromFile(path); }, {path, "prediction_type", "x0"});
        std::filesystem::remove_all(dir);
    }

    void usageErrors() {
        DdimScheduler s(m_config);
        const auto x = torch::zeros({1, 4, 8, 8});
        expectError([&] { s.step(x, 901, x); }, {"setTimesteps"});
        expectError([&] { s.setTimesteps(0); }, {"num_inference_steps", "0"});
        expectError([&] { s.setTimesteps(1001); }, {"num_inference_steps", "1001"});
        s.setTimesteps(10);
        expectError([&] { s.step(x, 1000, x); }, {"timestep", "1000"});
        expectError([&] { s.step(torch::zeros({1, 4, 8, 9}), 901, x); }, {"shape"});
        DdimInverseScheduler inv(m_config);
        expectError([&] { inv.step(x, 1, x); }, {"setTimesteps"});
    }

    void etaWithoutNoiseUsesGlobalGenerator() {
        DdimScheduler s(m_config);
        s.setTimesteps(10);
        const auto x = torch::randn({1, 4, 8, 8});
        const auto eps = torch::randn({1, 4, 8, 8});
        torch::manual_seed(7);
        const auto a = s.step(eps, 601, x, 1.0).prevSample;
        torch::manual_seed(7);
        const auto noise = torch::randn_like(eps);
        const auto b = s.step(eps, 601, x, 1.0, &noise).prevSample;
        QVERIFY(torch::equal(a, b));
        QVERIFY(!torch::equal(a, s.step(eps, 601, x, 0.0).prevSample));
    }
};

DIFFII_TEST_MAIN(TestDdimScheduler, None)
}  // namespace DIFFII_UNIT
#include "test_ddim_scheduler.moc"
