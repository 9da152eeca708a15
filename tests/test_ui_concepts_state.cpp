// State that survives and progress that tells the truth (issue 14, items 4, 7 and 8), through the main window on a
// tiny project: concept learning paused is reported as paused (page and status bar) and keeps the learned-concepts
// table; a new window on the same project shows the loss curve with exactly the points of concepts/loss.csv, the
// saved samples and "step N / M"; the pool build's bar only moves forward while its rows appear one by one; the
// Export page shows the engine's planned count, the curation counts and the project's suffixes (edited into
// suffixes.txt), and says when a folder cannot be opened.
#include <algorithm>

#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "tests/test_registry.h"
#include "tests/ui_test_project.h"
#include "tests/ui_test_window.h"
#include "ui/concepts_page.h"
#include "ui/export_page.h"
#include "ui/lightbox.h"
#include "ui/main_window.h"
#include "ui/new_project_dialog.h"
#include "ui/pool_page.h"
#include "ui/qcustomplot_compat.h"
#include "ui/studio_controller.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using namespace diffii::ui;

namespace {

constexpr int kLongMs = 300000;

QJsonObject readJson(const QString& file) {
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// concepts/loss.csv as (step, loss, smoothed) rows.
QList<QList<double>> readLossCsv(const QString& file) {
    QList<QList<double>> rows;
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) return rows;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (int i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> cells = lines[i].split(',');
        if (cells.size() < 3) continue;
        rows << QList<double>{cells[0].toDouble(), cells[1].toDouble(), cells[2].toDouble()};
    }
    return rows;
}

QString statusText(MainWindow* window) {
    QStringList texts;
    for (auto* label : window->statusBar()->findChildren<QLabel*>()) texts << label->text();
    return texts.join(QLatin1Char('|'));
}

}  // namespace

class TestUiConceptsState : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void pauseIsPaused();
    void reopenShowsHistory();
    void resumeFinishes();
    void poolProgressIsMonotoneAndProgressive();
    void exportPlanCountsAndSuffixes();
    void cleanupTestCase();

private:
    void openWindow();
    void closeWindow();
    void newProjectWhileTraining();
    template <typename T>
    T* find(const char* name) {
        T* w = m_window->findChild<T*>(QLatin1String(name));
        if (!w) qWarning("no widget '%s'", name);
        return w;
    }
    QString concepts(const char* file) const { return m_project + QStringLiteral("/concepts/") + QLatin1String(file); }

    QTemporaryDir m_tmp;
    QString m_project;
    StudioController* m_controller = nullptr;
    MainWindow* m_window = nullptr;
    qint64 m_pausedStep = 0;
};

void TestUiConceptsState::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio tests"));
    QVERIFY(m_tmp.isValid());
    // The project without a pool (the pool page builds it below): two finch images, the tiny model.
    const QString fixtures = QStringLiteral(DIFFII_SHARED_DIR "/fixtures");
    QString error;
    const QString dataset = diffii::test::prepareUiDataset(m_tmp.path(), &error);
    QVERIFY2(!dataset.isEmpty(), qPrintable(error));
    m_project = m_tmp.filePath(QStringLiteral("project"));
    QString output;
    QVERIFY2(diffii::test::runDiffii(
                 {QStringLiteral("create"), m_project, QStringLiteral("--dataset"), dataset, QStringLiteral("--model"),
                  fixtures + QStringLiteral("/tiny-sd1"), QStringLiteral("--metaclass"), QStringLiteral("bird")},
                 &output),
             qPrintable(output));
    openWindow();
}

void TestUiConceptsState::openWindow() {
    m_controller = new StudioController();
    m_window = new MainWindow(m_controller);
    QVERIFY(diffii::test::showForTest(*m_window));
    m_controller->openProject(m_project);
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->hasProject() && !m_controller->busy(), kLongMs);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
}

void TestUiConceptsState::closeWindow() {
    delete m_window;
    delete m_controller;
    m_window = nullptr;
    m_controller = nullptr;
}

void TestUiConceptsState::cleanupTestCase() { closeWindow(); }

