// Single-file Stable Diffusion 1.x / 2.x checkpoints (one .safetensors in the original CompVis / A1111 layout):
// recognising the architecture from the key shapes (SD 1.x, SD 2.x 512, SD 2.x 768-v, with their standard configs
// built in) or taking the configs of --model-config DIR, strict loading through the name table of
// core/models/original_layout.h, `diffii info` of a file, and `diffii convert` in both directions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <nlohmann/json.hpp>

#include "core/models/clip_tokenizer.h"
#include "core/models/original_layout.h"
#include "core/schedulers/ddim.h"

namespace diffii {

struct ModelFolderReport;

struct SingleFileOptions {
    // A diffusers-layout folder whose config files (unet/, vae/, text_encoder/config.json, scheduler/, tokenizer/)
    // describe the file; weights are not needed. Takes precedence over the built-in configs. "" for none.
    std::string modelConfig;
    std::optional<PredictionType> predictionType;  // --prediction-type: overrides every other source
};

// "epsilon" or "v_prediction" (also "v"); anything else is a diffii::Error naming the option.
PredictionType parsePredictionTypeOption(const std::string& value);

// "SD 1.x" or "SD 2.x" when the single-file key shapes have those architectures' signature tensors, else "" (why
// receives the first difference from the closest one).
std::string recogniseArchitecture(const std::map<std::string, std::vector<int64_t>>& shapes,
                                  std::string* why = nullptr);

// True when `path` names a file (a single-file checkpoint), false for a folder (diffusers layout).
bool isSingleFileModel(const std::string& path);

// A single file, opened (header only) and resolved against an architecture.
struct SingleFileModel {
    std::string path;
    std::string architecture;                          // "SD 1.x", "SD 2.x 768-v", "SD 2.x 512"; "" when not recognised
    std::string configSource;                          // "built-in SD 1.x" or the --model-config folder
    nlohmann::json unet, vae, textEncoder, scheduler;  // the diffusers configs in use
    std::map<std::string, std::string> configPaths;    // component -> where its config came from (for messages)
    std::string tokenizerDir;                          // --model-config's tokenizer/ or "" for the built-in one
    std::string predictionSource;                      // why the prediction type is what it is
    OriginalLayoutShape layout;
    std::map<std::string, std::vector<std::string>> componentKeys;  // component -> its keys in the file
    std::vector<std::pair<std::string, std::string>> ignored;       // key, why it is skipped

    // "recognised: SD 1.x single file" / "SD 1.x-shaped single file with the configs of DIR" ...
    std::string summary() const;
};

// Reads the header, refuses a pickled checkpoint (.ckpt, .pt, .pth, .bin: loading one could run code), sorts the
// keys into components, recognises the architecture and resolves configs, tokenizer and prediction type. Throws
// diffii::Error naming the file (and the key) for: a truncated or broken file, a file without its VAE or text
// encoder, stored dtypes other than F32/F16/BF16, keys of no component, and shapes of no known architecture
// without --model-config.
SingleFileModel openSingleFile(const std::string& path, const SingleFileOptions& options = {});

// The tokenizer: --model-config's tokenizer/ when it has one, else the built-in CLIP vocabulary (SD 2.x: '!' pads).
ClipTokenizer singleFileTokenizer(const SingleFileModel& model);

// Copies one component ("unet", "vae", "text_encoder") into a module built from its config, strictly: every
// missing, unexpected or mis-shaped tensor is named in one diffii::Error. With load false, only the header's names
// and shapes are checked.
void loadSingleFileComponent(const SingleFileModel& model, const std::string& component, torch::nn::Module& module,
                             bool load = true);

// `diffii info FILE`: the components with their configs, parameter counts, stored dtypes, and the ignored keys; with
// verify, every name and shape is checked against the modules built from the configs (nothing is loaded).
ModelFolderReport inspectSingleFile(const std::string& path, const SingleFileOptions& options = {}, bool verify = true);

// What `diffii convert` did: one line per component ("unet: written (686 tensors)" / "unet: kept (verified)").
struct ConvertReport {
    std::string out;
    std::vector<std::string> lines;
};

// FILE -> diffusers folder (model_index.json, unet/, vae/, text_encoder/ with config.json and weights, tokenizer/,
// scheduler/). Written into <outDir>.partial and renamed into place; a rerun keeps the components already written
// there whose tensors (names, shapes, dtypes, values) are verified. half: floating-point tensors stored as F16.
ConvertReport convertSingleFileToFolder(const std::string& file, const SingleFileOptions& options,
                                        const std::string& outDir, bool half = false);

// Diffusers folder -> one single-file checkpoint in the original layout (SD 2.x layout for an OpenCLIP text encoder,
// i.e. hidden_act gelu), written atomically. The folder is checked strictly first.
ConvertReport convertFolderToSingleFile(const std::string& modelDir, const std::string& outFile, bool half = false);

}  // namespace diffii
