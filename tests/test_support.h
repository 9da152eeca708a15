// Helpers shared by the Qt Test classes: fixture paths and tensor comparisons.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <QProcess>
#include <QtTest/QtTest>

#include "core/io/error.h"
#include "core/jobs/precision.h"

namespace diffii::test {

// ../shared/fixtures relative to the project root (absolute path), or $DIFFII_FIXTURES.
std::string fixturesDir();
bool fixturesPresent();  // fixturesDir() holds the reference fixtures (its README.md)
std::string fixture(const std::string& relative);
// The cases a fixture folder holds, so that a parity test takes every case of a fixture set (and another set of the
// same format) without naming them: the stems of the files <folder>/<prefix>*<suffix>, sorted (the folder relative to
// fixturesDir()). Throws, naming the folder and pattern, when there is none.
std::vector<std::string> fixtureCases(const std::string& folder, const std::string& prefix,
                                      const std::string& suffix = ".safetensors");
// The subfolders of a fixture folder that hold the file `holding` (the full-size manifests/<model> with their
// model_index.json), sorted; throws when there is none.
std::vector<std::string> fixtureSubfolders(const std::string& folder, const std::string& holding);
// The values a safetensors file holds, over all its tensors, and how many tensors.
int64_t safetensorsValueCount(const std::string& path);
size_t safetensorsTensorCount(const std::string& path);
// A fresh temporary directory (removed by the OS-level tmp cleanup; tests remove what they make).
std::string makeTempDir(const std::string& tag);

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b);

// A PNG file's bytes, written by hand (stored deflate) so that tests can make files OpenCV would not write: width x
// height with `channels` (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) samples of `bits` (8 or 16), row-major,
// channel-interleaved, as integers in the bit depth's range.
std::string encodePng(int width, int height, int channels, int bits, const std::vector<uint16_t>& samples);

// The first bytes of an image file of the given format ("png", "jpeg", "bmp", "gif", "webp", "tiff", "pnm") that
// declare width x height, as the header probe (core/io/image_probe.h) reads them; no pixel data follows.
std::string imageHeader(const std::string& format, uint32_t width, uint32_t height);

// The message of the diffii::Error that f throws, "" when it throws none.
template <typename F>
std::string errorOf(F&& f) {
    try {
        f();
    } catch (const diffii::Error& e) {
        return e.what();
    }
    return {};
}

// The built `diffii` run with args (and env when given): exit code (-1 when it crashed or timed out) and output.
struct CliRun {
    int code = -1;
    QString out, err;
};
CliRun runDiffii(const QStringList& args, const QProcessEnvironment* env = nullptr, int timeoutMs = 600000);

// Asserts equal shapes and max|a-b| <= tol; the failure message names what was compared.
bool closeOrReport(const torch::Tensor& actual, const torch::Tensor& expected, double tol, const std::string& what,
                   std::string* message);

// Runs f and expects a diffii::Error whose message contains every fragment (fails the current test otherwise).
template <typename F>
void expectError(F&& f, std::initializer_list<std::string> fragments) {
    try {
        f();
    } catch (const diffii::Error& e) {
        const std::string msg = e.what();
        for (const auto& frag : fragments)
            QVERIFY2(msg.find(frag) != std::string::npos, ("message lacks '" + frag + "': " + msg).c_str());
        return;
    }
    QFAIL("no diffii::Error thrown");
}

}  // namespace diffii::test

// QVERIFY2 wrapper for tensors: fails the current test with the compared name, shapes and max-abs-diff.
#define DIFFII_COMPARE_TENSORS(actual, expected, tol, what)                                                   \
    do {                                                                                                      \
        std::string diffiiMsg_;                                                                               \
        const bool diffiiOk_ = diffii::test::closeOrReport((actual), (expected), (tol), (what), &diffiiMsg_); \
        QVERIFY2(diffiiOk_, diffiiMsg_.c_str());                                                              \
    } while (false)

// bfloat16 parity holds its measured bound only where bfloat16 is native (core/jobs/precision.h); elsewhere
// LibTorch's fallback kernels accumulate in bfloat16, and the test is skipped with the reason.
#define DIFFII_REQUIRE_NATIVE_BF16()                                                             \
    do {                                                                                         \
        if (!diffii::cpuFeatures().nativeBf16)                                                   \
            QSKIP(("bfloat16 is not native here: " + diffii::cpuFeatures().bf16Reason).c_str()); \
    } while (false)

// The reference fixtures are not in the checkout: a fresh clone without ../shared passes its test command with the
// parity tests reported as skipped (.ci/run refuses to run without them). In initTestCase: skips the whole class.
#define DIFFII_REQUIRE_FIXTURES()                                                      \
    do {                                                                               \
        if (!diffii::test::fixturesPresent())                                          \
            QSKIP(("reference fixtures not found at " + diffii::test::fixturesDir() +  \
                   " (../shared/fixtures beside the project, or set DIFFII_FIXTURES)") \
                      .c_str());                                                       \
    } while (false)

// bfloat16 can compute at all (it cannot where ONEDNN_MAX_CPU_ISA holds oneDNN below it on a CPU that has it).
#define DIFFII_REQUIRE_BF16_RUNS()                                                                     \
    do {                                                                                               \
        if (!diffii::cpuFeatures().bf16Runs)                                                           \
            QSKIP("bfloat16 cannot run in this process (oneDNN held below it by ONEDNN_MAX_CPU_ISA)"); \
    } while (false)
