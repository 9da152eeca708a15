// Pieces shared by the project's training jobs (concept learning, pretraining): named-parameter checkpoints with
// their AdamW state in safetensors, and a bfloat16 autocast scope.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace diffii {

class SafeTensorsFile;

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Adds every parameter (float32 copy, under its name) and its AdamW state ("adamw.<name>.exp_avg", ".exp_avg_sq",
// ".step"; absent before the parameter's first step) to `out`.
void storeTrainingState(const torch::optim::AdamW& optimizer, const NamedTensors& params,
                        std::map<std::string, at::Tensor>& out);

// The inverse: copies every parameter from the checkpoint and installs its AdamW state where the checkpoint has one.
// A missing key or a shape that differs is a diffii::Error naming the checkpoint file and the key.
void restoreTrainingState(torch::optim::AdamW& optimizer, const NamedTensors& params,
                          const SafeTensorsFile& checkpoint);

// The same for SGD with momentum ("sgd.<name>.momentum_buffer"; absent before the parameter's first step).
void storeTrainingState(const torch::optim::SGD& optimizer, const NamedTensors& params,
                        std::map<std::string, at::Tensor>& out);
void restoreTrainingState(torch::optim::SGD& optimizer, const NamedTensors& params, const SafeTensorsFile& checkpoint);

// The loss of every step so far, kept in a checkpoint under "log.loss" (float64), so that a resumed run's loss curve
// and smoothed loss go on where it stopped. restoreLossLog is empty when the checkpoint has none.
void storeLossLog(const std::vector<double>& losses, std::map<std::string, at::Tensor>& out);
std::vector<double> restoreLossLog(const SafeTensorsFile& checkpoint);

// Runs the enclosed CPU work under bfloat16 autocast (matrix products and convolutions in bfloat16; the models
// keep GroupNorm/LayerNorm in float32 themselves). Does nothing when `enabled` is false.
class BFloat16Autocast {
public:
    explicit BFloat16Autocast(bool enabled);
    ~BFloat16Autocast();
    BFloat16Autocast(const BFloat16Autocast&) = delete;
    BFloat16Autocast& operator=(const BFloat16Autocast&) = delete;

private:
    bool m_enabled;
    bool m_previous = false;
};

}  // namespace diffii
