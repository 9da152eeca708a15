// Precision follows the CPU (core/jobs/precision.h): the names, the auto rule for every CPU this suite may meet,
// the warning for an explicit bfloat16 request without native support, the loader's choice, and
// `diffii info --system` under the ISA-limiting variables that make a Zen 4 behave like an AVX2-only Zen 3.
#include <QtTest/QtTest>

#include <QProcess>
#include <QProcessEnvironment>

#include "core/jobs/precision.h"
#include "core/jobs/threads.h"
#include "core/models/stable_diffusion.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::Precision;

namespace {

using Run = diffii::test::CliRun;

Run runDiffii(const QStringList& args, const QProcessEnvironment& env) {
    return diffii::test::runDiffii(args, &env, 120000);
}

QString lineOf(const QString& text, const QString& key) {
    for (const QString& line : text.split(QLatin1Char('\n')))
        if (line.startsWith(key + QLatin1String(": "))) return line.mid(key.size() + 2);
    return {};
}

}  // namespace

class TestPrecision : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesNames() {
        QCOMPARE(diffii::parsePrecision("auto", "x"), Precision::Auto);
        QCOMPARE(diffii::parsePrecision("float32", "x"), Precision::Float32);
        QCOMPARE(diffii::parsePrecision("FP32", "x"), Precision::Float32);
        QCOMPARE(diffii::parsePrecision("bfloat16", "x"), Precision::BFloat16);
        QCOMPARE(diffii::parsePrecision("bf16", "x"), Precision::BFloat16);
        diffii::test::expectError([] { diffii::parsePrecision("half", "--precision"); }, {"--precision", "'half'"});
        for (auto p : {Precision::Auto, Precision::Float32, Precision::BFloat16})
            QCOMPARE(diffii::parsePrecision(diffii::precisionName(p), "x"), p);
    }

    void detectsTheCpu() {
        const auto& cpu = diffii::cpuFeatures();
        QVERIFY(!cpu.model.empty());
        QVERIFY(!cpu.bf16Reason.empty());
        // Native bfloat16 needs the instructions; AVX512_BF16 implies AVX-512F implies AVX2 on every CPU made.
        if (cpu.nativeBf16) QVERIFY(cpu.avx512bf16 || cpu.amxBf16);
        if (cpu.avx512bf16) QVERIFY(cpu.avx512f);
        if (cpu.avx512f) QVERIFY(cpu.avx2);
        qInfo("%s: %s", cpu.describe().c_str(), cpu.bf16Reason.c_str());
        // Family and model as lscpu prints them (x86-64: family 6 or more), the online CPUs, and all of it in the
        // line the benchmarks print.
        QVERIFY(cpu.family >= 6);
        QVERIFY(cpu.logicalCpus >= 1);
        const std::string line = cpu.describe();
        QVERIFY(line.rfind(cpu.model + " (family " + std::to_string(cpu.family) + ", model " +
                               std::to_string(cpu.modelNumber) + "; ",
                           0) == 0);
        QVERIFY(line.find(std::to_string(cpu.logicalCpus) + " logical CPU") != std::string::npos);
    }

    // OpenBLAS 0.3.21 falls back to SSE3 kernels on CPUs it does not know (core/jobs/threads.h): this executable's
    // main() restarts it with OPENBLAS_CORETYPE, so on any CPU with AVX2 and FMA the kernels in use have them too.
    // The CLI says which kernels run, and the restart keeps its arguments and its output.
    void blasKernelsUseTheCpu() {
        const std::string core = diffii::blasCoreName();
        if (core.empty()) QSKIP("the BLAS is not OpenBLAS");
        const auto& cpu = diffii::cpuFeatures();
        const std::string described = diffii::describeBlasKernels();
        qInfo("%s: %s", cpu.model.c_str(), described.c_str());
        QVERIFY2(described.find(core) != std::string::npos, described.c_str());
        if (cpu.avx2 && !qEnvironmentVariableIsSet("OPENBLAS_CORETYPE"))
            QFAIL("main() did not choose OpenBLAS kernels on a CPU with AVX2");
        if (cpu.avx2) QVERIFY2(described.find("no AVX2 kernels") == std::string::npos, described.c_str());
        if (cpu.avx512f && qEnvironmentVariableIsSet("DIFFII_BLAS_DETECTED")) QCOMPARE(core, std::string("SkylakeX"));
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("OPENBLAS_CORETYPE"));
        env.remove(QStringLiteral("DIFFII_BLAS_DETECTED"));
        const auto r = runDiffii({QStringLiteral("info"), QStringLiteral("--system")}, env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QString blas = lineOf(r.out, QStringLiteral("BLAS"));
        QVERIFY2(blas.startsWith(QStringLiteral("OpenBLAS ")), qPrintable(r.out));
        if (cpu.avx2) QVERIFY2(!blas.contains(QStringLiteral("no AVX2")), qPrintable(blas));
    }

    void autoFollowsTheCpuAndTheModelSize() {
        // Auto follows bf16Faster: native, and faster than float32 on this CPU (precision.h).
        const bool native = diffii::cpuFeatures().bf16Faster;
        if (native) QVERIFY(diffii::cpuFeatures().nativeBf16);
        const auto full = diffii::choosePrecision(Precision::Auto, 860'000'000);
        QCOMPARE(full.bfloat16, native);
        QVERIFY(full.warning.empty());
        QVERIFY2(full.reason.find(native ? "bfloat16: auto" : "float32: auto") == 0, full.reason.c_str());
        if (!native)
            QVERIFY2(full.reason.find(diffii::cpuFeatures().bf16Reason) != std::string::npos, full.reason.c_str());
        // A small model stays float32 on every CPU; unknown size (training autocast): the CPU alone decides.
        QVERIFY(!diffii::choosePrecision(Precision::Auto, 7'600'000).bfloat16);
        QCOMPARE(diffii::choosePrecision(Precision::Auto).bfloat16, native);
    }

    void explicitRequestsAreHonoured() {
        const auto f = diffii::choosePrecision(Precision::Float32, 860'000'000);
        QVERIFY(!f.bfloat16);
        if (!diffii::cpuFeatures().bf16Runs) {
            // oneDNN held below bfloat16 on a CPU that has it: refused with the variable named, not a dnnl abort.
            diffii::test::expectError([] { diffii::choosePrecision(Precision::BFloat16, 1000); }, {"MAX_CPU_ISA"});
            return;
        }
        const auto b = diffii::choosePrecision(Precision::BFloat16, 1000);
        QVERIFY(b.bfloat16);
        // The warning exists exactly where bfloat16 is not native, and says why.
        QCOMPARE(b.warning.empty(), diffii::cpuFeatures().nativeBf16);
        if (!b.warning.empty())
            QVERIFY2(b.warning.find("slower and less accurate") != std::string::npos, b.warning.c_str());
    }

    void loaderResolvesAuto() {
        DIFFII_REQUIRE_FIXTURES();
        diffii::LoadSettings s;
        s.precision = Precision::Auto;
        auto sd = diffii::StableDiffusion::load(diffii::test::fixture("tiny-sd1"), s);
        // The tiny fixture is far under 50 M parameters: float32 on every CPU, with the reason.
        QCOMPARE(sd->dtype(), torch::kFloat32);
        const char* why = diffii::cpuFeatures().bf16Faster ? "small" : "float32: auto";
        QVERIFY2(sd->precisionReason().find(why) != std::string::npos, sd->precisionReason().c_str());
        if (!diffii::cpuFeatures().bf16Runs) return;
        s.precision = Precision::BFloat16;
        QCOMPARE(diffii::StableDiffusion::load(diffii::test::fixture("tiny-sd1"), s)->dtype(), torch::kBFloat16);
    }

    // ATEN_CPU_CAPABILITY=avx2 and ONEDNN_MAX_CPU_ISA=AVX2 make any CPU an AVX2-only one for these decisions.
    void infoSystemReportsFloat32WhereLimited() {
        auto env = QProcessEnvironment::systemEnvironment();
        const Run plain = runDiffii({"info", "--system"}, env);
        QCOMPARE(plain.code, 0);
        QVERIFY2(!lineOf(plain.out, "cpu").isEmpty(), qPrintable(plain.out));
        QVERIFY2(!lineOf(plain.out, "threads").isEmpty(), qPrintable(plain.out));
        const QString full = lineOf(plain.out, "precision (auto, full-size model)");
        QVERIFY2(full.startsWith(diffii::cpuFeatures().bf16Faster ? "bfloat16" : "float32"), qPrintable(plain.out));

        for (const auto& [name, value] :
             {std::pair{"ATEN_CPU_CAPABILITY", "avx2"}, {"ONEDNN_MAX_CPU_ISA", "AVX2"}, {"DNNL_MAX_CPU_ISA", "AVX2"}}) {
            auto limited = env;
            limited.remove(QStringLiteral("ATEN_CPU_CAPABILITY"));
            limited.remove(QStringLiteral("ONEDNN_MAX_CPU_ISA"));
            limited.remove(QStringLiteral("DNNL_MAX_CPU_ISA"));
            limited.insert(QString::fromLatin1(name), QString::fromLatin1(value));
            const Run r = runDiffii({"info", "--system"}, limited);
            QCOMPARE(r.code, 0);
            const QString choice = lineOf(r.out, "precision (auto, full-size model)");
            QVERIFY2(choice.startsWith(QLatin1String("float32: auto")), qPrintable(r.out));
            QCOMPARE(lineOf(r.out, "native bfloat16").left(2), QStringLiteral("no"));
            if (diffii::cpuFeatures().avx512bf16 || diffii::cpuFeatures().amxBf16)
                QVERIFY2(choice.contains(QLatin1String(name)), qPrintable(r.out));
        }
    }
};

DIFFII_TEST_MAIN(TestPrecision, Core)
}  // namespace DIFFII_UNIT
#include "test_precision.moc"
