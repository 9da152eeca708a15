// The baselines as strategies of the same engine (core/engine/types.h SynthesisStrategy), on the demo project
// (embedded model, shipped concepts): img2img at strength 1 is text to image from the same noise and at strength 0
// the source; every strategy writes the same manifest with its name, strengths from its set and (Diff-Mix) a
// target class whose soft label the classifier reads; a rerun keeps every image.
#include <QtTest/QtTest>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <ATen/CPUGeneratorImpl.h>

#include "core/data/synthetic_manifest.h"
#include "core/demo/demo.h"
#include "core/engine/session.h"
#include "core/eval/classifier.h"
#include "core/eval/evaluation.h"
#include "core/io/image.h"
#include "core/io/json_config.h"
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

namespace fs = std::filesystem;

class TestStrategies : public QObject {
    Q_OBJECT

    std::string m_tmp;
    std::unique_ptr<diffii::ProjectSession> m_session;

private Q_SLOTS:
    void initTestCase() {
        m_tmp = diffii::test::makeTempDir("strategies");
        const auto dir = diffii::prepareDemoProject(m_tmp + "/project", diffii::locateDemoResources());
        m_session = diffii::ProjectSession::open(dir);
        QVERIFY(m_session->hasConcepts());
        auto s = m_session->settings();
        s.denoise.steps = 6;
        s.denoise.guidance = 2.0;
        m_session->saveSettings(s);
    }
    void cleanupTestCase() {
        m_session.reset();
        fs::remove_all(m_tmp);
    }

    void imageToImageEnds() {
        auto& sd = m_session->model();
        const auto pe = diffii::encodePrompts(sd, m_session->classPrompt("penguin"), "");
        diffii::DenoiseSettings d;
        d.steps = 6;
        d.guidance = 2.0;
        d.split = 0.0;
        const int64_t size = sd.unet()->config().sampleSize;
        auto gen = at::detail::createCPUGenerator(11);
        const auto noise = torch::randn({1, sd.unet()->config().inChannels, size, size}, gen);
        const auto image = diffii::loadImageForModel(m_session->split().classes[0].train[0], sd.nativeImageSize(),
                                                     sd.nativeImageSize());
        const auto x0 = diffii::encodeImageToLatent(sd, image);
        // Strength 1: text to image from the same noise, exactly.
        const auto full = diffii::imageToImage(sd, x0, noise, 1.0, pe, d);
        const auto txt = diffii::denoiseTwoStage(sd, noise, pe, d);
        QVERIFY(torch::equal(full, txt));
        // Strength -> 0: no step runs, the source comes back.
        QVERIFY(torch::equal(diffii::imageToImage(sd, x0, noise, 0.1, pe, d), x0));
        // In between: the result moves away from the source as the strength grows.
        const double near = (diffii::imageToImage(sd, x0, noise, 0.34, pe, d) - x0).abs().mean().item<double>();
        const double far = (diffii::imageToImage(sd, x0, noise, 0.84, pe, d) - x0).abs().mean().item<double>();
        QVERIFY2(near < far, (std::to_string(near) + " vs " + std::to_string(far)).c_str());
        diffii::test::expectError([&] { diffii::imageToImage(sd, x0, noise, 1.5, pe, d); }, {"strength", "1.5"});
    }

