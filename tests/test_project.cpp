// core/data/project: project.json create/open round trip and its errors (newer schema, missing keys, wrong types),
// the model and file fingerprints (stable, sensitive to configs, tokenizer files and weights, cheap), and
// provenance staleness.
#include <QtTest/QtTest>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/data/project.h"
#include "core/data/stable_hash.h"
#include "core/engine/session.h"
#include "core/io/error.h"
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
using diffii::Project;
using diffii::ProjectConfig;
using diffii::Provenance;

using diffii::test::errorOf;

namespace {

void writeText(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary).write(text.data(), static_cast<std::streamsize>(text.size()));
}

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Flips one byte of a file in place (size unchanged).
void flipByte(const std::string& path, uint64_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&c, 1);
}

uint64_t safetensorsDataStart(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char b[8];
    in.read(reinterpret_cast<char*>(b), 8);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | b[i];
    return 8 + n;
}

ProjectConfig sampleConfig() {
    ProjectConfig c;
    c.name = "CUB 5-shot, \"test\"";
    c.datasetPath = "/data/cub/train";
    c.modelPath = "models/sd-1.5";
    c.metaclass = "bird";
    c.seed = 18446744073709551557ull;  // above 2^63: must survive JSON as an unsigned integer
    c.settings = {{"concept", {{"steps", 35000}, {"lr", 5e-5}, {"loraRank", 10}}},
                  {"generation", {{"split", 0.5}, {"suffixes", {"in the snow", "at night"}}}}};
    return c;
}

}  // namespace

class TestProject : public QObject {
    Q_OBJECT

private:
    std::string m_dir;
    std::string m_model;  // a fake diffusers folder

