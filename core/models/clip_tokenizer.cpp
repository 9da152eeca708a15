// CLIP BPE tokenizer: loading the diffusers tokenizer folder, added-token splitting (a port of transformers'
// Trie.split), byte-to-unicode mapping and BPE with the merges ranking, as transformers.CLIPTokenizer does.
#include "core/models/clip_tokenizer.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include <unicode/utf8.h>
#include <unistd.h>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/regular_file.h"

namespace diffii {

namespace {

// CLIPTokenizer reads at most 49152 - 256 - 2 merges (the size of OpenAI's vocabulary without bytes and specials).
constexpr size_t kMaxMerges = 49152 - 256 - 2;
constexpr size_t kMaxCacheEntries = 200000;

// GPT-2 / CLIP bytes_to_unicode(): printable bytes map to themselves, the others to U+0100 upwards.
std::vector<std::string> makeByteEncoder() {
    std::vector<int> printable(256, 0);
    for (int b = '!'; b <= '~'; ++b) printable[b] = 1;
    for (int b = 0xA1; b <= 0xAC; ++b) printable[b] = 1;
    for (int b = 0xAE; b <= 0xFF; ++b) printable[b] = 1;
    std::vector<std::string> enc(256);
    int next = 0;
    for (int b = 0; b < 256; ++b) {
        const char32_t cp = printable[b] ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++);
        enc[b] = clipEncodeUtf8(std::u32string(1, cp));
    }
    return enc;
}

// Splits UTF-8 into its characters (each a BPE symbol before merging).
std::vector<std::string> utf8Chars(const std::string& s) {
    std::vector<std::string> out;
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    const int32_t n = static_cast<int32_t>(s.size());
    int32_t i = 0;
    while (i < n) {
        const int32_t begin = i;
        U8_FWD_1(p, i, n);
        out.emplace_back(s, static_cast<size_t>(begin), static_cast<size_t>(i - begin));
    }
    return out;
}

bool isFile(const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
}

// A special-token entry: "<|endoftext|>" or {"content": "<|endoftext|>", ...}.
void readSpecialToken(const nlohmann::json& j, const std::string& key, const std::string& file, std::string* out) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (it->is_string()) {
        *out = it->get<std::string>();
    } else if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
        *out = (*it)["content"].get<std::string>();
    } else {
        throw Error(file + ": key '" + key + "' should be a token string or an object with 'content', got " +
                    jsonExcerpt(*it));
    }
}

void readSpecialTokens(const nlohmann::json& j, const std::string& file, ClipSpecialTokens* specials) {
    readSpecialToken(j, "bos_token", file, &specials->bos);
    readSpecialToken(j, "eos_token", file, &specials->eos);
    readSpecialToken(j, "pad_token", file, &specials->pad);
    readSpecialToken(j, "unk_token", file, &specials->unk);
}

// Added tokens (special tokens included) as a character trie, split exactly like transformers' Trie.split.
struct AddedTokenTrie {
    struct Node {
        std::map<char32_t, int> next;
        bool final = false;
    };
    std::vector<Node> nodes{Node{}};

    void add(const std::u32string& word) {
        int node = 0;
        for (char32_t c : word) {
            auto it = nodes[node].next.find(c);
            if (it == nodes[node].next.end()) {
                nodes.push_back(Node{});
                it = nodes[node].next.emplace(c, static_cast<int>(nodes.size() - 1)).first;
            }
            node = it->second;
        }
        nodes[node].final = true;
    }

    int child(int node, char32_t c) const {
        const auto it = nodes[node].next.find(c);
        return it == nodes[node].next.end() ? -1 : it->second;
    }

