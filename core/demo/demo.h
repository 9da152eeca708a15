// The embedded demo: the "emoji-birds" dataset (18 bird classes, 5 training styles) with the tiny pretrained
// model, as a ready project so that a fresh checkout (or install) runs the whole Diff-II flow at once. The shipped
// concepts and their inversion pool (see resources/demo/README.md) are copied into the project, so nothing
// is computed before previews work.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/engine/session.h"
#include "core/eval/faithfulness.h"

namespace diffii {

struct DemoResources {
    std::string root;         // the resources folder
    std::string trainImages;  // emoji-birds/train (ImageFolder, 18 classes x 5 styles)
    std::string testImages;   // emoji-birds/test (Noto, Twemoji, Fluent 3D; never used for training)
    std::string model;        // models/emoji-sd-tiny (diffusers layout)
    std::string concepts;     // demo/concepts ("" when none are shipped)
    std::string pool;         // demo/inversions: the inversion pool built with those concepts ("" when none)
    std::string backbone;     // models/backbone/model.safetensors: the classifier's pretrained ResNet ("" when none)
};

// Looks for the resources folder in: $DIFFII_RESOURCES, <executable>/../share/diffii-studio/resources,
// <executable>/../../resources (a build folder inside the source tree), then the source tree the binary was built
// from. Throws diffii::Error listing the places tried when none holds the demo dataset and model.
DemoResources locateDemoResources();

// The embedded classifier backbone (DemoResources::backbone) when the resources are found and ship one, else "":
// the default weights of `diffii classify`.
std::string embeddedBackboneFile();

// The demo's scene suffixes: the five training styles (", fluent emoji", ", flat emoji", ...).
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

// Faithfulness (core/eval/faithfulness.h) is what the demo measures: bench_demo, `diffii demo`, `diffii faithfulness`.

// One contact sheet per class, written as outDir/<class>.png, plus outDir/overview.png (one row per class):
// row 0: the class's training images; then one row per split ratio s, one column per alpha, every image generated
// from the class's first two pool inversions (Gaussian noise for a one-image class) with the project's denoising
// settings otherwise. Tiles are separated by a 2-pixel grey rule. Requires the pool (buildPool) to be built.
// With `turns` set, the columns are positions on the circle as fractions of a full turn from z1 instead (α =
// turn × 2π/θ for each class's own θ), so every sheet shows the same points of the circle the generator samples
// uniformly: turn 0 is z1, (π − θ)/2π is −z2, 1/2 is −z1, (2π − θ)/2π is z2.
struct ContactSheetSettings {
    std::vector<double> alphas{0.0, 0.15, 0.35, 0.5, 0.75, 1.5};
    std::vector<double> turns;  // when not empty: columns by fraction of a turn, alphas ignored
    std::vector<double> splits{0.3, 0.5, 0.7};
    std::string suffix;  // scene suffix of the first stage ("" : none)
};
std::vector<std::string> writeContactSheets(ProjectSession& session, const std::string& outDir,
                                            const ContactSheetSettings& settings = {}, const JobContext* job = nullptr);

}  // namespace diffii
