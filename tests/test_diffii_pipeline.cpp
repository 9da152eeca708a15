// End-to-end Diff-II parity with the reference (tiny-sd1-diffii and its with_lora variant): every intermediate of
// encode -> DDIM inversion -> circle interpolation -> two-stage denoising -> decode, plus the PNG bytes.
#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>

#include "core/diffii/circle_interpolation.h"
#include "core/diffii/textual_inversion.h"
#include "core/io/image.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/jobs/threads.h"
#include "core/models/lora.h"
#include "core/models/stable_diffusion.h"
#include "core/pipelines/sd_pipeline.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::test::fixture;

namespace {

// What a reference folder's diffii.json says the chain ran: the model, LoRA and placeholder embedding (paths resolved
// against the folder), the prompts, and the inversion's and the denoising's settings.
struct ChainCase {
    std::string model, lora, embedding;
    std::string placeholder;
    int64_t placeholderId = 0, rowsAfterResize = 0;
    std::string prompt, suffix;
    int invertSteps = 0, steps = 0;
    double invertGuidance = 1.0, guidance = 1.0, split = 0.0;
    std::vector<std::vector<bool>> suffixedSteps;  // per output: which denoising steps used the suffixed prompt

    static ChainCase read(const std::string& dir) {
        namespace fs = std::filesystem;
        const auto j = diffii::readJsonFile(dir + "/diffii.json");
        ChainCase c;
        c.model = fs::weakly_canonical(fs::path(dir) / j.at("model_dir").get<std::string>()).string();
        if (!j.at("lora").is_null()) {
            // "<relative path>, loaded with ..."
            const auto text = j.at("lora").get<std::string>();
            c.lora = fs::weakly_canonical(fs::path(dir) / text.substr(0, text.find(','))).string();
        }
        c.placeholder = j.at("placeholder_token").get<std::string>();
        c.placeholderId = j.at("placeholder_token_id").get<int64_t>();
        c.rowsAfterResize = j.at("text_encoder_rows_after_resize").get<int64_t>();
        // The placeholder's embedding, <token without brackets>.embedding.safetensors, in the folder or above it.
        const std::string stem = c.placeholder.substr(1, c.placeholder.size() - 2) + ".embedding.safetensors";
        for (fs::path d = dir; c.embedding.empty() && !d.empty() && d != d.parent_path(); d = d.parent_path())
            if (fs::exists(d / stem)) c.embedding = (d / stem).string();
        if (c.embedding.empty()) throw std::runtime_error(dir + ": no " + stem + " in it or above it");
        c.prompt = j.at("prompt").get<std::string>();
        const auto suffixed = j.at("prompt_suffixed").get<std::string>();
        if (suffixed.rfind(c.prompt + " ", 0) != 0)
            throw std::runtime_error(dir + "/diffii.json: prompt_suffixed does not extend prompt");
        c.suffix = suffixed.substr(c.prompt.size() + 1);
        c.invertSteps = j.at("inversion").at("num_inference_steps").get<int>();
        c.invertGuidance = j.at("inversion").at("guidance_scale").get<double>();
        c.steps = j.at("denoise").at("num_inference_steps").get<int>();
        c.guidance = j.at("denoise").at("guidance_scale").get<double>();
        c.split = j.at("denoise").at("strength_s").get<double>();
        const auto& used = j.at("denoise").at("prompt_used_per_step");
        for (size_t k = 0; k < j.at("outputs_png").size(); ++k) {
            std::vector<bool> steps;
            for (const auto& p : used.at(std::to_string(k))) steps.push_back(p.get<std::string>() == "suffixed");
            c.suffixedSteps.push_back(steps);
        }
        return c;
    }
};

}  // namespace

