// VAE encode/decode in overlapping tiles with linear blending, used by the pipeline (encodeImageToLatent,
// decodeLatentToImage) when the untiled activations would exceed a memory budget, or always/never by setting.
// The VAE's GroupNorms see one tile at a time, so a tiled result differs from the untiled one (as diffusers'
// enable_vae_tiling): the overlap is blended with linear ramps so that no seam shows; the difference is bounded by
// the test in tests/test_vae.cpp (see README, "Tiled VAE").
#pragma once

#include <cstdint>

#include <torch/torch.h>

#include "core/models/autoencoder_kl.h"

namespace diffii {

struct VaeTiling {
    enum class Mode { Auto, Always, Never };
    Mode mode = Mode::Auto;
    // Auto tiles when estimateVaeActivationBytes exceeds this, or twice the estimate exceeds the memory the process
    // may still take (availableMemoryBytes, core/jobs/memory.h; oneDNN's reordered copies come on top of the
    // estimate): a machine short of memory tiles a 512x512 decode that a roomy one does whole.
    int64_t budgetBytes = int64_t(1) << 30;
    int64_t tileLatent = 32;    // tile side in latent pixels (256 image pixels for SD)
    int64_t overlapLatent = 8;  // overlap between neighbouring tiles, latent pixels
};

// The process-wide setting; initially from $DIFFII_VAE_TILING (auto|on|off) and $DIFFII_VAE_BUDGET_MIB.
VaeTiling vaeTiling();
void setVaeTiling(const VaeTiling& tiling);

// Rough peak bytes of the activations of one untiled decode (encode: the same pyramid) of a latent (b, c, h, w):
// a few live tensors of the widest level of the pyramid, in float32 (the GroupNorms compute in float32).
int64_t estimateVaeActivationBytes(const AutoencoderKLConfig& config, int64_t batch, int64_t latentH, int64_t latentW);
// availableBytes: what availableMemoryBytes() says (the default), -1 when unknown (the budget alone decides).
bool vaeShouldTile(const VaeTiling& tiling, const AutoencoderKLConfig& config, int64_t batch, int64_t latentH,
                   int64_t latentW, int64_t availableBytes);
bool vaeShouldTile(const VaeTiling& tiling, const AutoencoderKLConfig& config, int64_t batch, int64_t latentH,
                   int64_t latentW);

// Unscaled latent -> image (not clamped), as AutoencoderKL::decode, tile by tile.
torch::Tensor vaeDecodeTiled(AutoencoderKL& vae, const torch::Tensor& latent, int64_t tileLatent,
                             int64_t overlapLatent);
// Image in [-1, 1] -> posterior mean (unscaled), as AutoencoderKL::encodeMeanLogvar().first, tile by tile.
torch::Tensor vaeEncodeMeanTiled(AutoencoderKL& vae, const torch::Tensor& image, int64_t tileLatent,
                                 int64_t overlapLatent);

// The pipeline's entry points: tiled or not as vaeTiling() says.
torch::Tensor vaeDecode(AutoencoderKL& vae, const torch::Tensor& latent);
torch::Tensor vaeEncodeMean(AutoencoderKL& vae, const torch::Tensor& image);

}  // namespace diffii
