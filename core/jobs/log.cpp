#include "core/jobs/log.h"

#include <cstdio>
#include <mutex>
#include <utility>

namespace diffii {

namespace {
std::mutex& sinkMutex() {
    static std::mutex m;
    return m;
}
LogSink& currentSink() {
    static LogSink sink;
    return sink;
}
}  // namespace

LogSink setLogSink(LogSink sink) {
    const std::lock_guard<std::mutex> lock(sinkMutex());
    return std::exchange(currentSink(), std::move(sink));
}

void logMessage(LogLevel level, const std::string& message) {
    LogSink sink;
    {
        const std::lock_guard<std::mutex> lock(sinkMutex());
        sink = currentSink();
    }
    if (sink) {
        sink(level, message);
        return;
    }
    std::fprintf(stderr, "diffii: %s%s\n", level == LogLevel::Warning ? "warning: " : "", message.c_str());
}

}  // namespace diffii
