#include "core/jobs/memory.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/jobs/block_cache.h"

namespace diffii {

namespace {

std::string readText(const char* path) {
    std::ifstream in(path);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A number of bytes at the start of text (after blanks); -1 for "max", nothing, or anything else.
int64_t leadingBytes(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\n");
    if (begin == std::string::npos || !std::isdigit(static_cast<unsigned char>(text[begin]))) return -1;
    return std::strtoll(text.c_str() + begin, nullptr, 10);
}

}  // namespace

int64_t availableMemoryFrom(const std::string& meminfo, const std::string& limit, const std::string& usage,
                            int64_t cached) {
    const auto key = meminfo.find("MemAvailable:");
    if (key == std::string::npos) return -1;
    const int64_t kib = leadingBytes(meminfo.substr(key + 13));
    if (kib < 0) return -1;
    int64_t available = kib * 1024;
    const int64_t l = leadingBytes(limit), u = leadingBytes(usage);
    // cgroup v1 reports "no limit" as a huge number, which the min below leaves alone.
    if (l > 0 && u >= 0) available = std::min(available, std::max<int64_t>(0, l - u));
    return available + std::max<int64_t>(0, cached);
}

int64_t availableMemoryBytes() {
    std::string limit = readText("/sys/fs/cgroup/memory.max"), usage = readText("/sys/fs/cgroup/memory.current");
    if (limit.empty()) {
        limit = readText("/sys/fs/cgroup/memory/memory.limit_in_bytes");
        usage = readText("/sys/fs/cgroup/memory/memory.usage_in_bytes");
    }
    return availableMemoryFrom(readText("/proc/meminfo"), limit, usage,
                               static_cast<int64_t>(blockCacheStats().cachedBytes));
}

}  // namespace diffii