void TestUiConceptsState::pauseIsPaused() {
    auto* steps = find<QSpinBox>("conceptsSteps");
    auto* start = find<QPushButton>("conceptsStart");
    auto* pause = find<QPushButton>("conceptsPause");
    auto* samples = find<QListWidget>("conceptSamples");
    auto* table = find<QTableWidget>("conceptsTable");
    auto* state = find<QLabel>("conceptsState");
    QVERIFY(steps && start && pause && samples && table && state);
    // 200 planned steps, a sample every 25: pause right after the first sample, far from the end.
    steps->setValue(200);
    find<QSpinBox>("conceptsCheckpointEvery")->setValue(0);
    start->click();
    QTRY_VERIFY_WITH_TIMEOUT(samples->count() >= 1, kLongMs);
    newProjectWhileTraining();
    QVERIFY(pause->isEnabled());
    pause->click();
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), kLongMs);

    // Paused, not cancelled: the page, its button and the status bar say so.
    QVERIFY2(state->text().contains(QStringLiteral("Paused at step")), qPrintable(state->text()));
    QVERIFY2(!state->text().contains(QStringLiteral("cancel"), Qt::CaseInsensitive), qPrintable(state->text()));
    QVERIFY2(statusText(m_window).contains(QStringLiteral("paused")), qPrintable(statusText(m_window)));
    QVERIFY2(!statusText(m_window).contains(QStringLiteral("cancelled")), qPrintable(statusText(m_window)));
    QCOMPARE(start->text().remove(QLatin1Char('&')), QStringLiteral("Resume"));

    // The checkpoint holds the step the page shows, and the table keeps the class with its tokens.
    m_pausedStep = readJson(concepts("checkpoint.json")).value(QStringLiteral("step")).toInteger();
    QVERIFY2(m_pausedStep >= 25 && m_pausedStep < 200, qPrintable(QString::number(m_pausedStep)));
    auto* progress = find<QProgressBar>("conceptsProgress");
    QCOMPARE(progress->value(), static_cast<int>(m_pausedStep));
    QCOMPARE(progress->text(), QStringLiteral("step %1 / 200").arg(m_pausedStep));
    QCOMPARE(table->rowCount(), 1);
    QVERIFY2(table->item(0, 1)->text().contains(QStringLiteral("<finch-0>")), qPrintable(table->item(0, 1)->text()));
    QVERIFY(!m_controller->project().hasConcepts);  // nothing finished yet: the session holds no half-trained concepts
}

void TestUiConceptsState::newProjectWhileTraining() {
    // Project > New project while the concepts train: the dialog opens, says a job is running and offers Create
    // only once it has ended; the job goes on, nothing is created.
    QVERIFY(m_controller->busy());
    QCOMPARE(m_controller->runningJob(), QString(jobs::kConcepts));
    m_window->newProject();
    NewProjectDialog* dialog = m_window->newProjectDialog();
    QVERIFY(dialog && dialog->isVisible());
    const QString target = m_tmp.filePath(QStringLiteral("new-while-training"));
    dialog->findChild<QLineEdit*>(QStringLiteral("newProjectDir"))->setText(target);
    dialog->findChild<QLineEdit*>(QStringLiteral("newProjectDataset"))->setText(m_tmp.filePath(QStringLiteral("data")));
    dialog->findChild<QLineEdit*>(QStringLiteral("newProjectModel"))
        ->setText(QStringLiteral(DIFFII_SHARED_DIR "/fixtures/tiny-sd1"));
    dialog->findChild<QLineEdit*>(QStringLiteral("newProjectMetaclass"))->setText(QStringLiteral("bird"));
    QTRY_VERIFY_WITH_TIMEOUT(dialog->canCreate(), 60000);  // every field valid...
    auto* create = dialog->findChild<QPushButton*>(QStringLiteral("createProjectButton"));
    auto* busy = dialog->findChild<QLabel*>(QStringLiteral("newProjectBusy"));
    QVERIFY(create && busy);
    QVERIFY(!create->isEnabled());  // ...but the job runs
    QVERIFY(busy->isVisible());
    QVERIFY2(busy->text().contains(QStringLiteral("concepts")), qPrintable(busy->text()));
    QTest::keyClick(dialog, Qt::Key_Return);  // Enter does not create either
    QTest::qWait(200);
    QVERIFY(dialog->isVisible());
    QVERIFY(!QFileInfo::exists(target));
    QCOMPARE(m_controller->runningJob(), QString(jobs::kConcepts));
    dialog->reject();
    QTRY_VERIFY(!m_window->newProjectDialog());
    QVERIFY(!QFileInfo::exists(target));
    QVERIFY(m_controller->hasProject() && QDir(m_controller->project().dir) == QDir(m_project));
}

