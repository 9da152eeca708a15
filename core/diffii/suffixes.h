// Scene suffixes for the first denoising stage ("… bird standing on a tree branch"). Diff-II summarises the
// training set's contexts (captions of the images) into a short list; a project keeps an editable list, one
// suffix per line.
#pragma once

#include <string>
#include <vector>

namespace diffii {

// Sensible defaults for a metaclass (bird, dog, car, aircraft, flower, food, pet, ...); a generic list otherwise.
std::vector<std::string> defaultSuffixes(const std::string& metaclass);

// One suffix per line; blank lines and lines starting with '#' are ignored; whitespace trimmed; duplicates dropped.
std::vector<std::string> parseSuffixes(const std::string& text);
std::vector<std::string> loadSuffixes(const std::string& path);
void saveSuffixes(const std::string& path, const std::vector<std::string>& suffixes);  // atomic

// Offline summary of image captions ("a small bird standing on a tree branch"): the context phrase after the
// metaclass word (or after the subject's first verb) of every caption, normalised, counted, and the most
// frequent ones returned (at most maxSuffixes, ties by first appearance). Captions file: one caption per line,
// optionally "image<TAB>caption" or "image,caption".
std::vector<std::string> summariseCaptions(const std::vector<std::string>& captions, const std::string& metaclass,
                                           size_t maxSuffixes = 10);
std::vector<std::string> readCaptionsFile(const std::string& path);

}  // namespace diffii