    std::vector<std::u32string> split(const std::u32string& text) const {
        struct State {
            size_t start;
            int node;
        };
        const size_t n = text.size();
        std::vector<State> states;  // in insertion order, i.e. by start
        std::vector<size_t> offsets;
        size_t skip = 0;
        for (size_t current = 0; current < n; ++current) {
            if (skip && current < skip) continue;
            std::vector<size_t> toRemove;
            bool reset = false;
            for (size_t si = 0; si < states.size(); ++si) {
                size_t start = states[si].start;
                if (nodes[states[si].node].final) {
                    // Lookahead: prefer an earlier partial match that completes, then the longest match.
                    size_t end = current;
                    for (const State& look : states) {
                        if (look.start > start) break;
                        size_t lookahead = look.start < start ? current + 1 : current;
                        end = lookahead;
                        int ptr = look.node;
                        if (nodes[ptr].final) {
                            start = look.start;
                            end = lookahead;
                            skip = lookahead;
                        }
                        while (lookahead < n) {
                            const int nextNode = child(ptr, text[lookahead]);
                            if (nextNode < 0) break;
                            ptr = nextNode;
                            ++lookahead;
                            if (nodes[ptr].final) {
                                start = look.start;
                                end = lookahead;
                                skip = lookahead;
                            }
                        }
                    }
                    offsets.push_back(start);
                    offsets.push_back(end);
                    reset = true;
                    break;
                }
                const int nextNode = child(states[si].node, text[current]);
                if (nextNode >= 0)
                    states[si].node = nextNode;
                else
                    toRemove.push_back(start);
            }
            if (reset) {
                states.clear();
            } else if (!toRemove.empty()) {
                states.erase(std::remove_if(states.begin(), states.end(),
                                            [&](const State& s) {
                                                return std::find(toRemove.begin(), toRemove.end(), s.start) !=
                                                       toRemove.end();
                                            }),
                             states.end());
            }
            if (current >= skip) {
                const int first = child(0, text[current]);
                if (first >= 0) states.push_back({current, first});
            }
        }
        for (const State& s : states) {
            if (nodes[s.node].final) {
                offsets.push_back(s.start);
                offsets.push_back(n);
                break;
            }
        }
        offsets.push_back(n);
        std::vector<std::u32string> pieces;
        size_t start = 0;
        for (size_t end : offsets) {
            if (start >= end) continue;
            pieces.push_back(text.substr(start, end - start));
            start = end;
        }
        return pieces;
    }
};

}  // namespace

std::vector<std::string> clipBytesToUnicode() { return makeByteEncoder(); }

struct ClipTokenizer::Cache {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<std::string>> bpe;
    AddedTokenTrie trie;
};

ClipTokenizer::ClipTokenizer(std::unordered_map<std::string, int64_t> vocab,
                             const std::vector<std::pair<std::string, std::string>>& merges, ClipSpecialTokens specials,
                             const std::string& source)
    : m_encoder(std::move(vocab)), m_byteEncoder(makeByteEncoder()), m_cache(std::make_unique<Cache>()) {
    if (m_encoder.empty()) throw Error(source + ": the vocabulary is empty");
    m_mergeRanks.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i)
        m_mergeRanks[merges[i].first + " " + merges[i].second] =
            static_cast<int>(i);  // a repeated pair keeps its last rank, like dict(zip(...))
    const auto idOf = [&](const std::string& token, const char* role) {
        const auto it = m_encoder.find(token);
        if (it == m_encoder.end())
            throw Error(source + ": the " + std::string(role) + " token " + boundedQuote(token) +
                        " is not in the vocabulary");
        return it->second;
    };
    m_bosId = idOf(specials.bos, "bos");
    m_eosId = idOf(specials.eos, "eos");
    m_padId = idOf(specials.pad, "pad");
    m_unkId = idOf(specials.unk, "unk");
    if (specials.modelMaxLength < 2)
        throw Error(source + ": model_max_length " + std::to_string(specials.modelMaxLength) + " is below 2");
    m_maxLength = specials.modelMaxLength;
    // transformers registers every special token as an added token: matched whole, never normalised or split.
    for (const std::string* t : {&specials.bos, &specials.eos, &specials.unk, &specials.pad}) addToken(*t);
}

