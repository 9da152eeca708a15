#include "core/diffii/demo.h"

#include <cstdlib>
#include <filesystem>

#include "core/data/project.h"
#include "core/io/error.h"

#ifndef DIFFII_SOURCE_DIR
#define DIFFII_SOURCE_DIR ""
#endif

namespace fs = std::filesystem;

namespace diffii {

namespace {

bool holdsDemo(const fs::path& root) {
    return fs::is_directory(root / "emoji-birds" / "train") && fs::exists(root / "models" / "emoji-sd-tiny" / "model_index.json");
}

}  // namespace

DemoResources locateDemoResources() {
    std::vector<fs::path> candidates;
    if (const char* env = std::getenv("DIFFII_RESOURCES"); env && *env) candidates.emplace_back(env);
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        candidates.push_back(exe.parent_path() / ".." / "share" / "diffii-studio" / "resources");
        candidates.push_back(exe.parent_path() / ".." / ".." / "resources");
        candidates.push_back(exe.parent_path() / ".." / "resources");
    }
    if (*DIFFII_SOURCE_DIR) candidates.push_back(fs::path(DIFFII_SOURCE_DIR) / "resources");
    std::string tried;
    for (const auto& c : candidates) {
        if (holdsDemo(c)) {
            const auto root = fs::weakly_canonical(c);
            DemoResources r;
            r.root = root.string();
            r.trainImages = (root / "emoji-birds" / "train").string();
            r.testImages = (root / "emoji-birds" / "test").string();
            r.model = (root / "models" / "emoji-sd-tiny").string();
            if (fs::exists(root / "demo" / "concepts" / "concepts.json")) r.concepts = (root / "demo" / "concepts").string();
            return r;
        }
        tried += "\n  " + c.string();
    }
    throw Error("the demo resources (emoji-birds dataset and the emoji-sd-tiny model) were not found; tried:" + tried +
                "\nset DIFFII_RESOURCES to the resources folder");
}

WorkflowSettings demoWorkflowSettings() {
    WorkflowSettings w;
    auto& c = w.concepts;
    c.tokensPerClass = 1;
    c.loraRank = 8;
    c.embeddingLr = 5e-3;
    c.loraLr = 1e-3;
    c.loraWeightDecay = 1e-2;
    c.lrWarmupSteps = 20;
    c.batchSize = 8;
    c.maxSteps = 600;
    c.checkpointEvery = 100;
    c.seed = 0;
    c.bf16 = false;
    c.randomFlip = true;
    w.pool.steps = 50;
    w.pool.guidance = 1.0;
    w.pool.reconstruct = true;
    w.expansionRate = 1.0;  // 5 training images per class -> 5 synthetic images per class
    w.denoise.steps = 25;
    w.denoise.guidance = 5.0;
    w.denoise.split = 0.5;
    return w;
}

std::string defaultDemoProjectDir() {
    fs::path base;
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        base = xdg;
    else if (const char* home = std::getenv("HOME"); home && *home)
        base = fs::path(home) / ".local" / "share";
    else
        base = fs::temp_directory_path();
    return (base / "diffii-studio" / "demo-project").string();
}

std::string prepareDemoProject(const std::string& dir, const DemoResources& resources, bool installConcepts) {
    const fs::path projectDir(dir);
    if (!fs::exists(projectDir / Project::kFileName)) {
        if (fs::exists(projectDir) && !fs::is_empty(projectDir))
            throw Error(dir + ": exists and is not a project folder; choose an empty or new folder for the demo");
        ProjectConfig cfg;
        cfg.name = "emoji-birds demo";
        cfg.datasetPath = resources.trainImages;
        cfg.modelPath = resources.model;
        cfg.metaclass = "bird";
        cfg.seed = 0;
        cfg.settings = demoWorkflowSettings().toJson();
        (void)Project::create(dir, cfg);
    }
    auto project = Project::open(dir);
    const fs::path conceptsDir(project.conceptsDir());
    if (installConcepts && !resources.concepts.empty() && !fs::exists(conceptsDir / "concepts.json")) {
        // Copy into a temporary folder, then move the files in: concepts.json last, because it is what marks a
        // finished training.
        for (const char* name : {"embeddings.safetensors", "lora.safetensors", "provenance.json", "loss.csv"}) {
            const fs::path src = fs::path(resources.concepts) / name;
            if (!fs::exists(src)) continue;
            const fs::path tmp = conceptsDir / (std::string(".") + name + ".tmp");
            fs::copy_file(src, tmp, fs::copy_options::overwrite_existing);
            fs::rename(tmp, conceptsDir / name);
        }
        const fs::path tmp = conceptsDir / ".concepts.json.tmp";
        fs::copy_file(fs::path(resources.concepts) / "concepts.json", tmp, fs::copy_options::overwrite_existing);
        fs::rename(tmp, conceptsDir / "concepts.json");
    }
    return project.dir();
}

}  // namespace diffii
