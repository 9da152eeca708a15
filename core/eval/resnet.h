// The classifier of the evaluation: torchvision's ResNet (models/resnet.py) with BasicBlock or Bottleneck, under
// torchvision's parameter and buffer names (conv1, bn1, layer1.0.conv1, layer1.0.downsample.0, fc, ... and every
// BatchNorm's running_mean / running_var / num_batches_tracked), so that torchvision's ImageNet weights converted
// to safetensors, timm's resnet50.tv_in1k and the project's embedded backbone load strictly.
//
// One generalisation: the stem width (64 in torchvision) is a parameter, so that a narrow backbone of the same
// family fits 2 CPU cores; stage i has width · 2^i planes (× 4 out for Bottleneck), exactly torchvision at 64.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace diffii {

enum class ResNetBlock { Basic, Bottleneck };

struct ResNetConfig {
    ResNetBlock block = ResNetBlock::Basic;
    std::vector<int64_t> layers = {2, 2, 2, 2};  // blocks per stage
    int64_t width = 64;                          // stem channels (torchvision: 64)
    int64_t numClasses = 1000;

    std::string describe() const;     // e.g. "BasicBlock [2, 2, 2, 2], width 64, 1000 classes"
    int64_t featureChannels() const;  // channels into fc
};

// torchvision's resnet18 / resnet34 / resnet50 / resnet101. Throws diffii::Error naming an unknown architecture.
ResNetConfig resnetConfig(const std::string& arch, int64_t numClasses = 1000);

// The architecture of a state dict from its tensor names and shapes alone (block type from conv3, blocks per stage
// from the layerN.K indices, width from conv1, classes from fc.weight); cross-checked against the file's
// metadata (block, layers, num_classes) when present. Throws diffii::Error naming the file and the key at fault.
ResNetConfig inferResNetConfig(const std::string& safetensorsFile);

class ResNetImpl : public torch::nn::Module {
public:
    explicit ResNetImpl(const ResNetConfig& config);

    torch::Tensor forward(const torch::Tensor& x);   // (B, 3, H, W), normalised -> logits (B, classes)
    torch::Tensor features(const torch::Tensor& x);  // the pooled features before fc: (B, featureChannels)
    // Outputs of relu, maxpool, layer1..layer4 and avgpool (the names of torchvision's modules), and the logits.
    std::map<std::string, torch::Tensor> forwardWithIntermediates(const torch::Tensor& x);

    // A new fc for numClasses (torchvision's nn.Linear initialisation), as when fine-tuning on a dataset.
    void resetClassifier(int64_t numClasses);
    // torchvision's initialisation from scratch: Kaiming normal (fan_out, ReLU) convs, BatchNorm weight 1, bias 0.
    void initialiseFromScratch();

    const ResNetConfig& config() const { return m_config; }
    // The parameters (or, with buffers, the BatchNorm statistics) under their torchvision names, in order: what
    // checkpoints and exports store.
    std::vector<std::pair<std::string, torch::Tensor>> namedTensors(bool buffers) const;

    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    std::vector<torch::nn::Sequential> stages;  // registered as layer1..layer4
    torch::nn::Linear fc{nullptr};

private:
    ResNetConfig m_config;
};
TORCH_MODULE(ResNet);

// Builds the network of the file's architecture (inferResNetConfig) and loads it strictly (every missing,
// unexpected or mis-shaped key is an error naming it), F16/BF16/F32 weights upcast to float32.
ResNet loadResNet(const std::string& safetensorsFile);

// torchvision's ImageNet normalisation of an image batch in [0, 1].
torch::Tensor imagenetNormalize(const torch::Tensor& images01);

}  // namespace diffii
