// Loader for Stable Diffusion 1.x/2.x folders in the diffusers layout (model_index.json, unet/, vae/,
// text_encoder/, tokenizer/, scheduler/) and single-file checkpoints in the original layout
// (core/models/single_file.h), with strict weight matching, plus a header-only inspection used by `diffii info`.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/jobs/precision.h"
#include "core/models/autoencoder_kl.h"
#include "core/models/clip_text_model.h"
#include "core/models/clip_tokenizer.h"
#include "core/models/single_file.h"
#include "core/models/unet_2d_condition.h"
#include "core/schedulers/ddim.h"

namespace diffii {

// Where one component's config and weights live. Weight files: a single safetensors file, the shards listed
// in a *.safetensors.index.json, or the fp16 variant when only that exists.
struct ComponentFiles {
    std::string name;        // "unet", "vae", "text_encoder"
    std::string configPath;  // <dir>/<name>/config.json
    std::vector<std::string> weightFiles;
};

ComponentFiles locateComponent(const std::string& modelDir, const std::string& name);

struct LoadSettings {
    torch::Dtype dtype = torch::kFloat32;  // compute dtype (float32 or bfloat16) when precision is not set
    // When set, it chooses the dtype instead (core/jobs/precision.h): Auto looks at the CPU and the UNet's size.
    std::optional<Precision> precision;
    // Where the model computes (core/jobs/device.h): "cpu", "cuda", "cuda:N". The weights are read on the CPU and
    // moved; a device this LibTorch cannot use is refused before any weight is read.
    std::string device = "cpu";
    // A single-file model (a .safetensors path instead of a folder): --model-config and --prediction-type.
    SingleFileOptions singleFile;
    // The UNet's config is read and checked with the rest, but its module is built and its weights read only by
    // StableDiffusion::loadUNet(): a job that encodes its prompts and images first (`diffii pair`) then never holds
    // the UNet's weights beside the text encoder's or the VAE encoder's activations.
    bool deferUNet = false;
};

class StableDiffusion {
public:
    // modelDir: a diffusers folder or a single-file checkpoint (settings.singleFile applies to the latter).
    // Throws diffii::Error naming the file and key at fault.
    static std::shared_ptr<StableDiffusion> load(const std::string& modelDir, const LoadSettings& settings = {});

    const std::string& dir() const { return m_dir; }
    torch::Dtype dtype() const { return m_dtype; }
    torch::Device device() const { return m_device; }
    const std::string& deviceName() const { return m_deviceName; }  // canonical: "cpu", "cuda:0", ...
    // Why the model computes in dtype(): "float32: asked for", "bfloat16: auto, and this CPU has native ...".
    const std::string& precisionReason() const { return m_precisionReason; }
    const nlohmann::json& modelIndex() const { return m_modelIndex; }

    // Conditioning for one prompt: (1, 77, hidden) last hidden state of the text encoder. Throws diffii::Error after
    // releaseTextEncoder().
    torch::Tensor encodePrompt(const std::string& prompt);

    // Frees the text encoder's weights once a job has encoded every prompt it needs (`diffii pair`, a generation
    // run): 0.49 GB of a float32 SD 1.5, the difference between 4.69 and 4.2 GB at the peak of a whole image. A
    // session's model gets it back with loadTextEncoder() when the job ends.
    void releaseTextEncoder();
    bool hasTextEncoder() const { return !m_textEncoder.is_empty(); }
    // Reads the text encoder again after releaseTextEncoder() (nothing when it is loaded), with the rows of every
    // token added since load() (textual inversion, a project's concepts) as they were when it was released; other
    // in-memory changes to its weights are not kept. A generation run frees it for its duration (runGeneration).
    void loadTextEncoder();
    // The same for the UNet once a job's last denoising step is done (`diffii pair`, before its decode): 3.3 GB of
    // a float32 SD 1.5, which the decode's ~1 GB of activations would otherwise come on top of.
    void releaseUNet();
    bool hasUNet() const { return !m_unet.is_empty(); }
    // Builds the UNet and reads its weights (from the same folder or file, with the same checks and errors as load())
    // when it is not loaded: after load() with LoadSettings::deferUNet, or after releaseUNet(). Nothing otherwise.
    void loadUNet();
    // A change to the UNet's weights that loadUNet() makes again each time it reads them (a LoRA fused into them,
    // loadConcepts), so that releasing and reading the UNet gives back the same model.
    void addUNetAdapter(std::function<void(UNet2DConditionModelImpl&)> apply);
    // The UNet's config, known whether or not the UNet is loaded.
    const UNet2DConditionConfig& unetConfig() const { return m_unetConfig; }

