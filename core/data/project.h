// A user's work on disk: a project folder with project.json and the artifact folders
//   project.json   {schemaVersion, name, datasetPath, modelPath, metaclass, seed, settings, createdWith}
//   concepts/      learned concepts (safetensors)
//   inversions/    the inversion pool
//   synthetic/     generated images + manifest
//   runs/          logs, loss curves
// Every write is atomic (temporary file + rename). Artifacts record a Provenance (what model, concepts and settings
// produced them) so that a stale artifact is noticed instead of silently reused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace diffii {

struct ProjectConfig {
    std::string name;
    std::string datasetPath;      // as given; relative paths are relative to the project folder
    std::string modelPath;        // diffusers folder or single-file checkpoint; same rule
    std::string modelConfigPath;  // single file: its --model-config folder ("" for none; optional in project.json)
    std::string predictionType;   // single file: --prediction-type ("" for the file's own; optional)
    std::string metaclass;        // e.g. "bird": the word the class prompts are built on
    uint64_t seed = 0;
    nlohmann::json settings = nlohmann::json::object();  // free-form: concept / inversion / generation settings
    std::string createdWith;                             // filled with kCreatedWith by create() when empty
};

class ImageFolderDataset;

// The names a project derives file names from, checked when it is created (they failed late before, midway through
// generation): a class folder may not be named as a file of the synthetic set (manifest.csv, manifest.jsonl), a class
// name may have at most kMaxClassNameBytes bytes (its images are <class>_00000.png) and an image file name at most
// kMaxImageNameBytes (its reconstruction is <stem>.recon.png). Throws diffii::Error naming the folder or file.
constexpr size_t kMaxClassNameBytes = 200;
constexpr size_t kMaxImageNameBytes = 240;
void checkDatasetNames(const ImageFolderDataset& dataset);

// Why a metaclass cannot be used ("" when it can): the class prompts are built on it ("a photo of a <tokens>
// <metaclass>") and concept learning starts the class tokens from it, so a blank one (accepted once, and failing only
// at training) or one with a line break is refused when a project is created.
std::string metaclassProblem(const std::string& metaclass);

class Project {
public:
    static constexpr int kSchemaVersion = 1;
    static constexpr const char* kFileName = "project.json";
    static constexpr const char* kCreatedWith = "Diff-II Studio";

    // Makes dir (and its parents) if needed, writes project.json and creates concepts/, inversions/, synthetic/ and
    // runs/. Throws diffii::Error when dir already holds a project.json.
    static Project create(const std::string& dir, const ProjectConfig& config);
    // Reads dir/project.json. A file written by a newer schema is an error naming the file and both versions; a
    // missing key or a wrong type is an error naming the file and the key. Missing artifact folders are recreated.
    static Project open(const std::string& dir);

    const std::string& dir() const { return m_dir; }
    const ProjectConfig& config() const { return m_config; }
    ProjectConfig& config() { return m_config; }  // edit, then save()
    void save() const;                            // atomic rewrite of project.json

    std::string projectFile() const { return m_dir + "/" + kFileName; }
    std::string conceptsDir() const { return m_dir + "/concepts"; }
    std::string inversionsDir() const { return m_dir + "/inversions"; }
    std::string syntheticDir() const { return m_dir + "/synthetic"; }
    std::string runsDir() const { return m_dir + "/runs"; }
    // datasetPath / modelPath made absolute against the project folder.
    std::string datasetDir() const { return resolve(m_config.datasetPath); }
    std::string modelDir() const { return resolve(m_config.modelPath); }
    std::string modelConfigDir() const { return resolve(m_config.modelConfigPath); }
    std::string resolve(const std::string& path) const;

    nlohmann::json toJson() const;

private:
    Project() = default;
    void ensureFolders() const;

    std::string m_dir;
    ProjectConfig m_config;
    nlohmann::json m_unknown = nlohmann::json::object();  // keys of a same-version file we do not know, kept on save
};

// Stable hex hash (32 digits, StableHasher) of a diffusers model folder (or of a single-file checkpoint: its content,
// by the same rules as a weight file in a folder). Hidden entries are skipped; every other
// file is named by its relative path and size, then
//   *.json, *.txt (configs, tokenizer vocab/merges) and any file <= 1 MiB: hashed in full;
//   *.safetensors: the 8-byte header length, the full JSON header, and samples of the data section (64 KiB at every
//                  8 MiB step plus the last 64 KiB);
//   other weight files (*.bin, *.ckpt, *.pt, *.pth, *.msgpack, *.onnx, *.h5, *.model): the same sampling over the
//                  whole file;
//   other files (README.md, images, ...): ignored.
// Any config or tokenizer edit changes the hash, as does any weight change that alters a header or a sampled
// byte (a re-download, a different dtype, a fine-tune of any size); a handful of edited bytes between samples
// would not, which is the price of reading ~32 MiB instead of 4 GB (well under a second). Throws diffii::Error
// naming the folder when it is missing or holds no hashable file.
std::string modelFingerprint(const std::string& modelDir);

// The same per-file rule for a list of files (e.g. concepts); names enter as given (not just their contents), in
// the given order. A missing file is an error naming it.
std::string fingerprintFiles(const std::vector<std::string>& files);

// What produced an artifact.
struct Provenance {
    std::string producer;                                // e.g. "concepts", "inversion-pool", "generator"
    std::string modelHash;                               // modelFingerprint of the model used
    std::string conceptsHash;                            // fingerprintFiles of the concepts used; empty when none
    nlohmann::json settings = nlohmann::json::object();  // the settings that affect the result
    std::string created;                                 // ISO 8601 UTC, e.g. 2024-05-01T12:00:00Z; informational

    nlohmann::json toJson() const;
    // Missing keys are errors naming `file` and the key.
    static Provenance fromJson(const nlohmann::json& j, const std::string& file = "provenance");
};

// Current UTC time as ISO 8601 (seconds precision, 'Z').
std::string isoTimeNow();

// True when an artifact recorded with `recorded` should be rebuilt for `current`: a different producer, model hash,
// concepts hash or settings (JSON equality, so key order does not matter). The creation time is ignored.
bool isStale(const Provenance& recorded, const Provenance& current);

}  // namespace diffii
