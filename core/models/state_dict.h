// Strict loading of a torch::nn::Module's parameters and buffers from safetensors checkpoints: every missing
// or unexpected key and every shape mismatch is collected and reported by name in one error.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "core/io/safetensors.h"

namespace diffii {

struct LoadOptions {
    // Maps a checkpoint key to the module's key (legacy names); identity when empty.
    std::function<std::string(const std::string&)> rename;
    // Checkpoint keys to skip silently (e.g. text_model.embeddings.position_ids).
    std::function<bool(const std::string&)> ignore;
    // Accept [C, C, 1, 1] <-> [C, C] (old checkpoints stored 1x1 convs where diffusers now has Linear).
    bool allowSqueezedLinear = true;
};

struct LoadReport {
    std::vector<std::string> missing;     // in the module, not in the checkpoint
    std::vector<std::string> unexpected;  // in the checkpoint, not in the module
    std::vector<std::string> mismatched;  // "key: checkpoint [..] vs model [..]"
    bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
    std::string describe(const std::string& file) const;
};

// Copies every checkpoint tensor into the module (converted to the parameter's dtype). Throws diffii::Error
// listing every problem, naming the file, unless all keys match.
LoadReport loadStateDict(torch::nn::Module& module, const std::vector<std::string>& files,
                         const LoadOptions& options = {}, bool strict = true);

// The same matching as loadStateDict against the weight headers only (no weight is read or copied); throws the
// same error. Used to check a model folder without loading it.
void checkStateDict(torch::nn::Module& module, const std::vector<std::string>& files, const LoadOptions& options = {});

// name -> shape of every parameter and buffer, in registration order.
std::vector<std::pair<std::string, std::vector<int64_t>>> stateDictShapes(const torch::nn::Module& module);

// Every parameter and buffer of module by its state-dict key: the dense tensors a checkpoint is copied into (packed
// convolution weights, core/models/layers.h, are put back first).
std::map<std::string, torch::Tensor> stateDictTargets(torch::nn::Module& module);

int64_t parameterCount(const torch::nn::Module& module);

}  // namespace diffii
