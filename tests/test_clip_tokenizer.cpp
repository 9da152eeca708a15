// CLIP tokenizer parity with transformers' slow CLIPTokenizer (with ftfy): the 30 cases of
// tokenizer_cases.json (tokens, ids, padded ids), the input_ids of text_encoder.safetensors, added tokens, the
// ftfy-style clean-up, and errors that name the file at fault.
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/models/clip_tokenizer.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ClipTokenizer;

namespace {

std::string tokenizerDir() { return diffii::test::fixture("tiny-sd1/tokenizer"); }

void writeFile(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary).write(content.data(), static_cast<std::streamsize>(content.size()));
}

template <typename T>
std::string join(const std::vector<T>& v) {
    std::ostringstream os;
    os << "[";
    for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
    os << "]";
    return os.str();
}

// Expects fromFolder(dir) to throw a diffii::Error whose message contains every fragment.
void expectFolderError(const std::string& dir, std::initializer_list<std::string> fragments) {
    try {
        ClipTokenizer::fromFolder(dir);
        QFAIL(("no error for " + dir).c_str());
    } catch (const diffii::Error& e) {
        const std::string msg = e.what();
        for (const std::string& frag : fragments)
            QVERIFY2(msg.find(frag) != std::string::npos, ("message lacks '" + frag + "': " + msg).c_str());
    }
}

// A tokenizer folder with a synthetic vocabulary: every byte symbol (with and without </w>) plus the specials.
void writeTinyTokenizer(const std::string& dir, const std::string& merges) {
    std::filesystem::create_directories(dir);
    nlohmann::json vocab = nlohmann::json::object();
    int id = 0;
    for (int b = 0; b < 256; ++b) {
        // Only printable ASCII is needed by the synthetic tests.
        if (b < '!' || b > '~') continue;
        vocab[std::string(1, static_cast<char>(b))] = id++;
        vocab[std::string(1, static_cast<char>(b)) + "</w>"] = id++;
    }
    vocab["lo"] = id++;
    vocab["low</w>"] = id++;
    vocab["<|startoftext|>"] = id++;
    vocab["<|endoftext|>"] = id++;
    writeFile(dir + "/vocab.json", vocab.dump());
    writeFile(dir + "/merges.txt", merges);
}

}  // namespace

