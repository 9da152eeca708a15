// The evaluation's measures as the fronts call them (no LibTorch): one definition each, in core/eval.
#pragma once

#include <string>

namespace diffii {

// LPIPS v0.1 (core/eval/lpips.h) between two image files, read as RGB in [0, 1] and mapped to [-1, 1]; the second
// image is resized to the first one's size when they differ. trunkFile: torchvision AlexNet weights (features, or
// the whole network), linFile: the v0.1 linear layers. Throws diffii::Error naming the file at fault.
double lpipsDistance(const std::string& trunkFile, const std::string& linFile, const std::string& imageA,
                     const std::string& imageB);

}  // namespace diffii
