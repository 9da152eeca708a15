// CLIP text encoder against the transformers 4.36 goldens of tiny-sd1-io/text_encoder.safetensors (float32 and
// bfloat16), the full-size SD 1.5 / SD 2.1 parameter manifests, the placeholder-token path of Diff-II, and the
// errors a bad checkpoint or bad input gives.
#include <QtTest/QtTest>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/models/clip_text_model.h"
#include "core/models/layers.h"
#include "core/models/state_dict.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ClipTextConfig;
using diffii::ClipTextModel;

namespace {

using diffii::test::expectError;

// Suggested bound for an independent float32 implementation; the measured difference is ~1e-6 (the reference's
// own float32-vs-float64 error is 1.1e-6 on outputs of max abs 3).
constexpr double kF32Tolerance = 1e-4;
// bfloat16 weights and activations (LayerNorm and softmax in float32), measured on CPU against the float32
// goldens: last_hidden_state 0.0365, pooler_output 0.0259, hidden_states.0/1/2 6.1e-4 / 0.0107 / 0.0214 max-abs-diff,
// for outputs of max abs ~3 (bf16 keeps 8 mantissa bits: a relative step of 2^-8 = 0.0039). Bound with margin:
constexpr double kBf16Tolerance = 0.1;

const char* kPositionIds = "text_model.embeddings.position_ids";

std::map<std::string, torch::Tensor> readAll(const std::string& path) {
    diffii::SafeTensorsFile f(path);
    std::map<std::string, torch::Tensor> out;
    for (const auto& key : f.keys()) out[key] = f.tensor(key);
    return out;
}

double measured(const torch::Tensor& a, const torch::Tensor& b, const std::string& what) {
    const double d = diffii::test::maxAbsDiff(a, b);
    if (std::getenv("DIFFII_PRINT_DIFFS")) std::fprintf(stderr, "  %s: max-abs-diff %.3g\n", what.c_str(), d);
    return d;
}

}  // namespace

