// What an image file is, read from its first bytes without decoding it (torch- and OpenCV-free): the loaders
// check the dimensions before decoding (a 20000x20000 PNG used to be decoded, 1.4 GB, before its size was
// refused), and the dataset scan reports unsupported or broken files all at once.
#pragma once

#include <cstdint>
#include <string>

namespace diffii {

// The loaders' default size limit (ImageLoadOptions::maxPixels): larger images are refused before decoding.
constexpr int64_t kMaxImagePixels = 64ll * 1024 * 1024;

struct ImageProbe {
    std::string format;  // "png", "jpeg", "bmp", "webp", "tiff", "gif", "pnm", or "" unknown
    int64_t width = 0, height = 0;
    bool supported = false;  // decodable by our loader (loadImageRgb)
    std::string problem;     // empty when fine: why it cannot be used (unsupported format such as GIF, truncated
                             // header, zero or too large dimensions: more than kMaxImagePixels)
};

// Reads only the first bytes (a JPEG's segment headers up to its frame header); never decodes. Throws
// diffii::Error only when the file cannot be opened or read (missing, a directory, a FIFO), naming it.
ImageProbe probeImageFile(const std::string& path);

// Whether a PNG file is whole: the signature at its start and the IEND chunk at its end (a file cut short, or
// overwritten in part, lacks one of them). Reads 8 + 12 bytes; false for a missing or unreadable file.
bool pngFileComplete(const std::string& path);

// The same on a file's bytes in memory (all of them, or its start: a short start reads as a truncated header).
ImageProbe probeImageHeader(const std::string& bytes);

}  // namespace diffii
