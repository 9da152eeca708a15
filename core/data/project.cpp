#include "core/data/project.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/data/dataset.h"
#include "core/data/stable_hash.h"
#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"

namespace fs = std::filesystem;

namespace diffii {

namespace {

constexpr uint64_t kSampleBytes = 64 * 1024;
constexpr uint64_t kSampleStride = 8 * 1024 * 1024;
constexpr uint64_t kSmallFile = 1024 * 1024;
constexpr uint64_t kMaxSafetensorsHeader = 100 * 1024 * 1024;  // the format's own limit

std::string lowerExtension(const fs::path& p) {
    std::string ext = p.extension().string();
    for (char& c : ext)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return ext;
}

enum class FileRule { Full, Safetensors, Sampled, Ignore };

FileRule ruleFor(const fs::path& p, uint64_t size) {
    const std::string ext = lowerExtension(p);
    if (ext == ".json" || ext == ".txt") return FileRule::Full;
    const bool weights = ext == ".bin" || ext == ".ckpt" || ext == ".pt" || ext == ".pth" || ext == ".msgpack" ||
                         ext == ".onnx" || ext == ".h5" || ext == ".model";
    if (ext != ".safetensors" && !weights) return FileRule::Ignore;
    if (size <= kSmallFile) return FileRule::Full;
    return ext == ".safetensors" ? FileRule::Safetensors : FileRule::Sampled;
}

class FileReader {
public:
    explicit FileReader(const std::string& path) : m_path(path), m_in(path, std::ios::binary) {
        if (!m_in) throw Error(path + ": cannot open for fingerprinting");
    }
    // Hashes [offset, offset + length) into h.
    void hashRange(StableHasher& h, uint64_t offset, uint64_t length) {
        m_in.clear();
        m_in.seekg(static_cast<std::streamoff>(offset));
        while (length > 0) {
            const uint64_t n = std::min<uint64_t>(length, m_buffer.size());
            m_in.read(m_buffer.data(), static_cast<std::streamsize>(n));
            if (static_cast<uint64_t>(m_in.gcount()) != n)
                throw Error(m_path + ": read failed while fingerprinting (offset " + std::to_string(offset) + ")");
            h.update(m_buffer.data(), n);
            length -= n;
            offset += n;
        }
    }
    std::string readBytes(uint64_t offset, uint64_t length) {
        std::string out(length, '\0');
        m_in.clear();
        m_in.seekg(static_cast<std::streamoff>(offset));
        m_in.read(out.data(), static_cast<std::streamsize>(length));
        if (static_cast<uint64_t>(m_in.gcount()) != length)
            throw Error(m_path + ": read failed while fingerprinting (offset " + std::to_string(offset) + ")");
        return out;
    }

private:
    std::string m_path;
    std::ifstream m_in;
    std::vector<char> m_buffer = std::vector<char>(1 << 20);
};

// 64 KiB at every 8 MiB step of [begin, end) plus the last 64 KiB.
void hashSamples(FileReader& reader, StableHasher& h, uint64_t begin, uint64_t end) {
    if (end <= begin) return;
    for (uint64_t off = begin; off < end; off += kSampleStride)
        reader.hashRange(h, off, std::min(kSampleBytes, end - off));
    const uint64_t lastBegin = end - std::min(kSampleBytes, end - begin);
    reader.hashRange(h, lastBegin, end - lastBegin);
}

void hashFile(StableHasher& h, const std::string& path, FileRule rule, uint64_t size) {
    h.updateU64(size);
    h.updateU64(static_cast<uint64_t>(rule));
    FileReader reader(path);
    switch (rule) {
        case FileRule::Full:
            reader.hashRange(h, 0, size);
            break;
        case FileRule::Sampled:
            hashSamples(reader, h, 0, size);
            break;
        case FileRule::Safetensors: {
            const std::string lenBytes = reader.readBytes(0, 8);
            uint64_t headerLen = 0;
            for (int i = 7; i >= 0; --i) headerLen = (headerLen << 8) | static_cast<unsigned char>(lenBytes[i]);
            if (headerLen > kMaxSafetensorsHeader || headerLen > size - 8) {
                // Not a valid safetensors file; the loader will say so. Hash it like any other weight file.
                hashSamples(reader, h, 0, size);
            } else {
                reader.hashRange(h, 0, 8 + headerLen);
                hashSamples(reader, h, 8 + headerLen, size);
            }
            break;
        }
        case FileRule::Ignore:
            break;
    }
}

uint64_t fileSize(const std::string& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) throw Error(path + ": cannot read the file size for fingerprinting: " + ec.message());
    return static_cast<uint64_t>(size);
}

std::string normalDir(const std::string& dir) {
    std::string d = fs::absolute(dir).lexically_normal().generic_string();
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    return d;
}

void requireKeys(const nlohmann::json& j, const std::string& file, std::initializer_list<const char*> keys) {
    for (const char* key : keys)
        if (!j.contains(key)) throw Error(file + ": required key '" + std::string(key) + "' is missing");
}

}  // namespace

