// The engine API: a project opened for work — its dataset, split, model (with trained concepts when present) and
// the jobs of the Diff-II flow over them: train concepts, build the inversion pool, preview, generate, curate,
// export. The CLI subcommands and the GUI pages are thin fronts over this class and the plain data of
// core/engine/types.h; this header includes no LibTorch (the model and the renderer are only declared).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/dataset.h"
#include "core/data/project.h"
#include "core/data/splits.h"
#include "core/data/synthetic_manifest.h"
#include "core/engine/types.h"
#include "core/jobs/device.h"
#include "core/jobs/log.h"
#include "core/jobs/precision.h"
#include "core/jobs/progress.h"
#include "core/jobs/slurm.h"

namespace diffii {

class StableDiffusion;
class PreviewRenderer;
struct LoadedConcepts;

// The project's files that the fronts change without loading a model (`diffii split`, `diffii suffixes`); the
// session reads and writes them the same way.
void writeProjectSplit(const Project& project, const Split& split, const std::string& datasetRoot);
std::vector<std::string> projectSuffixes(const Project& project);  // suffixes.txt, else the metaclass defaults
void writeProjectSuffixes(const Project& project, const std::vector<std::string>& suffixes);  // suffixes.txt
void resetProjectSuffixes(const Project& project);  // removes suffixes.txt: back to the metaclass defaults

// `diffii info`: the model folder's report (components, configs, parameters, dtypes), every weight name and shape
// checked against the modules built from the configs unless verify is false (headers only). Throws diffii::Error.
// modelDir may be a single-file checkpoint; modelConfig / predictionType are then its --model-config and
// --prediction-type ("" for none).
std::string modelFolderReport(const std::string& modelDir, bool verify = true, const std::string& modelConfig = "",
                              const std::string& predictionType = "");

// The New-project dialog's check of a model folder: what modelFolderReport(modelDir, false) checks (model_index,
// the component configs, the weight headers, the tokenizer) without building any module, so that no tensor is
// made and it may run off the engine thread. Throws diffii::Error naming the file that is wrong.
ModelFolderSummary summarizeModelFolder(const std::string& modelDir, const std::string& modelConfig = "");

// `diffii convert`: a single-file checkpoint to a diffusers folder (atomic, resumable; modelConfig / predictionType
// as for modelFolderReport), or, with toSingleFile, a diffusers folder to one single file. half: F16 weights.
// Returns one line per component of what was written or kept. Throws diffii::Error.
std::vector<std::string> convertModel(const std::string& source, const std::string& out, bool toSingleFile, bool half,
                                      const std::string& modelConfig = "", const std::string& predictionType = "");

// What createProjectFolder made, so that removeCreatedProjectFolder can take exactly that away again.
struct CreatedProjectFolder {
    std::string dir;         // the project folder, absolute
    bool existed = false;    // it existed (empty) before
    std::string topCreated;  // the highest folder on its path that did not exist before; "" when it existed
};

// Creates the project folder dir (a new folder, or an existing empty one) with project.json and its artifact
// folders atomically: everything is written into a hidden temporary sibling that is then renamed into place, so
// that a failure leaves nothing behind (folders made above it included). Throws diffii::Error when dir is not new
// or empty, or cannot be written.
CreatedProjectFolder createProjectFolder(const std::string& dir, const ProjectConfig& config);
// Undoes createProjectFolder (the new project did not open): removes what it made; a folder that existed, empty,
// stays, empty.
void removeCreatedProjectFolder(const CreatedProjectFolder& created);

class ProjectSession {
public:
    // Opens the project, its dataset and split (split.json in the project, else every image), and loads the model
    // with the trained concepts when concepts/ holds a finished training. Throws diffii::Error naming what is wrong
    // (a model whose fingerprint differs from the one the concepts were trained on included).
    // precision: of the model for pool, preview and generation (core/jobs/precision.h); concept training uses the
    // settings' own. device: where the model computes, "cpu", "cuda" or "cuda:N" (core/jobs/device.h; the app's
    // Preferences, the CLI's --device); a device this LibTorch cannot use is an error naming it.
    static std::unique_ptr<ProjectSession> open(const std::string& projectDir, Precision precision = Precision::Auto,
                                                const JobContext* job = nullptr, const std::string& device = "cpu");

    ~ProjectSession();

    Project& project() { return *m_project; }
    const ImageFolderDataset& dataset() const { return *m_dataset; }
    const Split& split() const { return m_split; }
    WorkflowSettings settings() const;
    void saveSettings(const WorkflowSettings& settings);
    void setSplit(const Split& split);  // saved as split.json; trained concepts and the pool become stale

