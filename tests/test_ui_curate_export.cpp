// The curate and export pages end to end on a tiny project (built with the CLI): generation settings from the
// export page, the grid filling, keyboard curation (R/A/U/T and the arrows) written to manifest.jsonl, the nearest
// real image, the filters, and an export that leaves the rejected image out.
#include <QComboBox>
#include <QDir>
#include <QDirIterator>
#include <QDoubleSpinBox>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "tests/test_registry.h"
#include "tests/ui_test_project.h"
#include "tests/ui_test_window.h"
#include "ui/curate_page.h"
#include "ui/export_page.h"
#include "ui/main_window.h"
#include "ui/studio_controller.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::CuratePage;
using diffii::ui::ExportPage;
using diffii::ui::MainWindow;
using diffii::ui::StudioController;

namespace {

constexpr int kLongMs = 300000;

// outputPath -> the manifest.jsonl record, read from disk.
QHash<QString, QJsonObject> readManifest(const QString& file) {
    QHash<QString, QJsonObject> records;
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) return records;
    for (const QByteArray& line : f.readAll().split('\n')) {
        if (line.trimmed().isEmpty()) continue;
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        records.insert(o.value(QStringLiteral("outputPath")).toString(), o);
    }
    return records;
}

QString curationOnDisk(const QString& manifest, const QString& outputPath) {
    return readManifest(manifest).value(outputPath).value(QStringLiteral("curation")).toString();
}

}  // namespace

class TestUiCurateExport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void generateFromExportPage();
    void rejectWithKeyboard();
    void nearestRealImage();
    void acceptPendingTagsAndArrows();
    void filters();
    void exportLeavesRejectedOut();
    void cleanupTestCase();

private:
    QString currentFile() const { return m_curate->findChild<QLabel*>(QStringLiteral("curateValue_file"))->text(); }
    QString manifest() const { return m_project + QStringLiteral("/synthetic/manifest.jsonl"); }

    QTemporaryDir m_tmp;
    QString m_project;
    StudioController* m_controller = nullptr;
    MainWindow* m_window = nullptr;
    CuratePage* m_curate = nullptr;
    ExportPage* m_export = nullptr;
    QListView* m_grid = nullptr;
};

void TestUiCurateExport::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio tests"));  // QSettings away from the user's
    QVERIFY(m_tmp.isValid());
    QString error;
    m_project = diffii::test::prepareUiProject(m_tmp.path(), &error);
    QVERIFY2(!m_project.isEmpty(), qPrintable(error));

    m_controller = new StudioController();
    m_window = new MainWindow(m_controller);
    QVERIFY(diffii::test::showForTest(*m_window));
    m_curate = m_window->findChild<CuratePage*>();
    m_export = m_window->findChild<ExportPage*>();
    QVERIFY(m_curate && m_export);
    m_grid = m_curate->findChild<QListView*>(QStringLiteral("curateGrid"));
    QVERIFY(m_grid);
    m_controller->openProject(m_project);
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->hasProject() && !m_controller->busy(), kLongMs);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QCOMPARE(m_grid->model()->rowCount(), 0);
}

