// safetensors reader (memory-mapped, validated) and atomic writer.
// Format: 8-byte little-endian header length N, N bytes of JSON, then raw little-endian data;
// data_offsets are relative to the first byte after the header. The header's checks (the reference
// implementation's, and stricter): core/io/safetensors_header.h.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/io/safetensors_header.h"

namespace diffii {

// A validated, memory-mapped safetensors file. Only a regular file is opened (a FIFO or a directory is refused
// with a message saying so). Tensors returned by tensor() are copies (owning memory)
// unless view() is used, whose result lives only as long as this object.
class SafeTensorsFile {
public:
    explicit SafeTensorsFile(const std::string& path);
    ~SafeTensorsFile();
    SafeTensorsFile(const SafeTensorsFile&) = delete;
    SafeTensorsFile& operator=(const SafeTensorsFile&) = delete;

    const std::string& path() const { return m_path; }
    std::vector<std::string> keys() const;  // sorted
    bool contains(const std::string& name) const;
    const TensorInfo& info(const std::string& name) const;
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }

    // Owning copy with the stored dtype (BOOL -> kBool, U8 -> kByte, ...).
    at::Tensor tensor(const std::string& name) const;
    // Zero-copy view into the mapping; valid while this object lives.
    at::Tensor view(const std::string& name) const;
    // Drops the resident pages of the tensor's bytes (they are read from the file again if used): after copying a
    // tensor out, so that reading a large checkpoint does not keep it all in memory. Views stay valid.
    void dropPages(const std::string& name) const;

private:
    std::string m_path;
    void* m_map = nullptr;
    size_t m_size = 0;
    size_t m_dataStart = 0;
    std::map<std::string, TensorInfo> m_infos;
    std::map<std::string, std::string> m_metadata;
};

// Writes tensors (any of the supported dtypes; made contiguous, CPU) atomically: a temporary file in the same
// folder, fsync, then rename. Tensors are stored in sorted-name order, as the reference writer does.
void saveSafetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata = {});

// Write bytes to path atomically (temporary file + fsync + rename). Throws diffii::Error naming the path.
void writeFileAtomic(const std::string& path, const std::string& bytes);

}  // namespace diffii
