#include "core/demo/demo.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "core/data/project.h"
#include "core/data/synthetic_manifest.h"
#include "core/diffii/circle_interpolation.h"
#include "core/diffii/preview.h"
#include "core/diffii/suffixes.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/regular_file.h"
#include "core/io/resources.h"
#include "core/pipelines/sd_pipeline.h"

namespace fs = std::filesystem;

namespace diffii {

namespace {

bool holdsDemo(const fs::path& root) {
    return fs::is_directory(root / "emoji-birds" / "train") &&
           fs::exists(root / "models" / "emoji-sd-tiny" / "model_index.json");
}

}  // namespace

DemoResources locateDemoResources() {
    std::vector<fs::path> candidates;
    for (const auto& c : resourceFolderCandidates()) candidates.emplace_back(c);
    std::string tried;
    for (const auto& c : candidates) {
        if (holdsDemo(c)) {
            const auto root = fs::weakly_canonical(c);
            DemoResources r;
            r.root = root.string();
            r.trainImages = (root / "emoji-birds" / "train").string();
            r.testImages = (root / "emoji-birds" / "test").string();
            r.model = (root / "models" / "emoji-sd-tiny").string();
            if (fs::exists(root / "demo" / "concepts" / "concepts.json"))
                r.concepts = (root / "demo" / "concepts").string();
            if (!r.concepts.empty() && fs::is_directory(root / "demo" / "inversions"))
                r.pool = (root / "demo" / "inversions").string();
            if (fs::exists(root / "models" / "backbone" / "model.safetensors"))
                r.backbone = (root / "models" / "backbone" / "model.safetensors").string();
            return r;
        }
        tried += "\n  " + c.string();
    }
    throw Error("the demo resources (emoji-birds dataset and the emoji-sd-tiny model) were not found; tried:" + tried +
                "\nset DIFFII_RESOURCES to the resources folder");
}

std::string embeddedBackboneFile() {
    try {
        return locateDemoResources().backbone;
    } catch (const Error&) {
        return {};
    }
}

std::vector<std::string> demoSuffixes() {
    // The emoji corpus's "contexts" are its art styles (captions "a photo of a <name>, <style> emoji"), so the
    // demo's scene suffixes vary the style in the first stage of denoising. Suffixes summarise the contexts of the
    // training images, so these are the five training styles only: the held-out styles (Noto, Twemoji, Fluent 3D)
    // are never named. The first is the preview page's default: "fluent" keeps the training image's look, while
    // "outline", the style the tiny model follows most strongly, shows the faithfulness/diversity trade-off of s
    // best (colour -> outline) but at s >= 0.5 turns some classes (baby chick) into the outline of another bird.
    return {", fluent emoji", ", flat emoji", ", high contrast emoji", ", openmoji emoji", ", outline emoji"};
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
    c.maxSteps = 2500;  // faithfulness (HOG) 77.8% at 1,000 steps, 85.6% at 2,500; ~5 minutes on one core
    c.checkpointEvery = 100;
    c.seed = 0;
    c.bf16 = false;
    c.randomFlip = true;
    // 25 inversion steps, with reconstructions for the pool browser. The demo ships this pool (resources/demo/
    // inversions), built with the shipped concepts, so opening the demo builds nothing; a rebuild takes ~2 minutes.
    w.pool.steps = 25;
    w.pool.guidance = 1.0;
    w.pool.reconstruct = true;
    w.expansionRate = 1.0;  // 5 training images per class -> 5 synthetic images per class
    w.denoise.steps = 25;
    // Measured on the demo (faithfulness, 90 images): guidance 1: 52%, 2: 56%, 3: 50%, 5: 46%, 7.5: 38%.
    w.denoise.guidance = 2.0;
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
        auto settings = demoWorkflowSettings();
        settings.evaluationTestDir = resources.testImages;  // the held-out styles: `diffii evaluate` tests on them
        cfg.settings = settings.toJson();
        (void)Project::create(dir, cfg);
    }
    auto project = Project::open(dir);
    const fs::path suffixFile = fs::path(project.dir()) / "suffixes.txt";
    if (!fs::exists(suffixFile)) saveSuffixes(suffixFile.string(), demoSuffixes());
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
        if (!resources.pool.empty()) {
            const fs::path poolDir(project.inversionsDir());
            for (const auto& e : fs::recursive_directory_iterator(resources.pool)) {
                // Entries and their reconstructions.
                if (!e.is_regular_file() || (e.path().extension() != ".safetensors" && e.path().extension() != ".png"))
                    continue;
                const fs::path to = poolDir / fs::relative(e.path(), resources.pool);
                if (fs::exists(to)) continue;
                createFolders(to.parent_path());
                const fs::path tmp = to.parent_path() / ("." + to.filename().string() + ".tmp");
                fs::copy_file(e.path(), tmp, fs::copy_options::overwrite_existing);
                fs::rename(tmp, to);
            }
        }
    }
    return project.dir();
}

