// The plain data of the engine API (core/engine/session.h): settings, results and images as the GUI and the CLI
// see them. Standard library and JSON only: no LibTorch, no Qt, so that the fronts compile without either's
// headers. The core's own headers include this one for the same structs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/jobs/precision.h"

namespace diffii {

// An image in the engine's own layout: planar (channels, height, width) float values in [0, 1], as the models
// compute them; compared exactly (a cached preview is bit-identical to an uncached one).
struct Image {
    int channels = 0, height = 0, width = 0;
    std::vector<float> data;  // channels × height × width

    bool empty() const { return data.empty(); }
    // Interleaved 8-bit (height, width, channels), values clamped to [0, 1] and scaled by 255 with truncation:
    // the bytes a PNG of the image holds (core/io/image.h toUint8Hwc rounds the same way).
    std::vector<uint8_t> toBytes() const;
    friend bool operator==(const Image& a, const Image& b) {
        return a.channels == b.channels && a.height == b.height && a.width == b.width && a.data == b.data;
    }
};

// Writes an (3, H, W) image as PNG, atomically (core/io/image.cpp). Throws diffii::Error naming the file.
void saveImagePng(const std::string& path, const Image& image);

// --- model folders (core/engine/session.h summarizeModelFolder) ---

// What the New-project dialog shows of a diffusers model folder: its architecture as model_index.json and the
// component configs name it, and the size its weight headers give.
struct ModelFolderSummary {
    std::string pipelineClass;      // model_index.json "_class_name", e.g. StableDiffusionPipeline
    std::string unetClass;          // e.g. UNet2DConditionModel
    std::string textEncoderClass;   // e.g. CLIPTextModel
    std::string vaeClass;           // e.g. AutoencoderKL
    int64_t parameterCount = 0;     // all three components, from the weight headers
    int64_t nativeImageSize = 0;    // unet sample_size × VAE downscale factor; 0 when the configs do not say
    int64_t crossAttentionDim = 0;  // the unet's cross_attention_dim (768: SD 1.x, 1024: SD 2.x)
    std::string singleFile;         // a single-file checkpoint: "recognised: SD 1.x single file", ...; "" for a folder
};

// --- concept learning (core/diffii/concept_learner.h) ---

struct ConceptSettings {
    int tokensPerClass = 1;
    std::string initWord;  // default init word for every class; empty: the metaclass word
    int64_t loraRank = 10;
    double embeddingLr = 5e-3;
    double loraLr = 1e-4;
    double embeddingWeightDecay = 0.0;  // AdamW, per parameter group
    double loraWeightDecay = 1e-2;
    int64_t lrWarmupSteps = 0;  // linear warm-up of both learning rates, then constant
    int batchSize = 1;
    int gradAccumulation = 1;
    int64_t maxSteps = 1000;        // optimizer steps
    int64_t checkpointEvery = 100;  // 0: checkpoint only at cancel and at the end
    uint64_t seed = 0;
    // The caller loads the model with LoadSettings{torch::kBFloat16} for bf16 training; this flag only asserts
    // it (an error when the model's dtype disagrees), so that the settings recorded with the result are true.
    // The trainable parameters (LoRA and the embedding rows) are float32 master copies either way.
    bool bf16 = false;
    int64_t imageSize =
        0;  // square training size in pixels; 0: the model's native size (unet sample_size × VAE factor)
    bool randomFlip = false;
    double lossSmoothing = 0.9;  // EMA factor of the smoothed loss (bias-corrected)

