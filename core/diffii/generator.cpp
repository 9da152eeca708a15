#include "core/diffii/generator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "core/data/project_lock.h"
#include "core/data/splits.h"
#include "core/diffii/circle_interpolation.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/image_probe.h"
#include "core/io/regular_file.h"
#include "core/io/safetensors.h"
#include "core/jobs/block_cache.h"

namespace diffii {
namespace fs = std::filesystem;

namespace {

std::string imageName(const std::string& cls, int64_t index) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "_%05lld", static_cast<long long>(index));
    return cls + buf;
}

// The random stream of one image: fixed order of draws so that a record regenerates identically.
struct ImageDraws {
    size_t first = 0, second = 0;
    size_t suffix = 0;
    double alphaUnit = 0.0;  // α = alphaUnit × 2π/θ
};

ImageDraws drawFor(uint64_t seed, size_t poolSize, size_t suffixCount) {
    std::mt19937_64 rng(seed);
    ImageDraws d;
    if (poolSize >= 2) {
        d.first = uniformBelow(rng, poolSize);
        d.second = uniformBelow(rng, poolSize - 1);
        if (d.second >= d.first) ++d.second;
    }
    d.suffix = suffixCount ? uniformBelow(rng, suffixCount) : 0;
    d.alphaUnit = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    return d;
}

nlohmann::json recordJson(const SyntheticRecord& r) {
    const auto line = manifestToJsonl({r});
    return nlohmann::json::parse(line.substr(0, line.find('\n')));
}

SyntheticRecord recordFromJson(const nlohmann::json& j, const std::string& file) {
    auto v = manifestFromJsonl(j.dump() + "\n", file);
    if (v.size() != 1) throw Error(file + ": expected one record");
    return v[0];
}

// The draws of a baseline image, in fixed order: source image, strength, target class.
struct BaselineDraws {
    size_t source = 0;
    double strength = 0.0;
    size_t target = 0;
};

BaselineDraws baselineDrawsFor(SynthesisStrategy s, uint64_t seed, size_t images, size_t classes) {
    std::mt19937_64 rng(seed);
    BaselineDraws d;
    d.source = images ? uniformBelow(rng, images) : 0;
    static const double kDaFusion[] = {0.25, 0.5, 0.75, 1.0};
    static const double kDiffAug[] = {0.3, 0.5, 0.7, 0.9};
    const size_t k = uniformBelow(rng, 4);
    switch (s) {
        case SynthesisStrategy::RealGuidance:
            d.strength = 0.5;
            break;
        case SynthesisStrategy::DaFusion:
            d.strength = kDaFusion[k];
            break;
        case SynthesisStrategy::DiffAug:
        case SynthesisStrategy::DiffMix:
            d.strength = kDiffAug[k];
            break;
        default:
            d.strength = 0.0;
    }
    d.target = uniformBelow(rng, classes);
    return d;
}

}  // namespace

const char* strategyName(SynthesisStrategy s) {
    switch (s) {
        case SynthesisStrategy::DiffII:
            return "diff-ii";
        case SynthesisStrategy::RealGuidance:
            return "real-guidance";
        case SynthesisStrategy::DaFusion:
            return "da-fusion";
        case SynthesisStrategy::DiffAug:
            return "diff-aug";
        case SynthesisStrategy::DiffMix:
            return "diff-mix";
        case SynthesisStrategy::DiffGen:
            return "diff-gen";
    }
    return "?";
}

std::vector<SynthesisStrategy> allStrategies() {
    return {SynthesisStrategy::DiffII,  SynthesisStrategy::RealGuidance, SynthesisStrategy::DaFusion,
            SynthesisStrategy::DiffAug, SynthesisStrategy::DiffMix,      SynthesisStrategy::DiffGen};
}

SynthesisStrategy parseStrategy(const std::string& name) {
    std::string names;
    for (const auto s : allStrategies()) {
        if (name == strategyName(s)) return s;
        names += std::string(names.empty() ? "" : ", ") + strategyName(s);
    }
    throw Error("strategy '" + name + "' is not one of " + names);
}

