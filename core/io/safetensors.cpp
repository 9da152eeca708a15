#include "core/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/io/regular_file.h"

namespace diffii {
namespace {

struct DtypeEntry {
    const char* name;
    StDtype dtype;
    size_t size;
    c10::ScalarType scalar;
};

const DtypeEntry kDtypes[] = {
    {"F32", StDtype::F32, 4, torch::kFloat32},    {"F16", StDtype::F16, 2, torch::kFloat16},
    {"BF16", StDtype::BF16, 2, torch::kBFloat16}, {"F64", StDtype::F64, 8, torch::kFloat64},
    {"I64", StDtype::I64, 8, torch::kInt64},      {"I32", StDtype::I32, 4, torch::kInt32},
    {"I16", StDtype::I16, 2, torch::kInt16},      {"I8", StDtype::I8, 1, torch::kInt8},
    {"U8", StDtype::U8, 1, torch::kUInt8},        {"BOOL", StDtype::BOOL, 1, torch::kBool},
};

const DtypeEntry& entryOf(StDtype dtype) {
    for (const auto& e : kDtypes)
        if (e.dtype == dtype) return e;
    throw Error("internal: unknown safetensors dtype");
}

const DtypeEntry& entryOf(c10::ScalarType scalar, const std::string& name) {
    for (const auto& e : kDtypes)
        if (e.scalar == scalar) return e;
    throw Error("saveSafetensors: tensor '" + name + "' has unsupported dtype " + std::string(c10::toString(scalar)));
}

std::string errnoText() { return std::strerror(errno); }

}  // namespace

SafeTensorsFile::SafeTensorsFile(const std::string& path) : m_path(path) {
    uint64_t size = 0;
    const int fd = openRegularFile(path, "safetensors file", &size);
    m_size = static_cast<size_t>(size);
    if (m_size < 8) {
        ::close(fd);
        throw Error(path + ": truncated safetensors file: " + std::to_string(m_size) +
                    " bytes, but the 8-byte header length alone needs 8");
    }
    m_map = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
    const std::string why = m_map == MAP_FAILED ? errnoText() : std::string();
    ::close(fd);
    if (m_map == MAP_FAILED) {
        m_map = nullptr;
        throw Error(path + ": cannot memory-map: " + why);
    }
    try {
        SafetensorsHeader header = parseSafetensorsHeader(path, static_cast<const unsigned char*>(m_map), size);
        m_dataStart = static_cast<size_t>(header.dataStart);
        m_metadata = std::move(header.metadata);
        for (auto& t : header.tensors) {
            std::string name = t.name;
            m_infos.emplace(std::move(name), std::move(t));
        }
    } catch (...) {
        ::munmap(m_map, m_size);
        m_map = nullptr;
        throw;
    }
}

SafeTensorsFile::~SafeTensorsFile() {
    if (m_map) ::munmap(m_map, m_size);
}

std::vector<std::string> SafeTensorsFile::keys() const {
    std::vector<std::string> out;
    out.reserve(m_infos.size());
    for (const auto& kv : m_infos) out.push_back(kv.first);
    return out;
}

bool SafeTensorsFile::contains(const std::string& name) const { return m_infos.count(name) != 0; }

const TensorInfo& SafeTensorsFile::info(const std::string& name) const {
    const auto it = m_infos.find(name);
    if (it == m_infos.end()) throw Error(m_path + ": no tensor named " + boundedQuote(name));
    return it->second;
}

at::Tensor SafeTensorsFile::view(const std::string& name) const {
    const TensorInfo& i = info(name);
    auto* data = static_cast<char*>(m_map) + m_dataStart + i.begin;
    const auto scalar = entryOf(i.dtype).scalar;
    if (i.numel() == 0) return torch::empty(i.shape, torch::TensorOptions().dtype(scalar));
    // The mapping is read-only (MAP_PRIVATE, PROT_READ): callers must not write into a view.
    return torch::from_blob(data, i.shape, torch::TensorOptions().dtype(scalar));
}

void SafeTensorsFile::dropPages(const std::string& name) const {
    const TensorInfo& i = info(name);
    const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    // Whole pages inside the tensor's span only: its neighbours' bytes stay resident.
    const size_t begin = (m_dataStart + static_cast<size_t>(i.begin) + page - 1) / page * page;
    const size_t end = (m_dataStart + static_cast<size_t>(i.end)) / page * page;
    if (end > begin) ::madvise(static_cast<char*>(m_map) + begin, end - begin, MADV_DONTNEED);
}

at::Tensor SafeTensorsFile::tensor(const std::string& name) const {
    const TensorInfo& i = info(name);
    if (i.numel() == 0) return view(name);
    // Unaligned spans are legal in the format; memcpy into fresh storage avoids misaligned loads.
    auto out = torch::empty(i.shape, torch::TensorOptions().dtype(entryOf(i.dtype).scalar));
    std::memcpy(out.data_ptr(), static_cast<char*>(m_map) + m_dataStart + i.begin, i.end - i.begin);
    return out;
}

void writeFileAtomic(const std::string& path, const std::string& bytes) {
    std::random_device rd;
    const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(path + ": cannot write (creating temporary file failed: " + errnoText() + ")");
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string why = errnoText();
            ::close(fd);
            ::unlink(tmp.c_str());
            throw Error(path + ": write failed: " + why);
        }
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string why = errnoText();
        ::unlink(tmp.c_str());
        throw Error(path + ": flushing to disk failed: " + why);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = errnoText();
        ::unlink(tmp.c_str());
        throw Error(path + ": rename of the temporary file failed: " + why);
    }
}

void saveSafetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata) {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::vector<at::Tensor> contiguous;
    uint64_t offset = 0;
    for (const auto& kv : tensors) {  // std::map: sorted by name
        auto t = kv.second.detach().to(torch::kCPU).contiguous();
        const auto& e = entryOf(t.scalar_type(), kv.first);
        const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * e.size;
        header[kv.first] = {{"dtype", e.name}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + nbytes}}};
        offset += nbytes;
        contiguous.push_back(std::move(t));
    }
    std::string headerText = header.dump();
    while (headerText.size() % 8 != 0) headerText.push_back(' ');
    std::string bytes;
    bytes.reserve(8 + headerText.size() + offset);
    const uint64_t n = headerText.size();
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    bytes += headerText;
    for (const auto& t : contiguous) bytes.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
    writeFileAtomic(path, bytes);
}

}  // namespace diffii