    void everyBaselineWritesItsManifest() {
        const std::map<diffii::SynthesisStrategy, std::set<double>> strengths = {
            {diffii::SynthesisStrategy::RealGuidance, {0.5}},
            {diffii::SynthesisStrategy::DaFusion, {0.25, 0.5, 0.75, 1.0}},
            {diffii::SynthesisStrategy::DiffAug, {0.3, 0.5, 0.7, 0.9}},
            {diffii::SynthesisStrategy::DiffMix, {0.3, 0.5, 0.7, 0.9}},
            {diffii::SynthesisStrategy::DiffGen, {0.0}}};
        for (const auto& [strategy, allowed] : strengths) {
            const std::string name = diffii::strategyName(strategy);
            const auto dir = m_tmp + "/sets/" + name;
            const auto report = m_session->generateStrategy(strategy, dir, 0.4);  // 2 images per class
            QCOMPARE(report.generated, report.total);
            const auto records = diffii::readManifestJsonl(dir + "/manifest.jsonl");
            QCOMPARE(static_cast<int64_t>(records.size()), report.total);
            bool otherTarget = false;
            for (const auto& r : records) {
                QCOMPARE(r.strategy, name);
                QVERIFY2(allowed.count(r.strength), (name + " strength " + std::to_string(r.strength)).c_str());
                QCOMPARE(r.sourceClass, r.className);
                if (strategy != diffii::SynthesisStrategy::DiffMix) QCOMPARE(r.targetClass, r.className);
                otherTarget = otherTarget || r.targetClass != r.className;
                if (strategy != diffii::SynthesisStrategy::DiffGen) QVERIFY(fs::exists(r.sourceA));
                QVERIFY(fs::exists(fs::path(dir) / r.outputPath));
            }
            if (strategy == diffii::SynthesisStrategy::DiffMix) {
                QVERIFY(otherTarget);
                // The classifier reads the soft labels: source 0.9·(1 − s^0.8), target 0.9·s^0.8.
                const auto res = diffii::locateDemoResources();
                const auto data = diffii::loadClassifierData(res.trainImages, res.testImages, dir);
                int soft = 0;
                for (const auto& s : data.synthetic) {
                    if (s.target.empty()) continue;
                    ++soft;
                    double sum = 0;
                    for (float v : s.target) sum += v;
                    QVERIFY(std::abs(sum - 0.9) < 1e-5);
                }
                QCOMPARE(soft, static_cast<int>(records.size()));
            }
            // A rerun keeps every image.
            const auto again = m_session->generateStrategy(strategy, dir, 0.4);
            QCOMPARE(again.skipped, again.total);
        }
        diffii::test::expectError([] { diffii::parseStrategy("dreambooth"); }, {"dreambooth", "diff-mix"});
    }

    // Diff-II at another split ratio is a strategy of its own ("diff-ii@S": its set in strategies/diff-ii-sS/, made
    // at that s), and an evaluation uses only the images of the current plan, not what else lies in the folder.
    void diffIiAtAnotherSplitUsesOnlyPlannedImages() {
        for (const char* bad : {"diff-ii@2", "diff-ii@", "diff-ii@x", "da-fusion@0.3"})
            QVERIFY2(!diffii::test::errorOf([&] { diffii::checkEvaluationStrategy(bad); }).empty(), bad);
        diffii::checkEvaluationStrategy("diff-ii@0.3");
        diffii::EvaluationSettings e;
        e.strategies = {"original", "diff-ii@0.3"};
        e.seeds = 1;
        e.expansionRate = 0.2;
        e.recipe.epochs = 1;
        e.recipe.width = 8;
        e.recipe.resolution = 32;
        e.recipe.weights = "none";
        const auto out = m_tmp + "/eval-split";
        const auto first = diffii::runEvaluation(*m_session, e, out);
        const auto dir = m_session->strategyDir(diffii::SynthesisStrategy::DiffII, 0.3);
        QCOMPARE(fs::path(dir).filename().string(), std::string("diff-ii-s0.3"));
        const auto records = diffii::readManifestJsonl(dir + "/manifest.jsonl");
        QCOMPARE(records.size(), size_t(18));  // 0.2 x 90 training images, one a class at least
        for (const auto& r : records) QCOMPARE(r.split, 0.3);
        QCOMPARE(first.strategies[1].images, int64_t(18));
        // An image left in the folder by an earlier, larger run is not used.
        fs::copy_file(fs::path(dir) / records[0].outputPath, fs::path(dir) / records[0].className / "left-over.png");
        const auto again = diffii::runEvaluation(*m_session, e, out);
        QCOMPARE(again.strategies[1].images, int64_t(18));
        QCOMPARE(again.strategies[1].accuracies, first.strategies[1].accuracies);
        // Another test folder is another run: nothing finished is reused for it.
        const auto before = diffii::readJsonFile(out + "/original/seed-0/result.json");
        e.testDir = m_session->dataset().root();  // the training images themselves, 90 instead of 54
        (void)diffii::runEvaluation(*m_session, e, out);
        const auto after = diffii::readJsonFile(out + "/original/seed-0/result.json");
        QCOMPARE(before["test_images"].get<int64_t>(), int64_t(54));
        QCOMPARE(after["test_images"].get<int64_t>(), int64_t(90));
        QVERIFY(after["data_fingerprint"] != before["data_fingerprint"]);
    }