int64_t plannedImagesForClass(int64_t trainImages, double expansionRate) {
    return std::max<int64_t>(1, std::llround(expansionRate * static_cast<double>(trainImages)));
}

std::vector<SyntheticRecord> planGeneration(const std::vector<GenerationClass>& classes,
                                            const GenerationSettings& settings, uint64_t projectSeed) {
    if (!(settings.expansionRate > 0))
        throw Error("expansion rate must be > 0, got " + std::to_string(settings.expansionRate));
    // The plan's size is known before anything is allocated: refuse one beyond kMaxPlannedImages.
    double planned = 0.0;
    for (const auto& c : classes)
        planned += std::max(1.0, std::round(settings.expansionRate * static_cast<double>(c.trainImages)));
    if (!(planned <= static_cast<double>(kMaxPlannedImages)))
        throw Error("expansion rate " + std::to_string(settings.expansionRate) + " plans " +
                    std::to_string(static_cast<long double>(planned)) + " images, more than the limit of " +
                    std::to_string(kMaxPlannedImages) + " a set: lower the expansion rate");
    std::vector<SyntheticRecord> plan;
    plan.reserve(static_cast<size_t>(planned));
    const bool diffII = settings.strategy == SynthesisStrategy::DiffII;
    for (const auto& c : classes) {
        if (diffII && c.pool.empty())
            throw Error("class '" + c.name + "' has no inversion pool entries (build the pool first)");
        if (!diffII && c.images.empty()) throw Error("class '" + c.name + "' has no training images");
        const int64_t n = plannedImagesForClass(c.trainImages, settings.expansionRate);
        for (int64_t i = 0; i < n; ++i) {
            SyntheticRecord r;
            r.className = c.name;
            r.classIndex = c.classIndex;
            r.index = i;
            r.seed = deriveSeed(projectSeed, c.name, i);
            r.steps = settings.denoise.steps;
            r.inversionSteps = settings.inversionSteps;
            r.guidance = settings.denoise.guidance;
            r.modelHash = settings.modelHash;
            r.conceptsHash = settings.conceptsHash;
            r.outputPath = c.name + "/" + imageName(c.name, i) + ".png";
            r.strategy = strategyName(settings.strategy);
            r.sourceClass = r.targetClass = c.name;
            if (!diffII) {
                // One prompt throughout (no suffix), the source image, strength and target class drawn from the seed.
                const auto b = baselineDrawsFor(settings.strategy, r.seed, c.images.size(), classes.size());
                if (settings.strategy != SynthesisStrategy::DiffGen) r.sourceA = c.images[b.source];
                r.strength = b.strength;
                if (settings.strategy == SynthesisStrategy::DiffMix) r.targetClass = classes[b.target].name;
                plan.push_back(std::move(r));
                continue;
            }
            const auto d = drawFor(r.seed, c.pool.size(), settings.suffixes.size());
            r.fallbackNoise = c.pool.size() < 2;
            if (!r.fallbackNoise) {
                r.sourceA = c.pool[d.first].imagePath;
                r.sourceB = c.pool[d.second].imagePath;
            } else {
                r.sourceA = c.pool[0].imagePath;
            }
            r.suffix = settings.suffixes.empty() ? "" : settings.suffixes[d.suffix];
            r.split = settings.denoise.split;
            plan.push_back(std::move(r));
        }
    }
    return plan;
}

// A baseline's image (the record's strategy): img2img of its source with the target class's prompt, or text to image.
static torch::Tensor generateBaselineImage(StableDiffusion& sd, const std::vector<GenerationClass>& classes,
                                           const SyntheticRecord& record, const GenerationSettings& settings,
                                           const JobContext* job, PreviewRenderer& renderer) {
    const auto strategy = parseStrategy(record.strategy);
    const GenerationClass* target = nullptr;
    for (const auto& c : classes)
        if (c.name == record.targetClass) target = &c;
    if (!target) throw Error("generation: the target class '" + record.targetClass + "' is not in the project");
    const auto& prompt = strategy == SynthesisStrategy::RealGuidance ? target->plainPrompt : target->prompt;
    const auto& pe = renderer.prompts(prompt, "", settings.negativePrompt);
    DenoiseSettings d;
    d.steps = record.steps;
    d.guidance = record.guidance;
    d.split = 0.0;  // no step uses the (empty) suffix
    const int64_t size = sd.unet()->config().sampleSize;
    auto gen = at::detail::createCPUGenerator(record.seed);
    const auto noise = torch::randn({1, sd.unet()->config().inChannels, size, size}, gen);
    torch::Tensor x0 = torch::zeros_like(noise);
    double strength = 1.0;  // Diff-Gen: text to image from the noise
    if (strategy != SynthesisStrategy::DiffGen) {
        const int64_t native = sd.nativeImageSize();
        x0 = encodeImageToLatent(sd, loadImageForModel(record.sourceA, native, native));
        strength = record.strength;
    }
    return decodeLatentToImage(sd, imageToImage(sd, x0, noise, strength, pe, d, job))[0];
}

