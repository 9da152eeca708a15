// Progress reporting and cancellation shared by every job (CLI progress line, GUI progress bar, tests).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
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

// A stage's count as its reports arrive, by which every progress front tells the stages apart: the stage begins again
// when its total changes or its count goes back (the next image's steps), and one that has begun again repeats for
// each item of another (an inner stage).
struct StageCount {
    int64_t total = -1;
    int64_t lastDone = 0;
    bool repeats = false;

    // Takes the stage's next report (fresh: its first); returns whether the stage began again with it.
    bool take(const Progress& p, bool fresh) {
        const bool restarted = !fresh && (p.total != total || p.done < lastDone);
        if (restarted) repeats = true;
        total = p.total;
        lastDone = p.done;
        return restarted;
    }
};

// Seconds left in a job's stages. Each stage (by name) keeps its own clock, so that nested stages (a generation's
// images, each with its denoising steps) keep their own rates. A stage's clock starts again when the stage does
// (StageCount); a resumed stage (first report at done > 0) is not credited with the earlier run's work; and until its
// first step a stage's clock follows its reports, so that preparation reported at the start (concept learning's
// "encoding image i/N") is not taken for step time. The clock is the caller's (seconds, monotonic).
class EtaEstimator {
public:
    // -1 while unknown: the stage's first report, or no step since it.
    double update(const Progress& p, double nowSeconds) {
        auto [it, fresh] = m_stages.try_emplace(p.stage);
        Clock& c = it->second;
        if (c.count.take(p, fresh) || fresh) c.startDone = p.done;
        if (p.done == c.startDone) c.startSeconds = nowSeconds;
        m_current = p.stage;
        if (p.total <= 0 || p.done <= c.startDone)
            c.left = -1.0;
        else if (p.done >= p.total)
            c.left = 0.0;
        else
            c.left = (nowSeconds - c.startSeconds) / static_cast<double>(p.done - c.startDone) *
                     static_cast<double>(p.total - p.done);
        return c.left;
    }
    // The last estimate for a stage (-1: unknown, or no report of it yet).
    double secondsLeft(const std::string& stage) const {
        const auto it = m_stages.find(stage);
        return it == m_stages.end() ? -1.0 : it->second.left;
    }
    // Seconds since the clock of the stage reported last started.
    double stageSeconds(double nowSeconds) const {
        const auto it = m_stages.find(m_current);
        return it == m_stages.end() ? 0.0 : nowSeconds - it->second.startSeconds;
    }

private:
    struct Clock {
        StageCount count;
        int64_t startDone = 0;
        double startSeconds = 0.0;
        double left = -1.0;
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
        const bool moved = fresh || p.done != s.count.lastDone;
        const bool restarted = s.count.take(p, fresh);
        const bool finished = p.total > 0 && p.done >= p.total && moved;
        const int tenth = p.total > 0 ? static_cast<int>(p.done * 10 / p.total) : -1;
        const bool slowTick = moved && nowSeconds - s.lastPrint >= m_logSeconds;
        bool print;
        if (m_terminal)
            print = fresh || finished || restarted || p.stage != m_lastStage || nowSeconds - m_lastPrint >= 0.1;
        else if (s.count.repeats)
            print = fresh || slowTick;
        else
            print = fresh || finished || tenth != s.lastTenth || slowTick;
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
        StageCount count;
        int lastTenth = -1;
        double lastPrint = 0.0;
    };
    bool m_terminal;
    double m_logSeconds;
    std::map<std::string, Line> m_stages;
    std::string m_lastStage;
    double m_lastPrint = 0.0;
};

// "0.4 s", "45 s", "3 min 05 s", "1 h 02 min".
inline std::string formatSeconds(double seconds) {
    const long long s = static_cast<long long>(seconds + 0.5);
    char buf[48];
    if (seconds < 9.95)
        std::snprintf(buf, sizeof buf, "%.1f s", seconds);
    else if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%lld h %02lld min", s / 3600, (s % 3600) / 60);
    else if (s >= 60)
        std::snprintf(buf, sizeof buf, "%lld min %02lld s", s / 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%lld s", s);
    return buf;
}

// The text fronts' progress line (the CLI, the benchmarks): the reports ProgressLineGate passes, as
// "stage done/total detail" and their timing, ", ETA ..." or, when the stage ends, ", <its time>".
class ProgressLog {
public:
    explicit ProgressLog(bool terminal) : m_gate(terminal) {}

    struct Line {
        std::string text;
        std::string timing;  // apart, so that a front that shortens the line can keep it
    };
    std::optional<Line> take(const Progress& p, double nowSeconds) {
        const double left = m_eta.update(p, nowSeconds);
        if (!m_gate.pass(p, nowSeconds)) return std::nullopt;
        Line line;
        line.text = p.stage + " " + std::to_string(p.done) + "/" + std::to_string(p.total) +
                    (p.detail.empty() ? "" : " " + p.detail);
        if (p.total > 0 && p.done >= p.total)
            line.timing = ", " + formatSeconds(m_eta.stageSeconds(nowSeconds));
        else if (left >= 0)
            line.timing = ", ETA " + formatSeconds(left);
        return line;
    }

private:
    EtaEstimator m_eta;
    ProgressLineGate m_gate;
};

// A front with one progress bar (the app): the outermost stage keeps the bar, and a stage that begins again for each
// item of another (an image's denoising inside a generation) is shown in that stage's detail instead of taking the
// bar back to its own first step at every image.
class OuterStageView {
public:
    // What to show for p: p itself, or the last report of the outer stage with p's count in its detail.
    Progress view(const Progress& p) {
        auto [it, fresh] = m_stages.try_emplace(p.stage);
        StageCount& s = it->second;
        s.take(p, fresh);
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
    std::map<std::string, StageCount> m_stages;
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
