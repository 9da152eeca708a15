// JSON config files (config.json, model_index.json, scheduler_config.json) with errors that name file and key.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace diffii {

// Reads and parses a JSON file; only a regular file is opened (a FIFO is refused, not waited on). Throws
// diffii::Error naming the path.
nlohmann::json readJsonFile(const std::string& path);

// Parses JSON text read from `path` (named in errors, whose echoed text is bounded). Nesting deeper than
// kMaxJsonDepth is refused while parsing: printing such a value (dump) recurses once per level.
constexpr int kMaxJsonDepth = 256;
nlohmann::json parseJsonText(const std::string& text, const std::string& path);

// Typed access with a default; a present key of the wrong type is an error naming file and key.
template <typename T>
T jsonValue(const nlohmann::json& j, const std::string& key, const T& fallback, const std::string& file);

// Required key; missing or wrong type is an error naming file and key.
template <typename T>
T jsonRequire(const nlohmann::json& j, const std::string& key, const std::string& file);

}  // namespace diffii

#include "core/io/json_config_impl.h"
