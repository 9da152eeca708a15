#pragma once

#include "core/io/error.h"

namespace diffii {

template <typename T>
T jsonValue(const nlohmann::json& j, const std::string& key, const T& fallback, const std::string& file) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    try {
        return it->get<T>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(file + ": key '" + key + "' has an unexpected type (value " + jsonExcerpt(*it) + "): " + e.what());
    }
}

template <typename T>
T jsonRequire(const nlohmann::json& j, const std::string& key, const std::string& file) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) throw Error(file + ": required key '" + key + "' is missing");
    try {
        return it->get<T>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(file + ": key '" + key + "' has an unexpected type (value " + jsonExcerpt(*it) + "): " + e.what());
    }
}

}  // namespace diffii
