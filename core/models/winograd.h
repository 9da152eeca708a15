// Winograd's minimal filtering F(2x2, 3x3) for the 3x3 convolutions (stride 1, padding 1, no groups) of inference in
// float32 on the CPU (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
//
// Each 2x2 block of outputs comes from a 4x4 input tile: V = B^T d B per input channel, then for each of the 16 tile
// positions one product over the channels, M_p = U_p V_p (U = G g G^T, the kernel transformed once per model), then
// Y = A^T M A. That is 16 multiplications per 2x2 outputs and channel pair instead of 36: 2.25x fewer than the direct
// convolution. The transforms are additions only, except G's halves, exact in binary; the error stays that of float32
// sums (the test compares against float64 with the direct convolution's bound).
//
// Why: with AVX2 kernels (Zen 3), oneDNN's direct 3x3 convolutions already run near the core's peak and were half of
// the embedded model's UNet call, the demo preview's cost. The products here go to oneDNN's sgemm (core/models/
// layers.h), or to LibTorch's bmm where oneDNN is not visible.
#pragma once

#include <torch/torch.h>

namespace diffii {

// [Cout, Cin, 3, 3] (any floating dtype) -> U [16, Cout, Cin] float32, computed in float64 (a kernel kept).
torch::Tensor winogradKernel(const torch::Tensor& weight);
// The same from a float32 CPU weight, in float32 on the compute threads: for a kernel made per call (a large
// convolution whose kept kernel would cost too much memory: 16/9 of the weight).
torch::Tensor winogradKernelNow(const torch::Tensor& weight);

// The 3x3 convolution of x [N, Cin, H, W] (float32, CPU) with padding 1 and stride 1 from U (winogradKernel), plus
// bias [Cout] when defined: [N, Cout, H, W]. Runs on LibTorch's compute threads. Tiles are processed in groups of
// rows so that the transformed tiles stay within a few MiB whatever the image size.
torch::Tensor winogradConv3x3(const torch::Tensor& x, const torch::Tensor& u, const torch::Tensor& bias);

// Tests: behave as in a process without oneDNN's sgemm (the products by LibTorch's bmm) while true; returns the
// previous setting.
bool winogradWithoutOnednnForTest(bool without);

}  // namespace diffii
