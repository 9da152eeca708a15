// Single-file checkpoints (original CompVis / A1111 layout): tiny-sd1.safetensors with the tiny-sd1 configs gives
// exactly the state dicts of the tiny-sd1 folder (so its goldens hold), the F16 file within F16 rounding, the name
// table against the full-size SD 1.5 / SD 2.1-768v manifests, the recogniser, the built-in CLIP tokenizer against
// vocab.json / merges.txt, prediction type sources, `diffii convert` both ways bit-exact, and the bad inputs.
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/models/clip_vocabulary.h"
#include "core/models/original_layout.h"
#include "core/models/single_file.h"
#include "core/models/stable_diffusion.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace fs = std::filesystem;
using diffii::test::errorOf;
using diffii::test::fixture;

namespace {

std::map<std::string, torch::Tensor> stateOf(const torch::nn::Module& m) {
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : m.named_parameters(true)) out[p.key()] = p.value();
    for (const auto& b : m.named_buffers(true)) out[b.key()] = b.value();
    return out;
}

// Every tensor of a equals b's bit for bit (or within tol), same names.
void compareStates(const torch::nn::Module& a, const torch::nn::Module& b, double relTol, const std::string& what) {
    const auto sa = stateOf(a), sb = stateOf(b);
    QCOMPARE(sa.size(), sb.size());
    for (const auto& [name, t] : sa) {
        QVERIFY2(sb.count(name), (what + ": " + name + " missing").c_str());
        const auto& u = sb.at(name);
        if (relTol == 0.0) {
            QVERIFY2(torch::equal(t, u), (what + ": " + name + " differs").c_str());
        } else {
            const bool ok = ((t - u).abs() <= u.abs() * relTol + 1e-7).all().item<bool>();
            QVERIFY2(ok, (what + ": " + name + " beyond F16 rounding").c_str());
        }
    }
}

std::map<std::string, torch::Tensor> readAll(const std::string& file) {
    diffii::SafeTensorsFile f(file);
    std::map<std::string, torch::Tensor> out;
    for (const auto& k : f.keys()) out[k] = f.tensor(k);
    return out;
}

// name -> shape of a manifest ({"tensors": [{"name", "shape"}]}).
std::map<std::string, std::vector<int64_t>> manifestShapes(const std::string& path) {
    std::map<std::string, std::vector<int64_t>> out;
    const auto manifest = diffii::readJsonFile(path);  // kept alive: the loop reads into it
    for (const auto& t : manifest.at("tensors"))
        out[t["name"].get<std::string>()] = t["shape"].get<std::vector<int64_t>>();
    return out;
}

diffii::SingleFileOptions withConfig(const std::string& dir) {
    diffii::SingleFileOptions o;
    o.modelConfig = dir;
    return o;
}

}  // namespace

class TestSingleFile : public QObject {
    Q_OBJECT

    std::string m_tmp;
    std::string file() const { return fixture("single-file/tiny-sd1.safetensors"); }

