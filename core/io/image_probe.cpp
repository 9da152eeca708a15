#include "core/io/image_probe.h"

#include <unistd.h>

#include <cstring>
#include <functional>

#include "core/io/error.h"
#include "core/io/regular_file.h"

namespace diffii {
namespace {

// Reads `count` bytes at `offset` (fewer at the end of the data).
using Reader = std::function<std::string(uint64_t offset, size_t count)>;

uint32_t be16(const std::string& b, size_t i) { return (uint32_t(uint8_t(b[i])) << 8) | uint8_t(b[i + 1]); }
uint32_t be32(const std::string& b, size_t i) { return (be16(b, i) << 16) | be16(b, i + 2); }
uint32_t le16(const std::string& b, size_t i) { return uint8_t(b[i]) | (uint32_t(uint8_t(b[i + 1])) << 8); }
uint32_t le24(const std::string& b, size_t i) { return le16(b, i) | (uint32_t(uint8_t(b[i + 2])) << 16); }
uint32_t le32(const std::string& b, size_t i) { return le16(b, i) | (le16(b, i + 2) << 16); }

void truncated(ImageProbe& p, const char* what) {
    p.problem = std::string("truncated ") + what + " header (the file ends before the image size)";
}

void probePng(const std::string& b, ImageProbe& p) {
    p.format = "png";
    p.supported = true;
    // Signature (8), then the IHDR chunk: length (4), "IHDR", width (4, big-endian), height (4).
    if (b.size() < 24) return truncated(p, "PNG");
    if (b.compare(12, 4, "IHDR") != 0) {
        p.problem = "PNG without an IHDR chunk first (corrupt header)";
        return;
    }
    p.width = be32(b, 16);
    p.height = be32(b, 20);
}

void probeGif(const std::string& b, ImageProbe& p) {
    p.format = "gif";
    p.supported = false;
    if (b.size() >= 10) {
        p.width = le16(b, 6);
        p.height = le16(b, 8);
    }
    p.problem = "GIF images are not supported by the image loader (convert them to PNG)";
}

void probeBmp(const std::string& b, ImageProbe& p) {
    p.format = "bmp";
    p.supported = true;
    if (b.size() < 18) return truncated(p, "BMP");
    const uint32_t dib = le32(b, 14);
    if (dib == 12) {  // BITMAPCOREHEADER: 16-bit width and height
        if (b.size() < 22) return truncated(p, "BMP");
        p.width = le16(b, 18);
        p.height = le16(b, 20);
        return;
    }
    if (dib < 40) {
        p.problem = "BMP with an unknown header size " + std::to_string(dib);
        return;
    }
    if (b.size() < 26) return truncated(p, "BMP");
    p.width = static_cast<int32_t>(le32(b, 18));
    const auto h = static_cast<int32_t>(le32(b, 22));
    p.height = h < 0 ? -static_cast<int64_t>(h) : h;  // negative: stored top-down
}

void probeWebp(const std::string& b, ImageProbe& p) {
    p.format = "webp";
    p.supported = true;
    if (b.size() < 30) return truncated(p, "WebP");
    const std::string chunk = b.substr(12, 4);
    if (chunk == "VP8X") {  // extended: 24-bit canvas width - 1 and height - 1
        p.width = int64_t(le24(b, 24)) + 1;
        p.height = int64_t(le24(b, 27)) + 1;
    } else if (chunk == "VP8L") {  // lossless: signature 0x2f, then 14-bit width - 1 and height - 1
        if (uint8_t(b[20]) != 0x2f) {
            p.problem = "WebP lossless stream without its signature (corrupt header)";
            return;
        }
        const uint32_t bits = le32(b, 21);
        p.width = int64_t(bits & 0x3fff) + 1;
        p.height = int64_t((bits >> 14) & 0x3fff) + 1;
    } else if (chunk == "VP8 ") {  // lossy: frame tag (3), start code 9d 01 2a, 14-bit width and height
        if (uint8_t(b[23]) != 0x9d || uint8_t(b[24]) != 0x01 || uint8_t(b[25]) != 0x2a) {
            p.problem = "WebP lossy stream without its start code (corrupt header)";
            return;
        }
        p.width = le16(b, 26) & 0x3fff;
        p.height = le16(b, 28) & 0x3fff;
    } else {
        p.problem = "WebP with an unknown first chunk (corrupt header)";
    }
}

void probeTiff(const Reader& read, const std::string& b, ImageProbe& p) {
    p.format = "tiff";
    p.supported = true;
    const bool little = b[0] == 'I';
    auto u16 = [&](const std::string& s, size_t i) { return little ? le16(s, i) : be16(s, i); };
    auto u32 = [&](const std::string& s, size_t i) { return little ? le32(s, i) : be32(s, i); };
    if (b.size() < 8) return truncated(p, "TIFF");
    if (u16(b, 2) == 43) {
        p.supported = false;
        p.problem = "BigTIFF images are not supported by the image loader";
        return;
    }
    const uint32_t ifd = u32(b, 4);
    const std::string count = read(ifd, 2);
    if (count.size() < 2) return truncated(p, "TIFF");
    const uint32_t n = u16(count, 0);
    const std::string entries = read(uint64_t(ifd) + 2, size_t(n) * 12);
    if (entries.size() < size_t(n) * 12) return truncated(p, "TIFF");
    for (uint32_t i = 0; i < n; ++i) {
        const size_t e = size_t(i) * 12;
        const uint32_t tag = u16(entries, e);
        const uint32_t type = u16(entries, e + 2);
        if (tag != 256 && tag != 257) continue;
        // SHORT (3) values sit in the first two bytes of the value field, LONG (4) fill it.
        const int64_t value = type == 3 ? u16(entries, e + 8) : type == 4 ? u32(entries, e + 8) : -1;
        if (value < 0) {
            p.problem = "TIFF image size stored with an unexpected type " + std::to_string(type);
            return;
        }
        (tag == 256 ? p.width : p.height) = value;
    }
    if (p.width == 0 || p.height == 0) p.problem = "TIFF without its image width and length tags";
}

void probePnm(const std::string& b, ImageProbe& p) {
    p.format = "pnm";
    p.supported = true;
    // "P1".."P6", then whitespace-separated width and height; '#' starts a comment to the end of the line.
    size_t i = 2;
    int64_t values[2] = {0, 0};
    for (int k = 0; k < 2; ++k) {
        for (;;) {
            while (i < b.size() && std::strchr(" \t\r\n\v\f", b[i]) && b[i] != '\0') ++i;
            if (i < b.size() && b[i] == '#') {
                while (i < b.size() && b[i] != '\n' && b[i] != '\r') ++i;
                continue;
            }
            break;
        }
        if (i >= b.size()) return truncated(p, "PNM");
        if (b[i] < '0' || b[i] > '9') {
            p.problem = "PNM header without a numeric image size";
            return;
        }
        int64_t v = 0;
        while (i < b.size() && b[i] >= '0' && b[i] <= '9') {
            if (v > (int64_t(1) << 40)) {
                p.problem = "PNM image size too large";
                return;
            }
            v = v * 10 + (b[i] - '0');
            ++i;
        }
        if (i >= b.size()) return truncated(p, "PNM");
        values[k] = v;
    }
    p.width = values[0];
    p.height = values[1];
}

// JPEG: walk the marker segments (skipping their payloads by their lengths) up to the frame header (SOFn).
void probeJpeg(const Reader& read, ImageProbe& p) {
    p.format = "jpeg";
    p.supported = true;
    uint64_t pos = 2;
    for (int segments = 0; segments < 4096; ++segments) {
        const std::string m = read(pos, 2);
        if (m.size() < 2) return truncated(p, "JPEG");
        if (uint8_t(m[0]) != 0xff) {
            p.problem = "corrupt JPEG header (no marker at byte " + std::to_string(pos) + ")";
            return;
        }
        const uint8_t marker = uint8_t(m[1]);
        if (marker == 0xff) {  // fill byte
            ++pos;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {  // no payload
            pos += 2;
            continue;
        }
        if (marker == 0xd8 || marker == 0xd9 || marker == 0xda) {
            p.problem = "JPEG without a frame header before its image data";
            return;
        }
        const std::string seg = read(pos + 2, 2);
        if (seg.size() < 2) return truncated(p, "JPEG");
        const uint32_t length = be16(seg, 0);
        if (length < 2) {
            p.problem = "corrupt JPEG header (segment length " + std::to_string(length) + ")";
            return;
        }
        const bool sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
        if (sof) {
            // Frame header: precision (1), height (2), width (2).
            const std::string f = read(pos + 4, 5);
            if (f.size() < 5) return truncated(p, "JPEG");
            p.height = be16(f, 1);
            p.width = be16(f, 3);
            // libjpeg decodes baseline, extended and progressive Huffman and arithmetic coding (SOF0-2, SOF9-10);
            // lossless and hierarchical JPEGs it does not.
            if (!(marker <= 0xc2 || marker == 0xc9 || marker == 0xca)) {
                p.supported = false;
                p.problem = "lossless or hierarchical JPEG (frame type 0x" +
                            std::string(1, "0123456789abcdef"[marker >> 4]) +
                            std::string(1, "0123456789abcdef"[marker & 15]) + ") is not supported by the image loader";
            }
            return;
        }
        pos += 2 + length;
    }
    p.problem = "JPEG with too many segments before its frame header";
}

ImageProbe probe(const Reader& read) {
    ImageProbe p;
    const std::string b = read(0, 64);
    auto starts = [&](const char* sig, size_t n) { return b.size() >= n && std::memcmp(b.data(), sig, n) == 0; };
    if (starts("\x89PNG\r\n\x1a\n", 8)) {
        probePng(b, p);
    } else if (starts("\xff\xd8\xff", 3)) {
        probeJpeg(read, p);
    } else if (starts("GIF87a", 6) || starts("GIF89a", 6)) {
        probeGif(b, p);
    } else if (starts("BM", 2)) {
        probeBmp(b, p);
    } else if (starts("RIFF", 4) && b.size() >= 12 && b.compare(8, 4, "WEBP") == 0) {
        probeWebp(b, p);
    } else if (starts("II*\0", 4) || starts("MM\0*", 4) || starts("II+\0", 4) || starts("MM\0+", 4)) {
        probeTiff(read, b, p);
    } else if (b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' && std::strchr(" \t\r\n#", b[2]) &&
               b[2] != '\0') {
        probePnm(read(0, 4096), p);
    } else {
        p.problem = "not a recognised image format (PNG, JPEG, BMP, WebP, TIFF or PNM)";
        return p;
    }
    if (p.problem.empty()) {
        if (p.width <= 0 || p.height <= 0) {
            p.problem = "image size " + std::to_string(p.width) + "x" + std::to_string(p.height) + " is empty";
        } else if (p.width > kMaxImagePixels / p.height) {
            p.problem = "image is " + std::to_string(p.width) + "x" + std::to_string(p.height) +
                        " pixels, more than the limit of " + std::to_string(kMaxImagePixels);
        }
    }
    return p;
}

}  // namespace

ImageProbe probeImageHeader(const std::string& bytes) {
    return probe([&](uint64_t offset, size_t count) {
        if (offset >= bytes.size()) return std::string();
        return bytes.substr(static_cast<size_t>(offset), count);
    });
}

ImageProbe probeImageFile(const std::string& path) {
    const int fd = openRegularFile(path, "image file");
    try {
        auto p = probe([&](uint64_t offset, size_t count) { return readFileBytes(fd, path, offset, count); });
        ::close(fd);
        return p;
    } catch (...) {
        ::close(fd);
        throw;
    }
}

bool pngFileComplete(const std::string& path) {
    static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
    // The last chunk: length 0, type IEND, its CRC.
    static const std::string kEnd("\0\0\0\0IEND\xae\x42\x60\x82", 12);
    try {
        uint64_t size = 0;
        const int fd = openRegularFile(path, "PNG file", &size);
        bool whole = false;
        try {
            whole = size >= kSignature.size() + kEnd.size() && readFileBytes(fd, path, 0, 8) == kSignature &&
                    readFileBytes(fd, path, size - kEnd.size(), kEnd.size()) == kEnd;
        } catch (const Error&) {
        }
        ::close(fd);
        return whole;
    } catch (const Error&) {
        return false;
    }
}

}  // namespace diffii