void TestUiConceptsState::reopenShowsHistory() {
    const auto loss = readLossCsv(concepts("loss.csv"));
    QCOMPARE(int(loss.size()), int(m_pausedStep));
    const QJsonArray savedSamples =
        readJson(concepts("samples/samples.json")).value(QStringLiteral("samples")).toArray();
    QVERIFY(!savedSamples.isEmpty());
    for (const auto& s : savedSamples)
        QVERIFY(QFile::exists(concepts("samples/") + s.toObject().value(QStringLiteral("file")).toString()));

    // A new window (a new start of the app) on the same project.
    closeWindow();
    openWindow();
    auto* plot = find<QCustomPlot>("lossPlot");
    QVERIFY(plot);
    QCOMPARE(plot->graph(0)->dataCount(), int(loss.size()));
    QCOMPARE(plot->graph(1)->dataCount(), int(loss.size()));
    for (int i = 0; i < loss.size(); i += std::max(1, static_cast<int>(loss.size()) / 7)) {
        const auto raw = plot->graph(0)->data()->at(i);
        const auto avg = plot->graph(1)->data()->at(i);
        QCOMPARE(raw->key, loss[i][0]);
        QVERIFY2(qAbs(raw->value - loss[i][1]) <= 1e-6 * qMax(1.0, qAbs(loss[i][1])), qPrintable(QString::number(i)));
        QVERIFY2(qAbs(avg->value - loss[i][2]) <= 1e-6 * qMax(1.0, qAbs(loss[i][2])), qPrintable(QString::number(i)));
    }
    auto* samples = find<QListWidget>("conceptSamples");
    QCOMPARE(samples->count(), int(savedSamples.size()));
    QVERIFY(!samples->item(0)->icon().isNull());
    QVERIFY(samples->item(0)->text().startsWith(
        QString::number(savedSamples[0].toObject().value(QStringLiteral("step")).toInteger())));
    // A double-click opens the sample in the lightbox: the saved file's pixels, not the icon.
    {
        const QModelIndex first = samples->model()->index(0, 0);
        const QPoint at = samples->visualRect(first).center();
        QTest::mouseClick(samples->viewport(), Qt::LeftButton, {}, at);
        QTest::mouseDClick(samples->viewport(), Qt::LeftButton, {}, at);
        const auto boxes = m_window->findChildren<Lightbox*>();
        QCOMPARE(int(boxes.size()), 1);
        const QImage saved(concepts("samples/") + savedSamples[0].toObject().value(QStringLiteral("file")).toString());
        QVERIFY(!saved.isNull());
        QCOMPARE(boxes.first()->image().size(), saved.size());
        QCOMPARE(boxes.first()->image().convertToFormat(QImage::Format_RGB32),
                 saved.convertToFormat(QImage::Format_RGB32));
        boxes.first()->close();
        QTRY_VERIFY(m_window->findChildren<Lightbox*>().isEmpty());
    }

    // "step N / M": N trained (the checkpoint), M planned (project.json, the spin box).
    auto* steps = find<QSpinBox>("conceptsSteps");
    QCOMPARE(steps->value(), 200);
    auto* progress = find<QProgressBar>("conceptsProgress");
    QCOMPARE(progress->text(), QStringLiteral("step %1 / 200").arg(m_pausedStep));
    steps->setValue(300);  // M follows the spin box
    QCOMPARE(progress->text(), QStringLiteral("step %1 / 300").arg(m_pausedStep));
    steps->setValue(200);
    QVERIFY2(find<QLabel>("conceptsState")->text().contains(QStringLiteral("Paused at step %1").arg(m_pausedStep)),
             qPrintable(find<QLabel>("conceptsState")->text()));
    QCOMPARE(find<QPushButton>("conceptsStart")->text().remove(QLatin1Char('&')), QStringLiteral("Resume"));
    QCOMPARE(find<QTableWidget>("conceptsTable")->rowCount(), 1);
}

