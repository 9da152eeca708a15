// The embedded classifier backbone (core/eval/backbone.h): a tiny one-epoch pretraining on a few synthetic corpus
// images exports a file that loads strictly with loadResNet and computes the trained network's logits; the recipe
// parser names the key of a bad value; the shipped backbone (when present) loads strictly and names its recipe.
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "core/data/dataset.h"
#include "core/demo/demo.h"
#include "core/eval/backbone.h"
#include "core/eval/resnet.h"
#include "core/io/error.h"
#include "core/io/image.h"
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

const char* const kStyles[] = {"flat", "outline", "glossy"};  // "glossy" is held out
const char* const kNames[] = {"Red Circle", "blue square", "green bar", "yellow cross"};

// A corpus in the layout of resources/emoji-birds/rebuild.sh: images/<style>/<n>.png and captions.jsonl, here 4
// names x 3 styles of 32x32 shapes (plus a name seen in one style only, which the recipe's minimum drops).
void writeCorpus(const std::string& dir) {
    std::ofstream captions(dir + "/captions.jsonl");
    auto gen = at::detail::createCPUGenerator(11);
    int n = 0;
    for (const char* style : kStyles) {
        fs::create_directories(fs::path(dir) / "images" / style);
        for (int c = 0; c < 4; ++c) {
            auto img = torch::ones({3, 32, 32});
            const float v = static_cast<float>(c) / 4.0f;
            if (c % 2 == 0)
                img.slice(1, 8, 24).slice(2, 4 + 4 * c, 12 + 4 * c).fill_(v);
            else
                img.slice(1, 4 + 4 * c, 12 + 4 * c).slice(2, 8, 24).fill_(v);
            img = (img + 0.05 * torch::rand({3, 32, 32}, gen)).clamp(0, 1);
            const std::string file = std::string("images/") + style + "/" + std::to_string(n++) + ".png";
            diffii::saveImagePng(dir + "/" + file, img);
            captions << nlohmann::json{{"file", file},
                                       {"name", kNames[c]},
                                       {"style", style},
                                       {"caption", std::string("a photo of a ") + kNames[c] + ", " + style + " emoji"}}
                            .dump()
                     << "\n";
        }
    }
    diffii::saveImagePng(dir + "/images/flat/rare.png", torch::zeros({3, 32, 32}));
    captions << nlohmann::json{{"file", "images/flat/rare.png"}, {"name", "rare"}, {"style", "flat"}}.dump() << "\n";
}

nlohmann::json tinyRecipeJson() {
    return {{"format", "diffii-backbone-recipe"},
            {"_comment", "test"},
            {"seed", 5},
            {"arch", "resnet18"},
            {"width", 4},
            {"resolution", 32},
            {"epochs", 1},
            {"batch_size", 3},
            {"lr", 0.05},
            {"crop_padding", 2},
            {"test_styles", {"glossy"}},
            {"min_train_images", 2}};
}

// The trained network as the classifier job left it: parameters and buffers of its last checkpoint, float32.
diffii::ResNet networkOfCheckpoint(const std::string& checkpoint, int64_t classes, int64_t width) {
    auto config = diffii::resnetConfig("resnet18", classes);
    config.width = width;
    diffii::ResNet net(config);
    diffii::SafeTensorsFile ck(checkpoint);
    torch::NoGradGuard g;
    for (auto& p : net->named_parameters()) p.value().copy_(ck.tensor(p.key()));
    for (auto& b : net->named_buffers()) b.value().copy_(ck.tensor("buffer." + b.key()));
    net->eval();
    return net;
}

}  // namespace

class TestBackbone : public QObject {
    Q_OBJECT

    std::string m_tmp;

private Q_SLOTS:
    void initTestCase() {
        m_tmp = diffii::test::makeTempDir("backbone");
        fs::create_directories(m_tmp + "/corpus");
        writeCorpus(m_tmp + "/corpus");
    }
    void cleanupTestCase() { fs::remove_all(m_tmp); }

    void splitByStyleWithNamesAsClasses() {
        const auto recipe = diffii::BackboneRecipe::fromJson(tinyRecipeJson(), "tiny.json");
        const auto split = diffii::backboneData(recipe, m_tmp + "/corpus");
        // Lower-cased names, sorted; "rare" (one training image) is dropped.
        const std::vector<std::string> classes = {"blue square", "green bar", "red circle", "yellow cross"};
        QCOMPARE(split.data.classNames, classes);
        QCOMPARE(split.data.train.size(), size_t{8});
        QCOMPARE(split.data.test.size(), size_t{4});
        QCOMPARE(split.droppedClasses, int64_t{1});
        QCOMPARE(split.droppedImages, int64_t{1});
        QCOMPARE(split.corpusImages, int64_t{13});
        QCOMPARE(split.trainStyles, (std::vector<std::string>{"flat", "outline"}));
        for (const auto& s : split.data.test) QVERIFY2(s.path.find("/glossy/") != std::string::npos, s.path.c_str());
        auto bad = tinyRecipeJson();
        bad["test_styles"] = {"noto"};
        diffii::test::expectError(
            [&] { diffii::backboneData(diffii::BackboneRecipe::fromJson(bad, "bad.json"), m_tmp + "/corpus"); },
            {"bad.json", "'test_styles'", "noto", "flat, glossy, outline"});
    }

