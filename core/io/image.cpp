#include "core/io/image.h"

#include <filesystem>

#include <torch/torch.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/io/error.h"
#include "core/io/finite.h"
#include "core/io/safetensors.h"

namespace diffii {

std::string nonFiniteSummary(const at::Tensor& t) {
    if (!t.defined() || !t.is_floating_point() || t.numel() == 0) return {};
    if (torch::isfinite(t).all().item<bool>()) return {};
    const auto nan = torch::isnan(t).sum().item<int64_t>();
    const auto inf = torch::isinf(t).sum().item<int64_t>();
    return std::to_string(nan) + " NaN and " + std::to_string(inf) + " infinite of " + std::to_string(t.numel()) +
           " values";
}

void requireFinite(const at::Tensor& t, const std::string& stage) {
    const std::string bad = nonFiniteSummary(t);
    if (!bad.empty()) throw Error(stage + " produced non-finite values (" + bad + ")");
}

at::Tensor loadImageRgb(const std::string& path, const ImageLoadOptions& options) {
    // The header first: nothing is decoded for a file whose format or size would be refused anyway.
    const ImageProbe probe = probeImageFile(path);
    if (!probe.supported || probe.width <= 0 || probe.height <= 0)
        throw Error(path + ": cannot decode image: " + probe.problem);
    if (probe.width > options.maxPixels / probe.height)
        throw Error(path + ": image is " + std::to_string(probe.width) + "x" + std::to_string(probe.height) +
                    " pixels (from its header), more than the limit of " + std::to_string(options.maxPixels) +
                    "; it was not decoded");
    cv::Mat raw;
    try {
        raw = cv::imread(path, cv::IMREAD_UNCHANGED);  // EXIF orientation ignored, as PIL does
    } catch (const cv::Exception& e) {
        throw Error(path + ": cannot decode image: " + e.what());
    }
    if (raw.empty()) throw Error(path + ": cannot decode image (corrupt, truncated or unsupported format)");
    if (static_cast<int64_t>(raw.rows) * raw.cols > options.maxPixels)
        throw Error(path + ": image is " + std::to_string(raw.cols) + "x" + std::to_string(raw.rows) +
                    " pixels, more than the limit of " + std::to_string(options.maxPixels));
    // Channel order first (at the native depth), then to float32 in [0, 1] with a true division, as
    // torchvision's ToTensor does (x / 255, not x * (1/255): they differ in the last bit).
    double maxValue = 1.0;
    c10::ScalarType native = torch::kFloat32;
    switch (raw.depth()) {
        case CV_8U:
            maxValue = 255.0;
            native = torch::kUInt8;
            break;
        case CV_16U:
            maxValue = 65535.0;
            native = torch::kInt32;
            break;
        case CV_32F:
            maxValue = 1.0;
            native = torch::kFloat32;
            break;
        default:
            throw Error(path + ": unsupported pixel depth (OpenCV depth " + std::to_string(raw.depth()) + ")");
    }
    if (raw.depth() == CV_16U) raw.convertTo(raw, CV_32S);  // torch has no uint16
    cv::Mat ordered;
    switch (raw.channels()) {
        case 1:
        case 3:
        case 4:
            ordered = raw;
            break;
        default:
            throw Error(path + ": unsupported channel count " + std::to_string(raw.channels()));
    }
    if (!ordered.isContinuous()) ordered = ordered.clone();
    auto hwc =
        torch::from_blob(ordered.data, {ordered.rows, ordered.cols, ordered.channels()}, native).to(torch::kFloat32) /
        maxValue;
    if (raw.channels() == 1) hwc = hwc.expand({hwc.size(0), hwc.size(1), 3});  // greyscale -> RGB
    if (raw.channels() == 3) hwc = hwc.flip(2);                                // BGR -> RGB
    if (raw.channels() == 4) {
        // BGRA -> RGB composited onto white: rgb * a + (1 - a).
        const auto alpha = hwc.slice(2, 3, 4);
        hwc = hwc.slice(2, 0, 3).flip(2) * alpha + (1 - alpha);
    }
    return hwc.clamp(0, 1).permute({2, 0, 1}).contiguous();
}

at::Tensor resizeImage(const at::Tensor& image, int64_t height, int64_t width) {
    if (image.dim() != 3 || image.size(0) != 3) throw Error("resizeImage: expected a (3, H, W) image");
    if (height <= 0 || width <= 0)
        throw Error("resizeImage: target size " + std::to_string(width) + "x" + std::to_string(height) +
                    " is not positive");
    if (image.size(1) == height && image.size(2) == width) return image;
    auto hwc = image.permute({1, 2, 0}).to(torch::kCPU, torch::kFloat32).contiguous();
    cv::Mat src(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_32FC3, hwc.data_ptr());
    cv::Mat dst;
    const bool down = height < image.size(1) && width < image.size(2);
    cv::resize(src, dst, cv::Size(static_cast<int>(width), static_cast<int>(height)), 0, 0,
               down ? cv::INTER_AREA : cv::INTER_CUBIC);
    cv::min(cv::max(dst, 0.0), 1.0, dst);
    return torch::from_blob(dst.data, {height, width, 3}, torch::kFloat32).clone().permute({2, 0, 1}).contiguous();
}

at::Tensor toUint8Hwc(const at::Tensor& image) {
    if (image.dim() != 3 || image.size(0) != 3) throw Error("image must be (3, H, W)");
    return (image.detach().to(torch::kCPU, torch::kFloat32).clamp(0, 1).permute({1, 2, 0}) * 255)
        .to(torch::kUInt8)
        .contiguous();
}

void saveImagePng(const std::string& path, const at::Tensor& image) {
    // Clamping would write NaN as black and infinity as white: a broken result must not look like an image.
    const std::string bad = nonFiniteSummary(image);
    if (!bad.empty()) throw Error(path + ": not written: the image has non-finite values (" + bad + ")");
    auto hwc = toUint8Hwc(image);
    cv::Mat rgb(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC3, hwc.data_ptr());
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    std::vector<uchar> bytes;
    if (!cv::imencode(".png", bgr, bytes)) throw Error(path + ": PNG encoding failed");
    writeFileAtomic(path, std::string(bytes.begin(), bytes.end()));
}

at::Tensor loadImageForModel(const std::string& path, int64_t height, int64_t width) {
    return resizeImage(loadImageRgb(path), height, width);
}

Image toImage(const at::Tensor& image) {
    if (image.dim() != 3) throw Error("image must be (C, H, W), got " + std::to_string(image.dim()) + " dimensions");
    const auto t = image.detach().to(torch::kCPU, torch::kFloat32).contiguous();  // the GPU's memory is not the host's
    Image out;
    out.channels = static_cast<int>(t.size(0));
    out.height = static_cast<int>(t.size(1));
    out.width = static_cast<int>(t.size(2));
    out.data.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    return out;
}

at::Tensor fromImage(const Image& image) {
    if (image.data.size() != static_cast<size_t>(image.channels) * image.height * image.width)
        throw Error("image: " + std::to_string(image.data.size()) + " values for " + std::to_string(image.channels) +
                    "x" + std::to_string(image.height) + "x" + std::to_string(image.width));
    return torch::from_blob(const_cast<float*>(image.data.data()), {image.channels, image.height, image.width},
                            torch::kFloat32)
        .clone();
}

std::vector<uint8_t> Image::toBytes() const {
    std::vector<uint8_t> out(data.size());
    const size_t plane = static_cast<size_t>(height) * width;
    for (int c = 0; c < channels; ++c)
        for (size_t i = 0; i < plane; ++i) {
            // The same float arithmetic as toUint8Hwc: clamp, × 255 in float32, truncate.
            const float v = std::min(std::max(data[c * plane + i], 0.0f), 1.0f) * 255.0f;
            out[i * channels + c] = static_cast<uint8_t>(v);
        }
    return out;
}

void saveImagePng(const std::string& path, const Image& image) { saveImagePng(path, fromImage(image)); }

}  // namespace diffii