class TestClipTokenizer : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<ClipTokenizer> m_tok;
    std::string m_dir;

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_tok = std::make_unique<ClipTokenizer>(ClipTokenizer::fromFolder(tokenizerDir()));
        m_dir = diffii::test::makeTempDir("clip-tokenizer");
    }
    void cleanupTestCase() { std::filesystem::remove_all(m_dir); }

    void loadsRealVocabulary() {
        // Sizes and special ids from the folder's vocab.json, special_tokens_map.json and tokenizer_config.json;
        // the encoding below is CLIP's BPE, the same in every SD 1.x/2.x folder.
        const auto vocab = diffii::readJsonFile(tokenizerDir() + "/vocab.json");
        const auto special = diffii::readJsonFile(tokenizerDir() + "/special_tokens_map.json");
        const auto config = diffii::readJsonFile(tokenizerDir() + "/tokenizer_config.json");
        auto idOf = [&](const char* key) {
            const auto& t = special.at(key);
            return vocab.at(t.is_string() ? t.get<std::string>() : t.at("content").get<std::string>()).get<int64_t>();
        };
        QCOMPARE(m_tok->size(), vocab.size());
        QCOMPARE(m_tok->bosId(), idOf("bos_token"));
        QCOMPARE(m_tok->eosId(), idOf("eos_token"));
        QCOMPARE(m_tok->padId(), idOf("pad_token"));
        QCOMPARE(m_tok->unkId(), idOf("unk_token"));
        QCOMPARE(m_tok->maxLength(), config.at("model_max_length").get<int>());
        QCOMPARE(m_tok->encode("a photo of a cat"), (std::vector<int64_t>{49406, 320, 1125, 539, 320, 2368, 49407}));
        QCOMPARE(m_tok->tokenId("cat</w>"), int64_t(2368));
    }

    void matchesTransformersCases() {
        const nlohmann::json doc = diffii::readJsonFile(diffii::test::fixture("tiny-sd1-io/tokenizer_cases.json"));
        ClipTokenizer tok = *m_tok;
        const std::string placeholder = doc.at("placeholder_token").get<std::string>();
        QCOMPARE(tok.addToken(placeholder), doc.at("placeholder_token_id").get<int64_t>());
        QCOMPARE(tok.size(), doc.at("len_tokenizer_after_add").get<size_t>());
        QCOMPARE(tok.bosId(), doc.at("bos_token_id").get<int64_t>());
        QCOMPARE(tok.eosId(), doc.at("eos_token_id").get<int64_t>());
        QCOMPARE(tok.padId(), doc.at("pad_token_id").get<int64_t>());
        QCOMPARE(tok.maxLength(), doc.at("model_max_length").get<int>());

        const auto& cases = doc.at("cases");
        QVERIFY(!cases.empty());
        int failures = 0;
        for (const auto& c : cases) {
            const std::string text = c.at("text").get<std::string>();
            const auto tokens = c.at("tokens").get<std::vector<std::string>>();
            const auto ids = c.at("ids").get<std::vector<int64_t>>();
            const auto padded = c.at("ids_max_length_77").get<std::vector<int64_t>>();
            const auto gotTokens = tok.tokenize(text);
            const auto gotIds = tok.encode(text);
            const auto gotPadded = tok.encodePadded(text, 77);
            if (gotTokens != tokens || gotIds != ids || gotPadded != padded) {
                ++failures;
                qWarning(
                    "case %s:\n  tokens   %s\n  expected %s\n  ids      %s\n  expected %s\n  padded   %s\n  expected "
                    "%s",
                    c.at("text").dump().c_str(), nlohmann::json(gotTokens).dump().c_str(),
                    nlohmann::json(tokens).dump().c_str(), join(gotIds).c_str(), join(ids).c_str(),
                    join(gotPadded).c_str(), join(padded).c_str());
            }
        }
        QVERIFY2(failures == 0, (std::to_string(failures) + " of 30 tokenizer cases differ (see warnings)").c_str());
    }

    void matchesTextEncoderInputIds() {
        diffii::SafeTensorsFile f(diffii::test::fixture("tiny-sd1-io/text_encoder.safetensors"));
        const auto prompts = nlohmann::json::parse(f.metadata().at("prompts")).get<std::vector<std::string>>();
        const at::Tensor ids = f.tensor("input_ids");
        QCOMPARE(ids.size(0), static_cast<int64_t>(prompts.size()));
        QCOMPARE(ids.size(1), int64_t(77));
        for (size_t i = 0; i < prompts.size(); ++i) {
            const auto expected = ids[static_cast<int64_t>(i)];
            const std::vector<int64_t> want(expected.data_ptr<int64_t>(), expected.data_ptr<int64_t>() + 77);
            const auto got = m_tok->encodePadded(prompts[i], 77);
            QVERIFY2(got == want, ("prompt '" + prompts[i] + "': " + join(got) + " != " + join(want)).c_str());
        }
        const at::Tensor unpadded = f.tensor("unpadded.input_ids");
        const std::vector<int64_t> want(unpadded.data_ptr<int64_t>(), unpadded.data_ptr<int64_t>() + unpadded.numel());
        QCOMPARE(m_tok->encode("a photo of a cat"), want);
    }

    void addedTokensAreNeverSplit() {
        ClipTokenizer tok = *m_tok;
        QVERIFY(!tok.hasToken("<bird-0>"));
        const int64_t id = tok.addToken("<bird-0>");
        QCOMPARE(id, int64_t(49408));
        QCOMPARE(tok.addToken("<bird-0>"), id);
        QCOMPARE(tok.size(), size_t(49409));
        QVERIFY(tok.hasToken("<bird-0>"));
        QCOMPARE(tok.tokenId("<bird-0>"), id);
        QCOMPARE(tok.tokenize("a <bird-0>bird"), (std::vector<std::string>{"a</w>", "<bird-0>", "bird</w>"}));
        QCOMPARE(tok.tokenize("<BIRD-0>"), (std::vector<std::string>{"<</w>", "bird</w>", "-</w>", "0</w>", "></w>"}));
        QCOMPARE(tok.encode("<bird-0>"), (std::vector<int64_t>{49406, 49408, 49407}));
        // Two placeholders; the longer one wins where both match.
        QCOMPARE(tok.addToken("<bird-10>"), int64_t(49409));
        QCOMPARE(tok.tokenize("<bird-10><bird-0>"), (std::vector<std::string>{"<bird-10>", "<bird-0>"}));
        // A token already in the vocabulary keeps its id.
        QCOMPARE(tok.addToken("cat</w>"), int64_t(2368));
        QCOMPARE(tok.size(), size_t(49410));
        // The original is untouched by the copy's additions.
        QVERIFY(!m_tok->hasToken("<bird-0>"));
        QCOMPARE(m_tok->size(), size_t(49408));
        // Typed special tokens are matched whole, also in capitals (through the pattern and BPE cache).
        QCOMPARE(tok.tokenize("<|STARTOFTEXT|>x"), (std::vector<std::string>{"<|startoftext|>", "x</w>"}));
    }

    void unknownTokenNamesIt() {
        try {
            m_tok->tokenId("<no-such-token>");
            QFAIL("no error for an unknown token");
        } catch (const diffii::Error& e) {
            QVERIFY2(std::string(e.what()).find("<no-such-token>") != std::string::npos, e.what());
        }
    }

    void paddingAndTruncation() {
        const auto ids = m_tok->encodePadded("a photo", 5);
        QCOMPARE(ids, (std::vector<int64_t>{49406, 320, 1125, 49407, 49407}));
        const auto cut = m_tok->encodePadded("one two three four", 4);
        QCOMPARE(cut.size(), size_t(4));
        QCOMPARE(cut.front(), int64_t(49406));
        QCOMPARE(cut.back(), int64_t(49407));
        QCOMPARE(m_tok->encodePadded("", 3), (std::vector<int64_t>{49406, 49407, 49407}));
        QVERIFY_THROWS_EXCEPTION(diffii::Error, m_tok->encodePadded("x", 1));
    }

    void cleansTextLikeFtfy() {
        using diffii::clipFixText;
        QCOMPARE(clipFixText("HTML &amp; entities &lt;3"), std::string("HTML & entities <3"));
        QCOMPARE(clipFixText("<b>&amp;</b>"), std::string("<b>&amp;</b>"));  // may be HTML: left alone
        QCOMPARE(clipFixText("P&EACUTE;REZ &eacute; &#x41;&#66; &#59; &bogus;"),
                 std::string("PÉREZ é AB &#59; &bogus;"));
        QCOMPARE(clipFixText("&amp;amp;"), std::string("&"));
        QCOMPARE(clipFixText("\xEF\xAC\x81sh \xEF\xBC\xA6\xEF\xBC\xB5\xE3\x80\x80x"), std::string("fish FU x"));
        QCOMPARE(clipFixText("\xE2\x80\x9Cquote\xE2\x80\x9D \xE2\x80\x98s\xE2\x80\x99"), std::string("\"quote\" 's'"));
        QCOMPARE(clipFixText("\x1B[31mred\x1B[0m\x01"), std::string("red"));
        QCOMPARE(clipFixText("\xC2\x93hi\xC2\x94"), std::string("\"hi\""));  // C1 controls read as Windows-1252
        QCOMPARE(clipFixText("e\xCC\x81"), std::string("\xC3\xA9"));         // NFC
        QCOMPARE(clipFixText("a\r\nb"), std::string("a\nb"));
        QCOMPARE(clipFixText("x<y\n&amp;"), std::string("x<y\n&amp;"));  // '<' switches entities off from there on
        QCOMPARE(clipFixText("&amp;\nx<y"), std::string("&\nx<y"));
        const auto pieces = diffii::clipPreTokenize("  Don'T  STOP\t3.14!? ");
        QCOMPARE(pieces, (std::vector<std::string>{"don", "'t", "stop", "3", ".", "1", "4", "!?"}));
    }

    void badFilesNameTheFile() {
        const std::string empty = m_dir + "/empty";
        std::filesystem::create_directories(empty);
        expectFolderError(empty, {empty + "/vocab.json"});

        const std::string corrupt = m_dir + "/corrupt-vocab";
        writeTinyTokenizer(corrupt, "#version: 0.2\nl o\n");
        writeFile(corrupt + "/vocab.json", "{\"a\": 1, \"b\": ");
        expectFolderError(corrupt, {corrupt + "/vocab.json"});

        const std::string badId = m_dir + "/bad-id";
        writeTinyTokenizer(badId, "#version: 0.2\nl o\n");
        writeFile(badId + "/vocab.json", "{\"a\": \"one\"}");
        expectFolderError(badId, {badId + "/vocab.json", "'a'"});

        const std::string noMerges = m_dir + "/no-merges";
        writeTinyTokenizer(noMerges, "");
        std::filesystem::remove(noMerges + "/merges.txt");
        expectFolderError(noMerges, {noMerges + "/merges.txt"});

        const std::string badMerges = m_dir + "/bad-merges";
        writeTinyTokenizer(badMerges, "#version: 0.2\nl o\nthis has three\n");
        expectFolderError(badMerges, {badMerges + "/merges.txt", "line 3"});

        const std::string emptyMerges = m_dir + "/empty-merges";
        writeTinyTokenizer(emptyMerges, "#version: 0.2\n");
        expectFolderError(emptyMerges, {emptyMerges + "/merges.txt"});

        const std::string noSpecial = m_dir + "/no-special";
        writeTinyTokenizer(noSpecial, "#version: 0.2\nl o\n");
        writeFile(noSpecial + "/special_tokens_map.json", R"({"pad_token": "<|pad|>"})");
        expectFolderError(noSpecial, {noSpecial + "/vocab.json", "<|pad|>"});

        const std::string badConfig = m_dir + "/bad-config";
        writeTinyTokenizer(badConfig, "#version: 0.2\nl o\n");
        writeFile(badConfig + "/tokenizer_config.json", "[1, 2");
        expectFolderError(badConfig, {badConfig + "/tokenizer_config.json"});

        const std::string badAdded = m_dir + "/bad-added";
        writeTinyTokenizer(badAdded, "#version: 0.2\nl o\n");
        writeFile(badAdded + "/added_tokens.json", R"({"<cat-0>": 5})");
        expectFolderError(badAdded, {badAdded + "/added_tokens.json", "<cat-0>"});
    }

    void syntheticVocabularyBpe() {
        const std::string dir = m_dir + "/tiny";
        writeTinyTokenizer(dir, "#version: 0.2\nl o\nlo w</w>\n");
        writeFile(dir + "/added_tokens.json", R"({"<cat-0>": 192})");
        ClipTokenizer tok = ClipTokenizer::fromFolder(dir);
        QCOMPARE(tok.size(), size_t(193));
        QCOMPARE(tok.tokenize("Low lo lol<cat-0>"),
                 (std::vector<std::string>{"low</w>", "l", "o</w>", "lo", "l</w>", "<cat-0>"}));
        QCOMPARE(tok.encode("low"), (std::vector<int64_t>{tok.bosId(), tok.tokenId("low</w>"), tok.eosId()}));
        QCOMPARE(tok.maxLength(), 77);
    }
};

DIFFII_TEST_MAIN(TestClipTokenizer, None)
}  // namespace DIFFII_UNIT
#include "test_clip_tokenizer.moc"
