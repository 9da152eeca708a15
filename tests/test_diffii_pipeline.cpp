// End-to-end Diff-II parity with the reference (tiny-sd1-diffii and its with_lora variant): every intermediate of
// encode -> DDIM inversion -> circle interpolation -> two-stage denoising -> decode, plus the PNG bytes.
#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>

#include "core/diffii/circle_interpolation.h"
#include "core/diffii/textual_inversion.h"
#include "core/io/image.h"
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

class TestDiffiiPipeline : public QObject {
    Q_OBJECT

private:
    void runChain(const std::string& dir, bool withLora) {
        auto sd = diffii::StableDiffusion::load(fixture("tiny-sd1"));
        if (withLora) {
            auto lora = diffii::UNetLoraImpl::load(
                fixture("tiny-sd1-lora/attn_procs_format/pytorch_lora_weights.safetensors"), *sd->unet());
            lora->attach(*sd->unet(), 1.0);
        }
        const auto added = diffii::loadTextualInversion(fixture("tiny-sd1-diffii/bird-0.embedding.safetensors"),
                                                        sd->tokenizer(), *sd->textEncoder());
        QCOMPARE(added, std::vector<std::string>{"<bird-0>"});
        QCOMPARE(sd->tokenizer().tokenId("<bird-0>"), int64_t(49408));
        QCOMPARE(sd->textEncoder()->tokenEmbeddingWeight().size(0), int64_t(49409));

        diffii::SafeTensorsFile g(dir + "/diffii.safetensors");
        const std::string prompt = "a photo of a <bird-0> bird";
        const auto ids = sd->tokenizer().encodePadded(prompt);
        QVERIFY(torch::equal(torch::tensor(ids).unsqueeze(0), g.tensor("input_ids.cond")));
        const auto prompts = diffii::encodePrompts(*sd, prompt, "standing on a tree branch");
        DIFFII_COMPARE_TENSORS(prompts.plain, g.tensor("text.cond"), 1e-4, "text.cond");
        DIFFII_COMPARE_TENSORS(prompts.suffixed, g.tensor("text.cond_suffix"), 1e-4, "text.cond_suffix");
        DIFFII_COMPARE_TENSORS(prompts.uncond, g.tensor("text.uncond"), 1e-4, "text.uncond");

        torch::Tensor z[2], x0s[2];
        for (int k = 0; k < 2; ++k) {
            const auto ks = std::to_string(k);
            const auto image = diffii::loadImageRgb(fixture("tiny-sd1-diffii/input_" + ks + ".png"));
            DIFFII_COMPARE_TENSORS(image.unsqueeze(0), g.tensor("images.input_" + ks), 0.0, "images.input_" + ks);
            const auto x0 = diffii::encodeImageToLatent(*sd, image);
            DIFFII_COMPARE_TENSORS(x0, g.tensor("x0." + ks), 1e-4, "x0." + ks);
            x0s[k] = x0;
            diffii::InversionTrace trace;
            diffii::InversionSettings inv;
            inv.steps = 10;
            inv.guidance = 1.0;
            z[k] = diffii::ddimInvert(*sd, x0, prompts, inv, nullptr, &trace);
            QCOMPARE(trace.noisePreds.size(), size_t(10));
            for (int i = 0; i < 10; ++i) {
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
        for (const double guidance : {1.0, 2.0}) {
            diffii::InversionSettings inv;
            inv.steps = 10;
            inv.guidance = guidance;
            const auto both = diffii::ddimInvert(*sd, torch::cat({x0s[0], x0s[1]}), prompts, inv);
            for (int k = 0; k < 2; ++k) {
                const auto alone = guidance == 1.0 ? z[k] : diffii::ddimInvert(*sd, x0s[k], prompts, inv);
                DIFFII_COMPARE_TENSORS(
                    both.narrow(0, k, 1), alone, 1e-4,
                    "batched inversion " + std::to_string(k) + ", guidance " + std::to_string(guidance));
            }
        }

        const double theta = diffii::circleTheta(z[0], z[1]);
        QVERIFY2(std::abs(theta - g.tensor("slerp.theta").item<double>()) < 1e-5, "slerp.theta");
        for (int j = 0; j < 2; ++j) {
            const auto js = std::to_string(j);
            const double alpha = g.tensor("slerp." + js + ".alpha").item<double>();
            const auto interp = diffii::circleInterpolate(z[0], z[1], alpha);
            QVERIFY(!interp.degenerate);
            DIFFII_COMPARE_TENSORS(interp.z, g.tensor("slerp." + js + ".z"), 1e-4, "slerp." + js + ".z");

            diffii::DenoiseSettings den;
            den.steps = 10;
            den.guidance = 7.5;
            den.split = 0.3;
            diffii::DenoiseTrace trace;
            const auto latents = diffii::denoiseTwoStage(*sd, interp.z, prompts, den, nullptr, &trace);
            const std::vector<bool> expectSuffixed = {true,  true,  true,  false, false,
                                                      false, false, false, false, false};
            QCOMPARE(trace.suffixed, expectSuffixed);
            for (int i = 0; i < 10; ++i) {
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
    void runCliPair(const std::string& dir, bool withLora, int j, const QStringList& modelArgs = {}) {
        diffii::SafeTensorsFile g(dir + "/diffii.safetensors");
        const double alpha = g.tensor("slerp." + std::to_string(j) + ".alpha").item<double>();
        const auto tmp = diffii::test::makeTempDir("pair");
        QStringList args = {"pair",
                            "--model",
                            QString::fromStdString(fixture("tiny-sd1")),
                            "--embeddings",
                            QString::fromStdString(fixture("tiny-sd1-diffii/bird-0.embedding.safetensors")),
                            "--image",
                            QString::fromStdString(fixture("tiny-sd1-diffii/input_0.png")),
                            "--image",
                            QString::fromStdString(fixture("tiny-sd1-diffii/input_1.png")),
                            "--prompt",
                            "a photo of a <bird-0> bird",
                            "--suffix",
                            "standing on a tree branch",
                            "--alpha",
                            QString::number(alpha, 'g', 17),
                            "--split",
                            "0.3",
                            "--steps",
                            "10",
                            "--invert-steps",
                            "10",
                            "--guidance",
                            "7.5",
                            "--invert-guidance",
                            "1.0",
                            "--out",
                            QString::fromStdString(tmp + "/out.png"),
                            "--raw",
                            QString::fromStdString(tmp + "/raw.safetensors")};
        if (!modelArgs.isEmpty()) {
            args[2] = modelArgs[0];
            args << modelArgs.mid(1);
        }
        if (withLora)
            args << "--lora"
                 << QString::fromStdString(fixture("tiny-sd1-lora/attn_procs_format/pytorch_lora_weights.safetensors"));
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

    void cliPairMatchesReference() { runCliPair(fixture("tiny-sd1-diffii"), false, 1); }
    void cliPairMatchesReferenceWithLora() { runCliPair(fixture("tiny-sd1-diffii/with_lora"), true, 0); }
    // The same weights as a single file (original layout) with the folder's configs give the same image.
    void cliPairMatchesReferenceFromSingleFile() {
        runCliPair(fixture("tiny-sd1-diffii"), false, 1,
                   {QString::fromStdString(fixture("single-file/tiny-sd1.safetensors")), "--model-config",
                    QString::fromStdString(fixture("tiny-sd1"))});
    }

    void matchesReference() { runChain(fixture("tiny-sd1-diffii"), false); }
    void matchesReferenceWithLora() { runChain(fixture("tiny-sd1-diffii/with_lora"), true); }
    // A small model computes each guidance batch as two halves (splitGuidanceBatch), at once on two threads when it
    // computes on one LibTorch thread and there are two cores (halvesOnTwoThreads): the same chain, the same bounds,
    // and the same bits as the halves one after the other (what a one-CPU cluster task computes).
    void matchesReferenceWithHalvesOnTwoThreads() {
        const int every = diffii::configureComputeThreads();
        if (every < 2) QSKIP("one core: the halves never run at once");
        QCOMPARE(diffii::configureThreadsForModel(2'446'788), 1);
        QVERIFY(diffii::splitGuidanceBatch(2'446'788));
        QVERIFY(diffii::halvesOnTwoThreads());
        runChain(fixture("tiny-sd1-diffii"), false);
        auto sd = diffii::StableDiffusion::load(fixture("tiny-sd1"));
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
