// The concept-learning job on the tiny model: the loss goes down, only the new token rows and the LoRA change,
// cancel + resume gives bit-identical weights, the output folder loads back, and bad input is reported by name.
#include <QtTest/QtTest>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/diffii/concept_learner.h"
#include "core/diffii/concept_loss.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/safetensors.h"
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

std::shared_ptr<diffii::StableDiffusion> loadTiny() { return diffii::StableDiffusion::load(fixture("tiny-sd1")); }

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool sameTensors(const std::string& a, const std::string& b, std::string* why) {
    diffii::SafeTensorsFile fa(a), fb(b);
    if (fa.keys() != fb.keys()) {
        *why = "different keys";
        return false;
    }
    for (const auto& k : fa.keys()) {
        if (!torch::equal(fa.tensor(k), fb.tensor(k))) {
            *why = k + ": max-abs-diff " + std::to_string(diffii::test::maxAbsDiff(fa.tensor(k), fb.tensor(k)));
            return false;
        }
    }
    return true;
}

template <typename F>
QString errorOf(F&& f) {
    return QString::fromStdString(diffii::test::errorOf(std::forward<F>(f)));
}

}  // namespace

class TestConceptLearner : public QObject {
    Q_OBJECT

private:
    std::string m_dir;
    std::vector<diffii::ConceptClass> m_classes;

    // Mean loss over the four training latents at fixed noise and timesteps (with the model as it is now).
    double fixedBatchLoss(diffii::StableDiffusion& sd, const std::vector<diffii::ConceptClass>& classes,
                          const std::vector<std::vector<std::string>>& tokens) {
        torch::NoGradGuard g;
        std::vector<torch::Tensor> x0;
        std::vector<torch::Tensor> ids;
        for (size_t c = 0; c < classes.size(); ++c) {
            for (const auto& path : classes[c].imagePaths) {
                x0.push_back(diffii::encodeImageToLatent(sd, diffii::loadImageRgb(path)));
                ids.push_back(
                    torch::tensor(sd.tokenizer().encodePadded(diffii::conceptPrompt(tokens[c], "bird"))).unsqueeze(0));
            }
        }
        const auto latents = torch::cat(x0).repeat({4, 1, 1, 1});
        const auto inputIds = torch::cat(ids).repeat({4, 1});
        auto gen = at::detail::createCPUGenerator(1234);
        const auto noise = torch::randn(latents.sizes(), gen, torch::kFloat32);
        const auto timesteps = torch::randint(0, 1000, {latents.size(0)}, gen, torch::kLong);
        diffii::DdimScheduler scheduler(sd.schedulerConfig());
        return diffii::conceptTrainingLoss(sd, scheduler, latents, noise, timesteps, inputIds).item<double>();
    }

