// How much memory this process may still take: the kernel's MemAvailable, capped by the memory limit of the
// process's cgroup (v2 memory.max - memory.current, or v1 memory.limit_in_bytes - memory.usage_in_bytes), plus the
// freed blocks LibTorch's block cache keeps mapped (core/jobs/block_cache.h), which the process reuses before it
// asks the kernel for more. Used to decide when the VAE works in tiles (core/pipelines/vae_tiling.h).
#pragma once

#include <cstdint>
#include <string>

namespace diffii {

// Bytes, or -1 when /proc/meminfo cannot be read (not Linux).
int64_t availableMemoryBytes();

// The same from given file contents, for tests: meminfo is /proc/meminfo's text; limit and usage are a cgroup's
// limit and usage files ("max" or empty: no limit); cached is what the block cache holds.
int64_t availableMemoryFrom(const std::string& meminfo, const std::string& limit, const std::string& usage,
                            int64_t cached);

}  // namespace diffii
