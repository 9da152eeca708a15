// The embedded demo: the "emoji-birds" dataset (18 bird classes, 5 training styles) with the tiny pretrained
// model, as a ready project so that a fresh checkout (or install) runs the whole Diff-II flow at once. The shipped
// concepts (trained by `diffii demo --train`, see resources/demo/README.md) are copied into the project, so the
// inversion pool is the only thing to compute before previews work.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/diffii/workflow.h"

namespace diffii {

struct DemoResources {
    std::string root;         // the resources folder
    std::string trainImages;  // emoji-birds/train (ImageFolder, 18 classes x 5 styles)
    std::string testImages;   // emoji-birds/test (Noto, Twemoji, Fluent 3D; never used for training)
    std::string model;        // models/emoji-sd-tiny (diffusers layout)
    std::string concepts;     // demo/concepts ("" when none are shipped)
    std::string pool;         // demo/inversions: the inversion pool built with those concepts ("" when none)
};

// Looks for the resources folder in: $DIFFII_RESOURCES, <executable>/../share/diffii-studio/resources,
// <executable>/../../resources (a build folder inside the source tree), then the source tree the binary was built
// from. Throws diffii::Error listing the places tried when none holds the demo dataset and model.
DemoResources locateDemoResources();

// The demo's scene suffixes: the art styles of the emoji corpus (", 3d emoji", ", flat emoji", ...).
std::vector<std::string> demoSuffixes();

// The demo's job settings: concept learning sized for 2 CPU cores, 25-step previews, 5 images per class.
WorkflowSettings demoWorkflowSettings();

// Creates the demo project in dir (a new folder, or one that holds a demo project already: then it is reused as
// it is) over the training images and the model, with demoWorkflowSettings(); copies the shipped concepts when the
// project has none yet and installConcepts is set, and with them the shipped inversion pool (entries the project
// lacks; each is checked against the project's provenance when the pool is listed or built, so a pool that no
// longer matches is rebuilt, never used). Returns the project folder.
std::string prepareDemoProject(const std::string& dir, const DemoResources& resources, bool installConcepts = true);

// Where the GUI and `diffii demo` keep the demo project by default: $XDG_DATA_HOME (or ~/.local/share)
// /diffii-studio/demo-project.
std::string defaultDemoProjectDir();

// Faithfulness as the demo measures it: the share of generated images whose nearest real image (Euclidean
// distance of the RGB pixels, area-resized to featureSize x featureSize, in [0, 1]) belongs to the same class.
struct LabelledImage {
    std::string path;
    std::string className;
};
struct FaithfulnessReport {
    int64_t total = 0;
    int64_t sameClass = 0;
    std::map<std::string, std::pair<int64_t, int64_t>> perClass;  // class -> (same class, total)
    double rate() const { return total > 0 ? static_cast<double>(sameClass) / static_cast<double>(total) : 0.0; }
};
FaithfulnessReport nearestRealImageFaithfulness(const std::vector<LabelledImage>& generated,
                                                const std::vector<LabelledImage>& real, int64_t featureSize = 32);

// Every image of an ImageFolder root, labelled by its folder.
std::vector<LabelledImage> labelledImages(const std::string& imageFolderRoot);
// The finished images of a project's synthetic/ folder (manifest.jsonl), labelled by their class.
std::vector<LabelledImage> syntheticImages(const std::string& syntheticDir);

// One contact sheet per class, written as outDir/<class>.png, plus outDir/overview.png (one row per class):
// row 0: the class's training images; then one row per split ratio s, one column per alpha, every image generated
// from the class's first two pool inversions (Gaussian noise for a one-image class) with the project's denoising
// settings otherwise. Tiles are separated by a 2-pixel grey rule. Requires the pool (buildPool) to be built.
struct ContactSheetSettings {
    std::vector<double> alphas{0.0, 0.15, 0.35, 0.5, 0.75, 1.5};
    std::vector<double> splits{0.3, 0.5, 0.7};
    std::string suffix;  // scene suffix of the first stage ("" : none)
};
std::vector<std::string> writeContactSheets(ProjectSession& session, const std::string& outDir,
                                            const ContactSheetSettings& settings = {}, const JobContext* job = nullptr);

}  // namespace diffii
