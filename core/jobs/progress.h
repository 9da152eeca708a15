// Progress reporting and cancellation shared by every job (CLI progress line, GUI progress bar, tests).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "core/io/error.h"

namespace diffii {

// Thrown when a job sees its cancellation flag; what it had written atomically stays valid for a resume.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

struct Progress {
    std::string stage;  // e.g. "inversion", "denoising", "concepts"
    int64_t done = 0;
    int64_t total = 0;
    std::string detail;  // free text for a progress line (current file, "loss 0.1234", ...)
    // Typed values for the fronts (a loss curve, a metric), so that nothing parses detail back.
    std::optional<double> loss;
    std::optional<double> smoothedLoss;
};

// A job's link to its front-end: progress callbacks and a cancellation flag polled between steps.
class JobContext {
public:
    std::function<void(const Progress&)> onProgress;
    std::atomic<bool>* cancelFlag = nullptr;

    void report(const std::string& stage, int64_t done, int64_t total, const std::string& detail = {}) const {
        if (onProgress) onProgress(Progress{stage, done, total, detail, std::nullopt, std::nullopt});
    }
    void report(const Progress& p) const {
        if (onProgress) onProgress(p);
    }
    bool cancelled() const { return cancelFlag && cancelFlag->load(std::memory_order_relaxed); }
    void throwIfCancelled() const {
        if (cancelled()) throw Cancelled();
    }
};

}  // namespace diffii
