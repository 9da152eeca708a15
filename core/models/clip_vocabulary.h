// The CLIP BPE vocabulary shipped in resources/clip (openai/CLIP's bpe_simple_vocab_16e6.txt.gz, MIT): the
// tokenizer of single-file Stable Diffusion checkpoints, which carry none. Built as CLIP's simple_tokenizer does:
// the 256 byte stand-ins, the same with '</w>', one token per merge (the file's lines 1..48894 after its header),
// then <|startoftext|> and <|endoftext|> (49408 tokens, those of transformers' vocab.json for SD).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/models/clip_bpe_trainer.h"
#include "core/models/clip_tokenizer.h"

namespace diffii {

// Reads a gzip'ed CLIP BPE merges file (bpe_simple_vocab_16e6.txt.gz). Errors name the file.
ClipBpeVocabulary readClipBpeFile(const std::string& gzPath);

// resources/clip/bpe_simple_vocab_16e6.txt.gz, read once per process.
const ClipBpeVocabulary& builtinClipVocabulary();
std::string builtinClipVocabularyPath();

// The SD 1.x tokenizer (pad <|endoftext|>) or, with `padWithExclamation`, the SD 2.x one (pad '!', id 0).
ClipTokenizer builtinClipTokenizer(bool padWithExclamation);

// Writes a transformers tokenizer folder (vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json)
// of the built-in vocabulary, each file atomically.
void writeBuiltinTokenizerFolder(const std::string& dir, bool padWithExclamation);

}  // namespace diffii
