// The environment switches that turn a speed feature off for comparisons: DIFFII_PACK_WEIGHTS=0,
// DIFFII_HUGE_PAGES=0, DIFFII_BLOCK_CACHE=0, DIFFII_SPLIT_BATCH=0.
#pragma once

#include <cstdlib>
#include <cstring>

namespace diffii {

// Whether the environment variable `name` is set to "0".
inline bool switchedOffByEnv(const char* name) {
    const char* value = std::getenv(name);
    return value && std::strcmp(value, "0") == 0;
}

}  // namespace diffii
