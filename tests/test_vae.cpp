// AutoencoderKL against the diffusers 0.25.1 goldens of tiny-sd1-io (encode: moments, mean, logvar, std and
// intermediates; decode), the legacy attention names, bfloat16, and config errors.
#include <QtTest/QtTest>

#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/jobs/memory.h"
#include "core/models/autoencoder_kl.h"
#include "core/models/layers.h"
#include "core/models/state_dict.h"
#include "core/pipelines/vae_tiling.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::AutoencoderKL;
using diffii::AutoencoderKLConfig;

namespace {

const double kFloat32Tolerance = 1e-4;
// Measured max-abs-diff of the bfloat16 model against the float32 goldens (values up to |2|), 2 threads,
// AVX-512-BF16 CPU: mean 0.0142, logvar 0.0134 (vae_enc); image 0.0236 (vae_dec), 0.0253 (vae_dec_other).
const double kBFloat16Tolerance = 0.05;
// Tiled vs untiled (tiledMatchesUntiledWithinBound), measured on 2 threads, Xeon f6 m207: encode mean max-abs-diff
// 1.0008, decode 1.9258 (image range 2.45). The tiny VAE's 32-pixel tiles are far smaller than a real VAE's
// (256-384 pixels), so each tile's GroupNorm statistics differ a lot from the whole image's; the bounds guard
// against a broken blend (a missing or doubled tile gives differences of the image's whole range and more).
const double kTiledEncodeBound = 1.25;
const double kTiledDecodeBound = 2.25;

std::string vaeDir() { return diffii::test::fixture("tiny-sd1/vae"); }

AutoencoderKL loadTinyVae(const std::string& weights = vaeDir() + "/diffusion_pytorch_model.safetensors",
                          const diffii::LoadOptions& options = {}) {
    AutoencoderKL vae(AutoencoderKLConfig::fromFile(vaeDir() + "/config.json"));
    diffii::loadStateDict(*vae, {weights}, options);
    vae->eval();
    return vae;
}

// Compares every "intermediate.<name>" of the golden file with the captured tensors; returns how many.
int compareIntermediates(const diffii::SafeTensorsFile& f, const diffii::TensorMap& inter, const std::string& what) {
    int compared = 0;
    for (const auto& key : f.keys()) {
        if (key.rfind("intermediate.", 0) != 0) continue;
        const std::string module = key.substr(std::strlen("intermediate."));
        if (!inter.count(module)) {
            QTest::qFail(("no intermediate " + module).c_str(), __FILE__, __LINE__);
            return -1;
        }
        std::string msg;
        if (!diffii::test::closeOrReport(inter.at(module), f.tensor(key), kFloat32Tolerance, what + " " + key, &msg)) {
            QTest::qFail(msg.c_str(), __FILE__, __LINE__);
            return -1;
        }
        ++compared;
    }
    return compared;
}

// Every golden tiny-sd1-io/<prefix>*.safetensors as a row, and the first again with channels-last activations.
void goldenRows(const std::string& prefix) {
    const auto stems = diffii::test::fixtureCases("tiny-sd1-io", prefix);
    for (const auto& stem : stems) QTest::newRow(stem.c_str()) << QString::fromStdString(stem) << false;
    QTest::newRow((stems.front() + " channels-last").c_str()) << QString::fromStdString(stems.front()) << true;
}

std::string golden(const std::string& stem) { return diffii::test::fixture("tiny-sd1-io/" + stem + ".safetensors"); }

}  // namespace

