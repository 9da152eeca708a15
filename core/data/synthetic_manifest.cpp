#include "core/data/synthetic_manifest.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/data/stable_hash.h"
#include "core/io/error.h"
#include "core/io/safetensors.h"

namespace diffii {

namespace {

const std::vector<std::string> kOwnColumns = {"className",     "classIndex", "index",          "sourceA",  "sourceB",
                                              "fallbackNoise", "alpha",      "theta",          "split",    "suffix",
                                              "seed",          "steps",      "inversionSteps", "guidance", "modelHash",
                                              "conceptsHash",  "outputPath", "curation",       "tags"};
// Optional when reading (manifests before them read as Diff-II).
const std::vector<std::string> kStrategyColumns = {"strategy", "strength", "sourceClass", "targetClass"};
const std::vector<std::string> kDiffMixColumns = {"First Directory", "Second Directory", "Number", "Strength", "Path"};

std::string formatDouble(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form, locale-free
    return std::string(buf, res.ptr);
}

std::string joinTags(const std::vector<std::string>& tags, const std::string& where) {
    std::string out;
    for (size_t i = 0; i < tags.size(); ++i) {
        if (tags[i].empty() || tags[i].find(';') != std::string::npos)
            throw Error(where + ": tag '" + tags[i] + "' is empty or contains ';' (the tag separator)");
        if (i) out += ';';
        out += tags[i];
    }
    return out;
}

std::vector<std::string> splitTags(const std::string& text) {
    std::vector<std::string> out;
    if (text.empty()) return out;
    size_t start = 0;
    while (true) {
        const size_t pos = text.find(';', start);
        const std::string tag = text.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
        if (!tag.empty()) out.push_back(tag);
        if (pos == std::string::npos) break;
        start = pos + 1;
    }
    return out;
}

[[noreturn]] void badValue(const std::string& where, const std::string& column, const std::string& expected,
                           const std::string& value) {
    throw Error(where + ": column '" + column + "': expected " + expected + ", found '" + value + "'");
}

template <typename T>
T parseInteger(const std::string& text, const std::string& where, const std::string& column) {
    T value{};
    const auto res = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || res.ec != std::errc() || res.ptr != text.data() + text.size())
        badValue(where, column, "an integer", text);
    return value;
}

double parseDouble(const std::string& text, const std::string& where, const std::string& column) {
    if (text == "nan") return std::nan("");
    if (text == "inf") return INFINITY;
    if (text == "-inf") return -INFINITY;
    double value = 0;
    const auto res = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || res.ec != std::errc() || res.ptr != text.data() + text.size())
        badValue(where, column, "a number", text);
    return value;
}

bool parseBool(const std::string& text, const std::string& where, const std::string& column) {
    if (text == "1" || text == "true" || text == "True") return true;
    if (text == "0" || text == "false" || text == "False" || text.empty()) return false;
    badValue(where, column, "0 or 1", text);
}

std::string readWholeFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open the manifest (missing?)");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool sameDouble(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

nlohmann::json recordToJson(const SyntheticRecord& r, const std::string& where) {
    joinTags(r.tags, where);  // same tag rules in both files
    return {{"className", r.className},
            {"classIndex", r.classIndex},
            {"index", r.index},
            {"sourceA", r.sourceA},
            {"sourceB", r.sourceB},
            {"fallbackNoise", r.fallbackNoise},
            {"alpha", r.alpha},
            {"theta", r.theta},
            {"split", r.split},
            {"suffix", r.suffix},
            {"seed", r.seed},
            {"steps", r.steps},
            {"inversionSteps", r.inversionSteps},
            {"guidance", r.guidance},
            {"modelHash", r.modelHash},
            {"conceptsHash", r.conceptsHash},
            {"outputPath", r.outputPath},
            {"curation", curationName(r.curation)},
            {"tags", r.tags},
            {"strategy", r.strategy},
            {"strength", r.strength},
            {"sourceClass", r.sourceClass.empty() ? r.className : r.sourceClass},
            {"targetClass", r.targetClass.empty() ? r.className : r.targetClass}};
}

template <typename T>
T jsonField(const nlohmann::json& j, const char* key, const std::string& where) {
    const auto it = j.find(key);
    if (it == j.end()) throw Error(where + ": required key '" + std::string(key) + "' is missing");
    try {
        return it->get<T>();
    } catch (const nlohmann::json::exception&) {
        throw Error(where + ": key '" + std::string(key) + "' has an unexpected type (value " + it->dump() + ")");
    }
}

