// Non-finite values never pass silently: `diffii info --scan-values` names the weights holding NaN or infinity,
// and a model whose UNet or VAE decoder computes NaN makes the pipeline fail at the stage that produced it (DDIM
// inversion, denoising, decode) instead of writing a black PNG. Built on copies of the embedded tiny model with
// one tensor set to NaN.
#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>

#include "core/diffii/concept_learner.h"
#include "core/diffii/pair.h"
#include "core/io/error.h"
#include "core/io/finite.h"
#include "core/io/image.h"
#include "core/io/safetensors.h"
#include "core/models/stable_diffusion.h"
#include "core/models/value_scan.h"
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

namespace {

const std::string kTinyModel = std::string(DIFFII_SOURCE_DIR) + "/resources/models/emoji-sd-tiny";

// A copy of the tiny model with `tensor` of `component`'s weights replaced by `value` everywhere.
std::string poisonedModel(const std::string& root, const std::string& component, const std::string& tensor,
                          float value) {
    const std::string dir = root + "/" + component + "-" + tensor;
    fs::copy(kTinyModel, dir, fs::copy_options::recursive);
    const auto files = diffii::locateComponent(dir, component).weightFiles;
    std::map<std::string, torch::Tensor> tensors;
    std::map<std::string, std::string> metadata;
    {
        diffii::SafeTensorsFile f(files.at(0));
        for (const auto& k : f.keys()) tensors[k] = f.tensor(k);
        metadata = f.metadata();
    }
    if (!tensors.count(tensor)) throw std::runtime_error("no tensor " + tensor + " in " + files.at(0));
    tensors[tensor] = torch::full_like(tensors[tensor], value);
    diffii::saveSafetensors(files.at(0), tensors, metadata);
    return dir;
}

void writePng(const std::string& path, int size, uint16_t level) {
    std::ofstream(path, std::ios::binary)
        << diffii::test::encodePng(size, size, 3, 8, std::vector<uint16_t>(size_t(size) * size * 3, level));
}

}  // namespace

class TestNonfinite : public QObject {
    Q_OBJECT

private:
    std::string m_dir;
    std::string m_nanUnet, m_infVae, m_imageA, m_imageB;

    diffii::PairRequest pairRequest() const {
        diffii::PairRequest r;
        r.imageA = m_imageA;
        r.imageB = m_imageB;
        r.prompt = "a photo of a bird";
        r.alpha = 0.25;
        r.inversion.steps = 2;
        r.denoise.steps = 2;
        return r;
    }

private slots:
    void initTestCase() {
        m_dir = diffii::test::makeTempDir("nonfinite");
        m_nanUnet = poisonedModel(m_dir, "unet", "conv_in.bias", std::numeric_limits<float>::quiet_NaN());
        m_infVae = poisonedModel(m_dir, "vae", "decoder.conv_out.bias", std::numeric_limits<float>::infinity());
        m_imageA = m_dir + "/a.png";
        m_imageB = m_dir + "/b.png";
        writePng(m_imageA, 32, 40);
        writePng(m_imageB, 32, 200);
    }
    void cleanupTestCase() { fs::remove_all(m_dir); }

    void scanFindsExactlyThePoisonedTensor() {
        const auto clean = diffii::scanModelValues(kTinyModel);
        QCOMPARE(clean.files, int64_t(3));
        QVERIFY(clean.tensors > 10);
        QVERIFY(clean.nonFinite.empty());
        std::vector<diffii::Progress> seen;
        diffii::JobContext job;
        job.onProgress = [&](const diffii::Progress& p) { seen.push_back(p); };
        const auto scan = diffii::scanModelValues(m_nanUnet, &job);
        QCOMPARE(scan.tensors, clean.tensors);
        QCOMPARE(scan.values, clean.values);
        QCOMPARE(scan.nonFinite.size(), size_t(1));
        QCOMPARE(scan.nonFinite[0].name, std::string("conv_in.bias"));
        QCOMPARE(scan.nonFinite[0].nan, scan.nonFinite[0].numel);
        QCOMPARE(scan.nonFinite[0].inf, int64_t(0));
        QVERIFY(scan.nonFinite[0].file.find("unet") != std::string::npos);
        QCOMPARE(int64_t(seen.size()), scan.tensors);
        QCOMPARE(seen.back().done, seen.back().total);
        const auto inf = diffii::scanModelValues(m_infVae);
        QCOMPARE(inf.nonFinite.size(), size_t(1));
        QCOMPARE(inf.nonFinite[0].inf, inf.nonFinite[0].numel);
    }

