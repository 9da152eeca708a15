// Learning a CLIP-format BPE vocabulary from captions: CLIP's vocabulary layout, a folder that ClipTokenizer loads,
// frequent words as single tokens, fallback for unseen words, agreement with a naive reference BPE, determinism,
// speed on ~20k captions, and errors.
#include <QtTest/QtTest>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/models/clip_bpe_trainer.h"
#include "core/models/clip_tokenizer.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::BpeTrainingSettings;
using diffii::ClipBpeVocabulary;
using diffii::ClipTokenizer;

namespace {

const std::vector<std::string> kAnimals = {"penguin", "bird",  "cat",   "dog",   "fox",    "owl",
                                           "turtle",  "whale", "horse", "tiger", "rabbit", "frog"};
const std::vector<std::string> kColours = {"red", "blue", "green", "yellow", "black", "white"};

// Small synthetic caption list: "a photo of a penguin, flat emoji" and variations.
std::vector<std::string> smallCaptions() {
    std::vector<std::string> captions;
    for (const std::string& animal : kAnimals) {
        captions.push_back("a photo of a " + animal + ", flat emoji");
        captions.push_back("A Photo of the " + animal + " - emoji style");
        captions.push_back("an emoji of a cute " + animal);
        for (const std::string& colour : kColours) captions.push_back("a " + colour + " " + animal + " emoji, flat");
    }
    captions.push_back("a photo of a café, 2 emojis");  // non-ASCII letters and a digit
    return captions;
}

// ~20k captions with several thousand distinct words: pseudo-words of consonant-vowel syllables (deterministic LCG).
std::vector<std::string> largeCaptions(size_t n) {
    const std::string consonants = "bcdfghjklmnprstvwz";
    const std::string vowels = "aeiou";
    uint64_t state = 12345;
    const auto next = [&](uint64_t mod) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (state >> 33) % mod;
    };
    std::vector<std::string> vocabulary;
    for (int i = 0; i < 8000; ++i) {
        std::string w;
        const uint64_t len = 1 + next(4);
        for (uint64_t s = 0; s < len; ++s) {
            w += consonants[next(consonants.size())];
            w += vowels[next(vowels.size())];
            if (next(3) == 0) w += consonants[next(consonants.size())];
        }
        vocabulary.push_back(w);
    }
    std::vector<std::string> captions;
    captions.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        std::string c = "a photo of a " + kColours[next(kColours.size())] + " " + kAnimals[next(kAnimals.size())];
        const uint64_t extra = 2 + next(6);
        for (uint64_t e = 0; e < extra; ++e) {
            // Zipf-like: small indices much more often.
            const uint64_t r = next(vocabulary.size());
            c += (e == 0 ? ", " : " ") + vocabulary[r * r / vocabulary.size()];
        }
        c += ", flat emoji";
        captions.push_back(std::move(c));
    }
    return captions;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string byteEncoded(const std::string& word) {
    static const std::vector<std::string> enc = diffii::clipBytesToUnicode();
    std::string out;
    for (unsigned char b : word) out += enc[b];
    return out;
}

std::string concat(const std::vector<std::string>& tokens) {
    std::string s;
    for (const std::string& t : tokens) s += t;
    return s;
}

std::string join(const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s + "]";
}

// Naive BPE as the definition: recount every pair of every word at each step, take the most frequent pair
// (ties: smallest (first, second)), skip pairs whose concatenation is already a token, merge left to right.
std::vector<std::pair<std::string, std::string>> naiveBpe(const std::vector<std::string>& texts, size_t maxMerges,
                                                          int64_t minFrequency) {
    std::map<std::string, int64_t> counts;
    for (const std::string& t : texts)
        for (const std::string& piece : diffii::clipPreTokenize(t)) ++counts[piece];
    std::vector<std::pair<std::vector<std::string>, int64_t>> words;
    std::set<std::string> tokens;
    const std::vector<std::string> enc = diffii::clipBytesToUnicode();
    for (const std::string& c : enc) {
        tokens.insert(c);
        tokens.insert(c + "</w>");
    }
    for (const auto& [piece, count] : counts) {
        std::vector<std::string> symbols;
        for (unsigned char b : piece) symbols.push_back(enc[b]);
        symbols.back() += "</w>";
        words.emplace_back(std::move(symbols), count);
    }
    std::vector<std::pair<std::string, std::string>> merges;
    std::set<std::pair<std::string, std::string>> banned;
    while (merges.size() < maxMerges) {
        std::map<std::pair<std::string, std::string>, int64_t> pairs;
        for (const auto& [symbols, count] : words)
            for (size_t i = 0; i + 1 < symbols.size(); ++i) pairs[{symbols[i], symbols[i + 1]}] += count;
        const std::pair<std::string, std::string>* best = nullptr;
        int64_t bestCount = 0;
        for (const auto& [pair, count] : pairs)  // std::map: ascending pairs, so '>' keeps the smallest on ties
            if (count > bestCount && !banned.count(pair)) {
                best = &pair;
                bestCount = count;
            }
        if (!best || bestCount < minFrequency) break;
        const auto pair = *best;
        if (tokens.count(pair.first + pair.second)) {
            banned.insert(pair);
            continue;
        }
        tokens.insert(pair.first + pair.second);
        merges.push_back(pair);
        for (auto& [symbols, count] : words) {
            std::vector<std::string> merged;
            for (size_t i = 0; i < symbols.size();) {
                if (i + 1 < symbols.size() && symbols[i] == pair.first && symbols[i + 1] == pair.second) {
                    merged.push_back(pair.first + pair.second);
                    i += 2;
                } else {
                    merged.push_back(symbols[i++]);
                }
            }
            symbols = std::move(merged);
        }
    }
    return merges;
}

}  // namespace

