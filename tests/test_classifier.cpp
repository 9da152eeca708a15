// The evaluation's classifier job (core/eval/classifier.h): SGD semantics, the learning-rate schedule, label
// rules (Diff-Mix soft labels, Mixup/CutMix mixing), the replacement rate, and on the emoji-birds demo images a
// short run that beats chance, is deterministic for a seed, resumes to the same result, and refuses bad input.
#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "core/demo/demo.h"
#include "core/eval/classifier_training.h"
#include "core/eval/resnet.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace fs = std::filesystem;

namespace {

diffii::ClassifierRecipe quickRecipe() {
    diffii::ClassifierRecipe r;
    r.width = 16;
    r.resolution = 64;
    r.epochs = 30;
    r.batchSize = 16;
    r.lr = 0.05;
    r.seed = 3;
    return r;
}

// A copy of an ImageFolder with some classes or images left out.
void copyFolder(const std::string& from, const std::string& to, int dropImagesOfClass = -1) {
    int c = 0;
    const diffii::ImageFolderDataset dataset(from);
    for (const auto& cls : dataset.classes()) {
        fs::create_directories(fs::path(to) / cls.name);
        if (c++ == dropImagesOfClass) continue;
        for (const auto& img : cls.images) fs::copy_file(img, fs::path(to) / cls.name / fs::path(img).filename());
    }
}

}  // namespace

class TestClassifier : public QObject {
    Q_OBJECT

    std::string m_tmp;
    diffii::DemoResources m_res;

private Q_SLOTS:
    void initTestCase() {
        m_tmp = diffii::test::makeTempDir("classifier");
        m_res = diffii::locateDemoResources();
    }
    void cleanupTestCase() { fs::remove_all(m_tmp); }

    // PyTorch's SGD: the decay is added to the gradient, the momentum buffer starts as the first gradient.
    void sgdSemantics() {
        auto lin = torch::nn::Linear(torch::nn::LinearOptions(1, 1).bias(false));
        torch::NoGradGuard g;
        lin->weight.fill_(2.0);
        diffii::ClassifierRecipe r;
        r.lr = 0.1;
        r.momentum = 0.9;
        r.weightDecay = 0.01;
        auto opt = diffii::makeClassifierOptimizer(*lin, r);
        double p = 2.0, buf = 0.0;
        for (int k = 0; k < 3; ++k) {
            const double grad = 1.0 + k;
            lin->weight.mutable_grad() = torch::full({1, 1}, grad);
            opt->step();
            const double d = grad + r.weightDecay * p;
            buf = k == 0 ? d : r.momentum * buf + d;
            p -= r.lr * buf;
            QVERIFY(std::abs(lin->weight.item<double>() - p) < 1e-6);
        }
    }

    void learningRateSchedule() {
        diffii::ClassifierRecipe r;
        r.lr = 0.2;
        r.warmupFraction = 0.1;
        const int64_t n = 100;
        QVERIFY(std::abs(diffii::classifierLearningRate(r, 0, n) - 0.02) < 1e-12);  // warm-up from lr/10 steps
        QVERIFY(std::abs(diffii::classifierLearningRate(r, 9, n) - 0.2) < 1e-12);
        QVERIFY(std::abs(diffii::classifierLearningRate(r, 10, n) - 0.2) < 1e-12);  // cosine starts at lr
        QVERIFY(std::abs(diffii::classifierLearningRate(r, 55, n) - 0.1) < 1e-12);  // half-way down
        QVERIFY(diffii::classifierLearningRate(r, 99, n) < 0.001);
        for (int64_t i = 11; i < n; ++i)
            QVERIFY(diffii::classifierLearningRate(r, i, n) < diffii::classifierLearningRate(r, i - 1, n));
    }

