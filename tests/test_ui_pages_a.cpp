// The dataset, concepts and inversion pool pages end to end, driven through the main window like a user would:
// create a project from an ImageFolder (two classes of two images, one class of a single image) and the tiny-sd1
// model, browse the classes and their lazily loaded thumbnails, apply a k-shot subset, train concepts for 3 steps
// from the concepts page and build the pool from the pool page, against the real engine thread. The three pages sit
// side by side in one window (each is tested, not the main window's other pages).
#include <QAbstractItemModel>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "tests/test_registry.h"
#include "ui/concepts_page.h"
#include "ui/dataset_page.h"
#include "ui/pool_page.h"
#include "ui/qcustomplot_compat.h"
#include "ui/studio_controller.h"
#include "ui/thumbnail_cache.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using namespace diffii::ui;

namespace {
constexpr int kLongMs = 300000;
const QString kFixtures = QStringLiteral(DIFFII_SHARED_DIR "/fixtures");
}  // namespace

class TestUiPagesA : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void emptyState();
    void datasetPage();
    void kShotSplit();
    void conceptsTraining();
    void poolBuild();
    void thumbnailCacheLoadsScaled();
    void cleanupTestCase();

private:
    // Waits until `job` finishes; fails with core's message when it fails or is cancelled.
    bool waitForJob(QSignalSpy& finished, QSignalSpy& failed, const QString& job, QString* message);
    template <typename T>
    T* find(const char* name) {
        T* w = m_window->findChild<T*>(QLatin1String(name));
        if (!w) qWarning("no widget '%s'", name);
        return w;
    }

    QTemporaryDir m_tmp;
    QString m_dataset;
    StudioController* m_controller = nullptr;
    QWidget* m_window = nullptr;
    DatasetPage* m_datasetPage = nullptr;
    ConceptsPage* m_conceptsPage = nullptr;
    PoolPage* m_poolPage = nullptr;
    QString m_lastError;
};

void TestUiPagesA::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // the window's QSettings (recent projects) stay out of the user's
    QVERIFY(m_tmp.isValid());
    m_dataset = m_tmp.filePath(QStringLiteral("data"));
    const QString images = kFixtures + QStringLiteral("/tiny-sd1-diffii/");
    for (const QString& cls : {QStringLiteral("finch"), QStringLiteral("robin"), QStringLiteral("wren")}) {
        QVERIFY(QDir().mkpath(m_dataset + QLatin1Char('/') + cls));
        const QStringList names = cls == QLatin1String("wren")
                                      ? QStringList{QStringLiteral("input_0.png")}
                                      : QStringList{QStringLiteral("input_0.png"), QStringLiteral("input_1.png")};
        for (const QString& n : names)
            QVERIFY2(QFile::copy(images + n, m_dataset + QLatin1Char('/') + cls + QLatin1Char('/') + n),
                     qPrintable(images + n));
    }
    m_controller = new StudioController;
    connect(m_controller->worker(), &EngineWorker::jobFailed, this,
            [this](const QString& job, const QString& message) { m_lastError = job + QStringLiteral(": ") + message; });
    m_window = new QWidget;
    auto* layout = new QHBoxLayout(m_window);
    m_datasetPage = new DatasetPage(m_controller, m_window);
    m_conceptsPage = new ConceptsPage(m_controller, m_window);
    m_poolPage = new PoolPage(m_controller, m_window);
    layout->addWidget(m_datasetPage);
    layout->addWidget(m_conceptsPage);
    layout->addWidget(m_poolPage);
    m_window->resize(1800, 800);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
}

void TestUiPagesA::cleanupTestCase() {
    delete m_window;
    delete m_controller;
}

bool TestUiPagesA::waitForJob(QSignalSpy& finished, QSignalSpy& failed, const QString& job, QString* message) {
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < kLongMs) {
        for (const auto& args : finished)
            if (args.at(0).toString() == job) return true;
        for (const auto& args : failed)
            if (args.at(0).toString() == job) {
                *message = job + QStringLiteral(" failed: ") + args.at(1).toString();
                return false;
            }
        QTest::qWait(50);
    }
    *message = job + QStringLiteral(" did not finish in time");
    return false;
}