void TestUiCurateExport::generateFromExportPage() {
    m_window->showPage(5);
    auto* expansion = m_export->findChild<QDoubleSpinBox*>(QStringLiteral("generationExpansion"));
    auto* steps = m_export->findChild<QSpinBox*>(QStringLiteral("generationSteps"));
    auto* generate = m_export->findChild<QPushButton*>(QStringLiteral("generateButton"));
    QVERIFY(expansion && steps && generate);
    expansion->setValue(2.0);
    steps->setValue(3);
    QTRY_VERIFY(generate->isEnabled());
    QTest::mouseClick(generate, Qt::LeftButton);

    // 2 training images × expansion 2.
    QTRY_COMPARE_WITH_TIMEOUT(m_grid->model()->rowCount(), 4, kLongMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), kLongMs);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QTRY_COMPARE(m_export->findChild<QLabel*>(QStringLiteral("countGenerated"))->text(), QStringLiteral("4"));
    QCOMPARE(m_export->findChild<QLabel*>(QStringLiteral("countPending"))->text(), QStringLiteral("4"));

    // The settings went into project.json before the run.
    QFile f(m_project + QStringLiteral("/project.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject g = QJsonDocument::fromJson(f.readAll())
                              .object()[QStringLiteral("settings")][QStringLiteral("generation")]
                              .toObject();
    QCOMPARE(g.value(QStringLiteral("expansion_rate")).toDouble(), 2.0);
    QCOMPARE(g.value(QStringLiteral("steps")).toInt(), 3);
    const auto records = readManifest(manifest());
    QCOMPARE(records.size(), 4);
    for (const auto& r : records) QCOMPARE(r.value(QStringLiteral("steps")).toInt(), 3);
}

void TestUiCurateExport::rejectWithKeyboard() {
    m_window->showPage(4);
    m_grid->setFocus();
    m_grid->setCurrentIndex(m_grid->model()->index(1, 0));
    const QString file = currentFile();
    QVERIFY2(readManifest(manifest()).contains(file), qPrintable(file));
    QCOMPARE(curationOnDisk(manifest(), file), QStringLiteral("pending"));
    QTest::keyClick(m_grid, Qt::Key_R);
    QTRY_COMPARE_WITH_TIMEOUT(curationOnDisk(manifest(), file), QStringLiteral("rejected"), 30000);
    // Marking moved on to the next image; the counts followed.
    QCOMPARE(m_grid->currentIndex().row(), 2);
    QTRY_COMPARE(m_export->findChild<QLabel*>(QStringLiteral("countRejected"))->text(), QStringLiteral("1"));
    QCOMPARE(m_export->findChild<QLabel*>(QStringLiteral("countPending"))->text(), QStringLiteral("3"));
    QTRY_VERIFY(!m_controller->busy());
}

void TestUiCurateExport::nearestRealImage() {
    m_grid->setCurrentIndex(m_grid->model()->index(0, 0));
    QStringList train;
    for (const auto& c : m_controller->project().classes)
        if (c.name == QLatin1String("finch")) train = c.trainImages;
    QCOMPARE(train.size(), 2);
    auto* name = m_curate->findChild<QLabel*>(QStringLiteral("curateNearestName"));
    auto* distance = m_curate->findChild<QLabel*>(QStringLiteral("curateNearestDistance"));
    auto* image = m_curate->findChild<QLabel*>(QStringLiteral("curateNearestImage"));
    QVERIFY(name && distance && image);
    QTRY_VERIFY_WITH_TIMEOUT(train.contains(name->property("nearestPath").toString()), 30000);
    QVERIFY(name->text() == QLatin1String("input_0.png") || name->text() == QLatin1String("input_1.png"));
    QVERIFY(!distance->text().isEmpty());
    QVERIFY(!image->pixmap().isNull());
    QTRY_VERIFY(!m_curate->findChild<QLabel*>(QStringLiteral("curateDetailImage"))->pixmap().isNull());
    // The numbers of the image.
    bool numeric = false;
    m_curate->findChild<QLabel*>(QStringLiteral("curateValue_seed"))->text().toULongLong(&numeric);
    QVERIFY(numeric);
    QVERIFY(!m_curate->findChild<QLabel*>(QStringLiteral("curateValue_region"))->text().contains(QStringLiteral("—")));
}

void TestUiCurateExport::acceptPendingTagsAndArrows() {
    m_grid->setFocus();
    m_grid->setCurrentIndex(m_grid->model()->index(0, 0));
    const QString first = currentFile();
    QTest::keyClick(m_grid, Qt::Key_A);
    QTRY_COMPARE_WITH_TIMEOUT(curationOnDisk(manifest(), first), QStringLiteral("accepted"), 30000);
    // Left goes back to the image just accepted; U puts it back to pending.
    QCOMPARE(m_grid->currentIndex().row(), 1);
    QTest::keyClick(m_grid, Qt::Key_Left);
    QCOMPARE(m_grid->currentIndex().row(), 0);
    QCOMPARE(currentFile(), first);
    QTest::keyClick(m_grid, Qt::Key_U);
    QTRY_COMPARE_WITH_TIMEOUT(curationOnDisk(manifest(), first), QStringLiteral("pending"), 30000);
    QCOMPARE(m_grid->currentIndex().row(), 1);

    // T opens the tag editor; Enter saves comma-separated tags.
    QTest::keyClick(m_grid, Qt::Key_Right);
    QCOMPARE(m_grid->currentIndex().row(), 2);
    const QString third = currentFile();
    QTest::keyClick(m_grid, Qt::Key_T);
    auto* edit = m_curate->findChild<QLineEdit*>(QStringLiteral("curateTagEdit"));
    QVERIFY(edit && edit->isVisible());
    QTest::keyClicks(edit, QStringLiteral("odd colours, blurry ,"));
    QTest::keyClick(edit, Qt::Key_Return);
    QVERIFY(!edit->isVisible());
    QTRY_COMPARE_WITH_TIMEOUT(
        readManifest(manifest()).value(third).value(QStringLiteral("tags")).toVariant().toStringList(),
        QStringList({QStringLiteral("odd colours"), QStringLiteral("blurry")}), 30000);
    QCOMPARE(curationOnDisk(manifest(), third), QStringLiteral("pending"));
    QTRY_VERIFY(!m_controller->busy());
}

void TestUiCurateExport::filters() {
    auto* status = m_curate->findChild<QComboBox*>(QStringLiteral("curateStatusFilter"));
    auto* cls = m_curate->findChild<QComboBox*>(QStringLiteral("curateClassFilter"));
    auto* pair = m_curate->findChild<QComboBox*>(QStringLiteral("curatePairFilter"));
    auto* split = m_curate->findChild<QComboBox*>(QStringLiteral("curateSplitFilter"));
    auto* alphaMax = m_curate->findChild<QDoubleSpinBox*>(QStringLiteral("curateAlphaMax"));
    QVERIFY(status && cls && pair && split && alphaMax);
    status->setCurrentIndex(status->findData(2));
    QCOMPARE(m_grid->model()->rowCount(), 1);
    status->setCurrentIndex(0);
    QCOMPARE(m_grid->model()->rowCount(), 4);
    QVERIFY(cls->findData(QStringLiteral("finch")) > 0);
    cls->setCurrentIndex(cls->findData(QStringLiteral("finch")));
    QCOMPARE(m_grid->model()->rowCount(), 4);
    QCOMPARE(split->count(), 2);  // "any" + the one s of this run
    QCOMPARE(pair->count(), 2);   // "any" + input_0 ↔ input_1
    auto* alphaMin = m_curate->findChild<QDoubleSpinBox*>(QStringLiteral("curateAlphaMin"));
    alphaMin->setValue(alphaMin->maximum());  // beyond one period 2π/θ of any circle
    QCOMPARE(m_grid->model()->rowCount(), 0);
    alphaMin->setValue(0.0);  // "any"
    alphaMax->setValue(alphaMax->maximum());
    QCOMPARE(m_grid->model()->rowCount(), 4);
    alphaMax->setValue(0.0);
    cls->setCurrentIndex(0);
    QCOMPARE(m_grid->model()->rowCount(), 4);
}

void TestUiCurateExport::exportLeavesRejectedOut() {
    m_window->showPage(5);
    const QString out = m_tmp.filePath(QStringLiteral("exported"));
    auto* dir = m_export->findChild<QLineEdit*>(QStringLiteral("exportDir"));
    auto* button = m_export->findChild<QPushButton*>(QStringLiteral("exportButton"));
    QVERIFY(dir && button);
    dir->setText(out);
    QTRY_VERIFY(button->isEnabled());
    QTest::mouseClick(button, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(out + QStringLiteral("/manifest.csv")), 60000);
    QTRY_VERIFY(!m_controller->busy());
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    int images = 0;
    QDirIterator it(out, {QStringLiteral("*.png")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        ++images;
    }
    QCOMPARE(images, 3);
    QFile csv(out + QStringLiteral("/manifest.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    int rows = 0;
    for (const QByteArray& line : csv.readAll().split('\n'))
        if (!line.trimmed().isEmpty()) ++rows;
    QCOMPARE(rows - 1, 3);  // header + 3 data rows
    QVERIFY(m_export->findChild<QPushButton*>(QStringLiteral("openFolderButton"))->isEnabled());
}

void TestUiCurateExport::cleanupTestCase() {
    delete m_window;
    delete m_controller;
}

DIFFII_TEST_MAIN(TestUiCurateExport, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_curate_export.moc"
