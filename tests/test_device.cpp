// The compute device (core/jobs/device.h, issue 15): names parsed and checked before any work, the clear error where
// CUDA is asked of a LibTorch or machine without it (this suite's machines have no GPU), the loader and the session
// on the CPU, and the CLI's --device. The GPU path itself is checked by tests/gpu_smoke.sh, outside CTest.
#include <QtTest/QtTest>

#include "core/engine/session.h"
#include "core/jobs/device.h"
#include "core/jobs/precision.h"
#include "core/models/stable_diffusion.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace {

// The error asking for a GPU gives here: no CUDA in this LibTorch, or no GPU visible.
bool noGpuMessage(const std::string& msg) {
    return msg.find("this LibTorch has no CUDA support") != std::string::npos ||
           msg.find("no GPU visible") != std::string::npos;
}

}  // namespace

class TestDevice : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesDeviceNames() {
        QCOMPARE(diffii::parseDevice("cpu", "x"), std::string("cpu"));
        QCOMPARE(diffii::parseDevice(" CPU ", "x"), std::string("cpu"));
        QCOMPARE(diffii::parseDevice("cuda", "x"), std::string("cuda:0"));
        QCOMPARE(diffii::parseDevice("cuda:0", "x"), std::string("cuda:0"));
        QCOMPARE(diffii::parseDevice("cuda:1", "x"), std::string("cuda:1"));
        QCOMPARE(diffii::parseDevice("CUDA:07", "x"), std::string("cuda:7"));
        QVERIFY(diffii::isCudaDevice("cuda:1"));
        QVERIFY(!diffii::isCudaDevice("cpu"));
        for (const char* junk :
             {"", "gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:1:2", "cuda0", "mps", "cuda:1.5", "cuda:12345", "cpu:0"}) {
            const auto msg = diffii::test::errorOf([&] { diffii::parseDevice(junk, "--device"); });
            QVERIFY2(msg.find(std::string("--device: '") + junk + "' is not a device") == 0, msg.c_str());
            QVERIFY2(msg.find("use cpu, cuda or cuda:N") != std::string::npos, msg.c_str());
        }
    }

    void cudaIsAClearErrorWithoutAGpu() {
        diffii::requireDeviceAvailable("cpu", "--device");  // always
        const int gpus = diffii::cudaDeviceCount();
        qInfo("%s", diffii::deviceReport().c_str());
        QVERIFY(diffii::deviceReport().rfind("cuda: ", 0) == 0);
        if (gpus > 0) {
            diffii::requireDeviceAvailable("cuda:0", "--device");
            diffii::test::expectError(
                [&] { diffii::requireDeviceAvailable("cuda:" + std::to_string(gpus), "--device"); },
                {"--device cuda:" + std::to_string(gpus) + ": only " + std::to_string(gpus)});
            return;
        }
        for (const char* asked : {"cuda", "cuda:0", "cuda:1"}) {
            const auto msg = diffii::test::errorOf([&] { diffii::requireDeviceAvailable(asked, "--device"); });
            const std::string canonical = diffii::parseDevice(asked, "x");
            QVERIFY2(msg.find("--device " + canonical + ": ") == 0, msg.c_str());
            QVERIFY2(noGpuMessage(msg), msg.c_str());
        }
        // The engine refuses before it reads anything: no project, no model folder needed to get the device's error.
        const auto msg = diffii::test::errorOf(
            [] { diffii::ProjectSession::open("/nonexistent/project", diffii::Precision::Auto, nullptr, "cuda:0"); });
        QVERIFY2(msg.find("device cuda:0: ") == 0 && noGpuMessage(msg), msg.c_str());
        diffii::test::expectError(
            [] { diffii::ProjectSession::open("/nonexistent/project", diffii::Precision::Auto, nullptr, "tpu"); },
            {"device: 'tpu' is not a device"});
    }

    void precisionOnAGpuIsFloat32UnlessAsked() {
        const auto a = diffii::choosePrecisionOn("cuda:0", diffii::Precision::Auto, 860'000'000);
        QVERIFY(!a.bfloat16);
        QVERIFY2(a.reason.find("float32: auto on cuda:0") == 0, a.reason.c_str());
        const auto b = diffii::choosePrecisionOn("cuda:1", diffii::Precision::BFloat16, 860'000'000);
        QVERIFY(b.bfloat16);
        QVERIFY(b.warning.empty());  // the CPU's warning does not apply to a GPU
        QVERIFY(!diffii::choosePrecisionOn("cuda:0", diffii::Precision::Float32).bfloat16);
        // On the CPU it is the CPU's rule.
        const auto c = diffii::choosePrecisionOn("cpu", diffii::Precision::Auto, 860'000'000);
        QCOMPARE(c.bfloat16, diffii::choosePrecision(diffii::Precision::Auto, 860'000'000).bfloat16);
        QCOMPARE(c.reason, diffii::choosePrecision(diffii::Precision::Auto, 860'000'000).reason);
    }

    void loaderPutsTheModelOnItsDevice() {
        DIFFII_REQUIRE_FIXTURES();
        diffii::LoadSettings s;
        s.device = "CPU";
        auto sd = diffii::StableDiffusion::load(diffii::test::fixture("tiny-sd1"), s);
        QCOMPARE(sd->deviceName(), std::string("cpu"));
        QVERIFY(sd->device() == torch::kCPU);
        for (const auto& p : sd->unet()->parameters()) QVERIFY(p.device() == torch::kCPU);
        if (diffii::cudaDeviceCount() > 0) return;
        s.device = "cuda:0";
        const auto msg =
            diffii::test::errorOf([&] { diffii::StableDiffusion::load(diffii::test::fixture("tiny-sd1"), s); });
        QVERIFY2(msg.find("device cuda:0: ") == 0 && noGpuMessage(msg), msg.c_str());
    }

    void cliChecksTheDeviceFirst() {
        const QStringList pair = {"pair",
                                  "--model",
                                  "/nonexistent/model",
                                  "--image",
                                  "/nonexistent/a.png",
                                  "--image",
                                  "/nonexistent/b.png",
                                  "--prompt",
                                  "a bird",
                                  "--seed",
                                  "1",
                                  "--out",
                                  "/tmp/x.png"};
        auto junk = diffii::test::runDiffii(pair + QStringList{"--device", "gpu"}, nullptr, 60000);
        QCOMPARE(junk.code, 1);
        QVERIFY2(junk.err.contains(QLatin1String("--device: 'gpu' is not a device: use cpu, cuda or cuda:N")),
                 qPrintable(junk.err));
        const auto help = diffii::test::runDiffii({"pool", "--help"}, nullptr, 60000);
        QVERIFY2(help.out.contains(QLatin1String("--device <D>")), qPrintable(help.out));
        const auto info = diffii::test::runDiffii({"info", "--system"}, nullptr, 60000);
        QCOMPARE(info.code, 0);
        QVERIFY2(info.out.contains(QLatin1String("\ncuda: ")), qPrintable(info.out));
        if (diffii::cudaDeviceCount() > 0) return;
        auto cuda = diffii::test::runDiffii(pair + QStringList{"--device", "cuda:0"}, nullptr, 60000);
        QCOMPARE(cuda.code, 1);
        QVERIFY2(cuda.err.contains(QLatin1String("--device cuda:0: ")) && noGpuMessage(cuda.err.toStdString()),
                 qPrintable(cuda.err));
    }
};

DIFFII_TEST_MAIN(TestDevice, Core)
}  // namespace DIFFII_UNIT
#include "test_device.moc"
