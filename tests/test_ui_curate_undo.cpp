// Curate: undo / redo of marks and tags (Ctrl+Z, Ctrl+Shift+Z) restore the manifest on disk; shift-click selects a
// range and one key marks them all on disk as one undo step; ctrl-click adds single images; the tag filter keeps
// the tagged (or the untagged) images. On a tiny project whose 6 images the CLI generates.
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include "tests/test_registry.h"
#include "tests/ui_test_project.h"
#include "tests/ui_test_window.h"
#include "ui/curate_page.h"
#include "ui/main_window.h"
#include "ui/studio_controller.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::CuratePage;
using diffii::ui::MainWindow;
using diffii::ui::StudioController;

namespace {

constexpr int kLongMs = 300000;
constexpr int kImages = 6;  // 2 training images × expansion 3

// outputPath -> the manifest.jsonl record, read from disk.
QHash<QString, QJsonObject> readRecords(const QString& file) {
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

}  // namespace

class TestUiCurateUndo : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void undoRedoRestoresMarkOnDisk();
    void undoRestoresTagsOnDisk();
    void shiftClickRangeMarksAllInOneStep();
    void ctrlClickAddsAndTagsSeveral();
    void tagFilter();
    void cleanupTestCase();

private:
    QString manifest() const { return m_project + QStringLiteral("/synthetic/manifest.jsonl"); }
    QString curation(const QString& path) const {
        return readRecords(manifest()).value(path).value(QStringLiteral("curation")).toString();
    }
    QStringList tags(const QString& path) const {
        return readRecords(manifest()).value(path).value(QStringLiteral("tags")).toVariant().toStringList();
    }
    QString pathAt(int row) const {
        return m_grid->model()->index(row, 0).data(Qt::UserRole + 2).toString();  // OutputPathRole
    }
    void clickRow(int row, Qt::KeyboardModifiers mods) {
        const QRect r = m_grid->visualRect(m_grid->model()->index(row, 0));
        QTest::mouseClick(m_grid->viewport(), Qt::LeftButton, mods, r.center());
    }
    void waitIdle() { QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), 30000); }

    QTemporaryDir m_tmp;
    QString m_project;
    StudioController* m_controller = nullptr;
    MainWindow* m_window = nullptr;
    CuratePage* m_curate = nullptr;
    QListView* m_grid = nullptr;
};

void TestUiCurateUndo::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio tests"));  // QSettings away from the user's
    QVERIFY(m_tmp.isValid());
    QString error;
    m_project = diffii::test::prepareUiProject(m_tmp.path(), &error);
    QVERIFY2(!m_project.isEmpty(), qPrintable(error));
    QVERIFY2(diffii::test::runDiffii({QStringLiteral("generate"), m_project, QStringLiteral("--expansion"),
                                      QStringLiteral("3"), QStringLiteral("--steps"), QStringLiteral("2")},
                                     &error),
             qPrintable(error));
    QCOMPARE(readRecords(manifest()).size(), kImages);

    m_controller = new StudioController();
    m_window = new MainWindow(m_controller);
    QVERIFY(diffii::test::showForTest(*m_window));
    m_curate = m_window->findChild<CuratePage*>();
    QVERIFY(m_curate);
    m_grid = m_curate->findChild<QListView*>(QStringLiteral("curateGrid"));
    QVERIFY(m_grid);
    m_controller->openProject(m_project);
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->hasProject() && !m_controller->busy(), kLongMs);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QTRY_COMPARE(m_grid->model()->rowCount(), kImages);
    m_window->showPage(4);
    m_curate->findChild<QCheckBox*>(QStringLiteral("curateAdvance"))->setChecked(false);
}