void TestUiConceptsState::resumeFinishes() {
    // Resume to two steps past the pause (the planned steps may change on resume).
    const int target = static_cast<int>(m_pausedStep) + 2;
    find<QSpinBox>("conceptsSteps")->setValue(target);
    QSignalSpy finished(m_controller->worker(), &EngineWorker::jobFinished);
    find<QPushButton>("conceptsStart")->click();
    QTRY_VERIFY_WITH_TIMEOUT(
        std::any_of(finished.begin(), finished.end(),
                    [](const QList<QVariant>& a) { return a.at(0).toString() == QLatin1String("concepts"); }),
        kLongMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), kLongMs);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QVERIFY(m_controller->project().hasConcepts);
    auto* plot = find<QCustomPlot>("lossPlot");
    QCOMPARE(plot->graph(0)->dataCount(), target);  // the saved points and the two new ones, none twice
    QCOMPARE(int(readLossCsv(concepts("loss.csv")).size()), target);
    QCOMPARE(find<QProgressBar>("conceptsProgress")->text(), QStringLiteral("step %1 / %1").arg(target));
    auto* table = find<QTableWidget>("conceptsTable");
    QCOMPARE(table->rowCount(), 1);
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("<finch-0>"));
}

void TestUiConceptsState::poolProgressIsMonotoneAndProgressive() {
    m_window->showPage(2);
    auto* build = find<QPushButton>("poolBuild");
    auto* bar = find<QProgressBar>("poolProgress");
    auto* view = find<QTableView>("poolView");
    auto* summary = find<QLabel>("poolSummary");
    QVERIFY(build && bar && view && summary);
    QCOMPARE(view->model()->rowCount(), 0);
    find<QSpinBox>("poolSteps")->setValue(10);

    // Recorded after the page's own slots ran (connected later): what a user sees at each report.
    QList<int> values, rowsAtEntry;
    QStringList summaries;
    bool finishedSeen = false;
    QObject scope;  // the recorders are disconnected when it goes
    connect(m_controller->worker(), &EngineWorker::progress, &scope, [&](const JobProgress& p) {
        if (p.job == QLatin1String("inversion pool") && !finishedSeen) values << bar->value();
    });
    connect(m_controller->worker(), &EngineWorker::poolEntryReady, &scope, [&](const PoolItem&) {
        if (finishedSeen) return;
        rowsAtEntry << view->model()->rowCount();
        summaries << summary->text();
    });
    connect(m_controller->worker(), &EngineWorker::jobFinished, &scope, [&](const QString& job) {
        if (job == QLatin1String("pool")) finishedSeen = true;
    });
    build->click();
    QTRY_VERIFY_WITH_TIMEOUT(finishedSeen, kLongMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), kLongMs);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));

    // Two images × (10 inversion + 10 reconstruction steps): many reports, never backwards, up to the end.
    QVERIFY2(values.size() >= 2, qPrintable(QString::number(values.size())));
    for (int i = 1; i < values.size(); ++i) QVERIFY2(values[i] >= values[i - 1], qPrintable(QString::number(i)));
    QCOMPARE(values.last(), bar->maximum());
    QVERIFY(values.first() < bar->maximum());
    // Rows appeared one by one, before the job's end, and the count followed them.
    QCOMPARE(rowsAtEntry, (QList<int>{1, 2}));
    QVERIFY2(summaries[0].contains(QStringLiteral("1 of 2")), qPrintable(summaries[0]));
    QVERIFY2(summaries[1].contains(QStringLiteral("2 of 2")), qPrintable(summaries[1]));
    QCOMPARE(view->model()->rowCount(), 2);
}