double jsonDouble(const nlohmann::json& j, const char* key, const std::string& where) {
    const auto it = j.find(key);
    if (it != j.end() && it->is_null()) return std::nan("");  // nlohmann writes NaN as null
    if (it != j.end() && !it->is_number())
        throw Error(where + ": key '" + std::string(key) + "': expected a number, found " + it->dump());
    return jsonField<double>(j, key, where);
}

}  // namespace

const char* curationName(Curation c) {
    switch (c) {
        case Curation::Accepted:
            return "accepted";
        case Curation::Rejected:
            return "rejected";
        case Curation::Pending:
            break;
    }
    return "pending";
}

Curation parseCuration(const std::string& text, const std::string& where) {
    if (text == "pending" || text.empty()) return Curation::Pending;
    if (text == "accepted") return Curation::Accepted;
    if (text == "rejected") return Curation::Rejected;
    throw Error(where + ": curation: expected pending, accepted or rejected, found '" + text + "'");
}

bool SyntheticRecord::operator==(const SyntheticRecord& o) const {
    return className == o.className && classIndex == o.classIndex && index == o.index && sourceA == o.sourceA &&
           sourceB == o.sourceB && fallbackNoise == o.fallbackNoise && sameDouble(alpha, o.alpha) &&
           sameDouble(theta, o.theta) && sameDouble(split, o.split) && suffix == o.suffix && seed == o.seed &&
           steps == o.steps && inversionSteps == o.inversionSteps && sameDouble(guidance, o.guidance) &&
           modelHash == o.modelHash && conceptsHash == o.conceptsHash && outputPath == o.outputPath &&
           curation == o.curation && tags == o.tags && strategy == o.strategy && sameDouble(strength, o.strength) &&
           (sourceClass.empty() ? className : sourceClass) == (o.sourceClass.empty() ? o.className : o.sourceClass) &&
           (targetClass.empty() ? className : targetClass) == (o.targetClass.empty() ? o.className : o.targetClass);
}

const std::vector<std::string>& manifestCsvColumns() {
    static const std::vector<std::string> columns = [] {
        std::vector<std::string> c = kOwnColumns;
        c.insert(c.end(), kStrategyColumns.begin(), kStrategyColumns.end());
        c.insert(c.end(), kDiffMixColumns.begin(), kDiffMixColumns.end());
        return c;
    }();
    return columns;
}

std::string csvField(const std::string& value) {
    if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::vector<std::vector<std::string>> parseCsv(const std::string& text, const std::string& file) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;     // inside a quoted field
    bool wasQuoted = false;  // the current field started with a quote
    size_t line = 1;
    size_t i = 0;
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // spreadsheet BOM
    auto endRow = [&] {
        row.push_back(std::move(field));
        field.clear();
        wasQuoted = false;
        if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));  // skip blank lines
        row.clear();
    };
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n') ++line;
                field += c;
            }
            continue;
        }
        if (c == '"') {
            if (!field.empty() || wasQuoted)
                throw Error(file + ": line " + std::to_string(line) + ": stray quote inside an unquoted field");
            quoted = true;
            wasQuoted = true;
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
            wasQuoted = false;
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            // CRLF: the '\n' ends the row.
        } else if (c == '\n') {
            endRow();
            ++line;
        } else {
            if (wasQuoted) throw Error(file + ": line " + std::to_string(line) + ": text after a closing quote");
            field += c;
        }
    }
    if (quoted) throw Error(file + ": line " + std::to_string(line) + ": quoted field is not closed at end of file");
    if (!field.empty() || !row.empty() || wasQuoted) endRow();
    return rows;
}

