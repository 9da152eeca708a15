// Session basics: the last project reopened from QSettings (a missing one skipped with a status message, the
// preference honoured), the welcome page's recent list, About with the CMake version and the engine facts, the
// shortcut list collected from the actions, the log dock receiving the engine's job messages, and the language
// switched at run time. QSettings live in a temporary folder.
#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <thread>

#include "core/data/project_lock.h"
#include "core/jobs/log.h"
#include "tests/test_registry.h"
#include "tests/ui_test_project.h"
#include "tests/ui_test_window.h"
#include "ui/main_window.h"
#include "ui/preferences_dialog.h"
#include "ui/studio_controller.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::MainWindow;
using diffii::ui::PreferencesDialog;
using diffii::ui::StudioController;

namespace {
constexpr int kLongMs = 300000;
}  // namespace

class TestUiSession : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void reopensLastProjectAndLogsTheJob();
    void missingLastProjectIsSkipped();
    void reopenCanBeTurnedOff();
    void welcomePageListsRecentProjects();
    void aboutShowsVersionAndEngine();
    void shortcutListComesFromTheActions();
    void languageSwitchesAtRunTime();
    void engineMessagesReachTheLog();
    void cleanup();

private:
    // A fresh window, as on a start of the application.
    void newWindow() {
        cleanup();
        m_controller = new StudioController();
        m_window = new MainWindow(m_controller);
        QVERIFY(diffii::test::showForTest(*m_window, QSize(1200, 780)));
    }
    QString statusText() const { return m_window->findChild<QLabel*>(QStringLiteral("statusJob"))->text(); }

    QTemporaryDir m_tmp;
    QString m_project, m_missing;
    StudioController* m_controller = nullptr;
    MainWindow* m_window = nullptr;
};

void TestUiSession::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_tmp.isValid());
    // Settings in the temporary folder: nothing of the user's is read or written.
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_tmp.filePath(QStringLiteral("settings")));
    QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio session tests"));
    QCoreApplication::setApplicationName(QStringLiteral("diffii-studio-session-test"));
    QVERIFY(QSettings().fileName().startsWith(m_tmp.path()));

    // A project the CLI creates (no pool: opening it is the job the log sees).
    const QString fixtures = QStringLiteral(DIFFII_SHARED_DIR "/fixtures");
    QString error;
    QVERIFY2(!diffii::test::prepareUiDataset(m_tmp.path(), &error).isEmpty(), qPrintable(error));
    m_project = m_tmp.filePath(QStringLiteral("project"));
    QString output;
    QVERIFY2(diffii::test::runDiffii(
                 {QStringLiteral("create"), m_project, QStringLiteral("--dataset"),
                  m_tmp.filePath(QStringLiteral("data")), QStringLiteral("--model"),
                  fixtures + QStringLiteral("/tiny-sd1"), QStringLiteral("--metaclass"), QStringLiteral("bird")},
                 &output),
             qPrintable(output));
    m_missing = m_tmp.filePath(QStringLiteral("gone-project"));
}

void TestUiSession::reopensLastProjectAndLogsTheJob() {
    QSettings().setValue(QStringLiteral("project/last"), m_project);
    newWindow();
    QVERIFY(!m_controller->hasProject());
    QVERIFY(m_window->reopenLastProject());
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->hasProject() && !m_controller->busy(), kLongMs);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QCOMPARE(QDir(m_controller->project().dir).canonicalPath(), QDir(m_project).canonicalPath());

    // The log dock, shown from View > Log, has the open job's start and end with times.
    auto* toggle = m_window->findChild<QAction*>(QStringLiteral("logToggleAction"));
    QVERIFY(toggle);
    QVERIFY(!m_window->logDock()->isVisible());
    toggle->trigger();
    QVERIFY(m_window->logDock()->isVisible());
    const QString log = m_window->logView()->toPlainText();
    const QRegularExpression started(QStringLiteral("^\\d\\d:\\d\\d:\\d\\d  open started$"),
                                     QRegularExpression::MultilineOption);
    const QRegularExpression finished(QStringLiteral("^\\d\\d:\\d\\d:\\d\\d  open finished in [0-9.]+ s: Opened "),
                                      QRegularExpression::MultilineOption);
    QVERIFY2(started.match(log).hasMatch(), qPrintable(log));
    QVERIFY2(finished.match(log).hasMatch(), qPrintable(log));
    // A progress milestone (each quarter of a stage once): loading ends with "N of N".
    QVERIFY2(log.contains(QRegularExpression(QStringLiteral("\\d\\d  open: (\\d+) of \\1\\b"))), qPrintable(log));
    QVERIFY2(log.contains(QStringLiteral("Reopening the last project")), qPrintable(log));
    // A failing job is logged as an error.
    m_controller->post([](diffii::ui::EngineWorker* w) { w->setCuration(QStringLiteral("no-such-image.png"), 1, {}); });
    QTRY_VERIFY_WITH_TIMEOUT(m_window->logView()->toPlainText().contains(QStringLiteral("error: curate failed")),
                             30000);
    // The opened project is the next start's last project.
    QCOMPARE(QSettings().value(QStringLiteral("project/last")).toString(), m_controller->project().dir);
}

