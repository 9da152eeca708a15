// The embedded demo: the emoji-birds dataset (split by style), the shipped tiny model (small, loadable by the
// same loader as users' models, its own vocabulary, made by the recipe in the repository), the shipped concepts,
// and the demo project end to end (pool, generation, faithfulness, contact sheets).
#include <QtTest/QtTest>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include "core/data/dataset.h"
#include "core/demo/demo.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/jobs/threads.h"
#include "core/models/stable_diffusion.h"
#include "core/training/pretrainer.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace fs = std::filesystem;
using diffii::test::expectError;

namespace {

std::set<std::string> stems(const std::string& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().stem().string());
    return out;
}

std::string readText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

class TestDemo : public QObject {
    Q_OBJECT

    diffii::DemoResources res;

private Q_SLOTS:
    void initTestCase() { res = diffii::locateDemoResources(); }

    void datasetIsSplitByStyle() {
        const std::set<std::string> trainStyles{"fluent-color", "fluent-flat", "fluent-high-contrast", "openmoji-color",
                                                "openmoji-black"};
        const std::set<std::string> testStyles{"noto", "twemoji", "fluent-3d"};
        diffii::ImageFolderDataset train(res.trainImages), test(res.testImages);
        QCOMPARE(train.classCount(), 18);
        QCOMPARE(test.classCount(), 18);
        const std::set<std::string> expected{
            "rooster", "chicken",  "hatching chick", "baby chick", "front-facing baby chick",
            "bird",    "penguin",  "dove",           "turkey",     "eagle",
            "duck",    "owl",      "peacock",        "parrot",     "swan",
            "dodo",    "flamingo", "goose"};
        for (const auto& c : train.classes()) {
            QVERIFY2(expected.count(c.name), c.name.c_str());
            QCOMPARE(stems(res.trainImages + "/" + c.name), trainStyles);
            QCOMPARE(stems(res.testImages + "/" + c.name), testStyles);
            for (const auto& img : c.images) {
                const auto t = diffii::loadImageRgb(img);
                QCOMPARE(t.size(1), int64_t{64});
                QCOMPARE(t.size(2), int64_t{64});
                // On white: the corners are white.
                QVERIFY2(t.index({torch::indexing::Slice(), 0, 0}).min().item<float>() > 0.95f, img.c_str());
            }
        }
        const auto attribution = readText(res.root + "/emoji-birds/ATTRIBUTION.md");
        for (const char* licence : {"Apache-2.0", "CC-BY-4.0", "CC-BY-SA-4.0", "MIT"})
            QVERIFY2(attribution.find(licence) != std::string::npos, licence);
        for (const char* forbidden : {"apple", "facebook", "joypixels"}) {
            for (const auto& e : fs::recursive_directory_iterator(res.root + "/emoji-birds")) {
                std::string name = e.path().filename().string();
                std::transform(name.begin(), name.end(), name.begin(), ::tolower);
                QVERIFY2(name.find(forbidden) == std::string::npos, name.c_str());
            }
        }
    }

    void shippedModelIsSmallAndOurs() {
        uintmax_t bytes = 0;
        for (const auto& e : fs::recursive_directory_iterator(res.model))
            if (e.is_regular_file()) bytes += e.file_size();
        QVERIFY2(bytes < 20u * 1000 * 1000, std::to_string(bytes).c_str());
        auto sd = diffii::StableDiffusion::load(res.model);
        // Its own vocabulary (not CLIP's 49408 tokens), consistent with the text encoder.
        QVERIFY(sd->tokenizer().size() < 49408);
        QCOMPARE(sd->textEncoder()->config().vocabSize, static_cast<int64_t>(sd->tokenizer().size()));
        QVERIFY(!sd->tokenizer().tokenize("a photo of a bird").empty());
        QCOMPARE(sd->nativeImageSize(), int64_t{64});
        // Made by the recipe in the repository.
        const auto recipe = diffii::PretrainRecipe::fromFile(res.root + "/models/emoji-sd-tiny-recipe.json");
        const auto info = diffii::readJsonFile(res.model + "/pretraining.json");
        QCOMPARE(info["identity"], recipe.identity());
        QVERIFY(info["unet_steps_done"].get<int64_t>() > 0);
        QCOMPARE(info["weights_dtype"].get<std::string>(), std::string("float16"));
    }

