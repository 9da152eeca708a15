// The safetensors header, parsed and validated without LibTorch (so that a fuzzer can link it alone).
// Format: 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the raw little-endian data, with
// data_offsets relative to the first byte after the header. The checks are the reference implementation's
// (huggingface/safetensors, SafeTensors::read_metadata and Metadata::validate) and a few stricter ones:
//   - N <= 100,000,000 and 8 + N <= file size;
//   - the header is valid UTF-8, starts with '{' (no byte-order mark, no leading whitespace), is one JSON object,
//     and is padded with spaces (0x20) only (no NUL, tab or newline after the closing brace);
//   - no key appears twice in any object (a duplicate used to be accepted, the last one winning);
//   - `__metadata__` is a map of strings to strings; every other key is a tensor with a known dtype, a shape of
//     non-negative integers and data_offsets [begin, end];
//   - each span holds exactly dtype size x product(shape) bytes (overflow-checked), and the spans, sorted by offset,
//     tile the data section exactly: the first begins at 0, each begins where the previous ends, the last ends at
//     the end of the file (no gap, no overlap, no trailing bytes). A header length one byte short (into its space
//     padding) used to load every tensor one byte shifted; now the uncovered byte is an error.
// Every message names the file; names and other echoed text are bounded (boundedQuote).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace diffii {

enum class StDtype { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

const char* stDtypeName(StDtype dtype);
size_t stDtypeSize(StDtype dtype);

struct TensorInfo {
    std::string name;
    StDtype dtype = StDtype::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0;  // relative to the data section
    uint64_t end = 0;
    int64_t numel() const;
};

struct SafetensorsHeader {
    uint64_t dataStart = 0;           // 8 + N: where the data section begins in the file
    std::vector<TensorInfo> tensors;  // sorted by data offset
    std::map<std::string, std::string> metadata;
};

// The largest header accepted, as in the reference implementation: a larger length is a corrupt field.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// Parses and validates a whole safetensors file held in memory (`size` bytes at `bytes`, e.g. a memory mapping).
// Throws diffii::Error whose message begins with `path`.
SafetensorsHeader parseSafetensorsHeader(const std::string& path, const unsigned char* bytes, uint64_t size);

}  // namespace diffii