ClipTokenizer::ClipTokenizer(const ClipTokenizer& other)
    : m_encoder(other.m_encoder),
      m_mergeRanks(other.m_mergeRanks),
      m_addedTokens(other.m_addedTokens),
      m_expansions(other.m_expansions),
      m_byteEncoder(other.m_byteEncoder),
      m_bosId(other.m_bosId),
      m_eosId(other.m_eosId),
      m_padId(other.m_padId),
      m_unkId(other.m_unkId),
      m_maxLength(other.m_maxLength),
      m_cache(std::make_unique<Cache>()) {
    m_cache->trie = other.m_cache->trie;
}

ClipTokenizer& ClipTokenizer::operator=(const ClipTokenizer& other) {
    if (this != &other) {
        ClipTokenizer copy(other);
        *this = std::move(copy);
    }
    return *this;
}

ClipTokenizer::ClipTokenizer(ClipTokenizer&& other) noexcept = default;
ClipTokenizer& ClipTokenizer::operator=(ClipTokenizer&& other) noexcept = default;
ClipTokenizer::~ClipTokenizer() = default;

namespace {

std::unordered_map<std::string, int64_t> readVocabulary(const std::string& vocabPath) {
    const nlohmann::json vocabJson = readJsonFile(vocabPath);
    if (!vocabJson.is_object() || vocabJson.empty())
        throw Error(vocabPath + ": expected a non-empty JSON object mapping tokens to ids");
    std::unordered_map<std::string, int64_t> vocab;
    vocab.reserve(vocabJson.size());
    for (auto it = vocabJson.begin(); it != vocabJson.end(); ++it) {
        if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0)
            throw Error(vocabPath + ": token " + boundedQuote(it.key()) + " has id " + boundedText(it.value().dump()) +
                        ", expected a non-negative integer");
        vocab.emplace(it.key(), it.value().get<int64_t>());
    }
    return vocab;
}

std::vector<std::pair<std::string, std::string>> readMerges(const std::string& mergesPath) {
    uint64_t mergesSize = 0;
    const int mergesFd = openRegularFile(mergesPath, "BPE merges file", &mergesSize);
    std::string content;
    try {
        content = readFileBytes(mergesFd, mergesPath, 0, static_cast<size_t>(mergesSize));
    } catch (...) {
        ::close(mergesFd);
        throw;
    }
    ::close(mergesFd);
    // merges_handle.read().strip().split("\n")[1:49152-256-2+1]: the first line is the "#version" header.
    const auto notSpace = [](unsigned char c) { return !std::isspace(c); };
    content.erase(content.begin(), std::find_if(content.begin(), content.end(), notSpace));
    content.erase(std::find_if(content.rbegin(), content.rend(), notSpace).base(), content.end());
    std::vector<std::pair<std::string, std::string>> merges;
    std::istringstream lines(content);
    std::string line;
    size_t lineNo = 0;
    while (std::getline(lines, line)) {
        ++lineNo;
        if (lineNo == 1) continue;
        if (merges.size() >= kMaxMerges) break;
        std::istringstream parts(line);
        std::string first, second, extra;
        if (!(parts >> first >> second) || (parts >> extra))
            throw Error(mergesPath + ": line " + std::to_string(lineNo) +
                        ": expected two space-separated symbols, got " + boundedQuote(line, 80));
        merges.emplace_back(std::move(first), std::move(second));
    }
    if (merges.empty())
        throw Error(mergesPath + ": no merges after the '#version' header line (empty or corrupt file)");
    return merges;
}

