#include "core/eval/classifier_training.h"

#include "core/eval/resnet.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/data/dataset.h"
#include "core/data/project.h"
#include "core/data/stable_hash.h"
#include "core/data/synthetic_manifest.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/regular_file.h"
#include "core/io/safetensors.h"
#include "core/jobs/block_cache.h"
#include "core/jobs/threads.h"
#include "core/training/curves.h"
#include "core/training/random.h"
#include "core/training/training_state.h"

namespace diffii {

namespace fs = std::filesystem;

namespace {

constexpr const char* kCheckpointFormat = "diffii-classifier-checkpoint";
enum Stream : uint64_t { kInit = 1, kPermutation = 2, kBatch = 3 };

// Every image of a split in memory at the training size, (N, 3, S, S) in [0, 1].
torch::Tensor loadImages(const std::vector<ClassifierSample>& samples, int64_t size, const JobContext* job,
                         const std::string& what) {
    std::vector<torch::Tensor> images;
    images.reserve(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
        if (job) job->throwIfCancelled();
        images.push_back(resizeImage(loadImageRgb(samples[i].path), size, size));
        // A stage of its own: reported as "classifier 0/1", a log took the training's steps that follow for a stage
        // beginning again and printed none of them.
        if (job) job->report("reading images", static_cast<int64_t>(i + 1), static_cast<int64_t>(samples.size()), what);
    }
    if (images.empty()) return torch::zeros({0, 3, size, size});
    return torch::stack(images);
}

torch::Tensor targetsOf(const ClassifierSample& s, int64_t classes) {
    if (!s.target.empty()) return torch::tensor(s.target, torch::kFloat32);
    auto t = torch::zeros({classes});
    t[s.label] = 1.0;
    return t;
}

// RandomCrop(size, padding) with zero padding and a horizontal flip with probability 0.5, per image.
torch::Tensor augment(const torch::Tensor& batch, const ClassifierRecipe& r, at::Generator& gen) {
    const int64_t pad = r.cropPadding, size = batch.size(2);
    const auto padded = pad > 0 ? torch::constant_pad_nd(batch, {pad, pad, pad, pad}, 0.0) : batch;
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < batch.size(0); ++i) {
        const int64_t top = pad > 0 ? torch::randint(0, 2 * pad + 1, {1}, gen).item<int64_t>() : 0;
        const int64_t left = pad > 0 ? torch::randint(0, 2 * pad + 1, {1}, gen).item<int64_t>() : 0;
        auto img = padded[i].slice(1, top, top + size).slice(2, left, left + size);
        if (r.horizontalFlip && torch::rand({1}, gen).item<double>() < 0.5) img = img.flip({2});
        out.push_back(img);
    }
    return torch::stack(out);
}

std::string dataIdentity(const ClassifierData& d) {
    nlohmann::json j;
    j["classes"] = d.classNames;
    // A soft-labelled sample (Diff-Mix) counts with its target: the same images with and without their soft labels
    // train another classifier. Samples without one keep the plain path (the fingerprints of earlier runs hold).
    auto paths = [](const std::vector<ClassifierSample>& s) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& x : s)
            a.push_back(x.target.empty() ? nlohmann::json(x.path) : nlohmann::json{x.path, x.target});
        return a;
    };
    j["train"] = paths(d.train);
    j["test"] = paths(d.test);
    j["synthetic"] = paths(d.synthetic);
    return j.dump();
}

}  // namespace

std::string classifierDataFingerprint(const ClassifierData& data) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a64(dataIdentity(data))));
    return buf;
}