torch::Tensor generateImage(StableDiffusion& sd, const GenerationClass& cls, SyntheticRecord& record,
                            const GenerationSettings& settings, const JobContext* job, PreviewRenderer* renderer) {
    std::optional<PreviewRenderer> own;
    if (!renderer) renderer = &own.emplace(sd);
    if (record.strategy != strategyName(SynthesisStrategy::DiffII))
        throw Error("generateImage renders Diff-II records; '" + record.strategy +
                    "' images are made by runGeneration");
    const auto d = drawFor(record.seed, cls.pool.size(), settings.suffixes.size());
    const PreviewRenderer::ClassInput input{cls.pool, cls.prompt, settings.negativePrompt};
    PreviewParams p;
    p.className = cls.name;
    p.first = static_cast<int>(d.first);
    p.second = static_cast<int>(d.second);
    // One training image: fresh Gaussian noise from the image's seed (Diff-II), else the circle at α = turn × 2π/θ.
    p.seed = record.seed;
    p.alpha = cls.pool.size() >= 2 ? alphaForTurn(renderer->pairTheta(input, p), d.alphaUnit) : 0.0;
    p.suffix = record.suffix;
    p.denoise = settings.denoise;
    p.denoise.split = record.split;
    p.denoise.steps = record.steps;
    p.denoise.guidance = record.guidance;
    p.fullRender = true;  // a synthetic image is never a draft, whatever the renderer drafts for previews
    if (settings.releaseUNetForDecode) sd.loadUNet();  // freed after the previous image's denoising
    const auto image = renderer->render(
        input, p, job, settings.releaseUNetForDecode ? releaseUNetAfterLastStep(sd) : PreviewStepCallback());
    // The decode's freed blocks and the heap's free memory go back before the UNet is read again, so that they do
    // not come on top of its weights (core/jobs/block_cache.h).
    if (settings.releaseUNetForDecode) releaseCachedBlocks();
    record.theta = image.theta;
    record.alpha = image.alpha;
    record.fallbackNoise = image.fallbackNoise;
    if (image.fallbackNoise) record.sourceB.clear();
    return image.image;
}

