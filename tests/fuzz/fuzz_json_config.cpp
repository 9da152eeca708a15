// libFuzzer: the JSON config reader (parseJsonText, the typed accessors) on arbitrary text. Every input must give a
// diffii::Error naming the file or a document whose values read back or fail cleanly. See tests/fuzz/CMakeLists.txt.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/io/error.h"
#include "core/io/json_config.h"

namespace {

const std::string kPath = "fuzz/config.json";

void expectNamed(const diffii::Error& e) {
    const std::string msg = e.what();
    if (msg.compare(0, kPath.size(), kPath) != 0) {
        std::fprintf(stderr, "message does not name the file: %s\n", msg.substr(0, 300).c_str());
        std::abort();
    }
}

template <typename T>
void readAs(const nlohmann::json& j, const std::string& key) {
    try {
        diffii::jsonValue<T>(j, key, T{}, kPath);
    } catch (const diffii::Error& e) {
        expectNamed(e);
    }
    try {
        diffii::jsonRequire<T>(j, key, kPath);
    } catch (const diffii::Error& e) {
        expectNamed(e);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    nlohmann::json j;
    try {
        j = diffii::parseJsonText(std::string(reinterpret_cast<const char*>(data), size), kPath);
    } catch (const diffii::Error& e) {
        expectNamed(e);
        return 0;
    }
    (void)j.dump();  // printing is recursive: the depth limit keeps it bounded
    if (!j.is_object()) return 0;
    for (auto it = j.begin(); it != j.end(); ++it) {
        readAs<int64_t>(j, it.key());
        readAs<double>(j, it.key());
        readAs<bool>(j, it.key());
        readAs<std::string>(j, it.key());
        readAs<std::vector<int64_t>>(j, it.key());
    }
    return 0;
}
