// The lightbox and the X/Y grid on the demo project (its tiny model, few steps): the lightbox opens from the Preview
// image and from a Curate item with the full-resolution image, zooms (nearest neighbour from 200 %), saves a PNG
// of the right size; the grid renders 2×2 cells progressively and exports one labelled PNG.
#include <QClipboard>
#include <QDir>
#include <QGraphicsView>
#include <QGuiApplication>
#include <QLabel>
#include <QListView>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QThread>
#include <QWheelEvent>
#include <QtTest>

#include <atomic>

#include "core/demo/demo.h"
#include "tests/test_registry.h"
#include "tests/ui_test_window.h"
#include "ui/curate_page.h"
#include "ui/engine_worker.h"
#include "ui/grid_dialog.h"
#include "ui/lightbox.h"
#include "ui/main_window.h"
#include "ui/preview_page.h"
#include "ui/studio_controller.h"
#include "ui/xy_grid.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::CuratePage;
using diffii::ui::EngineWorker;
using diffii::ui::GridAxisKind;
using diffii::ui::GridDialog;
using diffii::ui::Lightbox;
using diffii::ui::MainWindow;
using diffii::ui::PreviewPage;
using diffii::ui::StudioController;

namespace {

constexpr int kLongMs = 180000;

// The one lightbox open over widget's window (deleted on close).
Lightbox* openLightbox(QWidget* window) {
    const auto boxes = window->findChildren<Lightbox*>();
    return boxes.size() == 1 ? boxes.first() : nullptr;
}

// With DIFFII_LIGHTBOX_SHOT=<folder>, the lightbox and the grid dialog are saved there as screenshots.
void shot(QWidget* widget, const char* name) {
    const QString dir = qEnvironmentVariable("DIFFII_LIGHTBOX_SHOT");
    if (dir.isEmpty()) return;
    QDir().mkpath(dir);
    QTest::qWait(100);
    widget->grab().save(QDir(dir).filePath(QLatin1String(name)));
}

}  // namespace

class TestUiLightbox : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void parsesAxisValues();
    void previewImageLightbox();
    void stripPoolAndDatasetLightbox();
    void gridRendersProgressively();
    void curateItemLightbox();
    void cleanupTestCase();

private:
    QTemporaryDir m_tmp;
    StudioController* m_controller = nullptr;
    MainWindow* m_window = nullptr;
    PreviewPage* m_preview = nullptr;
};

void TestUiLightbox::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio tests"));
    QVERIFY(m_tmp.isValid());
    QVERIFY(!diffii::locateDemoResources().pool.empty());
    m_controller = new StudioController();
    m_window = new MainWindow(m_controller);
    QVERIFY(diffii::test::showForTest(*m_window));
    m_preview = m_window->findChild<PreviewPage*>();
    QVERIFY(m_preview);
    m_window->openDemo(m_tmp.filePath(QStringLiteral("demo")));
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->hasProject() && !m_preview->previewImage().isNull() &&
                                 !m_preview->previewBusy() && !m_controller->busy(),
                             kLongMs);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    // Few steps from here on (the grid takes the page's settings).
    const qint64 shown = m_preview->shownPreviewId();
    m_preview->findChild<QSpinBox*>(QStringLiteral("stepsSpin"))->setValue(4);
    QTRY_VERIFY_WITH_TIMEOUT(m_preview->shownPreviewId() > shown && !m_preview->previewBusy(), kLongMs);
}