    void computeThreadsFollowModelSize() {
        const QByteArray saved = qgetenv("DIFFII_THREADS");
        qunsetenv("DIFFII_THREADS");
        const int every = diffii::configureComputeThreads();
        QVERIFY(every >= 1);
        // Not chosen: a small model computes on one thread, a full-size one (SD 1.5: 860 M) on every core.
        QCOMPARE(diffii::configureThreadsForModel(5'300'000), 1);
        // ... and computes a guidance batch as two halves, at once on two threads when there are two cores; a
        // full-size model never splits.
        QVERIFY(diffii::splitGuidanceBatch(5'300'000));
        QVERIFY(!diffii::splitGuidanceBatch(859'520'964));
        QCOMPARE(diffii::halvesOnTwoThreads(), every >= 2);
        // OpenBLAS's own pool stays on the calling thread (when LibTorch runs on OpenBLAS, as on Debian).
        using GetThreads = int (*)();
        const auto blasThreads = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
        if (blasThreads) QCOMPARE(blasThreads(), 1);
        QCOMPARE(diffii::configureThreadsForModel(859'520'964), every);
        if (blasThreads) QCOMPARE(blasThreads(), 1);
        // Chosen (a request, or DIFFII_THREADS): kept whatever the model.
        QCOMPARE(diffii::configureComputeThreads(3), 3);
        QCOMPARE(diffii::configureThreadsForModel(5'300'000), 3);
        QVERIFY(!diffii::halvesOnTwoThreads());  // chosen threads: LibTorch's own, the halves one after the other
        qputenv("DIFFII_THREADS", "2");
        QCOMPARE(diffii::configureComputeThreads(), 2);
        QCOMPARE(diffii::configureThreadsForModel(5'300'000), 2);
        qputenv("DIFFII_THREADS", "two");
        expectError([] { diffii::configureComputeThreads(); }, {"DIFFII_THREADS='two'"});
        if (saved.isEmpty())
            qunsetenv("DIFFII_THREADS");
        else
            qputenv("DIFFII_THREADS", saved);
        diffii::configureComputeThreads();
    }

    void faithfulnessMeasure() {
        const auto real = diffii::labelledImages(res.trainImages);
        QCOMPARE(real.size(), size_t{90});
        for (const auto space : {diffii::FeatureSpace::Pixels, diffii::FeatureSpace::Hog}) {
            // Every real image is its own nearest neighbour.
            const auto self = diffii::nearestRealImageFaithfulness(real, real, space);
            QCOMPARE(self.total, int64_t{90});
            QCOMPARE(self.sameClass, int64_t{90});
            QCOMPARE(self.perClass.size(), size_t{18});
            QCOMPARE(self.nearestClass.size(), size_t{90});
            for (size_t i = 0; i < real.size(); ++i) QCOMPARE(self.nearestClass[i], real[i].className);
            // Wrong labels: none matches.
            auto wrong = real;
            for (auto& w : wrong) w.className = "not a class";
            QCOMPARE(diffii::nearestRealImageFaithfulness(wrong, real, space).sameClass, int64_t{0});
            expectError([&] { diffii::nearestRealImageFaithfulness(real, {}, space); }, {"no real images"});
        }
        // HOG reads shape, not colour: an image with inverted contrast still finds its original; in pixels it
        // does not (for most of them).
        const auto tmp = diffii::test::makeTempDir("faithfulness");
        std::vector<diffii::LabelledImage> inverted;
        for (size_t i = 0; i < real.size(); i += 9) {
            const auto path = tmp + "/inverted_" + std::to_string(i) + ".png";
            diffii::saveImagePng(path, 1.0 - diffii::loadImageRgb(real[i].path));
            inverted.push_back({path, real[i].className});
        }
        const auto hog = diffii::nearestRealImageFaithfulness(inverted, real, diffii::FeatureSpace::Hog);
        const auto pixels = diffii::nearestRealImageFaithfulness(inverted, real, diffii::FeatureSpace::Pixels);
        fs::remove_all(tmp);  // before the checks: a failing run leaves nothing behind either
        qInfo("inverted images found by class: HOG %lld/%lld, pixels %lld/%lld", static_cast<long long>(hog.sameClass),
              static_cast<long long>(hog.total), static_cast<long long>(pixels.sameClass),
              static_cast<long long>(pixels.total));
        QCOMPARE(hog.sameClass, hog.total);
        QVERIFY(pixels.sameClass < pixels.total);
        QCOMPARE(diffii::parseFeatureSpace("hog"), diffii::FeatureSpace::Hog);
        QCOMPARE(diffii::parseFeatureSpace("pixels"), diffii::FeatureSpace::Pixels);
        expectError([] { diffii::parseFeatureSpace("clip"); }, {"'clip'", "pixels or hog"});
    }