    const std::string& modelHash() const { return m_modelHash; }
    std::string conceptsHash() const;  // "" when no concepts are trained
    bool hasConcepts() const { return m_concepts != nullptr; }
    std::string precisionReason() const;  // what the model computes in, and why (core/jobs/precision.h)
    std::string device() const;           // where the model computes: "cpu", "cuda:0", ...
    int64_t nativeImageSize() const;      // pixels: UNet sample size × VAE factor
    // The class prompt: "a photo of a <tokens> <metaclass>" with trained concepts, else "a photo of a <class>
    // <metaclass>".
    std::string classPrompt(const std::string& className) const;
    std::vector<std::string> classTokens(const std::string& className) const;  // empty without concepts

    // Textual-inversion embeddings people share (kohya emb_params, A1111 string_to_param.*, diffusers {token:
    // vector}: core/diffii/textual_inversion.h) as class concepts, used without training: importConcept copies
    // the file's one embedding into concepts/imported/ (named token, or the file's own name when token is ""),
    // records it in concepts/imported.json and reloads the model with it. From then on the class's prompt is "a
    // photo of a <token> <metaclass>" instead of the trained tokens' (training still learns every class and the
    // shared LoRA; removeImportedConcept gives the class back its trained tokens). The class's pool entries become
    // stale (the concepts fingerprint covers the imports). Throws diffii::Error naming the class or the file and
    // key at fault (no known layout, a vector size that is not the text encoder's, non-finite values, several
    // embeddings in the file, a token already in use) and then changes nothing.
    ImportedConcept importConcept(const std::string& className, const std::string& file, const std::string& token = "",
                                  const JobContext* job = nullptr);
    void removeImportedConcept(const std::string& className, const JobContext* job = nullptr);
    std::vector<ImportedConcept> importedConcepts() const;  // in class order of concepts/imported.json

    // The jobs. Each reports progress, honours cancellation and can be resumed by calling it again.
    // Every sampleEvery steps (0: never), one class in turn is rendered with its prompt as trained so far (seeded
    // noise, seed = step, 15 DDIM steps), saved as concepts/samples/<step>-<class>.png (listed in
    // samples/samples.json, both written atomically) and passed to onSample(step, class name, image (3, H, W) in
    // [0, 1]). A fresh run (resume false) removes the samples of the run before; a resumed one those after its
    // checkpoint. A pause (Cancelled) leaves the session with the concepts trained before this call, if any.
    ConceptResult trainConcepts(const JobContext* job = nullptr, bool resume = true, int64_t sampleEvery = 0,
                                const std::function<void(int64_t, const std::string&, const Image&)>& onSample = {});
    // onEntry is called with each entry as soon as it is on disk (kept or built), so a front can list the pool
    // progressively. Progress: one monotone count over every phase (inversion, reconstruction) of every image.
    std::vector<PoolEntry> buildPool(const JobContext* job = nullptr,
                                     const std::function<void(const PoolEntry&)>& onEntry = {});
    std::vector<PoolEntry> pool() const;  // what is on disk, stale entries marked
    // The concept learning recorded in concepts/ (loss log, samples, the checkpoint's step): what trainConcepts
    // wrote so far, read back for a front that opens the project later.
    ConceptHistory conceptHistory() const;
    GenerationReport generate(const JobContext* job = nullptr, int shardIndex = 0, int shardCount = 1);
    // Any strategy's synthetic set (core/engine/types.h SynthesisStrategy) with the project's settings (expansion
    // rate unless given), into outDir; the same plan, seeds, shards and resume as generate(), which is Diff-II
    // into synthetic/. The baselines need the concepts (their prompts use the class tokens) but no pool.
    // splitRatio overrides the project's s (Diff-II at several s, for the evaluation's diversity/faithfulness).
    GenerationReport generateStrategy(SynthesisStrategy strategy, const std::string& outDir,
                                      std::optional<double> expansionRate = std::nullopt,
                                      const JobContext* job = nullptr, int shardIndex = 0, int shardCount = 1,
                                      std::optional<double> splitRatio = std::nullopt);
    // Where a strategy's set lives: synthetic/ for Diff-II, strategies/<name>/ for the others, and
    // strategies/<name>-s<S>/ for a set made at another split ratio than the project's.
    std::string strategyDir(SynthesisStrategy strategy, std::optional<double> splitRatio = std::nullopt) const;
    // The set without rejected images into an ImageFolder (guarded: core/data/synthetic_manifest.h). After a Slurm
    // run, every planned image must be there first (core/jobs/slurm.h checkClusterRunComplete).
    int64_t exportSet(const std::string& exportDir, const JobContext* job = nullptr, bool force = false);

