// `diffii info --scan-values`: every floating-point value of a model folder's weights checked for NaN and
// infinity (an all-NaN model used to pass `info` and produce black images). Torch-free declaration for the fronts;
// defined in core/models/stable_diffusion.cpp beside inspectModelFolder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/jobs/progress.h"

namespace diffii {

struct NonFiniteTensor {
    std::string file;
    std::string name;
    int64_t nan = 0;
    int64_t inf = 0;
    int64_t numel = 0;
};

struct ModelValueScan {
    int64_t files = 0;
    int64_t tensors = 0;  // floating-point tensors read
    int64_t values = 0;
    std::vector<NonFiniteTensor> nonFinite;  // in file, then name order
};

// Reads every floating-point tensor of the weight files of unet, vae and text_encoder. Progress: stage "scan", one
// step per tensor, the file in detail; polls job's cancel flag. Throws diffii::Error for a missing or broken file.
ModelValueScan scanModelValues(const std::string& modelDir, const JobContext* job = nullptr);

}  // namespace diffii
