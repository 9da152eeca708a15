// The circle of Diff-II's random circle interpolation as plain numbers, for every front and the engine alike (no
// LibTorch: the GUI includes it). z(α) = sin((1+α)θ)/sin θ · z1 − sin(αθ)/sin θ · z2 lies at angle −αθ (mod 2π)
// from z1, measured towards z2: α = 0 is z1, α = −1 is z2, and α over [0, 2π/θ) walks the circle once.
#pragma once

#include <cmath>

namespace diffii {

constexpr double kTwoPi = 6.283185307179586476925286766559;

// 2π/θ: the α of one full turn (0 for a degenerate θ ≤ 0).
inline double circlePeriod(double theta) { return theta > 0 ? kTwoPi / theta : 0.0; }

// The α at a fraction of a full turn from z1 (turn 0.5 is −z1; turn 1 − θ/2π is z2).
inline double alphaForTurn(double theta, double turn) { return turn * circlePeriod(theta); }

// Where α lies as a fraction of a turn from z1, in [0, 1).
inline double turnOfAlpha(double theta, double alpha) {
    double turn = std::fmod(alpha * theta / kTwoPi, 1.0);
    if (turn < 0) turn += 1.0;
    return turn;
}

// Where the four landmarks of the circle lie, in turns from z1 (z(α) is at angle −αθ from z1, measured towards z2):
// z1 at 0; z2 at α = −1, i.e. 1 − θ/2π; −z1 half a turn on, at α = π/θ; −z2 half a turn from z2, 0.5 − θ/2π. The
// short arc from z2 (1 − θ/2π) round to z1 (1 ≡ 0) is interpolation, the rest extrapolation.
struct CircleLandmarks {
    double z1 = 0.0, z2 = 0.0, minusZ1 = 0.5, minusZ2 = 0.0;
};
inline CircleLandmarks circleLandmarks(double theta) {
    const double arc = theta > 0 ? theta / kTwoPi : 0.0;
    return {0.0, 1.0 - arc, 0.5, 0.5 - arc};
}

// "Interpolation" when z(α) lies on the short arc between z1 and z2: (−αθ mod 2π) ≤ θ; else "extrapolation".
inline bool isInterpolation(double theta, double alpha) {
    double angle = std::fmod(-alpha * theta, kTwoPi);
    if (angle < 0) angle += kTwoPi;
    return angle <= theta + 1e-12;
}

}  // namespace diffii
