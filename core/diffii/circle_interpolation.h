// Random circle interpolation of Diff-II: rotate along the great circle through two inversions z1, z2.
//   θ = arccos(⟨z1,z2⟩ / (‖z1‖‖z2‖)),  α ~ U(0, 2π/θ),
//   z = sin((1+α)θ)/sin θ · z1 − sin(αθ)/sin θ · z2
// α = 0 gives z1, α = -1 gives z2 (so α ∈ (0, 2π/θ) walks the whole circle once, starting at z1 away from z2).
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/diffii/circle_math.h"

namespace diffii {

struct CircleInterpolation {
    at::Tensor z;
    double theta = 0.0;       // angle between z1 and z2 (radians)
    double alpha = 0.0;       // rotation parameter of the formula
    double period = 0.0;      // 2π/θ: α over [0, period) covers the circle once
    bool degenerate = false;  // z1 and z2 (anti)parallel: the circle is undefined, see circleInterpolate
};

// Angle between two latents, computed in float32 as the reference does.
double circleTheta(const at::Tensor& z1, const at::Tensor& z2);

// Deterministic: α given explicitly. When sin θ is ~0 the plane of the circle is undefined; the result is then
// z1 rotated by αθ towards the part of z2 orthogonal to z1 if any, else z1 itself (degenerate = true).
CircleInterpolation circleInterpolate(const at::Tensor& z1, const at::Tensor& z2, double alpha);

// sampleCircleAlpha (α ~ U(0, 2π/θ) from a seed) is declared in circle_math.h, for the fronts too.

}  // namespace diffii
