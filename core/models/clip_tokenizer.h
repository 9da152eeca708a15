// CLIP byte-level BPE tokenizer with the behaviour of transformers' slow CLIPTokenizer when ftfy is installed
// (what Stable Diffusion pipelines and Diff-II use): added tokens are split out first (case-sensitive, never
// split), every other piece is cleaned like ftfy.fix_text, whitespace-collapsed, lower-cased, cut with CLIP's
// pre-tokenisation pattern and BPE-encoded with '</w>' marking the end of a word.
// Pure standard library in this header so that it compiles fast; ICU and libxml2 stay in the .cpp files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace diffii {

// The special-token strings and the context length, as tokenizer_config.json / special_tokens_map.json give them.
struct ClipSpecialTokens {
    std::string bos = "<|startoftext|>";
    std::string eos = "<|endoftext|>";
    std::string pad = "<|endoftext|>";
    std::string unk = "<|endoftext|>";
    int modelMaxLength = 77;
};

class ClipTokenizer {
public:
    // Reads vocab.json and merges.txt (required) and tokenizer_config.json, special_tokens_map.json and
    // added_tokens.json (optional; CLIP defaults otherwise). Every problem is a diffii::Error naming the file.
    static ClipTokenizer fromFolder(const std::string& tokenizerDir);

    // vocab: token -> id; merges: ranked pairs (rank = position). The special tokens must be in the vocabulary.
    // `source` names where the data came from in error messages.
    ClipTokenizer(std::unordered_map<std::string, int64_t> vocab,
                  const std::vector<std::pair<std::string, std::string>>& merges, ClipSpecialTokens specials = {},
                  const std::string& source = "vocab.json");

    ClipTokenizer(const ClipTokenizer& other);
    ClipTokenizer& operator=(const ClipTokenizer& other);
    ClipTokenizer(ClipTokenizer&& other) noexcept;
    ClipTokenizer& operator=(ClipTokenizer&& other) noexcept;
    ~ClipTokenizer();

    // Like transformers' tokenizer.tokenize(text): BPE strings in the byte-to-unicode alphabet ('a</w>').
    std::vector<std::string> tokenize(const std::string& text) const;
    // BOS + ids + EOS, no truncation (may be longer than maxLength()).
    std::vector<int64_t> encode(const std::string& text) const;
    // Exactly maxLength ids: truncated so that EOS stays at the last kept position, then padded with padId().
    std::vector<int64_t> encodePadded(const std::string& text, int maxLength = 77) const;

    // Adds a token that is matched case-sensitively before any normalisation and never split (textual inversion
    // placeholders such as "<bird-0>"). Returns its id: size() before the call for a new token, the existing id
    // for a token that is already an added token or already in the vocabulary. Not to be called while another
    // thread tokenizes with this object (tokenize and encode themselves are thread-safe).
    int64_t addToken(const std::string& token);
    // Wherever the added token `token` appears in a text, tokenize() puts `followers` (added tokens) right after
    // it: a textual-inversion embedding of n vectors is written "<name>" in a prompt and stands for "<name>
    // <name>_1 ... <name>_{n-1}" (A1111's convention; diffusers' maybe_convert_prompt). The one home of that rule.
    void setExpansion(const std::string& token, std::vector<std::string> followers);

    int64_t tokenId(const std::string& token) const;  // throws diffii::Error naming the token if unknown
    bool hasToken(const std::string& token) const;
    // Whether `token` is a word of the base vocabulary (added tokens aside) as a prompt would give it: the entry
    // itself, or the one entry tokenize() makes of it (lower case, with CLIP's end-of-word mark: "Bird" is
    // "bird</w>").
    // An embedding or concept under such a name would take the word's place in every prompt.
    bool isVocabularyWord(const std::string& token) const;
    size_t size() const;  // vocabulary + added tokens

    int64_t bosId() const { return m_bosId; }
    int64_t eosId() const { return m_eosId; }
    int64_t padId() const { return m_padId; }
    int64_t unkId() const { return m_unkId; }
    int maxLength() const { return m_maxLength; }
    const std::vector<std::string>& addedTokens() const { return m_addedTokens; }

    std::vector<int64_t> tokensToIds(const std::vector<std::string>& tokens) const;

private:
    struct Cache;

    void tokenizeSegment(const std::string& segment, std::vector<std::string>& out) const;
    std::vector<std::string> bpe(const std::string& word) const;

    std::unordered_map<std::string, int64_t> m_encoder;  // vocabulary and added tokens
    std::unordered_map<std::string, int> m_mergeRanks;   // "first second" -> rank
    std::vector<std::string> m_addedTokens;              // never-split tokens (special tokens included)
    std::unordered_map<std::string, std::vector<std::string>> m_expansions;  // setExpansion
    std::vector<std::string> m_byteEncoder;                                  // byte -> its printable stand-in (UTF-8)
    int64_t m_bosId = 0;
    int64_t m_eosId = 0;
    int64_t m_padId = 0;
    int64_t m_unkId = 0;
    int m_maxLength = 77;
    std::unique_ptr<Cache> m_cache;
};

// ftfy.fix_text (ftfy 6.x defaults, without the mojibake heuristics of fix_encoding) on UTF-8 text: HTML entities
// (unless the text contains '<'), C1 controls read as Windows-1252, Latin ligatures, full-width forms, curly
// quotes, line breaks, terminal escapes, control characters, then NFC. Exposed for tests and diagnostics.
std::string clipFixText(const std::string& text);

// The part of CLIPTokenizer._tokenize before BPE: clipFixText, whitespace runs -> one space, strip, lower(), then
// the pieces of CLIP's pattern  <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|
// [^\s\p{L}\p{N}]+  (case-insensitive), as UTF-8 strings.
std::vector<std::string> clipPreTokenize(const std::string& text);

// UTF-8 to code points, each invalid sequence as U+FFFD (the closest input CLIPTokenizer could see: Python strings
// cannot hold invalid UTF-8).
std::u32string clipDecodeUtf8(const std::string& text);
// Code points [begin, end) to UTF-8, each invalid one (a surrogate, past U+10FFFF) as U+FFFD.
std::string clipEncodeUtf8(const std::u32string& text, size_t begin = 0, size_t end = std::u32string::npos);

// GPT-2 / CLIP bytes_to_unicode(): the printable stand-in (UTF-8) of every byte, indexed by byte value.
std::vector<std::string> clipBytesToUnicode();

}  // namespace diffii
