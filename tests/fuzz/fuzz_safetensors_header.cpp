// libFuzzer: parseSafetensorsHeader on arbitrary bytes. Every input must give a diffii::Error whose message names
// the file and stays short, or a header whose tensors tile the data section exactly; anything else (another
// exception, a sanitizer report, a broken invariant) aborts. See tests/fuzz/CMakeLists.txt.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/io/error.h"
#include "core/io/safetensors_header.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "invariant broken: %s: %s\n", what, detail.substr(0, 300).c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = "fuzz.safetensors";
    try {
        const auto header = diffii::parseSafetensorsHeader(path, data, size);
        if (header.dataStart < 8 || header.dataStart > size) fail("data start", std::to_string(header.dataStart));
        uint64_t covered = 0;
        for (const auto& t : header.tensors) {
            if (t.begin != covered) fail("spans do not tile", t.name);
            uint64_t n = diffii::stDtypeSize(t.dtype);
            for (const int64_t d : t.shape) {
                if (d < 0) fail("negative dimension", t.name);
                n *= static_cast<uint64_t>(d);
            }
            if (t.end - t.begin != n) fail("span size", t.name);
            covered = t.end;
        }
        if (covered != size - header.dataStart) fail("trailing bytes accepted", std::to_string(covered));
    } catch (const diffii::Error& e) {
        const std::string msg = e.what();
        if (msg.compare(0, path.size(), path) != 0) fail("message does not name the file", msg);
        if (msg.size() > 2000) fail("message not bounded", std::to_string(msg.size()));
    }
    return 0;
}
