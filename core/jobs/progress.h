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

// Seconds left in a job's current stage, from the stage's rate since it began stepping. A stage starts again when its
// name or total changes or its count goes back (the next image's steps), and a resumed stage (first report at
// done > 0) is not credited with the earlier run's work. The clock is the caller's (seconds, monotonic) and starts at
// the stage's last report before its first step.
class EtaEstimator {
public:
    // -1 while unknown: the stage's first report, or no step since it.
    double update(const Progress& p, double nowSeconds) {
        if (p.stage != m_stage || p.total != m_total || p.done < m_lastDone) {
            m_stage = p.stage;
            m_total = p.total;
            m_startDone = p.done;
        }
        // Until its first step the stage's clock follows its reports: work reported before it (concept learning's
        // "encoding image i/N" at step 0) is not taken for the steps' rate.
        if (p.done == m_startDone) m_startSeconds = nowSeconds;
        m_lastDone = p.done;
        if (p.total <= 0 || p.done <= m_startDone) return -1.0;
        if (p.done >= p.total) return 0.0;
        return (nowSeconds - m_startSeconds) / static_cast<double>(p.done - m_startDone) *
               static_cast<double>(p.total - p.done);
    }
    // Seconds since the current stage's clock started.
    double stageSeconds(double nowSeconds) const { return nowSeconds - m_startSeconds; }

private:
    std::string m_stage;
    int64_t m_total = -1;
    int64_t m_startDone = 0;
    int64_t m_lastDone = 0;
    double m_startSeconds = 0.0;
};

// Which reports become a progress line. A terminal gets the line rewritten in place, at most ten times a second; a
// log (a pipe, a file, a Slurm task's output) gets a stage's first and last report, one per tenth of it crossed and,
// on slow stages, one every logSeconds while it moves, instead of a line per image or step.
class ProgressLineGate {
public:
    explicit ProgressLineGate(bool terminal, double logSeconds = 30.0)
        : m_terminal(terminal), m_logSeconds(logSeconds) {}

    bool pass(const Progress& p, double nowSeconds) {
        const bool restart = p.stage != m_stage || p.total != m_total || p.done < m_lastDone;
        const int tenth = p.total > 0 ? static_cast<int>(p.done * 10 / p.total) : -1;
        const bool moved = p.done != m_lastDone;
        bool print = restart || m_lastPrint < 0 || (p.total > 0 && p.done >= p.total && moved);
        if (!print && m_terminal) print = nowSeconds - m_lastPrint >= 0.1;
        if (!print && !m_terminal) print = tenth != m_lastTenth || (moved && nowSeconds - m_lastPrint >= m_logSeconds);
        m_stage = p.stage;
        m_total = p.total;
        m_lastDone = p.done;
        if (print) {
            m_lastPrint = nowSeconds;
            m_lastTenth = tenth;
        }
        return print;
    }

private:
    bool m_terminal;
    double m_logSeconds;
    std::string m_stage;
    int64_t m_total = -1;
    int64_t m_lastDone = 0;
    int m_lastTenth = -1;
    double m_lastPrint = -1.0;
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
