// Small helpers shared by the benchmarks (tests/bench_*.cpp): environment knobs, timing, medians.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

namespace diffii::bench {

using Clock = std::chrono::steady_clock;

// The integer in environment variable `name`, or fallback when it is unset or empty.
inline int envInt(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
}

// The number in environment variable `name`, or fallback when it is unset or empty.
inline double envDouble(const char* name, double fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atof(v) : fallback;
}

inline double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

inline double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace diffii::bench
