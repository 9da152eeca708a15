// Pretraining of the embedded default model (a tiny Stable Diffusion of the same architecture as the real ones)
// from a captioned image corpus, with project code only:
//   1. a CLIP-format BPE vocabulary learned from the captions (learnClipBpe);
//   2. the VAE (AutoencoderKL) trained alone: L1 + MSE reconstruction + a small KL term;
//   3. every corpus image (and its mirror image) encoded once; the latent scaling factor is 1 / std of the latents;
//   4. the UNet and the CLIP text encoder trained together, all parameters, with the noise-prediction loss of
//      concept learning (conceptTrainingLoss) and caption dropout so that classifier-free guidance works.
// Every stage checkpoints into the work folder (atomic writes) and a run resumes where it stopped: all random draws
// of a step are a function of (seed, stage, step). The work folder's model/ is a complete diffusers folder at every
// checkpoint, loaded by StableDiffusion::load like a user's model; exportPretrainedModel writes the shipped copy
// (float16 weights).
#pragma once

#include "core/jobs/precision.h"

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/jobs/progress.h"

namespace diffii {

struct PretrainRecipe {
    std::string path;  // the recipe file (for messages)
    uint64_t seed = 0;
    int64_t imageSize = 64;
    int vocabSize = 4096;
    int minPairFrequency = 2;
    std::vector<std::string> extraVocabularyText;  // learned into the vocabulary beside the captions
    // VAE stage
    int64_t vaeSteps = 2000;
    int64_t vaeBatch = 16;
    double vaeLr = 1e-3;
    int64_t vaeWarmup = 100;
    double klWeight = 1e-6;
    double l1Weight = 1.0;
    double mseWeight = 1.0;
    // UNet + text encoder stage
    int64_t unetSteps = 12000;
    int64_t unetBatch = 32;
    double unetLr = 5e-4;
    double textLr = 2e-4;
    int64_t unetWarmup = 500;
    double weightDecay = 0.01;
    double captionDropout = 0.1;
    bool randomFlip = true;
    // "precision": auto (bfloat16 autocast where the CPU has it natively), float32 or bfloat16; a legacy
    // "bf16_autocast": true/false reads as bfloat16/float32.
    Precision precision = Precision::Auto;
    int64_t checkpointEvery = 200;
    nlohmann::json unetConfig, vaeConfig, textEncoderConfig, schedulerConfig;

    // Throws diffii::Error naming the file and the key at fault.
    static PretrainRecipe fromFile(const std::string& path);
    // What must not change between a run and its resume (steps may grow).
    nlohmann::json identity() const;
};

struct CorpusItem {
    std::string file;  // absolute path
    std::string caption;
};

// corpus/captions.jsonl: one {"file": relative path, "caption": text, ...} per line. Errors name the line.
std::vector<CorpusItem> readCaptionCorpus(const std::string& corpusDir);

struct PretrainResult {
    std::string stage;    // "done" when every stage finished
    int64_t vaeStep = 0;  // optimizer steps done per stage
    int64_t unetStep = 0;
    double vaeLoss = 0.0;  // smoothed loss at the last step of each stage (0 when not run)
    double unetLoss = 0.0;
    double stepsPerSecond = 0.0;  // of the steps run by this call
    double scalingFactor = 0.0;
    std::string modelDir;  // workDir/model
};

// Runs (or resumes, when workDir holds a run of the same recipe and corpus) the pretraining. Progress stages:
// "tokenizer", "load", "vae", "latents", "unet". Cancellation is polled between steps; a cancel writes a
// checkpoint first and then throws Cancelled. A work folder of another recipe or corpus is an error, never reused.
PretrainResult pretrainModel(const PretrainRecipe& recipe, const std::string& corpusDir, const std::string& workDir,
                             const JobContext* job = nullptr);

// Writes the trained model of workDir (any stage) as a diffusers folder with float16 weights plus
// pretraining.json (recipe, steps, losses, corpus size). outDir is replaced atomically (written beside, renamed).
void exportPretrainedModel(const std::string& workDir, const std::string& outDir);

}  // namespace diffii
