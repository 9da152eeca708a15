// `diffii pretrain` in miniature: the shipped recipe with a handful of steps on a 20-image corpus. The run ends
// with a loadable diffusers folder and a float16 export; a cancel in the UNet stage + resume reaches bit-identical
// weights; a work folder of another recipe or corpus is refused; corpus errors name the file and line.
#include <QtTest/QtTest>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
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

// 20 demo training images (4 classes x 5 styles) with captions in the corpus format.
const fs::path kResources = fs::path(DIFFII_SOURCE_DIR) / "resources";

std::string makeCorpus(const std::string& dir) {
    fs::create_directories(dir);
    std::ofstream out(fs::path(dir) / "captions.jsonl");
    int n = 0;
    for (const char* cls : {"penguin", "owl", "duck", "flamingo"}) {
        for (const auto& e : fs::directory_iterator(kResources / "emoji-birds" / "train" / cls)) {
            const std::string rel = std::string(cls) + "-" + e.path().filename().string();
            fs::copy_file(e.path(), fs::path(dir) / rel);
            out << nlohmann::json{{"file", rel},
                                  {"caption",
                                   std::string("a photo of a ") + cls + ", " + e.path().stem().string() + " emoji"}}
                       .dump()
                << "\n";
            ++n;
        }
    }
    return dir;
}

// The shipped recipe, shortened.
diffii::PretrainRecipe smallRecipe(const std::string& dir, uint64_t seed = 7) {
    auto j = diffii::readJsonFile((kResources / "models" / "emoji-sd-tiny-recipe.json").string());
    j["seed"] = seed;
    j["tokenizer"]["vocab_size"] = 600;
    j["tokenizer"]["min_pair_frequency"] = 1;
    j["vae_training"]["steps"] = 3;
    j["vae_training"]["batch_size"] = 4;
    j["unet_training"]["steps"] = 5;
    j["unet_training"]["batch_size"] = 4;
    j["unet_training"]["warmup_steps"] = 2;
    j["checkpoint_every"] = 2;
    // The shipped recipe pins bfloat16 (how the shipped weights were made); the miniature follows the CPU, so that
    // it is not emulated (12x slower) where bfloat16 is not native.
    j["precision"] = "auto";
    const auto path = (fs::path(dir) / ("recipe-" + std::to_string(seed) + ".json")).string();
    std::ofstream(path) << j.dump(2);
    return diffii::PretrainRecipe::fromFile(path);
}

std::map<std::string, at::Tensor> weights(const std::string& file) {
    diffii::SafeTensorsFile f(file);
    std::map<std::string, at::Tensor> out;
    for (const auto& k : f.keys()) out[k] = f.tensor(k);
    return out;
}

void expectSameWeights(const std::string& a, const std::string& b) {
    const auto wa = weights(a), wb = weights(b);
    QCOMPARE(wa.size(), wb.size());
    for (const auto& [k, t] : wa) {
        QVERIFY2(wb.count(k), k.c_str());
        QVERIFY2(torch::equal(t, wb.at(k)), (a + ": " + k + " differs").c_str());
    }
}

}  // namespace

class TestPretrainer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void runsResumesAndExports() {
        const auto tmp = diffii::test::makeTempDir("pretrain");
        const auto corpus = makeCorpus(tmp + "/corpus");
        const auto recipe = smallRecipe(tmp);

        // Uninterrupted.
        const auto a = diffii::pretrainModel(recipe, corpus, tmp + "/a");
        QCOMPARE(a.stage, std::string("done"));
        QCOMPARE(a.vaeStep, int64_t{3});
        QCOMPARE(a.unetStep, int64_t{5});
        QVERIFY(a.scalingFactor > 0.0);
        QVERIFY(std::isfinite(a.unetLoss) && a.unetLoss > 0.0);
        auto sd = diffii::StableDiffusion::load(a.modelDir);  // the same strict loader as for users' models
        QVERIFY(sd->tokenizer().size() <= 600);
        QCOMPARE(sd->textEncoder()->config().vocabSize, static_cast<int64_t>(sd->tokenizer().size()));
        QCOMPARE(sd->nativeImageSize(), int64_t{64});
        const auto vaeCfg = diffii::readJsonFile(a.modelDir + "/vae/config.json");
        QCOMPARE(vaeCfg["scaling_factor"].get<double>(), a.scalingFactor);

        // Cancelled in the UNet stage after step 3 (a checkpoint at step 2 exists too), then resumed.
        std::atomic<bool> cancel{false};
        diffii::JobContext job;
        job.cancelFlag = &cancel;
        std::vector<std::string> stages;
        job.onProgress = [&](const diffii::Progress& p) {
            if (stages.empty() || stages.back() != p.stage) stages.push_back(p.stage);
            if (p.stage == "unet" && p.done == 3) cancel = true;
        };
        bool cancelled = false;
        try {
            diffii::pretrainModel(recipe, corpus, tmp + "/b", &job);
        } catch (const diffii::Cancelled&) {
            cancelled = true;
        }
        QVERIFY(cancelled);
        QCOMPARE(stages, (std::vector<std::string>{"tokenizer", "load", "vae", "latents", "unet"}));
        QCOMPARE(diffii::readJsonFile(tmp + "/b/run.json")["stage"].get<std::string>(), std::string("unet"));
        const auto b = diffii::pretrainModel(recipe, corpus, tmp + "/b");
        QCOMPARE(b.stage, std::string("done"));
        for (const char* f :
             {"/model/unet/diffusion_pytorch_model.safetensors", "/model/vae/diffusion_pytorch_model.safetensors",
              "/model/text_encoder/model.safetensors"})
            expectSameWeights(tmp + "/a" + f, tmp + "/b" + f);
        QCOMPARE(diffii::readJsonFile(tmp + "/a/model/tokenizer/vocab.json"),
                 diffii::readJsonFile(tmp + "/b/model/tokenizer/vocab.json"));