namespace {

struct Evaluation {
    double accuracy = 0.0;
    std::vector<std::vector<int64_t>> confusion;
};

Evaluation evaluate(ResNet& net, const torch::Tensor& images, const std::vector<ClassifierSample>& samples,
                    int64_t classes) {
    torch::NoGradGuard g;
    net->eval();
    Evaluation e;
    e.confusion.assign(static_cast<size_t>(classes), std::vector<int64_t>(static_cast<size_t>(classes), 0));
    int64_t correct = 0;
    for (int64_t start = 0; start < images.size(0); start += 64) {
        const auto batch = images.slice(0, start, std::min<int64_t>(start + 64, images.size(0)));
        const auto pred = net->forward(imagenetNormalize(batch)).argmax(1);
        for (int64_t i = 0; i < pred.size(0); ++i) {
            const int64_t truth = samples[static_cast<size_t>(start + i)].label;
            const int64_t p = pred[i].item<int64_t>();
            ++e.confusion[static_cast<size_t>(truth)][static_cast<size_t>(p)];
            correct += p == truth;
        }
    }
    e.accuracy = images.size(0) > 0 ? static_cast<double>(correct) / static_cast<double>(images.size(0)) : 0.0;
    net->train();
    return e;
}

}  // namespace

const char* batchMixingName(BatchMixing m) {
    switch (m) {
        case BatchMixing::Mixup:
            return "mixup";
        case BatchMixing::CutMix:
            return "cutmix";
        default:
            return "none";
    }
}

BatchMixing parseBatchMixing(const std::string& name) {
    if (name == "none") return BatchMixing::None;
    if (name == "mixup") return BatchMixing::Mixup;
    if (name == "cutmix") return BatchMixing::CutMix;
    throw Error("batch mixing '" + name + "' is not one of none, mixup, cutmix");
}

nlohmann::json ClassifierRecipe::toJson() const {
    return {{"arch", arch},
            {"width", width},
            {"weights", weights.empty() ? "none" : weights},
            {"epochs", epochs},
            {"batch_size", batchSize},
            {"lr", lr},
            {"momentum", momentum},
            {"weight_decay", weightDecay},
            {"label_smoothing", labelSmoothing},
            {"warmup_fraction", warmupFraction},
            {"resolution", resolution},
            {"crop_padding", cropPadding},
            {"horizontal_flip", horizontalFlip},
            {"replace_probability", replaceProbability},
            {"mixing", batchMixingName(mixing)},
            {"mixing_probability", mixingProbability},
            {"seed", seed}};
}

nlohmann::json ClassifierResult::toJson() const {
    nlohmann::json pc = nlohmann::json::object();
    for (const auto& [k, v] : perClass) pc[k] = v;
    return {{"accuracy", accuracy},
            {"best_epoch_accuracy_optimistic", bestAccuracy},
            {"best_epoch", bestEpoch},
            {"epoch_accuracy", epochAccuracy},
            {"per_class", pc},
            {"confusion", confusion},
            {"replaced_fraction", replacedFraction},
            {"probe_accuracy", probeAccuracy},
            {"seconds", seconds},
            {"resumed_from_epoch", resumedFromEpoch}};
}

torch::Tensor hardLabelLoss(const torch::Tensor& logits, const torch::Tensor& labels, double smoothing) {
    return torch::nn::functional::cross_entropy(
        logits, labels, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(smoothing));
}

torch::Tensor softLabelLoss(const torch::Tensor& logits, const torch::Tensor& targets, double smoothing) {
    const int64_t classes = logits.size(1);
    const auto t = smoothing / static_cast<double>(classes - 1) + targets * (1.0 - smoothing);
    return -(t * torch::log_softmax(logits, -1)).sum(-1).mean();
}

std::pair<double, double> diffMixLabelWeights(double strength, double gamma, double scaler) {
    const double w = std::pow(strength, gamma);
    return {scaler * (1.0 - w), scaler * w};
}

std::unique_ptr<torch::optim::SGD> makeClassifierOptimizer(torch::nn::Module& net, const ClassifierRecipe& r) {
    return std::make_unique<torch::optim::SGD>(
        net.parameters(), torch::optim::SGDOptions(r.lr).momentum(r.momentum).weight_decay(r.weightDecay));
}

double classifierLearningRate(const ClassifierRecipe& r, int64_t iteration, int64_t iterations) {
    const auto warmup = static_cast<int64_t>(std::floor(r.warmupFraction * static_cast<double>(iterations)));
    if (iteration < warmup) return r.lr * linearWarmup(iteration + 1, warmup);
    const double span = static_cast<double>(std::max<int64_t>(1, iterations - warmup));
    const double progress = static_cast<double>(iteration - warmup) / span;
    return 0.5 * r.lr * (1.0 + std::cos(M_PI * progress));
}