class TestClipTextModel : public QObject {
    Q_OBJECT

private:
    std::string m_dir;  // tiny-sd1/text_encoder
    std::string m_tmp;
    ClipTextModel m_model{nullptr};
    std::unique_ptr<diffii::SafeTensorsFile> m_golden;

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_dir = diffii::test::fixture("tiny-sd1/text_encoder");
        m_tmp = diffii::test::makeTempDir("clip");
        m_model = diffii::loadClipTextModel(m_dir);  // strict: every key present, no extra key
        m_golden =
            std::make_unique<diffii::SafeTensorsFile>(diffii::test::fixture("tiny-sd1-io/text_encoder.safetensors"));
    }
    void cleanupTestCase() { std::filesystem::remove_all(m_tmp); }

    void readsConfig() {
        // Against config.json and the weights file (every tensor of it a parameter of the built model).
        const auto& c = m_model->config();
        const auto json = diffii::readJsonFile(m_dir + "/config.json");
        auto integer = [&](const char* key) { return json.at(key).get<int64_t>(); };
        QCOMPARE(c.vocabSize, integer("vocab_size"));
        QCOMPARE(c.hiddenSize, integer("hidden_size"));
        QCOMPARE(c.intermediateSize, integer("intermediate_size"));
        QCOMPARE(c.numHiddenLayers, integer("num_hidden_layers"));
        QCOMPARE(c.numAttentionHeads, integer("num_attention_heads"));
        QCOMPARE(c.maxPositionEmbeddings, integer("max_position_embeddings"));
        QCOMPARE(c.hiddenAct, json.at("hidden_act").get<std::string>());
        QCOMPARE(c.layerNormEps, json.at("layer_norm_eps").get<double>());
        QCOMPARE(c.bosTokenId, integer("bos_token_id"));
        QCOMPARE(c.eosTokenId, integer("eos_token_id"));
        QCOMPARE(c.padTokenId, integer("pad_token_id"));
        QCOMPARE(c.projectionDim, integer("projection_dim"));
        QCOMPARE(diffii::parameterCount(*m_model), diffii::test::safetensorsValueCount(m_dir + "/model.safetensors"));
        QVERIFY(m_model->buffers().empty());  // no position_ids buffer
    }

    void badConfigValues() {
        const std::string file = "/models/y/text_encoder/config.json";
        auto j = diffii::readJsonFile(m_dir + "/config.json");
        j["hidden_act"] = "gelu_new";
        expectError([&] { ClipTextConfig::fromJson(j, file); }, {file, "hidden_act", "gelu_new"});
        j["hidden_act"] = "gelu";
        QCOMPARE(ClipTextConfig::fromJson(j, file).hiddenAct, std::string("gelu"));
        j["num_attention_heads"] = 5;
        expectError([&] { ClipTextConfig::fromJson(j, file); }, {file, "num_attention_heads", "5", "32"});
        j["num_attention_heads"] = 4;
        j["hidden_size"] = "32";
        expectError([&] { ClipTextConfig::fromJson(j, file); }, {file, "hidden_size"});
        j["hidden_size"] = 0;
        expectError([&] { ClipTextConfig::fromJson(j, file); }, {file, "hidden_size", "0"});
        // A full CLIPModel config: the text part is read from text_config.
        const nlohmann::json full = {{"projection_dim", 768},
                                     {"text_config", {{"hidden_size", 64}, {"num_attention_heads", 2}}}};
        QCOMPARE(ClipTextConfig::fromJson(full, file).hiddenSize, int64_t(64));
    }

    void matchesGoldenFloat32() {
        torch::NoGradGuard noGrad;
        const auto ids = m_golden->tensor("input_ids");
        QCOMPARE(ids.sizes().vec(), (std::vector<int64_t>{6, 77}));
        const auto out = m_model->forward(ids);
        QCOMPARE(out.lastHiddenState.scalar_type(), torch::kFloat32);
        QCOMPARE(out.hiddenStates.size(), size_t(3));
        measured(out.lastHiddenState, m_golden->tensor("last_hidden_state"), "last_hidden_state");
        measured(out.pooled, m_golden->tensor("pooler_output"), "pooler_output");
        DIFFII_COMPARE_TENSORS(out.lastHiddenState, m_golden->tensor("last_hidden_state"), kF32Tolerance,
                               "last_hidden_state");
        DIFFII_COMPARE_TENSORS(out.pooled, m_golden->tensor("pooler_output"), kF32Tolerance, "pooler_output");
        for (int i = 0; i < 3; ++i) {
            const std::string key = "hidden_states." + std::to_string(i);
            measured(out.hiddenStates[i], m_golden->tensor(key), key);
            DIFFII_COMPARE_TENSORS(out.hiddenStates[i], m_golden->tensor(key), kF32Tolerance, key);
        }
        // The fast path computes the same thing.
        QVERIFY(torch::equal(m_model->encode(ids), out.lastHiddenState));
    }

    void matchesGoldenUnpadded() {
        torch::NoGradGuard noGrad;
        const auto ids = m_golden->tensor("unpadded.input_ids");
        QCOMPARE(ids.sizes().vec(), (std::vector<int64_t>{1, 7}));
        const auto last = m_model->encode(ids);
        measured(last, m_golden->tensor("unpadded.last_hidden_state"), "unpadded.last_hidden_state");
        DIFFII_COMPARE_TENSORS(last, m_golden->tensor("unpadded.last_hidden_state"), kF32Tolerance,
                               "unpadded.last_hidden_state");
        // Causal mask: the unpadded prompt equals the same first positions of the padded one.
        const auto padded = m_model->encode(m_golden->tensor("input_ids").slice(0, 0, 1));
        const int64_t length = m_golden->tensor("unpadded.input_ids").size(-1);
        DIFFII_COMPARE_TENSORS(last, padded.slice(1, 0, length), 1e-5, "unpadded vs padded prefix");
    }

    void legacyEosPooling() {
        // eos_token_id 2 (the real SD 1.5 / 2.1 configs) pools at argmax(input_ids): for CLIP ids that is the
        // first 49407, the same position as the eos_token_id rule, so the golden pooler_output still applies.
        torch::NoGradGuard noGrad;
        auto config = m_model->config();
        config.eosTokenId = 2;
        ClipTextModel legacy(config);
        diffii::loadStateDict(*legacy, {m_dir + "/model.safetensors"}, diffii::clipTextLoadOptions());
        const auto out = legacy->forward(m_golden->tensor("input_ids"));
        DIFFII_COMPARE_TENSORS(out.pooled, m_golden->tensor("pooler_output"), kF32Tolerance, "legacy pooler_output");
        // With an added token (id = the vocabulary size > EOS, as Diff-II's placeholder) the two rules differ: the
        // legacy rule pools at the placeholder, as transformers does for such configs.
        const auto& c = m_model->config();
        legacy->resizeTokenEmbeddings(c.vocabSize + 1);
        ClipTextModel modern = diffii::loadClipTextModel(m_dir);
        modern->resizeTokenEmbeddings(c.vocabSize + 1);
        const auto ids = torch::tensor({c.bosTokenId, c.vocabSize, c.eosTokenId, c.eosTokenId}).unsqueeze(0);
        const auto legacyOut = legacy->forward(ids);
        const auto modernOut = modern->forward(ids);
        QVERIFY(torch::equal(legacyOut.pooled[0], legacyOut.lastHiddenState[0][1]));
        QVERIFY(torch::equal(modernOut.pooled[0], modernOut.lastHiddenState[0][2]));
    }

    void matchesGoldenBfloat16() {
        DIFFII_REQUIRE_NATIVE_BF16();
        torch::NoGradGuard noGrad;
        ClipTextModel model = diffii::loadClipTextModel(m_dir);
        diffii::toComputeDtype(*model, torch::kBFloat16);
        QCOMPARE(model->tokenEmbeddingWeight().scalar_type(), torch::kBFloat16);
        QCOMPARE(model->textModel->finalLayerNorm->weight.scalar_type(), torch::kFloat32);
        const auto out = model->forward(m_golden->tensor("input_ids"));
        QCOMPARE(out.lastHiddenState.scalar_type(), torch::kBFloat16);
        measured(out.lastHiddenState, m_golden->tensor("last_hidden_state"), "bf16 last_hidden_state");
        measured(out.pooled, m_golden->tensor("pooler_output"), "bf16 pooler_output");
        DIFFII_COMPARE_TENSORS(out.lastHiddenState, m_golden->tensor("last_hidden_state"), kBf16Tolerance,
                               "bf16 last_hidden_state");
        DIFFII_COMPARE_TENSORS(out.pooled, m_golden->tensor("pooler_output"), kBf16Tolerance, "bf16 pooler_output");
        for (int i = 0; i < 3; ++i) {
            const std::string key = "hidden_states." + std::to_string(i);
            measured(out.hiddenStates[i], m_golden->tensor(key), "bf16 " + key);
            DIFFII_COMPARE_TENSORS(out.hiddenStates[i], m_golden->tensor(key), kBf16Tolerance, "bf16 " + key);
        }
    }

    void manifests_data() {
        QTest::addColumn<QString>("model");
        for (const auto& model : diffii::test::fixtureSubfolders("manifests", "model_index.json"))
            QTest::newRow(model.c_str()) << QString::fromStdString(model);
    }

    void manifests() {
        // The full-size model built from config.json has exactly the manifest's state_dict: names, shapes and
        // order. The manifests list no position_ids buffer (non-persistent in transformers 4.36): every entry is a
        // parameter, and this module has no buffers at all.
        QFETCH(QString, model);
        const std::string base = diffii::test::fixture("manifests/" + model.toStdString());
        const auto manifest = diffii::readJsonFile(base + "/text_encoder.manifest.json");
        const auto config = ClipTextConfig::fromFile(base + "/text_encoder/config.json");
        ClipTextModel clip(config);

        std::vector<std::pair<std::string, std::vector<int64_t>>> expected;
        for (const auto& e : manifest["tensors"]) {
            QCOMPARE(e["kind"].get<std::string>(), std::string("parameter"));
            expected.emplace_back(e["name"].get<std::string>(), e["shape"].get<std::vector<int64_t>>());
        }
        QVERIFY(std::none_of(expected.begin(), expected.end(), [](const auto& e) { return e.first == kPositionIds; }));
        QCOMPARE(int64_t(expected.size()), manifest["num_tensors"].get<int64_t>());
        const auto actual = diffii::stateDictShapes(*clip);
        QCOMPARE(actual.size(), expected.size());
        for (size_t i = 0; i < expected.size(); ++i) {
            QVERIFY2(
                actual[i] == expected[i],
                ("entry " + std::to_string(i) + ": " + actual[i].first + " vs manifest " + expected[i].first).c_str());
        }
        QCOMPARE(diffii::parameterCount(*clip), manifest["total_parameters"].get<int64_t>());
    }

    void wrongShapeNamesKeyAndShapes() {
        auto tensors = readAll(m_dir + "/model.safetensors");
        const std::string key = "text_model.encoder.layers.1.mlp.fc1.weight";
        tensors[key] = torch::zeros({37, 31});
        const std::string path = m_tmp + "/wrong_shape.safetensors";
        diffii::saveSafetensors(path, tensors);
        ClipTextModel model(m_model->config());
        expectError([&] { diffii::loadStateDict(*model, {path}, diffii::clipTextLoadOptions()); },
                    {path, key, "[37, 31]", "[37, 32]"});
    }

    void positionIdsBufferIsIgnored() {
        auto tensors = readAll(m_dir + "/model.safetensors");
        tensors[kPositionIds] = torch::arange(77, torch::kLong).unsqueeze(0);
        const std::string path = m_tmp + "/with_position_ids.safetensors";
        diffii::saveSafetensors(path, tensors);
        ClipTextModel model(m_model->config());
        const auto report = diffii::loadStateDict(*model, {path}, diffii::clipTextLoadOptions());
        QVERIFY(report.ok());
        torch::NoGradGuard noGrad;
        const auto ids = m_golden->tensor("input_ids");
        QVERIFY(torch::equal(model->encode(ids), m_model->encode(ids)));
        // Without the ignore predicate the strict loader names the extra key.
        ClipTextModel strict(m_model->config());
        expectError([&] { diffii::loadStateDict(*strict, {path}); }, {path, kPositionIds});
    }

    void placeholderTokenMatchesDiffIi() {
        // Diff-II adds its placeholder token after the vocabulary (diffii.json: its id and the rows after
        // resize_token_embeddings), then sets that row.
        const auto json = diffii::readJsonFile(diffii::test::fixture("tiny-sd1-diffii/diffii.json"));
        const auto id = json.at("placeholder_token_id").get<int64_t>();
        const auto rows = json.at("text_encoder_rows_after_resize").get<int64_t>();
        ClipTextModel model = diffii::loadClipTextModel(m_dir);
        const int64_t vocab = model->config().vocabSize, width = model->config().hiddenSize;
        QCOMPARE(id, vocab);
        const auto before = model->tokenEmbeddingWeight().clone();
        const auto weightRef = model->tokenEmbeddingWeight();
        model->resizeTokenEmbeddings(rows);
        QCOMPARE(model->config().vocabSize, rows);
        QCOMPARE(weightRef.size(0), rows);  // the same parameter, resized in place
        QCOMPARE(diffii::stateDictShapes(*model).front().second, (std::vector<int64_t>{rows, width}));
        QVERIFY(torch::equal(model->tokenEmbeddingWeight().slice(0, 0, vocab), before));

        diffii::SafeTensorsFile ref(diffii::test::fixture("tiny-sd1-diffii/diffii.safetensors"));
        {
            torch::NoGradGuard noGrad;
            model->tokenEmbeddingWeight()[id].copy_(ref.tensor("placeholder.embedding"));
        }
        torch::NoGradGuard noGrad;
        for (const char* which : {"cond", "cond_suffix", "uncond"}) {
            const auto ids = ref.tensor(std::string("input_ids.") + which);
            const auto expected = ref.tensor(std::string("text.") + which);
            measured(model->encode(ids), expected, std::string("diffii text.") + which);
            DIFFII_COMPARE_TENSORS(model->encode(ids), expected, kF32Tolerance, std::string("text.") + which);
        }
        QVERIFY((ref.tensor("input_ids.cond") == id).any().item<bool>());
    }

    void resizeInitialisation() {
        ClipTextModel model(m_model->config());
        auto gen1 = at::make_generator<at::CPUGeneratorImpl>(123);
        auto gen2 = at::make_generator<at::CPUGeneratorImpl>(123);
        ClipTextModel other(m_model->config());
        const int64_t vocab = m_model->config().vocabSize;
        model->resizeTokenEmbeddings(vocab + 1000, gen1);
        other->resizeTokenEmbeddings(vocab + 1000, gen2);
        const auto rows = model->tokenEmbeddingWeight().slice(0, vocab);
        QVERIFY(torch::equal(rows, other->tokenEmbeddingWeight().slice(0, vocab)));
        // transformers 4.36: torch's default nn.Embedding init, N(0, 1).
        QVERIFY(std::abs(rows.std().item<double>() - 1.0) < 0.03);
        QVERIFY(std::abs(rows.mean().item<double>()) < 0.03);
        // Shrinking keeps the leading rows.
        const auto head = model->tokenEmbeddingWeight().slice(0, 0, 100).clone();
        model->resizeTokenEmbeddings(100);
        QVERIFY(torch::equal(model->tokenEmbeddingWeight(), head));
        expectError([&] { model->resizeTokenEmbeddings(0); }, {"0"});
    }

    void badInput() {
        torch::NoGradGuard noGrad;
        expectError([&] { m_model->encode(torch::zeros({77}, torch::kLong)); }, {"[77]"});
        expectError([&] { m_model->encode(torch::zeros({1, 78}, torch::kLong)); }, {"78", "max_position_embeddings"});
        const int64_t vocab = m_model->config().vocabSize;
        expectError(
            [&] {
                m_model->encode(torch::full({1, 3}, vocab, torch::kLong));
            },
            {std::to_string(vocab), "vocabulary"});
        expectError([&] { m_model->encode(torch::full({1, 3}, -1, torch::kLong)); }, {"-1"});
        expectError([&] { m_model->encode(torch::zeros({1, 3}, torch::kFloat32)); }, {"integer"});
        // int32 ids are accepted.
        const auto ids = m_golden->tensor("input_ids");
        QVERIFY(torch::equal(m_model->encode(ids.to(torch::kInt)), m_model->encode(ids)));
    }
};

DIFFII_TEST_MAIN(TestClipTextModel, None)
}  // namespace DIFFII_UNIT
#include "test_clip_text_model.moc"