    void demoProjectEndToEnd() {
        const auto tmp = diffii::test::makeTempDir("demo");
        const auto dir = tmp + "/project";
        QCOMPARE(diffii::prepareDemoProject(dir, res), fs::weakly_canonical(dir).string());
        auto session = diffii::ProjectSession::open(dir);
        // The tiny model computes on one thread of this thread (configureThreadsForModel).
        if (qgetenv("DIFFII_THREADS").isEmpty()) QCOMPARE(at::get_num_threads(), 1);
        QVERIFY(!res.concepts.empty());
        QVERIFY(session->hasConcepts());  // the shipped concepts
        QCOMPARE(session->dataset().classCount(), 18);
        QVERIFY(session->classPrompt("penguin").find('<') != std::string::npos);
        // The shipped pool matches the shipped concepts and model: every entry is used as it is, nothing is rebuilt.
        QVERIFY(!res.pool.empty());
        const auto shipped = session->pool();
        QCOMPARE(shipped.size(), size_t{90});
        for (const auto& e : shipped) QVERIFY2(!e.stale, e.file.c_str());
        const auto t0 = std::chrono::steady_clock::now();
        QCOMPARE(session->buildPool().size(), size_t{90});
        const double poolSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        qInfo("pool ready in %.2f s", poolSeconds);
        QVERIFY2(poolSeconds < 5.0, std::to_string(poolSeconds).c_str());
        for (const auto& e : session->pool()) QVERIFY2(!e.stale, e.file.c_str());
        // Fewer denoising steps than the demo's settings, to keep the test short.
        auto settings = session->settings();
        QCOMPARE(settings.expansionRate, 1.0);
        settings.denoise.steps = 8;
        session->saveSettings(settings);
        const auto report = session->generate();
        QCOMPARE(report.generated, int64_t{90});
        const auto generated = diffii::syntheticImages(session->project().syntheticDir());
        QCOMPARE(generated.size(), size_t{90});
        auto real = diffii::labelledImages(res.trainImages);
        const auto test = diffii::labelledImages(res.testImages);
        real.insert(real.end(), test.begin(), test.end());
        const auto f = diffii::nearestRealImageFaithfulness(generated, real, diffii::FeatureSpace::Pixels);
        const auto fHog = diffii::nearestRealImageFaithfulness(generated, real, diffii::FeatureSpace::Hog);
        qInfo("faithfulness with 8 denoising steps: HOG %.1f%%, pixels %.1f%%", 100.0 * fHog.rate(), 100.0 * f.rate());
        // Chance is 1/18; bench_demo measures the demo's own settings (25 steps) against the 70% target.
        QVERIFY2(f.rate() > 0.3, std::to_string(f.rate()).c_str());
        QVERIFY2(fHog.rate() >= 0.7, std::to_string(fHog.rate()).c_str());

        diffii::ContactSheetSettings cs;
        cs.alphas = {0.0, 0.5};
        cs.splits = {0.5};
        const auto sheets = diffii::writeContactSheets(*session, tmp + "/sheets", cs);
        QCOMPARE(sheets.size(), size_t{19});
        const auto overview = diffii::loadImageRgb(tmp + "/sheets/overview.png");
        QCOMPARE(overview.size(1), int64_t{18 * 2 * 66 + 2});
        QCOMPARE(overview.size(2), int64_t{5 * 66 + 2});
        // By position on the circle: a full turn comes back to the first inversion, and turn 0 is alpha 0.
        cs.alphas = {1.5};
        cs.turns = {0.0, 1.0};
        cs.suffix = ", flat emoji";
        (void)diffii::writeContactSheets(*session, tmp + "/turns", cs);
        const auto byTurn = diffii::loadImageRgb(tmp + "/turns/penguin.png");
        const auto byAlpha = diffii::loadImageRgb(tmp + "/sheets/penguin.png");
        auto tile = [](const torch::Tensor& sheet, int64_t col) {
            return sheet.slice(1, 68, 68 + 64).slice(2, col * 66 + 2, col * 66 + 66);
        };
        const double fullTurn = (tile(byTurn, 0) - tile(byTurn, 1)).abs().max().item<double>();
        QVERIFY2(fullTurn < 0.05, std::to_string(fullTurn).c_str());
        // Turn 0 with a suffix against alpha 0 without: the same start, a different first stage.
        QVERIFY((tile(byTurn, 0) - tile(byAlpha, 0)).abs().max().item<double>() > 0.02);

        // Reopening reuses the project; a non-empty folder that is not a project is refused.
        QCOMPARE(diffii::prepareDemoProject(dir, res), fs::weakly_canonical(dir).string());
        QVERIFY(fs::exists(dir + "/inversions"));
        fs::create_directories(tmp + "/other");
        std::ofstream(tmp + "/other/notes.txt") << "mine";
        expectError([&] { diffii::prepareDemoProject(tmp + "/other", res); }, {"other", "not a project"});
        QVERIFY(fs::exists(tmp + "/other/notes.txt"));
        fs::remove_all(tmp);
    }
};

DIFFII_TEST_MAIN(TestDemo, Core)
}  // namespace DIFFII_UNIT
#include "test_demo.moc"
