#include "core/models/clip_vocabulary.h"

#include <mutex>
#include <sstream>
#include <unordered_map>

#include <zlib.h>

#include "core/io/error.h"
#include "core/io/resources.h"

namespace diffii {

namespace {

constexpr size_t kMerges = 49152 - 256 - 2;  // CLIP's simple_tokenizer: merges[1:49152-256-2+1]

std::string gunzip(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw Error(path + ": cannot open the gzip file");
    std::string out;
    char buf[1 << 16];
    int n = 0;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    int err = 0;
    const char* msg = gzerror(f, &err);
    const std::string message = msg ? msg : "";
    gzclose(f);
    if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) throw Error(path + ": not a readable gzip file: " + message);
    return out;
}

}  // namespace

ClipBpeVocabulary readClipBpeFile(const std::string& gzPath) {
    const std::string text = gunzip(gzPath);
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);  // "#version: ..." header
    ClipBpeVocabulary v;
    size_t lineNo = 1;
    while (v.merges.size() < kMerges && std::getline(in, line)) {
        ++lineNo;
        const auto space = line.find(' ');
        if (space == std::string::npos || space == 0 || space + 1 >= line.size() ||
            line.find(' ', space + 1) != std::string::npos)
            throw Error(gzPath + ": line " + std::to_string(lineNo) + " is not a merge 'a b'");
        v.merges.emplace_back(line.substr(0, space), line.substr(space + 1));
    }
    if (v.merges.size() != kMerges)
        throw Error(gzPath + ": holds " + std::to_string(v.merges.size()) + " merges, CLIP's vocabulary needs " +
                    std::to_string(kMerges));
    const auto alphabet = byteAlphabetInClipOrder();
    for (const auto& c : alphabet) v.tokens.push_back(c);
    for (const auto& c : alphabet) v.tokens.push_back(c + "</w>");
    for (const auto& [a, b] : v.merges) v.tokens.push_back(a + b);
    v.tokens.push_back("<|startoftext|>");
    v.tokens.push_back("<|endoftext|>");
    return v;
}

std::string builtinClipVocabularyPath() { return findResource("clip/bpe_simple_vocab_16e6.txt.gz"); }

const ClipBpeVocabulary& builtinClipVocabulary() {
    static std::once_flag once;
    static ClipBpeVocabulary vocab;
    static std::string error;
    std::call_once(once, [] {
        try {
            vocab = readClipBpeFile(builtinClipVocabularyPath());
        } catch (const std::exception& e) {
            error = e.what();
        }
    });
    if (!error.empty()) throw Error("the built-in CLIP tokenizer: " + error);
    return vocab;
}

namespace {

ClipSpecialTokens specialsFor(bool padWithExclamation) {
    ClipSpecialTokens s;
    if (padWithExclamation) s.pad = "!";
    return s;
}

}  // namespace

ClipTokenizer builtinClipTokenizer(bool padWithExclamation) {
    const auto& v = builtinClipVocabulary();
    std::unordered_map<std::string, int64_t> ids;
    ids.reserve(v.tokens.size());
    for (size_t i = 0; i < v.tokens.size(); ++i) ids.emplace(v.tokens[i], static_cast<int64_t>(i));
    return ClipTokenizer(std::move(ids), v.merges, specialsFor(padWithExclamation), builtinClipVocabularyPath());
}

void writeBuiltinTokenizerFolder(const std::string& dir, bool padWithExclamation) {
    saveClipTokenizerFolder(builtinClipVocabulary(), dir, specialsFor(padWithExclamation).pad);
}

}  // namespace diffii