void TestUiSession::missingLastProjectIsSkipped() {
    QSettings().setValue(QStringLiteral("project/last"), m_missing);
    newWindow();
    QVERIFY(!m_window->reopenLastProject());
    QVERIFY2(statusText().contains(m_missing), qPrintable(statusText()));
    QTest::qWait(200);
    QVERIFY(!m_controller->hasProject() && !m_controller->busy());
    QVERIFY(m_window->lastError().isEmpty());
    QVERIFY(m_window->logView()->toPlainText().contains(QStringLiteral("warning: ")));
}

void TestUiSession::reopenCanBeTurnedOff() {
    QSettings().setValue(QStringLiteral("project/last"), m_project);
    QSettings().setValue(PreferencesDialog::reopenLastKey(), false);
    newWindow();
    QVERIFY(!m_window->reopenLastProject());
    QVERIFY(!m_controller->busy());
    QSettings().remove(PreferencesDialog::reopenLastKey());
}

void TestUiSession::welcomePageListsRecentProjects() {
    QSettings().setValue(QStringLiteral("project/recent"), QStringList({m_project, m_missing}));
    newWindow();
    auto* list = m_window->findChild<QListWidget*>(QStringLiteral("welcomeRecent"));
    QVERIFY(list);
    QVERIFY(list->isVisible());
    QCOMPARE(list->count(), 2);
    QVERIFY(list->item(0)->text().contains(m_project));
    QVERIFY(list->item(0)->flags().testFlag(Qt::ItemIsEnabled));
    QVERIFY(list->item(1)->text().contains(QStringLiteral("not found")));
    QVERIFY(!list->item(1)->flags().testFlag(Qt::ItemIsEnabled));
    if (const QString shot = qEnvironmentVariable("DIFFII_WELCOME_SHOT"); !shot.isEmpty())
        QVERIFY(m_window->grab().save(shot));
    // The missing one does nothing; a click on the other opens it.
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->item(1)).center());
    QTest::qWait(100);
    QVERIFY(!m_controller->busy() && !m_controller->hasProject());
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->item(0)).center());
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->hasProject() && !m_controller->busy(), kLongMs);
    QCOMPARE(QDir(m_controller->project().dir).canonicalPath(), QDir(m_project).canonicalPath());
}

void TestUiSession::aboutShowsVersionAndEngine() {
    newWindow();
    // The version is CMake's project(VERSION ...).
    QFile cmake(QStringLiteral(DIFFII_SOURCE_DIR "/CMakeLists.txt"));
    QVERIFY(cmake.open(QIODevice::ReadOnly));
    const auto m = QRegularExpression(QStringLiteral("project\\(\\w+ VERSION ([0-9.]+)")).match(cmake.readAll());
    QVERIFY(m.hasMatch());
    const QString version = m.captured(1);
    QCOMPARE(QStringLiteral(DIFFII_VERSION_STRING), version);

    auto* about = m_window->findChild<QAction*>(QStringLiteral("aboutAction"));
    QVERIFY(about);
    about->trigger();
    QMessageBox* box = nullptr;
    QTRY_VERIFY((box = m_window->findChild<QMessageBox*>(QStringLiteral("aboutBox"))) && box->isVisible());
    const QString text = box->text();
    QVERIFY2(text.contains(QStringLiteral("Diff-II Studio</b> ") + version), qPrintable(text));
    QVERIFY2(QRegularExpression(QStringLiteral("LibTorch \\d+\\.\\d+")).match(text).hasMatch(), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("features: ")));
    QVERIFY(text.contains(QStringLiteral("precision (auto")));
    box->close();
}

