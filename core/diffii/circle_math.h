// The circle of Diff-II's random circle interpolation as plain numbers, for every front and the engine alike (no
// LibTorch: the GUI includes it). z(α) = sin((1+α)θ)/sin θ · z1 − sin(αθ)/sin θ · z2 lies at angle −αθ (mod 2π)
// from z1, measured towards z2: α = 0 is z1, α = −1 is z2, and α over [0, 2π/θ) walks the circle once.
#pragma once

#include <cmath>
#include <cstdint>

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

// The app's position control counts turns from z1 towards z2, so that the interpolation arc comes first (z1 at 0,
// z2 at θ/2π): position p is the engine's turn 1 − p (mod 1). The function is its own inverse.
inline double turnOfPosition(double position) {
    const double t = 1.0 - (position - std::floor(position));
    return t >= 1.0 ? 0.0 : t;
}
inline double alphaForPosition(double theta, double position) { return alphaForTurn(theta, turnOfPosition(position)); }
inline double positionOfAlpha(double theta, double alpha) { return turnOfPosition(turnOfAlpha(theta, alpha)); }

// Where the four landmarks of the circle lie as positions (turns from z1 towards z2): z1 at 0; z2 at θ/2π (α = −1);
// −z1 half a turn on (α = π/θ); −z2 half a turn from z2, 0.5 + θ/2π. The arc from z1 (0) to z2 (θ/2π) is
// interpolation, the rest extrapolation.
struct CircleLandmarks {
    double z1 = 0.0, z2 = 0.0, minusZ1 = 0.5, minusZ2 = 0.0;
};
inline CircleLandmarks circleLandmarks(double theta) {
    const double arc = theta > 0 ? theta / kTwoPi : 0.0;
    return {0.0, arc, 0.5, 0.5 + arc};
}

// α ~ U(0, 2π/θ) from a seed (std::mt19937_64; the same seed gives the same α on every platform); 0 for θ ≤ 0.
// Defined in circle_interpolation.cpp.
double sampleCircleAlpha(double theta, uint64_t seed);

// "Interpolation" when z(α) lies on the short arc between z1 and z2: (−αθ mod 2π) ≤ θ; else "extrapolation".
inline bool isInterpolation(double theta, double alpha) {
    double angle = std::fmod(-alpha * theta, kTwoPi);
    if (angle < 0) angle += kTwoPi;
    return angle <= theta + 1e-12;
}

}  // namespace diffii