    void labelRules() {
        const auto [src, tar] = diffii::diffMixLabelWeights(0.7, 0.8, 0.9);
        QVERIFY(std::abs(src - 0.9 * (1 - std::pow(0.7, 0.8))) < 1e-12);
        QVERIFY(std::abs(tar - 0.9 * std::pow(0.7, 0.8)) < 1e-12);
        // Mixing keeps every target row a distribution, and moves mass between rows.
        auto gen = at::detail::createCPUGenerator(5);
        const auto images = torch::rand({6, 3, 16, 16}, gen);
        const auto targets = torch::eye(6).slice(1, 0, 6);
        for (const auto m : {diffii::BatchMixing::Mixup, diffii::BatchMixing::CutMix}) {
            for (int k = 0; k < 5; ++k) {
                auto g = at::detail::createCPUGenerator(static_cast<uint64_t>(10 + k));
                const auto [x, t] = diffii::mixBatch(images, targets, m, g);
                QCOMPARE(x.sizes(), images.sizes());
                QVERIFY((t.sum(1) - 1).abs().max().item<double>() < 1e-6);
                QVERIFY(t.min().item<double>() >= 0);
            }
        }
        // The soft loss on a one-hot target is the LabelSmoothingLoss of the Diff-II code.
        const auto logits = torch::tensor({{2.0f, 0.0f, -1.0f}});
        const auto onehot = torch::tensor({{1.0f, 0.0f, 0.0f}});
        const auto logp = torch::log_softmax(logits, -1);
        const double expect = -(0.05 + 0.9) * logp[0][0].item<double>() - 0.05 * logp[0][1].item<double>() -
                              0.05 * logp[0][2].item<double>();
        QVERIFY(std::abs(diffii::softLabelLoss(logits, onehot, 0.1).item<double>() - expect) < 1e-6);
        QCOMPARE(diffii::parseBatchMixing("cutmix"), diffii::BatchMixing::CutMix);
        diffii::test::expectError([] { diffii::parseBatchMixing("blend"); }, {"blend"});
    }

    // A short run on the demo: far above chance (1/18), the same for the same seed, and a resumed run (stopped
    // after its second epoch) ends with exactly the same result.
    void demoRunBeatsChanceAndResumes() {
        auto data = diffii::loadClassifierData(m_res.trainImages, m_res.testImages);
        QCOMPARE(data.classNames.size(), size_t{18});
        const auto r = quickRecipe();
        const auto a = diffii::trainClassifier(data, r, m_tmp + "/a");
        const double chance = 1.0 / static_cast<double>(data.classNames.size());
        qInfo(
            "demo classifier (resnet18 width %lld, %lld px, %d epochs, seed %llu): accuracy %.3f (chance %.3f), %.1f s",
            static_cast<long long>(r.width), static_cast<long long>(r.resolution), r.epochs,
            static_cast<unsigned long long>(r.seed), a.accuracy, chance, a.seconds);
        QVERIFY2(a.accuracy > 3 * chance, std::to_string(a.accuracy).c_str());
        QCOMPARE(a.epochAccuracy.size(), size_t(r.epochs));
        int64_t total = 0;
        for (const auto& row : a.confusion)
            for (const auto v : row) total += v;
        QCOMPARE(total, static_cast<int64_t>(data.test.size()));
        const auto j = diffii::readJsonFile(m_tmp + "/a/result.json");
        for (const char* key : {"accuracy", "per_class", "confusion", "epochs", "seed", "settings"})
            QVERIFY2(j.contains(key), key);

        // Stopped after two epochs (a cancel at the first batch of the third), then resumed.
        diffii::JobContext job;
        std::atomic<bool> cancel{false};
        job.cancelFlag = &cancel;
        const int64_t perEpoch = (static_cast<int64_t>(data.train.size()) + r.batchSize - 1) / r.batchSize;
        job.onProgress = [&](const diffii::Progress& p) {
            if (p.stage == "classifier" && p.done == 2 * perEpoch) cancel = true;
        };
        QVERIFY_THROWS_EXCEPTION(diffii::Cancelled, diffii::trainClassifier(data, r, m_tmp + "/b", &job));
        const auto b = diffii::trainClassifier(data, r, m_tmp + "/b");
        QCOMPARE(b.resumedFromEpoch, int64_t{2});
        QCOMPARE(b.epochAccuracy, a.epochAccuracy);
        QCOMPARE(b.confusion, a.confusion);
        QCOMPARE(b.accuracy, a.accuracy);
        // Another seed is another run.
        auto r2 = r;
        r2.seed = 4;
        r2.epochs = 1;
        const auto c = diffii::trainClassifier(data, r2, m_tmp + "/c");
        QVERIFY(c.epochAccuracy.size() == 1);
    }

    // With a synthetic set, the share of replaced samples is p (binomial bound: 5 standard deviations).
    void replacementRateIsP() {
        // The demo's test images stand in for a synthetic set of the same classes.
        auto data = diffii::loadClassifierData(m_res.trainImages, m_res.testImages, m_res.testImages);
        QVERIFY(!data.synthetic.empty());
        auto r = quickRecipe();
        r.epochs = 3;
        r.resolution = 32;
        r.replaceProbability = 0.3;
        const auto res = diffii::trainClassifier(data, r, m_tmp + "/p");
        const double n = 3.0 * static_cast<double>(data.train.size());
        const double sd = std::sqrt(0.3 * 0.7 / n);
        qInfo("replaced %.4f of %.0f samples (p 0.3, sd %.4f)", res.replacedFraction, n, sd);
        QVERIFY(std::abs(res.replacedFraction - 0.3) < 5 * sd);
        r.replaceProbability = 0.0;
        r.epochs = 1;
        QCOMPARE(diffii::trainClassifier(data, r, m_tmp + "/p0").replacedFraction, 0.0);
    }