void TestUiCurateUndo::undoRedoRestoresMarkOnDisk() {
    m_grid->setFocus();
    m_grid->setCurrentIndex(m_grid->model()->index(0, 0));
    const QString file = pathAt(0);
    QCOMPARE(curation(file), QStringLiteral("pending"));
    QCOMPARE(m_curate->undoStack()->count(), 0);
    QVERIFY(!m_curate->undoAction()->isEnabled());

    QTest::keyClick(m_grid, Qt::Key_A);
    QTRY_COMPARE_WITH_TIMEOUT(curation(file), QStringLiteral("accepted"), 30000);
    waitIdle();
    QCOMPARE(m_curate->undoStack()->count(), 1);
    QVERIFY(m_curate->undoAction()->isEnabled());
    QTest::keyClick(m_grid, Qt::Key_R);
    QTRY_COMPARE_WITH_TIMEOUT(curation(file), QStringLiteral("rejected"), 30000);
    waitIdle();

    // Ctrl+Z twice walks back through rejected and accepted to pending, on disk.
    QTest::keyClick(m_grid, Qt::Key_Z, Qt::ControlModifier);
    QTRY_COMPARE_WITH_TIMEOUT(curation(file), QStringLiteral("accepted"), 30000);
    waitIdle();
    QTest::keyClick(m_grid, Qt::Key_Z, Qt::ControlModifier);
    QTRY_COMPARE_WITH_TIMEOUT(curation(file), QStringLiteral("pending"), 30000);
    waitIdle();
    QCOMPARE(m_grid->model()->index(0, 0).data(Qt::UserRole + 1).toInt(), 0);  // the grid's badge follows
    QVERIFY(!m_curate->undoAction()->isEnabled());

    // Ctrl+Shift+Z re-applies the accept; the undo action names the step.
    QTest::keyClick(m_grid, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_COMPARE_WITH_TIMEOUT(curation(file), QStringLiteral("accepted"), 30000);
    waitIdle();
    QVERIFY2(m_curate->undoAction()->text().contains(QStringLiteral("Accept")),
             qPrintable(m_curate->undoAction()->text()));
    m_curate->undoAction()->trigger();  // as Edit > Undo does
    QTRY_COMPARE_WITH_TIMEOUT(curation(file), QStringLiteral("pending"), 30000);
    waitIdle();
}

void TestUiCurateUndo::undoRestoresTagsOnDisk() {
    m_grid->setFocus();
    m_grid->setCurrentIndex(m_grid->model()->index(1, 0));
    const QString file = pathAt(1);
    QTest::keyClick(m_grid, Qt::Key_T);
    auto* edit = m_curate->findChild<QLineEdit*>(QStringLiteral("curateTagEdit"));
    QVERIFY(edit && edit->isVisible());
    QTest::keyClicks(edit, QStringLiteral("blurry"));
    QTest::keyClick(edit, Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(tags(file), QStringList({QStringLiteral("blurry")}), 30000);
    waitIdle();
    QTest::keyClick(m_grid, Qt::Key_Z, Qt::ControlModifier);
    QTRY_VERIFY_WITH_TIMEOUT(tags(file).isEmpty(), 30000);
    waitIdle();
    QTest::keyClick(m_grid, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_COMPARE_WITH_TIMEOUT(tags(file), QStringList({QStringLiteral("blurry")}), 30000);
    waitIdle();
    QCOMPARE(curation(file), QStringLiteral("pending"));  // tags only
}

void TestUiCurateUndo::shiftClickRangeMarksAllInOneStep() {
    m_grid->setFocus();
    clickRow(1, Qt::NoModifier);
    clickRow(4, Qt::ShiftModifier);
    QCOMPARE(m_grid->selectionModel()->selectedIndexes().size(), 4);
    QVERIFY2(m_curate->findChild<QLabel*>(QStringLiteral("curateSelection"))->text() == QStringLiteral("4 selected"),
             qPrintable(m_curate->findChild<QLabel*>(QStringLiteral("curateSelection"))->text()));
    const int steps = m_curate->undoStack()->count();
    QTest::keyClick(m_grid, Qt::Key_R);
    for (int row = 1; row <= 4; ++row)
        QTRY_COMPARE_WITH_TIMEOUT(curation(pathAt(row)), QStringLiteral("rejected"), 30000);
    waitIdle();
    QCOMPARE(curation(pathAt(0)), QStringLiteral("pending"));
    QCOMPARE(curation(pathAt(5)), QStringLiteral("pending"));
    QCOMPARE(m_curate->undoStack()->count(), steps + 1);              // one step for the batch
    QCOMPARE(m_grid->selectionModel()->selectedIndexes().size(), 4);  // the selection stays
    // Optional picture of the page with the range marked (DIFFII_CURATE_SHOT=file.png).
    if (const QString shot = qEnvironmentVariable("DIFFII_CURATE_SHOT"); !shot.isEmpty())
        QVERIFY(m_window->grab().save(shot));
    QCOMPARE(tags(pathAt(1)), QStringList({QStringLiteral("blurry")}));  // marks keep the tags

    // One undo brings all four back.
    QTest::keyClick(m_grid, Qt::Key_Z, Qt::ControlModifier);
    for (int row = 1; row <= 4; ++row)
        QTRY_COMPARE_WITH_TIMEOUT(curation(pathAt(row)), QStringLiteral("pending"), 30000);
    waitIdle();
    // And the accept button applies to the selection too.
    QTest::mouseClick(m_curate->findChild<QPushButton*>(QStringLiteral("curateAccept")), Qt::LeftButton);
    for (int row = 1; row <= 4; ++row)
        QTRY_COMPARE_WITH_TIMEOUT(curation(pathAt(row)), QStringLiteral("accepted"), 30000);
    waitIdle();
    QCOMPARE(curation(pathAt(5)), QStringLiteral("pending"));
}

void TestUiCurateUndo::ctrlClickAddsAndTagsSeveral() {
    m_grid->setFocus();
    clickRow(0, Qt::NoModifier);
    clickRow(5, Qt::ControlModifier);
    clickRow(3, Qt::ControlModifier);
    clickRow(3, Qt::ControlModifier);  // toggled off again
    QCOMPARE(m_grid->selectionModel()->selectedIndexes().size(), 2);
    QTest::keyClick(m_grid, Qt::Key_T);
    auto* edit = m_curate->findChild<QLineEdit*>(QStringLiteral("curateTagEdit"));
    QVERIFY(edit && edit->isVisible());
    QCOMPARE(edit->text(), QString());  // no tag common to both
    QTest::keyClicks(edit, QStringLiteral("duplicate"));
    QTest::keyClick(edit, Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(tags(pathAt(0)), QStringList({QStringLiteral("duplicate")}), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(tags(pathAt(5)), QStringList({QStringLiteral("duplicate")}), 30000);
    waitIdle();
    QVERIFY(tags(pathAt(3)).isEmpty());
}

void TestUiCurateUndo::tagFilter() {
    auto* filter = m_curate->findChild<QComboBox*>(QStringLiteral("curateTagFilter"));
    QVERIFY(filter);
    QTRY_VERIFY(filter->findData(QStringLiteral("duplicate")) > 0);
    QVERIFY(filter->findData(QStringLiteral("blurry")) > 0);
    filter->setCurrentIndex(filter->findData(QStringLiteral("duplicate")));
    QCOMPARE(m_grid->model()->rowCount(), 2);
    for (int row = 0; row < 2; ++row)
        QVERIFY(
            m_grid->model()->index(row, 0).data(Qt::UserRole + 3).toStringList().contains(QStringLiteral("duplicate")));
    filter->setCurrentIndex(filter->findData(QStringLiteral("blurry")));
    QCOMPARE(m_grid->model()->rowCount(), 1);
    filter->setCurrentIndex(filter->findData(0));  // (untagged)
    QCOMPARE(m_grid->model()->rowCount(), kImages - 3);
    for (int row = 0; row < m_grid->model()->rowCount(); ++row)
        QVERIFY(m_grid->model()->index(row, 0).data(Qt::UserRole + 3).toStringList().isEmpty());
    filter->setCurrentIndex(0);
    QCOMPARE(m_grid->model()->rowCount(), kImages);
}

void TestUiCurateUndo::cleanupTestCase() {
    delete m_window;
    delete m_controller;
}

DIFFII_TEST_MAIN(TestUiCurateUndo, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_curate_undo.moc"