    // One epoch of 3 steps; the export holds every tensor under torchvision's names (F16, num_batches_tracked I64
    // and equal to the steps), loads strictly, and gives the trained network's logits.
    void exportMatchesTrainedNetwork() {
        const auto recipe = diffii::BackboneRecipe::fromJson(tinyRecipeJson(), "tiny.json");
        const auto work = m_tmp + "/work";
        const auto res = diffii::pretrainBackbone(recipe, m_tmp + "/corpus", work);
        QCOMPARE(res.epochs, int64_t{1});
        QCOMPARE(res.steps, int64_t{3});
        QCOMPARE(res.classes, int64_t{4});
        const auto out = m_tmp + "/export/model.safetensors";
        // Never into the work folder: its own checkpoint was overwritten by the export, and the run lost.
        diffii::test::expectError([&] { diffii::exportBackbone(work, work + "/checkpoint.safetensors"); },
                                  {"work folder"});
        const auto e = diffii::exportBackbone(work, out);
        QCOMPARE(e.steps, int64_t{3});
        QCOMPARE(e.heldOutAccuracy, res.heldOutAccuracy);

        auto trained = networkOfCheckpoint(work + "/checkpoint.safetensors", 4, 4);
        std::vector<std::string> names;
        for (const auto& p : trained->named_parameters()) names.push_back(p.key());
        for (const auto& b : trained->named_buffers()) names.push_back(b.key());
        std::sort(names.begin(), names.end());
        {
            diffii::SafeTensorsFile f(out);
            QCOMPARE(f.keys(), names);
            QCOMPARE(static_cast<int64_t>(f.keys().size()), e.tensors);
            QVERIFY(f.contains("fc.weight") && f.contains("layer4.1.bn2.num_batches_tracked"));
            for (const auto& k : f.keys()) {
                const bool counter = k.size() > 19 && k.compare(k.size() - 19, 19, "num_batches_tracked") == 0;
                QCOMPARE(f.info(k).dtype, counter ? diffii::StDtype::I64 : diffii::StDtype::F16);
                if (counter) QCOMPARE(f.tensor(k).item<int64_t>(), int64_t{3});
            }
        }
        auto loaded = diffii::loadResNet(out);  // strict
        loaded->eval();
        QCOMPARE(loaded->config().width, int64_t{4});
        QCOMPARE(loaded->config().numClasses, int64_t{4});

        torch::NoGradGuard g;
        auto gen = at::detail::createCPUGenerator(3);
        const auto x = diffii::imagenetNormalize(torch::rand({3, 3, 32, 32}, gen));
        const auto fromFile = loaded->forward(x);
        // Exactly the trained network's logits once its tensors are rounded to float16 as the file stores them ...
        auto rounded = networkOfCheckpoint(work + "/checkpoint.safetensors", 4, 4);
        for (auto& p : rounded->named_parameters()) p.value().copy_(p.value().to(torch::kHalf).to(torch::kFloat));
        for (auto& b : rounded->named_buffers())
            if (b.value().is_floating_point()) b.value().copy_(b.value().to(torch::kHalf).to(torch::kFloat));
        DIFFII_COMPARE_TENSORS(fromFile, rounded->forward(x), 1e-5, "logits of the export vs rounded network");
        // ... and the float32 network's within float16 rounding.
        const auto exact = trained->forward(x);
        const double scale = exact.abs().max().item<double>();
        DIFFII_COMPARE_TENSORS(fromFile, exact, 1e-2 * std::max(1.0, scale), "logits of the export vs trained network");

        const auto meta = diffii::backboneMetadata(out);
        QCOMPARE(meta.at("format").get<std::string>(), std::string("diffii-backbone"));
        QCOMPARE(meta.at("recipe"), recipe.identity());
        QCOMPARE(meta.at("recipe_hash").get<std::string>(), recipe.identityHash());
        QCOMPARE(meta.at("steps").get<int64_t>(), int64_t{3});
        QCOMPARE(meta.at("held_out_accuracy").get<double>(), res.heldOutAccuracy);
        QCOMPARE(meta.at("held_out_styles"), nlohmann::json({"glossy"}));
        QCOMPARE(meta.at("classes").size(), size_t{4});
        QCOMPARE(meta.at("licence").get<std::string>(), std::string("CC-BY-SA-4.0"));

        // A rerun finds the finished run; another recipe in the same folder is refused.
        QCOMPARE(diffii::pretrainBackbone(recipe, m_tmp + "/corpus", work).resumedFromEpoch, int64_t{1});
        auto other = tinyRecipeJson();
        other["lr"] = 0.07;
        diffii::test::expectError(
            [&] {
                diffii::pretrainBackbone(diffii::BackboneRecipe::fromJson(other, "o.json"), m_tmp + "/corpus", work);
            },
            {"backbone-run.json", "another recipe"});
        diffii::test::expectError([&] { diffii::exportBackbone(m_tmp + "/nowork", out); },
                                  {"nowork", "not a backbone work folder"});
        diffii::saveSafetensors(m_tmp + "/plain.safetensors", {{"conv1.weight", torch::zeros({4, 3, 7, 7})}});
        diffii::test::expectError([&] { diffii::backboneMetadata(m_tmp + "/plain.safetensors"); },
                                  {"plain.safetensors", "format"});
    }

