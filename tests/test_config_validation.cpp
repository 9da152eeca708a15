// Config validation of the diffusers-folder loader (issue 13, item 2): a deterministic corpus of mutated config
// files made from the embedded tiny model (resources/models/emoji-sd-tiny). Every case must give a clean
// diffii::Error naming the mutated file and the key (or the weights that no longer match the config), or a correct
// load; quickly, and never a signal. The parameter estimates made from configs alone equal the real counts of the
// tiny models and of full-size SD 1.5 / SD 2.1 (from the fixtures' manifests).
#include <QtTest/QtTest>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/models/config_limits.h"
#include "core/models/stable_diffusion.h"
#include "core/models/state_dict.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kConfigFiles[] = {"unet/config.json",
                                    "vae/config.json",
                                    "text_encoder/config.json",
                                    "scheduler/scheduler_config.json",
                                    "model_index.json",
                                    "tokenizer/tokenizer_config.json",
                                    "tokenizer/special_tokens_map.json"};

// Keys the loader reads that the tiny model's files do not hold (their defaults apply when absent).
std::vector<std::string> extraKeys(const std::string& file) {
    if (file == "unet/config.json")
        return {"num_attention_heads", "time_embedding_dim",     "conv_in_kernel",
                "conv_out_kernel",     "only_cross_attention",   "dropout",
                "class_embed_type",    "resnet_time_scale_shift"};
    if (file == "vae/config.json") return {"shift_factor", "use_quant_conv", "mid_block_add_attention"};
    if (file == "scheduler/scheduler_config.json")
        return {"timestep_spacing", "clip_sample_range",          "rescale_betas_zero_snr",
                "thresholding",     "dynamic_thresholding_ratio", "sample_max_value"};
    return {};
}

std::string emojiTiny() { return std::string(DIFFII_SOURCE_DIR) + "/resources/models/emoji-sd-tiny"; }

// A copy of a model folder whose JSON files are real copies (a case rewrites one) and whose other files are
// symlinks to the originals.
std::string workingCopy(const std::string& src, const std::string& dst) {
    for (const auto& e : fs::recursive_directory_iterator(src)) {
        const auto target = fs::path(dst) / fs::relative(e.path(), src);
        if (e.is_directory())
            fs::create_directories(target);
        else if (e.path().extension() == ".json")
            fs::copy_file(e.path(), target);
        else
            fs::create_symlink(fs::absolute(e.path()), target);
    }
    return dst;
}

