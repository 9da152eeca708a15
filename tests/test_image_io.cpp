// core/io/image: every kind of PNG the loader must accept (greyscale, RGBA, 16-bit), its errors, resizing and the
// PNG writer's truncation semantics. Test images are written by a small PNG encoder below (stored deflate blocks),
// independent of OpenCV, so the loader is checked against files it did not produce.
#include <QtTest/QtTest>

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/io/error.h"
#include "core/io/image.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::test::encodePng;

namespace {

void writeBytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

float px(const torch::Tensor& img, int c, int y, int x) { return img[c][y][x].item<float>(); }

}  // namespace

class TestImageIo : public QObject {
    Q_OBJECT

private:
    std::string m_dir;

    // Expects loadImageRgb to throw a diffii::Error naming the file and containing `fragment`.
    void expectLoadError(const std::string& path, const std::string& fragment, const diffii::ImageLoadOptions& o) {
        try {
            diffii::loadImageRgb(path, o);
            QFAIL(("no error for " + path).c_str());
        } catch (const diffii::Error& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find(path) != std::string::npos, ("message does not name the file: " + msg).c_str());
            QVERIFY2(msg.find(fragment) != std::string::npos, ("message lacks '" + fragment + "': " + msg).c_str());
        }
    }

private slots:
    void initTestCase() { m_dir = diffii::test::makeTempDir("image-io"); }
    void cleanupTestCase() { std::filesystem::remove_all(m_dir); }

    void loadsRgbInRgbOrder() {
        // 2x1: pure red, pure blue (file order R, G, B; OpenCV decodes BGR internally).
        const std::string path = m_dir + "/rgb.png";
        writeBytes(path, encodePng(2, 1, 3, 8, {255, 0, 0, 0, 0, 255}));
        const auto img = diffii::loadImageRgb(path);
        QCOMPARE(img.sizes().vec(), (std::vector<int64_t>{3, 1, 2}));
        QCOMPARE(img.scalar_type(), torch::kFloat32);
        QCOMPARE(px(img, 0, 0, 0), 1.0f);
        QCOMPARE(px(img, 1, 0, 0), 0.0f);
        QCOMPARE(px(img, 2, 0, 0), 0.0f);
        QCOMPARE(px(img, 0, 0, 1), 0.0f);
        QCOMPARE(px(img, 2, 0, 1), 1.0f);
    }

    void greyscaleBecomesEqualChannels() {
        const std::string path = m_dir + "/grey.png";
        writeBytes(path, encodePng(3, 2, 1, 8, {0, 51, 102, 153, 204, 255}));
        const auto img = diffii::loadImageRgb(path);
        QCOMPARE(img.sizes().vec(), (std::vector<int64_t>{3, 2, 3}));
        QVERIFY(torch::equal(img[0], img[1]));
        QVERIFY(torch::equal(img[1], img[2]));
        QVERIFY(std::abs(px(img, 0, 0, 1) - 51.0f / 255.0f) < 1e-6f);
        QCOMPARE(px(img, 0, 1, 2), 1.0f);
    }

    void alphaIsCompositedOnWhite() {
        // Opaque red, fully transparent black, half-transparent red (alpha 128).
        const std::string path = m_dir + "/rgba.png";
        writeBytes(path, encodePng(3, 1, 4, 8, {255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 128}));
        const auto img = diffii::loadImageRgb(path);
        QCOMPARE(img.sizes().vec(), (std::vector<int64_t>{3, 1, 3}));
        QCOMPARE(px(img, 0, 0, 0), 1.0f);
        QCOMPARE(px(img, 1, 0, 0), 0.0f);
        for (int c = 0; c < 3; ++c) QCOMPARE(px(img, c, 0, 1), 1.0f);  // transparent -> white
        const float a = 128.0f / 255.0f;
        QVERIFY(std::abs(px(img, 0, 0, 2) - 1.0f) < 1e-6f);
        QVERIFY(std::abs(px(img, 1, 0, 2) - (1.0f - a)) < 1e-6f);
        QVERIFY(std::abs(px(img, 2, 0, 2) - (1.0f - a)) < 1e-6f);
    }

    void sixteenBitIsScaledBy65535() {
        const std::string path = m_dir + "/deep.png";
        writeBytes(path, encodePng(2, 1, 3, 16, {65535, 32768, 0, 1, 257, 65534}));
        const auto img = diffii::loadImageRgb(path);
        QCOMPARE(px(img, 0, 0, 0), 1.0f);
        QVERIFY(std::abs(px(img, 1, 0, 0) - 32768.0f / 65535.0f) < 1e-7f);
        QCOMPARE(px(img, 2, 0, 0), 0.0f);
        QVERIFY(std::abs(px(img, 0, 0, 1) - 1.0f / 65535.0f) < 1e-9f);  // finer than any 8-bit level
        QVERIFY(std::abs(px(img, 1, 0, 1) - 257.0f / 65535.0f) < 1e-7f);
        QVERIFY(std::abs(px(img, 2, 0, 1) - 65534.0f / 65535.0f) < 1e-7f);
    }

    void sixteenBitGreyAndAlpha() {
        const std::string grey = m_dir + "/grey16.png";
        writeBytes(grey, encodePng(1, 1, 1, 16, {16384}));
        const auto g = diffii::loadImageRgb(grey);
        for (int c = 0; c < 3; ++c) QVERIFY(std::abs(px(g, c, 0, 0) - 16384.0f / 65535.0f) < 1e-7f);
        const std::string rgba = m_dir + "/rgba16.png";
        writeBytes(rgba, encodePng(1, 1, 4, 16, {0, 0, 0, 0}));
        const auto t = diffii::loadImageRgb(rgba);
        for (int c = 0; c < 3; ++c) QCOMPARE(px(t, c, 0, 0), 1.0f);
    }

    void greyWithAlphaIsCompositedOnWhite() {
        // Black at alpha 0 (-> white) and black at alpha 255 (-> black).
        const std::string path = m_dir + "/grey-alpha.png";
        writeBytes(path, encodePng(2, 1, 2, 8, {0, 0, 0, 255}));
        const auto img = diffii::loadImageRgb(path);
        QCOMPARE(img.sizes().vec(), (std::vector<int64_t>{3, 1, 2}));
        for (int c = 0; c < 3; ++c) {
            QCOMPARE(px(img, c, 0, 0), 1.0f);
            QCOMPARE(px(img, c, 0, 1), 0.0f);
        }
    }

    void corruptAndMissingFilesNameTheFile() {
        const std::string corrupt = m_dir + "/corrupt.png";
        std::string junk;
        uint32_t x = 12345;
        for (int i = 0; i < 4096; ++i) {
            x = x * 1664525u + 1013904223u;
            junk.push_back(static_cast<char>(x >> 24));
        }
        writeBytes(corrupt, junk);
        expectLoadError(corrupt, "cannot decode", {});
        // A valid signature and header followed by garbage.
        const std::string truncated = m_dir + "/truncated.png";
        writeBytes(truncated, encodePng(8, 8, 3, 8, std::vector<uint16_t>(8 * 8 * 3, 7)).substr(0, 40));
        expectLoadError(truncated, "", {});
        expectLoadError(m_dir + "/missing.png", "does not exist", {});
    }

    void oversizedImageIsRefused() {
        const std::string path = m_dir + "/big.png";
        writeBytes(path, encodePng(5, 4, 3, 8, std::vector<uint16_t>(5 * 4 * 3, 9)));
        diffii::ImageLoadOptions small;
        small.maxPixels = 19;
        expectLoadError(path, "5x4", small);
        expectLoadError(path, "19", small);
        small.maxPixels = 20;  // exactly at the limit is fine
        QCOMPARE(diffii::loadImageRgb(path, small).size(2), int64_t(5));
    }

    void probeReadsEveryFormatsSize() {
        for (const char* format : {"png", "jpeg", "bmp", "webp", "tiff", "pnm"}) {
            const std::string path = m_dir + "/probe." + format;
            writeBytes(path, diffii::test::imageHeader(format, 37, 21));
            const auto p = diffii::probeImageFile(path);
            QCOMPARE(p.format, std::string(format));
            QCOMPARE(p.width, int64_t(37));
            QCOMPARE(p.height, int64_t(21));
            QVERIFY2(p.supported, format);
            QVERIFY2(p.problem.empty(), p.problem.c_str());
        }
        // A real file: the header agrees with what the decoder sees.
        const std::string png = m_dir + "/probe-real.png";
        writeBytes(png, encodePng(5, 3, 3, 8, std::vector<uint16_t>(5 * 3 * 3, 1)));
        const auto p = diffii::probeImageFile(png);
        QCOMPARE(p.width, int64_t(5));
        QCOMPARE(p.height, int64_t(3));
        QCOMPARE(diffii::loadImageRgb(png).size(2), int64_t(5));
    }

    void probeNamesProblems() {
        const std::string gif = m_dir + "/anim.gif";
        writeBytes(gif, diffii::test::imageHeader("gif", 8, 8));
        auto p = diffii::probeImageFile(gif);
        QCOMPARE(p.format, std::string("gif"));
        QVERIFY(!p.supported);
        QVERIFY2(p.problem.find("GIF") != std::string::npos, p.problem.c_str());
        expectLoadError(gif, "GIF", {});
        // Truncated headers: every format cut short of its size fields.
        for (const char* format : {"png", "jpeg", "bmp", "webp", "tiff", "pnm"}) {
            const std::string full = diffii::test::imageHeader(format, 37, 21);
            const std::string path = m_dir + "/cut-" + std::string(format);
            writeBytes(path, full.substr(0, full.size() - (std::string(format) == "png" ? 12 : 6)));  // into the size
            p = diffii::probeImageFile(path);
            QCOMPARE(p.format, std::string(format));
            QVERIFY2(p.problem.find("truncated") != std::string::npos, (format + (": " + p.problem)).c_str());
            expectLoadError(path, "truncated", {});
        }
        const std::string zero = m_dir + "/zero.bmp";
        writeBytes(zero, diffii::test::imageHeader("bmp", 0, 5));
        p = diffii::probeImageFile(zero);
        QVERIFY2(p.problem.find("empty") != std::string::npos, p.problem.c_str());
        const std::string text = m_dir + "/notes.png";
        writeBytes(text, "hello, not an image");
        p = diffii::probeImageFile(text);
        QCOMPARE(p.format, std::string());
        QVERIFY(!p.supported);
        QVERIFY(!p.problem.empty());
        // Only what cannot be opened throws, naming the file.
        QVERIFY(diffii::test::errorOf([&] { diffii::probeImageFile(m_dir + "/absent.png"); }).find("absent.png") !=
                std::string::npos);
        QVERIFY(diffii::test::errorOf([&] { diffii::probeImageFile(m_dir); }).find("is a directory") !=
                std::string::npos);
        const std::string fifo = m_dir + "/fifo.png";
        QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
        QVERIFY(diffii::test::errorOf([&] { diffii::probeImageFile(fifo); }).find("FIFO") != std::string::npos);
        expectLoadError(fifo, "FIFO", {});
    }

    // A 20000x20000 PNG used to be decoded (1.4 GB, 21 s) before its size was refused; the header alone decides now.
    void hugeImageIsRefusedBeforeDecoding() {
        for (const char* format : {"png", "jpeg", "bmp", "webp", "tiff", "pnm"}) {
            const std::string path = m_dir + "/huge." + format;
            writeBytes(path, diffii::test::imageHeader(format, 20000, 20000) + std::string(4096, '\x55'));
            const auto p = diffii::probeImageFile(path);
            QCOMPARE(p.width, int64_t(20000));
            QVERIFY2(p.problem.find("more than the limit") != std::string::npos, p.problem.c_str());
            QElapsedTimer timer;
            timer.start();
            expectLoadError(path, "20000x20000", {});
            expectLoadError(path, "not decoded", {});
            QVERIFY(timer.elapsed() < 2000);
        }
    }

    void resizeSameSizeReturnsInput() {
        const auto img = torch::rand({3, 7, 9});
        const auto same = diffii::resizeImage(img, 7, 9);
        QVERIFY(same.is_same(img));
        QCOMPARE(same.data_ptr(), img.data_ptr());
    }

    void resizeChangesSizeAndKeepsRange() {
        const auto constant = torch::full({3, 16, 12}, 0.25f);
        const auto down = diffii::resizeImage(constant, 8, 6);
        QCOMPARE(down.sizes().vec(), (std::vector<int64_t>{3, 8, 6}));
        QVERIFY(diffii::test::maxAbsDiff(down, torch::full({3, 8, 6}, 0.25f)) < 1e-6);
        // Bicubic upscaling of a sharp edge overshoots; the result is clamped to [0, 1].
        auto edge = torch::zeros({3, 4, 4});
        edge.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(2)}, 1.0f);
        const auto up = diffii::resizeImage(edge, 16, 16);
        QCOMPARE(up.sizes().vec(), (std::vector<int64_t>{3, 16, 16}));
        QVERIFY(up.min().item<float>() >= 0.0f);
        QVERIFY(up.max().item<float>() <= 1.0f);
        // Channels stay apart (no RGB/BGR mix-up through OpenCV).
        auto colour = torch::zeros({3, 4, 4});
        colour[0].fill_(1.0f);
        const auto r = diffii::resizeImage(colour, 2, 2);
        QVERIFY(diffii::test::maxAbsDiff(r[0], torch::ones({2, 2})) < 1e-6);
        QVERIFY(diffii::test::maxAbsDiff(r[1], torch::zeros({2, 2})) < 1e-6);
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::resizeImage(torch::zeros({4, 4}), 2, 2));
    }

    void pngRoundTripTruncates() {
        // Values chosen around 8-bit levels: x*255 is truncated, out-of-range values are clamped.
        auto img = torch::zeros({3, 1, 5});
        const float row0[5] = {0.5f, 0.999f, 1.5f, -0.2f, 100.5f / 255.0f};
        for (int x = 0; x < 5; ++x) {
            img[0][0][x] = row0[x];
            img[1][0][x] = 1.0f - std::min(std::max(row0[x], 0.0f), 1.0f);
            img[2][0][x] = 0.25f;
        }
        const std::string path = m_dir + "/roundtrip.png";
        diffii::saveImagePng(path, img);
        const auto back = diffii::loadImageRgb(path);
        const auto bytes = (back * 255.0f).round().to(torch::kInt32);
        const int expectedR[5] = {127, 254, 255, 0, 100};
        const int expectedG[5] = {127, 0, 0, 255, 154};
        for (int x = 0; x < 5; ++x) {
            QCOMPARE(bytes[0][0][x].item<int>(), expectedR[x]);
            QCOMPARE(bytes[1][0][x].item<int>(), expectedG[x]);
            QCOMPARE(bytes[2][0][x].item<int>(), 63);
        }
        // toUint8Hwc gives exactly the written pixels.
        const auto hwc = diffii::toUint8Hwc(img);
        QCOMPARE(hwc.sizes().vec(), (std::vector<int64_t>{1, 5, 3}));
        QCOMPARE(hwc[0][1][0].item<uint8_t>(), uint8_t(254));
        // No temporary file is left behind by the atomic write.
        int files = 0;
        for (const auto& e : std::filesystem::directory_iterator(m_dir))
            if (e.path().filename().string().rfind("roundtrip.png", 0) == 0) ++files;
        QCOMPARE(files, 1);
    }

    void everyEightBitLevelSurvivesLoadThenSave() {
        // load (k/255) then save (truncation) must give k back for every level, or each load/save cycle would
        // darken an image by one level.
        std::vector<uint16_t> samples;
        for (int k = 0; k < 256; ++k)
            for (int c = 0; c < 3; ++c) samples.push_back(static_cast<uint16_t>(c == 1 ? 255 - k : k));
        const std::string path = m_dir + "/levels.png";
        writeBytes(path, encodePng(256, 1, 3, 8, samples));
        const auto hwc = diffii::toUint8Hwc(diffii::loadImageRgb(path));
        for (int k = 0; k < 256; ++k) {
            QCOMPARE(int(hwc[0][k][0].item<uint8_t>()), k);
            QCOMPARE(int(hwc[0][k][1].item<uint8_t>()), 255 - k);
        }
        const std::string again = m_dir + "/levels-again.png";
        diffii::saveImagePng(again, diffii::loadImageRgb(path));
        QVERIFY(torch::equal(diffii::toUint8Hwc(diffii::loadImageRgb(again)), hwc));
    }

    void saveRejectsBadShape() {
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::saveImagePng(m_dir + "/bad.png", torch::zeros({1, 4, 4})));
    }
};

DIFFII_TEST_MAIN(TestImageIo, None)
}  // namespace DIFFII_UNIT
#include "test_image_io.moc"