    ClipTokenizer& tokenizer() { return *m_tokenizer; }
    ClipTextModel& textEncoder() { return m_textEncoder; }
    UNet2DConditionModel& unet() { return m_unet; }
    AutoencoderKL& vae() { return m_vae; }
    const DdimConfig& schedulerConfig() const { return m_schedulerConfig; }

    // Latent/image factor of the VAE and the model's native image size (unet sample_size × factor).
    int64_t vaeScaleFactor() const;
    int64_t nativeImageSize() const;

private:
    std::string m_dir;
    torch::Dtype m_dtype = torch::kFloat32;
    torch::Device m_device = torch::kCPU;
    std::string m_deviceName = "cpu";
    std::string m_precisionReason;
    nlohmann::json m_modelIndex;
    std::unique_ptr<ClipTokenizer> m_tokenizer;
    ClipTextModel m_textEncoder{nullptr};
    int64_t m_textEncoderVocab = 0;                     // rows of the token embedding in the weight files
    torch::Tensor m_addedTokenRows;                     // rows past those, kept by releaseTextEncoder()
    std::function<ClipTextModel()> m_buildTextEncoder;  // builds, reads, and moves the text encoder
    UNet2DConditionModel m_unet{nullptr};
    UNet2DConditionConfig m_unetConfig;
    std::function<UNet2DConditionModel()> m_buildUNet;  // builds, reads, and moves the UNet (loadUNet)
    std::vector<std::function<void(UNet2DConditionModelImpl&)>> m_unetAdapters;
    AutoencoderKL m_vae{nullptr};
    DdimConfig m_schedulerConfig;
};

// What `diffii info` prints: per component, its class, config, weight files, parameter count and stored dtypes;
// the module built from each config is checked against the weight headers (names and shapes) without reading
// the weights. Throws diffii::Error for a broken folder.
struct ComponentReport {
    std::string name;
    std::string className;
    std::string configPath;
    nlohmann::json config;
    std::vector<std::string> weightFiles;
    int64_t parameterCount = 0;  // from the weight headers
    int64_t tensorCount = 0;
    std::map<std::string, int64_t> dtypeCounts;  // stored dtype -> number of tensors
};

struct ModelFolderReport {
    std::string dir;
    nlohmann::json modelIndex;
    std::vector<ComponentReport> components;
    std::string tokenizerSummary;
    std::string schedulerSummary;
    std::string architecture;              // single files: "recognised: SD 1.x single file", ...
    std::vector<std::string> ignoredKeys;  // single files: "key (why)" of every key skipped
    std::string format() const;
};

// A single-file path is inspected by inspectSingleFile (built-in configs; no --model-config).
ModelFolderReport inspectModelFolder(const std::string& modelDir, bool verifyAgainstConfig = true);

// Runs f (building a module, reading or matching its weights) and turns what escapes from LibTorch (its message
// without the stack frames), OpenCV or the standard library into a diffii::Error "<file>: <what> failed: <message>";
// a diffii::Error passes unchanged.
void withFileContext(const std::string& file, const std::string& what, const std::function<void()>& f);

// Options that map real checkpoints onto our modules (legacy VAE attention names, text-encoder position_ids).
LoadOptions loadOptionsFor(const std::string& component);

}  // namespace diffii