    // tiny-sd1.safetensors with its tensors edited, written to the temp folder.
    std::string variant(const std::string& name,
                        const std::function<void(std::map<std::string, torch::Tensor>&)>& edit) const {
        auto tensors = readAll(file());
        edit(tensors);
        const auto path = m_tmp + "/" + name;
        diffii::saveSafetensors(path, tensors);
        return path;
    }

private Q_SLOTS:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_tmp = diffii::test::makeTempDir("single-file");
    }
    void cleanupTestCase() { fs::remove_all(m_tmp); }

    void loadsExactlyTheFolderStateDicts() {
        diffii::LoadSettings s;
        s.singleFile = withConfig(fixture("tiny-sd1"));
        const auto one = diffii::StableDiffusion::load(file(), s);
        const auto folder = diffii::StableDiffusion::load(fixture("tiny-sd1"));
        compareStates(*one->unet(), *folder->unet(), 0.0, "unet");
        compareStates(*one->vae(), *folder->vae(), 0.0, "vae");
        compareStates(*one->textEncoder(), *folder->textEncoder(), 0.0, "text encoder");
        // Hence the goldens: the text encoder's.
        diffii::SafeTensorsFile golden(fixture("tiny-sd1-io/text_encoder.safetensors"));
        torch::NoGradGuard g;
        const auto out = one->textEncoder()->forward(golden.tensor("unpadded.input_ids")).lastHiddenState;
        DIFFII_COMPARE_TENSORS(out, golden.tensor("unpadded.last_hidden_state"), 1e-4, "text encoder via single file");
        QCOMPARE(one->schedulerConfig().predictionType, diffii::PredictionType::Epsilon);
        // A deferred UNet is read from the same file later, after load() has returned.
        s.deferUNet = true;
        const auto deferred = diffii::StableDiffusion::load(file(), s);
        QVERIFY(!deferred->hasUNet());
        deferred->loadUNet();
        compareStates(*deferred->unet(), *folder->unet(), 0.0, "deferred unet");
    }

    void f16FileWithinRounding() {
        diffii::LoadSettings s;
        s.singleFile = withConfig(fixture("tiny-sd1"));
        const auto half = diffii::StableDiffusion::load(fixture("single-file/tiny-sd1-fp16.safetensors"), s);
        const auto folder = diffii::StableDiffusion::load(fixture("tiny-sd1"));
        compareStates(*half->unet(), *folder->unet(), 1.0 / 2048, "unet F16");
        compareStates(*half->vae(), *folder->vae(), 1.0 / 2048, "vae F16");
        compareStates(*half->textEncoder(), *folder->textEncoder(), 1.0 / 2048, "text encoder F16");
    }

    void builtinTokenizerIsTheVocabularyFolders() {
        const auto folder = diffii::ClipTokenizer::fromFolder(fixture("tiny-sd1/tokenizer"));
        const auto builtin = diffii::builtinClipTokenizer(false);
        QCOMPARE(builtin.size(), folder.size());
        const auto vocab = diffii::readJsonFile(fixture("tiny-sd1/tokenizer/vocab.json"));
        for (auto it = vocab.begin(); it != vocab.end(); ++it)
            QVERIFY2(builtin.tokenId(it.key()) == it->get<int64_t>(), it.key().c_str());
        for (const char* prompt :
             {"a photo of a cat", "A painting of a <bird-0> bird, standing on a tree branch!!",
              "naïve café — 東京 🐦 emoji, flat", "   spaces\tand\nnewlines   ", "it's 3.14 o'clock, isn't it?", ""})
            QCOMPARE(builtin.encodePadded(prompt), folder.encodePadded(prompt));
        QCOMPARE(builtin.padId(), int64_t(49407));
        const auto sd2 = diffii::builtinClipTokenizer(true);
        QCOMPARE(sd2.padId(), int64_t(0));
        QCOMPARE(sd2.encodePadded("a cat")[4], int64_t(0));
    }

    void nameTableMatchesFullSizeManifests_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("arch");
        // Every full-size model with a single-file manifest; its family from its diffusers configs: SD 2.x
        // conditions on OpenCLIP ViT-H (1,024-wide text states), SD 1.x on CLIP ViT-L (768).
        for (const auto& model : diffii::test::fixtureSubfolders("manifests", "model_index.json")) {
            if (!std::filesystem::exists(fixture("single-file/" + model + ".single_file.json"))) continue;
            const auto text =
                diffii::ClipTextConfig::fromFile(fixture("manifests/" + model + "/text_encoder/config.json"));
            QTest::newRow(model.c_str()) << QString::fromStdString(model)
                                         << QString::fromLatin1(text.hiddenSize >= 1024 ? "SD 2.x" : "SD 1.x");
        }
    }

    // The diffusers manifests are the modules built from the full-size configs (test_model_manifests); mapped
    // through the one name table they give exactly the single-file manifest, less the keys a reader ignores.
    void nameTableMatchesFullSizeManifests() {
        QFETCH(QString, model);
        QFETCH(QString, arch);
        const std::string base = fixture("manifests/" + model.toStdString());
        const auto single = manifestShapes(fixture("single-file/" + model.toStdString() + ".single_file.json"));
        std::string why;
        const auto recognised = diffii::recogniseArchitecture(single, &why);
        QVERIFY2(!recognised.empty(), why.c_str());
        QCOMPARE(QString::fromStdString(recognised), arch);
        const bool sd2 = arch == "SD 2.x";
        const auto unet = diffii::UNet2DConditionConfig::fromFile(base + "/unet/config.json");
        const auto vae = diffii::AutoencoderKLConfig::fromFile(base + "/vae/config.json");
        const auto text = diffii::ClipTextConfig::fromFile(base + "/text_encoder/config.json");
        diffii::OriginalLayoutShape shape;
        for (const auto& b : unet.downBlockTypes) shape.unetDownHasAttention.push_back(b.rfind("CrossAttn", 0) == 0);
        for (const auto& b : unet.upBlockTypes) shape.unetUpHasAttention.push_back(b.rfind("CrossAttn", 0) == 0);
        shape.unetLayersPerBlock = unet.layersPerBlock;
        shape.vaeBlocks = static_cast<int64_t>(vae.blockOutChannels.size());
        shape.vaeLayersPerBlock = vae.layersPerBlock;
        shape.textLayers = text.numHiddenLayers;
        shape.textLayout = sd2 ? diffii::TextEncoderLayout::OpenClip : diffii::TextEncoderLayout::Clip;
        const diffii::OriginalLayout layout(shape);
        std::map<std::string, std::vector<int64_t>> mapped;
        for (const char* component : {"unet", "vae", "text_encoder"}) {
            for (const auto& [name, s] : manifestShapes(base + "/" + component + ".manifest.json")) {
                size_t part = 0;
                const auto m = layout.fromDiffusers(component, name, &part);
                QVERIFY2(m.has_value(), (std::string(component) + ": no original name for " + name).c_str());
                auto want = s;
                if (m->convWeight) want.insert(want.end(), {1, 1});
                if (m->diffusers.size() > 1) want[0] *= static_cast<int64_t>(m->diffusers.size());
                mapped[m->original] = want;
                // ... and back by the same table.
                const auto back = layout.fromOriginal(m->original);
                QVERIFY(back.has_value());
                QCOMPARE(back->diffusers[part], name);
            }
        }
        size_t ignored = 0;
        for (const auto& [name, s] : single) {
            if (!diffii::ignoredOriginalKey(name, shape).empty()) {
                QVERIFY2(!mapped.count(name), name.c_str());
                ++ignored;
                continue;
            }
            QVERIFY2(mapped.count(name), ("single-file key not produced: " + name).c_str());
            QVERIFY2(mapped.at(name) == s, ("shape differs: " + name).c_str());
        }
        QCOMPARE(mapped.size() + ignored, single.size());
        // SD 2.x: the resblock past the text encoder's layers (resblocks.<num_hidden_layers>.*), text_projection and
        // logit_scale; SD 1.x files of this manifest carry none of the extras.
        size_t extras = 0;
        const std::string unusedBlock =
            "cond_stage_model.model.transformer.resblocks." + std::to_string(text.numHiddenLayers) + ".";
        for (const auto& kv : single)
            extras += kv.first.rfind(unusedBlock, 0) == 0 || kv.first == "cond_stage_model.model.text_projection" ||
                      kv.first == "cond_stage_model.model.logit_scale";
        QVERIFY(sd2 ? extras >= 3 : extras == 0);
        QCOMPARE(ignored, extras);

        // The built-in configs are those of the manifests.
        const auto read = [&](const std::string& f) { return diffii::readJsonFile(base + "/" + f); };
        QCOMPARE(diffii::UNet2DConditionConfig::fromJson(read("unet/config.json"), "m").parameterCount(),
                 unet.parameterCount());
    }

    void builtinConfigsBuildTheManifestModules() {
        // A header-only SD 2.x-shaped file is not at hand (full size); the recogniser's choice and the built-in
        // configs are checked against the manifests' configs key by key.
        for (const char* model : {"sd15", "sd21-768v"}) {
            const std::string base = fixture(std::string("manifests/") + model);
            const auto single = manifestShapes(fixture(std::string("single-file/") + model + ".single_file.json"));
            QVERIFY(!diffii::recogniseArchitecture(single).empty());
        }
    }

    void predictionTypeSources() {
        // A config folder without scheduler/: the .yaml beside the file decides, --prediction-type overrides.
        const auto cfg = m_tmp + "/cfg-noscheduler";
        fs::create_directories(cfg);
        for (const char* c : {"unet", "vae", "text_encoder", "tokenizer"})
            fs::create_directory_symlink(fixture(std::string("tiny-sd1/") + c), cfg + "/" + c);
        const auto copy = m_tmp + "/v-model.safetensors";
        fs::copy_file(file(), copy);
        QCOMPARE(diffii::openSingleFile(copy, withConfig(cfg)).scheduler["prediction_type"].get<std::string>(),
                 std::string("epsilon"));
        std::ofstream(m_tmp + "/v-model.yaml") << "model:\n  params:\n    parameterization: \"v\"  # v-model\n";
        const auto v = diffii::openSingleFile(copy, withConfig(cfg));
        QCOMPARE(v.scheduler["prediction_type"].get<std::string>(), std::string("v_prediction"));
        QVERIFY(v.predictionSource.find("v-model.yaml") != std::string::npos);
        auto o = withConfig(cfg);
        o.predictionType = diffii::PredictionType::Epsilon;
        QCOMPARE(diffii::openSingleFile(copy, o).scheduler["prediction_type"].get<std::string>(),
                 std::string("epsilon"));
        // The config's scheduler wins over the .yaml.
        QCOMPARE(diffii::openSingleFile(copy, withConfig(fixture("tiny-sd1")))
                     .scheduler["prediction_type"]
                     .get<std::string>(),
                 std::string("epsilon"));
    }

    void ignoredKeysAreListed() {
        const auto path = variant("extras.safetensors", [](auto& t) {
            t["model_ema.decay"] = torch::ones({});
            t["betas"] = torch::zeros({1000});
            t["alphas_cumprod"] = torch::zeros({1000});
            t["cond_stage_model.transformer.text_model.embeddings.position_ids"] = torch::arange(77).unsqueeze(0);
        });
        const auto report = diffii::inspectSingleFile(path, withConfig(fixture("tiny-sd1")), true);
        QCOMPARE(report.ignoredKeys.size(), size_t(4));
        const auto text = report.format();
        QVERIFY(text.find("model_ema.decay (EMA weights)") != std::string::npos);
        QVERIFY(text.find("betas (training noise schedule)") != std::string::npos);
        QVERIFY(text.find("ignored keys (4)") != std::string::npos);
        // ... and the model loads.
        diffii::LoadSettings s;
        s.singleFile = withConfig(fixture("tiny-sd1"));
        (void)diffii::StableDiffusion::load(path, s);
    }

    void badInputs() {
        const auto cfg = withConfig(fixture("tiny-sd1"));
        // Truncated.
        {
            std::ifstream in(file(), std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), {});
            std::ofstream(m_tmp + "/truncated.safetensors", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
            const auto e = errorOf([&] { diffii::openSingleFile(m_tmp + "/truncated.safetensors", cfg); });
            QVERIFY2(e.find("truncated.safetensors") != std::string::npos, e.c_str());
        }
        // Only a UNet.
        {
            const auto p = variant("unet-only.safetensors", [](auto& t) {
                for (auto it = t.begin(); it != t.end();)
                    it = it->first.rfind("model.diffusion_model.", 0) == 0 ? std::next(it) : t.erase(it);
            });
            diffii::test::expectError([&] { diffii::openSingleFile(p, cfg); },
                                      {"unet-only.safetensors", "lacks", "the VAE", "the text encoder"});
        }
        // A pickled checkpoint: refused before it is read.
        std::ofstream(m_tmp + "/model.ckpt") << "PK\x03\x04 not really a zip";
        diffii::test::expectError([&] { diffii::openSingleFile(m_tmp + "/model.ckpt", cfg); },
                                  {"model.ckpt", "pickled", "run arbitrary code"});
        // Shapes of no known architecture, no --model-config.
        diffii::test::expectError([&] { diffii::openSingleFile(file()); },
                                  {"tiny-sd1.safetensors", "match no known architecture", "--model-config"});
        // A wrong shape, a missing and an unexpected key: each named.
        const auto shaped = variant("shape.safetensors", [](auto& t) {
            t["model.diffusion_model.out.2.weight"] = torch::zeros({4, 32, 1, 1});
        });
        diffii::LoadSettings s;
        s.singleFile = cfg;
        diffii::test::expectError([&] { diffii::StableDiffusion::load(shaped, s); },
                                  {"shape.safetensors", "model.diffusion_model.out.2.weight", "[4, 32, 1, 1]"});
        const auto missing =
            variant("missing.safetensors", [](auto& t) { t.erase("first_stage_model.decoder.mid.attn_1.q.weight"); });
        diffii::test::expectError([&] { diffii::StableDiffusion::load(missing, s); },
                                  {"missing keys", "first_stage_model.decoder.mid.attn_1.q.weight"});
        const auto extra = variant("extra.safetensors", [](auto& t) {
            t["model.diffusion_model.input_blocks.99.0.in_layers.0.weight"] = torch::zeros({3});
            t["something.else"] = torch::zeros({3});
        });
        diffii::test::expectError([&] { diffii::openSingleFile(extra, cfg); }, {"something.else"});
        const auto extra2 = variant("extra2.safetensors", [](auto& t) {
            t["model.diffusion_model.input_blocks.99.0.in_layers.0.weight"] = torch::zeros({3});
        });
        diffii::test::expectError([&] { diffii::StableDiffusion::load(extra2, s); },
                                  {"unexpected keys", "model.diffusion_model.input_blocks.99.0.in_layers.0.weight"});
        const auto ints = variant("int.safetensors", [](auto& t) {
            t["model.diffusion_model.out.2.bias"] = torch::zeros({4}, torch::kInt32);
        });
        diffii::test::expectError([&] { diffii::openSingleFile(ints, cfg); },
                                  {"model.diffusion_model.out.2.bias", "I32"});
    }

    void convertRoundTripsBitExactly() {
        const auto out = m_tmp + "/converted";
        const auto r = diffii::convertSingleFileToFolder(file(), withConfig(fixture("tiny-sd1")), out);
        QCOMPARE(r.lines.size(), size_t(5));
        QVERIFY(fs::exists(out + "/model_index.json") && !fs::exists(out + ".partial"));
        // The folder's state dicts are tiny-sd1's.
        for (const auto& [c, w] :
             std::vector<std::pair<std::string, std::string>>{{"unet", "diffusion_pytorch_model.safetensors"},
                                                              {"vae", "diffusion_pytorch_model.safetensors"},
                                                              {"text_encoder", "model.safetensors"}}) {
            auto ours = readAll(out + "/" + c + "/" + w);
            auto ref = readAll(fixture("tiny-sd1/" + c + "/" + w));
            ref.erase("text_model.embeddings.position_ids");
            QCOMPARE(ours.size(), ref.size());
            for (const auto& [k, t] : ref) {
                QVERIFY2(ours.count(k), (c + ": " + k).c_str());
                QVERIFY2(torch::equal(ours.at(k), t), (c + ": " + k).c_str());
            }
        }
        // It loads as a folder, with the converted tokenizer (the built-in one, as the config's is the same).
        (void)diffii::StableDiffusion::load(out);
        // Back to a single file: every tensor of the original, bit for bit.
        const auto back = m_tmp + "/back.safetensors";
        diffii::convertFolderToSingleFile(out, back);
        const auto a = readAll(file()), b = readAll(back);
        size_t compared = 0;
        for (const auto& [k, t] : a) {
            if (!diffii::ignoredOriginalKey(k, {}).empty()) continue;
            QVERIFY2(b.count(k), k.c_str());
            QVERIFY2(b.at(k).scalar_type() == t.scalar_type() && torch::equal(b.at(k), t), k.c_str());
            ++compared;
        }
        QCOMPARE(b.size(), compared);
        // F16 on request.
        const auto half = m_tmp + "/converted-half";
        diffii::convertSingleFileToFolder(file(), withConfig(fixture("tiny-sd1")), half, true);
        diffii::SafeTensorsFile h(half + "/unet/diffusion_pytorch_model.safetensors");
        QCOMPARE(h.info("conv_in.weight").dtype, diffii::StDtype::F16);
        // An existing target is refused.
        diffii::test::expectError(
            [&] { diffii::convertSingleFileToFolder(file(), withConfig(fixture("tiny-sd1")), out); },
            {"already exists"});
    }

    void convertResumesAnInterruptedRun() {
        // A run interrupted after its components: a rerun keeps what is verified and finishes.
        const auto out = m_tmp + "/resumed";
        const auto first = diffii::convertSingleFileToFolder(file(), withConfig(fixture("tiny-sd1")), out);
        fs::rename(out, out + ".partial");
        fs::remove(out + ".partial/model_index.json");
        // The VAE was cut short: its file holds other values.
        const auto vae = out + ".partial/vae/diffusion_pytorch_model.safetensors";
        auto tensors = readAll(vae);
        tensors.begin()->second = tensors.begin()->second + 1;
        diffii::saveSafetensors(vae, tensors);
        const auto again = diffii::convertSingleFileToFolder(file(), withConfig(fixture("tiny-sd1")), out);
        QCOMPARE(again.lines.size(), first.lines.size());
        QVERIFY2(again.lines[0].find("text_encoder: kept") == 0, again.lines[0].c_str());
        QVERIFY2(again.lines[1].find("unet: kept") == 0, again.lines[1].c_str());
        QVERIFY2(again.lines[2].find("vae: written") == 0, again.lines[2].c_str());
        QVERIFY(!fs::exists(out + ".partial"));
        (void)diffii::StableDiffusion::load(out);
    }

    void cliInfoAndConvert() {
        auto run = diffii::test::runDiffii(
            {"info", QString::fromStdString(file()), "--model-config", QString::fromStdString(fixture("tiny-sd1"))});
        QVERIFY2(run.code == 0, qPrintable(run.err));
        QCOMPARE(run.out.count(QStringLiteral("\n  parameters:")), 3);  // one per component, then the total
        QVERIFY(run.out.contains(QStringLiteral("total parameters: 4702325")));
        QVERIFY(run.out.contains(QStringLiteral("single file with the configs of")));
        run = diffii::test::runDiffii({"info", QString::fromStdString(file())});
        QCOMPARE(run.code, 1);
        QVERIFY2(run.err.contains(QStringLiteral("--model-config")), qPrintable(run.err));
        const auto back = m_tmp + "/cli-back.safetensors";
        run = diffii::test::runDiffii({"convert", QString::fromStdString(fixture("tiny-sd1")), "--to-single-file",
                                       "--out", QString::fromStdString(back)});
        QVERIFY2(run.code == 0, qPrintable(run.err));
        const auto a = readAll(back), b = readAll(file());
        for (const auto& [k, t] : a) QVERIFY2(b.count(k) && torch::equal(b.at(k), t), k.c_str());
    }
};

DIFFII_TEST_MAIN(TestSingleFile, Core)
}  // namespace DIFFII_UNIT
#include "test_single_file.moc"
