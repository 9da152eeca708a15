// Generation at scale: per class, expansion rate × (number of training images) synthetic images. Every image's
// random choices (source pair, α, suffix, fallback noise) come from one seed derived from (project seed, class,
// index), so any image regenerates alone and identically, shards split the work disjointly, and a restarted run
// skips finished images. Output: synthetic/<class>/<class>_<index>.png, a sidecar record per image, and
// manifest.csv + manifest.jsonl over all finished images.
#pragma once

#include <functional>

#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/data/synthetic_manifest.h"
#include "core/diffii/inversion_pool.h"
#include "core/diffii/preview.h"
#include "core/engine/types.h"
#include "core/pipelines/sd_pipeline.h"

namespace diffii {

struct GenerationSettings {
    double expansionRate = 5.0;         // images per class = round(rate × training images), at least 1
    DenoiseSettings denoise;            // steps 25, guidance 7.5, split s
    int inversionSteps = 50;            // recorded in the manifest (the pool's setting)
    std::vector<std::string> suffixes;  // one drawn per image; empty: no suffix
    std::string negativePrompt;
    std::string modelHash, conceptsHash;
    SynthesisStrategy strategy = SynthesisStrategy::DiffII;
    // A file to flock around the manifest's rewrite ("": none): shards of one set running at once rewrite it one
    // at a time, each from every sidecar on disk, so the last one lists every image (core/data/project_lock.h).
    std::string manifestLock;
    // Free the UNet after each image's last denoising step and read it again for the next image, so that the
    // decode's activations never sit beside its weights (a full-size model on the CPU: SD 1.5 float32 at 512x512,
    // ~1 GB of decode beside 3.3 GB of UNet); the UNet is loaded again when the run ends. Costs one UNet read per
    // image (from the page cache; StableDiffusion::addUNetAdapter keeps a fused LoRA).
    bool releaseUNetForDecode = false;
};

// The deterministic plan of every image (without θ and α, which need the inversions).
std::vector<SyntheticRecord> planGeneration(const std::vector<GenerationClass>& classes,
                                            const GenerationSettings& settings, uint64_t projectSeed);

// Generates one planned Diff-II image through the one render path (core/diffii/preview.h; the baselines' images
// are made by runGeneration, which knows every class); fills theta/alpha/sourceB/
// fallbackNoise of the record. A renderer kept across the images of a run reads each class's prompts and
// latents once; without one, the call makes its own.
torch::Tensor generateImage(StableDiffusion& sd, const GenerationClass& cls, SyntheticRecord& record,
                            const GenerationSettings& settings, const JobContext* job = nullptr,
                            PreviewRenderer* renderer = nullptr);

// Runs the plan (or the shard i/N of it) into outDir. The manifest is rewritten from the finished sidecars of the
// plan, so shards writing into one folder yield one manifest; curation marks already in the manifest are kept.
// Images of an earlier plan stay on disk but not in the manifest (GenerationReport::leftOut).
GenerationReport runGeneration(StableDiffusion& sd, const std::vector<GenerationClass>& classes,
                               const GenerationSettings& settings, uint64_t projectSeed, const std::string& outDir,
                               int shardIndex = 0, int shardCount = 1, const JobContext* job = nullptr);

// Collects every finished image's sidecar record under outDir (those `keep` accepts, when given; leftOut counts the
// others) and writes manifest.csv/jsonl (atomically), keeping the curation marks and tags of a previous manifest.
// Returns the records.
std::vector<SyntheticRecord> rebuildManifest(const std::string& outDir,
                                             const std::function<bool(const SyntheticRecord&)>& keep = {},
                                             int64_t* leftOut = nullptr);

// Whether an image made earlier (its sidecar record) is the planned one: same seed, model, concepts, pool
// (inversion steps), settings, strategy and source. Only such an image is kept by a resumed run.
bool madeAsPlanned(const SyntheticRecord& made, const SyntheticRecord& planned);

}  // namespace diffii