GenerationReport runGeneration(StableDiffusion& sd, const std::vector<GenerationClass>& classes,
                               const GenerationSettings& settings, uint64_t projectSeed, const std::string& outDir,
                               int shardIndex, int shardCount, const JobContext* job) {
    PreviewRenderer renderer(sd);  // one for the run: each class's prompts and latents are read once
    std::error_code ec;
    createFolders(outDir);
    {
        // Fail before any work when the folder is not writable.
        const auto probe = (fs::path(outDir) / ".write-test").string();
        writeFileAtomic(probe, "ok");
        fs::remove(probe);
    }
    const auto plan = planGeneration(classes, settings, projectSeed);
    std::map<std::string, const GenerationClass*> byName;
    for (const auto& c : classes) byName[c.name] = &c;
    GenerationReport report;
    std::vector<const SyntheticRecord*> mine;
    for (size_t i = 0; i < plan.size(); ++i)
        if (inShard(static_cast<int64_t>(i), shardIndex, shardCount)) mine.push_back(&plan[i]);
    report.total = static_cast<int64_t>(mine.size());
    for (const auto* planned : mine) report.outputs.push_back(planned->outputPath);
    // A Diff-II run encodes every prompt it needs first (the renderer keeps them) and frees the text encoder for its
    // duration: 469 MiB of a float32 SD 1.5 that would otherwise sit beside the UNet and the decode. It is read
    // again at the end, cancelled or not, for the session's next job.
    const bool allDiffII = std::all_of(mine.begin(), mine.end(), [](const SyntheticRecord* r) {
        return r->strategy == strategyName(SynthesisStrategy::DiffII);
    });
    // What the run frees comes back when it ends, cancelled or not (releaseUNetForDecode frees the UNet).
    struct ModelBack {
        StableDiffusion* sd = nullptr;
        bool textEncoder = false;
        ~ModelBack() {
            try {
                if (textEncoder) sd->loadTextEncoder();
                sd->loadUNet();
            } catch (const std::exception&) {
                // The files went away during the run: the next job fails with an error naming the model.
            }
        }
    } modelBack{&sd};
    if (allDiffII && !mine.empty() && sd.hasTextEncoder()) {
        for (const auto* planned : mine)
            renderer.prompts(byName.at(planned->className)->prompt, planned->suffix, settings.negativePrompt);
        sd.releaseTextEncoder();
        modelBack.textEncoder = true;
    }
    // Images finished by an earlier run with the same plan (same seed, settings and hashes) are kept, and counted
    // first: the progress then starts where that run stopped, and its ETA counts only this run's images.
    // A PNG cut short (a full disk, a copy interrupted) is made again.
    auto finishedEarlier = [&](const SyntheticRecord& planned) {
        const auto png = fs::path(outDir) / planned.outputPath;
        const auto sidecar = fs::path(png).replace_extension(".json");
        if (!fs::exists(png) || !fs::exists(sidecar)) return false;
        try {
            std::ifstream in(sidecar);
            return madeAsPlanned(recordFromJson(nlohmann::json::parse(in), sidecar.string()), planned) &&
                   pngFileComplete(png.string());
        } catch (const std::exception&) {
            return false;  // unreadable sidecar: regenerate
        }
    };
    std::vector<const SyntheticRecord*> todo;
    for (const auto* planned : mine) {
        if (finishedEarlier(*planned))
            ++report.skipped;
        else
            todo.push_back(planned);
    }
    int64_t done = report.skipped;
    if (job && done > 0)
        job->report("generation", done, report.total, std::to_string(done) + " kept from an earlier run");
    for (const auto* planned : todo) {
        if (job) job->throwIfCancelled();
        const auto png = fs::path(outDir) / planned->outputPath;
        const auto sidecar = fs::path(png).replace_extension(".json");
        createFolders(png.parent_path());
        SyntheticRecord record = *planned;
        torch::Tensor image;
        if (record.strategy == strategyName(SynthesisStrategy::DiffII)) {
            image = generateImage(sd, *byName.at(record.className), record, settings, job, &renderer);
        } else {
            sd.loadUNet();  // freed by a Diff-II image before it (releaseUNetForDecode)
            image = generateBaselineImage(sd, classes, record, settings, job, renderer);
        }
        // PNG first, sidecar second: a sidecar only exists beside a complete image.
        saveImagePng(png.string(), image);
        writeFileAtomic(sidecar.string(), recordJson(record).dump() + "\n");
        ++report.generated;
        if (job) job->report("generation", ++done, report.total, record.outputPath);
    }
    std::optional<FileLock> serial;
    if (!settings.manifestLock.empty()) serial.emplace(settings.manifestLock);
    // The manifest lists this plan's images (every shard's, as far as they are done): images an earlier plan left
    // in the folder (a larger expansion rate, other settings, an older pool) stay on disk but out of the set.
    std::map<std::string, const SyntheticRecord*> planned;
    for (const auto& r : plan) planned[r.outputPath] = &r;
    rebuildManifest(
        outDir,
        [&](const SyntheticRecord& made) {
            const auto it = planned.find(made.outputPath);
            return it != planned.end() && madeAsPlanned(made, *it->second) &&
                   pngFileComplete((fs::path(outDir) / made.outputPath).string());
        },
        &report.leftOut);
    return report;
}