class TestDiffiiPipeline : public QObject {
    Q_OBJECT

private:
    void runChain(const std::string& dir) {
        const auto c = ChainCase::read(dir);
        auto sd = diffii::StableDiffusion::load(c.model);
        if (!c.lora.empty()) {
            auto lora = diffii::UNetLoraImpl::load(c.lora, *sd->unet());
            lora->attach(*sd->unet(), 1.0);
        }
        const auto added = diffii::loadTextualInversion(c.embedding, sd->tokenizer(), *sd->textEncoder());
        QCOMPARE(added, std::vector<std::string>{c.placeholder});
        QCOMPARE(sd->tokenizer().tokenId(c.placeholder), c.placeholderId);
        QCOMPARE(sd->textEncoder()->tokenEmbeddingWeight().size(0), c.rowsAfterResize);

        diffii::SafeTensorsFile g(dir + "/diffii.safetensors");
        const auto ids = sd->tokenizer().encodePadded(c.prompt);
        QVERIFY(torch::equal(torch::tensor(ids).unsqueeze(0), g.tensor("input_ids.cond")));
        const auto prompts = diffii::encodePrompts(*sd, c.prompt, c.suffix);
        DIFFII_COMPARE_TENSORS(prompts.plain, g.tensor("text.cond"), 1e-4, "text.cond");
        DIFFII_COMPARE_TENSORS(prompts.suffixed, g.tensor("text.cond_suffix"), 1e-4, "text.cond_suffix");
        DIFFII_COMPARE_TENSORS(prompts.uncond, g.tensor("text.uncond"), 1e-4, "text.uncond");

        torch::Tensor z[2], x0s[2];
        for (int k = 0; k < 2; ++k) {
            const auto ks = std::to_string(k);
            const auto image = diffii::loadImageRgb(dir + "/input_" + ks + ".png");
            DIFFII_COMPARE_TENSORS(image.unsqueeze(0), g.tensor("images.input_" + ks), 0.0, "images.input_" + ks);
            const auto x0 = diffii::encodeImageToLatent(*sd, image);
            DIFFII_COMPARE_TENSORS(x0, g.tensor("x0." + ks), 1e-4, "x0." + ks);
            x0s[k] = x0;
            diffii::InversionTrace trace;
            diffii::InversionSettings inv;
            inv.steps = c.invertSteps;
            inv.guidance = c.invertGuidance;
            z[k] = diffii::ddimInvert(*sd, x0, prompts, inv, nullptr, &trace);
            QCOMPARE(trace.noisePreds.size(), size_t(c.invertSteps));
            for (int i = 0; i < c.invertSteps; ++i) {
                const auto is = std::to_string(i);
                DIFFII_COMPARE_TENSORS(trace.noisePreds[i], g.tensor("inversion." + ks + ".noise_pred." + is), 1e-4,
                                       "inversion." + ks + ".noise_pred." + is);
                DIFFII_COMPARE_TENSORS(trace.latents[i + 1],
                                       g.tensor("inversion." + ks + ".latents." + std::to_string(i + 1)), 1e-4,
                                       "inversion latents " + ks + "." + std::to_string(i + 1));
            }
            DIFFII_COMPARE_TENSORS(z[k], g.tensor("z." + ks), 1e-4, "z." + ks);
        }

        // Both images as one batch (what `diffii pair` does), without and with guidance: the same inversions up to
        // the summation order of batch-size-dependent kernels (seen: 1.5e-5 after 10 guided steps), within the
        // reference bound.
        for (const double guidance : {c.invertGuidance, c.invertGuidance + 1.0}) {
            diffii::InversionSettings inv;
            inv.steps = c.invertSteps;
            inv.guidance = guidance;
            const auto both = diffii::ddimInvert(*sd, torch::cat({x0s[0], x0s[1]}), prompts, inv);
            for (int k = 0; k < 2; ++k) {
                const auto alone = guidance == c.invertGuidance ? z[k] : diffii::ddimInvert(*sd, x0s[k], prompts, inv);
                DIFFII_COMPARE_TENSORS(
                    both.narrow(0, k, 1), alone, 1e-4,
                    "batched inversion " + std::to_string(k) + ", guidance " + std::to_string(guidance));
            }
        }

        const double theta = diffii::circleTheta(z[0], z[1]);
        QVERIFY2(std::abs(theta - g.tensor("slerp.theta").item<double>()) < 1e-5, "slerp.theta");
        for (size_t j = 0; j < c.suffixedSteps.size(); ++j) {
            const auto js = std::to_string(j);
            const double alpha = g.tensor("slerp." + js + ".alpha").item<double>();
            const auto interp = diffii::circleInterpolate(z[0], z[1], alpha);
            QVERIFY(!interp.degenerate);
            DIFFII_COMPARE_TENSORS(interp.z, g.tensor("slerp." + js + ".z"), 1e-4, "slerp." + js + ".z");

            diffii::DenoiseSettings den;
            den.steps = c.steps;
            den.guidance = c.guidance;
            den.split = c.split;
            diffii::DenoiseTrace trace;
            const auto latents = diffii::denoiseTwoStage(*sd, interp.z, prompts, den, nullptr, &trace);
            QCOMPARE(trace.suffixed, c.suffixedSteps[j]);
            for (int i = 0; i < c.steps; ++i) {
                const auto is = std::to_string(i);
                const auto ref = g.tensor("denoise." + js + ".latents." + std::to_string(i + 1));
                // Tolerance relative to the step's latent magnitude (README: 1e-4 of max|latent|).
                const double tol = 1e-4 * std::max(1.0, ref.abs().max().item<double>());
                DIFFII_COMPARE_TENSORS(trace.latents[i + 1], ref, tol,
                                       "denoise." + js + ".latents." + std::to_string(i + 1));
                DIFFII_COMPARE_TENSORS(trace.noisePredText[i], g.tensor("denoise." + js + ".noise_pred_text." + is),
                                       1e-3, "denoise." + js + ".noise_pred_text." + is);
            }
            const auto image = diffii::decodeLatentToImage(*sd, latents)[0];
            DIFFII_COMPARE_TENSORS(image, g.tensor("image." + js), 1e-3, "image." + js);
            // The PNG bytes agree up to 1 where x*255 sits on an integer boundary.
            const auto ours = diffii::toUint8Hwc(image).to(torch::kInt32);
            const auto refPng = (diffii::loadImageRgb(dir + "/output_" + js + ".png").permute({1, 2, 0}) * 255)
                                    .round()
                                    .to(torch::kInt32);
            DIFFII_COMPARE_TENSORS(ours, refPng, 1.0, "output_" + js + ".png");
        }
    }