class TestClipBpeTrainer : public QObject {
    Q_OBJECT

private:
    std::string m_dir;
    ClipBpeVocabulary m_vocab;
    std::unique_ptr<ClipTokenizer> m_tok;
    const int m_vocabSize = 700;

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_dir = diffii::test::makeTempDir("clip-bpe-trainer");
        BpeTrainingSettings settings;
        settings.vocabSize = m_vocabSize;
        m_vocab = diffii::learnClipBpe(smallCaptions(), settings);
        diffii::saveClipTokenizerFolder(m_vocab, m_dir + "/tokenizer");
        m_tok = std::make_unique<ClipTokenizer>(ClipTokenizer::fromFolder(m_dir + "/tokenizer"));
    }

    void cleanupTestCase() { std::filesystem::remove_all(m_dir); }

    void vocabularyLayout() {
        const auto& tokens = m_vocab.tokens;
        QVERIFY(!m_vocab.merges.empty());
        QCOMPARE(tokens.size(), 514 + m_vocab.merges.size());
        QVERIFY(tokens.size() <= size_t(m_vocabSize));
        // bytes_to_unicode order: printable ASCII from '!' first, then Latin-1, then the remapped bytes.
        QCOMPARE(tokens[0], std::string("!"));
        QCOMPARE(tokens[93], std::string("~"));
        QCOMPARE(tokens[94], std::string("\u00a1"));
        QCOMPARE(tokens[188], std::string("\u0100"));
        QCOMPARE(tokens[255], std::string("\u0143"));
        const std::vector<std::string> enc = diffii::clipBytesToUnicode();
        QCOMPARE(std::set<std::string>(tokens.begin(), tokens.begin() + 256),
                 std::set<std::string>(enc.begin(), enc.end()));
        for (size_t i = 0; i < 256; ++i) QCOMPARE(tokens[256 + i], tokens[i] + "</w>");
        for (size_t i = 0; i < m_vocab.merges.size(); ++i)
            QCOMPARE(tokens[512 + i], m_vocab.merges[i].first + m_vocab.merges[i].second);
        QCOMPARE(tokens[tokens.size() - 2], std::string("<|startoftext|>"));
        QCOMPARE(tokens.back(), std::string("<|endoftext|>"));
        QCOMPARE(std::set<std::string>(tokens.begin(), tokens.end()).size(), tokens.size());

        // The same first 512 ids as OpenAI's vocabulary (the reference tokenizer fixture).
        const std::string reference = diffii::test::fixture("tiny-sd1/tokenizer/vocab.json");
        if (std::filesystem::exists(reference)) {
            const nlohmann::json ref = diffii::readJsonFile(reference);
            for (size_t i = 0; i < 512; ++i) QCOMPARE(ref.at(tokens[i]).get<int64_t>(), int64_t(i));
        }
    }

    void savedFolder() {
        const std::string dir = m_dir + "/tokenizer";
        const std::string merges = readFile(dir + "/merges.txt");
        QVERIFY(merges.rfind("#version: 0.2\n", 0) == 0);
        std::istringstream lines(merges);
        std::string line;
        std::getline(lines, line);
        for (const auto& [first, second] : m_vocab.merges) {
            QVERIFY(std::getline(lines, line));
            QCOMPARE(line, first + " " + second);
        }
        QVERIFY(!std::getline(lines, line));

        const nlohmann::json vocab = diffii::readJsonFile(dir + "/vocab.json");
        QCOMPARE(vocab.size(), m_vocab.tokens.size());
        for (size_t i = 0; i < m_vocab.tokens.size(); ++i)
            QCOMPARE(vocab.at(m_vocab.tokens[i]).get<int64_t>(), int64_t(i));

        const nlohmann::json config = diffii::readJsonFile(dir + "/tokenizer_config.json");
        QCOMPARE(config.at("tokenizer_class").get<std::string>(), std::string("CLIPTokenizer"));
        QCOMPARE(config.at("model_max_length").get<int>(), 77);
        QCOMPARE(config.at("do_lower_case").get<bool>(), true);
        QCOMPARE(config.at("bos_token").at("content").get<std::string>(), std::string("<|startoftext|>"));
        QCOMPARE(config.at("pad_token").get<std::string>(), std::string("<|endoftext|>"));
        const nlohmann::json specials = diffii::readJsonFile(dir + "/special_tokens_map.json");
        QCOMPARE(specials.at("eos_token").at("content").get<std::string>(), std::string("<|endoftext|>"));
        QCOMPARE(specials.at("unk_token").at("content").get<std::string>(), std::string("<|endoftext|>"));
        QCOMPARE(specials.at("pad_token").get<std::string>(), std::string("<|endoftext|>"));
        for (const auto& entry : std::filesystem::directory_iterator(dir))  // no temporary files left behind
            QVERIFY2(entry.path().string().find(".tmp.") == std::string::npos, entry.path().c_str());

        QCOMPARE(m_tok->size(), m_vocab.tokens.size());
        QCOMPARE(m_tok->bosId(), int64_t(m_vocab.tokens.size() - 2));
        QCOMPARE(m_tok->eosId(), int64_t(m_vocab.tokens.size() - 1));
        QCOMPARE(m_tok->padId(), m_tok->eosId());
        QCOMPARE(m_tok->maxLength(), 77);
        for (size_t i = 0; i < m_vocab.tokens.size(); ++i) QCOMPARE(m_tok->tokenId(m_vocab.tokens[i]), int64_t(i));
    }

    void frequentWordsAreSingleTokens() {
        QCOMPARE(m_tok->tokenize("a photo of a penguin, flat emoji"),
                 (std::vector<std::string>{"a</w>", "photo</w>", "of</w>", "a</w>", "penguin</w>", ",</w>", "flat</w>",
                                           "emoji</w>"}));
        QCOMPARE(m_tok->tokenize("PHOTO"), std::vector<std::string>{"photo</w>"});
        QCOMPARE(m_tok->tokenize("emoji"), std::vector<std::string>{"emoji</w>"});
    }

    void encodeUsesVocabIds() {
        const nlohmann::json vocab = diffii::readJsonFile(m_dir + "/tokenizer/vocab.json");
        const std::string caption = "A photo of a cute fox, flat emoji";
        const std::vector<std::string> tokens = m_tok->tokenize(caption);
        std::vector<int64_t> expected{vocab.at("<|startoftext|>").get<int64_t>()};
        for (const std::string& t : tokens) expected.push_back(vocab.at(t).get<int64_t>());
        expected.push_back(vocab.at("<|endoftext|>").get<int64_t>());
        QCOMPARE(m_tok->encode(caption), expected);
        const std::vector<int64_t> padded = m_tok->encodePadded(caption);
        QCOMPARE(padded.size(), size_t(77));
        QVERIFY(std::equal(expected.begin(), expected.end(), padded.begin()));
    }

    void unseenWordFallsBack() {
        for (const std::string word : {"xylophone", "zebra", "ünïcödé", "日本"}) {
            const std::vector<std::string> tokens = m_tok->tokenize(word);
            QVERIFY2(tokens.size() > 1, join(tokens).c_str());
            QCOMPARE(concat(tokens), byteEncoded(word) + "</w>");
            for (const std::string& t : tokens) QVERIFY2(m_tok->hasToken(t), t.c_str());
            for (int64_t id : m_tok->tokensToIds(tokens)) QVERIFY(id != m_tok->unkId());
        }
    }

    // Applying the learned merges to every training word gives back the word (bytes + "</w>") in known tokens.
    void segmentationConsistency() {
        std::set<std::string> words;
        for (const std::string& caption : smallCaptions())
            for (const std::string& piece : diffii::clipPreTokenize(caption)) words.insert(piece);
        for (const std::string& word : words) {
            const std::vector<std::string> tokens = m_tok->tokenize(word);
            QCOMPARE(concat(tokens), byteEncoded(word) + "</w>");
            for (const std::string& t : tokens) QVERIFY2(m_tok->hasToken(t), t.c_str());
        }
        // Every training word of the small corpus is frequent enough to end as one token at this size.
        QCOMPARE(m_tok->tokenize("turtle"), std::vector<std::string>{"turtle</w>"});
    }

    // The incremental counts give exactly the merges of the naive definition (also when a pair's concatenation
    // is already a token, and when learning stops at minPairFrequency).
    void matchesNaiveReference() {
        std::vector<std::string> texts = smallCaptions();
        texts.push_back("aab aab abab aaab baaa abab ab ab aba bab");  // overlapping and repeated symbols
        texts.push_back("abc abc abc xab xab xabc bcx bcx");           // "abc" reachable by two splits
        for (int minFrequency : {1, 2, 5}) {
            BpeTrainingSettings settings;
            settings.vocabSize = 49408;
            settings.minPairFrequency = minFrequency;
            const ClipBpeVocabulary learned = diffii::learnClipBpe(texts, settings);
            const auto expected = naiveBpe(texts, size_t(49408 - 514), minFrequency);
            QCOMPARE(learned.merges.size(), expected.size());
            QVERIFY(learned.merges == expected);
            QVERIFY(learned.tokens.size() < size_t(settings.vocabSize));  // stopped at minPairFrequency
        }
        BpeTrainingSettings small;
        small.vocabSize = 530;
        const ClipBpeVocabulary learned = diffii::learnClipBpe(texts, small);
        QCOMPARE(learned.tokens.size(), size_t(530));
        QVERIFY(learned.merges == naiveBpe(texts, 16, 2));
    }

    void deterministic() {
        BpeTrainingSettings settings;
        settings.vocabSize = m_vocabSize;
        std::vector<std::string> shuffled = smallCaptions();
        std::reverse(shuffled.begin(), shuffled.end());
        diffii::saveClipTokenizerFolder(diffii::learnClipBpe(smallCaptions(), settings), m_dir + "/again");
        diffii::saveClipTokenizerFolder(diffii::learnClipBpe(shuffled, settings), m_dir + "/shuffled");
        for (const char* file : {"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"}) {
            const std::string first = readFile(m_dir + "/tokenizer/" + file);
            QVERIFY(!first.empty());
            QVERIFY2(first == readFile(m_dir + "/again/" + file), file);
            QVERIFY2(first == readFile(m_dir + "/shuffled/" + file), file);
        }
    }

    void twentyThousandCaptions() {
        const std::vector<std::string> captions = largeCaptions(20000);
        BpeTrainingSettings settings;  // vocabSize 4096
        const auto start = std::chrono::steady_clock::now();
        const ClipBpeVocabulary vocab = diffii::learnClipBpe(captions, settings);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        qInfo("learned %zu merges from %zu captions in %.2f s", vocab.merges.size(), captions.size(), seconds);
        QCOMPARE(vocab.tokens.size(), size_t(4096));
        QVERIFY2(seconds < 30.0, std::to_string(seconds).c_str());  // a few seconds on a quiet machine
        diffii::saveClipTokenizerFolder(vocab, m_dir + "/large");
        const ClipTokenizer tok = ClipTokenizer::fromFolder(m_dir + "/large");
        QCOMPARE(tok.tokenize("a photo of a penguin, flat emoji").size(), size_t(8));
        for (size_t i = 0; i < 200; ++i)
            for (const std::string& piece : diffii::clipPreTokenize(captions[i]))
                QCOMPARE(concat(tok.tokenize(piece)), byteEncoded(piece) + "</w>");
    }

    void errors() {
        using diffii::test::expectError;
        BpeTrainingSettings settings;
        settings.vocabSize = 513;
        expectError([&] { diffii::learnClipBpe(smallCaptions(), settings); }, {"vocabSize 513", "514"});
        settings.vocabSize = 50000;
        expectError([&] { diffii::learnClipBpe(smallCaptions(), settings); }, {"vocabSize 50000", "49408"});
        settings.vocabSize = 1000;
        expectError([&] { diffii::learnClipBpe({}, settings); }, {"empty"});
        expectError([&] { diffii::learnClipBpe({"", "  \n "}, settings); }, {"no words"});
        settings.minPairFrequency = 0;
        expectError([&] { diffii::learnClipBpe(smallCaptions(), settings); }, {"minPairFrequency 0"});
        settings.minPairFrequency = 2;
        expectError([&] { diffii::learnClipBpe({"a b c ab"}, settings); }, {"at least 2 times"});

        ClipBpeVocabulary broken = m_vocab;
        broken.tokens.pop_back();
        expectError([&] { diffii::saveClipTokenizerFolder(broken, m_dir + "/broken"); }, {m_dir + "/broken", "tokens"});
        broken = m_vocab;
        broken.merges[0].second += "x";
        expectError([&] { diffii::saveClipTokenizerFolder(broken, m_dir + "/broken"); },
                    {m_dir + "/broken", "concatenation of merge 0"});
        QVERIFY(!std::filesystem::exists(m_dir + "/broken"));
    }
};

DIFFII_TEST_MAIN(TestClipBpeTrainer, None)
}  // namespace DIFFII_UNIT
#include "test_clip_bpe_trainer.moc"
