// Textual-inversion embeddings people share (core/diffii/textual_inversion.h): kohya emb_params, A1111
// string_to_param.* and diffusers {token: vector} files written here at test time for the tiny fixture text encoder
// (hidden size 32); several vectors per token expanding in prompts; the import as a project's class concept
// (ProjectSession::importConcept, `diffii concepts import`); `diffii pair --embedding`; the bad-input errors; and
// kohya-named LoRA keys on the tiny fixture model (the LoRA side of the same interoperability).
#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/diffii/textual_inversion.h"
#include "core/engine/session.h"
#include "core/io/error.h"
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

namespace fs = std::filesystem;
using diffii::test::errorOf;
using diffii::test::fixture;

constexpr int64_t kHidden = 32;  // tiny-sd1 text_encoder hidden_size

// Seeded vectors [n, kHidden], distinct per seed.
torch::Tensor vectors(int64_t n, uint64_t seed) {
    auto gen = at::detail::createCPUGenerator(seed);
    return torch::randn({n, kHidden}, gen, torch::kFloat32);
}

// The text encoder's input embeddings (token embedding rows) of a prompt: [77, C].
torch::Tensor inputEmbeddings(diffii::StableDiffusion& sd, const std::vector<int64_t>& ids) {
    torch::NoGradGuard g;
    return sd.textEncoder()->textModel->embeddings->tokenEmbedding->forward(torch::tensor(ids, torch::kLong));
}

class TestEmbeddings : public QObject {
    Q_OBJECT

private:
    std::string m_dir;
    std::string m_kohya, m_a1111, m_diffusers, m_diffusersMulti;
    torch::Tensor m_kohyaVectors, m_a1111Vectors, m_catVectors;