std::pair<torch::Tensor, torch::Tensor> mixBatch(const torch::Tensor& images, const torch::Tensor& targets,
                                                 BatchMixing mixing, at::Generator& gen) {
    if (mixing == BatchMixing::None || images.size(0) < 2) return {images, targets};
    const auto perm = torch::randperm(images.size(0), gen, torch::kLong);
    double lambda = torch::rand({1}, gen).item<double>();  // Beta(1, 1) is uniform on [0, 1]
    torch::Tensor mixed;
    if (mixing == BatchMixing::Mixup) {
        mixed = lambda * images + (1 - lambda) * images.index_select(0, perm);
    } else {
        const int64_t h = images.size(2), w = images.size(3);
        const double cut = std::sqrt(1.0 - lambda);
        const auto ch = static_cast<int64_t>(std::floor(h * cut)), cw = static_cast<int64_t>(std::floor(w * cut));
        const int64_t cy = torch::randint(0, h, {1}, gen).item<int64_t>();
        const int64_t cx = torch::randint(0, w, {1}, gen).item<int64_t>();
        const int64_t y0 = std::clamp<int64_t>(cy - ch / 2, 0, h), y1 = std::clamp<int64_t>(cy + ch / 2, 0, h);
        const int64_t x0 = std::clamp<int64_t>(cx - cw / 2, 0, w), x1 = std::clamp<int64_t>(cx + cw / 2, 0, w);
        mixed = images.clone();
        mixed.slice(2, y0, y1).slice(3, x0, x1).copy_(images.index_select(0, perm).slice(2, y0, y1).slice(3, x0, x1));
        lambda = 1.0 - static_cast<double>((y1 - y0) * (x1 - x0)) / static_cast<double>(h * w);
    }
    return {mixed, lambda * targets + (1 - lambda) * targets.index_select(0, perm)};
}

std::vector<ClassifierSample> syntheticSamples(const std::string& syntheticDir,
                                               const std::vector<std::string>& classNames, double diffMixGamma) {
    auto classIndex = [&](const std::string& name) {
        const auto it = std::find(classNames.begin(), classNames.end(), name);
        return it == classNames.end() ? -1 : static_cast<int>(it - classNames.begin());
    };
    std::vector<ClassifierSample> out;
    if (readExportState(syntheticDir) == "incomplete")
        throw Error(syntheticDir + ": an unfinished export (" + kExportMarker +
                    " says it stopped midway): run diffii export again");
    ImageFolderDataset synthetic(syntheticDir);
    // Soft labels of Diff-Mix images from the set's manifest.jsonl (core/data/synthetic_manifest.h):
    // {"outputPath", "strategy": "diff-mix", "sourceClass", "targetClass", "strength"}.
    std::map<std::string, std::vector<float>> soft;
    const auto manifest = fs::path(syntheticDir) / "manifest.jsonl";
    if (fs::exists(manifest)) {
        std::ifstream in(manifest);
        std::string line;
        int64_t n = 0;
        while (std::getline(in, line)) {
            ++n;
            if (line.empty()) continue;
            nlohmann::json r;
            try {
                r = nlohmann::json::parse(line);
            } catch (const std::exception& e) {
                throw Error(manifest.string() + ": line " + std::to_string(n) + " is not JSON: " + e.what());
            }
            if (r.value("strategy", "") != "diff-mix") continue;
            const int src = classIndex(r.value("sourceClass", ""));
            const int tar = classIndex(r.value("targetClass", ""));
            if (src < 0 || tar < 0)
                throw Error(manifest.string() + ": line " + std::to_string(n) + " names a class that is not trained");
            std::vector<float> t(classNames.size(), 0.0f);
            const auto [ws, wt] = diffMixLabelWeights(r.value("strength", 0.0), diffMixGamma);
            t[static_cast<size_t>(src)] += static_cast<float>(ws);
            t[static_cast<size_t>(tar)] += static_cast<float>(wt);
            // Keyed by the path as the dataset lists it (below: under its resolved root), whatever form of the folder's
            // path was given: a relative --synthetic never matched before, and the soft labels were silently lost.
            soft[(fs::path(synthetic.root()) / r.value("outputPath", "")).lexically_normal().string()] = t;
        }
    }
    size_t softUsed = 0;
    for (const auto& c : synthetic.classes()) {
        const int label = classIndex(c.name);
        if (label < 0) throw Error(syntheticDir + ": class '" + c.name + "' is not one of the trained classes");
        for (const auto& p : c.images) {
            const auto it = soft.find(fs::path(p).lexically_normal().string());
            softUsed += it != soft.end() ? 1 : 0;
            out.push_back({p, label, it == soft.end() ? std::vector<float>{} : it->second});
        }
    }
    if (softUsed != soft.size())
        throw Error(manifest.string() + ": " + std::to_string(soft.size() - softUsed) + " of its " +
                    std::to_string(soft.size()) + " Diff-Mix images (soft labels) are not in the set's folders");
    return out;
}