void TestUiConceptsState::exportPlanCountsAndSuffixes() {
    m_window->showPage(5);
    auto* page = m_window->findChild<ExportPage*>();
    QVERIFY(page);
    auto* planned = find<QLabel>("exportPlanned");
    auto* expansion = find<QDoubleSpinBox>("generationExpansion");
    QVERIFY(planned && expansion);
    // The project's settings, not the page's own defaults.
    const QJsonObject generation =
        readJson(m_project + QStringLiteral("/project.json"))[QStringLiteral("settings")][QStringLiteral("generation")]
            .toObject();
    QCOMPARE(find<QDoubleSpinBox>("generationGuidance")->value(),
             generation.value(QStringLiteral("guidance")).toDouble());
    expansion->setValue(1.5);  // 2 training images × 1.5 = 3
    QCOMPARE(planned->property("plannedCount").toLongLong(), qint64(3));
    QVERIFY2(planned->text().startsWith(QStringLiteral("3 images")), qPrintable(planned->text()));
    expansion->setValue(0.1);  // rounds to 0: at least one a class
    QCOMPARE(planned->property("plannedCount").toLongLong(), qint64(1));
    expansion->setValue(1.5);

    // The suffix editor shows the project's suffixes and writes suffixes.txt.
    auto* list = find<QListWidget>("exportSuffixes");
    QVERIFY(list);
    const int before = list->count();
    QCOMPARE(before, int(m_controller->project().suffixes.size()));
    QVERIFY(before >= 1);
    list->item(0)->setText(QStringLiteral("on a snowy branch"));
    const QString suffixFile = m_project + QStringLiteral("/suffixes.txt");
    auto fileLines = [&] {
        QFile f(suffixFile);
        if (!f.open(QIODevice::ReadOnly)) return QStringList();
        return QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    };
    QTRY_VERIFY_WITH_TIMEOUT(fileLines().contains(QStringLiteral("on a snowy branch")), 30000);
    QCOMPARE(int(fileLines().size()), before);
    list->setCurrentRow(list->count() - 1);
    find<QPushButton>("exportRemoveSuffix")->click();
    QTRY_COMPARE_WITH_TIMEOUT(int(fileLines().size()), before - 1, 30000);
    QTRY_COMPARE(int(m_controller->project().suffixes.size()), before - 1);

    // Generate (2 denoising steps): the set holds the planned count, all pending, and the labels say so.
    find<QSpinBox>("generationSteps")->setValue(2);
    QTRY_VERIFY(find<QPushButton>("generateButton")->isEnabled());
    find<QPushButton>("generateButton")->click();
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), 60000);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QTRY_COMPARE_WITH_TIMEOUT(find<QLabel>("countGenerated")->text(), QStringLiteral("3"), 60000);
    QFile manifest(m_project + QStringLiteral("/synthetic/manifest.jsonl"));
    QVERIFY(manifest.open(QIODevice::ReadOnly));
    QCOMPARE(int(manifest.readAll().trimmed().split('\n').size()), 3);
    QCOMPARE(find<QLabel>("countPending")->text(), QStringLiteral("3"));
    const QString counts = find<QLabel>("exportCountsSummary")->text();
    QCOMPARE(counts, QStringLiteral("3 generated: 0 accepted, 0 rejected, 3 pending curation"));
    const QString status = find<QLabel>("exportStatus")->text();
    QVERIFY2(status.contains(QStringLiteral("3 pending")) && !status.contains(QStringLiteral("0 kept")),
             qPrintable(status));

    // "Open folder" on a folder that does not exist says so on the page.
    find<QLineEdit>("exportDir")->setText(m_tmp.filePath(QStringLiteral("not-there")));
    find<QPushButton>("openFolderButton")->click();
    QVERIFY2(find<QLabel>("exportStatus")->text().contains(QStringLiteral("does not exist")),
             qPrintable(find<QLabel>("exportStatus")->text()));
}

DIFFII_TEST_MAIN(TestUiConceptsState, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_concepts_state.moc"
