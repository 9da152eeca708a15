#include "core/eval/faithfulness.h"

#include <filesystem>

#include <torch/torch.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "core/data/dataset.h"
#include "core/data/synthetic_manifest.h"
#include "core/io/error.h"
#include "core/io/image.h"

namespace fs = std::filesystem;

namespace diffii {

namespace {

constexpr int kHogSide = 64;

torch::Tensor hogFeature(const torch::Tensor& rgb) {
    const auto img = toUint8Hwc(resizeImage(rgb, kHogSide, kHogSide)).contiguous();
    cv::Mat colour(kHogSide, kHogSide, CV_8UC3, img.data_ptr<uint8_t>());
    cv::Mat grey;
    cv::cvtColor(colour, grey, cv::COLOR_RGB2GRAY);
    // winSize, blockSize, blockStride, cellSize, nbins; unsigned gradients and L2-Hys are OpenCV's defaults.
    cv::HOGDescriptor hog(cv::Size(kHogSide, kHogSide), cv::Size(16, 16), cv::Size(8, 8), cv::Size(8, 8), 9);
    std::vector<float> values;
    hog.compute(grey, values);
    return torch::from_blob(values.data(), {static_cast<int64_t>(values.size())}, torch::kFloat32).clone();
}

torch::Tensor feature(const std::string& path, FeatureSpace space, int64_t size) {
    const auto rgb = loadImageRgb(path);
    switch (space) {
        case FeatureSpace::Pixels:
            return resizeImage(rgb, size, size).flatten();
        case FeatureSpace::Hog:
            return hogFeature(rgb);
    }
    throw Error("faithfulness: unknown feature space");
}

}  // namespace

const char* featureSpaceName(FeatureSpace space) { return space == FeatureSpace::Hog ? "hog" : "pixels"; }

std::string describeFeatureSpace(FeatureSpace space, int64_t featureSize) {
    if (space == FeatureSpace::Hog) return "HOG features";
    return std::to_string(featureSize) + "x" + std::to_string(featureSize) + " RGB pixels";
}

FeatureSpace parseFeatureSpace(const std::string& name) {
    if (name == "pixels") return FeatureSpace::Pixels;
    if (name == "hog") return FeatureSpace::Hog;
    throw Error("feature space '" + name + "' is not known (pixels or hog)");
}

std::vector<LabelledImage> labelledImages(const std::string& root) {
    ImageFolderDataset ds(root);
    std::vector<LabelledImage> out;
    for (const auto& c : ds.classes())
        for (const auto& img : c.images) out.push_back({img, c.name});
    return out;
}

std::vector<LabelledImage> syntheticImages(const std::string& syntheticDir) {
    const fs::path manifest = fs::path(syntheticDir) / "manifest.jsonl";
    if (!fs::exists(manifest)) throw Error(manifest.string() + ": missing (generate the synthetic set first)");
    std::vector<LabelledImage> out;
    for (const auto& r : readManifestJsonl(manifest.string())) {
        fs::path p(r.outputPath);
        if (p.is_relative()) p = fs::path(syntheticDir) / p;
        out.push_back({p.string(), r.className});
    }
    return out;
}

FaithfulnessReport nearestRealImageFaithfulness(const std::vector<LabelledImage>& generated,
                                                const std::vector<LabelledImage>& real, FeatureSpace space,
                                                int64_t featureSize) {
    if (real.empty()) throw Error("faithfulness: no real images to compare with");
    if (space == FeatureSpace::Pixels && featureSize < 1)
        throw Error("faithfulness: feature size must be >= 1, got " + std::to_string(featureSize));
    std::vector<torch::Tensor> rf;
    rf.reserve(real.size());
    for (const auto& r : real) rf.push_back(feature(r.path, space, featureSize));
    const auto realFeatures = torch::stack(rf);  // [R, D]
    FaithfulnessReport rep;
    for (const auto& g : generated) {
        const auto f = feature(g.path, space, featureSize);
        const auto d = (realFeatures - f.unsqueeze(0)).pow(2).sum(1);
        const auto nearest = static_cast<size_t>(d.argmin().item<int64_t>());
        const bool same = real[nearest].className == g.className;
        rep.nearestClass.push_back(real[nearest].className);
        ++rep.total;
        auto& pc = rep.perClass[g.className];
        ++pc.second;
        if (same) {
            ++rep.sameClass;
            ++pc.first;
        }
    }
    return rep;
}

}  // namespace diffii