    void recipeRejectsBadValuesNamingTheKey() {
        const std::vector<std::pair<nlohmann::json, std::string>> cases = {
            {{{"format", "diffii-pretrain-recipe"}}, "'format'"},
            {{{"version", 2}}, "'version'"},
            {{{"seed", -1}}, "'seed'"},
            {{{"arch", "resnet7"}}, "'arch'"},
            {{{"width", 0}}, "'width'"},
            {{{"width", 2.5}}, "'width'"},
            {{{"resolution", 8}}, "'resolution'"},
            {{{"epochs", 0}}, "'epochs'"},
            {{{"batch_size", "64"}}, "'batch_size'"},
            {{{"lr", 0}}, "'lr'"},
            {{{"momentum", 1.0}}, "'momentum'"},
            {{{"weight_decay", -1e-4}}, "'weight_decay'"},
            {{{"label_smoothing", 1}}, "'label_smoothing'"},
            {{{"warmup_fraction", 1.5}}, "'warmup_fraction'"},
            {{{"crop_padding", -1}}, "'crop_padding'"},
            {{{"horizontal_flip", 1}}, "'horizontal_flip'"},
            {{{"test_styles", nlohmann::json::array()}}, "'test_styles'"},
            {{{"test_styles", {"noto", "noto"}}}, "'test_styles'"},
            {{{"test_styles", "noto"}}, "'test_styles'"},
            {{{"min_train_images", 0}}, "'min_train_images'"},
            {{{"epoch", 10}}, "'epoch'"},  // unknown (misspelt) key
        };
        for (const auto& [patch, key] : cases) {
            auto j = tinyRecipeJson();
            j.merge_patch(patch);
            const auto msg = diffii::test::errorOf([&] { (void)diffii::BackboneRecipe::fromJson(j, "recipe.json"); });
            QVERIFY2(msg.find("recipe.json") != std::string::npos && msg.find(key) != std::string::npos,
                     (patch.dump() + " -> '" + msg + "'").c_str());
        }
        // From a file too; and the shipped recipe parses.
        const auto file = m_tmp + "/bad-recipe.json";
        std::ofstream(file) << R"({"format": "diffii-backbone-recipe", "width": -3})";
        diffii::test::expectError([&] { diffii::BackboneRecipe::fromFile(file); }, {"bad-recipe.json", "'width'"});
        const auto res = diffii::locateDemoResources();
        const auto shipped = res.root + "/models/backbone-recipe.json";
        if (fs::exists(shipped)) {
            const auto r = diffii::BackboneRecipe::fromFile(shipped);
            QCOMPARE(r.arch, std::string("resnet18"));
            QCOMPARE(r.resolution, int64_t{64});
        }
    }

    // The shipped backbone loads strictly, names the shipped recipe and classifies a demo image.
    void shippedBackbone() {
        const auto res = diffii::locateDemoResources();
        if (res.backbone.empty()) QSKIP("no resources/models/backbone/model.safetensors is shipped");
        QCOMPARE(diffii::embeddedBackboneFile(), res.backbone);
        auto net = diffii::loadResNet(res.backbone);
        net->eval();
        const auto meta = diffii::backboneMetadata(res.backbone);
        const auto recipe = diffii::BackboneRecipe::fromFile(res.root + "/models/backbone-recipe.json");
        QCOMPARE(meta.at("recipe"), recipe.identity());
        QCOMPARE(meta.at("recipe_hash").get<std::string>(), recipe.identityHash());
        QCOMPARE(meta.at("recipe_file").get<std::string>(), std::string("backbone-recipe.json"));
        QCOMPARE(net->config().width, recipe.width);
        QCOMPARE(static_cast<int64_t>(meta.at("classes").size()), net->config().numClasses);
        const double acc = meta.at("held_out_accuracy").get<double>();
        QVERIFY(acc > 0.0 && acc <= 1.0);
        QVERIFY(fs::file_size(res.backbone) < 16u * 1024 * 1024);
        const auto img = diffii::ImageFolderDataset(res.testImages).classes()[0].images[0];
        torch::NoGradGuard g;
        const auto x = diffii::imagenetNormalize(diffii::loadImageForModel(img, 64, 64).unsqueeze(0));
        const auto logits = net->forward(x);
        QCOMPARE(logits.size(1), net->config().numClasses);
        QVERIFY(torch::isfinite(logits).all().item<bool>());
    }
};

DIFFII_TEST_MAIN(TestBackbone, None)
}  // namespace DIFFII_UNIT
#include "test_backbone.moc"