    // `diffii evaluate` killed (SIGKILL) after its first classifier run resumes to the results of an
    // uninterrupted run; the files of the contract are there.
    void evaluateResumesAfterKill() {
        const QString project = QString::fromStdString(m_session->project().dir());
        m_session.reset();  // the CLI opens the project itself
        auto args = [&](const std::string& out) {
            return QStringList{QStringLiteral("evaluate"),     project,
                               QStringLiteral("--strategies"), QStringLiteral("original,diff-gen,cutmix"),
                               QStringLiteral("--seeds"),      QStringLiteral("2"),
                               QStringLiteral("--epochs"),     QStringLiteral("3"),
                               QStringLiteral("--width"),      QStringLiteral("8"),
                               QStringLiteral("--size"),       QStringLiteral("32"),
                               QStringLiteral("--expansion"),  QStringLiteral("0.4"),
                               QStringLiteral("--weights"),    QStringLiteral("none"),
                               QStringLiteral("--out"),        QString::fromStdString(out)};
        };
        const auto whole = diffii::test::runDiffii(args(m_tmp + "/eval-a"));
        QVERIFY2(whole.code == 0, qPrintable(whole.err.right(2000)));
        for (const char* f : {"results.json", "table.md", "table.csv"})
            QVERIFY2(fs::exists(fs::path(m_tmp) / "eval-a" / f), f);
        const auto a = diffii::readJsonFile(m_tmp + "/eval-a/results.json");
        for (const char* s : {"original", "diff-gen", "cutmix"}) {
            QVERIFY2(a.contains(s), s);
            QCOMPARE(a[s]["runs"].size(), size_t{2});
            QVERIFY(a[s].contains("accuracy_mean") && a[s].contains("accuracy_std"));
        }
        QVERIFY(a["diff-gen"]["faithfulness"].is_number());
        // table.md gives each run rounded to two decimals (it cut them: 48.148 read 48.14).
        {
            std::ifstream in(m_tmp + "/eval-a/table.md");
            const std::string table((std::istreambuf_iterator<char>(in)), {});
            for (const char* s : {"original", "diff-gen", "cutmix"}) {
                std::string runs;
                for (const auto& run : a[s]["runs"]) {
                    char b[32];
                    std::snprintf(b, sizeof b, "%.2f", 100 * run.get<double>());
                    runs += (runs.empty() ? "" : " ") + std::string(b);
                }
                QVERIFY2(table.find("| " + runs + " |") != std::string::npos, (runs + "\n" + table).c_str());
            }
        }

        // Killed once the first run's result exists, then run again.
        QProcess p;
        p.start(QString::fromStdString(std::string(DIFFII_BINARY_DIR) + "/app/diffii"), args(m_tmp + "/eval-b"));
        QVERIFY(p.waitForStarted());
        const auto first = fs::path(m_tmp) / "eval-b" / "original" / "seed-0" / "result.json";
        QTRY_VERIFY_WITH_TIMEOUT(fs::exists(first), 120000);
        p.kill();
        p.waitForFinished();
        const auto resumed = diffii::test::runDiffii(args(m_tmp + "/eval-b"));
        QVERIFY2(resumed.code == 0, qPrintable(resumed.err.right(2000)));
        const auto b = diffii::readJsonFile(m_tmp + "/eval-b/results.json");
        for (const char* s : {"original", "diff-gen", "cutmix"}) QCOMPARE(b[s]["runs"], a[s]["runs"]);
        QCOMPARE(b["diff-gen"]["faithfulness"], a["diff-gen"]["faithfulness"]);
        // Bad input: an unknown strategy is named.
        auto bad = args(m_tmp + "/eval-c");
        bad[3] = QStringLiteral("original,dreambooth");
        const auto err = diffii::test::runDiffii(bad);
        QCOMPARE(err.code, 1);
        QVERIFY2(err.err.contains(QStringLiteral("dreambooth")), qPrintable(err.err));
    }
};

DIFFII_TEST_MAIN(TestStrategies, None)
}  // namespace DIFFII_UNIT
#include "test_strategies.moc"
