// Progress reporting and cancellation shared by every job (CLI progress line, GUI progress bar, tests).
#pragma once

#include <atomic>
#include <functional>
#include <map>
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

// Seconds left in a job's stages. Each stage (by name) keeps its own clock, so that nested stages (a generation's
// images, each with its denoising steps) keep their own rates. A stage starts again when its total changes or its
// count goes back (the next image's steps); a resumed stage (first report at done > 0) is not credited with the
// earlier run's work; and until its first step a stage's clock follows its reports, so that preparation reported at
// the start (concept learning's "encoding image i/N") is not taken for step time. The clock is the caller's
// (seconds, monotonic).
class EtaEstimator {
public:
    // -1 while unknown: the stage's first report, or no step since it.
    double update(const Progress& p, double nowSeconds) {
        auto [it, fresh] = m_stages.try_emplace(p.stage);
        Clock& c = it->second;
        if (fresh || p.total != c.total || p.done < c.lastDone) {
            c.total = p.total;
            c.startDone = p.done;
        }
        if (p.done == c.startDone) c.startSeconds = nowSeconds;
        c.lastDone = p.done;
        m_current = p.stage;
        if (p.total <= 0 || p.done <= c.startDone) return -1.0;
        if (p.done >= p.total) return 0.0;
        return (nowSeconds - c.startSeconds) / static_cast<double>(p.done - c.startDone) *
               static_cast<double>(p.total - p.done);
    }
    // Seconds since the clock of the stage reported last started.
    double stageSeconds(double nowSeconds) const {
        const auto it = m_stages.find(m_current);
        return it == m_stages.end() ? 0.0 : nowSeconds - it->second.startSeconds;
    }

private:
    struct Clock {
        int64_t total = -1;
        int64_t startDone = 0;
        int64_t lastDone = 0;
        double startSeconds = 0.0;
    };
    std::map<std::string, Clock> m_stages;
    std::string m_current;
};

// Which reports become a progress line. A terminal gets the line rewritten in place: a stage's first and last report
// and a change of stage at once, otherwise at most ten times a second. A log (a pipe, a file, a Slurm task's output)
// gets a stage's first report, one per tenth of it crossed, its last, and one every logSeconds while it moves; a
// stage that begins again for each item of another (an image's denoising steps) writes only its first report and
// then one every logSeconds, instead of a line per image or step.
class ProgressLineGate {
public:
    explicit ProgressLineGate(bool terminal, double logSeconds = 30.0)
        : m_terminal(terminal), m_logSeconds(logSeconds) {}

    bool pass(const Progress& p, double nowSeconds) {
        auto [it, fresh] = m_stages.try_emplace(p.stage);
        Line& s = it->second;
        const bool restarted = !fresh && (p.total != s.total || p.done < s.lastDone);
        if (restarted) s.repeats = true;
        const bool moved = fresh || p.done != s.lastDone;
        const bool finished = p.total > 0 && p.done >= p.total && moved;
        const int tenth = p.total > 0 ? static_cast<int>(p.done * 10 / p.total) : -1;
        const bool slowTick = moved && nowSeconds - s.lastPrint >= m_logSeconds;
        bool print;
        if (m_terminal)
            print = fresh || finished || restarted || p.stage != m_lastStage || nowSeconds - m_lastPrint >= 0.1;
        else if (s.repeats)
            print = fresh || slowTick;
        else
            print = fresh || finished || tenth != s.lastTenth || slowTick;
        s.total = p.total;
        s.lastDone = p.done;
        if (print) {
            s.lastPrint = nowSeconds;
            s.lastTenth = tenth;
            m_lastPrint = nowSeconds;
            m_lastStage = p.stage;
        }
        return print;
    }

private:
    struct Line {
        int64_t total = -1;
        int64_t lastDone = 0;
        int lastTenth = -1;
        double lastPrint = 0.0;
        bool repeats = false;  // has begun again: an inner stage
    };
    bool m_terminal;
    double m_logSeconds;
    std::map<std::string, Line> m_stages;
    std::string m_lastStage;
    double m_lastPrint = 0.0;
};

// A front with one progress bar (the app): the outermost stage keeps the bar, and a stage that begins again for each
// item of another (an image's denoising inside a generation) is shown in that stage's detail instead of taking the
// bar back to its own first step at every image.
class OuterStageView {
public:
    // What to show for p: p itself, or the last report of the outer stage with p's count in its detail.
    Progress view(const Progress& p) {
        auto [it, fresh] = m_stages.try_emplace(p.stage);
        Stage& s = it->second;
        if (!fresh && (p.total != s.total || p.done < s.lastDone)) s.repeats = true;
        s.total = p.total;
        s.lastDone = p.done;
        if (!s.repeats) {
            m_outer = p;
            m_hasOuter = true;
        }
        // An outer stage that has finished (a job's "open" before its images) is not one to show inner steps in.
        const bool outerRunning = m_hasOuter && m_outer.stage != p.stage && m_outer.done < m_outer.total;
        if (!s.repeats || !outerRunning) return p;
        Progress shown = m_outer;
        shown.detail = (shown.detail.empty() ? "" : shown.detail + " · ") + p.stage + " " + std::to_string(p.done) +
                       "/" + std::to_string(p.total);
        shown.loss = p.loss;
        shown.smoothedLoss = p.smoothedLoss;
        return shown;
    }

private:
    struct Stage {
        int64_t total = -1;
        int64_t lastDone = 0;
        bool repeats = false;
    };
    std::map<std::string, Stage> m_stages;
    Progress m_outer;
    bool m_hasOuter = false;
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
