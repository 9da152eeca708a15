#include "core/io/safetensors_header.h"

#include <algorithm>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/io/regular_file.h"

namespace diffii {
namespace {

struct DtypeName {
    const char* name;
    StDtype dtype;
    size_t size;
};

const DtypeName kDtypeNames[] = {
    {"F32", StDtype::F32, 4}, {"F16", StDtype::F16, 2},   {"BF16", StDtype::BF16, 2}, {"F64", StDtype::F64, 8},
    {"I64", StDtype::I64, 8}, {"I32", StDtype::I32, 4},   {"I16", StDtype::I16, 2},   {"I8", StDtype::I8, 1},
    {"U8", StDtype::U8, 1},   {"BOOL", StDtype::BOOL, 1},
};

const DtypeName& nameOf(StDtype dtype) {
    for (const auto& e : kDtypeNames)
        if (e.dtype == dtype) return e;
    throw Error("internal: unknown safetensors dtype");
}

// The JSON nesting a valid header needs is 3 (header, tensor entry, shape); deeper input is refused while parsing.
constexpr int kMaxDepth = 8;

// Offset of the first byte that is not valid UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
// U+10FFFF), or `size` when all of it is valid.
size_t firstInvalidUtf8(const unsigned char* s, size_t size) {
    size_t i = 0;
    while (i < size) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n = 0;
        unsigned lo = 0x80, hi = 0xbf;  // allowed range of the second byte
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            if (c == 0xe0) lo = 0xa0;
            if (c == 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            if (c == 0xf0) lo = 0x90;
            if (c == 0xf4) hi = 0x8f;
        } else {
            return i;
        }
        if (i + n >= size) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k <= n; ++k)
            if ((s[i + k] & 0xc0) != 0x80) return i;
        i += n + 1;
    }
    return size;
}

std::string hexByte(unsigned char c) {
    const char* digits = "0123456789abcdef";
    return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

// A library message can quote the offending token (a 20 MB string, say): keep its start only.
std::string bounded(const std::string& message) { return boundedText(message, 200); }

bool mulOverflow(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }

TensorInfo parseTensor(const std::string& path, const std::string& key, const nlohmann::json& v) {
    const std::string name = "tensor " + boundedQuote(key);
    if (!v.is_object()) throw Error(path + ": " + name + ": entry is not an object");
    for (const char* field : {"dtype", "shape", "data_offsets"})
        if (!v.contains(field)) throw Error(path + ": " + name + " lacks '" + field + "'");
    TensorInfo info;
    info.name = key;
    const auto& dtype = v["dtype"];
    if (!dtype.is_string()) throw Error(path + ": " + name + ": dtype is not a string");
    const auto& dtypeName = dtype.get_ref<const std::string&>();
    const auto found = std::find_if(std::begin(kDtypeNames), std::end(kDtypeNames),
                                    [&](const DtypeName& e) { return dtypeName == e.name; });
    if (found == std::end(kDtypeNames))
        throw Error(path + ": " + name + " has unknown dtype " + boundedQuote(dtypeName) +
                    " (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");
    info.dtype = found->dtype;
    const auto& shape = v["shape"];
    if (!shape.is_array()) throw Error(path + ": " + name + ": shape is not an array");
    uint64_t numel = 1;
    for (const auto& d : shape) {
        if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t(INT64_MAX))
            throw Error(path + ": " + name + " has an invalid shape entry " + bounded(d.dump()) +
                        " (expected a non-negative integer)");
        info.shape.push_back(d.get<int64_t>());
        if (mulOverflow(numel, d.get<uint64_t>(), &numel))
            throw Error(path + ": " + name + ": the element count of shape " + bounded(shape.dump()) +
                        " overflows 64 bits");
    }
    uint64_t nbytes = 0;
    if (mulOverflow(numel, found->size, &nbytes))
        throw Error(path + ": " + name + ": the byte size of shape " + bounded(shape.dump()) + " overflows 64 bits");
    const auto& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
        throw Error(path + ": " + name + ": data_offsets must be two non-negative integers, got " +
                    bounded(off.dump()));
    info.begin = off[0].get<uint64_t>();
    info.end = off[1].get<uint64_t>();
    if (info.end < info.begin)
        throw Error(path + ": " + name + ": data_offsets end " + std::to_string(info.end) + " < begin " +
                    std::to_string(info.begin));
    if (info.end - info.begin != nbytes)
        throw Error(path + ": " + name + ": dtype " + found->name + " × shape " + bounded(shape.dump()) + " is " +
                    std::to_string(nbytes) + " bytes but data_offsets [" + std::to_string(info.begin) + ", " +
                    std::to_string(info.end) + ") span " + std::to_string(info.end - info.begin));
    return info;
}

}  // namespace