// The special tokens and the maximum length from tokenizer_config.json (read into *config when present) and
// special_tokens_map.json, each checked against the vocabulary.
ClipSpecialTokens readSpecials(const std::string& configPath, const std::string& specialPath,
                               const std::string& vocabPath, const std::unordered_map<std::string, int64_t>& vocab,
                               nlohmann::json* configOut) {
    nlohmann::json& config = *configOut;
    ClipSpecialTokens specials;
    // The file that set each special token (special_tokens_map.json overrides tokenizer_config.json), so that a
    // token missing from the vocabulary is reported against the file and key that named it.
    std::map<std::string, std::string> specialSource;
    const auto noteSources = [&](const nlohmann::json& j, const std::string& file) {
        for (const char* key : {"bos_token", "eos_token", "pad_token", "unk_token"})
            if (j.contains(key) && !j[key].is_null()) specialSource[key] = file;
    };
    if (isFile(configPath)) {
        config = readJsonFile(configPath);
        if (!config.is_object()) throw Error(configPath + ": expected a JSON object");
        readSpecialTokens(config, configPath, &specials);
        noteSources(config, configPath);
        const auto ml = config.find("model_max_length");
        // Tokenizers without a limit store int(1e30) (transformers' VERY_LARGE_INTEGER); keep CLIP's 77 above 1e6.
        if (ml != config.end() && !ml->is_null()) {
            if (!ml->is_number() || (ml->is_number_float() && ml->get<double>() <= 1e6))
                (void)jsonIntIn(*ml, "model_max_length", 2, 1000000, configPath);  // type, integrality, range
            if (ml->get<double>() < 2)
                throw Error(configPath + ": key 'model_max_length': must be >= 2, got " + jsonExcerpt(*ml));
            if (ml->get<double>() <= 1e6) specials.modelMaxLength = static_cast<int>(ml->get<double>());
        }
    }
    if (isFile(specialPath)) {
        const nlohmann::json map = readJsonFile(specialPath);
        if (!map.is_object()) throw Error(specialPath + ": expected a JSON object");
        readSpecialTokens(map, specialPath, &specials);
        noteSources(map, specialPath);
    }
    const std::pair<const char*, const std::string*> named[] = {{"bos_token", &specials.bos},
                                                                {"eos_token", &specials.eos},
                                                                {"pad_token", &specials.pad},
                                                                {"unk_token", &specials.unk}};
    for (const auto& [key, token] : named)
        if (specialSource.count(key) && !vocab.count(*token))
            throw Error(specialSource[key] + ": key '" + key + "': token '" + token->substr(0, 80) +
                        "' is not in the vocabulary (" + vocabPath + ")");
    return specials;
}

// Tokens added after training (textual inversion placeholders), saved as added_tokens.json and/or
// tokenizer_config.json's added_tokens_decoder: id -> (token, the file that named it).
std::map<int64_t, std::pair<std::string, std::string>> readAddedTokens(const std::string& addedPath,
                                                                       const nlohmann::json& config,
                                                                       const std::string& configPath) {
    std::map<int64_t, std::pair<std::string, std::string>> added;  // id -> (token, file)
    if (isFile(addedPath)) {
        const nlohmann::json j = readJsonFile(addedPath);
        if (!j.is_object()) throw Error(addedPath + ": expected a JSON object mapping tokens to ids");
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (!it.value().is_number_integer())
                throw Error(addedPath + ": token " + boundedQuote(it.key()) + " has id " +
                            boundedText(it.value().dump()) + ", expected an integer");
            added[it.value().get<int64_t>()] = {it.key(), addedPath};
        }
    }
    if (config.is_object() && config.contains("added_tokens_decoder") &&
        config.at("added_tokens_decoder").is_object()) {
        for (auto it = config.at("added_tokens_decoder").begin(); it != config.at("added_tokens_decoder").end(); ++it) {
            int64_t id = -1;
            try {
                id = std::stoll(it.key());
            } catch (const std::exception&) {
            }
            const auto content = it.value().is_object() ? it.value().find("content") : it.value().end();
            if (id < 0 || content == it.value().end() || !content->is_string())
                throw Error(configPath + ": added_tokens_decoder entry " + boundedQuote(it.key()) +
                            " should map an id to an object with a 'content' string, got " +
                            boundedText(it.value().dump()));
            added[id] = {content->get<std::string>(), configPath};
        }
    }
    return added;
}

}  // namespace