ClassifierData loadClassifierData(const std::string& trainDir, const std::string& testDir,
                                  const std::string& syntheticDir, double diffMixGamma) {
    ImageFolderDataset train(trainDir), test(testDir);
    ClassifierData d;
    for (const auto& c : train.classes()) d.classNames.push_back(c.name);
    for (const auto& e : test.emptyClasses())
        throw Error(testDir + ": class folder '" + e + "' has no images (every class needs test images)");
    for (const auto& e : train.emptyClasses())
        throw Error(trainDir + ": class folder '" + e + "' has no images (every class needs training images)");
    if (d.classNames.size() < 2) throw Error(trainDir + ": a classifier needs at least two classes");
    for (const auto& c : test.classes())
        if (train.classIndex(c.name) < 0) throw Error(testDir + ": class '" + c.name + "' is not in " + trainDir);
    for (const auto& c : train.classes())
        if (test.classIndex(c.name) < 0) throw Error(trainDir + ": class '" + c.name + "' is not in " + testDir);
    for (size_t c = 0; c < train.classes().size(); ++c)
        for (const auto& p : train.classes()[c].images) d.train.push_back({p, static_cast<int64_t>(c), {}});
    for (const auto& c : test.classes())
        for (const auto& p : c.images) d.test.push_back({p, train.classIndex(c.name), {}});
    if (syntheticDir.empty()) return d;

    d.synthetic = syntheticSamples(syntheticDir, d.classNames, diffMixGamma);
    return d;
}

