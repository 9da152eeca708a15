// The classifier recipe's tensor pieces (core/eval/classifier.h is the job): losses, the Diff-Mix label rule, the
// optimiser, the learning-rate schedule and batch mixing. The parity test on ../shared/fixtures/eval runs them
// directly.
#pragma once

#include <memory>
#include <utility>

#include <torch/torch.h>

#include "core/eval/classifier.h"

namespace diffii {

// PyTorch's cross_entropy with label_smoothing ε: targets (1 − ε)·onehot + ε/C.
torch::Tensor hardLabelLoss(const torch::Tensor& logits, const torch::Tensor& labels, double smoothing);
// The Diff-II repo's LabelSmoothingLoss on soft targets: −(t · log_softmax(logits)).sum(−1).mean(), with
// t = ε/(C − 1) + targets · (1 − ε).
torch::Tensor softLabelLoss(const torch::Tensor& logits, const torch::Tensor& targets, double smoothing);
// Diff-Mix's label of an image made from class src with the tokens of class tar at strength s:
// (scaler·(1 − s^γ), scaler·s^γ) for (src, tar).
std::pair<double, double> diffMixLabelWeights(double strength, double gamma = 0.8, double scaler = 0.9);
std::unique_ptr<torch::optim::SGD> makeClassifierOptimizer(torch::nn::Module& net, const ClassifierRecipe& recipe);
// The learning rate of iteration i (0-based) of n: linear warm-up to lr over the first warmupFraction, then cosine.
double classifierLearningRate(const ClassifierRecipe& recipe, int64_t iteration, int64_t iterations);

// Mixup / CutMix of a batch with targets (B, C) that sum to 1 per row: returns the mixed batch and targets (each
// row still sums to 1). λ ~ Beta(1, 1); CutMix pastes a box of area (1 − λ) and sets λ to the exact kept area.
std::pair<torch::Tensor, torch::Tensor> mixBatch(const torch::Tensor& images, const torch::Tensor& targets,
                                                 BatchMixing mixing, at::Generator& gen);

}  // namespace diffii