    diffii::ConceptSettings quickSettings() {
        diffii::ConceptSettings s;
        s.maxSteps = 6;
        s.batchSize = 2;
        s.gradAccumulation = 2;
        s.checkpointEvery = 2;
        s.randomFlip = true;
        s.lrWarmupSteps = 2;
        s.loraRank = 4;
        s.loraLr = 1e-3;
        s.embeddingLr = 1e-2;
        s.seed = 7;
        return s;
    }

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        // One intra-op thread: the tiny model's ops are too small to gain from more, and on a loaded machine
        // (parallel builds, parallel ctest) two spinning OpenMP threads made a step 20x slower.
        torch::set_num_threads(1);
        m_dir = diffii::test::makeTempDir("concepts");
        // Class 1: the two fixture birds; class 2: two synthetic 32x32 images (the tiny model's native size).
        m_classes.push_back({"Black footed Albatross",
                             {fixture("tiny-sd1-diffii/input_0.png"), fixture("tiny-sd1-diffii/input_1.png")},
                             {},
                             {}});
        std::vector<std::string> synthetic;
        for (int i = 0; i < 2; ++i) {
            auto yy = torch::linspace(0, 1, 32).view({1, 32, 1}).expand({1, 32, 32});
            auto xx = torch::linspace(0, 1, 32).view({1, 1, 32}).expand({1, 32, 32});
            auto img = torch::cat({(xx * (i + 1)).remainder(1.0), yy, 0.5 * (xx + yy)}, 0).contiguous();
            const auto path = m_dir + "/syn_" + std::to_string(i) + ".png";
            diffii::saveImagePng(path, img);
            synthetic.push_back(path);
        }
        m_classes.push_back({"Laysan albatross", synthetic, {}, "sea bird"});
    }

    void cleanupTestCase() { std::filesystem::remove_all(m_dir); }

    void tokensAndPrompts() {
        auto sd = loadTiny();
        diffii::ConceptSettings s;
        s.tokensPerClass = 2;
        diffii::ConceptLearner learner(sd, m_classes, "bird", s);
        QCOMPARE(learner.tokens()[0],
                 (std::vector<std::string>{"<black-footed-albatross-0>", "<black-footed-albatross-1>"}));
        QCOMPARE(learner.tokens()[1], (std::vector<std::string>{"<laysan-albatross-0>", "<laysan-albatross-1>"}));
        QCOMPARE(diffii::conceptPrompt(learner.tokens()[1], "bird"),
                 std::string("a photo of a <laysan-albatross-0> <laysan-albatross-1> bird"));
        QCOMPARE(diffii::conceptSlug("  Red-winged  Blackbird (1)! "), std::string("red-winged-blackbird-1"));
        // Names that differ only in case or punctuation share a slug: the later classes take a number (they were
        // refused); one that would land on another class's slug takes the next free number.
        auto alike = m_classes;
        alike[0].name = "Owl";
        alike[1].name = "owl";
        alike.push_back({"owl 1", alike[1].imagePaths, {}, {}});
        alike.push_back({"OWL", alike[1].imagePaths, {}, {}});
        diffii::ConceptSettings one;
        diffii::ConceptLearner owls(sd, alike, "bird", one);
        QCOMPARE(owls.tokens()[0], (std::vector<std::string>{"<owl-0>"}));
        QCOMPARE(owls.tokens()[1], (std::vector<std::string>{"<owl-1-0>"}));
        QCOMPARE(owls.tokens()[2], (std::vector<std::string>{"<owl-1-2-0>"}));
        QCOMPARE(owls.tokens()[3], (std::vector<std::string>{"<owl-3-0>"}));
    }

    // The loss of a fixed batch (fixed latents, noise, timesteps) drops after 30 steps; the initial state is a
    // 0-step run (init-word embeddings, LoRA with up = 0).
    void lossDecreases() {
        diffii::ConceptSettings s;
        s.maxSteps = 30;
        s.batchSize = 4;
        s.loraRank = 4;
        s.loraLr = 2e-3;
        s.embeddingLr = 2e-2;
        s.checkpointEvery = 0;
        s.seed = 3;

        auto sd0 = loadTiny();
        auto s0 = s;
        s0.maxSteps = 0;
        diffii::ConceptLearner initial(sd0, m_classes, "bird", s0);
        initial.train(m_dir + "/loss0");
        const double before = fixedBatchLoss(*sd0, m_classes, initial.tokens());

        auto sd = loadTiny();
        diffii::ConceptLearner learner(sd, m_classes, "bird", s);
        std::vector<int64_t> reported;
        diffii::JobContext job;
        job.onProgress = [&](const diffii::Progress& p) {
            if (p.stage == "concepts" && p.done > 0) reported.push_back(p.done);
        };
        const auto result = learner.train(m_dir + "/loss", &job);
        const double after = fixedBatchLoss(*sd, m_classes, learner.tokens());
        qInfo("fixed-batch loss %.5f -> %.5f; last step loss %.5f, smoothed %.5f, %.2f steps/s", before, after,
              result.finalLoss, result.smoothedLoss, result.stepsPerSecond);
        QCOMPARE(result.steps, int64_t(30));
        QCOMPARE(reported.size(), size_t(30));
        QCOMPARE(reported.back(), int64_t(30));
        QVERIFY(std::isfinite(result.finalLoss));
        QVERIFY2(after < 0.9 * before, qPrintable(QString("fixed-batch loss %1 -> %2").arg(before).arg(after)));

        // loss.csv: header + one row per step.
        const auto csv = readText(m_dir + "/loss/loss.csv");
        QVERIFY(csv.rfind("step,loss,smoothed_loss,lr_embedding,lr_lora\n", 0) == 0);
        QCOMPARE(std::count(csv.begin(), csv.end(), '\n'), 31L);
        for (const char* f : {"embeddings.safetensors", "lora.safetensors", "concepts.json", "checkpoint.safetensors",
                              "checkpoint.json"})
            QVERIFY2(std::filesystem::exists(m_dir + "/loss/" + f), f);
    }

    // Only the new rows of the token embedding and the LoRA train: the original vocabulary rows and every model
    // parameter stay bit-identical.
    void onlyNewRowsAndLoraChange() {
        auto sd = loadTiny();
        const auto vocabBefore = sd->textEncoder()->tokenEmbeddingWeight().detach().clone();
        std::vector<torch::Tensor> unetBefore, textBefore;
        for (const auto& p : sd->unet()->parameters()) unetBefore.push_back(p.detach().clone());
        for (const auto& p : sd->textEncoder()->parameters()) textBefore.push_back(p.detach().clone());

        auto s = quickSettings();
        s.maxSteps = 4;
        diffii::ConceptLearner learner(sd, m_classes, "bird", s);
        learner.train(m_dir + "/rows");

        const auto weight = sd->textEncoder()->tokenEmbeddingWeight().detach();
        QCOMPARE(weight.size(0), vocabBefore.size(0) + 2);
        QVERIFY(torch::equal(weight.slice(0, 0, vocabBefore.size(0)), vocabBefore));
        QVERIFY(!weight.requires_grad());
        // The new rows moved away from their init word ("bird" for class 1).
        const int64_t id = sd->tokenizer().tokenId("<black-footed-albatross-0>");
        QCOMPARE(id, int64_t(49408));
        const auto birdRow = vocabBefore[sd->tokenizer().encode("bird")[1]];
        QVERIFY(!torch::equal(weight[id], birdRow));
        QVERIFY((weight[id] - birdRow).abs().max().item<double>() < 1.0);
        // The saved embedding is the row in the model.
        diffii::SafeTensorsFile emb(m_dir + "/rows/embeddings.safetensors");
        QVERIFY(torch::equal(emb.tensor("<black-footed-albatross-0>"), weight[id]));

        size_t i = 0;
        for (const auto& p : sd->unet()->parameters()) QVERIFY(torch::equal(p, unetBefore[i++]));
        i = 0;
        for (const auto& p : sd->textEncoder()->parameters()) {
            if (p.size(0) != vocabBefore.size(0) + 2) QVERIFY(torch::equal(p, textBefore[i]));
            ++i;
        }
        // The LoRA did train.
        double upMax = 0;
        for (const auto& [module, layer] : learner.lora()->layers())
            upMax = std::max(upMax, layer->up->weight.abs().max().item<double>());
        QVERIFY(upMax > 0);
    }

    // Cancel at step 3 + resume gives exactly the weights of an uninterrupted 6-step run: resumed on the same
    // model object (the GUI's cancel/continue) and on a freshly loaded one (a restarted process).
    void cancelAndResumeIsExact() {
        const auto s = quickSettings();
        {
            auto sd = loadTiny();
            diffii::ConceptLearner learner(sd, m_classes, "bird", s);
            learner.train(m_dir + "/full");
        }
        for (const bool sameModel : {true, false}) {
            const std::string dir = m_dir + (sameModel ? "/resumed_same" : "/resumed_fresh");
            auto sd = loadTiny();
            std::atomic<bool> cancel{false};
            diffii::JobContext job;
            job.cancelFlag = &cancel;
            job.onProgress = [&](const diffii::Progress& p) {
                if (p.stage == "concepts" && p.done == 3) cancel = true;
            };
            {
                diffii::ConceptLearner learner(sd, m_classes, "bird", s);
                bool cancelled = false;
                try {
                    learner.train(dir, &job);
                } catch (const diffii::Cancelled&) {
                    cancelled = true;
                }
                QVERIFY(cancelled);
            }
            const auto checkpoint = nlohmann::json::parse(readText(dir + "/checkpoint.json"));
            QCOMPARE(checkpoint["step"].get<int64_t>(), int64_t(3));
            QVERIFY(!std::filesystem::exists(dir + "/concepts.json"));

            if (!sameModel) sd = loadTiny();
            diffii::ConceptLearner learner(sd, m_classes, "bird", s);
            const auto result = learner.train(dir, nullptr, /*resume=*/true);
            QCOMPARE(result.resumedFromStep, int64_t(3));
            QCOMPARE(result.steps, int64_t(6));
            std::string why;
            QVERIFY2(sameTensors(m_dir + "/full/embeddings.safetensors", dir + "/embeddings.safetensors", &why),
                     why.c_str());
            QVERIFY2(sameTensors(m_dir + "/full/lora.safetensors", dir + "/lora.safetensors", &why), why.c_str());
            QVERIFY2(sameTensors(m_dir + "/full/checkpoint.safetensors", dir + "/checkpoint.safetensors", &why),
                     why.c_str());
            QCOMPARE(readText(dir + "/loss.csv"), readText(m_dir + "/full/loss.csv"));
        }

        // Resuming under other settings is refused with the setting's name; a larger maxSteps continues.
        auto sd = loadTiny();
        auto other = s;
        other.loraLr = 5e-4;
        diffii::ConceptLearner mismatched(sd, m_classes, "bird", other);
        const auto msg = errorOf([&] { mismatched.train(m_dir + "/full", nullptr, true); });
        QVERIFY2(msg.contains("lora_lr"), qPrintable(msg));
    }

    void loadConceptsRestoresTokensAndLora() {
        const std::string dir = m_dir + "/full";  // written by cancelAndResumeIsExact
        QVERIFY(std::filesystem::exists(dir + "/concepts.json"));
        auto sd = loadTiny();
        torch::NoGradGuard g;
        auto gen = at::detail::createCPUGenerator(5);
        const auto sample = torch::randn({1, 4, 16, 16}, gen);
        const auto t = torch::tensor({500}, torch::kLong);
        const auto plain = sd->unet()->forward(sample, t, sd->encodePrompt("a photo of a bird"));

        const auto concepts = diffii::loadConcepts(*sd, dir);
        QCOMPARE(concepts.metaclass, std::string("bird"));
        QCOMPARE(concepts.classNames, (std::vector<std::string>{"Black footed Albatross", "Laysan albatross"}));
        QCOMPARE(concepts.tokensPerClass.at("Laysan albatross"), std::vector<std::string>{"<laysan-albatross-0>"});
        QCOMPARE(concepts.prompt("Laysan albatross"), std::string("a photo of a <laysan-albatross-0> bird"));
        diffii::SafeTensorsFile emb(dir + "/embeddings.safetensors");
        const int64_t id = sd->tokenizer().tokenId("<laysan-albatross-0>");
        QVERIFY(torch::equal(sd->textEncoder()->tokenEmbeddingWeight()[id], emb.tensor("<laysan-albatross-0>")));

        const auto ctx = sd->encodePrompt("a photo of a bird");
        QVERIFY(concepts.lora->fused());
        const auto withLora = sd->unet()->forward(sample, t, ctx);
        // Fused weights compute what the adapters attached as hooks compute (to float32 rounding).
        concepts.lora->attach(*sd->unet(), 1.0);
        QVERIFY(!concepts.lora->fused());
        const auto withHooks = sd->unet()->forward(sample, t, ctx);
        const double fuseDiff = diffii::test::maxAbsDiff(withLora, withHooks);
        qInfo("fused vs attached LoRA: max abs diff %g", fuseDiff);
        QVERIFY(fuseDiff < 1e-4);
        concepts.lora->fuse(*sd->unet(), 1.0);
        QVERIFY(torch::equal(sd->unet()->forward(sample, t, ctx), withLora));
        concepts.lora->unfuse(*sd->unet());  // restores the base weights exactly
        const auto withoutLora = sd->unet()->forward(sample, t, ctx);
        QVERIFY(torch::equal(withoutLora, plain));
        const double diff = diffii::test::maxAbsDiff(withLora, withoutLora);
        qInfo("UNet output change from the LoRA: %g", diff);
        QVERIFY(diff > 1e-6);
        // The learned token changes the conditioning versus the init word.
        QVERIFY(!torch::equal(sd->encodePrompt(concepts.prompt("Laysan albatross")),
                              sd->encodePrompt("a photo of a sea bird bird")));
    }

    // bf16: the model computes in bfloat16, the trained rows and the LoRA stay float32 master copies.
    void bf16TrainingRuns() {
        DIFFII_REQUIRE_BF16_RUNS();
        auto sd = diffii::StableDiffusion::load(fixture("tiny-sd1"), diffii::LoadSettings{torch::kBFloat16});
        const auto vocabBefore = sd->textEncoder()->tokenEmbeddingWeight().detach().clone();
        auto s = quickSettings();
        s.bf16 = true;
        s.maxSteps = 3;
        diffii::ConceptLearner learner(sd, m_classes, "bird", s);
        const auto result = learner.train(m_dir + "/bf16");
        QVERIFY(std::isfinite(result.finalLoss));
        const auto weight = sd->textEncoder()->tokenEmbeddingWeight().detach();
        QCOMPARE(weight.scalar_type(), torch::kBFloat16);
        QVERIFY(torch::equal(weight.slice(0, 0, vocabBefore.size(0)), vocabBefore));
        diffii::SafeTensorsFile emb(m_dir + "/bf16/embeddings.safetensors");
        const auto row = emb.tensor("<laysan-albatross-0>");
        QCOMPARE(row.scalar_type(), torch::kFloat32);
        QVERIFY(torch::equal(row.to(torch::kBFloat16), weight[sd->tokenizer().tokenId("<laysan-albatross-0>")]));
        for (const auto& [module, layer] : learner.lora()->layers())
            QCOMPARE(layer->up->weight.scalar_type(), torch::kFloat32);
    }

    void errorsNameTheCulprit() {
        auto sd = loadTiny();
        const auto s = quickSettings();

        auto noImages = m_classes;
        noImages[1].imagePaths.clear();
        auto msg = errorOf([&] { diffii::ConceptLearner(sd, noImages, "bird", s); });
        QVERIFY2(msg.contains("Laysan albatross") && msg.contains("no images"), qPrintable(msg));

        const std::string broken = m_dir + "/broken.png";
        {
            std::ofstream f(broken);
            f << "not a png";
        }
        auto badImage = m_classes;
        badImage[0].imagePaths[1] = broken;
        msg = errorOf([&] { diffii::ConceptLearner(sd, badImage, "bird", s).train(m_dir + "/bad_image"); });
        QVERIFY2(msg.contains(QString::fromStdString(broken)), qPrintable(msg));

        // The output folder is checked before any image is read.
        const std::string unwritable = broken + "/out";  // a folder below a regular file
        msg = errorOf([&] { diffii::ConceptLearner(sd, badImage, "bird", s).train(unwritable); });
        QVERIFY2(msg.contains(QString::fromStdString(unwritable)), qPrintable(msg));

        auto badInit = m_classes;
        badInit[0].initWord = " \t ";
        msg = errorOf([&] { diffii::ConceptLearner(sd, badInit, "bird", s); });
        QVERIFY2(msg.contains("init word") && msg.contains("Black footed Albatross"), qPrintable(msg));

        auto vocabToken = m_classes;
        vocabToken[0].tokens = {"bird"};
        msg = errorOf([&] { diffii::ConceptLearner(sd, vocabToken, "bird", s); });
        QVERIFY2(msg.contains("'bird'") && msg.contains("vocabulary"), qPrintable(msg));

        auto bf16 = s;
        bf16.bf16 = true;
        msg = errorOf([&] { diffii::ConceptLearner(sd, m_classes, "bird", bf16); });
        QVERIFY2(msg.contains("bf16"), qPrintable(msg));

        msg = errorOf([&] { diffii::loadConcepts(*sd, m_dir + "/bad_image"); });
        QVERIFY2(msg.contains("concepts.json"), qPrintable(msg));
    }
};

DIFFII_TEST_MAIN(TestConceptLearner, None)
}  // namespace DIFFII_UNIT
#include "test_concept_learner.moc"
