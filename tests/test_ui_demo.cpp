// The demo out of the box, as a new user meets it: Project > Open demo project on a fresh folder creates the demo
// project with the shipped concepts and inversion pool, shows the preview page and renders a preview there, in
// seconds and without rebuilding the pool. The window lands in <build>/screenshots/en/0_demo_preview.png.
#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "core/demo/demo.h"
#include "tests/test_registry.h"
#include "tests/ui_test_window.h"
#include "ui/main_window.h"
#include "ui/preview_page.h"
#include "ui/studio_controller.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::MainWindow;
using diffii::ui::PreviewPage;
using diffii::ui::StudioController;

namespace {

constexpr int kLongMs = 300000;

QByteArray fileHash(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

}  // namespace

class TestUiDemo : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio tests"));
    }

    void demoOpensOnThePreviewPage() {
        const auto resources = diffii::locateDemoResources();
        QVERIFY(!resources.pool.empty());
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString dir = tmp.path() + QStringLiteral("/demo");
        StudioController controller;
        MainWindow window(&controller);
        QVERIFY(diffii::test::showForTest(window));

        QElapsedTimer clock;
        clock.start();
        window.openDemo(dir);
        auto* preview = window.findChild<PreviewPage*>();
        QVERIFY(preview);
        QCOMPARE(window.pages()->currentWidget(), static_cast<QWidget*>(preview));
        QTRY_VERIFY_WITH_TIMEOUT(controller.hasProject() && !preview->previewImage().isNull() &&
                                     !preview->previewBusy() && !controller.busy(),
                                 kLongMs);
        const double seconds = clock.elapsed() / 1000.0;
        QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
        qInfo("demo: first preview on screen %.1f s after Open demo project", seconds);
        QVERIFY2(seconds < 60.0, qPrintable(QString::number(seconds)));
        QCOMPARE(preview->previewImage().width(), 64);

        // The pool is the shipped one, byte for byte: nothing was rebuilt.
        int entries = 0;
        QDirIterator it(QString::fromStdString(resources.pool), {QStringLiteral("*.safetensors")}, QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString shipped = it.next();
            const QString rel = QDir(QString::fromStdString(resources.pool)).relativeFilePath(shipped);
            const QByteArray used = fileHash(dir + QStringLiteral("/inversions/") + rel);
            QVERIFY2(!used.isEmpty() && used == fileHash(shipped), qPrintable(rel));
            ++entries;
        }
        QCOMPARE(entries, 90);

        const QString outDir = QStringLiteral(DIFFII_BINARY_DIR "/screenshots/en");
        QVERIFY(QDir().mkpath(outDir));
        QTest::qWait(300);
        const QString file = outDir + QStringLiteral("/0_demo_preview.png");
        QVERIFY2(window.grab().toImage().save(file), qPrintable(file));
    }
};

DIFFII_TEST_MAIN(TestUiDemo, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_demo.moc"