std::string modelFingerprint(const std::string& modelDir) {
    std::error_code ec;
    if (fs::is_regular_file(modelDir, ec)) {  // a single-file checkpoint: its content
        StableHasher h;
        h.updateString("diffii-model-fingerprint-v1-single-file");
        const uint64_t size = fileSize(modelDir);
        const FileRule rule = ruleFor(modelDir, size);
        hashFile(h, modelDir, rule == FileRule::Ignore ? FileRule::Sampled : rule, size);
        return h.hex();
    }
    if (!fs::is_directory(modelDir, ec)) throw Error(modelDir + ": model folder does not exist");
    const fs::path root(modelDir);
    std::vector<std::pair<std::string, FileRule>> files;  // relative path, rule
    std::vector<uint64_t> sizes;
    fs::recursive_directory_iterator it(root, ec), end;
    if (ec) throw Error(modelDir + ": cannot list the model folder: " + ec.message());
    for (; it != end; it.increment(ec)) {
        if (ec) throw Error(modelDir + ": cannot list the model folder: " + ec.message());
        const std::string name = it->path().filename().string();
        if (!name.empty() && name[0] == '.') {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        std::error_code fileEc;
        if (!it->is_regular_file(fileEc)) continue;
        const std::string rel = it->path().lexically_relative(root).generic_string();
        const uint64_t size = fileSize(it->path().string());
        const FileRule rule = ruleFor(it->path(), size);
        if (rule != FileRule::Ignore) files.push_back({rel, rule});
    }
    if (ec) throw Error(modelDir + ": cannot list the model folder: " + ec.message());
    if (files.empty()) throw Error(modelDir + ": model folder holds no config, tokenizer or weight file to hash");
    std::sort(files.begin(), files.end());
    StableHasher h;
    h.updateString("diffii-model-fingerprint-v1");
    for (const auto& [rel, rule] : files) {
        const std::string path = (root / rel).string();
        h.updateString(rel);
        hashFile(h, path, rule, fileSize(path));
    }
    return h.hex();
}

std::string fingerprintFiles(const std::vector<std::string>& files) {
    StableHasher h;
    h.updateString("diffii-files-fingerprint-v1");
    h.updateU64(files.size());
    for (const auto& path : files) {
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) throw Error(path + ": file to fingerprint does not exist");
        const uint64_t size = fileSize(path);
        FileRule rule = ruleFor(fs::path(path), size);
        // Whatever the extension, a listed file counts: small ones in full, large ones sampled.
        if (rule == FileRule::Ignore) rule = size <= kSmallFile ? FileRule::Full : FileRule::Sampled;
        h.updateString(fs::path(path).filename().string());
        hashFile(h, path, rule, size);
    }
    return h.hex();
}

// ---- Project ------------------------------------------------------------------------------------------------

std::string Project::resolve(const std::string& path) const {
    if (path.empty()) return path;
    const fs::path p(path);
    if (p.is_absolute()) return p.lexically_normal().generic_string();
    return (fs::path(m_dir) / p).lexically_normal().generic_string();
}

void Project::ensureFolders() const {
    for (const auto& d : {conceptsDir(), inversionsDir(), syntheticDir(), runsDir()}) {
        std::error_code ec;
        fs::create_directories(d, ec);
        if (ec) throw Error(d + ": cannot create the project folder: " + ec.message());
    }
}

nlohmann::json Project::toJson() const {
    nlohmann::json j = m_unknown;
    j["schemaVersion"] = kSchemaVersion;
    j["name"] = m_config.name;
    j["datasetPath"] = m_config.datasetPath;
    j["modelPath"] = m_config.modelPath;
    if (!m_config.modelConfigPath.empty()) j["modelConfigPath"] = m_config.modelConfigPath;
    if (!m_config.predictionType.empty()) j["predictionType"] = m_config.predictionType;
    j["metaclass"] = m_config.metaclass;
    j["seed"] = m_config.seed;
    j["settings"] = m_config.settings;
    j["createdWith"] = m_config.createdWith;
    return j;
}

void Project::save() const { writeFileAtomic(projectFile(), toJson().dump(2) + "\n"); }

void checkDatasetNames(const ImageFolderDataset& dataset) {
    for (const auto& c : dataset.classes()) {
        const auto folder = (fs::path(dataset.root()) / c.name).string();
        if (c.name == "manifest.csv" || c.name == "manifest.jsonl")
            throw Error(folder + ": a class may not be named " + c.name +
                        " (the synthetic set keeps its manifest under that name); rename the folder");
        if (c.name.size() > kMaxClassNameBytes)
            throw Error(folder + ": the class name has " + std::to_string(c.name.size()) + " bytes, more than the " +
                        std::to_string(kMaxClassNameBytes) + " the files made from it allow; rename the folder");
        for (const auto& image : c.images) {
            const auto name = fs::path(image).filename().string();
            if (name.size() > kMaxImageNameBytes)
                throw Error(image + ": the file name has " + std::to_string(name.size()) + " bytes, more than the " +
                            std::to_string(kMaxImageNameBytes) + " the files made from it allow; rename the file");
        }
    }
}

