// Non-finite values (NaN, ±infinity) end a job with an error naming the stage instead of travelling on into an
// image, a latent or a loss: an all-NaN model used to give an all-black PNG and exit 0. One isfinite().all() per
// result; the counts are taken only on failure. (Defined in core/io/image.cpp.)
#pragma once

#include <string>

#include <ATen/core/Tensor.h>

namespace diffii {

// "" when every value is finite (or the tensor is not floating point), else e.g. "12 NaN and 0 infinite of 4096
// values".
std::string nonFiniteSummary(const at::Tensor& t);

// Throws diffii::Error("<stage> produced non-finite values (<summary>)") unless every value of t is finite.
void requireFinite(const at::Tensor& t, const std::string& stage);

}  // namespace diffii