void TestUiSession::shortcutListComesFromTheActions() {
    newWindow();
    auto* action = m_window->findChild<QAction*>(QStringLiteral("shortcutsAction"));
    QVERIFY(action);
    action->trigger();
    QTableWidget* table = nullptr;
    QTRY_VERIFY((table = m_window->findChild<QTableWidget*>(QStringLiteral("shortcutsTable"))) && table->isVisible());
    QStringList rows;
    for (int r = 0; r < table->rowCount(); ++r)
        rows << QStringLiteral("%1 | %2 | %3")
                    .arg(table->item(r, 0)->text(), table->item(r, 1)->text(), table->item(r, 2)->text());
    const QString all = rows.join(QLatin1Char('\n'));
    auto has = [&](const QString& row) { return rows.contains(row); };
    QVERIFY2(has(QStringLiteral("Curate | Accept the selected images | A")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("Curate | Reject the selected images | R")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("Curate | Undo curation | Ctrl+Z")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("Curate | Redo curation | Ctrl+Shift+Z, Ctrl+Y")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("Project | New project... | Ctrl+N")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("Project | Open project... | Ctrl+O")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("Go | 5. Curate | Ctrl+5")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("Everywhere | Cancel job | Esc")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("View | Log | Ctrl+L")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("Help | Keyboard shortcuts | F1")), qPrintable(all));
    // Optional picture of the list (DIFFII_SHORTCUTS_SHOT=file.png).
    if (const QString shot = qEnvironmentVariable("DIFFII_SHORTCUTS_SHOT"); !shot.isEmpty())
        QVERIFY(table->window()->grab().save(shot));
    // Not a fixed text: a shortcut added to an action shows up.
    auto* extra = new QAction(QStringLiteral("Extra test action"), m_window);
    extra->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_J));
    m_window->addAction(extra);
    bool found = false;
    for (const auto& e : m_window->shortcutEntries())
        found = found || (e.action == QLatin1String("Extra test action") && e.keys == QLatin1String("Ctrl+Alt+J"));
    QVERIFY(found);
}

void TestUiSession::languageSwitchesAtRunTime() {
    newWindow();
    auto menuTitles = [this] {
        QStringList titles;
        for (QAction* a : m_window->menuBar()->actions()) titles << a->text();
        return titles;
    };
    QVERIFY(menuTitles().contains(QStringLiteral("&Project")));
    QVERIFY(PreferencesDialog::applyLanguage(QStringLiteral("zh_CN")));
    QTRY_VERIFY2(menuTitles().contains(QStringLiteral("项目(&P)")), qPrintable(menuTitles().join(QLatin1Char(' '))));
    QVERIFY(!menuTitles().contains(QStringLiteral("&Project")));
    // The step list follows; the shortcut list still works after the rebuild (no duplicates of the Go menu).
    auto* steps = m_window->findChild<QListWidget*>(QStringLiteral("steps"));
    QVERIFY(steps && steps->item(0)->text() != QStringLiteral("1. Dataset"));
    int ctrl5 = 0;
    for (const auto& e : m_window->shortcutEntries()) ctrl5 += e.keys == QLatin1String("Ctrl+5") ? 1 : 0;
    QCOMPARE(ctrl5, 1);
    PreferencesDialog::applyLanguage(QStringLiteral("en"));
    QTRY_VERIFY(menuTitles().contains(QStringLiteral("&Project")));
    QCOMPARE(steps->item(0)->text(), QStringLiteral("1. Dataset"));
}

void TestUiSession::cleanup() {
    delete m_window;
    m_window = nullptr;
    delete m_controller;
    m_controller = nullptr;
}

void TestUiSession::engineMessagesReachTheLog() {
    // The core's messages (core/jobs/log.h) reach the log dock, from any thread, instead of stderr.
    newWindow();
    const QString leftovers = m_tmp.filePath(QStringLiteral("leftovers"));
    QVERIFY(QDir().mkpath(leftovers));
    // A temporary file of a process that is gone: removing it is one of core's info messages.
    const QString stale = leftovers + QStringLiteral("/samples.json.tmp.999999999.1");
    {
        QFile f(stale);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{}");
    }
    std::thread engine([&leftovers] {
        diffii::removeStaleTemporaries(leftovers.toStdString(), false);
        diffii::logWarning("a warning from an engine thread");
    });
    engine.join();
    QVERIFY(!QFile::exists(stale));
    QTRY_VERIFY2(
        m_window->logView()->toPlainText().contains(QStringLiteral("warning: a warning from an engine thread")),
        qPrintable(m_window->logView()->toPlainText()));
    const QString log = m_window->logView()->toPlainText();
    QVERIFY2(log.contains(QRegularExpression(
                 QStringLiteral("\\d\\d:\\d\\d:\\d\\d  removed .*samples\\.json\\.tmp\\.999999999\\.1"))),
             qPrintable(log));
}

DIFFII_TEST_MAIN(TestUiSession, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_session.moc"