ClipTokenizer ClipTokenizer::fromFolder(const std::string& tokenizerDir) {
    const std::string vocabPath = tokenizerDir + "/vocab.json";
    const std::string configPath = tokenizerDir + "/tokenizer_config.json";
    nlohmann::json config;
    auto vocab = readVocabulary(vocabPath);
    const auto merges = readMerges(tokenizerDir + "/merges.txt");
    const auto specials =
        readSpecials(configPath, tokenizerDir + "/special_tokens_map.json", vocabPath, vocab, &config);
    ClipTokenizer tok(std::move(vocab), merges, specials, vocabPath);
    // Added tokens' ids must continue the vocabulary.
    const auto added = readAddedTokens(tokenizerDir + "/added_tokens.json", config, configPath);
    for (const auto& [id, entry] : added) {
        const auto& [token, file] = entry;
        const bool known = tok.hasToken(token);
        if (known && tok.tokenId(token) != id)
            throw Error(file + ": added token " + boundedQuote(token) + " has id " + std::to_string(id) +
                        " but the tokenizer has it as " + std::to_string(tok.tokenId(token)));
        if (!known && static_cast<size_t>(id) != tok.size())
            throw Error(file + ": added token " + boundedQuote(token) + " has id " + std::to_string(id) +
                        ", expected " + std::to_string(tok.size()) + " (the next free id)");
        tok.addToken(token);
    }
    return tok;
}

int64_t ClipTokenizer::addToken(const std::string& token) {
    if (token.empty()) throw Error("CLIP tokenizer: cannot add an empty token");
    const auto it = m_encoder.find(token);
    if (std::find(m_addedTokens.begin(), m_addedTokens.end(), token) != m_addedTokens.end()) return it->second;
    int64_t id;
    if (it != m_encoder.end()) {
        id = it->second;  // already in the vocabulary: keeps its id, is now matched whole (as transformers does)
    } else {
        id = static_cast<int64_t>(m_encoder.size());
        m_encoder.emplace(token, id);
    }
    m_addedTokens.push_back(token);
    m_cache->trie.add(clipDecodeUtf8(token));
    return id;
}

void ClipTokenizer::setExpansion(const std::string& token, std::vector<std::string> followers) {
    const auto isAdded = [&](const std::string& t) {
        return std::find(m_addedTokens.begin(), m_addedTokens.end(), t) != m_addedTokens.end();
    };
    if (!isAdded(token)) throw Error("CLIP tokenizer: cannot expand " + boundedQuote(token) + ": not an added token");
    for (const auto& f : followers)
        if (!isAdded(f))
            throw Error("CLIP tokenizer: expansion of " + boundedQuote(token) + ": " + boundedQuote(f) +
                        " is not an added token");
    if (followers.empty())
        m_expansions.erase(token);
    else
        m_expansions[token] = std::move(followers);
}

int64_t ClipTokenizer::tokenId(const std::string& token) const {
    const auto it = m_encoder.find(token);
    if (it == m_encoder.end()) throw Error("CLIP tokenizer: unknown token " + boundedQuote(token));
    return it->second;
}

bool ClipTokenizer::hasToken(const std::string& token) const { return m_encoder.count(token) != 0; }

bool ClipTokenizer::isVocabularyWord(const std::string& token) const {
    const auto isBase = [&](const std::string& t) {
        return hasToken(t) && std::find(m_addedTokens.begin(), m_addedTokens.end(), t) == m_addedTokens.end();
    };
    if (isBase(token)) return true;
    // As a prompt gives it: the tokenizer's own clean-up, lower case and BPE, to one vocabulary entry.
    const auto pieces = tokenize(token);
    return pieces.size() == 1 && isBase(pieces.front());
}

size_t ClipTokenizer::size() const { return m_encoder.size(); }

