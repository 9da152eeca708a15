// The inversion pool of Diff-II: a DDIM inversion of every training image, conditioned on its class prompt
// "a photo of a <tokens> <metaclass>", stored one safetensors file per image with its provenance, plus a
// reconstruction (the inversion denoised back with the same prompt and guidance) and its PSNR, so that a user
// sees how faithful each inversion is.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/engine/types.h"
#include "core/jobs/progress.h"
#include "core/pipelines/sd_pipeline.h"

namespace diffii {

// Settings and hashes that produced a pool entry; stored as the file's metadata, with the source image's content
// fingerprint ("source_fingerprint") and path ("source", informational). An entry whose recorded provenance
// differs from the current one is stale and is rebuilt, never reused: an edited image invalidates its entry, a
// moved project or dataset does not.
std::map<std::string, std::string> poolProvenance(const PoolSettings& settings, const std::string& prompt,
                                                  const std::string& modelHash, const std::string& conceptsHash);

// Builds (or resumes) the pool under outDir/<class>/<key>.safetensors; entries whose files exist with the same
// provenance are skipped. Progress: stage "inversion pool", one monotone count over every phase of every image
// (inversion, then reconstruction: settings.steps each), detail "k of N inverted · <class>/<key> ..."; a kept
// entry counts its phases at once. onEntry is called with each entry once it is on disk. Cancellation leaves every
// finished entry valid.
std::vector<PoolEntry> buildInversionPool(StableDiffusion& sd, const std::vector<PoolSource>& sources,
                                          const PoolSettings& settings, const std::string& outDir,
                                          const std::string& modelHash, const std::string& conceptsHash,
                                          const JobContext* job = nullptr,
                                          const std::function<void(const PoolEntry&)>& onEntry = {});

// Reads the pool folder; marks entries stale against the given provenance (when sources are given).
std::vector<PoolEntry> listInversionPool(const std::string& outDir, const std::vector<PoolSource>& sources,
                                         const PoolSettings& settings, const std::string& modelHash,
                                         const std::string& conceptsHash);

// The inverted latent z_T of one entry.
torch::Tensor loadInversion(const std::string& entryFile);

double psnr(const torch::Tensor& a, const torch::Tensor& b);  // images in [0, 1]

}  // namespace diffii
