// Concept learning of Diff-II (textual inversion + a shared LoRA, as Diff-Mix's train_lora.py with
// --use_textual_inversion): every class gets its own placeholder tokens, initialised from an init word, and all
// classes share one UNet LoRA. Only the new token-embedding rows and the LoRA are trained; every other weight
// (the original vocabulary rows included) stays bit-identical.
//
// Output folder: embeddings.safetensors ({token: F32 [C]}), lora.safetensors (diffusers convention),
// concepts.json (class -> tokens, metaclass, settings), loss.csv, checkpoint.safetensors + checkpoint.json.
// Every file is written atomically; a cancelled or interrupted job resumes from its last checkpoint and reaches
// exactly the weights of an uninterrupted run (all random draws of step s are a function of (seed, s)).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine/types.h"
#include "core/jobs/progress.h"
#include "core/models/lora.h"
#include "core/models/stable_diffusion.h"

namespace diffii {

// One class to learn.
struct ConceptClass {
    std::string name;                     // e.g. "Black footed Albatross"
    std::vector<std::string> imagePaths;  // at least one
    std::vector<std::string> tokens;      // placeholder tokens; empty: "<{slug(name)}-{i}>", i < tokensPerClass
    std::string initWord;                 // empty: ConceptSettings::initWord, or the metaclass word when that is empty
};

// "a photo of a <tok-0> <tok-1> bird": the training prompt of a class.
std::string conceptPrompt(const std::vector<std::string>& tokens, const std::string& metaclass);

// Lower-case ASCII letters and digits, every other run of characters -> '-', trimmed ("Black-footed albatross!"
// -> "black-footed-albatross"); empty when nothing is left.
std::string conceptSlug(const std::string& className);

class ConceptLearner {
public:
    // Validates the classes and settings (diffii::Error naming the class / setting at fault); reads no image yet.
    ConceptLearner(std::shared_ptr<StableDiffusion> sd, std::vector<ConceptClass> classes, std::string metaclass,
                   ConceptSettings settings = {});

    // Placeholder tokens of each class (input order), as they will be trained.
    const std::vector<std::vector<std::string>>& tokens() const { return m_tokens; }

    // Trains and writes the output folder. Progress: job->report("concepts", step, maxSteps, "loss 0.123").
    // Cancellation is polled between steps; a cancel writes the checkpoint and then throws Cancelled.
    // resume: continue from outputDir/checkpoint.safetensors when it exists (fresh start otherwise); the
    // checkpoint must come from the same classes, images, model and settings (maxSteps and checkpointEvery may
    // differ). Leaves the model with the trained tokens added and the LoRA attached at scale 1; every original
    // model parameter is left with requires_grad false.
    ConceptResult train(const std::string& outputDir, const JobContext* job = nullptr, bool resume = false);

    // The LoRA being trained (after train() started), e.g. to detach it.
    std::shared_ptr<UNetLoraImpl> lora() const { return m_lora; }

    // Called after every optimizer step with the step number, while the model holds the current embeddings and
    // LoRA (e.g. to render sample images); runs on the training thread, between steps.
    void setStepCallback(std::function<void(int64_t step)> callback) { m_onStep = std::move(callback); }

private:
    std::function<void(int64_t)> m_onStep;
    std::shared_ptr<StableDiffusion> m_sd;
    std::vector<ConceptClass> m_classes;
    std::string m_metaclass;
    ConceptSettings m_settings;
    std::vector<std::vector<std::string>> m_tokens;
    std::shared_ptr<UNetLoraImpl> m_lora;
};

// A trained concept folder loaded into a model.
struct LoadedConcepts {
    std::string metaclass;
    std::vector<std::string> classNames;  // in training order
    std::map<std::string, std::vector<std::string>> tokensPerClass;
    std::shared_ptr<UNetLoraImpl> lora;  // fused into the UNet's weights (unfuse() restores the base model)
    std::string prompt(const std::string& className) const;  // conceptPrompt(tokens of the class, metaclass)
};

// concepts.json + loadTextualInversion(embeddings.safetensors) + UNetLoraImpl::load(lora.safetensors), the LoRA
// fused into the UNet's weights (for inference: a UNet call then costs what the base model's costs).
// Errors name the file and the class/token at fault.
LoadedConcepts loadConcepts(StableDiffusion& sd, const std::string& folder, double loraScale = 1.0);

// One line of the loss log, concepts/loss.csv (step,loss,smoothed_loss,lr_embedding,lr_lora), which ConceptLearner
// writes with every checkpoint.
struct LossLogRow {
    int64_t step = 0;  // 1-based optimizer step
    double loss = 0.0;
    double smoothed = 0.0;
};
// Every row of the file (empty when it does not exist); a line that is not a log line is an Error naming it.
std::vector<LossLogRow> readLossLog(const std::string& file);

}  // namespace diffii