bool madeAsPlanned(const SyntheticRecord& made, const SyntheticRecord& planned) {
    return made.seed == planned.seed && made.modelHash == planned.modelHash &&
           made.conceptsHash == planned.conceptsHash &&
           // The pool's inversion steps matter to Diff-II images only (the baselines start from the image).
           (planned.strategy != strategyName(SynthesisStrategy::DiffII) ||
            made.inversionSteps == planned.inversionSteps) &&
           made.split == planned.split && made.steps == planned.steps && made.guidance == planned.guidance &&
           made.suffix == planned.suffix && made.strategy == planned.strategy && made.strength == planned.strength &&
           made.sourceA == planned.sourceA && made.targetClass == planned.targetClass;
}

std::vector<SyntheticRecord> rebuildManifest(const std::string& outDir,
                                             const std::function<bool(const SyntheticRecord&)>& keep,
                                             int64_t* leftOut) {
    if (leftOut) *leftOut = 0;
    std::map<std::string, SyntheticRecord> previous;
    const auto manifestJsonl = (fs::path(outDir) / "manifest.jsonl").string();
    if (fs::exists(manifestJsonl)) {
        try {
            for (auto& r : readManifestJsonl(manifestJsonl)) previous[r.outputPath] = r;
        } catch (const Error&) {
            // A damaged manifest is rebuilt from the sidecars; curation marks in it are lost (they were unreadable).
        }
    }
    std::vector<SyntheticRecord> records;
    for (const auto& entry : fs::recursive_directory_iterator(outDir)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
        const auto png = fs::path(entry.path()).replace_extension(".png");
        if (!fs::exists(png)) continue;
        std::ifstream in(entry.path());
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(in);
        } catch (const nlohmann::json::exception& e) {
            throw Error(entry.path().string() + ": damaged sidecar record: " + e.what());
        }
        auto r = recordFromJson(j, entry.path().string());
        if (keep && !keep(r)) {
            if (leftOut) ++*leftOut;
            continue;
        }
        const auto it = previous.find(r.outputPath);
        if (it != previous.end()) {
            r.curation = it->second.curation;
            r.tags = it->second.tags;
        }
        records.push_back(std::move(r));
    }
    std::sort(records.begin(), records.end(), [](const SyntheticRecord& a, const SyntheticRecord& b) {
        return a.classIndex != b.classIndex ? a.classIndex < b.classIndex : a.index < b.index;
    });
    writeManifest(outDir, records);
    return records;
}

namespace {

// Folders an export must not write into without --force: the root, the system's folders and the home folder itself.
bool isSystemPath(const fs::path& p) {
    const std::string s = p.generic_string();
    if (s == "/" || s.empty()) return true;
    static const char* roots[] = {"/bin",  "/boot", "/dev",  "/etc", "/lib", "/lib32", "/lib64", "/libx32",
                                  "/proc", "/run",  "/sbin", "/sys", "/usr", "/var",   "/snap"};
    for (const char* r : roots) {
        const std::string root(r);
        if (s == root || s.rfind(root + "/", 0) == 0) return true;
    }
    for (const char* top : {"/home", "/root", "/opt", "/srv", "/mnt", "/media", "/tmp"})
        if (s == top) return true;
    if (const char* home = std::getenv("HOME"))
        if (*home && fs::path(home).lexically_normal() == p) return true;
    return false;
}

nlohmann::json readMarker(const fs::path& dir) {
    const auto file = dir / kExportMarker;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return nullptr;
    try {
        std::ifstream in(file);
        return nlohmann::json::parse(in);
    } catch (const std::exception&) {
        return nlohmann::json::object();  // damaged: an export of this tool, of unknown set
    }
}

void writeMarker(const fs::path& dir, const std::string& synthetic, bool complete) {
    const std::time_t t = std::time(nullptr);
    char when[64];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const nlohmann::json j = {
        {"synthetic", synthetic}, {"complete", complete}, {"command", currentCommandLine()}, {"time", when}};
    writeFileAtomic((dir / kExportMarker).string(), j.dump(2) + "\n");
}

}  // namespace