void TestUiLightbox::parsesAxisValues() {
    QString error;
    QCOMPARE(diffii::ui::parseGridNumbers(QStringLiteral("0, 0.25,0.5"), &error), (QList<double>{0, 0.25, 0.5}));
    QCOMPARE(diffii::ui::parseGridNumbers(QStringLiteral("0-1 [5]"), &error), (QList<double>{0, 0.25, 0.5, 0.75, 1}));
    QCOMPARE(diffii::ui::parseGridNumbers(QStringLiteral("1-9 (+2), 20"), &error), (QList<double>{1, 3, 5, 7, 9, 20}));
    QCOMPARE(diffii::ui::parseGridNumbers(QStringLiteral("-1--0.5 [2]"), &error), (QList<double>{-1, -0.5}));
    QVERIFY(diffii::ui::parseGridNumbers(QStringLiteral("0, x"), &error).isEmpty());
    QVERIFY(error.contains(QStringLiteral("x")));
    QVERIFY(diffii::ui::parseGridNumbers(QStringLiteral("0-1 [500]"), &error).isEmpty());
    QVERIFY(diffii::ui::parseGridNumbers(QString(), &error).isEmpty());
}

void TestUiLightbox::previewImageLightbox() {
    const QImage full = m_preview->previewImage();
    QCOMPARE(full.size(), QSize(64, 64));
    auto* label = m_preview->findChild<QLabel*>(QStringLiteral("previewImage"));
    QVERIFY(label && label->pixmap().width() > full.width());  // the page shows it enlarged
    QTest::mouseDClick(label, Qt::LeftButton, {}, label->rect().center());
    Lightbox* box = openLightbox(m_window);
    QVERIFY(box);
    QVERIFY(QTest::qWaitForWindowExposed(box));
    // The full-resolution image, not the scaled pixmap; the pair's real images and reconstructions beside it.
    QCOMPARE(box->image().size(), full.size());
    QCOMPARE(box->image().convertToFormat(QImage::Format_RGB32), full.convertToFormat(QImage::Format_RGB32));
    QCOMPARE(box->sourceCount(), 4);
    QVERIFY(box->showsSources());
    shot(box, "lightbox_preview.png");

    // Fitted into the window: a 64 px image is enlarged, pixels drawn as squares.
    box->actualSize();
    QCOMPARE(box->zoom(), 1.0);
    QVERIFY(box->smoothScaling());
    box->zoomIn();
    QCOMPARE(box->zoom(), 1.25);
    auto* view = box->findChild<QGraphicsView*>(QStringLiteral("lightboxView"));
    QVERIFY(view);
    QCOMPARE(view->transform().m11(), 1.25);
    const QPointF at = view->viewport()->rect().center();
    QWheelEvent wheel(at, view->viewport()->mapToGlobal(at), QPoint(), QPoint(0, 3 * 120), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(view->viewport(), &wheel);
    QVERIFY(std::abs(box->zoom() - 1.25 * 1.25 * 1.25 * 1.25) < 1e-9);
    QVERIFY(!box->smoothScaling());  // ≥ 200 %: nearest neighbour
    QTest::keyClick(box, Qt::Key_Minus);
    QVERIFY(std::abs(box->zoom() - 1.25 * 1.25 * 1.25) < 1e-9);
    box->setShowSources(false);
    box->fitToWindow();
    QVERIFY2(box->zoom() > 4.0, qPrintable(QString::number(box->zoom())));
    const QImage shown = view->grab().toImage();
    QVERIFY(!shown.isNull());

    const QString file = m_tmp.filePath(QStringLiteral("preview.png"));
    QVERIFY(box->saveTo(file));
    const QImage saved(file);
    QCOMPARE(saved.size(), full.size());
    QCOMPARE(saved.convertToFormat(QImage::Format_RGB32), full.convertToFormat(QImage::Format_RGB32));
    box->copyToClipboard();
    QCOMPARE(QGuiApplication::clipboard()->image().size(), full.size());
    box->close();
    QTRY_VERIFY(!openLightbox(m_window));
}

void TestUiLightbox::stripPoolAndDatasetLightbox() {
    // Double-clicks as a user makes them: a click, then the double-click (QTest's alone has no press before it).
    auto doubleClick = [](QAbstractItemView* view, const QModelIndex& index) {
        view->scrollTo(index);
        const QPoint at = view->visualRect(index).center();
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, at);
        QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, at);
    };
    // A strip thumbnail: the 64 px image the engine made, not the 96 px icon.
    QTest::mouseClick(m_preview->findChild<QPushButton*>(QStringLiteral("stripButton")), Qt::LeftButton);
    auto* strip = m_preview->findChild<QListWidget*>(QStringLiteral("stripList"));
    QTRY_COMPARE_WITH_TIMEOUT(strip->count(), 8, kLongMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), kLongMs);
    doubleClick(strip, strip->model()->index(3, 0));
    Lightbox* box = openLightbox(m_window);
    QVERIFY(box);
    QCOMPARE(box->image().size(), QSize(64, 64));
    QCOMPARE(box->sourceCount(), 4);
    box->close();
    QTRY_VERIFY(!openLightbox(m_window));
    QTRY_VERIFY_WITH_TIMEOUT(!m_preview->previewBusy() && !m_controller->busy(), kLongMs);

    // A pool row's reconstruction, beside its original.
    m_window->showPage(2);
    auto* pool = m_window->findChild<QTableView*>(QStringLiteral("poolView"));
    QVERIFY(pool && pool->model()->rowCount() > 0);
    const QModelIndex reconstruction = pool->model()->index(0, 2);
    doubleClick(pool, reconstruction);
    box = openLightbox(m_window);
    QVERIFY(box);
    QCOMPARE(box->sourceCount(), 1);
    QVERIFY(box->image().width() >= 64);
    box->close();
    QTRY_VERIFY(!openLightbox(m_window));

    // A dataset thumbnail: the file itself, at its own size.
    m_window->showPage(0);
    auto* thumbnails = m_window->findChild<QListView*>(QStringLiteral("thumbnailView"));
    QVERIFY(thumbnails);
    QTRY_VERIFY(thumbnails->model()->rowCount() > 0);
    const QModelIndex first = thumbnails->model()->index(0, 0);
    doubleClick(thumbnails, first);
    box = openLightbox(m_window);
    QVERIFY(box);
    QCOMPARE(box->image().size(), QImage(first.data(Qt::UserRole).toString()).size());
    box->close();
    QTRY_VERIFY(!openLightbox(m_window));
    m_window->showPage(3);
}