    std::string write(const std::string& name, const std::map<std::string, torch::Tensor>& tensors) {
        const std::string path = m_dir + "/" + name;
        diffii::saveSafetensors(path, tensors);
        return path;
    }

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_dir = diffii::test::makeTempDir("embeddings");
        m_kohyaVectors = vectors(3, 1);
        m_a1111Vectors = vectors(2, 2);
        m_catVectors = vectors(1, 3)[0];
        // kohya: the name is the file's stem (A1111's rule).
        m_kohya = write("kohyaStyle.safetensors", {{"emb_params", m_kohyaVectors}});
        // A1111: string_to_param.* with its string_to_token.* companion (ignored), in F16 as many are shared.
        m_a1111 = write("a1111Style.safetensors", {{"string_to_param.*", m_a1111Vectors.to(torch::kHalf)},
                                                   {"string_to_token.*", torch::tensor({265}, torch::kLong)}});
        // diffusers learned_embeds: {token: [C]}; and two tokens in one file, one of two vectors.
        m_diffusers = write("learned_embeds.safetensors", {{"<cat-toy>", m_catVectors}});
        m_diffusersMulti = write("multi.safetensors", {{"<one>", vectors(1, 4)[0]}, {"<two>", vectors(2, 5)}});
    }
    void cleanupTestCase() { fs::remove_all(m_dir); }

    void readsEveryLayout() {
        const auto kohya = diffii::loadTextualInversionFile(m_kohya, kHidden);
        QCOMPARE(kohya.size(), size_t(1));
        QCOMPARE(kohya[0].token, std::string("kohyaStyle"));
        QCOMPARE(kohya[0].layout, std::string("kohya"));
        QCOMPARE(kohya[0].key, std::string("emb_params"));
        QVERIFY(torch::equal(kohya[0].vectors, m_kohyaVectors));

        const auto a1111 = diffii::loadTextualInversionFile(m_a1111, kHidden);
        QCOMPARE(a1111.size(), size_t(1));
        QCOMPARE(a1111[0].token, std::string("a1111Style"));
        QCOMPARE(a1111[0].layout, std::string("a1111"));
        QCOMPARE(a1111[0].vectors.scalar_type(), torch::kFloat32);
        QVERIFY(torch::equal(a1111[0].vectors, m_a1111Vectors.to(torch::kHalf).to(torch::kFloat32)));

        const auto cat = diffii::loadTextualInversionFile(m_diffusers, kHidden);
        QCOMPARE(cat.size(), size_t(1));
        QCOMPARE(cat[0].token, std::string("<cat-toy>"));
        QCOMPARE(cat[0].layout, std::string("diffusers"));
        QCOMPARE(cat[0].vectors.sizes(), (c10::IntArrayRef{1, kHidden}));
        QVERIFY(torch::equal(cat[0].vectors[0], m_catVectors));

        const auto multi = diffii::loadTextualInversionFile(m_diffusersMulti, kHidden);
        QCOMPARE(multi.size(), size_t(2));
        QCOMPARE(multi[0].token, std::string("<one>"));
        QCOMPARE(multi[1].token, std::string("<two>"));
        QCOMPARE(multi[1].vectors.size(0), int64_t(2));

        // A name given on the command line (FILE:TOKEN) replaces the file's own.
        QCOMPARE(diffii::loadTextualInversionFile(m_kohya, kHidden, "<mine>")[0].token, std::string("<mine>"));
        QCOMPARE(diffii::loadTextualInversionFile(m_diffusers, kHidden, "<kitty>")[0].token, std::string("<kitty>"));
        QCOMPARE(diffii::splitEmbeddingArgument(m_kohya + ":<mine>"),
                 (std::pair<std::string, std::string>{m_kohya, "<mine>"}));
        QCOMPARE(diffii::splitEmbeddingArgument(m_kohya), (std::pair<std::string, std::string>{m_kohya, ""}));
    }

    // The prompt's word stands for all n vectors: the text encoder's input embeddings at those positions are the
    // file's vectors, in order, and the conditioning differs from the plain prompt's.
    void promptUsesTheVectors() {
        auto sd = diffii::StableDiffusion::load(fixture("tiny-sd1"));
        const auto added = diffii::loadTextualInversion(m_kohya, sd->tokenizer(), *sd->textEncoder());
        QCOMPARE(added, (std::vector<std::string>{"kohyaStyle", "kohyaStyle_1", "kohyaStyle_2"}));
        QCOMPARE(diffii::loadTextualInversion(m_a1111, sd->tokenizer(), *sd->textEncoder()).size(), size_t(2));
        QCOMPARE(diffii::loadTextualInversion(m_diffusers, sd->tokenizer(), *sd->textEncoder()).size(), size_t(1));

        auto& tok = sd->tokenizer();
        QCOMPARE(tok.tokenize("a kohyaStyle bird"),
                 (std::vector<std::string>{"a</w>", "kohyaStyle", "kohyaStyle_1", "kohyaStyle_2", "bird</w>"}));
        const auto ids = tok.encodePadded("a photo of a kohyaStyle bird, <cat-toy> and a1111Style");
        const auto emb = inputEmbeddings(*sd, ids);
        auto positionOf = [&](const std::string& token) {
            const auto it = std::find(ids.begin(), ids.end(), tok.tokenId(token));
            return it == ids.end() ? int64_t(-1) : static_cast<int64_t>(it - ids.begin());
        };
        const int64_t k = positionOf("kohyaStyle");
        QCOMPARE(k, int64_t(5));  // BOS a photo of a
        for (int64_t i = 0; i < 3; ++i) QVERIFY(torch::equal(emb[k + i], m_kohyaVectors[i]));
        QVERIFY(torch::equal(emb[positionOf("<cat-toy>")], m_catVectors));
        const int64_t a = positionOf("a1111Style");
        QVERIFY(a > 0);
        QCOMPARE(positionOf("a1111Style_1"), a + 1);
        for (int64_t i = 0; i < 2; ++i)
            QVERIFY(torch::equal(emb[a + i], m_a1111Vectors[i].to(torch::kHalf).to(torch::kFloat32)));

        const auto plain = sd->encodePrompt("a photo of a bird");
        const auto styled = sd->encodePrompt("a photo of a kohyaStyle bird");
        QVERIFY(diffii::test::maxAbsDiff(plain, styled) > 1e-3);
        // Loading the same token again is refused: its rows would silently change.
        const auto msg = errorOf([&] { diffii::loadTextualInversion(m_kohya, tok, *sd->textEncoder()); });
        QVERIFY2(msg.find("kohyaStyle") != std::string::npos && msg.find("already in use") != std::string::npos,
                 msg.c_str());
    }

    void badInputErrors() {
        using diffii::test::expectError;
        auto load = [&](const std::string& path, const std::string& token = "") {
            return [path, token] { diffii::loadTextualInversionFile(path, kHidden, token); };
        };
        // A vector size that is not the text encoder's hidden size: both named, with the file and the key.
        const auto wide = write("sd2.safetensors", {{"emb_params", torch::zeros({2, 64})}});
        expectError(load(wide), {wide, "'emb_params'", "64", "hidden size is 32"});
        // No known layout (a LoRA given as an embedding): the keys found are listed.
        const auto lora = write("lora.safetensors", {{"lora_unet_mid.lora_down.weight", torch::zeros({4, kHidden})},
                                                     {"lora_unet_mid.alpha", torch::tensor(4.0)}});
        expectError(load(lora), {lora, "known layout", "keys found", "'lora_unet_mid.alpha' []",
                                 "'lora_unet_mid.lora_down.weight' [4, 32]"});
        // Non-finite values.
        auto bad = vectors(2, 9);
        bad[1][3] = std::nan("");
        const auto nan = write("nan.safetensors", {{"string_to_param.*", bad}});
        expectError(load(nan), {nan, "'string_to_param.*'", "non-finite", "1 NaN"});
        // SDXL, pickles, no vectors, integer vectors, several A1111 keys, a name for a file of several tokens.
        const auto sdxl =
            write("xl.safetensors", {{"clip_l", torch::zeros({1, 768})}, {"clip_g", torch::zeros({1, 1280})}});
        expectError(load(sdxl), {sdxl, "SDXL"});
        const auto pt = m_dir + "/old.pt";
        std::ofstream(pt) << "PK";
        expectError(load(pt), {pt, "pickled"});
        const auto empty = write("empty.safetensors", {{"emb_params", torch::zeros({0, kHidden})}});
        expectError(load(empty), {empty, "no vectors"});
        const auto ints = write("ints.safetensors", {{"<x>", torch::zeros({kHidden}, torch::kLong)}});
        expectError(load(ints), {ints, "'<x>'", "dtype"});
        const auto two =
            write("two.safetensors", {{"string_to_param.*", vectors(1, 1)}, {"string_to_param.b", vectors(1, 2)}});
        expectError(load(two), {two, "2 'string_to_param.*' keys"});
        expectError(load(m_diffusersMulti, "<x>"), {m_diffusersMulti, "holds 2 tokens"});

        // A word of the model's vocabulary is refused: its row is shared by every prompt that uses the word.
        auto sd = diffii::StableDiffusion::load(fixture("tiny-sd1"));
        const auto word = sd->tokenizer().tokenize("bird").front();  // "bird</w>"
        const auto rowBefore = sd->textEncoder()->tokenEmbeddingWeight()[sd->tokenizer().tokenId(word)].clone();
        expectError([&] { diffii::loadTextualInversion(m_kohya, sd->tokenizer(), *sd->textEncoder(), word); },
                    {m_kohya, word, "vocabulary"});
        QVERIFY(torch::equal(sd->textEncoder()->tokenEmbeddingWeight()[sd->tokenizer().tokenId(word)], rowBefore));
        // The word as a prompt has it ("tonight" is "tonight</w>" and no entry of its own): accepted before, it took
        // the word's place in every prompt.
        QVERIFY(!sd->tokenizer().hasToken("tonight") && sd->tokenizer().hasToken("tonight</w>"));
        expectError([&] { diffii::loadTextualInversion(m_kohya, sd->tokenizer(), *sd->textEncoder(), "tonight"); },
                    {m_kohya, "tonight", "vocabulary"});
        expectError([&] { diffii::loadTextualInversion(m_kohya, sd->tokenizer(), *sd->textEncoder(), "Tonight"); },
                    {m_kohya, "Tonight", "vocabulary"});
        // Checked against the model as well: loadTextualInversion passes the hidden size.
        expectError([&] { diffii::loadTextualInversion(wide, sd->tokenizer(), *sd->textEncoder()); },
                    {wide, "64", "32"});
    }

    // An embedding imported as a class's concept: the class prompt uses it, its conditioning changes, the other
    // class keeps its prompt, a reopened project has it, and removing it restores the plain prompt.
    void importIntoProject() {
        const std::string data = m_dir + "/data";
        for (const char* cls : {"finch", "dodo"}) {
            fs::create_directories(data + "/" + cls);
            fs::copy_file(fixture("tiny-sd1-diffii/input_0.png"), data + "/" + cls + "/a.png");
            fs::copy_file(fixture("tiny-sd1-diffii/input_1.png"), data + "/" + cls + "/b.png");
        }
        diffii::ProjectConfig config;
        config.name = "emb";
        config.datasetPath = data;
        config.modelPath = fixture("tiny-sd1");
        config.metaclass = "bird";
        const std::string project = m_dir + "/project";
        diffii::createProjectFolder(project, config);

        auto session = diffii::ProjectSession::open(project);
        QCOMPARE(session->classPrompt("finch"), std::string("a photo of a finch bird"));
        QVERIFY(session->conceptsHash().empty());
        const auto before = session->model().encodePrompt(session->classPrompt("finch"));

        const auto c = session->importConcept("finch", m_kohya, "<finch-style>");
        QCOMPARE(c.token, std::string("<finch-style>"));
        QCOMPARE(c.vectors, int64_t(3));
        QCOMPARE(c.layout, std::string("kohya"));
        QVERIFY(fs::exists(fs::path(project) / "concepts" / c.file));
        QVERIFY(fs::exists(fs::path(project) / "concepts" / "imported.json"));
        QCOMPARE(session->classPrompt("finch"), std::string("a photo of a <finch-style> bird"));
        QCOMPARE(session->classTokens("finch"), std::vector<std::string>{"<finch-style>"});
        QCOMPARE(session->classPrompt("dodo"), std::string("a photo of a dodo bird"));
        const std::string hash = session->conceptsHash();
        QVERIFY(!hash.empty());
        auto& sd = session->model();
        const auto ids = sd.tokenizer().encodePadded(session->classPrompt("finch"));
        const auto emb = inputEmbeddings(sd, ids);
        for (int64_t i = 0; i < 3; ++i) QVERIFY(torch::equal(emb[5 + i], m_kohyaVectors[i]));
        const auto after = sd.encodePrompt(session->classPrompt("finch"));
        QVERIFY(diffii::test::maxAbsDiff(before, after) > 1e-3);

        // Refused imports change nothing: an unknown class, a token another class's import holds.
        diffii::test::expectError([&] { session->importConcept("owl", m_kohya); }, {"'owl'", "finch", "dodo"});
        diffii::test::expectError([&] { session->importConcept("dodo", m_kohya, "<finch-style>"); },
                                  {m_kohya, "<finch-style>", "already in use"});
        diffii::test::expectError([&] { session->importConcept("dodo", m_diffusersMulti); },
                                  {m_diffusersMulti, "2 embeddings"});
        QCOMPARE(session->importedConcepts().size(), size_t(1));
        QCOMPARE(session->conceptsHash(), hash);

        // Reopened: the same prompt and conditioning.
        session.reset();
        session = diffii::ProjectSession::open(project);
        QCOMPARE(session->classPrompt("finch"), std::string("a photo of a <finch-style> bird"));
        QCOMPARE(session->conceptsHash(), hash);
        QVERIFY(torch::equal(session->model().encodePrompt(session->classPrompt("finch")), after));
        // Re-importing the class replaces its import (its own token may be reused).
        const auto again = session->importConcept("finch", m_a1111, "<finch-style>");
        QCOMPARE(again.vectors, int64_t(2));
        QVERIFY(session->conceptsHash() != hash);

        session->removeImportedConcept("finch");
        QCOMPARE(session->classPrompt("finch"), std::string("a photo of a finch bird"));
        QVERIFY(session->conceptsHash().empty());
        QVERIFY(!fs::exists(fs::path(project) / "concepts" / again.file));
        QVERIFY(torch::equal(session->model().encodePrompt(session->classPrompt("finch")), before));
    }

    // The CLI fronts: `diffii concepts import|list` and `diffii pair --embedding FILE:TOKEN`.
    void cli() {
        const std::string project = m_dir + "/project";  // made by importIntoProject
        QVERIFY(fs::exists(project + "/project.json"));
        auto r = diffii::test::runDiffii({"concepts", "import", QString::fromStdString(project), "--class", "dodo",
                                          QString::fromStdString(m_diffusers + ":<dodo-toy>")});
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        QVERIFY2(r.out.contains("imported <dodo-toy> (diffusers, 1 vector)"), qPrintable(r.out));
        r = diffii::test::runDiffii({"concepts", "list", QString::fromStdString(project)});
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        QVERIFY2(
            r.out.contains("dodo\ta photo of a <dodo-toy> bird\timported from " + QString::fromStdString(m_diffusers)),
            qPrintable(r.out));
        QVERIFY2(r.out.contains("finch\ta photo of a finch bird\tno concept"), qPrintable(r.out));
        const std::string wide = m_dir + "/sd2.safetensors";  // from badInputErrors
        r = diffii::test::runDiffii(
            {"concepts", "import", QString::fromStdString(project), "--class", "finch", QString::fromStdString(wide)});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("hidden size is 32"), qPrintable(r.err));

        const QString png = QString::fromStdString(m_dir + "/pair.png");
        const QStringList pair = {"pair",
                                  "--model",
                                  QString::fromStdString(fixture("tiny-sd1")),
                                  "--image",
                                  QString::fromStdString(fixture("tiny-sd1-diffii/input_0.png")),
                                  "--image",
                                  QString::fromStdString(fixture("tiny-sd1-diffii/input_1.png")),
                                  "--steps",
                                  "2",
                                  "--invert-steps",
                                  "2",
                                  "--seed",
                                  "1",
                                  "--out",
                                  png};
        r = diffii::test::runDiffii(pair + QStringList{"--embedding", QString::fromStdString(m_kohya + ":<s>"),
                                                       "--prompt", "a photo of a <s> bird"});
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        QVERIFY(fs::exists(png.toStdString()));
        r = diffii::test::runDiffii(pair + QStringList{"--embedding", QString::fromStdString(wide), "--prompt", "x"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QString::fromStdString(wide)) && r.err.contains("emb_params"), qPrintable(r.err));
    }

    // kohya-named LoRA keys (lora_unet_<path with _>.lora_down/lora_up/alpha) load onto the tiny fixture model's
    // UNet, every attention projection; a text-encoder key (lora_te_*) is refused as today. The same on the model
    // read from the single-file tiny-sd1 (original layout, with the folder's configs).
    void kohyaLoraOnTinyModel_data() {
        QTest::addColumn<bool>("singleFile");
        QTest::newRow("diffusers folder") << false;
        QTest::newRow("single file") << true;
    }
    void kohyaLoraOnTinyModel() {
        QFETCH(bool, singleFile);
        diffii::LoadSettings settings;
        settings.singleFile.modelConfig = fixture("tiny-sd1");
        auto sd = singleFile ? diffii::StableDiffusion::load(fixture("single-file/tiny-sd1.safetensors"), settings)
                             : diffii::StableDiffusion::load(fixture("tiny-sd1"));
        auto& unet = *sd->unet();
        const auto params = unet.named_parameters();
        std::map<std::string, torch::Tensor> tensors;
        const auto paths = diffii::unetAttentionProjectionPaths(unet);
        QVERIFY(!paths.empty());
        constexpr int64_t rank = 2;
        uint64_t seed = 10;
        for (const auto& p : paths) {
            const auto w = params[p + ".weight"];
            std::string key = "lora_unet_" + p;
            std::replace(key.begin(), key.end(), '.', '_');
            tensors[key + ".lora_down.weight"] = vectors(rank, seed++).narrow(1, 0, 1).expand({rank, w.size(1)}) * 0.1;
            tensors[key + ".lora_up.weight"] = torch::full({w.size(0), rank}, 0.05);
            tensors[key + ".alpha"] = torch::tensor(1.0);
        }
        const auto path = write("kohya_lora.safetensors", tensors);
        auto lora = diffii::UNetLoraImpl::load(path, unet);
        QCOMPARE(lora->format, std::string("kohya"));
        QCOMPARE(lora->layers().size(), paths.size());
        for (const auto& [module, layer] : lora->layers()) {
            std::string key = "lora_unet_" + module;
            std::replace(key.begin(), key.end(), '.', '_');
            QVERIFY(torch::equal(layer->down->weight, tensors[key + ".lora_down.weight"].contiguous()));
            QCOMPARE(layer->multiplier(), 0.5);  // alpha / rank
        }
        torch::NoGradGuard g;
        auto gen = at::detail::createCPUGenerator(3);
        const auto sample = torch::randn({1, 4, 8, 8}, gen);
        const auto t = torch::tensor({500}, torch::kLong);
        const auto ctx = sd->encodePrompt("a photo of a bird");
        const auto base = unet.forward(sample, t, ctx);
        lora->fuse(unet, 1.0);
        QVERIFY(diffii::test::maxAbsDiff(unet.forward(sample, t, ctx), base) > 1e-5);
        lora->unfuse(unet);
        QVERIFY(torch::equal(unet.forward(sample, t, ctx), base));

        tensors["lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight"] =
            torch::zeros({rank, kHidden});
        const auto withTe = write("kohya_lora_te.safetensors", tensors);
        diffii::test::expectError(
            [&] { diffii::UNetLoraImpl::load(withTe, unet); },
            {withTe, "lora_te_text_model_encoder_layers_0", "text-encoder LoRAs are not supported"});
    }
};

DIFFII_TEST_MAIN(TestEmbeddings, Core)
}  // namespace DIFFII_UNIT
#include "test_embeddings.moc"
