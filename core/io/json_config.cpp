#include "core/io/json_config.h"

#include <cmath>
#include <limits>
#include <sstream>

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
    return parseJsonText(readSmallFile(path, "JSON file", std::numeric_limits<uint64_t>::max()), path);
}

std::string jsonExcerpt(const nlohmann::json& value, size_t maxChars) {
    std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > maxChars) text = text.substr(0, maxChars) + "... (" + std::to_string(text.size()) + " chars)";
    return text;
}

void throwKeyError(const std::string& file, const std::string& key, const std::string& problem) {
    throw Error(file + ": key '" + key + "': " + problem);
}

namespace {

std::string numberText(double v) {
    std::ostringstream os;
    os.precision(15);
    os << v;
    return os.str();
}

}  // namespace

int64_t jsonIntIn(const nlohmann::json& value, const std::string& key, int64_t min, int64_t max,
                  const std::string& file) {
    if (value.is_number_integer() && !value.is_number_unsigned()) {
        const auto v = value.get<int64_t>();
        if (v < min) throwKeyError(file, key, "must be >= " + std::to_string(min) + ", got " + std::to_string(v));
        if (v > max) throwKeyError(file, key, "must be <= " + std::to_string(max) + ", got " + std::to_string(v));
        return v;
    }
    if (value.is_number_unsigned()) {
        const auto v = value.get<uint64_t>();
        if (max < 0 || v > static_cast<uint64_t>(max))
            throwKeyError(file, key, "must be <= " + std::to_string(max) + ", got " + std::to_string(v));
        if (static_cast<int64_t>(v) < min)
            throwKeyError(file, key, "must be >= " + std::to_string(min) + ", got " + std::to_string(v));
        return static_cast<int64_t>(v);
    }
    if (value.is_number_float()) {
        // Compared as doubles before any conversion: casting 1e30 to an integer is undefined behaviour.
        const double v = value.get<double>();
        if (!std::isfinite(v) || v != std::floor(v))
            throwKeyError(file, key, "must be an integer, got " + jsonExcerpt(value));
        if (v < static_cast<double>(min))
            throwKeyError(file, key, "must be >= " + std::to_string(min) + ", got " + numberText(v));
        if (v > static_cast<double>(max))
            throwKeyError(file, key, "must be <= " + std::to_string(max) + ", got " + numberText(v));
        return static_cast<int64_t>(v);
    }
    throwKeyError(file, key, std::string("must be an integer, got ") + value.type_name() + " " + jsonExcerpt(value));
}

double jsonNumberIn(const nlohmann::json& value, const std::string& key, double min, double max,
                    const std::string& file) {
    if (!value.is_number())
        throwKeyError(file, key, std::string("must be a number, got ") + value.type_name() + " " + jsonExcerpt(value));
    const double v = value.get<double>();
    if (!std::isfinite(v)) throwKeyError(file, key, "must be finite, got " + jsonExcerpt(value));
    if (v < min) throwKeyError(file, key, "must be >= " + numberText(min) + ", got " + numberText(v));
    if (v > max) throwKeyError(file, key, "must be <= " + numberText(max) + ", got " + numberText(v));
    return v;
}

int64_t jsonInt(const nlohmann::json& j, const std::string& key, int64_t min, int64_t max, const std::string& file,
                std::optional<int64_t> fallback) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (fallback) return *fallback;
        throw Error(file + ": required key '" + key + "' is missing");
    }
    return jsonIntIn(*it, key, min, max, file);
}

double jsonNumber(const nlohmann::json& j, const std::string& key, double min, double max, const std::string& file,
                  std::optional<double> fallback) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (fallback) return *fallback;
        throw Error(file + ": required key '" + key + "' is missing");
    }
    return jsonNumberIn(*it, key, min, max, file);
}

void jsonRequireKeys(const nlohmann::json& j, std::initializer_list<const char*> keys, const std::string& file,
                     const std::string& why) {
    for (const char* key : keys) {
        const auto it = j.find(key);
        if (it == j.end() || it->is_null())
            throw Error(file + ": required key '" + std::string(key) + "' is missing (" + why + ")");
    }
}

}  // namespace diffii