    nlohmann::json toJson() const;
};

struct ConceptResult {
    double finalLoss = 0.0;               // loss of the last step (mean over its micro-batches)
    double smoothedLoss = 0.0;            // EMA of the loss at the last step
    double stepsPerSecond = 0.0;          // optimizer steps run by this call / their wall time (0 when none ran)
    int64_t steps = 0;                    // total optimizer steps done (== maxSteps)
    int64_t resumedFromStep = 0;          // 0 for a fresh run
    std::vector<std::string> classNames;  // in input order
    std::map<std::string, std::vector<std::string>> tokensPerClass;
    std::string outputDir;
};

// What a project's concepts/ folder records of concept learning, for a front opened later (the Concepts page):
// loss.csv (written with every checkpoint, so it holds exactly the steps a resume continues from), the sample
// images rendered during training (samples/samples.json, each PNG written atomically as it is made) and the
// checkpoint's step and tokens.
struct ConceptLossPoint {
    int64_t step = 0;  // 1-based optimizer step
    double loss = 0.0;
    double smoothed = 0.0;  // the EMA of the loss at that step
};

struct ConceptSampleRecord {
    int64_t step = 0;
    std::string className;
    std::string file;  // absolute path of the PNG
};

struct ConceptHistory {
    int64_t trainedSteps = 0;                  // optimizer steps of the last checkpoint (0: never trained)
    bool finished = false;                     // concepts.json holds the weights of trainedSteps
    std::vector<ConceptLossPoint> loss;        // steps 1 .. trainedSteps
    std::vector<ConceptSampleRecord> samples;  // in step order, none after trainedSteps
    std::map<std::string, std::vector<std::string>> tokensPerClass;  // the tokens trained (checkpoint.json)
};

// A textual-inversion embedding imported as a class's concept (ProjectSession::importConcept): the class prompt
// uses its token ("a photo of a <token> bird") without training, instead of the class's trained tokens.
struct ImportedConcept {
    std::string className;
    std::string token;    // the word in the class prompt, e.g. "<cat-toy>" or "EasyNegative"
    int64_t vectors = 0;  // n: the word stands for n placeholder tokens (token, token_1, ..., token_{n-1})
    std::string layout;   // the file's layout: "kohya" (emb_params), "a1111" (string_to_param.*) or "diffusers"
    std::string source;   // the file it was imported from, as given
    std::string file;     // its copy in the project: concepts/imported/<class slug>.safetensors
};

// "FILE" or "FILE:TOKEN" (an embedding on the command line: TOKEN names the file's embedding in prompts) -> {file,
// token}; a path that exists as given stays whole, even with a ':' in its name. (core/diffii/textual_inversion.cpp)
std::pair<std::string, std::string> splitEmbeddingArgument(const std::string& arg);

// --- the inversion pool (core/diffii/inversion_pool.h) ---

struct PoolSource {
    std::string className;
    std::string imagePath;  // absolute or relative to the working directory
    std::string key;        // stable name of the entry inside the class folder (e.g. the image's file stem)
    std::string prompt;     // class prompt used for the inversion
};

struct PoolSettings {
    int steps = 50;
    double guidance = 1.0;
    int64_t width = 0, height = 0;  // 0: the model's native size
    bool reconstruct = true;        // also denoise back and measure PSNR
};

struct PoolEntry {
    std::string className;
    std::string key;
    std::string imagePath;
    std::string file;            // the entry's safetensors file
    std::string reconstruction;  // PNG of the reconstruction ("" when not made)
    double psnr = 0.0;           // dB, reconstruction vs the (resized) original; 0 when not made
    bool stale = false;          // produced by other settings, model or concepts than the current ones
};

// --- sampling (core/pipelines/sd_pipeline.h) ---

struct InversionSettings {
    int steps = 50;
    double guidance = 1.0;  // <= 1: no classifier-free guidance (conditional batch only)
};

struct DenoiseSettings {
    int steps = 25;
    double guidance = 7.5;
    double split = 0.5;  // s: timesteps t >= 1000·(1−s) use the suffixed prompt
};

// --- generation (core/diffii/generator.h) ---

struct GenerationClass {
    std::string name;
    int64_t classIndex = 0;
    std::string prompt;               // "a photo of a <tokens> <metaclass>"
    std::vector<PoolEntry> pool;      // inversions of the class's training images
    int64_t trainImages = 0;          // for the expansion rate
    std::string plainPrompt;          // "a photo of a <class name> <metaclass>" (Real-Guidance)
    std::vector<std::string> images;  // the training images (the img2img strategies' sources)
};

// How a synthetic set is made. Diff-II is the method; the others are the paper's diffusion baselines, all over the
// same concepts (tokens + LoRA), guidance and steps: Real-Guidance (img2img of a real image with the plain prompt,
// strength 0.5), DA-Fusion (img2img with the class tokens, strength from {0.25, 0.5, 0.75, 1}), Diff-AUG (the same
// with {0.3, 0.5, 0.7, 0.9}), Diff-Mix (a source image of the class with the tokens of a uniformly drawn class,
// strength from {0.3, 0.5, 0.7, 0.9}; soft label), Diff-Gen (text to image with the class tokens).
enum class SynthesisStrategy { DiffII, RealGuidance, DaFusion, DiffAug, DiffMix, DiffGen };
const char* strategyName(SynthesisStrategy s);  // "diff-ii", "real-guidance", "da-fusion", "diff-aug", ...
// Throws diffii::Error naming the value and the accepted names.
SynthesisStrategy parseStrategy(const std::string& name);
std::vector<SynthesisStrategy> allStrategies();

// Images a synthetic set plans for a class with trainImages training images: round(rate × trainImages), at least
// one (core/diffii/generator.cpp planGeneration uses this same count).
int64_t plannedImagesForClass(int64_t trainImages, double expansionRate);

struct GenerationReport {
    int64_t generated = 0;
    int64_t skipped = 0;               // already finished (resume)
    int64_t total = 0;                 // images of this shard
    std::vector<std::string> outputs;  // the images of this shard's plan (paths relative to the set's folder)
    int64_t leftOut = 0;  // finished images in the folder outside the plan (an earlier plan's): not in the manifest
};

// --- interactive preview (core/diffii/preview.h) ---

struct PreviewParams {
    std::string className;
    int first = 0;  // indices into the class's current pool entries: clamped into range and made distinct
    int second = 1;
    double alpha = 0.0;  // rotation parameter of the circle formula
    uint64_t seed = 0;   // start noise of a class with one image
    std::string suffix;  // scene suffix of the first stage
    DenoiseSettings denoise;
    int intermediateEvery = 0;  // decode an intermediate image every N steps (0: none)
    // A large model (SD 1.5: one UNet call costs seconds) previews as a draft — fewer steps and a lower resolution,
    // chosen to come back in seconds — unless this is set: the full render, with the settings as given.
    bool fullRender = false;
};

// What a preview used and did, besides its image.
struct PreviewInfo {
    double theta = 0.0, alpha = 0.0, period = 0.0;
    bool interpolation = false;
    bool fallbackNoise = false;  // one-image class: fresh Gaussian noise instead of the circle
    int first = 0, second = 0;   // the pair used (after clamping)
    int computedSteps = 0;       // denoising steps (UNet calls with CFG batched) run for this image
    int reusedSteps = 0;         // steps taken from the previous trajectory
    bool draft = false;          // a draft: `steps` steps at a lower resolution instead of the settings
    int steps = 0;               // denoising steps of this image's trajectory (the settings' unless a draft)
};

struct PreviewImage : PreviewInfo {
    Image image;  // (3, H, W)
};

struct SplitSweepPoint {
    double split = 0.0;
    double sourceSimilarity = 0.0;  // core/eval/preview_metrics.h
    double diversity = 0.0;
};

// --- the project's settings ---

// Limits checked before any work starts and before a setting is saved to project.json.
constexpr int64_t kMaxPlannedImages = 10000000;  // images in one synthetic set (a plan is ~1 KB an image)
constexpr double kMaxExpansionRate = 10000.0;    // synthetic images per training image
constexpr int kMaxSamplingSteps = 1000;          // DDIM steps of denoising or inversion (1000 training timesteps)
constexpr double kMaxGuidance = 100.0;           // classifier-free guidance
constexpr int64_t kMaxTrainingSteps = 10000000;  // optimizer steps of concept learning

// The settings of every job, stored under "settings" in project.json; missing keys take the defaults.
struct WorkflowSettings {
    ConceptSettings concepts;  // concepts.bf16 is resolved from conceptsPrecision when training starts
    // settings.concepts.precision: "auto" (default), "float32" or "bfloat16"; a legacy "bf16": true reads as bfloat16.
    Precision conceptsPrecision = Precision::Auto;
    PoolSettings pool;
    double expansionRate = 5.0;
    DenoiseSettings denoise;  // steps 25, guidance 7.5, split 0.5
    std::string negativePrompt;
    // settings.evaluation.test_dir: the test images of `diffii evaluate` when the split holds none out ("": none).
    std::string evaluationTestDir;

    static WorkflowSettings fromJson(const nlohmann::json& settings, const std::string& file);
    nlohmann::json toJson() const;
};

}  // namespace diffii
