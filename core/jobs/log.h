// The engine's messages that are neither progress nor errors (a precision warning, stale temporaries removed): one
// sink for the whole process. By default they go to stderr ("diffii: warning: ..."), as the CLI shows them; the GUI
// installs a sink that forwards them to its log panel. LibTorch-free: the fronts include it through
// core/engine/session.h.
#pragma once

#include <functional>
#include <string>

namespace diffii {

enum class LogLevel { Info, Warning };

// Called from whichever thread logs (engine threads included): a sink must be thread-safe.
using LogSink = std::function<void(LogLevel level, const std::string& message)>;

// Replaces the sink (an empty one restores stderr); returns the previous one.
LogSink setLogSink(LogSink sink);
void logMessage(LogLevel level, const std::string& message);
inline void logWarning(const std::string& message) { logMessage(LogLevel::Warning, message); }
inline void logInfo(const std::string& message) { logMessage(LogLevel::Info, message); }

}  // namespace diffii
