#include "core/models/config_limits.h"

#include <unistd.h>

#include <cstdio>

#include "core/io/error.h"

namespace diffii {

uint64_t physicalMemoryBytes() {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long pageSize = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || pageSize <= 0) return 0;
    return static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize);
}

std::string groupedCount(int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

void checkParameterBudget(int64_t parameters, const std::string& what, const std::string& file,
                          const std::string& keys) {
    const double bytes = static_cast<double>(parameters) * 4.0;
    const uint64_t memory = physicalMemoryBytes();
    char gib[64];
    std::snprintf(gib, sizeof gib, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
    const std::string estimate = "an estimated " + groupedCount(parameters) + " parameters (" + gib + " in float32)";
    if (parameters > limits::kMaxParameters)
        throw Error(file + ": " + what + " would have " + estimate + ", more than the limit of " +
                    groupedCount(limits::kMaxParameters) + " parameters (the size is set by keys " + keys + ")");
    if (memory > 0 && bytes > static_cast<double>(memory)) {
        char mem[64];
        std::snprintf(mem, sizeof mem, "%.2f GiB", static_cast<double>(memory) / (1024.0 * 1024.0 * 1024.0));
        throw Error(file + ": " + what + " would have " + estimate + ", more than this machine's memory (" + mem +
                    "; the size is set by keys " + keys + ")");
    }
}

}  // namespace diffii
