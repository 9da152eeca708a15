// Faithfulness of a synthetic set: the share of generated images whose nearest real image, in a fixed feature
// space, belongs to the same class (a 1-nearest-neighbour classifier over the real images, applied to the
// generated ones). The same function measures a feature space itself: real images of held-out styles against the
// training styles tell how well the space separates classes across styles.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace diffii {

struct LabelledImage {
    std::string path;
    std::string className;
};

enum class FeatureSpace {
    // RGB pixels area-resized to featureSize x featureSize, in [0, 1]; Euclidean distance.
    Pixels,
    // Histograms of oriented gradients (Dalal & Triggs; OpenCV's HOGDescriptor) of the grey image resized to
    // 64x64: 8x8-pixel cells, 16x16 blocks with stride 8, 9 unsigned orientation bins, L2-Hys block
    // normalisation (1,764 values); Euclidean distance. Shape and outline, not colour: unsigned gradients do
    // not change when an image's contrast is inverted.
    Hog,
};

// The largest pixel feature side: 256 x 256 x 3 floats are 786 KB an image, held for every real image.
constexpr int64_t kMaxFeatureSize = 256;

const char* featureSpaceName(FeatureSpace space);
// For reports: "HOG features" or "32x32 RGB pixels" (featureSize x featureSize).
std::string describeFeatureSpace(FeatureSpace space, int64_t featureSize = 32);
// "pixels" or "hog"; throws diffii::Error naming the value otherwise.
FeatureSpace parseFeatureSpace(const std::string& name);

struct FaithfulnessReport {
    int64_t total = 0;
    int64_t sameClass = 0;
    std::map<std::string, std::pair<int64_t, int64_t>> perClass;  // class -> (same class, total)
    std::vector<std::string> nearestClass;  // per generated image, in order: the class of its nearest real image
    double rate() const { return total > 0 ? static_cast<double>(sameClass) / static_cast<double>(total) : 0.0; }
};

// An image's feature vector in a space: what every nearest-neighbour measure of the product compares (this report
// and the Curate page's "nearest real image"). Throws diffii::Error naming an unreadable file.
std::vector<float> imageFeature(const std::string& path, FeatureSpace space = FeatureSpace::Pixels,
                                int64_t featureSize = 32);

struct NearestFeature {
    int64_t index = -1;     // into the candidates; -1 when there is none of the query's length
    double distance = 0.0;  // Euclidean (pixel features: values in [0, 1])
};
// The candidate nearest to the query (the first one of equal distance); candidates of another length are skipped.
NearestFeature nearestFeature(const std::vector<float>& query, const std::vector<std::vector<float>>& candidates);

// Throws diffii::Error when `real` is empty or an image cannot be read (naming the file).
FaithfulnessReport nearestRealImageFaithfulness(const std::vector<LabelledImage>& generated,
                                                const std::vector<LabelledImage>& real,
                                                FeatureSpace space = FeatureSpace::Pixels, int64_t featureSize = 32);

// Every image of an ImageFolder root, labelled by its folder.
std::vector<LabelledImage> labelledImages(const std::string& imageFolderRoot);
// The finished images of a project's synthetic/ folder (manifest.jsonl), labelled by their class.
std::vector<LabelledImage> syntheticImages(const std::string& syntheticDir);

}  // namespace diffii
