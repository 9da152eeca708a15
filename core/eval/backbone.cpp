#include "core/eval/backbone.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "core/data/stable_hash.h"
#include "core/eval/resnet.h"
#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/regular_file.h"
#include "core/io/safetensors.h"

namespace diffii {

namespace fs = std::filesystem;

// A named namespace for the helpers: the core is compiled in unity batches, where another file's anonymous
// namespace (classifier.cpp's, say) shares this translation unit.
namespace backbone_detail {

constexpr const char* kRecipeFormat = "diffii-backbone-recipe";
constexpr const char* kRunFormat = "diffii-backbone-run";
constexpr const char* kExportFormat = "diffii-backbone";
constexpr const char* kRunFile = "backbone-run.json";
constexpr const char* kLicence = "CC-BY-SA-4.0";

// Typed, strict access to a recipe key: a wrong type (a fraction where an integer belongs, a negative seed) is an
// error naming the file and the key.
struct RecipeReader {
    const nlohmann::json& j;
    const std::string& file;
    std::set<std::string> seen;

    const nlohmann::json* find(const std::string& key) {
        seen.insert(key);
        const auto it = j.find(key);
        return it == j.end() || it->is_null() ? nullptr : &*it;
    }
    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        const auto it = j.find(key);
        throw Error(file + ": key '" + key + "' " + what + (it != j.end() ? " (value " + it->dump() + ")" : ""));
    }
    int64_t integer(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
        const auto* v = find(key);
        if (!v) return fallback;
        if (!v->is_number_integer()) fail(key, "must be an integer");
        if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
            fail(key, "is out of range");
        const auto x = v->get<int64_t>();
        if (x < lo || x > hi) fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return x;
    }
    uint64_t unsignedInteger(const std::string& key, uint64_t fallback) {
        const auto* v = find(key);
        if (!v) return fallback;
        if (!v->is_number_integer() || (!v->is_number_unsigned() && v->get<int64_t>() < 0))
            fail(key, "must be a non-negative integer");
        return v->get<uint64_t>();
    }
    // In [lo, hi], or [lo, hi) when hiOpen.
    double number(const std::string& key, double fallback, double lo, double hi, bool loOpen, bool hiOpen) {
        const auto* v = find(key);
        if (!v) return fallback;
        if (!v->is_number()) fail(key, "must be a number");
        const double x = v->get<double>();
        if (!(loOpen ? x > lo : x >= lo) || !(hiOpen ? x < hi : x <= hi))
            fail(key, "must be in " + std::string(loOpen ? "(" : "[") + std::to_string(lo) + ", " + std::to_string(hi) +
                          (hiOpen ? ")" : "]"));
        return x;
    }
    bool boolean(const std::string& key, bool fallback) {
        const auto* v = find(key);
        if (!v) return fallback;
        if (!v->is_boolean()) fail(key, "must be true or false");
        return v->get<bool>();
    }
    std::string string(const std::string& key, const std::string& fallback) {
        const auto* v = find(key);
        if (!v) return fallback;
        if (!v->is_string()) fail(key, "must be a string");
        return v->get<std::string>();
    }
};

std::string lowerAscii(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

nlohmann::json readRunFile(const fs::path& workDir) {
    const auto path = workDir / kRunFile;
    if (!fs::exists(path))
        throw Error(workDir.string() + ": no " + kRunFile +
                    " (not a backbone work folder: run diffii pretrain-backbone " +
                    "--recipe FILE --corpus DIR --work DIR first)");
    const auto j = readJsonFile(path.string());
    if (j.value("format", "") != kRunFormat)
        throw Error(path.string() + ": key 'format' is not \"" + kRunFormat + "\"");
    return j;
}

int64_t batchesPerEpoch(int64_t trainImages, int64_t batch) { return (trainImages + batch - 1) / batch; }

// Forwards the classifier job's reports at most every `interval` (and every epoch's last step, and the last one),
// with the step's loss in the detail; cancellation passes straight through.
JobContext throttledJob(const JobContext* outer, int64_t perEpoch) {
    JobContext inner;
    if (!outer) return inner;
    inner.cancelFlag = outer->cancelFlag;
    if (!outer->onProgress) return inner;
    auto last = std::make_shared<std::chrono::steady_clock::time_point>();
    inner.onProgress = [outer, perEpoch, last](const Progress& p) {
        const auto now = std::chrono::steady_clock::now();
        const bool boundary = p.total > 1 && (p.done == p.total || (perEpoch > 0 && p.done % perEpoch == 0));
        if (!boundary && now - *last < std::chrono::seconds(1)) return;
        *last = now;
        Progress q = p;
        if (p.loss) {
            char buf[32];
            std::snprintf(buf, sizeof buf, ", loss %.4f", *p.loss);
            q.detail += buf;
        }
        outer->report(q);
    };
    return inner;
}

}  // namespace backbone_detail

namespace bbd = backbone_detail;

BackboneRecipe BackboneRecipe::fromFile(const std::string& path) { return fromJson(readJsonFile(path), path); }

BackboneRecipe BackboneRecipe::fromJson(const nlohmann::json& j, const std::string& path) {
    if (!j.is_object()) throw Error(path + ": a backbone recipe is a JSON object");
    bbd::RecipeReader in{j, path, {}};
    if (in.string("format", "") != bbd::kRecipeFormat)
        throw Error(path + ": key 'format' must be \"" + std::string(bbd::kRecipeFormat) + "\"");
    (void)in.integer("version", 1, 1, 1);
    BackboneRecipe r;
    r.path = path;
    r.seed = in.unsignedInteger("seed", r.seed);
    r.arch = in.string("arch", r.arch);
    try {
        (void)resnetConfig(r.arch);
    } catch (const Error& e) {
        in.fail("arch", std::string("is not supported: ") + e.what());
    }
    r.width = in.integer("width", r.width, 1, 512);
    r.resolution = in.integer("resolution", r.resolution, 16, 1024);
    r.epochs = static_cast<int>(in.integer("epochs", r.epochs, 1, 100000));
    r.batchSize = static_cast<int>(in.integer("batch_size", r.batchSize, 2, 65536));
    r.lr = in.number("lr", r.lr, 0.0, 10.0, true, false);
    r.momentum = in.number("momentum", r.momentum, 0.0, 1.0, false, true);
    r.weightDecay = in.number("weight_decay", r.weightDecay, 0.0, 1.0, false, false);
    r.labelSmoothing = in.number("label_smoothing", r.labelSmoothing, 0.0, 1.0, false, true);
    r.warmupFraction = in.number("warmup_fraction", r.warmupFraction, 0.0, 1.0, false, true);
    r.cropPadding = in.integer("crop_padding", r.cropPadding, 0, r.resolution);
    r.horizontalFlip = in.boolean("horizontal_flip", r.horizontalFlip);
    r.minTrainImages = static_cast<int>(in.integer("min_train_images", r.minTrainImages, 1, 1000000));
    if (const auto* v = in.find("test_styles")) {
        if (!v->is_array() || v->empty()) in.fail("test_styles", "must be a non-empty list of corpus style names");
        r.testStyles.clear();
        for (const auto& s : *v) {
            if (!s.is_string() || bbd::trimmed(s.get<std::string>()).empty())
                in.fail("test_styles", "must be a non-empty list of corpus style names");
            r.testStyles.push_back(bbd::trimmed(s.get<std::string>()));
        }
        std::sort(r.testStyles.begin(), r.testStyles.end());
        if (std::adjacent_find(r.testStyles.begin(), r.testStyles.end()) != r.testStyles.end())
            in.fail("test_styles", "names a style twice");
    }
    for (const auto& item : j.items())
        if (!item.key().empty() && item.key()[0] != '_' && !in.seen.count(item.key()))
            throw Error(path + ": unknown key '" + item.key() +
                        "' (keys: format, version, seed, arch, width, resolution, epochs, batch_size, lr, momentum, "
                        "weight_decay, label_smoothing, warmup_fraction, crop_padding, horizontal_flip, test_styles, "
                        "min_train_images; '_' starts a comment)");
    return r;
}

nlohmann::json BackboneRecipe::identity() const {
    return {{"format", bbd::kRecipeFormat},
            {"version", 1},
            {"seed", seed},
            {"arch", arch},
            {"width", width},
            {"resolution", resolution},
            {"epochs", epochs},
            {"batch_size", batchSize},
            {"lr", lr},
            {"momentum", momentum},
            {"weight_decay", weightDecay},
            {"label_smoothing", labelSmoothing},
            {"warmup_fraction", warmupFraction},
            {"crop_padding", cropPadding},
            {"horizontal_flip", horizontalFlip},
            {"test_styles", testStyles},
            {"min_train_images", minTrainImages}};
}

std::string BackboneRecipe::identityHash() const {
    StableHasher h;
    h.updateString(identity().dump());
    return h.hex().substr(0, 16);
}

ClassifierRecipe BackboneRecipe::classifierRecipe() const {
    ClassifierRecipe c;
    c.arch = arch;
    c.width = width;
    c.weights = "";
    c.epochs = epochs;
    c.batchSize = batchSize;
    c.lr = lr;
    c.momentum = momentum;
    c.weightDecay = weightDecay;
    c.labelSmoothing = labelSmoothing;
    c.warmupFraction = warmupFraction;
    c.resolution = resolution;
    c.cropPadding = cropPadding;
    c.horizontalFlip = horizontalFlip;
    c.replaceProbability = 0.0;
    c.mixing = BatchMixing::None;
    c.seed = seed;
    return c;
}

BackboneData backboneData(const BackboneRecipe& recipe, const std::string& corpusDir) {
    const std::string recipeFile = recipe.path.empty() ? std::string("backbone recipe") : recipe.path;
    const fs::path root = fs::absolute(corpusDir).lexically_normal();
    const fs::path listPath = root / "captions.jsonl";
    std::ifstream in(listPath);
    if (!in)
        throw Error(listPath.string() + ": cannot be read (build the corpus with resources/emoji-birds/rebuild.sh)");
    struct Record {
        std::string file, name, style;
    };
    std::vector<Record> records;
    std::set<std::string> styles;
    std::string line;
    int64_t lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (bbd::trimmed(line).empty()) continue;
        const std::string where = listPath.string() + ":" + std::to_string(lineNo);
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const std::exception& e) {
            throw Error(where + ": not JSON: " + e.what());
        }
        Record r;
        const std::pair<const char*, std::string*> fields[] = {
            {"file", &r.file}, {"name", &r.name}, {"style", &r.style}};
        for (const auto& [key, into] : fields) {
            const auto it = j.find(key);
            if (it == j.end() || !it->is_string() || bbd::trimmed(it->get<std::string>()).empty())
                throw Error(where + ": key '" + key + "' (a non-empty string) is missing");
            *into = it->get<std::string>();
        }
        r.name = bbd::lowerAscii(bbd::trimmed(r.name));
        r.file = (root / r.file).lexically_normal().string();
        styles.insert(r.style);
        records.push_back(std::move(r));
    }
    if (records.empty()) throw Error(listPath.string() + ": holds no images");
    for (const auto& s : recipe.testStyles)
        if (!styles.count(s)) {
            std::string known;
            for (const auto& k : styles) known += (known.empty() ? "" : ", ") + k;
            throw Error(recipeFile + ": key 'test_styles' names style '" + s + "', which " + listPath.string() +
                        " does not have (styles: " + known + ")");
        }
    const std::set<std::string> held(recipe.testStyles.begin(), recipe.testStyles.end());
    if (held.size() == styles.size()) throw Error(recipeFile + ": key 'test_styles' holds out every corpus style");

    std::map<std::string, int64_t> trainCount;
    for (const auto& r : records)
        if (!held.count(r.style)) ++trainCount[r.name];
    BackboneData out;
    out.corpusImages = static_cast<int64_t>(records.size());
    for (const auto& s : styles)
        if (!held.count(s)) out.trainStyles.push_back(s);
    std::map<std::string, int64_t> label;
    for (const auto& [name, n] : trainCount)
        if (n >= recipe.minTrainImages) {
            label[name] = static_cast<int64_t>(out.data.classNames.size());
            out.data.classNames.push_back(name);
        }
    std::set<std::string> dropped;
    for (const auto& r : records) {
        const auto it = label.find(r.name);
        if (it == label.end()) {
            ++out.droppedImages;
            dropped.insert(r.name);
            continue;
        }
        (held.count(r.style) ? out.data.test : out.data.train).push_back({r.file, it->second, {}});
    }
    out.droppedClasses = static_cast<int64_t>(dropped.size());
    if (out.data.classNames.size() < 2)
        throw Error(listPath.string() + ": fewer than two names have " + std::to_string(recipe.minTrainImages) +
                    " training images (recipe key 'min_train_images')");
    if (out.data.test.empty())
        throw Error(listPath.string() +
                    ": no image of the held-out styles (recipe key 'test_styles') is of a kept class");
    return out;
}

