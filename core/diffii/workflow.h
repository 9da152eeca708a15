// A project opened for work: its dataset, split, model (with trained concepts when present) and the jobs of the
// Diff-II flow over them — train concepts, build the inversion pool, generate, export. The CLI subcommands and the
// GUI pages are thin fronts over this class.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/dataset.h"
#include "core/data/project.h"
#include "core/data/splits.h"
#include "core/diffii/concept_learner.h"
#include "core/diffii/generator.h"
#include "core/diffii/inversion_pool.h"

namespace diffii {

// The settings of every job, stored under "settings" in project.json; missing keys take the defaults.
struct WorkflowSettings {
    ConceptSettings concepts;  // concepts.bf16 is resolved from conceptsPrecision when training starts
    // settings.concepts.precision: "auto" (default), "float32" or "bfloat16"; a legacy "bf16": true reads as bfloat16.
    Precision conceptsPrecision = Precision::Auto;
    PoolSettings pool;
    double expansionRate = 5.0;
    DenoiseSettings denoise;  // steps 25, guidance 7.5, split 0.5
    std::string negativePrompt;

    static WorkflowSettings fromJson(const nlohmann::json& settings, const std::string& file);
    nlohmann::json toJson() const;
};

class ProjectSession {
public:
    // Opens the project, its dataset and split (split.json in the project, else every image), and loads the model
    // with the trained concepts when concepts/ holds a finished training. Throws diffii::Error naming what is wrong
    // (a model whose fingerprint differs from the one the concepts were trained on included).
    // precision: of the model for pool, preview and generation (core/jobs/precision.h); concept training uses the
    // settings' own.
    static std::unique_ptr<ProjectSession> open(const std::string& projectDir, Precision precision = Precision::Auto,
                                                const JobContext* job = nullptr);

    Project& project() { return *m_project; }
    StableDiffusion& model() { return *m_sd; }
    std::shared_ptr<StableDiffusion> modelPtr() { return m_sd; }
    const ImageFolderDataset& dataset() const { return *m_dataset; }
    const Split& split() const { return m_split; }
    WorkflowSettings settings() const;
    void saveSettings(const WorkflowSettings& settings);
    void setSplit(const Split& split);  // saved as split.json; trained concepts and the pool become stale

    const std::string& modelHash() const { return m_modelHash; }
    std::string conceptsHash() const;  // "" when no concepts are trained
    bool hasConcepts() const { return m_concepts.has_value(); }
    const std::optional<LoadedConcepts>& concepts() const { return m_concepts; }  // LoRA fused into model()
    // The class prompt: "a photo of a <tokens> <metaclass>" with trained concepts, else "a photo of a <class> <metaclass>".
    std::string classPrompt(const std::string& className) const;
    std::vector<std::string> classTokens(const std::string& className) const;  // empty without concepts

    // The jobs. Each reports progress, honours cancellation and can be resumed by calling it again.
    // onSample(step, class name, prompt) is called every sampleEvery steps (0: never) while the model holds the
    // concepts as trained so far, so a front-end can render a sample image.
    ConceptResult trainConcepts(const JobContext* job = nullptr, bool resume = true, int64_t sampleEvery = 0,
                                const std::function<void(int64_t, const std::string&, const std::string&)>& onSample = {});
    std::vector<PoolEntry> buildPool(const JobContext* job = nullptr);
    std::vector<PoolEntry> pool() const;  // what is on disk, stale entries marked
    GenerationReport generate(const JobContext* job = nullptr, int shardIndex = 0, int shardCount = 1);
    int64_t exportSet(const std::string& exportDir, const JobContext* job = nullptr);

    std::vector<std::string> suffixes() const;  // project suffixes.txt, else the metaclass defaults
    void setSuffixes(const std::vector<std::string>& suffixes);
    std::vector<GenerationClass> generationClasses() const;
    std::vector<PoolSource> poolSources() const;

private:
    ProjectSession() = default;
    void loadTrainedConcepts();

    std::optional<Project> m_project;  // set by open()
    std::unique_ptr<ImageFolderDataset> m_dataset;
    Split m_split;
    std::shared_ptr<StableDiffusion> m_sd;
    std::string m_modelHash;
    std::optional<LoadedConcepts> m_concepts;
};

}  // namespace diffii
