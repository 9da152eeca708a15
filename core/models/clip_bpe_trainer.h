// Learning a small CLIP-format byte-level BPE vocabulary from captions, for models whose tokenizer the project
// builds itself (the real CLIP vocabulary is not shipped). The result loads with ClipTokenizer::fromFolder and with
// transformers' CLIPTokenizer: the same pre-tokenisation (clipPreTokenize), the same byte-to-unicode alphabet with
// '</w>' closing a word, and CLIP's vocabulary order.
// Pure standard library in this header.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace diffii {

struct BpeTrainingSettings {
    // Everything counted: 512 byte symbols + merges + 2 special tokens (at least 514, at most CLIP's 49408).
    int vocabSize = 4096;
    // Learning stops earlier when the most frequent adjacent pair occurs fewer times than this (at least 1).
    int minPairFrequency = 2;
};

struct ClipBpeVocabulary {
    // In id order: the 256 byte symbols in bytes_to_unicode order, the same 256 with "</w>", one token per merge
    // (the concatenation, in merge order), then "<|startoftext|>" and "<|endoftext|>".
    std::vector<std::string> tokens;
    // In rank order (merges.txt without its "#version" header).
    std::vector<std::pair<std::string, std::string>> merges;
};

// Standard BPE over the word frequencies of the texts: repeatedly merges the most frequent adjacent pair (ties: the
// lexicographically smallest (first, second) pair by bytes). A pair whose concatenation is already a token (the
// same string reached by another split) is never merged, so that every merge adds exactly one new token.
// Deterministic. Throws diffii::Error for vocabSize outside [514, 49408], minPairFrequency < 1, no texts, texts
// without any word, or when not a single pair occurs minPairFrequency times.
ClipBpeVocabulary learnClipBpe(const std::vector<std::string>& texts, const BpeTrainingSettings& settings = {});

// Writes vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json (as in Stable Diffusion's
// tokenizer folder, in the formats transformers writes) into dir, creating it; each file atomically. Throws
// diffii::Error naming the file or folder at fault, or for a vocabulary whose tokens do not match its merges.
// padToken: "<|endoftext|>" (SD 1.x) or "!" (SD 2.x).
void saveClipTokenizerFolder(const ClipBpeVocabulary& vocab, const std::string& dir,
                             const std::string& padToken = "<|endoftext|>");

// The 256 byte stand-ins (clipBytesToUnicode) in bytes_to_unicode() order (the dict's insertion order: printable
// bytes, then the others), which is ascending code point order: the first 256 ids of a CLIP vocabulary.
std::vector<std::string> byteAlphabetInClipOrder();

}  // namespace diffii
