// Screenshots of every page of the main window, in English and in Simplified Chinese, over a tiny project with a
// generated synthetic set (built with the CLI). The PNGs are test artifacts for reviewing the layout and the
// translations: <build>/screenshots/<language>/<n>_<page>.png.
#include <QDir>
#include <QFontDatabase>
#include <QImage>
#include <QListView>
#include <QSet>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTranslator>
#include <QtTest>

#include "tests/test_registry.h"
#include "tests/ui_test_project.h"
#include "tests/ui_test_window.h"
#include "ui/main_window.h"
#include "ui/studio_controller.h"
#include "ui/studio_page.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::MainWindow;
using diffii::ui::StudioController;

using diffii::test::pageSlug;

namespace {

constexpr int kLongMs = 300000;

int distinctColours(const QImage& image) {
    QSet<QRgb> colours;
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < rgb.height(); y += 2)
        for (int x = 0; x < rgb.width(); x += 2) colours.insert(rgb.pixel(x, y));
    return colours.size();
}

}  // namespace

class TestUiScreenshots : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void pages_data();
    void pages();

private:
    QTemporaryDir m_tmp;
    QString m_project;
};

void TestUiScreenshots::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio tests"));
    QVERIFY(m_tmp.isValid());
    QString error;
    m_project = diffii::test::prepareUiProject(m_tmp.path(), &error);
    QVERIFY2(!m_project.isEmpty(), qPrintable(error));
    QVERIFY2(diffii::test::runDiffii({QStringLiteral("generate"), m_project, QStringLiteral("--expansion"),
                                      QStringLiteral("2"), QStringLiteral("--steps"), QStringLiteral("3")},
                                     &error),
             qPrintable(error));
    // Chinese text needs a CJK font (fonts-noto-cjk, packaging/install-deps.sh).
    QVERIFY2(!QFontDatabase::families(QFontDatabase::SimplifiedChinese).isEmpty(),
             "no font for Simplified Chinese: install fonts-noto-cjk");
}

void TestUiScreenshots::pages_data() {
    QTest::addColumn<QString>("language");
    QTest::newRow("en") << QStringLiteral("en");
    QTest::newRow("zh_CN") << QStringLiteral("zh_CN");
}

void TestUiScreenshots::pages() {
    QFETCH(QString, language);
    QTranslator translator;
    QVERIFY(translator.load(QLocale(language), QStringLiteral("diffii_studio"), QStringLiteral("_"),
                            QStringLiteral(":/i18n")));
    QCoreApplication::installTranslator(&translator);
    const QString outDir = QStringLiteral(DIFFII_BINARY_DIR "/screenshots/") + language;
    QVERIFY(QDir().mkpath(outDir));
    {
        StudioController controller;
        MainWindow window(&controller);
        QVERIFY(diffii::test::showForTest(window));
        controller.openProject(m_project);
        QTRY_VERIFY_WITH_TIMEOUT(controller.hasProject() && !controller.busy(), kLongMs);
        QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
        for (int i = 0; i < window.pageCount(); ++i) {
            window.showPage(i);
            // Thumbnails and detail images decode off the GUI thread.
            QTest::qWait(600);
            QTRY_VERIFY_WITH_TIMEOUT(!controller.busy(), kLongMs);
            const QString file = QStringLiteral("%1/%2_%3.png").arg(outDir).arg(i + 1).arg(pageSlug(window.page(i)));
            const QImage shot = window.grab().toImage();
            QVERIFY(!shot.isNull());
            QVERIFY2(shot.save(file), qPrintable(file));
            QVERIFY(QFileInfo(file).size() > 10 * 1024);
            QVERIFY2(distinctColours(QImage(file)) > 16, qPrintable(file));
        }
    }
    QCoreApplication::removeTranslator(&translator);
}

DIFFII_TEST_MAIN(TestUiScreenshots, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_screenshots.moc"