BackboneResult pretrainBackbone(const BackboneRecipe& recipe, const std::string& corpusDir, const std::string& workDir,
                                const JobContext* job) {
    const auto t0 = std::chrono::steady_clock::now();
    if (job) job->report("reading images", 0, 1, "the corpus");
    const auto split = backboneData(recipe, corpusDir);
    const auto& data = split.data;
    const auto identity = recipe.identity();
    const fs::path work(workDir);
    const auto runPath = work / bbd::kRunFile;
    const auto corpus = fs::absolute(corpusDir).lexically_normal().string();
    const auto perEpoch = bbd::batchesPerEpoch(static_cast<int64_t>(data.train.size()), recipe.batchSize);
    nlohmann::json run = {{"format", bbd::kRunFormat},
                          {"version", 1},
                          {"recipe", identity},
                          {"recipe_hash", recipe.identityHash()},
                          {"recipe_file", recipe.path},
                          {"corpus", corpus},
                          {"corpus_images", split.corpusImages},
                          {"classes", data.classNames},
                          {"train_styles", split.trainStyles},
                          {"test_styles", recipe.testStyles},
                          {"train_images", data.train.size()},
                          {"test_images", data.test.size()},
                          {"dropped_classes", split.droppedClasses},
                          {"dropped_images", split.droppedImages},
                          {"batches_per_epoch", perEpoch}};
    if (fs::exists(runPath)) {
        const auto saved = bbd::readRunFile(work);
        if (saved.value("recipe", nlohmann::json()) != identity ||
            saved.value("classes", nlohmann::json()) != run["classes"] ||
            saved.value("train_images", int64_t{-1}) != static_cast<int64_t>(data.train.size()) ||
            saved.value("test_images", int64_t{-1}) != static_cast<int64_t>(data.test.size()))
            throw Error(runPath.string() + ": made with another recipe or corpus; remove " + workDir +
                        " or choose another --work");
    } else {
        createFolders(work);
        writeFileAtomic(runPath.string(), run.dump(2) + "\n");
    }
    const auto inner = bbd::throttledJob(job, perEpoch);
    const auto res = trainClassifier(data, recipe.classifierRecipe(), workDir, job ? &inner : nullptr);
    BackboneResult out;
    out.heldOutAccuracy = res.accuracy;
    out.epochAccuracy = res.epochAccuracy;
    out.epochs = static_cast<int64_t>(res.epochAccuracy.size());
    out.steps = out.epochs * perEpoch;
    out.classes = static_cast<int64_t>(data.classNames.size());
    out.trainImages = static_cast<int64_t>(data.train.size());
    out.testImages = static_cast<int64_t>(data.test.size());
    out.resumedFromEpoch = res.resumedFromEpoch;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

BackboneExport exportBackbone(const std::string& workDir, const std::string& outFile) {
    const fs::path work(workDir);
    // Never into the work folder (--export W/checkpoint.safetensors replaced the checkpoint and lost the run).
    requireOutside(outFile, work, "the exported backbone");
    if (std::error_code ec; fs::is_directory(outFile, ec))
        throw Error(outFile + ": is a folder; give the .safetensors file to write");
    const auto run = bbd::readRunFile(work);
    const auto runPath = (work / bbd::kRunFile).string();
    const auto recipe =
        BackboneRecipe::fromJson(jsonRequire<nlohmann::json>(run, "recipe", runPath), runPath + " [recipe]");
    const auto classes = jsonRequire<std::vector<std::string>>(run, "classes", runPath);
    const auto perEpoch = jsonRequire<int64_t>(run, "batches_per_epoch", runPath);
    const auto ckPath = (work / "checkpoint.safetensors").string();
    if (!fs::exists(ckPath))
        throw Error(ckPath + ": missing (no epoch has finished yet; run diffii pretrain-backbone first)");
    SafeTensorsFile ck(ckPath);
    const auto it = ck.metadata().find("checkpoint");
    if (it == ck.metadata().end()) throw Error(ckPath + ": metadata 'checkpoint' is missing");
    nlohmann::json saved;
    try {
        saved = nlohmann::json::parse(it->second);
    } catch (const std::exception& e) {
        throw Error(ckPath + ": metadata 'checkpoint' is not JSON: " + e.what());
    }
    if (saved.value("recipe", nlohmann::json()) != recipe.classifierRecipe().toJson())
        throw Error(ckPath + ": made with another recipe than " + runPath);
    const auto epochs = jsonRequire<int64_t>(saved, "epoch", ckPath + " [checkpoint]");
    const auto epochAccuracy = jsonRequire<std::vector<double>>(saved, "epoch_accuracy", ckPath + " [checkpoint]");
    if (epochs < 1 || epochAccuracy.size() != static_cast<size_t>(epochs))
        throw Error(ckPath + ": no finished epoch is recorded");

    // The network of the recipe's architecture names every tensor the file must hold.
    auto config = resnetConfig(recipe.arch, static_cast<int64_t>(classes.size()));
    config.width = recipe.width;
    ResNet net(config);
    std::map<std::string, at::Tensor> tensors;
    for (const auto& [name, p] : net->namedTensors(false)) {
        if (!ck.contains(name)) throw Error(ckPath + ": key '" + name + "' is missing");
        const auto t = ck.tensor(name);
        if (t.sizes() != p.sizes())
            throw Error(ckPath + ": key '" + name + "' has another shape than " + config.describe());
        tensors[name] = t.to(torch::kFloat16);
    }
    for (const auto& [name, b] : net->namedTensors(true)) {
        const auto key = "buffer." + name;
        if (!ck.contains(key)) throw Error(ckPath + ": key '" + key + "' is missing");
        const auto t = ck.tensor(key);
        if (t.sizes() != b.sizes())
            throw Error(ckPath + ": key '" + key + "' has another shape than " + config.describe());
        tensors[name] = t.is_floating_point() ? t.to(torch::kFloat16) : t.to(torch::kInt64);
    }
    const double accuracy = epochAccuracy.back();
    const int64_t steps = epochs * perEpoch;
    std::map<std::string, std::string> meta = {
        {"format", bbd::kExportFormat},
        {"recipe", recipe.identity().dump()},
        {"recipe_hash", recipe.identityHash()},
        {"recipe_file", fs::path(run.value("recipe_file", "")).filename().string()},
        {"arch", recipe.arch},
        {"block", config.block == ResNetBlock::Bottleneck ? "Bottleneck" : "BasicBlock"},
        {"layers", nlohmann::json(config.layers).dump()},
        {"width", std::to_string(config.width)},
        {"num_classes", std::to_string(classes.size())},
        {"resolution", std::to_string(recipe.resolution)},
        {"normalization", "imagenet"},
        {"held_out_styles", nlohmann::json(recipe.testStyles).dump()},
        {"train_styles", run.value("train_styles", nlohmann::json::array()).dump()},
        {"held_out_accuracy", nlohmann::json(accuracy).dump()},
        {"epoch_accuracy", nlohmann::json(epochAccuracy).dump()},
        {"epochs", std::to_string(epochs)},
        {"steps", std::to_string(steps)},
        {"train_images", run.value("train_images", nlohmann::json(0)).dump()},
        {"test_images", run.value("test_images", nlohmann::json(0)).dump()},
        {"classes", nlohmann::json(classes).dump()},
        {"licence", bbd::kLicence},
        {"made_by", "diffii pretrain-backbone (core/eval/backbone.cpp)"}};
    if (fs::path(outFile).has_parent_path()) createFolders(fs::path(outFile).parent_path());
    saveSafetensors(outFile, tensors, meta);  // atomic: a temporary file beside, fsync, rename
    try {
        (void)loadResNet(outFile);  // strict: what classify will load
    } catch (const Error& e) {
        throw Error(outFile + ": the export does not load back: " + e.what());
    }
    BackboneExport out;
    out.file = outFile;
    out.epochs = epochs;
    out.steps = steps;
    out.heldOutAccuracy = accuracy;
    out.tensors = static_cast<int64_t>(tensors.size());
    out.bytes = static_cast<int64_t>(fs::file_size(outFile));
    return out;
}

nlohmann::json backboneMetadata(const std::string& file) {
    SafeTensorsFile f(file);
    const auto& meta = f.metadata();
    const auto fmt = meta.find("format");
    if (fmt == meta.end() || fmt->second != bbd::kExportFormat)
        throw Error(file + ": metadata 'format' is not \"" + std::string(bbd::kExportFormat) +
                    "\" (not a diffii backbone)");
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : meta) {
        try {
            out[k] = nlohmann::json::parse(v);
        } catch (const std::exception&) {
            out[k] = v;
        }
    }
    return out;
}

}  // namespace diffii