class TestVae : public QObject {
    Q_OBJECT

private:
    AutoencoderKL m_vae{nullptr};

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        torch::set_num_threads(2);
        m_vae = loadTinyVae();
    }

    void readsConfig() {
        // Against config.json and the weights file: every tensor of the file is a parameter of the built model.
        const auto& c = m_vae->config();
        const auto json = diffii::readJsonFile(vaeDir() + "/config.json");
        const auto channels = json.at("block_out_channels").get<std::vector<int64_t>>();
        QCOMPARE(c.blockOutChannels, channels);
        QCOMPARE(c.downscaleFactor(), int64_t(1) << (channels.size() - 1));
        QCOMPARE(c.scalingFactor, json.at("scaling_factor").get<double>());
        const std::string weights = vaeDir() + "/diffusion_pytorch_model.safetensors";
        QCOMPARE(diffii::parameterCount(*m_vae), diffii::test::safetensorsValueCount(weights));
    }

    void encodeMatchesGolden_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("channelsLast");  // AutoencoderKL::setChannelsLast: the same results
        goldenRows("vae_enc");
    }
    void encodeMatchesGolden() {
        QFETCH(QString, name);
        QFETCH(bool, channelsLast);
        m_vae->setChannelsLast(channelsLast);
        auto restore = qScopeGuard([&] { m_vae->setChannelsLast(false); });
        const std::string n = name.toStdString();
        torch::NoGradGuard noGrad;
        diffii::SafeTensorsFile f(golden(n));
        diffii::TensorMap inter;
        const auto post = m_vae->encode(f.tensor("image"), &inter);
        QVERIFY(post.moments.is_contiguous());
        DIFFII_COMPARE_TENSORS(post.moments, f.tensor("moments"), kFloat32Tolerance, n + " moments");
        DIFFII_COMPARE_TENSORS(post.mean, f.tensor("mean"), kFloat32Tolerance, n + " mean");
        DIFFII_COMPARE_TENSORS(post.logvar, f.tensor("logvar"), kFloat32Tolerance, n + " logvar");
        DIFFII_COMPARE_TENSORS(post.std, f.tensor("std"), kFloat32Tolerance, n + " std");
        const int compared = compareIntermediates(f, inter, n);
        QVERIFY(compared >= 0);
        const auto [mean, logvar] = m_vae->encodeMeanLogvar(f.tensor("image"));
        QVERIFY(torch::equal(mean, post.mean));
        QVERIFY(torch::equal(logvar, post.logvar));
    }

    void decodeMatchesGolden_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("channelsLast");  // AutoencoderKL::setChannelsLast: the same results
        goldenRows("vae_dec");
    }
    void decodeMatchesGolden() {
        QFETCH(QString, name);
        QFETCH(bool, channelsLast);
        m_vae->setChannelsLast(channelsLast);
        auto restore = qScopeGuard([&] { m_vae->setChannelsLast(false); });
        const std::string n = name.toStdString();
        torch::NoGradGuard noGrad;
        diffii::SafeTensorsFile f(golden(n));
        diffii::TensorMap inter;
        const auto image = m_vae->decode(f.tensor("latent"), &inter);
        QVERIFY(image.is_contiguous());
        DIFFII_COMPARE_TENSORS(image, f.tensor("image"), kFloat32Tolerance, n + " image");
        const int compared = compareIntermediates(f, inter, n);
        QVERIFY(compared >= 0);
    }

    void clampsLogvar() {
        auto moments = torch::zeros({1, 8, 2, 2});
        moments.slice(1, 4, 5).fill_(50.0);
        moments.slice(1, 5, 6).fill_(-50.0);
        const auto g = diffii::DiagonalGaussian::fromMoments(moments);
        QCOMPARE(g.logvar.max().item<float>(), 20.0f);
        QCOMPARE(g.logvar.min().item<float>(), -30.0f);
        QVERIFY(torch::allclose(g.sample(torch::zeros({1, 4, 2, 2})), g.mean));
    }

    void renamesLegacyAttentionKeys() {
        using diffii::vaeLegacyKeyRename;
        QCOMPARE(vaeLegacyKeyRename("encoder.mid_block.attentions.0.query.weight"),
                 std::string("encoder.mid_block.attentions.0.to_q.weight"));
        QCOMPARE(vaeLegacyKeyRename("decoder.mid_block.attentions.0.key.bias"),
                 std::string("decoder.mid_block.attentions.0.to_k.bias"));
        QCOMPARE(vaeLegacyKeyRename("decoder.mid_block.attentions.0.value.weight"),
                 std::string("decoder.mid_block.attentions.0.to_v.weight"));
        QCOMPARE(vaeLegacyKeyRename("decoder.mid_block.attentions.0.proj_attn.bias"),
                 std::string("decoder.mid_block.attentions.0.to_out.0.bias"));
        QCOMPARE(vaeLegacyKeyRename("decoder.mid_block.attentions.0.to_q.weight"),
                 std::string("decoder.mid_block.attentions.0.to_q.weight"));
        QCOMPARE(vaeLegacyKeyRename("decoder.conv_in.weight"), std::string("decoder.conv_in.weight"));
    }

    void loadsLegacyAttentionNames() {
        const std::string legacy =
            diffii::test::fixture("tiny-sd1-io/checkpoint_variants/vae_legacy_attention_names.safetensors");
        // Strict loading without the rename names the legacy keys.
        AutoencoderKL plain(AutoencoderKLConfig::fromFile(vaeDir() + "/config.json"));
        try {
            diffii::loadStateDict(*plain, {legacy});
            QFAIL("legacy names loaded without a rename");
        } catch (const diffii::Error& e) {
            QVERIFY(std::string(e.what()).find("encoder.mid_block.attentions.0.query.weight") != std::string::npos);
        }
        diffii::LoadOptions options;
        options.rename = diffii::vaeLegacyKeyRename;
        auto vae = loadTinyVae(legacy, options);
        torch::NoGradGuard noGrad;
        diffii::SafeTensorsFile enc(golden(diffii::test::fixtureCases("tiny-sd1-io", "vae_enc").front()));
        DIFFII_COMPARE_TENSORS(vae->encode(enc.tensor("image")).mean, enc.tensor("mean"), kFloat32Tolerance,
                               "legacy names: vae_enc mean");
        diffii::SafeTensorsFile dec(golden(diffii::test::fixtureCases("tiny-sd1-io", "vae_dec").front()));
        DIFFII_COMPARE_TENSORS(vae->decode(dec.tensor("latent")), dec.tensor("image"), kFloat32Tolerance,
                               "legacy names: vae_dec image");
    }

    void matchesGoldenInBFloat16() {
        DIFFII_REQUIRE_NATIVE_BF16();
        torch::NoGradGuard noGrad;
        auto vae = loadTinyVae();
        diffii::toComputeDtype(*vae, torch::kBFloat16);
        QCOMPARE(vae->dtype(), torch::kBFloat16);
        diffii::SafeTensorsFile enc(golden(diffii::test::fixtureCases("tiny-sd1-io", "vae_enc").front()));
        const auto post = vae->encode(enc.tensor("image"));
        QCOMPARE(post.mean.scalar_type(), torch::kBFloat16);
        DIFFII_COMPARE_TENSORS(post.mean, enc.tensor("mean"), kBFloat16Tolerance, "bf16 vae_enc mean");
        DIFFII_COMPARE_TENSORS(post.logvar, enc.tensor("logvar"), kBFloat16Tolerance, "bf16 vae_enc logvar");
        for (const auto& name : diffii::test::fixtureCases("tiny-sd1-io", "vae_dec")) {
            diffii::SafeTensorsFile dec(golden(name));
            DIFFII_COMPARE_TENSORS(vae->decode(dec.tensor("latent")), dec.tensor("image"), kBFloat16Tolerance,
                                   "bf16 " + name + " image");
        }
    }

    // Tiled encode/decode (core/pipelines/vae_tiling.h) against the untiled result on a smooth 96x96 image (48x48
    // latents, 3x3 tiles of 16 latents, overlap 4): the tiles' own GroupNorm statistics make the only difference,
    // blended across the overlaps. The bounds are the README's ("Tiled VAE"); measured 2 threads, Xeon f6 m207.
    void tiledMatchesUntiledWithinBound() {
        torch::NoGradGuard noGrad;
        const auto yy = torch::linspace(-1, 1, 96).view({1, 1, 96, 1}),
                   xx = torch::linspace(-1, 1, 96).view({1, 1, 1, 96});
        const auto image =
            torch::cat({torch::sin(3 * xx + 2 * yy), torch::cos(4 * yy - xx), 0.8 * xx * yy}, 1).clamp(-1, 1);
        const auto mean = m_vae->encodeMeanLogvar(image).first;
        QCOMPARE(mean.sizes().vec(), (std::vector<int64_t>{1, 4, 48, 48}));
        const auto meanTiled = diffii::vaeEncodeMeanTiled(m_vae, image, 16, 4);
        QCOMPARE(meanTiled.sizes().vec(), mean.sizes().vec());
        const double encDiff = (meanTiled - mean).abs().max().item<double>();
        const auto decoded = m_vae->decode(mean);
        const auto decodedTiled = diffii::vaeDecodeTiled(m_vae, mean, 16, 4);
        QCOMPARE(decodedTiled.sizes().vec(), decoded.sizes().vec());
        const double decDiff = (decodedTiled - decoded).abs().max().item<double>();
        const double decRange = (decoded.max() - decoded.min()).item<double>();
        qInfo("tiled vs untiled: encode mean max-abs-diff %.4f, decode max-abs-diff %.4f (image range %.3f)", encDiff,
              decDiff, decRange);
        QVERIFY2(encDiff < kTiledEncodeBound, std::to_string(encDiff).c_str());
        QVERIFY2(decDiff < kTiledDecodeBound, std::to_string(decDiff).c_str());
        QVERIFY(decDiff > 0);  // the tiles really were cut (GroupNorm per tile)
        // One tile covering everything is the untiled decode itself.
        QVERIFY(torch::allclose(diffii::vaeDecodeTiled(m_vae, mean, 48, 4), decoded, 1e-5, 1e-5));
    }

    void tilesWhenMemoryAsks() {
        using diffii::VaeTiling;
        AutoencoderKLConfig sd;  // SD 1.x's VAE pyramid
        sd.blockOutChannels = {128, 256, 512, 512};
        VaeTiling t;                                        // auto, 1 GiB
        QVERIFY(!diffii::vaeShouldTile(t, sd, 1, 64, 64));  // 512x512: ~1 GiB, within the budget
        QVERIFY(diffii::vaeShouldTile(t, sd, 1, 96, 96));   // 768x768: ~2.25 GiB
        QVERIFY(diffii::estimateVaeActivationBytes(sd, 1, 96, 96) > diffii::estimateVaeActivationBytes(sd, 1, 64, 64));
        // A machine short of memory tiles the 512x512 decode that fits the budget (twice the estimate must fit
        // what the process may still take); unknown memory leaves the budget alone to decide.
        const int64_t est512 = diffii::estimateVaeActivationBytes(sd, 1, 64, 64);
        QVERIFY(diffii::vaeShouldTile(t, sd, 1, 64, 64, 2 * est512 - 1));
        QVERIFY(!diffii::vaeShouldTile(t, sd, 1, 64, 64, 2 * est512));
        QVERIFY(!diffii::vaeShouldTile(t, sd, 1, 64, 64, -1));
        QVERIFY(!diffii::vaeShouldTile(t, sd, 1, 64, 64, int64_t(1) << 40));
        // What the process may take: MemAvailable, capped by the cgroup's limit less its usage, plus the block
        // cache's free blocks; -1 without MemAvailable.
        const std::string meminfo = "MemTotal:       24683520 kB\nMemFree: 1 kB\nMemAvailable:    4194304 kB\n";
        QCOMPARE(diffii::availableMemoryFrom(meminfo, "max\n", "123\n", 0), int64_t(4) << 30);
        QCOMPARE(diffii::availableMemoryFrom(meminfo, "3221225472\n", "1073741824\n", 0), int64_t(2) << 30);
        QCOMPARE(diffii::availableMemoryFrom(meminfo, "3221225472", "4294967296", 5), int64_t(5));
        QCOMPARE(diffii::availableMemoryFrom(meminfo, "", "", int64_t(1) << 20), (int64_t(4) << 30) + (1 << 20));
        QCOMPARE(diffii::availableMemoryFrom("MemTotal: 5 kB\n", "", "", 0), int64_t(-1));
        QVERIFY(diffii::availableMemoryBytes() != 0);
        t.budgetBytes = int64_t(256) << 20;
        QVERIFY(diffii::vaeShouldTile(t, sd, 1, 64, 64));
        t.mode = VaeTiling::Mode::Never;
        QVERIFY(!diffii::vaeShouldTile(t, sd, 1, 96, 96));
        t.mode = VaeTiling::Mode::Always;
        QVERIFY(diffii::vaeShouldTile(t, sd, 1, 40, 40));
        QVERIFY(!diffii::vaeShouldTile(t, sd, 1, 32, 32));  // one tile
        // The pipeline's entry point follows the process-wide setting.
        const auto saved = diffii::vaeTiling();
        VaeTiling always;
        always.mode = VaeTiling::Mode::Always;
        always.tileLatent = 16;
        always.overlapLatent = 4;
        diffii::setVaeTiling(always);
        torch::NoGradGuard noGrad;
        torch::manual_seed(3);
        const auto latent = torch::randn({1, 4, 24, 24});
        const bool same = torch::equal(diffii::vaeDecode(m_vae, latent), diffii::vaeDecodeTiled(m_vae, latent, 16, 4));
        diffii::setVaeTiling(saved);
        QVERIFY(same);
    }

    void rejectsUnknownBlockType() {
        auto j = diffii::readJsonFile(vaeDir() + "/config.json");
        j["up_block_types"][1] = "AttnUpDecoderBlock2D";
        try {
            AutoencoderKLConfig::fromJson(j, "vae/config.json");
            QFAIL("no error");
        } catch (const diffii::Error& e) {
            const std::string msg = e.what();
            for (const char* frag :
                 {"vae/config.json", "up_block_types[1]", "'AttnUpDecoderBlock2D'", "UpDecoderBlock2D"})
                QVERIFY2(msg.find(frag) != std::string::npos, msg.c_str());
        }
    }
};

DIFFII_TEST_MAIN(TestVae, None)
}  // namespace DIFFII_UNIT
#include "test_vae.moc"