    // `diffii pair` is the contract researchers script against: the same chain from outside. modelArgs replace the
    // tiny-sd1 folder (a single file and its options).
    void runCliPair(const std::string& dir, int j, const QStringList& modelArgs = {}) {
        const auto c = ChainCase::read(dir);
        diffii::SafeTensorsFile g(dir + "/diffii.safetensors");
        const double alpha = g.tensor("slerp." + std::to_string(j) + ".alpha").item<double>();
        const auto tmp = diffii::test::makeTempDir("pair");
        auto q = [](const std::string& v) { return QString::fromStdString(v); };
        QStringList args = {"pair",
                            "--model",
                            q(c.model),
                            "--embeddings",
                            q(c.embedding),
                            "--image",
                            q(dir + "/input_0.png"),
                            "--image",
                            q(dir + "/input_1.png"),
                            "--prompt",
                            q(c.prompt),
                            "--suffix",
                            q(c.suffix),
                            "--alpha",
                            QString::number(alpha, 'g', 17),
                            "--split",
                            QString::number(c.split, 'g', 17),
                            "--steps",
                            QString::number(c.steps),
                            "--invert-steps",
                            QString::number(c.invertSteps),
                            "--guidance",
                            QString::number(c.guidance, 'g', 17),
                            "--invert-guidance",
                            QString::number(c.invertGuidance, 'g', 17),
                            "--out",
                            q(tmp + "/out.png"),
                            "--raw",
                            q(tmp + "/raw.safetensors")};
        if (!modelArgs.isEmpty()) {
            args[2] = modelArgs[0];
            args << modelArgs.mid(1);
        }
        if (!c.lora.empty()) args << "--lora" << q(c.lora);
        const auto run = diffii::test::runDiffii(args);
        QVERIFY2(run.code == 0, qPrintable(run.err));
        diffii::SafeTensorsFile raw(tmp + "/raw.safetensors");
        const auto image = raw.tensor("image");
        QCOMPARE(image.scalar_type(), torch::kFloat32);
        DIFFII_COMPARE_TENSORS(image, g.tensor("image." + std::to_string(j)), 1e-3, "diffii pair --raw image");
        const auto ours = (diffii::loadImageRgb(tmp + "/out.png") * 255).round().to(torch::kInt32);
        const auto ref =
            (diffii::loadImageRgb(dir + "/output_" + std::to_string(j) + ".png") * 255).round().to(torch::kInt32);
        DIFFII_COMPARE_TENSORS(ours, ref, 1.0, "diffii pair PNG");
        std::filesystem::remove_all(tmp);
    }

private slots:
    void initTestCase() { DIFFII_REQUIRE_FIXTURES(); }

