// The record of every synthetic image: how it was made (sources, α, θ, s, suffix, seed, steps, hashes) and how it
// was curated. Kept as synthetic/manifest.csv (for spreadsheets and Diff-Mix-style training code) and
// synthetic/manifest.jsonl (one JSON object a line, the same keys), both written atomically.
//
// CSV columns, in order (RFC 4180: comma-separated, fields holding a comma, quote, CR or LF are quoted, quotes
// doubled; the first line is the header; readers find columns by name, so order and extra columns do not matter):
//   className       class folder name                   classIndex      index in the dataset's sorted classes
//   index           sample number within the class      sourceA,sourceB source images relative to the dataset
//                                                                       root; sourceB empty with fallbackNoise
//   fallbackNoise   1 when a one-image class used Gaussian noise as the second endpoint, else 0
//   alpha, theta    circle-interpolation parameter α and the angle θ between the two inversions (radians)
//   split           s: timesteps t >= 1000·(1−s) use the suffixed prompt
//   suffix          the prompt suffix used             seed            the sample's seed (deriveSeed)
//   steps, inversionSteps, guidance                     denoising steps, inversion steps, CFG scale
//   modelHash, conceptsHash                             Provenance hashes of the model and the concepts
//   outputPath      the image, relative to the synthetic folder
//   curation        pending | accepted | rejected       tags            curation tags joined by ';'
// and, for Diff-Mix's meta.csv readers (dataset/base.py reads meta.csv by column name; Path is joined to its data
// folder, labels are First/Second Directory mixed by Strength):
//   First Directory   = className (source label)        Second Directory = className (target label: Diff-II
//                                                                          interpolates within a class)
//   Number            = index                           Strength         = split (s); with equal labels the soft
//                                                                          label is one-hot whatever its value
//   Path              = outputPath
// Readers ignore the Diff-Mix columns (they are derived) and any unknown column. Doubles are written in the
// shortest form that reads back to the same value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace diffii {

class JobContext;

enum class Curation { Pending, Accepted, Rejected };

const char* curationName(Curation c);                                       // "pending", "accepted", "rejected"
Curation parseCuration(const std::string& text, const std::string& where);  // error naming where and the text

struct SyntheticRecord {
    std::string className;
    int64_t classIndex = 0;
    int64_t index = 0;
    std::string sourceA;
    std::string sourceB;
    bool fallbackNoise = false;
    double alpha = 0.0;
    double theta = 0.0;
    double split = 0.0;
    std::string suffix;
    uint64_t seed = 0;
    int steps = 0;
    int inversionSteps = 0;
    double guidance = 0.0;
    std::string modelHash;
    std::string conceptsHash;
    std::string outputPath;
    Curation curation = Curation::Pending;
    std::vector<std::string> tags;  // no tag may be empty or contain ';' (the CSV separator)
    // Which augmentation made the image (core/diffii/strategies.h: "diff-ii", "real-guidance", "da-fusion",
    // "diff-aug", "diff-mix", "diff-gen"), its img2img strength (0 where none), the class of the source image and
    // the class whose prompt was used; both are className except for Diff-Mix (source class = className, filed
    // there, prompted with the target's tokens). Manifests written before these keys read as Diff-II.
    std::string strategy = "diff-ii";
    double strength = 0.0;
    std::string sourceClass, targetClass;  // "" in old manifests: className

    bool operator==(const SyntheticRecord& other) const;
    bool operator!=(const SyntheticRecord& other) const { return !(*this == other); }
};

// The CSV header, our columns then the Diff-Mix ones.
const std::vector<std::string>& manifestCsvColumns();

std::string manifestToCsv(const std::vector<SyntheticRecord>& records);
std::string manifestToJsonl(const std::vector<SyntheticRecord>& records);
// `file` names the source in error messages (row/line, column and value are named too).
std::vector<SyntheticRecord> manifestFromCsv(const std::string& text, const std::string& file = "manifest.csv");
std::vector<SyntheticRecord> manifestFromJsonl(const std::string& text, const std::string& file = "manifest.jsonl");

void writeManifestCsv(const std::string& path, const std::vector<SyntheticRecord>& records);
void writeManifestJsonl(const std::string& path, const std::vector<SyntheticRecord>& records);
// dir/manifest.csv and dir/manifest.jsonl.
void writeManifest(const std::string& dir, const std::vector<SyntheticRecord>& records);
std::vector<SyntheticRecord> readManifestCsv(const std::string& path);
std::vector<SyntheticRecord> readManifestJsonl(const std::string& path);

// RFC 4180 helpers: one field quoted when needed; a whole document split into rows of fields (CRLF or LF).
std::string csvField(const std::string& value);
std::vector<std::vector<std::string>> parseCsv(const std::string& text, const std::string& file);

// The seed of sample `index` of a class: splitmix64 over the project seed, the FNV-1a hash of the class name and
// the index. Depends only on these three values (not on shards, order or platform), so a sample can be
// regenerated alone and any shard of a run produces exactly the images the whole run would.
uint64_t deriveSeed(uint64_t projectSeed, const std::string& className, int64_t index);

// Work split across processes/machines: sample globalIndex belongs to shard globalIndex mod shardCount
// (round-robin, so every shard gets a similar mix of classes). shardIndex is 0-based. Errors name a bad value.
bool inShard(int64_t globalIndex, int shardIndex, int shardCount);

struct Shard {
    int index = 0;  // 0-based
    int count = 1;
};
// "i/N" with 0 <= i < N, N >= 1 (e.g. "0/4" .. "3/4"); anything else is a diffii::Error naming the text.
Shard parseShard(const std::string& text);

// Copies the synthetic set into an ImageFolder (class subfolders) with manifest.csv/jsonl, leaving out rejected
// images (unless includeRejected). Atomic per file; restartable.
//
// Guarded target: the folder gets a marker, .diffii-export.json ({synthetic, complete, command, time}), written
// with complete = false before the first image and complete = true after the manifests, which are removed first:
// a killed export leaves a folder that says it is unfinished (readExportState, and `diffii classify --synthetic`
// refuses it). Images of an earlier export of the same set that are no longer exported are removed. Without force,
// an export into a non-empty folder that is not an earlier export of the same set, into a system folder (/, /usr,
// /etc, ...; the home folder itself) or into the project's own synthetic folder is refused with an Error naming the
// folder. Temporary files of dead runs in the folder are removed.
int64_t exportSyntheticSet(const std::string& syntheticDir, const std::string& exportDir, bool includeRejected = false,
                           const JobContext* job = nullptr, bool force = false);

// The marker of an export folder: "none" (no marker: not an export of this tool), "incomplete" or "complete".
std::string readExportState(const std::string& exportDir);
constexpr const char* kExportMarker = ".diffii-export.json";

}  // namespace diffii
