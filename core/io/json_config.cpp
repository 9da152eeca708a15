#include "core/io/json_config.h"

#include <unistd.h>

#include "core/io/regular_file.h"

namespace diffii {

nlohmann::json parseJsonText(const std::string& text, const std::string& path) {
    bool tooDeep = false;
    const auto onEvent = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > kMaxJsonDepth) {
            tooDeep = true;
            throw Error("too deep");
        }
        return true;
    };
    // The parser stops at a NUL byte as if the text ended there: whatever followed would go unread.
    const size_t nul = text.find('\0');
    if (nul != std::string::npos)
        throw Error(path + ": not well-formed JSON: NUL byte at offset " + std::to_string(nul));
    try {
        return nlohmann::json::parse(text, onEvent);
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": not well-formed JSON: " + boundedText(e.what(), 200));
    } catch (const Error&) {
        if (!tooDeep) throw;
        throw Error(path + ": JSON nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
}

nlohmann::json readJsonFile(const std::string& path) {
    uint64_t size = 0;
    const int fd = openRegularFile(path, "JSON file", &size);
    std::string text;
    try {
        text = readFileBytes(fd, path, 0, static_cast<size_t>(size));
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    return parseJsonText(text, path);
}

}  // namespace diffii
