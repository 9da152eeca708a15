// The two numbers of the preview's s-sweep (faithfulness against diversity as s moves), defined once here. They
// are quick pixel measures for one pair of source images, not the set-level faithfulness of faithfulness.h.
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>

namespace diffii {

// Mean over the generated images of the cosine similarity of their pixels (each image centred by its own mean) to
// the nearer of the two source images, all (3, H, W) of one size. 1: a copy of a source.
double meanSourceSimilarity(const std::vector<at::Tensor>& images, const at::Tensor& sourceA,
                            const at::Tensor& sourceB);

// Mean RMS pixel distance over all pairs of generated images (0 with fewer than two).
double meanPairwiseRmsDistance(const std::vector<at::Tensor>& images);

}  // namespace diffii
