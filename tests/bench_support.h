// Small helpers shared by the benchmarks (tests/bench_*.cpp): environment knobs, timing, medians.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/jobs/block_cache.h"
#include "core/jobs/precision.h"
#include "core/jobs/progress.h"

namespace diffii::bench {

using Clock = std::chrono::steady_clock;

// A job whose progress goes to stderr as a log does (core/jobs/progress.h: a stage's first and last line, one per
// tenth, one every 30 s on slow stages), indented under the benchmark's own lines.
inline JobContext progressLog() {
    struct State {
        Clock::time_point start = Clock::now();
        ProgressLog log{false};
    };
    JobContext job;
    job.onProgress = [state = std::make_shared<State>()](const Progress& p) {
        const auto line = state->log.take(p, std::chrono::duration<double>(Clock::now() - state->start).count());
        if (line) std::fprintf(stderr, "  %s%s\n", line->text.c_str(), line->timing.c_str());
    };
    return job;
}

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

// The full-size model folder of a whole-model benchmark: argv[1], else $DIFFII_BENCH_MODEL, else /work/sd15-random.
// Empty (after saying how to make one) when it is not a diffusers folder.
inline std::string benchModelFolder(int argc, char** argv, const char* bench) {
    const char* env = std::getenv("DIFFII_BENCH_MODEL");
    const std::string model = argc > 1 ? argv[1] : (env && *env ? env : "/work/sd15-random");
    if (std::filesystem::exists(std::filesystem::path(model) / "model_index.json")) return model;
    std::fprintf(stderr,
                 "%s: %s is not a model folder; make one with\n  /usr/bin/python3 "
                 "../shared/bench/make_random_sd.py ../shared/fixtures/manifests/sd15 "
                 "../shared/fixtures/tiny-sd1/tokenizer %s f16\n",
                 bench, model.c_str(), model.c_str());
    return {};
}

inline double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// The dtypes a benchmark measures: $DIFFII_BENCH_DTYPES ("float32,bfloat16", ...) when set, else "auto": float32,
// and bfloat16 only where it is native (core/jobs/precision.h; elsewhere it is emulated, slower and inaccurate, and
// the line printed says why it was left out).
inline std::vector<std::string> benchDtypes() {
    const char* v = std::getenv("DIFFII_BENCH_DTYPES");
    const std::string spec = v && *v ? v : "auto";
    std::printf("  CPU: %s; %s\n", diffii::cpuFeatures().describe().c_str(), diffii::cpuFeatures().bf16Reason.c_str());
    if (spec != "auto") {
        std::vector<std::string> out;
        for (const char* name : {"float32", "bfloat16"})
            if (spec.find(name) != std::string::npos) out.push_back(name);
        return out;
    }
    if (diffii::cpuFeatures().nativeBf16) return {"float32", "bfloat16"};
    std::printf("  bfloat16 left out (DIFFII_BENCH_DTYPES=float32,bfloat16 measures it anyway)\n");
    return {"float32"};
}

inline bool benchWants(const std::vector<std::string>& dtypes, const std::string& name) {
    return std::find(dtypes.begin(), dtypes.end(), name) != dtypes.end();
}

inline double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Peak resident set of this process (VmHWM), MiB.
inline double peakRssMiB() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;
}

// This process's minor page faults and system seconds so far, and whether the block cache uses huge pages: a line for
// the figures (core/jobs/block_cache.h).
inline std::string faultsLine() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    const auto cache = diffii::blockCacheStats();
    char text[200];
    std::snprintf(text, sizeof text, "page faults %.2f M, system time %.1f s, block cache %s", u.ru_minflt / 1e6,
                  double(u.ru_stime.tv_sec) + u.ru_stime.tv_usec / 1e6,
                  !cache.installed  ? "off"
                  : cache.hugePages ? "on (huge pages)"
                                    : "on (small pages)");
    return text;
}

}  // namespace diffii::bench
