// Does the augmentation help? A ResNet trained on the real images, with each real sample replaced with probability
// p by a synthetic image of its class (the Diff-II / DA-Fusion rule), evaluated on a held-out test set. The recipe
// is the official code's (Diff-II / Diff-Mix train_hub.py): SGD with momentum 0.9 and weight decay 5e-4, label
// smoothing 0.1, a cosine schedule stepped per iteration after a linear warm-up over the first 10% of the steps,
// RandomCrop with padding 8 + horizontal flip, ImageNet mean/std. Diff-Mix's inter-class images carry soft labels
// (diffMixLabelWeights). Mixup and CutMix are the training-time baselines.
//
// This header is the fronts' API (no LibTorch); core/eval/classifier_training.h holds the recipe's tensor pieces.
//
// Job semantics as elsewhere: progress per iteration, cancellation, a checkpoint per epoch (atomic), and a resumed
// run reaches bit-identical weights (every random draw of epoch e / batch b comes from (seed, stream, e, b)).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/jobs/progress.h"

namespace diffii {

enum class BatchMixing { None, Mixup, CutMix };
const char* batchMixingName(BatchMixing m);
BatchMixing parseBatchMixing(const std::string& name);  // "none", "mixup", "cutmix"; throws naming the value

struct ClassifierRecipe {
    std::string arch = "resnet18";  // used from scratch; a weights file brings its own architecture
    int64_t width = 64;             // stem width from scratch (torchvision: 64; narrower for quick runs)
    std::string weights;            // safetensors of a torchvision ResNet; "" or "none": from scratch
    int epochs = 30;
    int batchSize = 32;
    double lr = 0.05;
    double momentum = 0.9;
    double weightDecay = 5e-4;
    double labelSmoothing = 0.1;
    double warmupFraction = 0.1;  // of all iterations, linear from 0
    int64_t resolution = 64;      // square input size (images resized to it)
    int64_t cropPadding = 8;      // RandomCrop(resolution, padding)
    bool horizontalFlip = true;
    double replaceProbability = 0.5;  // p: a real sample is replaced by a synthetic one of its class
    BatchMixing mixing = BatchMixing::None;
    double mixingProbability = 0.5;  // of a batch being mixed (λ ~ Beta(1, 1))
    uint64_t seed = 0;

    nlohmann::json toJson() const;
};

// One image with its label; a soft target (Diff-Mix) when target is non-empty (one weight per class).
struct ClassifierSample {
    std::string path;
    int64_t label = 0;
    std::vector<float> target;
};

struct ClassifierData {
    std::vector<std::string> classNames;
    std::vector<ClassifierSample> train, test;
    std::vector<ClassifierSample> synthetic;  // replacement candidates, by label
    // Extra sets classified by the final network (e.g. each strategy's synthetic images for faithfulness): their
    // accuracy is reported under the same name. Not used for training.
    std::map<std::string, std::vector<ClassifierSample>> probes;
};

// Which images a run was trained and tested on (the paths of train, test and synthetic samples, and the class
// names), as 16 hex digits: result.json records it, and the evaluation reuses a finished run only when it matches.
std::string classifierDataFingerprint(const ClassifierData& data);

// train and test are ImageFolder roots with the same class folders (an error names the class that differs or is
// empty); synthetic (optional, "" for none) is an ImageFolder of the same classes, e.g. an export: when it holds a
// manifest.jsonl with "strategy": "diff-mix" records, their soft labels are taken from it (source class
// 0.9·(1 − s^γ), target class 0.9·s^γ).
ClassifierData loadClassifierData(const std::string& trainDir, const std::string& testDir,
                                  const std::string& syntheticDir = "", double diffMixGamma = 0.8);

// The images of a synthetic set (an ImageFolder of the given classes: a strategy's folder or an export), with the
// Diff-Mix soft labels of its manifest.jsonl. Throws diffii::Error naming a class folder that is not trained.
std::vector<ClassifierSample> syntheticSamples(const std::string& syntheticDir,
                                               const std::vector<std::string>& classNames, double diffMixGamma = 0.8);

struct ClassifierResult {
    double accuracy = 0.0;      // top-1 on the test set after the last epoch
    double bestAccuracy = 0.0;  // the best epoch's (optimistic: the official scripts pick it on the test set)
    int64_t bestEpoch = 0;
    std::vector<double> epochAccuracy;
    std::map<std::string, double> perClass;
    std::vector<std::vector<int64_t>> confusion;  // rows: true class, columns: predicted
    double replacedFraction = 0.0;                // share of training samples that were synthetic
    std::map<std::string, double> probeAccuracy;  // per ClassifierData::probes set
    double seconds = 0.0;
    int64_t resumedFromEpoch = 0;
    nlohmann::json toJson() const;
};

// Trains (or resumes in outDir) and evaluates; writes outDir/result.json (with the recipe and the data's sizes)
// and outDir/checkpoint.safetensors. Throws diffii::Error naming the file or value at fault.
ClassifierResult trainClassifier(const ClassifierData& data, const ClassifierRecipe& recipe, const std::string& outDir,
                                 const JobContext* job = nullptr);

}  // namespace diffii