const char* stDtypeName(StDtype dtype) { return nameOf(dtype).name; }
size_t stDtypeSize(StDtype dtype) { return nameOf(dtype).size; }

int64_t TensorInfo::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

namespace {

// The header's length field and text: within the file and the limit, UTF-8, a '{' ... '}' object padded with spaces
// only, no NUL. Returns the JSON text's length (without the padding); *headerBytes gets the length field.
size_t checkHeaderText(const std::string& path, const unsigned char* bytes, uint64_t size, uint64_t* headerBytes) {
    if (size < 8)
        throw Error(path + ": truncated safetensors file: " + std::to_string(size) +
                    " bytes, but the 8-byte header length alone needs 8");
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
    if (n > kMaxSafetensorsHeaderBytes)
        throw Error(path + ": header length " + std::to_string(n) + " exceeds the limit of " +
                    std::to_string(kMaxSafetensorsHeaderBytes) + " bytes (corrupt or not a safetensors file)");
    if (n > size - 8)
        throw Error(path + ": header length " + std::to_string(n) + " is longer than the file (" +
                    std::to_string(size - 8) + " bytes after the length field): file truncated?");
    const unsigned char* text = bytes + 8;
    if (n == 0) throw Error(path + ": header is empty (length 0)");
    if (n >= 3 && text[0] == 0xef && text[1] == 0xbb && text[2] == 0xbf)
        throw Error(path + ": header starts with a UTF-8 byte-order mark; it must start with '{'");
    if (text[0] != '{')
        throw Error(path + ": header must start with '{', found byte " + hexByte(text[0]) +
                    " (corrupt or not a safetensors file)");
    const size_t bad = firstInvalidUtf8(text, static_cast<size_t>(n));
    if (bad != n)
        throw Error(path + ": header is not valid UTF-8 (byte " + hexByte(text[bad]) + " at header offset " +
                    std::to_string(bad) + ")");
    // Padding: spaces only, after the closing brace.
    size_t jsonEnd = static_cast<size_t>(n);
    while (jsonEnd > 0 && text[jsonEnd - 1] == ' ') --jsonEnd;
    if (text[jsonEnd - 1] != '}')
        throw Error(path + ": header must be a JSON object padded with spaces only, but it ends with byte " +
                    hexByte(text[jsonEnd - 1]) + " at header offset " + std::to_string(jsonEnd - 1) +
                    " (NUL or other padding, or a wrong header length)");

    // The JSON parser stops at a NUL byte as if the text ended there: whatever followed would go unread.
    if (const void* nul = std::memchr(text, 0, static_cast<size_t>(n)))
        throw Error(path + ": header has a NUL byte at header offset " +
                    std::to_string(static_cast<const unsigned char*>(nul) - text) +
                    " (NUL padding, or a wrong header length)");
    *headerBytes = n;
    return jsonEnd;
}

// The header JSON, parsed with duplicate-key and depth checks.
nlohmann::json parseHeaderJson(const std::string& path, const unsigned char* text, size_t jsonEnd) {
    // One set of keys per open object.
    std::vector<std::set<std::string>> openObjects;
    std::string duplicate;
    bool tooDeep = false;
    const auto onEvent = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using E = nlohmann::json::parse_event_t;
        if (depth > kMaxDepth) {
            tooDeep = true;
            throw Error("too deep");
        }
        if (event == E::object_start) openObjects.emplace_back();
        if (event == E::object_end && !openObjects.empty()) openObjects.pop_back();
        if (event == E::key && !openObjects.empty() && !openObjects.back().insert(parsed.get<std::string>()).second) {
            duplicate = parsed.get<std::string>();
            throw Error("duplicate");
        }
        return true;
    };
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(text, text + jsonEnd, onEvent);
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": header is not well-formed JSON: " + bounded(e.what()));
    } catch (const Error&) {
        if (tooDeep)
            throw Error(path + ": header JSON nests deeper than " + std::to_string(kMaxDepth) +
                        " levels (a safetensors header needs 3)");
        throw Error(path + ": header has the key " + boundedQuote(duplicate) +
                    " twice in one object (duplicate keys are ambiguous)");
    }
    if (!header.is_object()) throw Error(path + ": header JSON is not an object");
    return header;
}

