#include "tests/test_support.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "core/io/safetensors.h"

namespace diffii::test {

namespace {

uint32_t crc32(const std::string& bytes) {
    uint32_t table[256];
    for (uint32_t n = 0; n < 256; ++n) {
        uint32_t c = n;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char b : bytes) crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

void putBe32(std::string& s, uint32_t v) {
    for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void chunk(std::string& png, const char* type, const std::string& data) {
    putBe32(png, static_cast<uint32_t>(data.size()));
    const std::string body = std::string(type, 4) + data;
    png += body;
    putBe32(png, crc32(body));
}

}  // namespace

// A PNG of width x height with `channels` (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) samples of `bits` (8 or 16) per pixel,
// row-major, channel-interleaved; samples are given as integers in the bit depth's range.
std::string encodePng(int width, int height, int channels, int bits, const std::vector<uint16_t>& samples) {
    const int colorType = channels == 1 ? 0 : channels == 2 ? 4 : channels == 3 ? 2 : 6;
    std::string raw;
    for (int y = 0; y < height; ++y) {
        raw.push_back('\0');  // filter: none
        for (int x = 0; x < width * channels; ++x) {
            const uint16_t v = samples[static_cast<size_t>(y) * width * channels + x];
            if (bits == 16) raw.push_back(static_cast<char>(v >> 8));
            raw.push_back(static_cast<char>(v & 0xff));
        }
    }
    // zlib stream with stored (uncompressed) deflate blocks.
    std::string z = "\x78\x01";
    size_t pos = 0;
    do {
        const size_t n = std::min<size_t>(65535, raw.size() - pos);
        const bool last = pos + n == raw.size();
        z.push_back(last ? '\x01' : '\x00');
        z.push_back(static_cast<char>(n & 0xff));
        z.push_back(static_cast<char>(n >> 8));
        z.push_back(static_cast<char>(~n & 0xff));
        z.push_back(static_cast<char>((~n >> 8) & 0xff));
        z.append(raw, pos, n);
        pos += n;
    } while (pos < raw.size());
    uint32_t a = 1, b = 0;
    for (unsigned char c : raw) {
        a = (a + c) % 65521;
        b = (b + a) % 65521;
    }
    putBe32(z, (b << 16) | a);

    std::string png = "\x89PNG\r\n\x1a\n";
    std::string ihdr;
    putBe32(ihdr, static_cast<uint32_t>(width));
    putBe32(ihdr, static_cast<uint32_t>(height));
    ihdr += static_cast<char>(bits);
    ihdr += static_cast<char>(colorType);
    ihdr += std::string("\0\0\0", 3);  // compression, filter, interlace
    chunk(png, "IHDR", ihdr);
    chunk(png, "IDAT", z);
    chunk(png, "IEND", "");
    return png;
}

std::string fixturesDir() {
    if (const char* env = std::getenv("DIFFII_FIXTURES")) return env;
    return std::filesystem::weakly_canonical(std::filesystem::path(DIFFII_SHARED_DIR) / "fixtures").string();
}

bool fixturesPresent() { return std::filesystem::is_directory(fixturesDir()); }

std::string fixture(const std::string& relative) { return fixturesDir() + "/" + relative; }

std::vector<std::string> fixtureCases(const std::string& folder, const std::string& prefix, const std::string& suffix) {
    std::vector<std::string> stems;
    const std::filesystem::path dir = fixture(folder);
    if (std::filesystem::is_directory(dir))
        for (const auto& e : std::filesystem::directory_iterator(dir)) {
            const std::string name = e.path().filename().string();
            if (e.is_regular_file() && name.size() >= prefix.size() + suffix.size() && name.rfind(prefix, 0) == 0 &&
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
                stems.push_back(name.substr(0, name.size() - suffix.size()));
        }
    std::sort(stems.begin(), stems.end());
    if (stems.empty()) throw std::runtime_error("no fixture case " + prefix + "*" + suffix + " in " + dir.string());
    return stems;
}

std::vector<std::string> fixtureSubfolders(const std::string& folder, const std::string& holding) {
    std::vector<std::string> names;
    const std::filesystem::path dir = fixture(folder);
    if (std::filesystem::is_directory(dir))
        for (const auto& e : std::filesystem::directory_iterator(dir))
            if (e.is_directory() && std::filesystem::exists(e.path() / holding))
                names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    if (names.empty()) throw std::runtime_error("no folder with " + holding + " in " + dir.string());
    return names;
}

int64_t safetensorsValueCount(const std::string& path) {
    const diffii::SafeTensorsFile f(path);
    int64_t n = 0;
    for (const auto& key : f.keys()) n += f.info(key).numel();
    return n;
}

size_t safetensorsTensorCount(const std::string& path) { return diffii::SafeTensorsFile(path).keys().size(); }

std::string makeTempDir(const std::string& tag) {
    std::string templ = (std::filesystem::temp_directory_path() / ("diffii-" + tag + "-XXXXXX")).string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed for " + templ);
    return templ;
}

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

bool closeOrReport(const torch::Tensor& actual, const torch::Tensor& expected, double tol, const std::string& what,
                   std::string* message) {
    std::ostringstream os;
    if (!actual.sizes().equals(expected.sizes())) {
        os << what << ": shape " << actual.sizes() << " != expected " << expected.sizes();
        *message = os.str();
        return false;
    }
    const double diff = actual.numel() ? maxAbsDiff(actual, expected) : 0.0;
    os << what << ": max-abs-diff " << diff << " (tolerance " << tol << ")";
    *message = os.str();
    if (std::getenv("DIFFII_PRINT_DIFFS")) std::fprintf(stderr, "  %s\n", message->c_str());
    return diff <= tol;
}

}  // namespace diffii::test

namespace diffii::test {

CliRun runDiffii(const QStringList& args, const QProcessEnvironment* env, int timeoutMs) {
    QProcess p;
    if (env) p.setProcessEnvironment(*env);
    p.start(QString::fromStdString(std::string(DIFFII_BINARY_DIR) + "/app/diffii"), args);
    CliRun r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("diffii did not finish within %1 ms").arg(timeoutMs);
        return r;
    }
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

std::string imageHeader(const std::string& format, uint32_t width, uint32_t height) {
    auto be16 = [](uint32_t v) { return std::string{char(v >> 8), char(v)}; };
    auto le16 = [](uint32_t v) { return std::string{char(v), char(v >> 8)}; };
    auto be32 = [&](uint32_t v) { return be16(v >> 16) + be16(v & 0xffff); };
    auto le32 = [&](uint32_t v) { return le16(v & 0xffff) + le16(v >> 16); };
    if (format == "png")
        return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(width) + be32(height) +
               std::string("\x08\x02\x00\x00\x00", 5) + be32(0);
    if (format == "jpeg")  // SOI, an APP0 segment to skip, then a baseline frame header
        return std::string("\xff\xd8\xff\xe0", 4) + be16(16) + std::string("JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 14) +
               std::string("\xff\xc0", 2) + be16(17) + "\x08" + be16(height) + be16(width) + "\x03";
    if (format == "bmp")
        return "BM" + le32(0) + le32(0) + le32(54) + le32(40) + le32(width) + le32(height) + le16(1) + le16(24);
    if (format == "gif") return "GIF89a" + le16(width) + le16(height) + std::string("\x00\x00\x00", 3);
    if (format == "webp")
        return "RIFF" + le32(0) + "WEBPVP8X" + le32(10) + le32(0) + le32(width - 1).substr(0, 3) +
               le32(height - 1).substr(0, 3);
    if (format == "tiff")  // one IFD right after the header: ImageWidth and ImageLength as LONG
        return std::string("II*\0", 4) + le32(8) + le16(2) + le16(256) + le16(4) + le32(1) + le32(width) + le16(257) +
               le16(4) + le32(1) + le32(height) + le32(0);
    if (format == "pnm") return "P6\n# comment\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n";
    throw std::invalid_argument("imageHeader: unknown format " + format);
}

}  // namespace diffii::test