ClassifierResult trainClassifier(const ClassifierData& data, const ClassifierRecipe& r, const std::string& outDir,
                                 const JobContext* job) {
    // Each value named as the recipe's field (the CLI's option of the same name: --epochs, --batch, --size, --lr, -p).
    const auto bad = [](const char* name, const std::string& rule, const std::string& got) {
        throw Error(std::string("classifier: ") + name + " must be " + rule + ", got " + got);
    };
    if (r.epochs < 1) bad("epochs", ">= 1", std::to_string(r.epochs));
    if (r.batchSize < 1) bad("batch", ">= 1", std::to_string(r.batchSize));
    if (r.resolution < 8) bad("size", ">= 8", std::to_string(r.resolution));
    if (!(r.lr > 0) || !std::isfinite(r.lr)) bad("lr", "a finite number > 0", std::to_string(r.lr));
    if (!(r.replaceProbability >= 0 && r.replaceProbability <= 1))
        bad("p", "in [0, 1]", std::to_string(r.replaceProbability));
    if (data.train.empty() || data.test.empty()) throw Error("classifier: no training or no test images");
    createFolders(outDir);
    flushDenormalsOnComputeThreads();
    const LargeBlocksMapped heapPolicy;  // training (core/jobs/block_cache.h)
    const auto classes = static_cast<int64_t>(data.classNames.size());
    const auto t0 = std::chrono::steady_clock::now();

    // The network: a weights file's architecture with a new fc, or the recipe's from scratch.
    torch::manual_seed(splitmix64(r.seed ^ kInit));
    const bool scratch = r.weights.empty() || r.weights == "none";
    auto config = resnetConfig(r.arch, classes);
    config.width = r.width;
    ResNet net = scratch ? ResNet(config) : loadResNet(r.weights);
    if (scratch) net->initialiseFromScratch();
    net->resetClassifier(classes);
    net->train();
    auto optimizer = makeClassifierOptimizer(*net, r);

    const auto trainImages = loadImages(data.train, r.resolution, job, "training image");
    const auto testImages = loadImages(data.test, r.resolution, job, "test image");
    const auto synthImages = loadImages(data.synthetic, r.resolution, job, "synthetic image");
    std::vector<std::vector<int64_t>> synthByClass(static_cast<size_t>(classes));
    for (size_t i = 0; i < data.synthetic.size(); ++i)
        synthByClass[static_cast<size_t>(data.synthetic[i].label)].push_back(static_cast<int64_t>(i));

    const auto n = static_cast<int64_t>(data.train.size());
    const int64_t perEpoch = (n + r.batchSize - 1) / r.batchSize;
    const int64_t iterations = perEpoch * r.epochs;

    // Resume: the same recipe and data continue from the last finished epoch.
    nlohmann::json identity = {{"format", kCheckpointFormat}, {"recipe", r.toJson()}, {"data", dataIdentity(data)}};
    const auto checkpointPath = (fs::path(outDir) / "checkpoint.safetensors").string();
    ClassifierResult result;
    int64_t replaced = 0, seen = 0;
    int64_t startEpoch = 0;
    if (fs::exists(checkpointPath)) {
        SafeTensorsFile ck(checkpointPath);
        const auto it = ck.metadata().find("checkpoint");
        if (it == ck.metadata().end()) throw Error(checkpointPath + ": metadata 'checkpoint' is missing");
        const auto saved = nlohmann::json::parse(it->second);
        if (saved.value("recipe", nlohmann::json()) != identity["recipe"] ||
            saved.value("data", std::string()) != identity["data"].get<std::string>())
            throw Error(checkpointPath + ": made with another recipe or other images; remove " + outDir +
                        " or choose another --out");
        restoreTrainingState(*optimizer, net->namedTensors(false), ck);
        {
            torch::NoGradGuard g;
            for (auto& [name, b] : net->namedTensors(true)) {
                if (!ck.contains("buffer." + name))
                    throw Error(checkpointPath + ": key 'buffer." + name + "' is missing");
                b.copy_(ck.tensor("buffer." + name));
            }
        }
        startEpoch = saved.at("epoch").get<int64_t>();
        result.epochAccuracy = saved.at("epoch_accuracy").get<std::vector<double>>();
        replaced = saved.at("replaced").get<int64_t>();
        seen = saved.at("seen").get<int64_t>();
        result.resumedFromEpoch = startEpoch;
    }
    auto writeCheckpoint = [&](int64_t epoch) {
        std::map<std::string, at::Tensor> tensors;
        storeTrainingState(*optimizer, net->namedTensors(false), tensors);
        for (auto& [name, b] : net->namedTensors(true)) tensors["buffer." + name] = b.detach().clone();
        nlohmann::json j = identity;
        j["epoch"] = epoch;
        j["epoch_accuracy"] = result.epochAccuracy;
        j["replaced"] = replaced;
        j["seen"] = seen;
        saveSafetensors(checkpointPath, tensors, {{"checkpoint", j.dump()}});
    };

    Evaluation last;
    for (int64_t epoch = startEpoch; epoch < r.epochs; ++epoch) {
        auto permGen = derivedGenerator(r.seed, kPermutation, static_cast<uint64_t>(epoch));
        const auto perm = torch::randperm(n, permGen, torch::kLong);
        for (int64_t b = 0; b < perEpoch; ++b) {
            if (job) job->throwIfCancelled();
            const int64_t it = epoch * perEpoch + b;
            auto gen = derivedGenerator(r.seed, kBatch, static_cast<uint64_t>(it));
            std::vector<torch::Tensor> images, targets;
            bool soft = false;
            for (int64_t k = b * r.batchSize; k < std::min(n, (b + 1) * r.batchSize); ++k) {
                const auto idx = perm[k].item<int64_t>();
                const auto& sample = data.train[static_cast<size_t>(idx)];
                const auto& pool = synthByClass[static_cast<size_t>(sample.label)];
                const double u = torch::rand({1}, gen).item<double>();
                ++seen;
                if (!pool.empty() && u < r.replaceProbability) {
                    const auto pick = pool[static_cast<size_t>(
                        torch::randint(0, static_cast<int64_t>(pool.size()), {1}, gen).item<int64_t>())];
                    const auto& s = data.synthetic[static_cast<size_t>(pick)];
                    images.push_back(synthImages[pick]);
                    targets.push_back(targetsOf(s, classes));
                    soft = soft || !s.target.empty();
                    ++replaced;
                } else {
                    images.push_back(trainImages[idx]);
                    targets.push_back(targetsOf(sample, classes));
                }
            }
            auto x = augment(torch::stack(images), r, gen);
            auto t = torch::stack(targets);
            if (r.mixing != BatchMixing::None && torch::rand({1}, gen).item<double>() < r.mixingProbability) {
                std::tie(x, t) = mixBatch(x, t, r.mixing, gen);
                soft = true;
            }
            for (auto& g : optimizer->param_groups())
                static_cast<torch::optim::SGDOptions&>(g.options()).lr(classifierLearningRate(r, it, iterations));
            const auto logits = net->forward(imagenetNormalize(x));
            const auto loss = soft ? softLabelLoss(logits, t, r.labelSmoothing)
                                   : hardLabelLoss(logits, t.argmax(1), r.labelSmoothing);
            if (!std::isfinite(loss.item<double>()))
                throw Error("classifier loss is " + std::to_string(loss.item<double>()) + " at iteration " +
                            std::to_string(it + 1) + " (epoch " + std::to_string(epoch + 1) +
                            "): non-finite, training stopped");
            optimizer->zero_grad();
            loss.backward();
            optimizer->step();
            if (job) {
                Progress p{"classifier",        it + 1,
                           iterations,          "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(r.epochs),
                           loss.item<double>(), std::nullopt};
                job->report(p);
            }
        }
        last = evaluate(net, testImages, data.test, classes);
        result.epochAccuracy.push_back(last.accuracy);
        writeCheckpoint(epoch + 1);
    }
    if (result.epochAccuracy.size() != static_cast<size_t>(r.epochs) || last.confusion.empty())
        last = evaluate(net, testImages, data.test, classes);  // a run resumed after its last epoch

    result.accuracy = last.accuracy;
    result.confusion = last.confusion;
    for (size_t e = 0; e < result.epochAccuracy.size(); ++e)
        if (result.epochAccuracy[e] > result.bestAccuracy) {
            result.bestAccuracy = result.epochAccuracy[e];
            result.bestEpoch = static_cast<int64_t>(e) + 1;
        }
    for (int64_t c = 0; c < classes; ++c) {
        int64_t total = 0;
        for (const auto v : last.confusion[static_cast<size_t>(c)]) total += v;
        result.perClass[data.classNames[static_cast<size_t>(c)]] =
            total > 0 ? static_cast<double>(last.confusion[static_cast<size_t>(c)][static_cast<size_t>(c)]) /
                            static_cast<double>(total)
                      : 0.0;
    }
    result.replacedFraction = seen > 0 ? static_cast<double>(replaced) / static_cast<double>(seen) : 0.0;
    for (const auto& [name, samples] : data.probes)
        result.probeAccuracy[name] =
            evaluate(net, loadImages(samples, r.resolution, job, name + " image"), samples, classes).accuracy;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    auto j = result.toJson();
    j["epochs"] = r.epochs;
    j["seed"] = r.seed;
    j["settings"] = r.toJson();
    j["settings"]["width"] = net->config().width;  // the network's: pretrained weights fix it, not the recipe
    j["arch"] = net->config().describe();
    j["classes"] = data.classNames;
    j["train_images"] = data.train.size();
    j["test_images"] = data.test.size();
    j["synthetic_images"] = data.synthetic.size();
    j["data_fingerprint"] = classifierDataFingerprint(data);
    writeFileAtomic((fs::path(outDir) / "result.json").string(), j.dump(2) + "\n");
    return result;
}

}  // namespace diffii