void TestUiPagesA::emptyState() {
    auto* page = m_datasetPage;
    QVERIFY(page);
    QCOMPARE(page->title(), QStringLiteral("Dataset"));
    auto* empty = find<QWidget>("datasetEmptyState");
    QVERIFY(empty);
    QVERIFY(empty->isVisible());
    QVERIFY(find<QPushButton>("emptyNewProject"));
    QSignalSpy open(page, &DatasetPage::requestOpenProject);
    QSignalSpy create(page, &DatasetPage::requestNewProject);
    // The main window would open a modal dialog: check the page's side only.
    QVERIFY(QMetaObject::invokeMethod(page, "requestOpenProject"));
    QCOMPARE(open.count(), 1);
    QCOMPARE(create.count(), 0);
}

void TestUiPagesA::datasetPage() {
    QSignalSpy changed(m_controller, &StudioController::projectChanged);
    m_controller->createProject(m_tmp.filePath(QStringLiteral("project")), m_dataset,
                                kFixtures + QStringLiteral("/tiny-sd1"), QStringLiteral("bird"), 7);
    QTRY_VERIFY2_WITH_TIMEOUT(changed.count() > 0, qPrintable(m_lastError), kLongMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), kLongMs);

    QVERIFY(!find<QWidget>("datasetEmptyState")->isVisible());
    auto* table = find<QTableWidget>("classTable");
    QVERIFY(table);
    QCOMPARE(table->rowCount(), 3);
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("finch"));
    QCOMPARE(table->item(0, 1)->data(Qt::DisplayRole).toInt(), 2);
    QCOMPARE(table->item(2, 0)->text(), QStringLiteral("wren"));
    QCOMPARE(table->item(2, 1)->data(Qt::DisplayRole).toInt(), 1);
    QVERIFY2(table->item(2, 3)->text().contains(QStringLiteral("one image")), qPrintable(table->item(2, 3)->text()));
    QVERIFY(table->item(0, 3)->text().isEmpty());
    QVERIFY(find<QLabel>("metaclassLabel")->text().contains(QStringLiteral("bird")));
    QVERIFY(find<QLabel>("datasetSummary")->text().contains(QStringLiteral("5 images")));

    auto* view = find<QListView>("thumbnailView");
    QVERIFY(view);
    QCOMPARE(view->viewMode(), QListView::IconMode);
    QAbstractItemModel* model = view->model();
    QCOMPARE(model->rowCount(), 2);  // finch, selected first
    QCOMPARE(model->data(model->index(0, 0), Qt::DisplayRole).toString(), QStringLiteral("input_0.png"));
    // The view paints its visible items, which queues their decodes; the thumbnails arrive on the GUI thread.
    auto* cache = find<ThumbnailCache>("datasetThumbnails");
    QVERIFY(cache);
    const QString first = model->data(model->index(0, 0), Qt::UserRole).toString();
    QTRY_VERIFY_WITH_TIMEOUT(cache->contains(first), 20000);
    const QPixmap pixmap = model->data(model->index(0, 0), Qt::DecorationRole).value<QPixmap>();
    QVERIFY(!pixmap.isNull());
    QVERIFY(pixmap.width() <= cache->thumbnailSize().width());

    // Selecting the one-image class shows one thumbnail.
    table->setCurrentCell(2, 0);
    QCOMPARE(model->rowCount(), 1);
    table->setCurrentCell(0, 0);
    QCOMPARE(model->rowCount(), 2);
}

void TestUiPagesA::kShotSplit() {
    auto* method = find<QComboBox>("splitMethod");
    auto* k = find<QSpinBox>("splitK");
    auto* apply = find<QPushButton>("applySplit");
    QVERIFY(method && k && apply);
    method->setCurrentIndex(method->findData(QStringLiteral("k-shot")));
    QVERIFY(k->isEnabled());
    QVERIFY(!find<QSpinBox>("splitMaxPerClass")->isEnabled());
    k->setValue(1);
    QVERIFY(apply->isEnabled());
    apply->click();
    auto* table = find<QTableWidget>("classTable");
    auto trainCount = [table](int row) { return table->item(row, 2)->data(Qt::DisplayRole).toInt(); };
    QTRY_VERIFY2_WITH_TIMEOUT(trainCount(0) == 1 && trainCount(1) == 1 && trainCount(2) == 1, qPrintable(m_lastError),
                              kLongMs);
    // The left-out image of the selected class is greyed in the grid, and can be hidden.
    auto* model = find<QListView>("thumbnailView")->model();
    QCOMPARE(model->rowCount(), 2);
    find<QCheckBox>("trainOnly")->setChecked(true);
    QCOMPARE(model->rowCount(), 1);
    find<QCheckBox>("trainOnly")->setChecked(false);
    for (const ClassInfo& c : m_controller->project().classes) QCOMPARE(c.trainImages.size(), 1);
}