        // More steps later continue the finished run.
        auto longer = recipe;
        longer.unetSteps = 6;
        QCOMPARE(diffii::pretrainModel(longer, corpus, tmp + "/b").unetStep, int64_t{6});

        // The export: float16 weights, loadable, with its provenance.
        diffii::exportPretrainedModel(tmp + "/a", tmp + "/export");
        for (const char* f : {"/unet/diffusion_pytorch_model.safetensors", "/vae/diffusion_pytorch_model.safetensors",
                              "/text_encoder/model.safetensors"}) {
            diffii::SafeTensorsFile st(tmp + "/export" + f);
            for (const auto& k : st.keys())
                QVERIFY2(st.info(k).dtype == diffii::StDtype::F16 || k.find("position_ids") != std::string::npos,
                         k.c_str());
        }
        auto exported = diffii::StableDiffusion::load(tmp + "/export");
        const auto info = diffii::readJsonFile(tmp + "/export/pretraining.json");
        QCOMPARE(info["unet_steps_done"].get<int64_t>(), int64_t{5});
        QCOMPARE(info["corpus_size"].get<int64_t>(), int64_t{20});
        // Auto is float32 for a model this small on every CPU: the weights do not depend on the machine.
        QVERIFY2(info["compute_precision"].get<std::string>().rfind("float32", 0) == 0,
                 info["compute_precision"].dump().c_str());
        // Exporting again replaces the folder.
        diffii::exportPretrainedModel(tmp + "/b", tmp + "/export");
        QCOMPARE(diffii::readJsonFile(tmp + "/export/pretraining.json")["unet_steps_done"].get<int64_t>(), int64_t{6});
        QVERIFY(!fs::exists(tmp + "/export.tmp-export"));
        QVERIFY(diffii::readJsonFile(tmp + "/export/pretraining.json")["finished"].get<bool>());
        // The target is replaced: never the work folder or what holds it, a file, or a folder of other files.
        diffii::test::expectError([&] { diffii::exportPretrainedModel(tmp + "/b", tmp + "/b"); }, {"work folder"});
        diffii::test::expectError([&] { diffii::exportPretrainedModel(tmp + "/b", tmp); }, {"work folder"});
        fs::create_directories(tmp + "/mine");
        std::ofstream(tmp + "/mine/notes.txt") << "keep";
        diffii::test::expectError([&] { diffii::exportPretrainedModel(tmp + "/b", tmp + "/mine"); },
                                  {"mine", "other files"});
        QVERIFY(fs::exists(tmp + "/mine/notes.txt"));
        std::ofstream(tmp + "/afile") << "keep";
        diffii::test::expectError([&] { diffii::exportPretrainedModel(tmp + "/b", tmp + "/afile"); }, {"is a file"});
        QVERIFY(fs::exists(tmp + "/b/run.json"));
        fs::remove_all(tmp);
    }

    void refusesAnotherRecipeOrCorpus() {
        const auto tmp = diffii::test::makeTempDir("pretrain-refuse");
        const auto corpus = makeCorpus(tmp + "/corpus");
        auto recipe = smallRecipe(tmp);
        recipe.unetSteps = 0;
        recipe.vaeSteps = 1;
        diffii::pretrainModel(recipe, corpus, tmp + "/w");
        auto other = smallRecipe(tmp, 8);
        other.unetSteps = 0;
        other.vaeSteps = 1;
        expectError([&] { diffii::pretrainModel(other, corpus, tmp + "/w"); }, {"run.json", "another recipe"});
        std::ofstream(corpus + "/captions.jsonl", std::ios::app)
            << nlohmann::json{{"file", "penguin-noto.png"}, {"caption", "x"}}.dump() << "\n";
        expectError([&] { diffii::pretrainModel(recipe, corpus, tmp + "/w"); }, {"run.json", "another corpus"});
        fs::remove_all(tmp);
    }

    void corpusErrorsNameTheFileAndLine() {
        const auto tmp = diffii::test::makeTempDir("pretrain-corpus");
        expectError([&] { diffii::readCaptionCorpus(tmp); }, {"captions.jsonl", "cannot be read"});
        std::ofstream(tmp + "/captions.jsonl") << "{\"file\": \"a.png\", \"caption\": \"a\"}\n{oops\n";
        expectError([&] { diffii::readCaptionCorpus(tmp); }, {"captions.jsonl:2", "not JSON"});
        std::ofstream(tmp + "/captions.jsonl") << "{\"file\": \"a.png\"}\n";
        expectError([&] { diffii::readCaptionCorpus(tmp); }, {"captions.jsonl:1", "caption"});
        // A listed image that does not exist: the pretraining names it.
        std::ofstream(tmp + "/captions.jsonl") << "{\"file\": \"missing.png\", \"caption\": \"a photo of a thing\"}\n"
                                               << "{\"file\": \"missing2.png\", \"caption\": \"a photo of a thing\"}\n";
        auto recipe = smallRecipe(tmp);
        expectError([&] { diffii::pretrainModel(recipe, tmp, tmp + "/w"); }, {"missing.png"});
        // A broken recipe names the key.
        std::ofstream(tmp + "/bad-recipe.json") << "{\"format\": \"diffii-pretrain-recipe\", \"seed\": 1}";
        expectError([&] { diffii::PretrainRecipe::fromFile(tmp + "/bad-recipe.json"); }, {"bad-recipe.json", "unet"});
        fs::remove_all(tmp);
    }
};

DIFFII_TEST_MAIN(TestPretrainer, Core)
}  // namespace DIFFII_UNIT
#include "test_pretrainer.moc"
