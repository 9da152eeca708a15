#include "core/eval/faithfulness.h"

#include <cmath>
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

std::vector<float> hogFeature(const torch::Tensor& rgb) {
    const auto img = toUint8Hwc(resizeImage(rgb, kHogSide, kHogSide)).contiguous();
    cv::Mat colour(kHogSide, kHogSide, CV_8UC3, img.data_ptr<uint8_t>());
    cv::Mat grey;
    cv::cvtColor(colour, grey, cv::COLOR_RGB2GRAY);
    // winSize, blockSize, blockStride, cellSize, nbins; unsigned gradients and L2-Hys are OpenCV's defaults.
    cv::HOGDescriptor hog(cv::Size(kHogSide, kHogSide), cv::Size(16, 16), cv::Size(8, 8), cv::Size(8, 8), 9);
    std::vector<float> values;
    hog.compute(grey, values);
    return values;
}

}  // namespace

namespace {

void checkFeatureSize(int64_t featureSize) {
    if (featureSize < 1 || featureSize > kMaxFeatureSize)
        throw Error("faithfulness: the feature size (--feature-size) must be in [1, " +
                    std::to_string(kMaxFeatureSize) + "], got " + std::to_string(featureSize));
}

}  // namespace

std::vector<float> imageFeature(const std::string& path, FeatureSpace space, int64_t featureSize) {
    const auto rgb = loadImageRgb(path);
    switch (space) {
        case FeatureSpace::Pixels: {
            checkFeatureSize(featureSize);
            const auto f = resizeImage(rgb, featureSize, featureSize).flatten().contiguous();
            return std::vector<float>(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
        }
        case FeatureSpace::Hog:
            return hogFeature(rgb);
    }
    throw Error("faithfulness: unknown feature space");
}

NearestFeature nearestFeature(const std::vector<float>& query, const std::vector<std::vector<float>>& candidates) {
    NearestFeature best;
    double bestSquared = 0.0;
    for (size_t c = 0; c < candidates.size(); ++c) {
        const auto& f = candidates[c];
        if (f.size() != query.size()) continue;
        double sum = 0.0;
        for (size_t i = 0; i < f.size(); ++i) {
            const double d = static_cast<double>(f[i]) - query[i];
            sum += d * d;
        }
        if (best.index < 0 || sum < bestSquared) {
            best.index = static_cast<int64_t>(c);
            bestSquared = sum;
        }
    }
    best.distance = std::sqrt(bestSquared);
    return best;
}

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
    if (space == FeatureSpace::Pixels) checkFeatureSize(featureSize);
    std::vector<std::vector<float>> realFeatures;
    realFeatures.reserve(real.size());
    for (const auto& r : real) realFeatures.push_back(imageFeature(r.path, space, featureSize));
    FaithfulnessReport rep;
    for (const auto& g : generated) {
        const auto nearest =
            static_cast<size_t>(nearestFeature(imageFeature(g.path, space, featureSize), realFeatures).index);
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
