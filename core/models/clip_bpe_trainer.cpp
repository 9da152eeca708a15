// Byte-level BPE learning in CLIP's conventions: word frequencies from clipPreTokenize, symbols in the
// bytes_to_unicode alphabet with '</w>' on the last one, and merges chosen by pair frequency with counts updated
// incrementally (only the words that hold the merged pair are touched; a lazy max-heap finds the next pair).
#include "core/models/clip_bpe_trainer.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <queue>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/io/safetensors.h"
#include "core/models/clip_tokenizer.h"

namespace diffii {

namespace {

constexpr int kByteSymbols = 256;
constexpr int kBaseSymbols = 2 * kByteSymbols;
constexpr int kSpecialTokens = 2;
constexpr int kMinVocabSize = kBaseSymbols + kSpecialTokens;  // 514
constexpr int kMaxVocabSize = 49408;                          // CLIPTokenizer reads at most 49152 - 258 merges
const char* const kBos = "<|startoftext|>";
const char* const kEos = "<|endoftext|>";
const char* const kEndOfWord = "</w>";

// The code point of a one- or two-byte UTF-8 character (every bytes_to_unicode stand-in is below U+0800).
int codePoint(const std::string& c) {
    const auto b0 = static_cast<unsigned char>(c[0]);
    if (c.size() == 1) return b0;
    return ((b0 & 0x1F) << 6) | (static_cast<unsigned char>(c[1]) & 0x3F);
}

using PairKey = uint64_t;

PairKey pairKey(int a, int b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
int pairFirst(PairKey k) { return static_cast<int>(k >> 32); }
int pairSecond(PairKey k) { return static_cast<int>(k & 0xFFFFFFFFu); }

class BpeLearner {
public:
    BpeLearner(const std::vector<std::string>& texts, const BpeTrainingSettings& settings) : m_settings(settings) {
        const std::vector<std::string> alphabet = byteAlphabetInClipOrder();
        for (const std::string& c : alphabet) intern(c);
        for (const std::string& c : alphabet) intern(c + kEndOfWord);
        // Never produced by a merge (a word is letters or non-letters only), but reserved all the same.
        intern(kBos);
        intern(kEos);
        const std::vector<std::string> byteEncoder = clipBytesToUnicode();
        for (int b = 0; b < kByteSymbols; ++b) {
            m_byteSymbol[b] = m_symbolIds.at(byteEncoder[b]);
            m_byteSymbolEnd[b] = m_symbolIds.at(byteEncoder[b] + kEndOfWord);
        }
        countWords(texts);
        if (m_words.empty())
            throw Error("BPE training: the " + std::to_string(texts.size()) +
                        " texts hold no words after CLIP's clean-up and pre-tokenisation");
    }

    ClipBpeVocabulary learn() {
        const size_t maxMerges = static_cast<size_t>(m_settings.vocabSize - kMinVocabSize);
        initialisePairs();
        std::vector<std::pair<std::string, std::string>> merges;
        while (merges.size() < maxMerges && !m_heap.empty()) {
            const HeapEntry top = m_heap.top();
            m_heap.pop();
            const int64_t current = countOf(top.pair);
            if (current != top.count) {  // stale: counts of existing pairs only ever go down
                if (current > 0) m_heap.push({current, top.pair, this});
                continue;
            }
            if (current < m_settings.minPairFrequency) break;
            const int a = pairFirst(top.pair);
            const int b = pairSecond(top.pair);
            std::string merged = m_symbols[a] + m_symbols[b];
            // The same string reached by another split: merging it again would give a second id to one token.
            if (m_symbolIds.count(merged)) continue;
            merges.emplace_back(m_symbols[a], m_symbols[b]);
            applyMerge(top.pair, intern(merged));
        }
        if (merges.empty())
            throw Error("BPE training: no adjacent symbol pair occurs at least " +
                        std::to_string(m_settings.minPairFrequency) + " times in " + std::to_string(m_words.size()) +
                        " distinct words; nothing to learn");

        ClipBpeVocabulary vocab;
        vocab.tokens.reserve(kMinVocabSize + merges.size());
        vocab.tokens.assign(m_symbols.begin(), m_symbols.begin() + kBaseSymbols);
        for (const auto& [first, second] : merges) vocab.tokens.push_back(first + second);
        vocab.tokens.emplace_back(kBos);
        vocab.tokens.emplace_back(kEos);
        vocab.merges = std::move(merges);
        return vocab;
    }

private:
    struct Word {
        std::vector<int> symbols;
        int64_t count = 0;
    };
    struct HeapEntry {
        int64_t count;
        PairKey pair;
        const BpeLearner* owner;
        // Lower priority: fewer occurrences, then the lexicographically larger (first, second) pair.
        bool operator<(const HeapEntry& o) const {
            if (count != o.count) return count < o.count;
            const std::string& a1 = owner->m_symbols[pairFirst(pair)];
            const std::string& b1 = owner->m_symbols[pairFirst(o.pair)];
            if (int c = a1.compare(b1)) return c > 0;
            return owner->m_symbols[pairSecond(pair)].compare(owner->m_symbols[pairSecond(o.pair)]) > 0;
        }
    };

    int intern(const std::string& s) {
        const auto [it, inserted] = m_symbolIds.emplace(s, static_cast<int>(m_symbols.size()));
        if (inserted) m_symbols.push_back(s);
        return it->second;
    }

    int64_t countOf(PairKey k) const {
        const auto it = m_pairCounts.find(k);
        return it == m_pairCounts.end() ? 0 : it->second;
    }

    void countWords(const std::vector<std::string>& texts) {
        std::unordered_map<std::string, int64_t> counts;
        for (const std::string& text : texts)
            for (std::string& piece : clipPreTokenize(text))
                if (piece != kBos && piece != kEos) ++counts[std::move(piece)];
        // Sorted so that the word order (and with it every intermediate state) does not depend on hashing.
        std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
        std::sort(sorted.begin(), sorted.end());
        m_words.reserve(sorted.size());
        for (const auto& [piece, count] : sorted) {
            Word w;
            w.count = count;
            w.symbols.reserve(piece.size());
            for (size_t i = 0; i < piece.size(); ++i) {
                const auto byte = static_cast<unsigned char>(piece[i]);
                w.symbols.push_back(i + 1 == piece.size() ? m_byteSymbolEnd[byte] : m_byteSymbol[byte]);
            }
            m_words.push_back(std::move(w));
        }
    }

    void notePair(PairKey k, int word) {
        std::vector<int>& where = m_where[k];
        if (where.empty() || where.back() != word) where.push_back(word);
    }

    void initialisePairs() {
        for (size_t w = 0; w < m_words.size(); ++w) {
            const Word& word = m_words[w];
            for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
                const PairKey k = pairKey(word.symbols[i], word.symbols[i + 1]);
                m_pairCounts[k] += word.count;
                notePair(k, static_cast<int>(w));
            }
        }
        for (const auto& [k, count] : m_pairCounts) m_heap.push({count, k, this});
    }

    // Merges every non-overlapping occurrence of the pair (left to right, as ClipTokenizer::bpe applies it) in the
    // words that hold it, and updates the pair counts; the pairs made with the new symbol enter the heap.
    void applyMerge(PairKey merging, int newSymbol) {
        const int a = pairFirst(merging);
        const int b = pairSecond(merging);
        const std::vector<int> words = std::move(m_where[merging]);
        m_where.erase(merging);
        std::vector<PairKey> newPairs;
        std::vector<int> merged;
        for (int w : words) {
            Word& word = m_words[static_cast<size_t>(w)];
            const std::vector<int>& old = word.symbols;
            merged.clear();
            for (size_t i = 0; i < old.size();) {
                if (i + 1 < old.size() && old[i] == a && old[i + 1] == b) {
                    merged.push_back(newSymbol);
                    i += 2;
                } else {
                    merged.push_back(old[i]);
                    ++i;
                }
            }
            if (merged.size() == old.size()) continue;  // the pair was merged away by an earlier merge
            for (size_t i = 0; i + 1 < old.size(); ++i) m_pairCounts[pairKey(old[i], old[i + 1])] -= word.count;
            for (size_t i = 0; i + 1 < merged.size(); ++i) {
                const PairKey k = pairKey(merged[i], merged[i + 1]);
                m_pairCounts[k] += word.count;
                if (merged[i] == newSymbol || merged[i + 1] == newSymbol) {
                    if (m_where[k].empty()) newPairs.push_back(k);
                    notePair(k, w);
                }
            }
            word.symbols.assign(merged.begin(), merged.end());
        }
        m_pairCounts.erase(merging);
        for (PairKey k : newPairs) m_heap.push({m_pairCounts[k], k, this});
    }

    BpeTrainingSettings m_settings;
    std::vector<std::string> m_symbols;  // id -> string; ids 0..511 are the vocabulary's first 512 tokens
    std::unordered_map<std::string, int> m_symbolIds;
    int m_byteSymbol[kByteSymbols] = {};
    int m_byteSymbolEnd[kByteSymbols] = {};
    std::vector<Word> m_words;
    std::unordered_map<PairKey, int64_t> m_pairCounts;
    std::unordered_map<PairKey, std::vector<int>> m_where;  // pair -> words that held it (possibly no longer)
    std::priority_queue<HeapEntry> m_heap;
};

nlohmann::json addedToken(const std::string& content) {
    return {{"__type", "AddedToken"}, {"content", content}, {"lstrip", false},
            {"normalized", true},     {"rstrip", false},    {"single_word", false}};
}

void checkVocabulary(const ClipBpeVocabulary& vocab, const std::string& dir) {
    const auto fail = [&](const std::string& what) { throw Error(dir + ": cannot save the BPE vocabulary: " + what); };
    if (vocab.merges.empty()) fail("it has no merges (a tokenizer folder needs at least one)");
    if (vocab.tokens.size() != kMinVocabSize + vocab.merges.size())
        fail(std::to_string(vocab.tokens.size()) + " tokens for " + std::to_string(vocab.merges.size()) +
             " merges, expected 514 + merges");
    if (vocab.tokens[vocab.tokens.size() - 2] != kBos || vocab.tokens.back() != kEos)
        fail("the last two tokens should be " + std::string(kBos) + " and " + kEos);
    for (size_t i = 0; i < vocab.merges.size(); ++i) {
        const auto& [first, second] = vocab.merges[i];
        if (first.empty() || second.empty() || first.find(' ') != std::string::npos ||
            second.find(' ') != std::string::npos)
            fail("merge " + std::to_string(i) + " ('" + first + "' '" + second + "') has an empty or spaced symbol");
        if (vocab.tokens[kBaseSymbols + i] != first + second)
            fail("token " + std::to_string(kBaseSymbols + i) + " '" + vocab.tokens[kBaseSymbols + i] +
                 "' is not the concatenation of merge " + std::to_string(i));
    }
}

}  // namespace

std::vector<std::string> byteAlphabetInClipOrder() {
    std::vector<std::string> alphabet = clipBytesToUnicode();
    std::sort(alphabet.begin(), alphabet.end(),
              [](const std::string& a, const std::string& b) { return codePoint(a) < codePoint(b); });
    return alphabet;
}

ClipBpeVocabulary learnClipBpe(const std::vector<std::string>& texts, const BpeTrainingSettings& settings) {
    if (settings.vocabSize < kMinVocabSize)
        throw Error("BPE training: vocabSize " + std::to_string(settings.vocabSize) + " is below " +
                    std::to_string(kMinVocabSize) + " (512 byte symbols + 2 special tokens)");
    if (settings.vocabSize > kMaxVocabSize)
        throw Error("BPE training: vocabSize " + std::to_string(settings.vocabSize) + " is above " +
                    std::to_string(kMaxVocabSize) + " (CLIPTokenizer reads at most 48894 merges)");
    if (settings.minPairFrequency < 1)
        throw Error("BPE training: minPairFrequency " + std::to_string(settings.minPairFrequency) + " is below 1");
    if (texts.empty()) throw Error("BPE training: no texts to learn from (the caption list is empty)");
    BpeLearner learner(texts, settings);
    return learner.learn();
}

void saveClipTokenizerFolder(const ClipBpeVocabulary& vocab, const std::string& dir, const std::string& padToken) {
    checkVocabulary(vocab, dir);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(dir + ": cannot create the tokenizer folder: " + ec.message());

    // As transformers' save_vocabulary writes them: sorted keys, indent 2, UTF-8 unescaped, trailing newline.
    nlohmann::json encoder = nlohmann::json::object();
    for (size_t id = 0; id < vocab.tokens.size(); ++id) {
        const std::string& token = vocab.tokens[id];
        if (encoder.contains(token))
            throw Error(dir + ": cannot save the BPE vocabulary: token '" + token + "' appears twice (ids " +
                        std::to_string(encoder[token].get<int64_t>()) + " and " + std::to_string(id) + ")");
        encoder[token] = static_cast<int64_t>(id);
    }
    std::string merges = "#version: 0.2\n";
    for (const auto& [first, second] : vocab.merges) merges += first + " " + second + "\n";

    // Stable Diffusion's tokenizer folder (openai/clip-vit-large-patch14 as diffusers ships it).
    const nlohmann::json config = {
        {"add_prefix_space", false},     {"bos_token", addedToken(kBos)},
        {"do_lower_case", true},         {"eos_token", addedToken(kEos)},
        {"errors", "replace"},           {"model_max_length", 77},
        {"pad_token", padToken},         {"tokenizer_class", "CLIPTokenizer"},
        {"unk_token", addedToken(kEos)},
    };
    nlohmann::json specials = {{"bos_token", addedToken(kBos)},
                               {"eos_token", addedToken(kEos)},
                               {"pad_token", padToken},
                               {"unk_token", addedToken(kEos)}};
    for (const char* key : {"bos_token", "eos_token", "unk_token"}) specials[key].erase("__type");

    writeFileAtomic(dir + "/vocab.json", encoder.dump(2) + "\n");
    writeFileAtomic(dir + "/merges.txt", merges);
    writeFileAtomic(dir + "/tokenizer_config.json", config.dump(2) + "\n");
    writeFileAtomic(dir + "/special_tokens_map.json", specials.dump(2) + "\n");
}

}  // namespace diffii
