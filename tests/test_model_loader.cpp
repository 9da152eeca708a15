// The diffusers-folder loader and `diffii info`: the tiny fixture model loads strictly, and every broken
// folder gives an error naming the file and key at fault (and a non-zero exit from the CLI).
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/diffii/textual_inversion.h"
#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/models/layers.h"
#include "core/models/lora.h"
#include "core/models/stable_diffusion.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace fs = std::filesystem;

using diffii::test::errorOf;

namespace {

// A writable copy of tiny-sd1 made of symlinks into the fixtures, so a test can replace one file.
std::string linkedModelCopy(const std::string& root, const std::string& name) {
    const fs::path src = diffii::test::fixture("tiny-sd1");
    const fs::path dst = fs::path(root) / name;
    for (const auto& e : fs::recursive_directory_iterator(src)) {
        const auto rel = fs::relative(e.path(), src);
        if (e.is_directory())
            fs::create_directories(dst / rel);
        else
            fs::create_symlink(e.path(), dst / rel);
    }
    return dst.string();
}

void replaceWithFile(const fs::path& path, const std::string& bytes) {
    fs::remove(path);
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string readAll(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

#define EXPECT_CONTAINS(haystack, needle)                             \
    QVERIFY2(std::string(haystack).find(needle) != std::string::npos, \
             (std::string("expected '") + (needle) + "' in: " + std::string(haystack)).c_str())

}  // namespace

class TestModelLoader : public QObject {
    Q_OBJECT

private:
    std::string m_tmp;

    QString cli() const { return QString::fromStdString(std::string(DIFFII_BINARY_DIR) + "/app/diffii"); }

    int runCli(const QStringList& args, QString* out, QString* err) {
        const auto r = diffii::test::runDiffii(args, nullptr, 300000);
        *out = r.out;
        *err = r.err;
        return r.code;
    }

    // One UNet call on fixed inputs (seed 0, t = 500, the conditioning given): what a reloaded UNet is compared by.
    static torch::Tensor probeUNet(diffii::StableDiffusion& sd, const torch::Tensor& ehs) {
        torch::NoGradGuard g;
        torch::manual_seed(0);
        return sd.unet()->forward(torch::randn({1, 4, 16, 16}), torch::tensor({500}, torch::kInt64), ehs);
    }

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_tmp = diffii::test::makeTempDir("loader");
    }
    void cleanupTestCase() { fs::remove_all(m_tmp); }

    void loadsTinyModelStrictly() {
        const std::string dir = diffii::test::fixture("tiny-sd1");
        auto sd = diffii::StableDiffusion::load(dir);
        // From the configs: 2^(VAE blocks - 1), the UNet's sample size in pixels, the scheduler's settings.
        const auto vae = diffii::readJsonFile(dir + "/vae/config.json");
        const auto unet = diffii::readJsonFile(dir + "/unet/config.json");
        const auto scheduler = diffii::readJsonFile(dir + "/scheduler/scheduler_config.json");
        const int64_t factor = int64_t(1) << (vae.at("block_out_channels").size() - 1);
        QCOMPARE(sd->vaeScaleFactor(), factor);
        QCOMPARE(sd->nativeImageSize(), unet.at("sample_size").get<int64_t>() * factor);
        QCOMPARE(sd->tokenizer().encode("a photo of a cat"),
                 (std::vector<int64_t>{49406, 320, 1125, 539, 320, 2368, 49407}));
        // The text conditioning equals the golden last_hidden_state of the same padded prompt.
        diffii::SafeTensorsFile golden(diffii::test::fixture("tiny-sd1-io/text_encoder.safetensors"));
        const auto ids = golden.tensor("unpadded.input_ids");
        torch::NoGradGuard g;
        const auto out = sd->textEncoder()->forward(ids).lastHiddenState;
        DIFFII_COMPARE_TENSORS(out, golden.tensor("unpadded.last_hidden_state"), 1e-4, "text encoder via loader");
        QCOMPARE(sd->schedulerConfig().clipSample, scheduler.at("clip_sample").get<bool>());
        QCOMPARE(sd->schedulerConfig().stepsOffset, scheduler.at("steps_offset").get<int64_t>());
    }

    void loadsInBfloat16() {
        DIFFII_REQUIRE_BF16_RUNS();
        diffii::LoadSettings s;
        s.dtype = torch::kBFloat16;
        auto sd = diffii::StableDiffusion::load(diffii::test::fixture("tiny-sd1"), s);
        const auto ehs = sd->encodePrompt("a photo of a cat");
        QCOMPARE(ehs.scalar_type(), torch::kBFloat16);
        QCOMPARE(ehs.sizes().vec(), (std::vector<int64_t>{1, 77, 32}));
    }

    // LoadSettings::deferUNet (`diffii pair`): the UNet's config is there at once, its module and weights only after
    // loadUNet(), identical to an eager load's; releaseUNet() then loadUNet() reads it again; a broken UNet file
    // fails at loadUNet() with the file named.
    void deferredUNet() {
        diffii::LoadSettings s;
        s.deferUNet = true;
        auto sd = diffii::StableDiffusion::load(diffii::test::fixture("tiny-sd1"), s);
        QVERIFY(!sd->hasUNet());
        QCOMPARE(sd->nativeImageSize(),
                 diffii::StableDiffusion::load(diffii::test::fixture("tiny-sd1"))->nativeImageSize());
        QCOMPARE(sd->unetConfig().parameterCount(), diffii::test::safetensorsValueCount(diffii::test::fixture(
                                                        "tiny-sd1/unet/diffusion_pytorch_model.safetensors")));
        sd->loadUNet();
        QVERIFY(sd->hasUNet());
        const auto eager = diffii::StableDiffusion::load(diffii::test::fixture("tiny-sd1"));
        const auto ehs = eager->encodePrompt("a photo of a cat");
        const auto want = probeUNet(*eager, ehs);
        QVERIFY(torch::equal(probeUNet(*sd, ehs), want));
        sd->releaseUNet();
        QVERIFY(!sd->hasUNet());
        sd->loadUNet();
        QVERIFY(torch::equal(probeUNet(*sd, ehs), want));

        const auto dir = linkedModelCopy(m_tmp, "deferred-truncated");
        const fs::path w = fs::path(dir) / "unet" / "diffusion_pytorch_model.safetensors";
        const auto bytes = readAll(fs::read_symlink(w));
        replaceWithFile(w, bytes.substr(0, bytes.size() / 2));
        auto broken = diffii::StableDiffusion::load(dir, s);  // the UNet's weights are not read yet
        const auto msg = errorOf([&] { broken->loadUNet(); });
        EXPECT_CONTAINS(msg, w.string());
        QVERIFY(!broken->hasUNet());
    }

    // releaseTextEncoder() then loadTextEncoder() (a generation run): the same conditioning, the tokens added since
    // load (textual inversion) included.
    void textEncoderReleasedAndReadAgain() {
        auto sd = diffii::StableDiffusion::load(diffii::test::fixture("tiny-sd1"));
        const auto added = diffii::loadTextualInversion(
            diffii::test::fixture("tiny-sd1-diffii/bird-0.embedding.safetensors"), sd->tokenizer(), *sd->textEncoder());
        QCOMPARE(added.size(), size_t(1));
        const std::string prompt = "a photo of a " + added.front() + " bird";
        const auto before = sd->encodePrompt(prompt);
        sd->releaseTextEncoder();
        QVERIFY(!sd->hasTextEncoder());
        EXPECT_CONTAINS(errorOf([&] { sd->encodePrompt(prompt); }), "released");
        sd->loadTextEncoder();
        QVERIFY(sd->hasTextEncoder());
        QVERIFY(torch::equal(sd->encodePrompt(prompt), before));
        sd->loadTextEncoder();  // loaded: nothing
        QVERIFY(torch::equal(sd->encodePrompt(prompt), before));
    }

    // SkipRandomInit (StableDiffusion::load builds its modules under it): uniform_ and normal_ do nothing inside the
    // guard, on this thread only; every other operator runs as usual; outside it they draw again.
    void randomInitSkippedOnlyInsideTheGuard() {
        torch::NoGradGuard g;
        auto t = torch::zeros({64});
        {
            diffii::SkipRandomInit noInit;
            t.uniform_(-1, 1);
            t.normal_();
            torch::nn::init::kaiming_uniform_(t.view({8, 8}));
            QVERIFY(torch::equal(t, torch::zeros({64})));
            QCOMPARE((t + 2).sum().item<double>(), 128.0);
            bool otherThreadDraws = false;
            std::thread other([&] {
                auto u = torch::zeros({64});
                u.uniform_(1, 2);
                otherThreadDraws = (u >= 1).all().item<bool>();
            });
            other.join();
            QVERIFY(otherThreadDraws);
        }
        t.uniform_(1, 2);
        QVERIFY((t >= 1).all().item<bool>());
        // A model built under it equals one read the ordinary way: every parameter comes from the weights.
        auto sd = diffii::StableDiffusion::load(diffii::test::fixture("tiny-sd1"));
        diffii::SafeTensorsFile w(diffii::test::fixture("tiny-sd1/unet/diffusion_pytorch_model.safetensors"));
        for (const auto& item : sd->unet()->named_parameters())
            QVERIFY2(torch::equal(item.value(), w.tensor(item.key()).to(item.value().scalar_type())),
                     item.key().c_str());
    }

    // addUNetAdapter (a fused LoRA, loadConcepts): releaseUNet() then loadUNet() gives back the adapted UNet.
    void unetAdaptersAppliedAgainOnLoad() {
        auto sd = diffii::StableDiffusion::load(diffii::test::fixture("tiny-sd1"));
        auto lora = diffii::UNetLoraImpl::load(
            diffii::test::fixture("tiny-sd1-lora/attn_procs_format/pytorch_lora_weights.safetensors"), *sd->unet());
        const auto ehs = sd->encodePrompt("a photo of a cat");
        const auto base = probeUNet(*sd, ehs);
        lora->fuse(*sd->unet(), 1.0);
        sd->addUNetAdapter([lora](diffii::UNet2DConditionModelImpl& unet) { lora->fuse(unet, 1.0); });
        const auto adapted = probeUNet(*sd, ehs);
        QVERIFY(!torch::allclose(adapted, base));  // the LoRA changes the output
        sd->releaseUNet();
        sd->loadUNet();
        QVERIFY(torch::equal(probeUNet(*sd, ehs), adapted));
    }

    void missingFolderAndIndex() {
        EXPECT_CONTAINS(errorOf([&] { diffii::StableDiffusion::load(m_tmp + "/nope"); }), m_tmp + "/nope");
        const auto dir = linkedModelCopy(m_tmp, "noindex");
        fs::remove(fs::path(dir) / "model_index.json");
        EXPECT_CONTAINS(errorOf([&] { diffii::StableDiffusion::load(dir); }), "model_index.json");
    }

    void missingConfig() {
        const auto dir = linkedModelCopy(m_tmp, "noconfig");
        fs::remove(fs::path(dir) / "unet" / "config.json");
        const auto msg = errorOf([&] { diffii::StableDiffusion::load(dir); });
        EXPECT_CONTAINS(msg, dir + "/unet/config.json");
        EXPECT_CONTAINS(msg, "missing");
    }

    void truncatedWeights() {
        const auto dir = linkedModelCopy(m_tmp, "truncated");
        const fs::path w = fs::path(dir) / "vae" / "diffusion_pytorch_model.safetensors";
        const auto bytes = readAll(fs::read_symlink(w));
        replaceWithFile(w, bytes.substr(0, bytes.size() / 2));
        const auto msg = errorOf([&] { diffii::StableDiffusion::load(dir); });
        EXPECT_CONTAINS(msg, w.string());
        EXPECT_CONTAINS(msg, "past the end");
    }

    void shapeMismatchAndMissingKey() {
        const auto dir = linkedModelCopy(m_tmp, "mismatch");
        const fs::path w = fs::path(dir) / "vae" / "diffusion_pytorch_model.safetensors";
        std::map<std::string, torch::Tensor> tensors;
        {
            diffii::SafeTensorsFile f(fs::read_symlink(w).string());
            for (const auto& k : f.keys()) tensors[k] = f.tensor(k);
        }
        tensors["decoder.conv_out.weight"] = torch::zeros({3, 32, 1, 1});
        tensors.erase("encoder.conv_in.bias");
        fs::remove(w);
        diffii::saveSafetensors(w.string(), tensors);
        const auto msg = errorOf([&] { diffii::StableDiffusion::load(dir); });
        EXPECT_CONTAINS(msg, w.string());
        EXPECT_CONTAINS(msg, "decoder.conv_out.weight");
        EXPECT_CONTAINS(msg, "[3, 32, 1, 1]");
        EXPECT_CONTAINS(msg, "[3, 32, 3, 3]");
        EXPECT_CONTAINS(msg, "encoder.conv_in.bias");
        // The mismatched key is listed once, as a mismatch: it is not missing (the report listed it under both).
        EXPECT_CONTAINS(msg, "missing keys (1)");
        EXPECT_CONTAINS(msg, "shape mismatches (1)");
        // The same folder through inspect (headers only, no weights read) names the same problems.
        const auto msg2 = errorOf([&] { diffii::inspectModelFolder(dir); });
        EXPECT_CONTAINS(msg2, "decoder.conv_out.weight");
        EXPECT_CONTAINS(msg2, "encoder.conv_in.bias");
    }

    void unknownBlockType() {
        const auto dir = linkedModelCopy(m_tmp, "badblock");
        const fs::path c = fs::path(dir) / "unet" / "config.json";
        auto cfg = diffii::readJsonFile(fs::read_symlink(c).string());
        cfg["down_block_types"][1] = "FancyDownBlock2D";
        replaceWithFile(c, cfg.dump(2));
        const auto msg = errorOf([&] { diffii::StableDiffusion::load(dir); });
        EXPECT_CONTAINS(msg, c.string());
        EXPECT_CONTAINS(msg, "down_block_types");
        EXPECT_CONTAINS(msg, "FancyDownBlock2D");
    }

    void pickleOnlyWeightsRefused() {
        const auto dir = linkedModelCopy(m_tmp, "pickle");
        const fs::path w = fs::path(dir) / "unet" / "diffusion_pytorch_model.safetensors";
        fs::remove(w);
        replaceWithFile(fs::path(dir) / "unet" / "diffusion_pytorch_model.bin", "not really a pickle");
        const auto msg = errorOf([&] { diffii::StableDiffusion::load(dir); });
        EXPECT_CONTAINS(msg, "diffusion_pytorch_model.bin");
        EXPECT_CONTAINS(msg, "safetensors");
    }

    void shardedWeights() {
        const auto dir = linkedModelCopy(m_tmp, "sharded");
        const fs::path w = fs::path(dir) / "text_encoder" / "model.safetensors";
        std::map<std::string, torch::Tensor> a, b;
        nlohmann::json index;
        {
            diffii::SafeTensorsFile f(fs::read_symlink(w).string());
            size_t i = 0;
            for (const auto& k : f.keys()) {
                const bool first = (i++ % 2) == 0;
                (first ? a : b)[k] = f.tensor(k);
                index["weight_map"][k] =
                    first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            }
        }
        fs::remove(w);
        diffii::saveSafetensors((fs::path(dir) / "text_encoder" / "model-00001-of-00002.safetensors").string(), a);
        diffii::saveSafetensors((fs::path(dir) / "text_encoder" / "model-00002-of-00002.safetensors").string(), b);
        replaceWithFile(fs::path(dir) / "text_encoder" / "model.safetensors.index.json", index.dump());
        auto sd = diffii::StableDiffusion::load(dir);
        const auto files = diffii::locateComponent(dir, "text_encoder");
        QCOMPARE(files.weightFiles.size(), size_t(2));
        QCOMPARE(sd->encodePrompt("a cat").size(2), sd->textEncoder()->config().hiddenSize);
    }

    void cliInfoReportsComponents() {
        QString out, err;
        const int rc = runCli({"info", QString::fromStdString(diffii::test::fixture("tiny-sd1"))}, &out, &err);
        QVERIFY2(rc == 0, qPrintable(err));
        QVERIFY(out.contains("UNet2DConditionModel"));
        QVERIFY(out.contains("AutoencoderKL"));
        QVERIFY(out.contains("CLIPTextModel"));
        QVERIFY2(out.contains("2446788"), qPrintable(out));  // UNet parameters, as the fixture README states
        QVERIFY(out.contains("658375"));
        QVERIFY(out.contains("1597162"));
        QVERIFY(out.contains("F32"));
    }

    void cliInfoFailsClearly() {
        const auto dir = linkedModelCopy(m_tmp, "cli-broken");
        fs::remove(fs::path(dir) / "vae" / "config.json");
        QString out, err;
        const int rc = runCli({"info", QString::fromStdString(dir)}, &out, &err);
        QCOMPARE(rc, 1);
        QVERIFY2(err.contains(QString::fromStdString(dir + "/vae/config.json")), qPrintable(err));
        QCOMPARE(runCli({"info"}, &out, &err), 2);
        QCOMPARE(runCli({"frobnicate"}, &out, &err), 2);
        QCOMPARE(runCli({"info", "--help"}, &out, &err), 0);
        QVERIFY(out.contains("MODEL_DIR"));
    }
};

DIFFII_TEST_MAIN(TestModelLoader, Core)
}  // namespace DIFFII_UNIT
#include "test_model_loader.moc"