void TestUiPagesA::conceptsTraining() {
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), kLongMs);
    auto* page = m_conceptsPage;
    QVERIFY(page);
    auto* steps = find<QSpinBox>("conceptsSteps");
    auto* start = find<QPushButton>("conceptsStart");
    auto* pause = find<QPushButton>("conceptsPause");
    auto* plot = find<QCustomPlot>("lossPlot");
    QVERIFY(steps && start && pause && plot);
    QCOMPARE(steps->value(), 1000);  // core's default, read from project.json
    QVERIFY(start->isEnabled());
    QVERIFY(!pause->isEnabled());
    steps->setValue(3);
    find<QSpinBox>("conceptsCheckpointEvery")->setValue(2);

    QSignalSpy finished(m_controller->worker(), &EngineWorker::jobFinished);
    QSignalSpy failed(m_controller->worker(), &EngineWorker::jobFailed);
    QSignalSpy busy(m_controller, &StudioController::busyChanged);
    start->click();
    QString message;
    QVERIFY2(waitForJob(finished, failed, QStringLiteral("concepts"), &message), qPrintable(message));
    // While it ran, the buttons followed the state.
    bool sawConceptsBusy = false;
    for (const auto& args : busy)
        if (args.at(0).toBool() && args.at(1).toString() == QLatin1String("concepts")) sawConceptsBusy = true;
    QVERIFY(sawConceptsBusy);
    QTRY_VERIFY(start->isEnabled());
    QVERIFY(!pause->isEnabled());

    QTRY_VERIFY(plot->graph(0)->dataCount() >= 1);
    QVERIFY(plot->graph(0)->dataCount() <= 3);
    QCOMPARE(plot->graph(1)->dataCount(), plot->graph(0)->dataCount());
    // Sample images arrive while training (every max(1, steps/8) steps: 3 for a 3-step run).
    auto* samples = find<QListWidget>("conceptSamples");
    QTRY_COMPARE_WITH_TIMEOUT(samples->count(), 3, 30000);
    QVERIFY(!samples->item(0)->icon().isNull());
    QCOMPARE(find<QProgressBar>("conceptsProgress")->value(), 3);

    // The settings reached project.json (the controller's copy follows saves).
    const QJsonObject concepts = m_controller->project().settings.value(QStringLiteral("concepts")).toObject();
    QCOMPARE(concepts.value(QStringLiteral("max_steps")).toInt(), 3);
    QCOMPARE(concepts.value(QStringLiteral("checkpoint_every")).toInt(), 2);
    QCOMPARE(
        page->mergedSettings().value(QStringLiteral("concepts")).toObject().value(QStringLiteral("max_steps")).toInt(),
        3);

    QTRY_VERIFY(m_controller->project().hasConcepts);
    auto* table = find<QTableWidget>("conceptsTable");
    QTRY_COMPARE(table->rowCount(), 3);
    QVERIFY(!table->item(0, 1)->text().isEmpty());
}