    void cliPairMatchesReference() { runCliPair(fixture("tiny-sd1-diffii"), 1); }
    void cliPairMatchesReferenceWithLora() { runCliPair(fixture("tiny-sd1-diffii/with_lora"), 0); }
    // The same weights as a single file (original layout) with the folder's configs give the same image.
    void cliPairMatchesReferenceFromSingleFile() {
        runCliPair(fixture("tiny-sd1-diffii"), 1,
                   {QString::fromStdString(fixture("single-file/tiny-sd1.safetensors")), "--model-config",
                    QString::fromStdString(fixture("tiny-sd1"))});
    }

    void matchesReference() { runChain(fixture("tiny-sd1-diffii")); }
    void matchesReferenceWithLora() { runChain(fixture("tiny-sd1-diffii/with_lora")); }
    // A small model computes each guidance batch as two halves (splitGuidanceBatch), at once on two threads when it
    // computes on one LibTorch thread and there are two cores (halvesOnTwoThreads): the same chain, the same bounds,
    // and the same bits as the halves one after the other (what a one-CPU cluster task computes).
    void matchesReferenceWithHalvesOnTwoThreads() {
        const int every = diffii::configureComputeThreads();
        if (every < 2) QSKIP("one core: the halves never run at once");
        auto sd = diffii::StableDiffusion::load(fixture("tiny-sd1"));
        const int64_t parameters = sd->unetConfig().parameterCount();
        QCOMPARE(diffii::configureThreadsForModel(parameters), 1);
        QVERIFY(diffii::splitGuidanceBatch(parameters));
        QVERIFY(diffii::halvesOnTwoThreads());
        runChain(fixture("tiny-sd1-diffii"));
        const auto prompts = diffii::encodePrompts(*sd, "a photo of a bird", "in the snow");
        torch::manual_seed(3);
        const auto z = torch::randn({1, 4, 16, 16});
        diffii::DenoiseSettings den;
        den.steps = 3;
        den.guidance = 7.5;
        const auto parallel = diffii::denoiseTwoStage(*sd, z, prompts, den);
        diffii::configureComputeThreads(1);  // chosen: one thread, the halves in turn
        QVERIFY(!diffii::halvesOnTwoThreads());
        QVERIFY(torch::equal(diffii::denoiseTwoStage(*sd, z, prompts, den), parallel));
        diffii::configureComputeThreads();
    }

    void circleEndpointsAndDegenerateCases() {
        torch::manual_seed(3);
        const auto a = torch::randn({1, 4, 8, 8}), b = torch::randn({1, 4, 8, 8});
        const auto at0 = diffii::circleInterpolate(a, b, 0.0);
        DIFFII_COMPARE_TENSORS(at0.z, a, 1e-5, "alpha 0 is z1");
        const auto atMinus1 = diffii::circleInterpolate(a, b, -1.0);
        DIFFII_COMPARE_TENSORS(atMinus1.z, b, 1e-4, "alpha -1 is z2");
        const auto full = diffii::circleInterpolate(a, b, at0.period);
        DIFFII_COMPARE_TENSORS(full.z, a, 1e-4, "a full turn returns to z1");
        QVERIFY(diffii::isInterpolation(at0.theta, at0.period - 0.5));
        QVERIFY(!diffii::isInterpolation(at0.theta, 0.5 * at0.period));
        // θ -> 0: identical directions give a finite result, not NaN.
        const auto same = diffii::circleInterpolate(a, a * 2, 3.0);
        QVERIFY(same.degenerate);
        QVERIFY(torch::isfinite(same.z).all().item<bool>());
        // θ -> π: antipodal latents.
        const auto anti = diffii::circleInterpolate(a, -a, 0.25);
        QVERIFY(anti.degenerate);
        QVERIFY(torch::isfinite(anti.z).all().item<bool>());
        // Seeded α is reproducible and inside [0, 2π/θ).
        const double s1 = diffii::sampleCircleAlpha(at0.theta, 42), s2 = diffii::sampleCircleAlpha(at0.theta, 42);
        QCOMPARE(s1, s2);
        QVERIFY(s1 >= 0 && s1 < at0.period);
        QVERIFY(diffii::sampleCircleAlpha(at0.theta, 43) != s1);
    }
};

DIFFII_TEST_MAIN(TestDiffiiPipeline, Core)
}  // namespace DIFFII_UNIT
#include "test_diffii_pipeline.moc"
