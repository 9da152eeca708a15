// LoRA interoperability: one LoRA in four key conventions gives the reference UNet outputs at scale 1.0 and 0.5;
// kohya alpha is honoured; a saved LoRA reloads identically; bad files name the key at fault.
#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
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

using diffii::test::fixture;

class TestLora : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<diffii::StableDiffusion> m_sd;
    std::string m_tmp;

    void compareCases(const std::string& what, double scale, const char* goldenSuffix) {
        diffii::SafeTensorsFile g(fixture("tiny-sd1-lora/lora_unet_outputs.safetensors"));
        torch::NoGradGuard ng;
        // Every case of the goldens: each "<case>.sample" key with its timestep, states and outputs.
        int cases = 0;
        for (const auto& key : g.keys()) {
            const std::string suffix = ".sample";
            if (key.size() <= suffix.size() || key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0)
                continue;
            const std::string k = key.substr(0, key.size() - suffix.size());
            ++cases;
            const auto out = m_sd->unet()->forward(g.tensor(k + ".sample"), g.tensor(k + ".timestep"),
                                                   g.tensor(k + ".encoder_hidden_states"));
            DIFFII_COMPARE_TENSORS(out, g.tensor(k + goldenSuffix), 1e-4,
                                   what + " " + k + " scale " + std::to_string(scale));
        }
        QVERIFY2(cases > 0, "lora_unet_outputs.safetensors holds no <case>.sample");
    }

    // The LoRA modules the fixture's lora.json lists.
    static size_t fixtureModules() {
        return diffii::readJsonFile(fixture("tiny-sd1-lora/lora.json")).at("n_lora_modules").get<size_t>();
    }

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_sd = diffii::StableDiffusion::load(fixture("tiny-sd1"));
        m_tmp = diffii::test::makeTempDir("lora");
    }
    void cleanupTestCase() { std::filesystem::remove_all(m_tmp); }

    void allConventions_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("format");
        // Every file lora.json lists at the rank's own multiplier (no alpha, or alpha = rank); its convention from
        // its folder (<convention>_format/, diffusers' own at the top).
        const auto json = diffii::readJsonFile(fixture("tiny-sd1-lora/lora.json"));
        const auto rank = json.at("rank").get<double>();
        for (const auto& [file, info] : json.at("files").items()) {
            if (info.contains("alpha") && info.at("alpha").get<double>() != rank) continue;
            const auto slash = file.find("_format/");
            const std::string format = slash == std::string::npos ? "diffusers" : file.substr(0, slash);
            QTest::newRow(file.c_str()) << QString::fromStdString(file) << QString::fromStdString(format);
        }
    }
    void allConventions() {
        QFETCH(QString, file);
        QFETCH(QString, format);
        auto lora = diffii::UNetLoraImpl::load(fixture("tiny-sd1-lora/" + file.toStdString()), *m_sd->unet());
        QCOMPARE(QString::fromStdString(lora->format), format);
        QCOMPARE(lora->layers().size(), fixtureModules());
        lora->attach(*m_sd->unet(), 1.0);
        compareCases(format.toStdString(), 1.0, ".out_scale_1_0");
        lora->attach(*m_sd->unet(), 0.5);
        compareCases(format.toStdString(), 0.5, ".out_scale_0_5");
        diffii::UNetLoraImpl::detach(*m_sd->unet());
        compareCases("detached", 0.0, ".out_base");
    }

    void kohyaAlphaHalvesTheDelta() {
        auto lora =
            diffii::UNetLoraImpl::load(fixture("tiny-sd1-lora/kohya_format/lora_alpha2.safetensors"), *m_sd->unet());
        lora->attach(*m_sd->unet(), 1.0);
        compareCases("kohya alpha 2", 1.0, ".out_scale_0_5");
        diffii::UNetLoraImpl::detach(*m_sd->unet());
    }

    // PEFT's adapter_config.json: alpha_pattern sets a module's alpha (it was ignored: the LoRA ran at the wrong
    // scale), use_rslora scales by alpha / sqrt(r), use_dora is refused.
    void peftScaleSettings() {
        namespace fs = std::filesystem;
        const auto dir = m_tmp + "/peft";
        fs::create_directories(dir);
        fs::copy_file(fixture("tiny-sd1-lora/peft_format/pytorch_lora_weights.safetensors"),
                      dir + "/pytorch_lora_weights.safetensors");
        const auto base = diffii::readJsonFile(fixture("tiny-sd1-lora/peft_format/adapter_config.json"));
        const double alpha = base.at("lora_alpha").get<double>();
        const auto load = [&](const nlohmann::json& cfg) {
            std::ofstream(dir + "/adapter_config.json") << cfg.dump();
            return diffii::UNetLoraImpl::load(dir + "/pytorch_lora_weights.safetensors", *m_sd->unet());
        };
        auto halved = base;
        for (const char* m : {"to_q", "to_k", "to_v", "to_out.0"}) halved["alpha_pattern"][m] = alpha / 2;
        auto lora = load(halved);
        lora->attach(*m_sd->unet(), 1.0);
        compareCases("peft alpha_pattern alpha/2", 1.0, ".out_scale_0_5");
        diffii::UNetLoraImpl::detach(*m_sd->unet());

        auto one = base;
        one["alpha_pattern"] = {{"attn1.to_q", alpha / 2}};
        lora = load(one);
        int matched = 0;
        for (const auto& [module, layer] : lora->layers()) {
            const bool q1 = module.size() > 10 && module.compare(module.size() - 10, 10, "attn1.to_q") == 0;
            matched += q1 ? 1 : 0;
            QCOMPARE(layer->multiplier(), (q1 ? alpha / 2 : alpha) / static_cast<double>(layer->rank()));
        }
        QVERIFY(matched > 0);

        auto rs = base;
        rs["use_rslora"] = true;
        lora = load(rs);
        for (const auto& [module, layer] : lora->layers())
            QCOMPARE(layer->multiplier(), alpha / std::sqrt(static_cast<double>(layer->rank())));

        // A non-finite weight is named with its key, before any step runs.
        {
            std::map<std::string, torch::Tensor> tensors;
            diffii::SafeTensorsFile f(dir + "/pytorch_lora_weights.safetensors");
            for (const auto& k : f.keys()) tensors[k] = f.tensor(k).clone();
            const std::string key = f.keys().front();
            tensors[key].view(-1)[0] = std::nanf("");
            diffii::saveSafetensors(dir + "/nan.safetensors", tensors);
            std::ofstream(dir + "/adapter_config.json") << base.dump();
            diffii::test::expectError([&] { diffii::UNetLoraImpl::load(dir + "/nan.safetensors", *m_sd->unet()); },
                                      {"nan.safetensors", key, "non-finite"});
        }

        auto dora = base;
        dora["use_dora"] = true;
        diffii::test::expectError([&] { load(dora); }, {"adapter_config.json", "use_dora"});
    }

    void savesAndReloads() {
        auto lora =
            diffii::UNetLoraImpl::load(fixture("tiny-sd1-lora/kohya_format/lora_alpha2.safetensors"), *m_sd->unet());
        const auto path = m_tmp + "/saved.safetensors";
        lora->save(path, {{"producer", "test"}});
        auto back = diffii::UNetLoraImpl::load(path, *m_sd->unet());
        QCOMPARE(back->format, std::string("diffusers"));
        back->attach(*m_sd->unet(), 1.0);
        compareCases("saved alpha-2 LoRA", 1.0, ".out_scale_0_5");
        diffii::UNetLoraImpl::detach(*m_sd->unet());
    }

    void freshLoraIsIdentityAndTrainable() {
        auto lora = diffii::UNetLoraImpl::create(*m_sd->unet(), 10, 7);
        QCOMPARE(lora->layers().size(), fixtureModules());
        int64_t n = 0;
        for (const auto& p : lora->parameters()) n += p.numel();
        QVERIFY(n > 0);
        lora->attach(*m_sd->unet(), 1.0);
        compareCases("fresh LoRA (up = 0)", 1.0, ".out_base");
        diffii::UNetLoraImpl::detach(*m_sd->unet());
    }

    void badFilesNameTheKey() {
        const auto path = m_tmp + "/bad.safetensors";
        diffii::saveSafetensors(
            path,
            {{"unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_q.lora.down.weight", torch::zeros({4, 99})},
             {"unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_q.lora.up.weight", torch::zeros({64, 4})}});
        try {
            diffii::UNetLoraImpl::load(path, *m_sd->unet());
            QFAIL("no error");
        } catch (const diffii::Error& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find(path) != std::string::npos && msg.find("attn2.to_q") != std::string::npos, e.what());
        }
        diffii::saveSafetensors(path, {{"unet.no_such_block.attn1.to_q.lora.down.weight", torch::zeros({4, 4})}});
        try {
            diffii::UNetLoraImpl::load(path, *m_sd->unet());
            QFAIL("no error");
        } catch (const diffii::Error& e) {
            QVERIFY2(std::string(e.what()).find("no_such_block") != std::string::npos, e.what());
        }
    }
};

DIFFII_TEST_MAIN(TestLora, None)
}  // namespace DIFFII_UNIT
#include "test_lora.moc"