void TestUiLightbox::gridRendersProgressively() {
    auto* button = m_preview->findChild<QPushButton*>(QStringLiteral("gridButton"));
    QVERIFY(button && button->isEnabled());
    QTest::mouseClick(button, Qt::LeftButton);
    auto* dialog = m_preview->findChild<GridDialog*>();
    QVERIFY(dialog);
    dialog->setAxis(true, GridAxisKind::Turn, QStringLiteral("0, 0.5"));
    dialog->setAxis(false, GridAxisKind::Split, QStringLiteral("0.1-0.9 [2]"));
    QString events;  // c: a cell arrived, f: the job ended
    bool runningAtFirstCell = false;
    connect(dialog, &GridDialog::cellArrived, this, [&](int, int) {
        if (events.isEmpty()) runningAtFirstCell = dialog->running();
        events += QLatin1Char('c');
    });
    bool complete = false;
    connect(dialog, &GridDialog::gridFinished, this, [&](bool ok) {
        events += QLatin1Char('f');
        complete = ok;
    });
    QElapsedTimer clock;
    clock.start();
    QVERIFY(dialog->render());
    QTRY_VERIFY_WITH_TIMEOUT(events.endsWith(QLatin1Char('f')), kLongMs);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QVERIFY(complete);
    QCOMPARE(events, QStringLiteral("ccccf"));  // every cell on its own signal, before the job ended
    QVERIFY(runningAtFirstCell);
    qInfo("2x2 grid: %.1f s", clock.elapsed() / 1000.0);

    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 2; ++c) QCOMPARE(dialog->cell(r, c).size(), QSize(64, 64));
    // Another turn, another image; another s, another image.
    QVERIFY(dialog->cell(0, 0) != dialog->cell(0, 1));
    QVERIFY(dialog->cell(0, 0) != dialog->cell(1, 0));
    QVERIFY(dialog->cell(1, 0) != dialog->cell(1, 1));

    shot(dialog, "grid_dialog.png");
    const QString file = m_tmp.filePath(QStringLiteral("grid.png"));
    QVERIFY(dialog->exportTo(file));
    QVERIFY(QFileInfo::exists(file));
    const QImage sheet(file);
    if (!qEnvironmentVariableIsEmpty("DIFFII_LIGHTBOX_SHOT"))
        sheet.save(QDir(qEnvironmentVariable("DIFFII_LIGHTBOX_SHOT")).filePath(QStringLiteral("grid.png")));
    diffii::ui::GridAxis columns, rows;
    QString error;
    QVERIFY2(dialog->readAxes(&columns, &rows, &error), qPrintable(error));
    const auto g = diffii::ui::gridGeometry(QSize(64, 64), columns, rows, dialog->title());
    QVERIFY(g.cellSide >= 128 && g.cellSide % 64 == 0);
    QVERIFY(g.left > g.margin && g.top > g.margin);  // room for the labels
    QCOMPARE(sheet.width(), g.left + 2 * g.cellSide + g.gap + g.margin);
    QCOMPARE(sheet.height(), g.top + 2 * g.cellSide + g.gap + g.margin);
    // Each cell holds its image, enlarged by whole factors.
    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 2; ++c) {
            const QRect rect = g.cellRect(r, c);
            const QImage cell = dialog->cell(r, c);
            for (const QPoint p : {QPoint(0, 0), QPoint(31, 17), QPoint(63, 63)})
                QCOMPARE(QColor(sheet.pixel(rect.topLeft() + p * g.scale + QPoint(1, 1))).rgb(),
                         QColor(cell.pixel(p)).rgb());
        }
    // The labels are drawn: the header and the left column are not blank.
    auto inked = [&](const QRect& area) {
        for (int y = area.top(); y <= area.bottom(); ++y)
            for (int x = area.left(); x <= area.right(); ++x)
                if (QColor(sheet.pixel(x, y)).lightness() < 128) return true;
        return false;
    };
    QVERIFY(inked(QRect(g.left, 0, sheet.width() - g.left, g.top)));
    QVERIFY(inked(QRect(0, g.top, g.left, sheet.height() - g.top)));

    // Cancel stops the grid after the image in progress; the cells done stay on the sheet.
    dialog->setAxis(true, GridAxisKind::Seed, QStringLiteral("0-15 (+1)"));
    dialog->setAxis(false, GridAxisKind::Guidance, QStringLiteral("1, 2"));
    events.clear();
    QVERIFY(dialog->render());
    QTRY_VERIFY_WITH_TIMEOUT(dialog->cellsReceived() >= 1, kLongMs);
    QTest::mouseClick(dialog->findChild<QPushButton*>(QStringLiteral("gridCancel")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(events.endsWith(QLatin1Char('f')), kLongMs);
    QVERIFY(!complete);
    QVERIFY2(dialog->cellsReceived() < 32, qPrintable(QString::number(dialog->cellsReceived())));
    QVERIFY(!dialog->cell(0, 0).isNull());
    QVERIFY(m_controller->worker() && !m_controller->busy());
    dialog->close();
    QTRY_VERIFY(!m_preview->findChild<GridDialog*>());

    // A grid still queued behind other work when its dialog is closed (and deleted) never renders a cell.
    QTest::mouseClick(m_preview->findChild<QPushButton*>(QStringLiteral("gridButton")), Qt::LeftButton);
    dialog = m_preview->findChild<GridDialog*>();
    QVERIFY(dialog);
    dialog->setAxis(true, GridAxisKind::Seed, QStringLiteral("0, 1"));
    dialog->setAxis(false, GridAxisKind::Guidance, QStringLiteral("1, 2"));
    QSignalSpy cells(m_controller->worker(), &EngineWorker::gridCell);
    QSignalSpy cancelled(m_controller->worker(), &EngineWorker::jobCancelled);
    std::atomic<bool> release{false};
    m_controller->post([&release](EngineWorker*) {  // the worker is busy until the dialog is gone
        while (!release.load()) QThread::msleep(5);
    });
    QVERIFY(dialog->render());
    dialog->close();
    QTRY_VERIFY(!m_preview->findChild<GridDialog*>());
    release = true;
    QTRY_VERIFY_WITH_TIMEOUT(cancelled.count() == 1 || cells.count() > 0, kLongMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), kLongMs);
    QCOMPARE(cancelled.at(0).at(0).toString(), QString(diffii::ui::jobs::kGrid));
    QCOMPARE(cells.count(), 0);
}

