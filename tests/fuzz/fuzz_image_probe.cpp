// libFuzzer: the image header probe on arbitrary bytes. It must never throw (the bytes are already read) and must
// never report a usable image it could not size. See tests/fuzz/CMakeLists.txt.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/io/image_probe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto p = diffii::probeImageHeader(std::string(reinterpret_cast<const char*>(data), size));
    const bool usable = p.supported && p.problem.empty();
    if (usable && (p.width <= 0 || p.height <= 0 || p.width > diffii::kMaxImagePixels / p.height)) {
        std::fprintf(stderr, "usable image with size %lldx%lld\n", static_cast<long long>(p.width),
                     static_cast<long long>(p.height));
        std::abort();
    }
    if (p.format.empty() && (p.supported || p.problem.empty())) {
        std::fprintf(stderr, "unknown format without a problem\n");
        std::abort();
    }
    return 0;
}