// The tensors' spans, sorted by offset, must tile the data section exactly (no gap, no overlap, nothing past the end
// or after the last tensor).
void checkSpansTile(const std::string& path, std::vector<TensorInfo>& tensors, uint64_t dataSize) {
    std::sort(tensors.begin(), tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    // A span past the end first: one tensor's wrong data_offsets read as a gap before the next tensor otherwise.
    for (const auto& t : tensors)
        if (t.end > dataSize)
            throw Error(
                path + ": tensor " + boundedQuote(t.name) + ": data span [" + std::to_string(t.begin) + ", " +
                std::to_string(t.end) + ") runs past the end of the file (data section is " + std::to_string(dataSize) +
                " bytes): " + (t.begin >= dataSize ? "its data_offsets lie outside the file" : "file truncated?"));
    uint64_t covered = 0;
    const TensorInfo* previous = nullptr;
    for (const auto& t : tensors) {
        if (t.begin > covered)
            throw Error(path + ": " + std::to_string(t.begin - covered) + " bytes of the data section before tensor " +
                        boundedQuote(t.name) + " (data_offsets begin " + std::to_string(t.begin) + ") belong to no " +
                        "tensor (a gap: " +
                        (previous ? "the previous tensor " + boundedQuote(previous->name) + " ends at " +
                                        std::to_string(covered)
                                  : std::string("the first tensor must begin at 0")) +
                        ")");
        if (t.begin < covered)
            throw Error(path + ": tensors " + boundedQuote(previous->name) + " and " + boundedQuote(t.name) +
                        " have overlapping data spans ([" + std::to_string(previous->begin) + ", " +
                        std::to_string(previous->end) + ") and [" + std::to_string(t.begin) + ", " +
                        std::to_string(t.end) + "))");
        covered = t.end;
        previous = &t;
    }
    if (covered != dataSize)
        throw Error(path + ": " + std::to_string(dataSize - covered) + " bytes at the end of the data section (" +
                    std::to_string(dataSize) + " bytes, tensors cover " + std::to_string(covered) +
                    ") belong to no tensor: trailing bytes, or a wrong header length");
}

}  // namespace

SafetensorsHeader parseSafetensorsHeader(const std::string& path, const unsigned char* bytes, uint64_t size) {
    uint64_t n = 0;
    const size_t jsonEnd = checkHeaderText(path, bytes, size, &n);
    const nlohmann::json header = parseHeaderJson(path, bytes + 8, jsonEnd);
    SafetensorsHeader out;
    out.dataStart = 8 + n;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (it->is_null()) continue;
            if (!it->is_object()) throw Error(path + ": '__metadata__' is not an object of strings");
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (!m->is_string())
                    throw Error(path + ": metadata key " + boundedQuote(m.key()) + " is not a string but " +
                                bounded(m->dump()));
                out.metadata[m.key()] = m->get<std::string>();
            }
            continue;
        }
        out.tensors.push_back(parseTensor(path, it.key(), *it));
    }
    checkSpansTile(path, out.tensors, size - out.dataStart);
    return out;
}

}  // namespace diffii
