// Image files <-> tensors (OpenCV). Tensors are float32 RGB (3, H, W) in [0, 1] (what torchvision's ToTensor
// gives), so the VAE input is 2x - 1.
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/engine/types.h"
#include "core/io/image_probe.h"

namespace diffii {

struct ImageLoadOptions {
    // Larger images are refused with a clear error, from the file's header, before they are decoded.
    int64_t maxPixels = kMaxImagePixels;
};

// Reads jpg/png/bmp/webp (and whatever else OpenCV decodes): greyscale is expanded to RGB, alpha is
// composited onto white, 16-bit images are scaled by 1/65535, CMYK JPEGs are converted by the decoder.
// The file's header is probed first (probeImageFile): an unsupported format (GIF), a broken header or a size
// above options.maxPixels is refused before anything is decoded. Throws diffii::Error naming the file for a
// missing, corrupt, unsupported or oversized image.
at::Tensor loadImageRgb(const std::string& path, const ImageLoadOptions& options = {});

// Resizes (3, H, W) to (3, height, width) with area averaging (downscale) or bicubic (upscale); returns the input
// unchanged when it already has that size.
at::Tensor resizeImage(const at::Tensor& image, int64_t height, int64_t width);

// (3, H, W) in [0, 1] -> 8-bit RGB PNG, written atomically. Values are clamped to [0, 1] and converted with
// truncation (x * 255 -> uint8), as the reference Diff-II code does.
void saveImagePng(const std::string& path, const at::Tensor& image);

// The 8-bit pixels that saveImagePng would write, as uint8 (H, W, 3).
at::Tensor toUint8Hwc(const at::Tensor& image);

// Loads and (only when needed) resizes an image to (3, height, width).
at::Tensor loadImageForModel(const std::string& path, int64_t height, int64_t width);

// The engine API's Image (core/engine/types.h) <-> a (C, H, W) tensor; the values are copied exactly (float32).
Image toImage(const at::Tensor& image);
at::Tensor fromImage(const Image& image);

}  // namespace diffii
