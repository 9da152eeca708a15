// The curves every training loop shares: the learning rate's linear warm-up and the smoothed loss.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace diffii {

// The learning rate's factor at a 1-based step: rising linearly to 1 over warmupSteps (1 at once without warm-up).
inline double linearWarmup(int64_t step, int64_t warmupSteps) {
    return warmupSteps > 0 ? std::min(1.0, static_cast<double>(step) / static_cast<double>(warmupSteps)) : 1.0;
}

// The smoothed loss of a training run (progress lines, loss curves, results): an exponential moving average with its
// start-up bias divided out (as Adam corrects its moments), so that the first steps are not pulled towards 0.
class LossEma {
public:
    explicit LossEma(double decay) : m_decay(decay) {}

    // Adds one step's loss; returns the smoothed loss after it.
    double add(double loss) {
        m_ema = m_decay * m_ema + (1 - m_decay) * loss;
        m_weight = m_decay * m_weight + (1 - m_decay);
        return value();
    }
    double value() const { return m_weight > 0 ? m_ema / m_weight : 0.0; }

    // The smoothed value after each loss of a log.
    static std::vector<double> curve(const std::vector<double>& losses, double decay) {
        LossEma ema(decay);
        std::vector<double> out;
        out.reserve(losses.size());
        for (const double l : losses) out.push_back(ema.add(l));
        return out;
    }

private:
    double m_decay;
    double m_ema = 0.0;
    double m_weight = 0.0;
};

}  // namespace diffii
