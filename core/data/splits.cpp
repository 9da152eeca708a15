#include "core/data/splits.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "core/data/dataset.h"
#include "core/data/stable_hash.h"
#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"

namespace fs = std::filesystem;

namespace diffii {

namespace {

constexpr int kSplitSchemaVersion = 1;

// Each class draws from its own stream, so adding or removing a class leaves the others' choices unchanged.
std::mt19937_64 classRng(uint64_t seed, const std::string& className) {
    return std::mt19937_64(splitmix64(seed ^ splitmix64(fnv1a64(className))));
}

// Picks `count` of the class's images at random; both lists keep the dataset's order.
ClassSplit pick(const std::string& name, const std::vector<std::string>& images, size_t count, uint64_t seed) {
    ClassSplit cs;
    cs.name = name;
    auto rng = classRng(seed, name);
    std::vector<size_t> order = portablePermutation(images.size(), rng);
    count = std::min(count, images.size());
    std::vector<char> chosen(images.size(), 0);
    for (size_t i = 0; i < count; ++i) chosen[order[i]] = 1;
    for (size_t i = 0; i < images.size(); ++i) (chosen[i] ? cs.train : cs.heldOut).push_back(images[i]);
    return cs;
}

std::string rootPrefix(const std::string& datasetRoot) {
    std::string root = fs::absolute(datasetRoot).lexically_normal().generic_string();
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    return root;
}

std::string toRelative(const std::string& path, const std::string& root) {
    const std::string rel = fs::path(path).lexically_normal().lexically_relative(root).generic_string();
    if (rel.empty() || rel == "." || rel.rfind("..", 0) == 0 || fs::path(rel).is_absolute())
        throw Error("split image '" + path + "' is not inside the dataset root '" + root + "'");
    return rel;
}

std::string fromRelative(const std::string& rel, const std::string& root, const std::string& file,
                         const std::string& key) {
    const fs::path p(rel);
    const std::string norm = p.lexically_normal().generic_string();
    if (rel.empty() || p.is_absolute() || norm.rfind("..", 0) == 0)
        throw Error(file + ": key '" + key + "': expected a path relative to the dataset root, found '" + rel + "'");
    return root + "/" + norm;
}

std::vector<std::string> stringList(const nlohmann::json& obj, const std::string& key, const std::string& file,
                                    const std::string& where) {
    const auto it = obj.find(key);
    if (it == obj.end()) throw Error(file + ": required key '" + where + key + "' is missing");
    if (!it->is_array()) throw Error(file + ": key '" + where + key + "': expected an array, found " + it->dump());
    std::vector<std::string> out;
    for (const auto& v : *it) {
        if (!v.is_string())
            throw Error(file + ": key '" + where + key + "': expected an array of strings, found " + v.dump());
        out.push_back(v.get<std::string>());
    }
    return out;
}

}  // namespace

int64_t Split::trainCount() const {
    int64_t n = 0;
    for (const auto& c : classes) n += static_cast<int64_t>(c.train.size());
    return n;
}

int64_t Split::heldOutCount() const {
    int64_t n = 0;
    for (const auto& c : classes) n += static_cast<int64_t>(c.heldOut.size());
    return n;
}

uint64_t uniformBelow(std::mt19937_64& rng, uint64_t bound) {
    if (bound <= 1) return 0;
    // Reject the top partial range so every residue is equally likely.
    const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % bound;
    uint64_t x = rng();
    while (x >= limit) x = rng();
    return x % bound;
}

std::vector<size_t> portablePermutation(size_t n, std::mt19937_64& rng) {
    std::vector<size_t> p(n);
    for (size_t i = 0; i < n; ++i) p[i] = i;
    for (size_t i = n; i > 1; --i) {
        const size_t j = static_cast<size_t>(uniformBelow(rng, i));
        std::swap(p[i - 1], p[j]);
    }
    return p;
}

Split kShot(const ImageFolderDataset& dataset, int k, uint64_t seed) {
    if (k < 1) throw Error("k-shot split: k must be at least 1, found " + std::to_string(k));
    Split split;
    split.method = "k-shot";
    split.parameters = {{"k", k}};
    split.seed = seed;
    for (const auto& cls : dataset.classes()) {
        if (cls.images.size() < static_cast<size_t>(k))
            split.notes.push_back("class '" + cls.name + "' has " + std::to_string(cls.images.size()) +
                                  " images, fewer than k = " + std::to_string(k) + "; all are used");
        split.classes.push_back(pick(cls.name, cls.images, static_cast<size_t>(k), seed));
    }
    return split;
}

int longTailCount(int index, int classCount, double imbalanceFactor, int maxPerClass) {
    if (classCount <= 1) return std::max(1, maxPerClass);
    const double exponent = -static_cast<double>(index) / static_cast<double>(classCount - 1);
    const long n = std::lround(static_cast<double>(maxPerClass) * std::pow(imbalanceFactor, exponent));
    return static_cast<int>(std::max(1L, n));
}

Split longTail(const ImageFolderDataset& dataset, double imbalanceFactor, int maxPerClass, uint64_t seed) {
    if (!(imbalanceFactor >= 1.0) || !std::isfinite(imbalanceFactor))
        throw Error("long-tail split: imbalance factor must be a finite number >= 1 (n_max / n_min), found " +
                    std::to_string(imbalanceFactor));
    if (maxPerClass < 1)
        throw Error("long-tail split: maxPerClass must be at least 1, found " + std::to_string(maxPerClass));
    Split split;
    split.method = "long-tail";
    split.parameters = {{"imbalanceFactor", imbalanceFactor}, {"maxPerClass", maxPerClass}};
    split.seed = seed;
    const int c = dataset.classCount();
    for (int i = 0; i < c; ++i) {
        const auto& cls = dataset.classes()[static_cast<size_t>(i)];
        const int want = longTailCount(i, c, imbalanceFactor, maxPerClass);
        if (cls.images.size() < static_cast<size_t>(want))
            split.notes.push_back("class '" + cls.name + "' has " + std::to_string(cls.images.size()) +
                                  " images, fewer than the " + std::to_string(want) +
                                  " the long-tail profile asks for; all are used");
        split.classes.push_back(pick(cls.name, cls.images, static_cast<size_t>(want), seed));
    }
    return split;
}

Split all(const ImageFolderDataset& dataset, uint64_t seed) {
    Split split;
    split.method = "all";
    split.seed = seed;
    for (const auto& cls : dataset.classes()) split.classes.push_back({cls.name, cls.images, {}});
    return split;
}

nlohmann::json splitToJson(const Split& split, const std::string& datasetRoot) {
    const std::string root = rootPrefix(datasetRoot);
    nlohmann::json classes = nlohmann::json::array();
    for (const auto& c : split.classes) {
        nlohmann::json train = nlohmann::json::array(), held = nlohmann::json::array();
        for (const auto& p : c.train) train.push_back(toRelative(p, root));
        for (const auto& p : c.heldOut) held.push_back(toRelative(p, root));
        classes.push_back({{"name", c.name}, {"train", train}, {"heldOut", held}});
    }
    return {{"schemaVersion", kSplitSchemaVersion},
            {"method", split.method},
            {"parameters", split.parameters},
            {"seed", split.seed},
            {"notes", split.notes},
            {"classes", classes}};
}

Split splitFromJson(const nlohmann::json& j, const std::string& datasetRoot, const std::string& file) {
    if (!j.is_object()) throw Error(file + ": expected a JSON object, found " + std::string(j.type_name()));
    const int version = jsonRequire<int>(j, "schemaVersion", file);
    if (version > kSplitSchemaVersion)
        throw Error(file + ": written with split schema version " + std::to_string(version) +
                    ", this build reads versions up to " + std::to_string(kSplitSchemaVersion));
    const std::string root = rootPrefix(datasetRoot);
    Split split;
    split.method = jsonRequire<std::string>(j, "method", file);
    split.parameters = jsonValue<nlohmann::json>(j, "parameters", nlohmann::json::object(), file);
    if (!split.parameters.is_object())
        throw Error(file + ": key 'parameters': expected an object, found " + split.parameters.dump());
    const auto seedIt = j.find("seed");
    if (seedIt == j.end()) throw Error(file + ": required key 'seed' is missing");
    if (!seedIt->is_number_unsigned())
        throw Error(file + ": key 'seed': expected an unsigned 64-bit integer, found " + seedIt->dump());
    split.seed = seedIt->get<uint64_t>();
    if (j.contains("notes")) split.notes = stringList(j, "notes", file, "");
    const auto classesIt = j.find("classes");
    if (classesIt == j.end()) throw Error(file + ": required key 'classes' is missing");
    if (!classesIt->is_array()) throw Error(file + ": key 'classes': expected an array, found " + classesIt->dump());
    for (size_t i = 0; i < classesIt->size(); ++i) {
        const auto& cj = (*classesIt)[i];
        const std::string where = "classes[" + std::to_string(i) + "].";
        if (!cj.is_object()) throw Error(file + ": key 'classes[" + std::to_string(i) + "]': expected an object");
        ClassSplit cs;
        cs.name = jsonRequire<std::string>(cj, "name", file + " (" + where + ")");
        for (const auto& rel : stringList(cj, "train", file, where))
            cs.train.push_back(fromRelative(rel, root, file, where + "train"));
        for (const auto& rel : stringList(cj, "heldOut", file, where))
            cs.heldOut.push_back(fromRelative(rel, root, file, where + "heldOut"));
        split.classes.push_back(std::move(cs));
    }
    return split;
}

void saveSplit(const Split& split, const std::string& path, const std::string& datasetRoot) {
    nlohmann::json j;
    try {
        j = splitToJson(split, datasetRoot);
    } catch (const Error& e) {
        throw Error(path + ": " + e.what());
    }
    writeFileAtomic(path, j.dump(2) + "\n");
}

Split loadSplit(const std::string& path, const std::string& datasetRoot) {
    return splitFromJson(readJsonFile(path), datasetRoot, path);
}

}  // namespace diffii
