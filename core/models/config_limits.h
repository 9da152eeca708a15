// The ranges of the model and scheduler configs this engine accepts, and the size check every component passes
// before anything is allocated. A config outside them is a diffii::Error naming the file and the key; the limits
// leave room far beyond Stable Diffusion 1.x/2.x (the values in parentheses) while keeping a hostile config from
// asking for terabytes or from dividing by zero. No LibTorch header: the fronts may show these numbers.
#pragma once

#include <cstdint>
#include <string>

namespace diffii::limits {

constexpr int64_t kMaxBlocks = 8;                // down/up blocks of a UNet or VAE (SD: 4)
constexpr int64_t kMaxChannels = 8192;           // block_out_channels entries, cross_attention_dim (SD: 1280)
constexpr int64_t kMaxIoChannels = 256;          // in/out/latent channels (SD: 4, inpainting UNet: 9)
constexpr int64_t kMaxLayersPerBlock = 16;       // layers_per_block (SD: 2)
constexpr int64_t kMaxTransformerLayers = 16;    // transformer_layers_per_block, int or per block (SD: 1)
constexpr int64_t kMaxUNetSampleSize = 1024;     // UNet sample_size in latent pixels (SD 1: 64, SD 2: 96)
constexpr int64_t kMaxVaeSampleSize = 16384;     // VAE sample_size in image pixels (SD: 512, 768)
constexpr int64_t kMaxKernel = 15;               // conv_in_kernel / conv_out_kernel, odd (SD: 3)
constexpr int64_t kMaxTextLayers = 64;           // text encoder num_hidden_layers (SD 1: 12, SD 2: 23)
constexpr int64_t kMaxTextHidden = 16384;        // text encoder hidden_size (SD 1: 768, SD 2: 1024)
constexpr int64_t kMaxTextIntermediate = 65536;  // text encoder intermediate_size (SD 2: 4096)
constexpr int64_t kMaxVocab = 1000000;           // text encoder vocab_size (CLIP: 49408)
constexpr int64_t kMaxPositions = 4096;          // text encoder max_position_embeddings (CLIP: 77)
constexpr int64_t kMaxTrainTimesteps = 100000;   // scheduler num_train_timesteps (SD: 1000)
// Parameters of one model (UNet + VAE + text encoder together, and each alone): 4 B (SD 1.5: 1.07 B), and never
// more float32 bytes than the machine's physical memory.
constexpr int64_t kMaxParameters = 4000000000;

}  // namespace diffii::limits

namespace diffii {

// Physical memory of this machine in bytes (sysconf), 0 when unknown.
uint64_t physicalMemoryBytes();

// "859,520,964"
std::string groupedCount(int64_t n);

// Refuses `parameters` above limits::kMaxParameters or, as float32 (how modules are built before a bfloat16
// conversion), above the physical memory: a diffii::Error naming the file, what the estimate is of, and the
// keys that set the size.
void checkParameterBudget(int64_t parameters, const std::string& what, const std::string& file,
                          const std::string& keys);

// Parameter counts of the building blocks (their modules' constructors, in numbers), for the estimates that
// UNet2DConditionConfig, AutoencoderKLConfig and ClipTextConfig make before anything is allocated.
namespace paramcount {

inline int64_t linearParams(int64_t in, int64_t out, bool bias = true) { return in * out + (bias ? out : 0); }
inline int64_t convParams(int64_t in, int64_t out, int64_t kernel) { return in * out * kernel * kernel + out; }
// ResnetBlock2D (temb 0: no time_emb_proj, as in the VAE).
inline int64_t resnetParams(int64_t in, int64_t out, int64_t temb) {
    return 2 * in + convParams(in, out, 3) + (temb > 0 ? linearParams(temb, out) : 0) + 2 * out +
           convParams(out, out, 3) + (in != out ? convParams(in, out, 1) : 0);
}
// Transformer2DModel with dimHead = channels / heads (inner dim = channels); proj_in/out as 1x1 conv or as linear
// have the same count.
inline int64_t transformerParams(int64_t ch, int64_t layers, int64_t crossDim, bool onlyCross) {
    const int64_t attn1 =
        linearParams(ch, ch, false) + 2 * linearParams(onlyCross ? crossDim : ch, ch, false) + linearParams(ch, ch);
    const int64_t attn2 = linearParams(ch, ch, false) + 2 * linearParams(crossDim, ch, false) + linearParams(ch, ch);
    const int64_t ff = linearParams(ch, 8 * ch) + linearParams(4 * ch, ch);
    const int64_t block = 3 * 2 * ch + attn1 + attn2 + ff;
    return 2 * ch + 2 * linearParams(ch, ch) + layers * block;
}

}  // namespace paramcount

}  // namespace diffii
