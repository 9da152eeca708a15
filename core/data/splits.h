// Training subsets of an ImageFolderDataset: k-shot, long-tail and "all", drawn with explicit seeds so that the
// same dataset, method, parameters and seed always give the same split on every platform (std::shuffle and
// std::uniform_int_distribution are implementation-defined, so the draw uses std::mt19937_64, whose output the
// standard fixes, and a shuffle written here).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace diffii {

class ImageFolderDataset;

struct ClassSplit {
    std::string name;
    std::vector<std::string> train;    // full paths, in the dataset's (sorted) order
    std::vector<std::string> heldOut;  // the class's other images, same order
};

struct Split {
    std::string method;                                    // "k-shot", "long-tail" or "all"
    nlohmann::json parameters = nlohmann::json::object();  // {"k": 5} / {"imbalanceFactor":..,"maxPerClass":..}
    uint64_t seed = 0;
    std::vector<ClassSplit> classes;  // the dataset's classes, same order and indices
    std::vector<std::string> notes;   // e.g. classes that had fewer images than asked for

    int64_t trainCount() const;
    int64_t heldOutCount() const;
};

// k images per class; a class with fewer than k images takes all of them and is named in notes. k >= 1.
Split kShot(const ImageFolderDataset& dataset, int k, uint64_t seed);

// Long-tailed training set (as in the LDAM/Cao et al. CIFAR-LT protocol): class i of C keeps
// round(maxPerClass * imbalanceFactor^(-i/(C-1))) images, at least 1 and at most what the class has (shortfalls
// are noted). imbalanceFactor >= 1 is n_max / n_min; maxPerClass >= 1.
Split longTail(const ImageFolderDataset& dataset, double imbalanceFactor, int maxPerClass, uint64_t seed);

// Every image is a training image; nothing is held out. The seed is only recorded.
Split all(const ImageFolderDataset& dataset, uint64_t seed = 0);

// The count the long-tail rule gives class `index` of `classCount` (before capping at the class size).
int longTailCount(int index, int classCount, double imbalanceFactor, int maxPerClass);

// Uniform integer in [0, bound) from a mt19937_64 by rejection (no modulo bias), identical on every platform.
uint64_t uniformBelow(std::mt19937_64& rng, uint64_t bound);
// Fisher-Yates shuffle of 0..n-1 with uniformBelow.
std::vector<size_t> portablePermutation(size_t n, std::mt19937_64& rng);

// split.json, written atomically with image paths relative to datasetRoot; loading resolves them against
// datasetRoot again. A path outside the root is an error naming it, as are missing keys or a wrong type.
nlohmann::json splitToJson(const Split& split, const std::string& datasetRoot);
Split splitFromJson(const nlohmann::json& j, const std::string& datasetRoot, const std::string& file = "split.json");
void saveSplit(const Split& split, const std::string& path, const std::string& datasetRoot);
Split loadSplit(const std::string& path, const std::string& datasetRoot);

}  // namespace diffii