    // The synthetic set as recorded in synthetic/manifest.jsonl (empty before any generation), and its curation:
    // the image at outputPath (relative to synthetic/) gets the mark and tags, the manifests are rewritten
    // atomically. Throws diffii::Error naming the manifest when no such image is recorded.
    std::vector<SyntheticRecord> syntheticSet() const;
    void setCuration(const std::string& outputPath, Curation curation, const std::vector<std::string>& tags);
    // Several marks in one rewrite (a multi-selection, or the undo of one): all are applied or, when one names no
    // recorded image, none is (the error names the manifest and the image).
    struct CurationMark {
        std::string outputPath;
        Curation curation = Curation::Pending;
        std::vector<std::string> tags;
    };
    void setCurations(const std::vector<CurationMark>& marks);

    // Interactive rendering (core/diffii/preview.h), over the session's caches: the pool listing, the concepts
    // fingerprint, prompt embeddings, inversion latents and the last trajectory are kept until the pool, the
    // concepts, the split or the settings change.
    // onStep is called after every denoising step with the image decoded there, or an empty one between the
    // intermediate steps (params.intermediateEvery); it may throw Cancelled (a newer slider position superseded
    // this preview), and nothing is cached then.
    PreviewImage preview(const PreviewParams& params, const JobContext* job = nullptr,
                         const std::function<void(int step, int total, const Image& image)>& onStep = {});
    // count images once round the circle (α at turn i / count), each passed to onImage as it is done.
    std::vector<PreviewImage> circleStrip(const PreviewParams& params, int count, const JobContext* job = nullptr,
                                          const std::function<void(int, const PreviewImage&)>& onImage = {});
    // For each s: samples images at α drawn from params.seed + k, their similarity to the pair's source images and
    // their diversity (core/eval/preview_metrics.h). The points are computed s by s, in the order given, and each
    // is passed to onPoint(index into splits, point, its sample images) as soon as its samples are rendered.
    // firstAtAlpha: the first sample lies at params.alpha instead of a drawn α (the GUI's row of images per s then
    // shows the point on screen).
    std::vector<SplitSweepPoint> splitSweep(
        const PreviewParams& params, const std::vector<double>& splits, int samples, const JobContext* job = nullptr,
        const std::function<void(int, const SplitSweepPoint&, const std::vector<PreviewImage>&)>& onPoint = {},
        bool firstAtAlpha = false);

    std::vector<std::string> suffixes() const;  // project suffixes.txt, else the metaclass defaults
    void setSuffixes(const std::vector<std::string>& suffixes);
    // The classes with training images, their prompts and (needPool) their current pool entries: an error names
    // a class whose pool is missing or stale.
    std::vector<GenerationClass> generationClasses(bool needPool = true) const;
    std::vector<PoolSource> poolSources() const;

    // Generation on a Slurm cluster (core/jobs/slurm.h): the Diff-II set's plan, checked as generate() checks it
    // (concepts that match the model, a current pool) so that a stale project is refused before anything is
    // submitted; submit it as a job array; resubmit the shards of the latest run that are not complete. The run's
    // state needs no session: slurmRunStatus(project().dir()).
    SlurmPlan slurmPlan() const;
    SlurmRunStatus submitToSlurm(const SlurmSubmitOptions& options);
    SlurmRunStatus resumeSlurm(const std::string& sbatch = {});

    // Core side only (the demo's contact sheets, tests, benchmarks); the fronts never need them.
    StableDiffusion& model() { return *m_sd; }
    const StableDiffusion& model() const { return *m_sd; }
    std::shared_ptr<StableDiffusion> modelPtr() { return m_sd; }
    const LoadedConcepts* concepts() const { return m_concepts.get(); }  // LoRA fused into model()
    PreviewRenderer& previewRenderer();                                  // e.g. setReuse(false) for the uncached path

private:
    ProjectSession();
    void loadTrainedConcepts();                                      // and the imported ones
    void writeImports(const std::vector<ImportedConcept>& imports);  // concepts/imported.json; model reloaded
    void invalidateCaches();  // pool listing and everything the renderer derived from the pool or the concepts

    std::optional<Project> m_project;  // set by open()
    std::unique_ptr<ImageFolderDataset> m_dataset;
    Split m_split;
    std::shared_ptr<StableDiffusion> m_sd;
    std::string m_device = "cpu";  // canonical; every reload of the model uses it
    std::string m_modelHash;
    std::unique_ptr<LoadedConcepts> m_concepts;
    std::string m_conceptsHash;               // of the files m_concepts and m_imported were loaded from
    std::vector<ImportedConcept> m_imported;  // loaded into m_sd after the trained concepts
    mutable std::optional<std::vector<PoolEntry>> m_poolCache;
    std::unique_ptr<PreviewRenderer> m_renderer;  // over m_sd; rebuilt when the model is reloaded
};

// The LibTorch the engine was built with ("2.5.1"), for the About box.
std::string libtorchVersion();

}  // namespace diffii