    // The CLI contract: result.json's keys, the same accuracy for the same seed, clear errors with exit code 1.
    void cli() {
        const auto out = QString::fromStdString(m_tmp + "/cli");
        const QStringList base = {QStringLiteral("classify"),
                                  QStringLiteral("--train"),
                                  QString::fromStdString(m_res.trainImages),
                                  QStringLiteral("--test"),
                                  QString::fromStdString(m_res.testImages),
                                  QStringLiteral("--weights"),
                                  QStringLiteral("none"),
                                  QStringLiteral("--width"),
                                  QStringLiteral("16"),
                                  QStringLiteral("--size"),
                                  QStringLiteral("32"),
                                  QStringLiteral("--epochs"),
                                  QStringLiteral("2"),
                                  QStringLiteral("--seed"),
                                  QStringLiteral("7")};
        const auto a = diffii::test::runDiffii(base + QStringList{QStringLiteral("--out"), out + QStringLiteral("/a")});
        QVERIFY2(a.code == 0, qPrintable(a.err));
        // Training shows in a log (a pipe here): its steps with their epoch, up to the last one.
        QVERIFY2(a.err.contains(QStringLiteral("classifier 1/")) && a.err.contains(QStringLiteral("epoch 2/2")),
                 qPrintable(a.err));
        const auto b = diffii::test::runDiffii(base + QStringList{QStringLiteral("--out"), out + QStringLiteral("/b")});
        QVERIFY2(b.code == 0, qPrintable(b.err));
        const auto ja = diffii::readJsonFile(m_tmp + "/cli/a/result.json");
        const auto jb = diffii::readJsonFile(m_tmp + "/cli/b/result.json");
        for (const char* key : {"accuracy", "per_class", "confusion", "epochs", "seed", "settings"})
            QVERIFY2(ja.contains(key), key);
        QCOMPARE(ja.at("seed").get<int>(), 7);
        QCOMPARE(ja.at("accuracy").get<double>(), jb.at("accuracy").get<double>());
        QCOMPARE(ja.at("confusion"), jb.at("confusion"));
        const auto bad = diffii::test::runDiffii({QStringLiteral("classify"), QStringLiteral("--train"),
                                                  QString::fromStdString(m_res.trainImages), QStringLiteral("--test"),
                                                  QStringLiteral("/nonexistent/test"), QStringLiteral("--out"), out});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains(QStringLiteral("/nonexistent/test")), qPrintable(bad.err));
        // lpips: a number, 0 for an image against itself.
        const auto img = QString::fromStdString(diffii::ImageFolderDataset(m_res.trainImages).classes()[0].images[0]);
        const auto lp = diffii::test::fixture("eval/lpips-alex");
        if (diffii::test::fixturesPresent()) {
            const auto same = diffii::test::runDiffii(
                {QStringLiteral("lpips"), QStringLiteral("--trunk"),
                 QString::fromStdString(lp + "/alexnet_features.safetensors"), QStringLiteral("--lin"),
                 QString::fromStdString(lp + "/lpips_alex_v0.1_lin.safetensors"), img, img});
            QVERIFY2(same.code == 0, qPrintable(same.err));
            QCOMPARE(same.out.trimmed().toDouble(), 0.0);
        }
    }

    void badInput() {
        try {
            badInputCases();
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
    }

    void softLabels() {
        try {
            softLabelsWithAnyPath();
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
    }

    // LPIPS needs 31 pixels a side (AlexNet's stem and poolings): a smaller image is named, not LibTorch's stack.
    void lpipsSmallImage() {
        DIFFII_REQUIRE_FIXTURES();
        const std::string small = m_tmp + "/small.png";
        diffii::saveImagePng(small, torch::rand({3, 16, 16}));
        const std::string lp = diffii::test::fixture("eval/lpips-alex");
        const auto r = diffii::test::runDiffii({QStringLiteral("lpips"), QStringLiteral("--trunk"),
                                                QString::fromStdString(lp + "/alexnet_features.safetensors"),
                                                QStringLiteral("--lin"),
                                                QString::fromStdString(lp + "/lpips_alex_v0.1_lin.safetensors"),
                                                QString::fromStdString(small), QString::fromStdString(small)});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QString::fromStdString(small)) && r.err.contains(QStringLiteral("31")) &&
                     !r.err.contains(QStringLiteral("Output size is too small")),
                 qPrintable(r.err));
    }