    void infoScanValuesExitsNonZero() {
        const auto bad = diffii::test::runDiffii({"info", "--scan-values", QString::fromStdString(m_nanUnet)});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.out.contains("conv_in.bias") && bad.out.contains("NaN"), qPrintable(bad.out));
        QVERIFY2(!bad.out.contains("status: ok"), qPrintable(bad.out));
        QVERIFY2(bad.err.contains("scan"), qPrintable(bad.err));  // the progress line
        const auto good = diffii::test::runDiffii({"info", "--scan-values", QString::fromStdString(kTinyModel)});
        QVERIFY2(good.code == 0, qPrintable(good.err));
        QVERIFY2(good.out.contains("every value finite"), qPrintable(good.out));
        // Without the option, the headers alone are read (the NaN model passes, as its structure is fine).
        QCOMPARE(diffii::test::runDiffii({"info", QString::fromStdString(m_nanUnet)}).code, 0);
    }

    void pipelineNamesTheStage() {
        diffii::PairModel nanUnet;
        nanUnet.modelDir = m_nanUnet;
        nanUnet.precision = diffii::Precision::Float32;
        diffii::test::expectError([&] { diffii::generatePair(nanUnet, pairRequest()); },
                                  {"DDIM inversion (step 1 of 2)", "non-finite", "NaN"});
        diffii::PairModel infVae;
        infVae.modelDir = m_infVae;
        infVae.precision = diffii::Precision::Float32;
        diffii::test::expectError([&] { diffii::generatePair(infVae, pairRequest()); },
                                  {"decode (VAE) produced non-finite values", "infinite"});
        // Text to image: the denoising loop checks its latents at every step.
        auto sd = diffii::StableDiffusion::load(m_nanUnet);
        diffii::DenoiseSettings settings;
        settings.steps = 3;
        diffii::test::expectError([&] { diffii::textToImage(*sd, "a bird", 1, settings); },
                                  {"denoising (step 1 of 3)", "non-finite"});
        // The clean model passes the same checks.
        diffii::PairModel clean;
        clean.modelDir = kTinyModel;
        clean.precision = diffii::Precision::Float32;
        const auto ok = diffii::generatePair(clean, pairRequest());
        QVERIFY(ok.image.width > 0);
    }

    void conceptLossNamesTheStep() {
        auto sd = diffii::StableDiffusion::load(m_nanUnet);
        diffii::ConceptSettings s;
        s.maxSteps = 2;
        s.batchSize = 1;
        s.gradAccumulation = 1;
        s.loraRank = 2;
        diffii::ConceptLearner learner(sd, {{"Bird", {m_imageA, m_imageB}, {}, {}}}, "bird", s);
        diffii::test::expectError([&] { learner.train(m_dir + "/concepts"); },
                                  {"concept learning loss is", "at step 1", "non-finite"});
        QVERIFY(!fs::exists(m_dir + "/concepts/embeddings.safetensors"));
    }

    void pairWritesNoImage() {
        const std::string out = m_dir + "/pair.png";
        const auto run = diffii::test::runDiffii(
            {"pair", "--model", QString::fromStdString(m_infVae), "--image", QString::fromStdString(m_imageA),
             "--image", QString::fromStdString(m_imageB), "--prompt", "a photo of a bird", "--alpha", "0.25", "--steps",
             "2", "--invert-steps", "2", "--out", QString::fromStdString(out)});
        QVERIFY2(run.code != 0, qPrintable(run.out));
        QVERIFY2(run.err.contains("non-finite"), qPrintable(run.err));
        QVERIFY(!fs::exists(out));
    }

    void imageWriterRefusesNonFinite() {
        auto image = torch::full({3, 4, 4}, 0.5f);
        const std::string path = m_dir + "/nan.png";
        image[1][2][3] = std::numeric_limits<float>::quiet_NaN();
        diffii::test::expectError([&] { diffii::saveImagePng(path, image); }, {path, "not written", "1 NaN"});
        image[1][2][3] = -std::numeric_limits<float>::infinity();
        diffii::test::expectError([&] { diffii::saveImagePng(path, image); }, {"1 infinite"});
        QVERIFY(!fs::exists(path));
        image[1][2][3] = 2.0f;  // out of range but finite: clamped, as before
        diffii::saveImagePng(path, image);
        QVERIFY(fs::exists(path));
        QCOMPARE(diffii::nonFiniteSummary(torch::tensor({1.0f, 2.0f})), std::string());
        diffii::test::expectError(
            [] {
                diffii::requireFinite(torch::tensor({1.0f, NAN}), "a stage");
            },
            {"a stage produced non-finite values (1 NaN and 0 infinite of 2 values)"});
    }
};

DIFFII_TEST_MAIN(TestNonfinite, None)
}  // namespace DIFFII_UNIT
#include "test_nonfinite.moc"