void TestUiPagesA::poolBuild() {
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), kLongMs);
    auto* steps = find<QSpinBox>("poolSteps");
    auto* build = find<QPushButton>("poolBuild");
    auto* view = find<QTableView>("poolView");
    QVERIFY(steps && build && view);
    steps->setValue(3);
    QSignalSpy finished(m_controller->worker(), &EngineWorker::jobFinished);
    QSignalSpy failed(m_controller->worker(), &EngineWorker::jobFailed);
    QVERIFY(build->isEnabled());
    build->click();
    QString message;
    QVERIFY2(waitForJob(finished, failed, QStringLiteral("pool"), &message), qPrintable(message));
    QAbstractItemModel* model = view->model();
    QTRY_COMPARE(model->rowCount(), 3);  // one training image per class
    QVERIFY(view->isVisible());
    for (int r = 0; r < model->rowCount(); ++r) {
        const QString psnr = model->data(model->index(r, 3), Qt::DisplayRole).toString();
        QVERIFY2(psnr.contains(QStringLiteral(" dB")), qPrintable(psnr));
        QVERIFY2(!psnr.contains(QStringLiteral("stale")), qPrintable(psnr));
    }
    const QString summary = find<QLabel>("poolSummary")->text();
    QVERIFY2(summary.contains(QStringLiteral("3 of 3")) && summary.contains(QStringLiteral("mean PSNR")),
             qPrintable(summary));
    QCOMPARE(m_controller->project()
                 .settings.value(QStringLiteral("pool"))
                 .toObject()
                 .value(QStringLiteral("steps"))
                 .toInt(),
             3);
    // Reconstructions load like the dataset thumbnails.
    auto* cache = find<ThumbnailCache>("poolThumbnails");
    QVERIFY(cache);
    const QString original = model->data(model->index(0, 1), Qt::ToolTipRole).toString();
    const QString reconstruction = model->data(model->index(0, 2), Qt::ToolTipRole).toString();
    QVERIFY2(QFile::exists(reconstruction), qPrintable(reconstruction));
    QTRY_VERIFY_WITH_TIMEOUT(cache->contains(original) && cache->contains(reconstruction), 20000);

    // The class filter narrows the grid.
    auto* filter = find<QComboBox>("poolClassFilter");
    filter->setCurrentIndex(filter->findData(QStringLiteral("robin")));
    QCOMPARE(model->rowCount(), 1);
    QCOMPARE(model->data(model->index(0, 0), Qt::DisplayRole).toString(), QStringLiteral("robin"));
    filter->setCurrentIndex(0);
    QCOMPARE(model->rowCount(), 3);

    // Stale entries (the model, concepts or settings changed since) are marked in the grid and counted.
    QList<PoolItem> items;
    for (int r = 0; r < model->rowCount(); ++r) {
        PoolItem it;
        it.className = model->data(model->index(r, 0), Qt::DisplayRole).toString();
        it.key = QStringLiteral("k%1").arg(r);
        it.imagePath = m_controller->project().classes[r].trainImages.value(0);
        it.psnr = 20.0 + r;
        it.stale = r == 1;
        items << it;
    }
    Q_EMIT m_controller->worker()->poolChanged(items);
    int staleRows = 0;
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->data(model->index(r, 3), Qt::DisplayRole).toString().contains(QStringLiteral("stale"))) ++staleRows;
    QCOMPARE(staleRows, 1);
    QVERIFY2(find<QLabel>("poolSummary")->text().contains(QStringLiteral("1 stale")),
             qPrintable(find<QLabel>("poolSummary")->text()));
    find<QCheckBox>("poolStaleOnly")->setChecked(true);
    QCOMPARE(model->rowCount(), 1);
    find<QCheckBox>("poolStaleOnly")->setChecked(false);
    QTest::qWait(100);  // let the view paint the marked rows once
    // DIFFII_UI_PAGES_SHOT=file.png keeps a picture of the three pages for a look by eye.
    const QString shot = qEnvironmentVariable("DIFFII_UI_PAGES_SHOT");
    if (!shot.isEmpty()) QVERIFY(m_window->grab().save(shot));
}

void TestUiPagesA::thumbnailCacheLoadsScaled() {
    const QString path = kFixtures + QStringLiteral("/tiny-sd1-diffii/input_0.png");
    const QImage full(path);
    QVERIFY(!full.isNull());
    const QImage small = ThumbnailCache::load(path, QSize(16, 16));
    QVERIFY(!small.isNull());
    QVERIFY(small.width() <= 16 && small.height() <= 16);
    QVERIFY(ThumbnailCache::load(m_tmp.filePath(QStringLiteral("missing.png")), QSize(16, 16)).isNull());

    ThumbnailCache cache(QSize(24, 24));
    QSignalSpy ready(&cache, &ThumbnailCache::thumbnailReady);
    QVERIFY(cache.thumbnail(path).isNull());  // queued
    QVERIFY(cache.thumbnail(path).isNull());  // not queued twice
    QTRY_COMPARE(ready.count(), 1);
    QVERIFY(!cache.thumbnail(path).isNull());
    const QString missing = m_tmp.filePath(QStringLiteral("missing.png"));
    cache.thumbnail(missing);
    QTRY_VERIFY(cache.failed(missing));
    QVERIFY(cache.thumbnail(missing).isNull());
    cache.invalidate(path);
    QVERIFY(!cache.contains(path));
}

DIFFII_TEST_MAIN(TestUiPagesA, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_pages_a.moc"
