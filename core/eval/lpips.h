// LPIPS v0.1 (Zhang et al. 2018, richzhang/PerceptualSimilarity) with the AlexNet trunk: the perceptual distance
// of the paper's diversity measure (Table 4: mean LPIPS between synthetic images of one class). The trunk is
// torchvision's AlexNet `features` under its names (features.{0,3,6,8,10}.{weight,bias}); the five linear layers
// are the official v0.1 ones (lin{0..4}.model.1.weight), both read from safetensors.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace diffii {

// torchvision's AlexNet `features` (conv-ReLU-maxpool stack, 5 convolutions) as a Sequential with its indices.
torch::nn::Sequential alexnetFeatures();

// torchvision's whole AlexNet (features, avgpool to 6x6, classifier), for strict loading of its checkpoints.
class AlexNetImpl : public torch::nn::Module {
public:
    explicit AlexNetImpl(int64_t numClasses = 1000);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Sequential features{nullptr};
    torch::nn::Sequential classifier{nullptr};
};
TORCH_MODULE(AlexNet);

struct LpipsResult {
    torch::Tensor distance;             // (B,)
    std::vector<torch::Tensor> layers;  // per tap (B,): distance is their sum
    torch::Tensor spatial;              // (B, 1, H, W) when asked for: the map upsampled to the input size
};

class LpipsImpl : public torch::nn::Module {
public:
    LpipsImpl();
    // Loads the trunk (a features-only file, or a whole torchvision AlexNet: its classifier.* keys are ignored)
    // and the linear layers strictly; throws diffii::Error naming the file and key at fault.
    void load(const std::string& trunkFile, const std::string& linFile);

    // in0, in1: (B, 3, H, W) in [-1, 1] (the reference's normalize=False). Eval mode, no gradient needed.
    LpipsResult forward(const torch::Tensor& in0, const torch::Tensor& in1, bool spatial = false);

    torch::nn::Sequential features{nullptr};
    std::vector<torch::nn::Sequential> lins;  // lin0..lin4: Sequential(Dropout, Conv2d 1x1 without bias)
};
TORCH_MODULE(Lpips);

// Mean LPIPS over every unordered pair of the images ((3, H, W) in [0, 1], resized by the caller to one size);
// 0 for fewer than two images. The diversity of a set of images of one class.
double meanPairwiseLpips(Lpips& lpips, const std::vector<torch::Tensor>& images01);

}  // namespace diffii