    void makeFakeModel(const std::string& dir) {
        writeText(dir + "/model_index.json", R"({"_class_name": "StableDiffusionPipeline"})");
        writeText(dir + "/unet/config.json", R"({"sample_size": 64, "cross_attention_dim": 768})");
        writeText(dir + "/tokenizer/vocab.json", R"({"a</w>": 0, "b</w>": 1})");
        writeText(dir + "/tokenizer/merges.txt", "#version: 0.2\na b\n");
        writeText(dir + "/README.md", "model card");
        writeText(dir + "/.git/config", "[core]");
        fs::create_directories(dir + "/text_encoder");
        diffii::saveSafetensors(dir + "/text_encoder/model.safetensors",
                                {{"w", torch::arange(64, torch::kFloat32)}, {"b", torch::zeros({3})}});
        // 24 MiB of weights: above the full-hash threshold, so it is sampled.
        diffii::saveSafetensors(dir + "/unet/diffusion_pytorch_model.safetensors",
                                {{"big", torch::linspace(0, 1, 6 * 1024 * 1024)}, {"small", torch::ones({5})}});
    }

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_dir = diffii::test::makeTempDir("project");
        m_model = m_dir + "/model";
        makeFakeModel(m_model);
    }
    void cleanupTestCase() { fs::remove_all(m_dir); }

    // The New-project dialog's creation: into a temporary sibling renamed into place; refused for a folder that is
    // not empty; undone exactly (folders made above it included, an existing empty folder kept, empty).
    void createProjectFolderIsAtomic() {
        const std::string root = m_dir + "/atomic";
        const std::string fresh = root + "/a/b/project";
        const auto made = diffii::createProjectFolder(fresh, sampleConfig());
        QVERIFY(fs::is_regular_file(fresh + "/project.json"));
        QCOMPARE(Project::open(fresh).config().metaclass, sampleConfig().metaclass);
        QVERIFY(!made.existed);
        QCOMPARE(made.topCreated, fs::path(root).string());
        std::vector<std::string> siblings;
        for (const auto& e : fs::directory_iterator(root + "/a/b")) siblings.push_back(e.path().filename().string());
        QCOMPARE(siblings, std::vector<std::string>{"project"});  // no temporary left
        diffii::removeCreatedProjectFolder(made);
        QVERIFY(!fs::exists(root));

        const std::string empty = m_dir + "/atomic-empty";
        fs::create_directories(empty);
        const auto intoEmpty = diffii::createProjectFolder(empty + "/", sampleConfig());
        QVERIFY(intoEmpty.existed);
        QVERIFY(fs::is_regular_file(empty + "/project.json"));
        // Not empty any more (a project is there): refused, and the project is untouched.
        const auto msg = errorOf([&] { diffii::createProjectFolder(empty, sampleConfig()); });
        QVERIFY2(msg.find("not empty") != std::string::npos, msg.c_str());
        QVERIFY(fs::is_regular_file(empty + "/project.json"));
        diffii::removeCreatedProjectFolder(intoEmpty);
        QVERIFY(fs::is_directory(empty) && fs::is_empty(empty));

        writeText(m_dir + "/atomic-file", "x");
        QVERIFY(!errorOf([&] { diffii::createProjectFolder(m_dir + "/atomic-file", sampleConfig()); }).empty());
        QVERIFY(!errorOf([&] { diffii::createProjectFolder("", sampleConfig()); }).empty());
        // A folder that cannot be made (its parent is a file): nothing is left either.
        QVERIFY(!errorOf([&] { diffii::createProjectFolder(m_dir + "/atomic-file/p", sampleConfig()); }).empty());
        QCOMPARE(readText(m_dir + "/atomic-file"), std::string("x"));
    }

    void modelFolderSummaryNamesTheArchitecture() {
        const auto s = diffii::summarizeModelFolder(diffii::test::fixture("tiny-sd1"));
        QCOMPARE(s.pipelineClass, std::string("StableDiffusionPipeline"));
        QCOMPARE(s.unetClass, std::string("UNet2DConditionModel"));
        QCOMPARE(s.textEncoderClass, std::string("CLIPTextModel"));
        QCOMPARE(s.vaeClass, std::string("AutoencoderKL"));
        QVERIFY(s.parameterCount > 1000000);
        QVERIFY(s.nativeImageSize > 0);
        QCOMPARE(s.crossAttentionDim, int64_t{32});
        QVERIFY(!errorOf([&] { diffii::summarizeModelFolder(m_dir); }).empty());
    }

    void createThenOpenRoundTrips() {
        const std::string dir = m_dir + "/p1";
        const Project created = Project::create(dir, sampleConfig());
        for (const char* sub : {"concepts", "inversions", "synthetic", "runs"})
            QVERIFY2(fs::is_directory(dir + "/" + sub), sub);
        QVERIFY(fs::is_regular_file(dir + "/project.json"));
        QCOMPARE(created.config().createdWith, std::string(Project::kCreatedWith));

        const Project p = Project::open(dir);
        const auto& c = p.config();
        const auto ref = sampleConfig();
        QCOMPARE(c.name, ref.name);
        QCOMPARE(c.datasetPath, ref.datasetPath);
        QCOMPARE(c.modelPath, ref.modelPath);
        QCOMPARE(c.metaclass, ref.metaclass);
        QCOMPARE(c.seed, ref.seed);
        QCOMPARE(c.settings, ref.settings);
        QCOMPARE(c.createdWith, std::string(Project::kCreatedWith));
        QCOMPARE(p.dir(), fs::absolute(dir).lexically_normal().generic_string());
        QCOMPARE(p.datasetDir(), std::string("/data/cub/train"));
        QCOMPARE(p.modelDir(), p.dir() + "/models/sd-1.5");
        QCOMPARE(p.conceptsDir(), p.dir() + "/concepts");

        const auto j = nlohmann::json::parse(readText(dir + "/project.json"));
        QCOMPARE(j["schemaVersion"].get<int>(), 1);
        QVERIFY(j["seed"].is_number_unsigned());

        // Creating over an existing project is refused.
        const std::string msg = errorOf([&] { Project::create(dir, sampleConfig()); });
        QVERIFY2(msg.find(dir) != std::string::npos && msg.find("already") != std::string::npos, msg.c_str());
    }

    void editSaveAndUnknownKeys() {
        const std::string dir = m_dir + "/p2";
        Project::create(dir, sampleConfig());
        // A key from a same-version writer we do not know is kept through open + save.
        auto j = nlohmann::json::parse(readText(dir + "/project.json"));
        j["futureNote"] = {{"x", 1}};
        writeText(dir + "/project.json", j.dump());
        Project p = Project::open(dir);
        p.config().metaclass = "aircraft";
        p.config().settings["generation"]["split"] = 0.7;
        p.save();
        const Project q = Project::open(dir);
        QCOMPARE(q.config().metaclass, std::string("aircraft"));
        QCOMPARE(q.config().settings["generation"]["split"].get<double>(), 0.7);
        QCOMPARE(q.toJson()["futureNote"]["x"].get<int>(), 1);
        // No temporary files left by the atomic writes.
        int entries = 0;
        for (const auto& e : fs::directory_iterator(dir)) entries += e.is_regular_file() ? 1 : 0;
        QCOMPARE(entries, 1);
        // Deleted artifact folders come back on open.
        fs::remove_all(dir + "/runs");
        Project::open(dir);
        QVERIFY(fs::is_directory(dir + "/runs"));
    }

    void newerSchemaIsAnError() {
        const std::string dir = m_dir + "/p3";
        Project::create(dir, sampleConfig());
        auto j = nlohmann::json::parse(readText(dir + "/project.json"));
        j["schemaVersion"] = 7;
        writeText(dir + "/project.json", j.dump());
        const std::string msg = errorOf([&] { Project::open(dir); });
        QVERIFY2(msg.find("project.json") != std::string::npos, msg.c_str());
        QVERIFY2(msg.find(fs::absolute(dir).lexically_normal().generic_string()) != std::string::npos, msg.c_str());
        QVERIFY2(msg.find("version 7") != std::string::npos, msg.c_str());
        QVERIFY2(msg.find("supports version 1") != std::string::npos, msg.c_str());

        j["schemaVersion"] = 0;
        writeText(dir + "/project.json", j.dump());
        QVERIFY(!errorOf([&] { Project::open(dir); }).empty());
        j["schemaVersion"] = "1";
        writeText(dir + "/project.json", j.dump());
        const std::string typeMsg = errorOf([&] { Project::open(dir); });
        QVERIFY2(typeMsg.find("'schemaVersion'") != std::string::npos, typeMsg.c_str());
    }

    void missingKeysAreNamed() {
        const std::string dir = m_dir + "/p4";
        Project::create(dir, sampleConfig());
        const auto good = nlohmann::json::parse(readText(dir + "/project.json"));
        for (const char* key :
             {"schemaVersion", "name", "datasetPath", "modelPath", "metaclass", "seed", "settings", "createdWith"}) {
            auto j = good;
            j.erase(key);
            writeText(dir + "/project.json", j.dump());
            const std::string msg = errorOf([&] { Project::open(dir); });
            QVERIFY2(msg.find("'" + std::string(key) + "'") != std::string::npos, (key + (": " + msg)).c_str());
            QVERIFY2(msg.find("project.json") != std::string::npos, msg.c_str());
            QVERIFY2(msg.find("missing") != std::string::npos, msg.c_str());
        }
        // Wrong types name the key and the value found.
        auto j = good;
        j["seed"] = -3;
        writeText(dir + "/project.json", j.dump());
        std::string msg = errorOf([&] { Project::open(dir); });
        QVERIFY2(msg.find("'seed'") != std::string::npos && msg.find("-3") != std::string::npos, msg.c_str());
        j = good;
        j["settings"] = "fast";
        writeText(dir + "/project.json", j.dump());
        msg = errorOf([&] { Project::open(dir); });
        QVERIFY2(msg.find("'settings'") != std::string::npos && msg.find("fast") != std::string::npos, msg.c_str());
        writeText(dir + "/project.json", "{ not json");
        msg = errorOf([&] { Project::open(dir); });
        QVERIFY2(msg.find("project.json") != std::string::npos, msg.c_str());
        // Not a project at all.
        msg = errorOf([&] { Project::open(m_dir + "/nothing-here"); });
        QVERIFY2(msg.find("nothing-here/project.json") != std::string::npos, msg.c_str());
    }

    void stableHasherStreamsAndFrames() {
        std::string data;
        for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 37));
        diffii::StableHasher whole;
        whole.update(data.data(), data.size());
        for (size_t piece : {1u, 3u, 7u, 8u, 13u, 64u}) {
            diffii::StableHasher chunked;
            for (size_t pos = 0; pos < data.size(); pos += piece)
                chunked.update(data.data() + pos, std::min(piece, data.size() - pos));
            QCOMPARE(chunked.hex(), whole.hex());
        }
        // Trailing zero bytes and framing count.
        diffii::StableHasher a, b, c, d;
        a.update("x", 1);
        b.update("x\0", 2);
        QVERIFY(a.hex() != b.hex());
        c.updateString("ab");
        c.updateString("c");
        d.updateString("a");
        d.updateString("bc");
        QVERIFY(c.hex() != d.hex());
        QVERIFY(diffii::StableHasher().hex() != a.hex());
        QCOMPARE(a.digest64(), a.digest64());
    }

    void fingerprintIsStableAndShaped() {
        const std::string a = diffii::modelFingerprint(m_model);
        QCOMPARE(a.size(), size_t(32));
        QVERIFY(std::regex_match(a, std::regex("[0-9a-f]{32}")));
        QCOMPARE(diffii::modelFingerprint(m_model), a);
        QCOMPARE(diffii::modelFingerprint(m_model + "/"), a);  // spelling of the path does not matter
        // The same content elsewhere gives the same fingerprint (only relative names enter).
        const std::string copy = m_dir + "/model-copy";
        fs::copy(m_model, copy, fs::copy_options::recursive);
        QCOMPARE(diffii::modelFingerprint(copy), a);
        fs::remove_all(copy);
    }

    void fingerprintFollowsConfigsTokenizerAndWeights() {
        const std::string dir = m_dir + "/model-edit";
        makeFakeModel(dir);
        std::string current = diffii::modelFingerprint(dir);
        auto expectChange = [&](const char* what) {
            const std::string next = diffii::modelFingerprint(dir);
            QVERIFY2(next != current, what);
            current = next;
        };
        auto expectSame = [&](const char* what) { QVERIFY2(diffii::modelFingerprint(dir) == current, what); };

        const std::string big = dir + "/unet/diffusion_pytorch_model.safetensors";
        QVERIFY(fs::file_size(big) > 8u * 1024 * 1024);

        // One byte of a config.
        writeText(dir + "/unet/config.json", R"({"sample_size": 65, "cross_attention_dim": 768})");
        expectChange("unet/config.json edit");
        flipByte(dir + "/tokenizer/merges.txt", 3);
        expectChange("merges.txt edit");
        flipByte(dir + "/text_encoder/model.safetensors", fs::file_size(dir + "/text_encoder/model.safetensors") - 9);
        expectChange("small weight file byte");
        // The large file: its header, the first data bytes, a byte at a sampled stride and the very last byte.
        const uint64_t dataStart = safetensorsDataStart(big);
        flipByte(big, 20);
        expectChange("safetensors header byte");
        flipByte(big, dataStart);
        expectChange("first weight byte");
        flipByte(big, dataStart + 8u * 1024 * 1024 + 100);
        expectChange("weight byte in the second sample");
        flipByte(big, fs::file_size(big) - 1);
        expectChange("last weight byte");
        // Adding, renaming and removing files.
        writeText(dir + "/scheduler/scheduler_config.json", R"({"num_train_timesteps": 1000})");
        expectChange("new scheduler config");
        fs::rename(dir + "/tokenizer/vocab.json", dir + "/tokenizer/vocab2.json");
        expectChange("renamed tokenizer file");
        // Documentation and hidden files do not count.
        writeText(dir + "/README.md", "a different model card");
        writeText(dir + "/.git/HEAD", "ref: refs/heads/main");
        writeText(dir + "/unet/.cache.json", "{}");
        expectSame("README/hidden edits");
    }

    void fingerprintErrors() {
        std::string msg = errorOf([&] { diffii::modelFingerprint(m_dir + "/no-model"); });
        QVERIFY2(msg.find("no-model") != std::string::npos, msg.c_str());
        fs::create_directories(m_dir + "/docs-only");
        writeText(m_dir + "/docs-only/README.md", "x");
        msg = errorOf([&] { diffii::modelFingerprint(m_dir + "/docs-only"); });
        QVERIFY2(msg.find("docs-only") != std::string::npos, msg.c_str());
        msg = errorOf([&] { diffii::fingerprintFiles({m_dir + "/missing.safetensors"}); });
        QVERIFY2(msg.find("missing.safetensors") != std::string::npos, msg.c_str());
    }

    void fingerprintOfTinyModelIsFast() {
        const std::string tiny = diffii::test::fixture("tiny-sd1");
        if (!fs::is_directory(tiny)) QSKIP("tiny-sd1 fixture not available");
        const auto t0 = std::chrono::steady_clock::now();
        const std::string a = diffii::modelFingerprint(tiny);
        const auto t1 = std::chrono::steady_clock::now();
        QCOMPARE(diffii::modelFingerprint(tiny), a);
        const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        qInfo("modelFingerprint(tiny-sd1) = %s in %.2f ms", a.c_str(), ms);
        QVERIFY2(ms < 1000.0, "fingerprinting the tiny model took over a second");
        const auto t2 = std::chrono::steady_clock::now();
        diffii::modelFingerprint(m_model);
        const double bigMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t2).count();
        qInfo("modelFingerprint(fake model with 24 MiB of weights) in %.2f ms", bigMs);
    }

    void fingerprintFilesFollowsNamesOrderAndContent() {
        const std::string a = m_dir + "/files/concepts_a.safetensors";
        const std::string b = m_dir + "/files/lora.safetensors";
        fs::create_directories(m_dir + "/files");
        diffii::saveSafetensors(a, {{"emb", torch::randn({4, 8})}});
        diffii::saveSafetensors(b, {{"lora", torch::randn({2, 2})}});
        const std::string h = diffii::fingerprintFiles({a, b});
        QCOMPARE(h.size(), size_t(32));
        QCOMPARE(diffii::fingerprintFiles({a, b}), h);
        QVERIFY(diffii::fingerprintFiles({b, a}) != h);
        QVERIFY(diffii::fingerprintFiles({a}) != h);
        QVERIFY(diffii::fingerprintFiles({}) != h);
        flipByte(b, fs::file_size(b) - 2);
        QVERIFY(diffii::fingerprintFiles({a, b}) != h);
    }

    void provenanceRoundTripAndStaleness() {
        Provenance p;
        p.producer = "inversion-pool";
        p.modelHash = diffii::modelFingerprint(m_model);
        p.conceptsHash = "0123456789abcdef0123456789abcdef";
        p.settings = {{"inversionSteps", 50}, {"guidance", 1.0}, {"size", {512, 512}}};
        p.created = diffii::isoTimeNow();
        QVERIFY2(std::regex_match(p.created, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")), p.created.c_str());

        const Provenance back = Provenance::fromJson(nlohmann::json::parse(p.toJson().dump()));
        QCOMPARE(back.producer, p.producer);
        QCOMPARE(back.modelHash, p.modelHash);
        QCOMPARE(back.conceptsHash, p.conceptsHash);
        QCOMPARE(back.settings, p.settings);
        QCOMPARE(back.created, p.created);
        QVERIFY(!diffii::isStale(p, back));

        Provenance cur = p;
        cur.created = "2001-01-01T00:00:00Z";
        QVERIFY2(!diffii::isStale(p, cur), "the creation time alone does not make an artifact stale");
        cur.settings = nlohmann::json::parse(R"({"size": [512, 512], "guidance": 1, "inversionSteps": 50})");
        QVERIFY2(!diffii::isStale(p, cur), "key order and 1 vs 1.0 do not matter");
        cur.settings["inversionSteps"] = 25;
        QVERIFY(diffii::isStale(p, cur));
        cur = p;
        cur.modelHash[0] = cur.modelHash[0] == 'a' ? 'b' : 'a';
        QVERIFY(diffii::isStale(p, cur));
        cur = p;
        cur.conceptsHash.clear();
        QVERIFY(diffii::isStale(p, cur));
        cur = p;
        cur.producer = "concepts";
        QVERIFY(diffii::isStale(p, cur));

        auto j = p.toJson();
        j.erase("modelHash");
        const std::string msg = errorOf([&] { Provenance::fromJson(j, "inversions/pool.json"); });
        QVERIFY2(msg.find("inversions/pool.json") != std::string::npos && msg.find("'modelHash'") != std::string::npos,
                 msg.c_str());
    }
};

DIFFII_TEST_MAIN(TestProject, None)
}  // namespace DIFFII_UNIT
#include "test_project.moc"