private:
    // Diff-Mix soft labels are found whatever form of the set's path is given (a relative one matched nothing, and
    // the images trained with hard labels); they count in the data's fingerprint; a manifest row whose image is not
    // in the set is an error, not a label silently lost.
    void softLabelsWithAnyPath() {
        const std::string dir = m_tmp + "/soft-set";
        copyFolder(m_res.testImages, dir);
        const diffii::ImageFolderDataset set(dir);
        QVERIFY(set.classes().size() >= 2);
        std::vector<std::string> names;
        for (const auto& c : set.classes()) names.push_back(c.name);
        const auto& first = set.classes()[0];
        const std::string rel = first.name + "/" + fs::path(first.images[0]).filename().string();
        const nlohmann::json row = {{"outputPath", rel},
                                    {"strategy", "diff-mix"},
                                    {"sourceClass", names[0]},
                                    {"targetClass", names[1]},
                                    {"strength", 0.5}};
        std::ofstream(dir + "/manifest.jsonl") << row.dump() << "\n";
        const std::string relative = fs::relative(dir, fs::current_path()).string();
        QVERIFY(fs::path(relative).is_relative());
        for (const std::string& given : {dir, relative, dir + "/./"}) {
            const auto samples = diffii::syntheticSamples(given, names);
            int soft = 0;
            for (const auto& smp : samples) soft += smp.target.empty() ? 0 : 1;
            QVERIFY2(soft == 1, given.c_str());
        }
        auto withSoft = diffii::loadClassifierData(m_res.trainImages, m_res.testImages, dir);
        auto withoutSoft = withSoft;
        for (auto& smp : withoutSoft.synthetic) smp.target.clear();
        QVERIFY(diffii::classifierDataFingerprint(withSoft) != diffii::classifierDataFingerprint(withoutSoft));

        std::ofstream(dir + "/manifest.jsonl", std::ios::app)
            << nlohmann::json{{"outputPath", first.name + "/gone.png"},
                              {"strategy", "diff-mix"},
                              {"sourceClass", names[0]},
                              {"targetClass", names[1]},
                              {"strength", 0.5}}
                   .dump()
            << "\n";
        diffii::test::expectError([&] { diffii::syntheticSamples(dir, names); }, {"manifest.jsonl", "not in the set"});
    }

    void badInputCases() {
        // A test set with an empty class; classes that differ; a weights file of another kind; a changed recipe.
        copyFolder(m_res.testImages, m_tmp + "/test-empty", 0);
        diffii::test::expectError([&] { diffii::loadClassifierData(m_res.trainImages, m_tmp + "/test-empty"); },
                                  {"test-empty", "has no images"});
        fs::create_directories(m_tmp + "/train-extra/zebra");
        copyFolder(m_res.trainImages, m_tmp + "/train-extra");
        const diffii::ImageFolderDataset train(m_res.trainImages);
        fs::copy_file(train.classes()[0].images[0], m_tmp + "/train-extra/zebra/a.png");
        diffii::test::expectError([&] { diffii::loadClassifierData(m_tmp + "/train-extra", m_res.testImages); },
                                  {"zebra"});
        diffii::saveSafetensors(m_tmp + "/notresnet.safetensors", {{"weight", torch::zeros({2, 2})}});
        auto r = quickRecipe();
        r.weights = m_tmp + "/notresnet.safetensors";
        const auto data = diffii::loadClassifierData(m_res.trainImages, m_res.testImages);
        diffii::test::expectError([&] { diffii::trainClassifier(data, r, m_tmp + "/w"); },
                                  {"notresnet.safetensors", "conv1.weight"});
        auto r2 = quickRecipe();
        r2.resolution = 32;
        r2.lr = 0.05;  // the folder "a" holds a checkpoint of another recipe only when that run was stopped early
        r2.epochs = 1;
        diffii::trainClassifier(data, r2, m_tmp + "/x");
        r2.lr = 0.07;
        diffii::test::expectError([&] { diffii::trainClassifier(data, r2, m_tmp + "/x"); },
                                  {"checkpoint.safetensors", "another recipe"});
    }
};

DIFFII_TEST_MAIN(TestClassifier, None)
}  // namespace DIFFII_UNIT
#include "test_classifier.moc"