std::string readExportState(const std::string& exportDir) {
    const auto j = readMarker(fs::path(exportDir));
    if (j.is_null()) return "none";
    return j.is_object() && j.value("complete", false) ? "complete" : "incomplete";
}

int64_t exportSyntheticSet(const std::string& syntheticDir, const std::string& exportDir, bool includeRejected,
                           const JobContext* job, bool force) {
    const auto manifest = (fs::path(syntheticDir) / "manifest.jsonl").string();
    if (!fs::exists(manifest)) throw Error(manifest + ": no manifest (generate images first)");
    auto records = readManifestJsonl(manifest);
    if (exportDir.empty()) throw Error("export: no export folder given");
    const auto target = canonicalPath(exportDir);
    const auto source = canonicalPath(syntheticDir);
    const auto sourceText = source.generic_string(), targetText = target.generic_string();
    if (pathsNest(target, source))
        throw Error(exportDir + ": the export folder must lie outside the synthetic set " + syntheticDir +
                    " (and not contain it)");
    if (!force && isSystemPath(target))
        throw Error(exportDir + ": refusing to export into a system folder (" + targetText +
                    "); choose a folder of its own (or pass --force)");
    std::error_code ec;
    const auto marker = readMarker(target);
    const bool sameSet = marker.is_object() && marker.value("synthetic", std::string()) == sourceText;
    if (fs::is_directory(target, ec) && !fs::is_empty(target, ec) && !sameSet && !force)
        throw Error(exportDir + ": the folder is not empty and is not an earlier export of this set (" +
                    (marker.is_null()
                         ? std::string("no ") + kExportMarker
                         : std::string(kExportMarker) + " names " +
                               (marker.is_object() ? marker.value("synthetic", std::string("?")) : std::string("?"))) +
                    "): choose an empty folder, or pass --force to merge into it");
    createFolders(target);
    removeStaleTemporaries(target.string());
    // What an earlier export of this set wrote, so that images no longer exported can be removed afterwards.
    std::set<std::string> previous;
    if (sameSet && fs::exists(target / "manifest.jsonl")) {
        try {
            for (const auto& r : readManifestJsonl((target / "manifest.jsonl").string())) previous.insert(r.outputPath);
        } catch (const Error&) {
            // a damaged manifest of our own: rewritten below
        }
    }
    // Unfinished until the manifests are written: a killed export cannot look complete.
    writeMarker(target, sourceText, false);
    fs::remove(target / "manifest.csv", ec);
    fs::remove(target / "manifest.jsonl", ec);
    std::vector<SyntheticRecord> exported;
    int64_t done = 0;
    for (const auto& r : records) {
        if (job) job->throwIfCancelled();
        if (r.curation == Curation::Rejected && !includeRejected) continue;
        const auto src = fs::path(syntheticDir) / r.outputPath;
        const auto dst = target / r.outputPath;
        createFolders(dst.parent_path());
        // Copied unless the export already holds the same bytes (an image made again, or replaced, may keep its
        // size: comparing sizes alone left an outdated image in place).
        std::ifstream in(src, std::ios::binary);
        if (!in) throw Error(src.string() + ": missing synthetic image listed in the manifest");
        const std::string bytes((std::istreambuf_iterator<char>(in)), {});
        std::error_code sizeEc;
        bool same = fs::exists(dst, sizeEc) && fs::file_size(dst, sizeEc) == bytes.size() && !sizeEc;
        if (same) {
            std::ifstream old(dst, std::ios::binary);
            same = old && std::string((std::istreambuf_iterator<char>(old)), {}) == bytes;
        }
        if (!same) writeFileAtomic(dst.string(), bytes);
        previous.erase(r.outputPath);
        exported.push_back(r);
        if (job) job->report("export", ++done, static_cast<int64_t>(records.size()), r.outputPath);
    }
    for (const auto& stale : previous) {
        const auto rel = fs::path(stale).lexically_normal();
        if (rel.is_absolute() || rel.string().rfind("..", 0) == 0) continue;  // only inside the folder
        fs::remove(target / rel, ec);
    }
    writeManifest(target.string(), exported);
    writeMarker(target, sourceText, true);
    return static_cast<int64_t>(exported.size());
}

}  // namespace diffii