std::string manifestToCsv(const std::vector<SyntheticRecord>& records) {
    std::string out;
    const auto& columns = manifestCsvColumns();
    for (size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + csvField(columns[i]);
    out += "\r\n";  // RFC 4180 line ends; Python's csv and pandas write and read them
    for (size_t n = 0; n < records.size(); ++n) {
        const auto& r = records[n];
        const std::string where = "manifest record " + std::to_string(n);
        const std::string source = r.sourceClass.empty() ? r.className : r.sourceClass;
        const std::string target = r.targetClass.empty() ? r.className : r.targetClass;
        const std::vector<std::string> fields = {
            r.className, std::to_string(r.classIndex), std::to_string(r.index), r.sourceA, r.sourceB,
            r.fallbackNoise ? "1" : "0", formatDouble(r.alpha), formatDouble(r.theta), formatDouble(r.split), r.suffix,
            std::to_string(r.seed), std::to_string(r.steps), std::to_string(r.inversionSteps), formatDouble(r.guidance),
            r.modelHash, r.conceptsHash, r.outputPath, curationName(r.curation), joinTags(r.tags, where), r.strategy,
            formatDouble(r.strength), source, target,
            // Diff-Mix meta.csv columns: source and target class, number, strength (Diff-II: s), path
            source, target, std::to_string(r.index), formatDouble(r.strategy == "diff-ii" ? r.split : r.strength),
            r.outputPath};
        for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csvField(fields[i]);
        out += "\r\n";
    }
    return out;
}

std::vector<SyntheticRecord> manifestFromCsv(const std::string& text, const std::string& file) {
    const auto rows = parseCsv(text, file);
    if (rows.empty()) throw Error(file + ": empty manifest (expected a header line)");
    std::map<std::string, size_t> col;
    for (size_t i = 0; i < rows[0].size(); ++i) col[rows[0][i]] = i;
    for (const auto& name : kOwnColumns)
        if (!col.count(name)) throw Error(file + ": required column '" + name + "' is missing from the header");
    std::vector<SyntheticRecord> out;
    out.reserve(rows.size() - 1);
    for (size_t n = 1; n < rows.size(); ++n) {
        const auto& row = rows[n];
        const std::string where = file + ": data row " + std::to_string(n);
        if (row.size() != rows[0].size())
            throw Error(where + ": expected " + std::to_string(rows[0].size()) + " fields, found " +
                        std::to_string(row.size()));
        auto f = [&](const char* name) -> const std::string& { return row[col.at(name)]; };
        SyntheticRecord r;
        r.className = f("className");
        r.classIndex = parseInteger<int64_t>(f("classIndex"), where, "classIndex");
        r.index = parseInteger<int64_t>(f("index"), where, "index");
        r.sourceA = f("sourceA");
        r.sourceB = f("sourceB");
        r.fallbackNoise = parseBool(f("fallbackNoise"), where, "fallbackNoise");
        r.alpha = parseDouble(f("alpha"), where, "alpha");
        r.theta = parseDouble(f("theta"), where, "theta");
        r.split = parseDouble(f("split"), where, "split");
        r.suffix = f("suffix");
        r.seed = parseInteger<uint64_t>(f("seed"), where, "seed");
        r.steps = parseInteger<int>(f("steps"), where, "steps");
        r.inversionSteps = parseInteger<int>(f("inversionSteps"), where, "inversionSteps");
        r.guidance = parseDouble(f("guidance"), where, "guidance");
        r.modelHash = f("modelHash");
        r.conceptsHash = f("conceptsHash");
        r.outputPath = f("outputPath");
        r.curation = parseCuration(f("curation"), where);
        r.tags = splitTags(f("tags"));
        if (col.count("strategy")) {
            r.strategy = f("strategy");
            r.strength = parseDouble(f("strength"), where, "strength");
            r.sourceClass = f("sourceClass");
            r.targetClass = f("targetClass");
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::string manifestToJsonl(const std::vector<SyntheticRecord>& records) {
    std::string out;
    for (size_t n = 0; n < records.size(); ++n)
        out += recordToJson(records[n], "manifest record " + std::to_string(n)).dump() + "\n";
    return out;
}

std::vector<SyntheticRecord> manifestFromJsonl(const std::string& text, const std::string& file) {
    std::vector<SyntheticRecord> out;
    size_t start = 0;
    size_t lineNo = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        const std::string where = file + ": line " + std::to_string(lineNo);
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& e) {
            throw Error(where + ": not well-formed JSON: " + e.what());
        }
        if (!j.is_object()) throw Error(where + ": expected a JSON object, found " + j.dump());
        SyntheticRecord r;
        r.className = jsonField<std::string>(j, "className", where);
        r.classIndex = jsonField<int64_t>(j, "classIndex", where);
        r.index = jsonField<int64_t>(j, "index", where);
        r.sourceA = jsonField<std::string>(j, "sourceA", where);
        r.sourceB = jsonField<std::string>(j, "sourceB", where);
        r.fallbackNoise = jsonField<bool>(j, "fallbackNoise", where);
        r.alpha = jsonDouble(j, "alpha", where);
        r.theta = jsonDouble(j, "theta", where);
        r.split = jsonDouble(j, "split", where);
        r.suffix = jsonField<std::string>(j, "suffix", where);
        const auto seedIt = j.find("seed");
        if (seedIt == j.end()) throw Error(where + ": required key 'seed' is missing");
        if (!seedIt->is_number_unsigned())
            throw Error(where + ": key 'seed': expected an unsigned 64-bit integer, found " + seedIt->dump());
        r.seed = seedIt->get<uint64_t>();
        r.steps = jsonField<int>(j, "steps", where);
        r.inversionSteps = jsonField<int>(j, "inversionSteps", where);
        r.guidance = jsonDouble(j, "guidance", where);
        r.modelHash = jsonField<std::string>(j, "modelHash", where);
        r.conceptsHash = jsonField<std::string>(j, "conceptsHash", where);
        r.outputPath = jsonField<std::string>(j, "outputPath", where);
        r.curation = parseCuration(jsonField<std::string>(j, "curation", where), where);
        r.tags = jsonField<std::vector<std::string>>(j, "tags", where);
        if (j.contains("strategy")) {
            r.strategy = jsonField<std::string>(j, "strategy", where);
            r.strength = jsonDouble(j, "strength", where);
            r.sourceClass = jsonField<std::string>(j, "sourceClass", where);
            r.targetClass = jsonField<std::string>(j, "targetClass", where);
        }
        out.push_back(std::move(r));
    }
    return out;
}

void writeManifestCsv(const std::string& path, const std::vector<SyntheticRecord>& records) {
    std::string text;
    try {
        text = manifestToCsv(records);
    } catch (const Error& e) {
        throw Error(path + ": " + e.what());
    }
    writeFileAtomic(path, text);
}

void writeManifestJsonl(const std::string& path, const std::vector<SyntheticRecord>& records) {
    std::string text;
    try {
        text = manifestToJsonl(records);
    } catch (const Error& e) {
        throw Error(path + ": " + e.what());
    }
    writeFileAtomic(path, text);
}

void writeManifest(const std::string& dir, const std::vector<SyntheticRecord>& records) {
    writeManifestJsonl(dir + "/manifest.jsonl", records);
    writeManifestCsv(dir + "/manifest.csv", records);
}

std::vector<SyntheticRecord> readManifestCsv(const std::string& path) {
    return manifestFromCsv(readWholeFile(path), path);
}

std::vector<SyntheticRecord> readManifestJsonl(const std::string& path) {
    return manifestFromJsonl(readWholeFile(path), path);
}

uint64_t deriveSeed(uint64_t projectSeed, const std::string& className, int64_t index) {
    const uint64_t classKey = splitmix64(projectSeed ^ splitmix64(fnv1a64(className)));
    return splitmix64(classKey ^ splitmix64(static_cast<uint64_t>(index)));
}

bool inShard(int64_t globalIndex, int shardIndex, int shardCount) {
    if (shardCount < 1) throw Error("shard count must be at least 1, found " + std::to_string(shardCount));
    if (shardIndex < 0 || shardIndex >= shardCount)
        throw Error("shard index must be in 0.." + std::to_string(shardCount - 1) + ", found " +
                    std::to_string(shardIndex));
    if (globalIndex < 0) throw Error("sample index must not be negative, found " + std::to_string(globalIndex));
    return globalIndex % shardCount == shardIndex;
}

Shard parseShard(const std::string& text) {
    const std::string expected = "expected 'i/N' with 0 <= i < N (e.g. 0/4)";
    const auto slash = text.find('/');
    if (slash == std::string::npos) throw Error("shard '" + text + "': " + expected);
    const std::string a = text.substr(0, slash), b = text.substr(slash + 1);
    Shard s;
    auto parse = [&](const std::string& part, int* value) {
        const auto res = std::from_chars(part.data(), part.data() + part.size(), *value);
        if (part.empty() || res.ec != std::errc() || res.ptr != part.data() + part.size())
            throw Error("shard '" + text + "': '" + part + "' is not a whole number; " + expected);
    };
    parse(a, &s.index);
    parse(b, &s.count);
    if (s.count < 1) throw Error("shard '" + text + "': shard count " + b + " must be at least 1; " + expected);
    if (s.index < 0 || s.index >= s.count)
        throw Error("shard '" + text + "': shard index " + a + " is out of range 0.." + std::to_string(s.count - 1) +
                    "; " + expected);
    return s;
}

}  // namespace diffii