std::string metaclassProblem(const std::string& metaclass) {
    if (metaclass.find_first_not_of(" \t") == std::string::npos)
        return "the metaclass must be a word such as 'bird' (the class prompts are built on it), got '" + metaclass +
               "'";
    if (metaclass.find_first_of("\r\n") != std::string::npos)
        return "the metaclass must be one line (the class prompts are built on it)";
    return "";
}

Project Project::create(const std::string& dir, const ProjectConfig& config) {
    if (!config.settings.is_object())
        throw Error(dir + ": project settings must be a JSON object, found " + config.settings.dump());
    if (const auto why = metaclassProblem(config.metaclass); !why.empty()) throw Error(dir + ": " + why);
    Project p;
    p.m_dir = normalDir(dir);
    std::error_code ec;
    fs::create_directories(p.m_dir, ec);
    if (ec) throw Error(p.m_dir + ": cannot create the project folder: " + ec.message());
    if (fs::exists(p.projectFile(), ec))
        throw Error(p.projectFile() + ": a project already exists here (open it instead of creating one)");
    p.m_config = config;
    if (p.m_config.createdWith.empty()) p.m_config.createdWith = kCreatedWith;
    p.ensureFolders();
    p.save();
    return p;
}

Project Project::open(const std::string& dir) {
    Project p;
    p.m_dir = normalDir(dir);
    const std::string file = p.projectFile();
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) throw Error(file + ": not a Diff-II project folder (project.json is missing)");
    const nlohmann::json j = readJsonFile(file);
    if (!j.is_object()) throw Error(file + ": expected a JSON object, found " + std::string(j.type_name()));
    requireKeys(j, file, {"schemaVersion"});
    const auto& v = j.at("schemaVersion");
    if (!v.is_number_integer()) throw Error(file + ": key 'schemaVersion': expected an integer, found " + v.dump());
    const int64_t version = v.get<int64_t>();
    if (version > kSchemaVersion)
        throw Error(file + ": written with project schema version " + std::to_string(version) +
                    ", this build supports version " + std::to_string(kSchemaVersion) +
                    " (open it with a newer Diff-II Studio)");
    if (version < 1)
        throw Error(file + ": key 'schemaVersion': expected a version from 1 to " + std::to_string(kSchemaVersion) +
                    ", found " + std::to_string(version));
    requireKeys(j, file, {"name", "datasetPath", "modelPath", "metaclass", "seed", "settings", "createdWith"});
    ProjectConfig& c = p.m_config;
    c.name = jsonRequire<std::string>(j, "name", file);
    c.datasetPath = jsonRequire<std::string>(j, "datasetPath", file);
    c.modelPath = jsonRequire<std::string>(j, "modelPath", file);
    c.metaclass = jsonRequire<std::string>(j, "metaclass", file);
    const auto& seed = j.at("seed");
    if (!seed.is_number_unsigned())
        throw Error(file + ": key 'seed': expected an unsigned 64-bit integer, found " + seed.dump());
    c.seed = seed.get<uint64_t>();
    c.settings = j.at("settings");
    if (!c.settings.is_object())
        throw Error(file + ": key 'settings': expected a JSON object, found " + c.settings.dump());
    c.createdWith = jsonRequire<std::string>(j, "createdWith", file);
    if (j.contains("modelConfigPath")) c.modelConfigPath = jsonRequire<std::string>(j, "modelConfigPath", file);
    if (j.contains("predictionType")) c.predictionType = jsonRequire<std::string>(j, "predictionType", file);
    for (auto it = j.begin(); it != j.end(); ++it) {
        static const char* known[] = {"schemaVersion", "name",     "datasetPath", "modelPath",       "metaclass",
                                      "seed",          "settings", "createdWith", "modelConfigPath", "predictionType"};
        if (std::find(std::begin(known), std::end(known), it.key()) == std::end(known)) p.m_unknown[it.key()] = *it;
    }
    p.ensureFolders();
    return p;
}

// ---- Provenance ---------------------------------------------------------------------------------------------

nlohmann::json Provenance::toJson() const {
    return {{"producer", producer},
            {"modelHash", modelHash},
            {"conceptsHash", conceptsHash},
            {"settings", settings},
            {"created", created}};
}

Provenance Provenance::fromJson(const nlohmann::json& j, const std::string& file) {
    if (!j.is_object()) throw Error(file + ": provenance: expected a JSON object, found " + j.dump());
    requireKeys(j, file, {"producer", "modelHash", "conceptsHash", "settings", "created"});
    Provenance p;
    p.producer = jsonRequire<std::string>(j, "producer", file);
    p.modelHash = jsonRequire<std::string>(j, "modelHash", file);
    p.conceptsHash = jsonRequire<std::string>(j, "conceptsHash", file);
    p.settings = j.at("settings");
    p.created = jsonRequire<std::string>(j, "created", file);
    return p;
}

std::string isoTimeNow() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buf;
}

bool isStale(const Provenance& recorded, const Provenance& current) {
    return recorded.producer != current.producer || recorded.modelHash != current.modelHash ||
           recorded.conceptsHash != current.conceptsHash || recorded.settings != current.settings;
}

}  // namespace diffii