void TestUiLightbox::curateItemLightbox() {
    // A few generated images: one per class at 3 steps.
    auto settings = m_controller->project().workflow;
    settings.expansionRate = 0.2;
    settings.denoise.steps = 3;
    m_controller->post([settings](diffii::ui::EngineWorker* w) {
        w->saveSettings(settings);
        w->generate();
    });
    auto* curate = m_window->findChild<CuratePage*>();
    auto* grid = curate->findChild<QListView*>(QStringLiteral("curateGrid"));
    QVERIFY(grid);
    m_window->showPage(4);
    QTRY_VERIFY_WITH_TIMEOUT(grid->model()->rowCount() > 0 && !m_controller->busy(), kLongMs);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    const QModelIndex index = grid->model()->index(0, 0);
    grid->scrollTo(index);
    QTRY_VERIFY(grid->viewport()->rect().contains(grid->visualRect(index).center()));
    // What a real double-click sends: a click, then the double-click (QTest's alone has no press before it).
    QTest::mouseClick(grid->viewport(), Qt::LeftButton, {}, grid->visualRect(index).center());
    QTest::mouseDClick(grid->viewport(), Qt::LeftButton, {}, grid->visualRect(index).center());
    Lightbox* box = openLightbox(m_window);
    QVERIFY(box);
    // The generated file at full resolution (the grid shows an enlarged thumbnail), beside its two real images.
    QCOMPARE(box->image().size(), QSize(64, 64));
    QVERIFY(grid->iconSize().width() > 64);
    QCOMPARE(box->sourceCount(), 2);
    box->close();
    QTRY_VERIFY(!openLightbox(m_window));

    // The detail image and the nearest real image too, each at its own full size.
    auto* detail = curate->findChild<QLabel*>(QStringLiteral("curateDetailImage"));
    QVERIFY(detail);
    QTRY_VERIFY(!detail->pixmap().isNull());
    QTest::mouseDClick(detail, Qt::LeftButton, {}, detail->rect().center());
    box = openLightbox(m_window);
    QVERIFY(box);
    QCOMPARE(box->image().size(), QSize(64, 64));
    box->close();
    QTRY_VERIFY(!openLightbox(m_window));
    auto* nearestName = curate->findChild<QLabel*>(QStringLiteral("curateNearestName"));
    QTRY_VERIFY_WITH_TIMEOUT(!nearestName->property("nearestPath").toString().isEmpty(), kLongMs);
    auto* nearest = curate->findChild<QLabel*>(QStringLiteral("curateNearestImage"));
    QTest::mouseDClick(nearest, Qt::LeftButton, {}, nearest->rect().center());
    box = openLightbox(m_window);
    QVERIFY(box);
    QCOMPARE(box->image().size(), QImage(nearestName->property("nearestPath").toString()).size());
    box->close();
    QTRY_VERIFY(!openLightbox(m_window));
}

void TestUiLightbox::cleanupTestCase() {
    delete m_window;
    delete m_controller;  // stops the engine thread
}

DIFFII_TEST_MAIN(TestUiLightbox, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_lightbox.moc"
