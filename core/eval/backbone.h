// The embedded classifier backbone: a narrow torchvision-style ResNet pretrained by the project on the emoji
// pretraining corpus (resources/emoji-birds/rebuild.sh -> build/emoji-corpus; the 18 demo birds are not in it), the
// product's analogue of an ImageNet-pretrained ResNet. `diffii classify` starts from it when no --weights is given
// (embeddedBackboneFile()).
//
//   1. The recipe (resources/models/backbone-recipe.json, "format": "diffii-backbone-recipe"): seed, architecture,
//      width, resolution, epochs, batch, SGD settings and the corpus style(s) held out as the test set.
//   2. The data (backboneData): an ImageFolder-like split of the captioned corpus with the emoji *names* as classes
//      (the caption record's "name", lower-cased, so "Aries" and "aries" are one class); images of the held-out
//      styles are the test set, all others the training set. A class is kept when it has at least
//      min_train_images training images (so that every class is seen in several styles); the test images of a
//      dropped class are dropped with it. Classes are sorted by name; samples keep the corpus order.
//   3. Training (pretrainBackbone) through trainClassifier: per-epoch checkpoints in the work folder, a rerun
//      resumes bit-identically, a cancel keeps the last finished epoch.
//   4. The export (exportBackbone): the trained network's state dict under torchvision's names (parameters and
//      BatchNorm buffers, num_batches_tracked included, fc included) as F16 safetensors (num_batches_tracked
//      stays I64), with metadata naming the recipe, the held-out accuracy and the steps; written atomically and
//      checked by loading it back strictly (loadResNet).
//
// This header is LibTorch-free (the fronts include it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/eval/classifier.h"
#include "core/jobs/progress.h"

namespace diffii {

struct BackboneRecipe {
    std::string path;  // the recipe file (for messages; not part of the identity)
    uint64_t seed = 0;
    std::string arch = "resnet18";
    // Defaults: the shipped recipe's (resources/models/backbone-recipe.json) but for the seed.
    int64_t width = 16;
    int64_t resolution = 64;
    int epochs = 40;
    int batchSize = 64;
    double lr = 0.2;
    double momentum = 0.9;
    double weightDecay = 5e-4;
    double labelSmoothing = 0.1;
    double warmupFraction = 0.05;
    int64_t cropPadding = 8;
    bool horizontalFlip = true;
    std::vector<std::string> testStyles = {"twemoji"};  // corpus styles held out as the test set
    int minTrainImages = 3;                             // a class needs this many training images

    // Reads and validates a recipe; every error names the file and the key at fault. Keys beginning with '_' are
    // comments; any other unknown key is an error (a misspelt key would otherwise be ignored silently).
    static BackboneRecipe fromFile(const std::string& path);
    static BackboneRecipe fromJson(const nlohmann::json& j, const std::string& path);
    // Everything that determines the weights (the path is not part of it); stored in the work folder and in the
    // exported file's metadata.
    nlohmann::json identity() const;
    // A short stable hash of identity() (hex), e.g. for messages.
    std::string identityHash() const;
    // The classifier job's recipe (from scratch, no synthetic images, no batch mixing).
    ClassifierRecipe classifierRecipe() const;
};

struct BackboneData {
    ClassifierData data;                   // classes, train (other styles) and test (held-out styles)
    std::vector<std::string> trainStyles;  // the corpus styles of the training set, sorted
    int64_t corpusImages = 0;              // records in captions.jsonl
    int64_t droppedClasses = 0;            // names with fewer than min_train_images training images
    int64_t droppedImages = 0;             // their images (train and test)
};

// The split of corpusDir (captions.jsonl: {"file", "name", "style", ...} per line). Throws diffii::Error naming the
// corpus file and line, or the recipe key 'test_styles' when a held-out style is not in the corpus.
BackboneData backboneData(const BackboneRecipe& recipe, const std::string& corpusDir);

struct BackboneResult {
    double heldOutAccuracy = 0.0;  // top-1 on the held-out style(s) after the last epoch
    std::vector<double> epochAccuracy;
    int64_t epochs = 0;
    int64_t steps = 0;  // SGD steps (batches) done in all
    int64_t classes = 0;
    int64_t trainImages = 0, testImages = 0;
    double seconds = 0.0;  // of this call
    int64_t resumedFromEpoch = 0;
};

// Trains (or resumes in workDir: a folder of another recipe or corpus is an error, never reused). workDir holds
// backbone-run.json (the recipe's identity, the classes and the data's sizes), and the classifier job's
// checkpoint.safetensors and result.json. Progress stage "classifier" (reading, then the steps with their loss in the
// detail), at most one report a second besides each epoch's last step.
BackboneResult pretrainBackbone(const BackboneRecipe& recipe, const std::string& corpusDir, const std::string& workDir,
                                const JobContext* job = nullptr);

struct BackboneExport {
    std::string file;
    int64_t epochs = 0;  // finished epochs in the exported checkpoint
    int64_t steps = 0;
    double heldOutAccuracy = 0.0;
    int64_t tensors = 0;
    int64_t bytes = 0;
};

// Writes the network of workDir's last checkpoint (any finished epoch) to outFile as described above; metadata:
// format "diffii-backbone", recipe (identity JSON), recipe_hash, recipe_file, arch, block, layers, num_classes,
// resolution, normalization ("imagenet"), held_out_styles, held_out_accuracy, epoch_accuracy, epochs, steps,
// train_images, test_images, classes (JSON list), licence. Throws diffii::Error naming the file at fault.
BackboneExport exportBackbone(const std::string& workDir, const std::string& outFile);

// The metadata of an exported backbone's file as JSON values where they are JSON ("recipe", "layers", ...), else
// strings. Throws diffii::Error naming the file when it is not a diffii backbone.
nlohmann::json backboneMetadata(const std::string& file);

}  // namespace diffii
