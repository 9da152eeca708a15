// The compute device of the engine: "cpu" or "cuda:N", the names LibTorch gives them. The model (and so every
// tensor the jobs make from it) lives there; seeded noise is still drawn on the CPU and moved, so that a seed gives
// the same start latents on every device. No LibTorch here: the fronts parse, store and show devices by name.
#pragma once

#include <string>

namespace diffii {

// "cpu", "cuda" (the first GPU: "cuda:0") or "cuda:N" (N = 0, 1, ...), case and surrounding blanks ignored.
// Returns the canonical name ("cpu", "cuda:0", "cuda:1", ...). Throws diffii::Error naming `where` and the value,
// e.g. "--device: 'gpu' is not a device: use cpu, cuda or cuda:N (N = 0, 1, ...)".
std::string parseDevice(const std::string& name, const std::string& where);

bool isCudaDevice(const std::string& device);  // of a canonical name

// Whether this LibTorch can compute on the (canonical) device: always for cpu; for cuda:N, LibTorch was built with
// CUDA, a GPU is visible and N is below the number of GPUs. Throws diffii::Error otherwise, e.g.
// "--device cuda:0: this LibTorch has no CUDA support (a CPU-only build); build against a CUDA LibTorch (README,
// CUDA)" or "--device cuda:0: no GPU visible (CUDA_VISIBLE_DEVICES='')".
void requireDeviceAvailable(const std::string& device, const std::string& where);

// For a model on a GPU: float32 means float32 there too. cuDNN's default TF32 convolutions (Ampere and newer GPUs)
// round the inputs to 10 mantissa bits and would move results ~1e-3 away from the CPU's; they (and TF32 matrix
// products) are turned off unless DIFFII_CUDA_TF32=1. Nothing happens for "cpu".
void configureDeviceMath(const std::string& device);

// What `diffii info --system` and the About box print about the GPUs: "cuda: not built into this LibTorch",
// "cuda: built in, no GPU visible", "cuda: 2 GPUs (cuda:0 .. cuda:1)".
std::string deviceReport();

// The GPUs this LibTorch can compute on (0 without CUDA support or without a visible GPU): cuda:0 .. cuda:(n-1).
int cudaDeviceCount();

}  // namespace diffii