std::vector<std::string> ClipTokenizer::bpe(const std::string& word) const {
    {
        std::lock_guard<std::mutex> lock(m_cache->mutex);
        const auto it = m_cache->bpe.find(word);
        if (it != m_cache->bpe.end()) return it->second;
    }
    std::vector<std::string> symbols = utf8Chars(word);
    symbols.back() += "</w>";
    while (symbols.size() > 1) {
        // The lowest-ranked adjacent pair, then every non-overlapping occurrence of it, left to right.
        int bestRank = INT_MAX;
        size_t best = 0;
        for (size_t i = 0; i + 1 < symbols.size(); ++i) {
            const auto it = m_mergeRanks.find(symbols[i] + " " + symbols[i + 1]);
            if (it != m_mergeRanks.end() && it->second < bestRank) {
                bestRank = it->second;
                best = i;
            }
        }
        if (bestRank == INT_MAX) break;
        const std::string first = symbols[best];
        const std::string second = symbols[best + 1];
        std::vector<std::string> merged;
        merged.reserve(symbols.size());
        for (size_t i = 0; i < symbols.size();) {
            if (i + 1 < symbols.size() && symbols[i] == first && symbols[i + 1] == second) {
                merged.push_back(first + second);
                i += 2;
            } else {
                merged.push_back(symbols[i]);
                ++i;
            }
        }
        symbols = std::move(merged);
    }
    std::lock_guard<std::mutex> lock(m_cache->mutex);
    if (m_cache->bpe.size() >= kMaxCacheEntries) m_cache->bpe.clear();
    m_cache->bpe.emplace(word, symbols);
    return symbols;
}

void ClipTokenizer::tokenizeSegment(const std::string& segment, std::vector<std::string>& out) const {
    for (const std::string& piece : clipPreTokenize(segment)) {
        // CLIPTokenizer's BPE cache is seeded with the two special tokens, so typed ones come back whole.
        if (piece == "<|startoftext|>" || piece == "<|endoftext|>") {
            out.push_back(piece);
            continue;
        }
        std::string mapped;
        mapped.reserve(piece.size() * 2);
        for (unsigned char b : piece) mapped += m_byteEncoder[b];
        for (std::string& s : bpe(mapped)) out.push_back(std::move(s));
    }
}

std::vector<std::string> ClipTokenizer::tokenize(const std::string& text) const {
    std::vector<std::string> out;
    for (const std::u32string& piece : m_cache->trie.split(clipDecodeUtf8(text))) {
        std::string utf8 = clipEncodeUtf8(piece);
        if (std::find(m_addedTokens.begin(), m_addedTokens.end(), utf8) != m_addedTokens.end()) {
            const auto expansion = m_expansions.find(utf8);
            out.push_back(std::move(utf8));
            if (expansion != m_expansions.end())
                out.insert(out.end(), expansion->second.begin(), expansion->second.end());
        } else
            tokenizeSegment(utf8, out);
    }
    return out;
}

std::vector<int64_t> ClipTokenizer::tokensToIds(const std::vector<std::string>& tokens) const {
    std::vector<int64_t> ids;
    ids.reserve(tokens.size());
    for (const std::string& t : tokens) {
        const auto it = m_encoder.find(t);
        ids.push_back(it == m_encoder.end() ? m_unkId : it->second);
    }
    return ids;
}

std::vector<int64_t> ClipTokenizer::encode(const std::string& text) const {
    std::vector<int64_t> ids{m_bosId};
    const std::vector<int64_t> body = tokensToIds(tokenize(text));
    ids.insert(ids.end(), body.begin(), body.end());
    ids.push_back(m_eosId);
    return ids;
}

std::vector<int64_t> ClipTokenizer::encodePadded(const std::string& text, int maxLength) const {
    if (maxLength < 2)
        throw Error("CLIP tokenizer: max length " + std::to_string(maxLength) + " leaves no room for BOS and EOS");
    std::vector<int64_t> body = tokensToIds(tokenize(text));
    if (body.size() > static_cast<size_t>(maxLength - 2)) body.resize(static_cast<size_t>(maxLength - 2));
    std::vector<int64_t> ids;
    ids.reserve(static_cast<size_t>(maxLength));
    ids.push_back(m_bosId);
    ids.insert(ids.end(), body.begin(), body.end());
    ids.push_back(m_eosId);
    ids.resize(static_cast<size_t>(maxLength), m_padId);
    return ids;
}

}  // namespace diffii