std::vector<std::string> writeContactSheets(ProjectSession& session, const std::string& outDir,
                                            const ContactSheetSettings& cs, const JobContext* job) {
    torch::NoGradGuard ng;
    createFolders(outDir);
    auto& sd = session.model();
    const auto settings = session.settings();
    const int64_t size = sd.nativeImageSize();
    const int64_t rule = 2;
    const bool byTurn = !cs.turns.empty();
    const auto& columns = byTurn ? cs.turns : cs.alphas;
    const int64_t cols = static_cast<int64_t>(std::max<size_t>(columns.size(), 5));
    const int64_t rows = 1 + static_cast<int64_t>(cs.splits.size());
    auto blank = [&](int64_t r, int64_t c) {
        return torch::full({3, r * size + (r + 1) * rule, c * size + (c + 1) * rule}, 0.75);
    };
    auto place = [&](torch::Tensor& sheet, int64_t r, int64_t c, const torch::Tensor& img, int64_t rowOffset = 0) {
        const int64_t y = (rowOffset + r) * (size + rule) + rule, x = c * (size + rule) + rule;
        sheet.slice(1, y, y + size).slice(2, x, x + size).copy_(resizeImage(img, size, size));
    };
    const auto classes = session.generationClasses();
    const int64_t total =
        static_cast<int64_t>(classes.size()) * static_cast<int64_t>(columns.size() * cs.splits.size());
    int64_t done = 0;
    std::vector<std::string> written;
    auto overview = blank(static_cast<int64_t>(classes.size()) * rows, cols);
    for (size_t ci = 0; ci < classes.size(); ++ci) {
        const std::string& name = classes[ci].name;
        auto sheet = blank(rows, cols);
        const auto& imgs = session.dataset().classes()[static_cast<size_t>(session.dataset().classIndex(name))].images;
        for (size_t i = 0; i < imgs.size() && static_cast<int64_t>(i) < cols; ++i)
            place(sheet, 0, static_cast<int64_t>(i), loadImageRgb(imgs[i]));
        std::vector<std::string> inv;
        for (const auto& e : classes[ci].pool)
            if (!e.stale) inv.push_back(e.file);
        if (inv.empty())
            throw Error("contact sheet: class '" + name + "' has no inversion in the pool (build the pool first)");
        // Column by column, s in the order given: the tiles of one column share their start latents, so the
        // renderer computes each only from the first step whose prompt changes with s.
        const double theta =
            inv.size() >= 2 ? session.previewRenderer().pairTheta({classes[ci].pool, "", ""}, PreviewParams{}) : 0.0;
        for (size_t ai = 0; ai < columns.size(); ++ai) {
            for (size_t si = 0; si < cs.splits.size(); ++si) {
                if (job) {
                    job->throwIfCancelled();
                    job->report("contact sheets", ++done, total, name);
                }
                PreviewParams p;
                p.className = name;
                p.alpha = byTurn ? alphaForTurn(theta, columns[ai]) : columns[ai];
                p.seed = static_cast<uint64_t>(ai + 1);  // the start noise of a one-image class
                p.suffix = cs.suffix;
                p.denoise = settings.denoise;
                p.denoise.split = cs.splits[si];
                place(sheet, 1 + static_cast<int64_t>(si), static_cast<int64_t>(ai),
                      fromImage(session.preview(p).image));
            }
        }
        const auto path = (fs::path(outDir) / (name + ".png")).string();
        saveImagePng(path, sheet);
        written.push_back(path);
        overview
            .slice(1, static_cast<int64_t>(ci) * rows * (size + rule),
                   (static_cast<int64_t>(ci) * rows) * (size + rule) + sheet.size(1))
            .copy_(sheet);
    }
    // overview.png, unless a class's sheet has that name (a class called "overview" was overwritten by it).
    std::string overviewName = "overview";
    const auto taken = [&](const std::string& n) {
        return std::find(written.begin(), written.end(), (fs::path(outDir) / (n + ".png")).string()) != written.end();
    };
    while (taken(overviewName)) overviewName = "_" + overviewName;
    const auto path = (fs::path(outDir) / (overviewName + ".png")).string();
    saveImagePng(path, overview);
    written.push_back(path);
    return written;
}

}  // namespace diffii
