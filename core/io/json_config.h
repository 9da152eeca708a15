// JSON config files (config.json, model_index.json, scheduler_config.json) with errors that name file and key.
#pragma once

#include <cstdint>
#include <optional>
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

// A JSON value as text for a message, cut to at most maxChars (a hostile file may hold megabytes in one value).
std::string jsonExcerpt(const nlohmann::json& value, size_t maxChars = 80);

// The one shape of a config error: "<file>: key '<key>': <problem>".
[[noreturn]] void throwKeyError(const std::string& file, const std::string& key, const std::string& problem);

// Bounded numbers. An integer is a JSON integer or a float with an integral value (1e3); booleans, strings,
// fractions and values outside [min, max] are errors "<file>: key '<key>': must be >= 1, got 0". `key` labels
// the value in messages ("block_out_channels[2]" for a list entry).
int64_t jsonIntIn(const nlohmann::json& value, const std::string& key, int64_t min, int64_t max,
                  const std::string& file);
// A finite number in [min, max].
double jsonNumberIn(const nlohmann::json& value, const std::string& key, double min, double max,
                    const std::string& file);

// The key's value through jsonIntIn / jsonNumberIn. Without a fallback the key is required: missing or null is an
// error; with one, missing or null gives the fallback.
int64_t jsonInt(const nlohmann::json& j, const std::string& key, int64_t min, int64_t max, const std::string& file,
                std::optional<int64_t> fallback = std::nullopt);
double jsonNumber(const nlohmann::json& j, const std::string& key, double min, double max, const std::string& file,
                  std::optional<double> fallback = std::nullopt);

// Keys that must be present (and not null); the first missing one is an error naming it.
void jsonRequireKeys(const nlohmann::json& j, std::initializer_list<const char*> keys, const std::string& file,
                     const std::string& why);

}  // namespace diffii

#include "core/io/json_config_impl.h"
