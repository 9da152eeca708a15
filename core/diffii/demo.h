// The embedded demo: the "emoji-birds" dataset (18 bird classes, 5 training styles) with the tiny pretrained
// model, as a ready project so that a fresh checkout (or install) runs the whole Diff-II flow at once. The shipped
// concepts (trained by `diffii demo --train`, see resources/demo/README.md) are copied into the project, so the
// inversion pool is the only thing to compute before previews work.
#pragma once

#include <string>

#include "core/diffii/workflow.h"

namespace diffii {

struct DemoResources {
    std::string root;         // the resources folder
    std::string trainImages;  // emoji-birds/train (ImageFolder, 18 classes x 5 styles)
    std::string testImages;   // emoji-birds/test (Noto, Twemoji, Fluent 3D; never used for training)
    std::string model;        // models/emoji-sd-tiny (diffusers layout)
    std::string concepts;     // demo/concepts ("" when none are shipped)
};

// Looks for the resources folder in: $DIFFII_RESOURCES, <executable>/../share/diffii-studio/resources,
// <executable>/../../resources (a build folder inside the source tree), then the source tree the binary was built
// from. Throws diffii::Error listing the places tried when none holds the demo dataset and model.
DemoResources locateDemoResources();

// The demo's job settings: concept learning sized for 2 CPU cores, 25-step previews, 5 images per class.
WorkflowSettings demoWorkflowSettings();

// Creates the demo project in dir (a new folder, or one that holds a demo project already: then it is reused as
// it is) over the training images and the model, with demoWorkflowSettings(); copies the shipped concepts when the
// project has none yet and installConcepts is set. Returns the project folder.
std::string prepareDemoProject(const std::string& dir, const DemoResources& resources, bool installConcepts = true);

// Where the GUI and `diffii demo` keep the demo project by default: $XDG_DATA_HOME (or ~/.local/share)
// /diffii-studio/demo-project.
std::string defaultDemoProjectDir();

}  // namespace diffii