void writeBytes(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string readBytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

struct Case {
    std::string file;               // relative to the model folder
    std::vector<std::string> keys;  // the mutated keys; empty for a whole-file mutation
    std::string label;
    std::string bytes;  // the file's new content
};

// The corpus: per file, per key (the file's own and extraKeys) the values 0, -1, 1e6, 1e9, 1e12, a string, null,
// missing and a list of the wrong length, list entries set to 0, -1, 1e6, a string and null; whole-file mutations;
// then seeded random multi-key mutations.
std::vector<Case> buildCorpus(const std::string& dir, uint32_t seed) {
    std::vector<Case> cases;
    const std::vector<std::pair<std::string, json>> values = {
        {"0", 0},          {"-1", -1},       {"1e6", 1000000}, {"1e9", 1000000000}, {"1e12", json::parse("1e12")},
        {"string", "abc"}, {"null", nullptr}};
    for (const char* file : kConfigFiles) {
        const json base = diffii::readJsonFile((fs::path(dir) / file).string());
        std::vector<std::string> keys;
        for (auto it = base.begin(); it != base.end(); ++it) keys.push_back(it.key());
        for (const auto& k : extraKeys(file)) keys.push_back(k);
        const auto add = [&](const std::string& key, const std::string& what, const json& j) {
            cases.push_back({file, {key}, std::string(file) + " " + key + " = " + what, j.dump(2)});
        };
        for (const auto& key : keys) {
            for (const auto& [name, v] : values) {
                json j = base;
                j[key] = v;
                add(key, name, j);
            }
            if (base.contains(key)) {
                json j = base;
                j.erase(key);
                add(key, "missing", j);
            }
            json j = base;
            if (base.contains(key) && base[key].is_array() && !base[key].empty()) {
                j[key].push_back(base[key].back());
                add(key, "list one longer", j);
                for (const auto& [name, v] : values) {
                    if (name == "1e9" || name == "1e12") continue;
                    json e = base;
                    e[key][0] = v;
                    add(key, "[0] = " + name, e);
                }
            } else {
                j[key] = json::array();
                for (int i = 0; i < 5; ++i) j[key].push_back(base.contains(key) ? base[key] : json(1));
                add(key, "list of 5", j);
            }
        }
        const std::string text = base.dump(2);
        cases.push_back({file, {}, std::string(file) + ": empty file", ""});
        cases.push_back({file, {}, std::string(file) + ": not JSON", "this is { not json"});
        cases.push_back({file, {}, std::string(file) + ": truncated", text.substr(0, text.size() / 2)});
        cases.push_back({file, {}, std::string(file) + ": an array", "[1, 2, 3]"});
    }
    // Seeded random mutations of two or three keys of one file at once, with values drawn around the edges.
    std::mt19937 rng(seed);
    const auto pick = [&](size_t n) {
        return static_cast<size_t>(std::uniform_int_distribution<size_t>(0, n - 1)(rng));
    };
    for (int c = 0; c < 80; ++c) {
        const std::string file = kConfigFiles[pick(4)];  // the model and scheduler configs
        const json base = diffii::readJsonFile((fs::path(dir) / file).string());
        std::vector<std::string> keys;
        for (auto it = base.begin(); it != base.end(); ++it) keys.push_back(it.key());
        json j = base;
        Case k{file, {}, file + " random #" + std::to_string(c), ""};
        const size_t n = 2 + pick(2);
        for (size_t m = 0; m < n; ++m) {
            const auto& key = keys[pick(keys.size())];
            const int kind = static_cast<int>(pick(6));
            json v;
            if (kind == 0) v = static_cast<int64_t>(pick(2000000)) - 1000;
            if (kind == 1) v = std::ldexp(1.0, static_cast<int>(pick(120)) - 20);
            if (kind == 2) v = -static_cast<int64_t>(pick(100));
            if (kind == 3) v = static_cast<int64_t>(1 + pick(64));
            if (kind == 4) v = pick(2) == 0;
            if (kind == 5) v = json::array({static_cast<int64_t>(pick(300)), static_cast<int64_t>(pick(300))});
            j[key] = v;
            k.keys.push_back(key);
            k.label += " " + key + "=" + v.dump();
        }
        k.bytes = j.dump(2);
        cases.push_back(std::move(k));
    }
    return cases;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

class TestConfigValidation : public QObject {
    Q_OBJECT

private:
    std::string m_tmp;
    std::string m_dir;  // working copy of the tiny model

private slots:
    void initTestCase() {
        m_tmp = diffii::test::makeTempDir("config-validation");
        m_dir = workingCopy(emojiTiny(), m_tmp + "/model");
    }
    void cleanupTestCase() { fs::remove_all(m_tmp); }

    void baseModelLoads() {
        const auto report = diffii::inspectModelFolder(m_dir);
        QCOMPARE(report.components.size(), size_t(3));
        auto sd = diffii::StableDiffusion::load(m_dir);
        QCOMPARE(sd->nativeImageSize(), int64_t(64));
    }

    // The whole corpus through `diffii info --no-verify` and StableDiffusion::load.
    void mutatedConfigCorpus() {
        const uint32_t seed = 20261202;
        const auto corpus = buildCorpus(m_dir, seed);
        int configErrors = 0, weightErrors = 0, loads = 0;
        double slowest = 0;
        std::string slowestLabel;
        std::vector<std::string> failures;
        const auto start = std::chrono::steady_clock::now();
        for (const auto& c : corpus) {
            const fs::path path = fs::path(m_dir) / c.file;
            const std::string original = readBytes(path);
            writeBytes(path, c.bytes);
            const auto t0 = std::chrono::steady_clock::now();
            std::string error;
            bool clean = true;
            try {
                // `diffii info --no-verify` (configs, headers, tokenizer), then a full load: the modules are built
                // from the configs and the weights matched strictly (what `diffii info` checks, and more).
                (void)diffii::inspectModelFolder(m_dir, false);
                (void)diffii::StableDiffusion::load(m_dir);
            } catch (const diffii::Error& e) {
                error = e.what();
            } catch (const std::exception& e) {
                clean = false;
                error = e.what();
            }
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            writeBytes(path, original);
            if (seconds > slowest) {
                slowest = seconds;
                slowestLabel = c.label;
            }
            std::string problem;
            if (!clean)
                problem = "not a diffii::Error: " + error;
            else if (seconds > 5.0)
                problem = "took " + std::to_string(seconds) + " s";
            if (error.empty()) {
                if (problem.empty()) ++loads;
            } else if (problem.empty()) {
                bool namesKey = c.keys.empty();
                for (const auto& k : c.keys) namesKey = namesKey || contains(error, "'" + k);
                // A valid config the weights do not match: the strict matching names the weights file.
                const bool weights = contains(error, ".safetensors");
                if (contains(error, "frame #") || contains(error, "Exception raised from"))
                    problem = "stack frames in: " + error;
                else if (!contains(error, path.string()))
                    problem = "the message does not name the file: " + error;
                else if (!namesKey && !weights)
                    problem = "the message names neither the key nor the weights: " + error;
                else
                    ++(namesKey ? configErrors : weightErrors);
            }
            if (!problem.empty()) failures.push_back(c.label + ": " + problem);
        }
        const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf(
            "config corpus (seed %u): %zu cases in %.1f s: %d config errors naming file and key, %d weight "
            "mismatches naming the weights, %d correct loads; slowest %.2f s (%s)\n",
            seed, corpus.size(), total, configErrors, weightErrors, loads, slowest, slowestLabel.c_str());
        std::string report;
        for (size_t i = 0; i < failures.size() && i < 30; ++i) report += "\n  " + failures[i];
        QVERIFY2(failures.empty(), (std::to_string(failures.size()) + " failing cases:" + report).c_str());
        QVERIFY(corpus.size() >= 500);
        QVERIFY(configErrors > weightErrors);
    }

    // The reported cases, exactly: each refused with the file and key, before anything is allocated.
    void reportedCases() {
        const auto mutate = [&](const std::string& file, const std::string& key, const json& v) {
            auto j = diffii::readJsonFile(emojiTiny() + "/" + file);
            if (v.is_discarded())
                j.erase(key);
            else
                j[key] = v;
            const fs::path path = fs::path(m_dir) / file;
            const auto original = readBytes(path);
            writeBytes(path, j.dump(2));
            const auto msg = diffii::test::errorOf([&] { diffii::inspectModelFolder(m_dir); });
            writeBytes(path, original);
            return msg;
        };
        const std::string unet = m_dir + "/unet/config.json", vae = m_dir + "/vae/config.json";
        QCOMPARE(mutate("unet/config.json", "norm_num_groups", 0),
                 unet + ": key 'norm_num_groups': must be >= 1, got 0");
        QCOMPARE(mutate("vae/config.json", "norm_num_groups", 0), vae + ": key 'norm_num_groups': must be >= 1, got 0");
        QCOMPARE(mutate("unet/config.json", "transformer_layers_per_block", 1000000),
                 unet + ": key 'transformer_layers_per_block': must be <= 16, got 1000000");
        QCOMPARE(mutate("unet/config.json", "layers_per_block", 1000000),
                 unet + ": key 'layers_per_block': must be <= 16, got 1000000");
        QCOMPARE(mutate("text_encoder/config.json", "num_hidden_layers", 1000000),
                 m_dir + "/text_encoder/config.json: key 'num_hidden_layers': must be <= 64, got 1000000");
        QVERIFY(contains(mutate("unet/config.json", "block_out_channels", json(json::value_t::discarded)),
                         unet + ": required key 'block_out_channels' is missing"));
        for (const json& v : {json(-1), json(0), json::parse("1e9")})
            QVERIFY(contains(mutate("unet/config.json", "sample_size", v), unet + ": key 'sample_size': must be"));
        QCOMPARE(
            mutate("scheduler/scheduler_config.json", "num_train_timesteps", json::parse("1e12")),
            m_dir +
                "/scheduler/scheduler_config.json: key 'num_train_timesteps': must be <= 100000, got 1000000000000");
        // Consistent with each other: the UNet's cross-attention width is the text encoder's.
        QVERIFY(contains(mutate("unet/config.json", "cross_attention_dim", 64), unet + ": key 'cross_attention_dim'"));
    }

    // `diffii info` prints these errors in one line with exit code 1: no signal, no LibTorch stack frames.
    void cliInfoRefusesCleanly() {
        const struct {
            const char* file;
            const char* key;
            json value;
        } cases[] = {{"unet/config.json", "norm_num_groups", 0},
                     {"vae/config.json", "norm_num_groups", 0},
                     {"unet/config.json", "transformer_layers_per_block", 1000000},
                     {"text_encoder/config.json", "num_hidden_layers", 1000000},
                     {"scheduler/scheduler_config.json", "num_train_timesteps", json::parse("1e12")}};
        for (const auto& c : cases) {
            auto j = diffii::readJsonFile(emojiTiny() + "/" + c.file);
            j[c.key] = c.value;
            const fs::path path = fs::path(m_dir) / c.file;
            const auto original = readBytes(path);
            writeBytes(path, j.dump(2));
            const auto r = diffii::test::runDiffii({"info", QString::fromStdString(m_dir)}, nullptr, 60000);
            writeBytes(path, original);
            const std::string err = r.err.toStdString();
            QVERIFY2(r.code == 1, (std::string(c.key) + ": exit " + std::to_string(r.code) + ": " + err).c_str());
            QVERIFY2(contains(err, path.string() + ": key '" + c.key + "'"), err.c_str());
            QVERIFY2(!contains(err, "frame #") && !contains(err, "Exception raised from"), err.c_str());
        }
    }

    // The estimates made from the configs alone equal the real parameter counts: of the modules built from the tiny
    // models' configs and of their weight files, and of full-size SD 1.5 and SD 2.1 as their manifests state.
    void parameterEstimateIsExact() {
        std::vector<std::string> tiny{emojiTiny()};
        if (diffii::test::fixturesPresent()) tiny.push_back(diffii::test::fixture("tiny-sd1"));
        for (const auto& dir : tiny) {
            const auto report = diffii::inspectModelFolder(dir);
            for (const auto& c : report.components) {
                int64_t estimate = 0, built = 0;
                if (c.name == "unet") {
                    const auto cfg = diffii::UNet2DConditionConfig::fromFile(c.configPath);
                    estimate = cfg.parameterCount();
                    built = diffii::parameterCount(*diffii::UNet2DConditionModel(cfg));
                } else if (c.name == "vae") {
                    const auto cfg = diffii::AutoencoderKLConfig::fromFile(c.configPath);
                    estimate = cfg.parameterCount();
                    built = diffii::parameterCount(*diffii::AutoencoderKL(cfg));
                } else {
                    const auto cfg = diffii::ClipTextConfig::fromFile(c.configPath);
                    estimate = cfg.parameterCount();
                    built = diffii::parameterCount(*diffii::ClipTextModel(cfg));
                }
                QVERIFY2(estimate == built,
                         (c.configPath + ": estimate " + std::to_string(estimate) + ", built " + std::to_string(built))
                             .c_str());
                QCOMPARE(estimate, c.parameterCount);  // the weight headers
            }
        }
        if (!diffii::test::fixturesPresent()) QSKIP("full-size manifests: reference fixtures not found");
        const auto summary = diffii::readJsonFile(diffii::test::fixture("manifests/summary.json"));
        for (const auto& [model, entry] : summary["models"].items()) {
            const std::string dir = diffii::test::fixture("manifests/" + model);
            const int64_t unet = diffii::UNet2DConditionConfig::fromFile(dir + "/unet/config.json").parameterCount();
            const int64_t vae = diffii::AutoencoderKLConfig::fromFile(dir + "/vae/config.json").parameterCount();
            const int64_t te = diffii::ClipTextConfig::fromFile(dir + "/text_encoder/config.json").parameterCount();
            QCOMPARE(unet, entry["unet"]["total_parameters"].get<int64_t>());
            QCOMPARE(vae, entry["vae"]["total_parameters"].get<int64_t>());
            QCOMPARE(te, entry["text_encoder"]["total_parameters"].get<int64_t>());
            std::printf("%s: estimated parameters unet %s, vae %s, text encoder %s (as the manifest)\n", model.c_str(),
                        diffii::groupedCount(unet).c_str(), diffii::groupedCount(vae).c_str(),
                        diffii::groupedCount(te).c_str());
        }
    }

    // What LibTorch or the standard library throws while a model is built or loaded becomes a diffii::Error naming
    // the file, without LibTorch's stack frames.
    void libTorchErrorsNameTheFile() {
        const std::string file = "model/unet/config.json";
        const auto msg = diffii::test::errorOf([&] {
            diffii::withFileContext(file, "building the UNet", [] { (void)torch::zeros({6}).view({4, -1}); });
        });
        QVERIFY2(contains(msg, file + ": building the UNet failed: "), msg.c_str());
        QVERIFY2(contains(msg, "shape '[4, -1]' is invalid"), msg.c_str());
        QVERIFY2(!contains(msg, "Exception raised from") && !contains(msg, "frame #"), msg.c_str());
        const auto oom = diffii::test::errorOf(
            [&] { diffii::withFileContext(file, "building the UNet", [] { throw std::bad_alloc(); }); });
        QCOMPARE(oom, file + ": building the UNet failed: out of memory");
        const auto passed = diffii::test::errorOf(
            [&] { diffii::withFileContext(file, "x", [] { throw diffii::Error("a.json: key 'k': bad"); }); });
        QCOMPARE(passed, std::string("a.json: key 'k': bad"));
    }

    // Above the limit (4 B parameters, or more float32 bytes than the machine has) a config is refused with the
    // estimate, before anything is allocated.
    void refusesAboveParameterBudget() {
        auto j = diffii::readJsonFile(emojiTiny() + "/unet/config.json");
        j["block_out_channels"] = {8192, 8192, 8192};
        j["attention_head_dim"] = 8;
        j["norm_num_groups"] = 32;
        j["layers_per_block"] = 16;
        j["transformer_layers_per_block"] = 16;
        const auto t0 = std::chrono::steady_clock::now();
        const auto msg =
            diffii::test::errorOf([&] { diffii::UNet2DConditionConfig::fromJson(j, "big/unet/config.json"); });
        QVERIFY(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
        QVERIFY2(contains(msg, "big/unet/config.json: the UNet this config describes would have an estimated "),
                 msg.c_str());
        QVERIFY2(contains(msg, "more than the limit of 4,000,000,000 parameters"), msg.c_str());
        QVERIFY2(contains(msg, "block_out_channels"), msg.c_str());

        auto t = diffii::readJsonFile(emojiTiny() + "/text_encoder/config.json");
        t["vocab_size"] = 1000000;
        t["hidden_size"] = 16384;
        t["num_attention_heads"] = 16;
        const auto msg2 = diffii::test::errorOf([&] { diffii::ClipTextConfig::fromJson(t, "te.json"); });
        QVERIFY2(contains(msg2, "te.json: the text encoder this config describes would have an estimated"),
                 msg2.c_str());
    }
};

DIFFII_TEST_MAIN(TestConfigValidation, Core)
}  // namespace DIFFII_UNIT
#include "test_config_validation.moc"
