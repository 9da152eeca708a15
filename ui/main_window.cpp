#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

#include "core/engine/session.h"
#include "core/jobs/precision.h"
#include "ui/concepts_page.h"
#include "ui/curate_page.h"
#include "ui/dataset_page.h"
#include "ui/evaluate_page.h"
#include "ui/export_page.h"
#include "ui/new_project_dialog.h"
#include "ui/pool_page.h"
#include "ui/preferences_dialog.h"
#include "ui/preview_page.h"
#include "ui/retranslate.h"
#include "ui/studio_controller.h"

namespace diffii::ui {

namespace {
constexpr int kMaxRecent = 8;
const char* const kRecentKey = "project/recent";
const char* const kLastKey = "project/last";
constexpr int kMaxLogLines = 5000;

bool projectExists(const QString& dir) {
    return QFileInfo(QDir(dir).filePath(QStringLiteral("project.json"))).isFile();
}

// The engine's messages (core/jobs/log.h) go to the log dock of every main window instead of stderr: queued to the
// GUI thread from whichever thread logs them.
void installEngineLogSink() {
    static bool installed = false;
    if (installed) return;
    installed = true;
    diffii::setLogSink([](diffii::LogLevel level, const std::string& message) {
        const QString text = QString::fromStdString(message);
        const QString levelName =
            level == diffii::LogLevel::Warning ? QStringLiteral("warning") : QStringLiteral("info");
        QCoreApplication* app = QCoreApplication::instance();
        if (!app) return;
        QMetaObject::invokeMethod(
            app,
            [text, levelName] {
                for (QWidget* w : QApplication::topLevelWidgets())
                    if (auto* window = qobject_cast<MainWindow*>(w)) window->appendLog(text, levelName);
            },
            Qt::QueuedConnection);
    });
}
}  // namespace

QString formatEta(double seconds) {
    if (seconds < 0) return QString();
    const qint64 s = static_cast<qint64>(seconds + 0.5);
    if (s >= 3600) return QObject::tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60) return QObject::tr("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QObject::tr("%1 s").arg(s);
}

MainWindow::MainWindow(StudioController* controller, QWidget* parent) : QMainWindow(parent), m_controller(controller) {
    installRecordingTranslator();  // before any tr(): the pages' texts can then follow a language change
    installEngineLogSink();
    setWindowTitle(tr("Diff-II Studio"));
    m_steps = new QListWidget(this);
    m_steps->setObjectName(QStringLiteral("steps"));
    m_pages = new QStackedWidget(this);
    const QList<StudioPage*> pages = {new DatasetPage(controller, m_pages), new ConceptsPage(controller, m_pages),
                                      new PoolPage(controller, m_pages),    new PreviewPage(controller, m_pages),
                                      new CuratePage(controller, m_pages),  new ExportPage(controller, m_pages),
                                      new EvaluatePage(controller, m_pages)};
    int n = 1;
    for (StudioPage* page : pages) {
        m_steps->addItem(tr("%1. %2").arg(n++).arg(page->title()));
        m_pages->addWidget(page);
    }
    // The dataset page's empty state offers the same New/Open as the Project menu.
    auto* datasetPage = static_cast<DatasetPage*>(pages.first());
    connect(datasetPage, &DatasetPage::requestNewProject, this, &MainWindow::newProject);
    connect(datasetPage, &DatasetPage::requestOpenProject, this, &MainWindow::openProjectDialog);
    connect(datasetPage, &DatasetPage::requestOpenRecent, this, &MainWindow::openProjectDir);
    connect(m_steps, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    m_steps->setCurrentRow(0);
    m_steps->setMinimumWidth(m_steps->sizeHintForColumn(0) + 12);
    m_steps->setMaximumWidth(240);
    auto* splitter = new QSplitter(this);
    splitter->addWidget(m_steps);
    splitter->addWidget(m_pages);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    // The step list starts at the width of its longest step; the pages get the rest of the window.
    splitter->setSizes({m_steps->minimumWidth(), 10 * m_steps->minimumWidth()});
    setCentralWidget(splitter);

    m_statusJob = new QLabel(tr("Idle"), this);
    // A long job message (a project path) is cut at the window's edge instead of widening the window.
    m_statusJob->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_statusJob->setObjectName(QStringLiteral("statusJob"));
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(240);
    m_progress->setVisible(false);
    m_eta = new QLabel(this);
    m_cancel = new QToolButton(this);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop the running job (Esc); finished work is kept and the job resumes later"));
    m_cancel->setEnabled(false);
    connect(m_cancel, &QToolButton::clicked, controller, &StudioController::cancel);
    statusBar()->addWidget(m_statusJob, 1);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_eta);
    statusBar()->addPermanentWidget(m_cancel);

    auto* worker = controller->worker();
    connect(worker, &EngineWorker::progress, this, &MainWindow::onProgress);
    connect(worker, &EngineWorker::jobFailed, this, &MainWindow::onFailed);
    connect(worker, &EngineWorker::jobFinished, this, [this](const QString& job, const QString& summary) {
        m_statusJob->setText(summary.isEmpty() ? tr("Ready") : summary);
        m_progress->setVisible(false);
        m_eta->clear();
    });
    connect(worker, &EngineWorker::jobCancelled, this, [this](const QString& job) {
        // Concept learning is paused, not lost: its checkpoint resumes it.
        m_statusJob->setText(job == jobs::kConcepts
                                 ? tr("Concept learning paused; Resume on the Concepts page continues from its "
                                      "checkpoint")
                                 : tr("%1 cancelled; finished work is kept").arg(jobDisplayName(job)));
        m_progress->setVisible(false);
        m_eta->clear();
    });
    connect(controller, &StudioController::busyChanged, this, [this](bool busy, const QString& job) {
        m_cancel->setEnabled(busy);
        if (busy) m_statusJob->setText(tr("Running: %1").arg(jobDisplayName(job)));
    });
    connect(controller, &StudioController::projectChanged, this, &MainWindow::onProjectChanged);

    auto* cancel = new QAction(tr("Cancel job"), this);
    cancel->setObjectName(QStringLiteral("cancelJobAction"));
    cancel->setShortcut(QKeySequence(Qt::Key_Escape));
    connect(cancel, &QAction::triggered, m_controller, &StudioController::cancel);
    addAction(cancel);
    buildLogDock();
    connectLog();
    buildMenus();
    // The first size fits the screen (1280×800, 1366×768 laptops included), leaving room for the title bar.
    QSize size(1200, 780);
    if (const QScreen* s = screen()) size = size.boundedTo(s->availableGeometry().size() - QSize(16, 48));
    resize(size.expandedTo(minimumSizeHint()));
    restoreSettings();
}

StudioPage* MainWindow::page(int index) const { return qobject_cast<StudioPage*>(m_pages->widget(index)); }
int MainWindow::pageCount() const { return m_pages->count(); }
void MainWindow::showPage(int index) { m_steps->setCurrentRow(index); }

void MainWindow::buildMenus() {
    const QList<QAction*> before = menuBar()->actions();
    auto* project = menuBar()->addMenu(tr("&Project"));
    auto* newAction = project->addAction(tr("&New project..."), this, &MainWindow::newProject);
    newAction->setShortcut(QKeySequence::New);
    auto* openAction = project->addAction(tr("&Open project..."), this, &MainWindow::openProjectDialog);
    openAction->setShortcut(QKeySequence::Open);
    project->addAction(tr("Open &demo project (emoji birds)"), this, [this] { openDemo(); });
    m_recentMenu = project->addMenu(tr("Open &recent"));
    updateRecentMenu();
    project->addSeparator();
    auto* preferences = project->addAction(tr("&Preferences..."), this, [this] {
        PreferencesDialog dialog(this);
        dialog.setObjectName(QStringLiteral("preferencesDialog"));
        dialog.exec();
    });
    preferences->setMenuRole(QAction::PreferencesRole);
    preferences->setShortcut(QKeySequence::Preferences);
    project->addSeparator();
    auto* quit = project->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    if (auto* curate = findChild<CuratePage*>()) {
        auto* edit = menuBar()->addMenu(tr("&Edit"));
        edit->addAction(curate->undoAction());
        edit->addAction(curate->redoAction());
    }

    auto* view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_logDock->toggleViewAction());

    auto* go = menuBar()->addMenu(tr("&Go"));
    for (int i = 0; i < m_pages->count(); ++i) {
        auto* a = go->addAction(m_steps->item(i)->text(), this, [this, i] { showPage(i); });
        a->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)));
    }
    auto* help = menuBar()->addMenu(tr("&Help"));
    auto* shortcuts = help->addAction(tr("&Keyboard shortcuts"), this, &MainWindow::showShortcuts);
    shortcuts->setObjectName(QStringLiteral("shortcutsAction"));
    shortcuts->setShortcut(QKeySequence(Qt::Key_F1));
    auto* about = help->addAction(tr("&About Diff-II Studio"), this, &MainWindow::showAbout);
    about->setObjectName(QStringLiteral("aboutAction"));
    about->setMenuRole(QAction::AboutRole);

    m_menuActions.clear();
    for (QAction* a : menuBar()->actions())
        if (!before.contains(a)) m_menuActions << a;
}

QString MainWindow::aboutText() const {
    return tr("<b>Diff-II Studio</b> %1<br>Diffusion-based image augmentation for data-scarce "
              "classification: concept learning, inversion circle interpolation and two-stage denoising.")
               .arg(QStringLiteral(DIFFII_VERSION_STRING)) +
           QStringLiteral("<p><b>%1</b></p><pre>%2</pre>")
               .arg(tr("Engine"),
                    tr("Version %1\nLibTorch %2\nQt %3 (built with %4)")
                        .arg(QStringLiteral(DIFFII_VERSION_STRING), QString::fromStdString(diffii::libtorchVersion()),
                             QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR))
                        .toHtmlEscaped()) +
           QStringLiteral("<p><b>%1</b></p><pre>%2</pre>")
               .arg(tr("This computer (as diffii info --system prints it)"),
                    QString::fromStdString(diffii::systemReport()).toHtmlEscaped());
}

void MainWindow::showAbout() {
    // Window-modal and not exec(): the text can be read (and tested) while it is open.
    auto* box = new QMessageBox(QMessageBox::NoIcon, tr("About Diff-II Studio"), aboutText(), QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("aboutBox"));
    box->setTextFormat(Qt::RichText);
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

QList<MainWindow::ShortcutEntry> MainWindow::shortcutEntries() const {
    auto clean = [](QString text) {
        text.replace(QStringLiteral("&&"), QStringLiteral("\x01"));
        text.remove(QLatin1Char('&'));
        text.replace(QStringLiteral("\x01"), QStringLiteral("&"));
        return text;
    };
    QList<ShortcutEntry> entries;
    for (QAction* a : findChildren<QAction*>()) {
        if (a->shortcuts().isEmpty() || a->menu()) continue;
        // Where the action acts: its page, else the menu it sits in, else the whole window.
        QString group;
        for (QObject* o = a->parent(); o && group.isEmpty(); o = o->parent())
            if (auto* page = qobject_cast<StudioPage*>(o)) group = page->title();
        for (int i = 0; group.isEmpty() && i < a->associatedObjects().size(); ++i)
            if (auto* menu = qobject_cast<QMenu*>(a->associatedObjects()[i])) group = clean(menu->title());
        if (group.isEmpty()) group = tr("Everywhere");
        QStringList keys;
        for (const QKeySequence& k : a->shortcuts()) keys << k.toString(QKeySequence::NativeText);
        entries.append({group, clean(a->text()), keys.join(QStringLiteral(", "))});
    }
    // Grouped, in the order the groups first appear.
    QStringList order;
    for (const auto& e : entries)
        if (!order.contains(e.group)) order << e.group;
    std::stable_sort(entries.begin(), entries.end(), [&order](const ShortcutEntry& a, const ShortcutEntry& b) {
        return order.indexOf(a.group) < order.indexOf(b.group);
    });
    return entries;
}

void MainWindow::showShortcuts() {
    auto* dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("shortcutsDialog"));
    dialog->setWindowTitle(tr("Keyboard shortcuts"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto* layout = new QVBoxLayout(dialog);
    auto* table = new QTableWidget(dialog);
    table->setObjectName(QStringLiteral("shortcutsTable"));
    table->setColumnCount(3);
    table->setHorizontalHeaderLabels({tr("Where"), tr("Action"), tr("Keys")});
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->verticalHeader()->setVisible(false);
    const QList<ShortcutEntry> entries = shortcutEntries();
    table->setRowCount(static_cast<int>(entries.size()));
    for (int r = 0; r < entries.size(); ++r) {
        table->setItem(r, 0, new QTableWidgetItem(entries[r].group));
        table->setItem(r, 1, new QTableWidgetItem(entries[r].action));
        table->setItem(r, 2, new QTableWidgetItem(entries[r].keys));
    }
    table->resizeColumnsToContents();
    table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(table);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    layout->addWidget(buttons);
    dialog->resize(620, 520);
    dialog->show();
}

void MainWindow::buildLogDock() {
    m_logDock = new QDockWidget(tr("Log"), this);
    m_logDock->setObjectName(QStringLiteral("logDock"));
    m_log = new QPlainTextEdit(m_logDock);
    m_log->setObjectName(QStringLiteral("logView"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(kMaxLogLines);
    m_log->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_logDock->setWidget(m_log);
    addDockWidget(Qt::BottomDockWidgetArea, m_logDock);
    m_logDock->toggleViewAction()->setObjectName(QStringLiteral("logToggleAction"));
    m_logDock->toggleViewAction()->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_logDock->hide();  // shown from View > Log; restoreState brings back the user's choice
}

void MainWindow::appendLog(const QString& text, const QString& level) {
    const QString time = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss"));
    QString prefix;
    if (level == QLatin1String("warning"))
        prefix = tr("warning: ");
    else if (level == QLatin1String("error"))
        prefix = tr("error: ");
    m_log->appendPlainText(QStringLiteral("%1  %2%3").arg(time, prefix, text));
}

void MainWindow::connectLog() {
    auto* worker = m_controller->worker();
    connect(worker, &EngineWorker::jobStarted, this, [this](const QString& job) {
        m_jobStart.insert(job, QDateTime::currentMSecsSinceEpoch());
        m_loggedQuarter.clear();
        appendLog(tr("%1 started").arg(jobDisplayName(job)));
    });
    connect(worker, &EngineWorker::progress, this, [this](const JobProgress& p) {
        // Milestones: each quarter of a stage once, not every progress tick.
        if (p.total <= 0) return;
        const int quarter = static_cast<int>(std::clamp<qint64>(p.done * 4 / p.total, 0, 4));
        if (quarter <= m_loggedQuarter.value(p.job, 0)) return;
        m_loggedQuarter.insert(p.job, quarter);
        appendLog(p.detail.isEmpty()
                      ? tr("%1: %2 of %3").arg(jobDisplayName(p.job)).arg(p.done).arg(p.total)
                      : tr("%1: %2 of %3 (%4)").arg(jobDisplayName(p.job)).arg(p.done).arg(p.total).arg(p.detail));
    });
    auto seconds = [this](const QString& job) {
        const qint64 start = m_jobStart.take(job);
        return start > 0 ? (QDateTime::currentMSecsSinceEpoch() - start) / 1000.0 : 0.0;
    };
    connect(worker, &EngineWorker::jobFinished, this, [this, seconds](const QString& job, const QString& summary) {
        const double s = seconds(job);
        appendLog(summary.isEmpty()
                      ? tr("%1 finished in %2 s").arg(jobDisplayName(job)).arg(s, 0, 'f', 1)
                      : tr("%1 finished in %2 s: %3").arg(jobDisplayName(job)).arg(s, 0, 'f', 1).arg(summary));
    });
    connect(worker, &EngineWorker::jobCancelled, this, [this, seconds](const QString& job) {
        appendLog(
            tr("%1 cancelled after %2 s; finished work is kept").arg(jobDisplayName(job)).arg(seconds(job), 0, 'f', 1),
            QStringLiteral("warning"));
    });
    connect(worker, &EngineWorker::jobFailed, this, [this, seconds](const QString& job, const QString& message) {
        appendLog(tr("%1 failed after %2 s: %3").arg(jobDisplayName(job)).arg(seconds(job), 0, 'f', 1).arg(message),
                  QStringLiteral("error"));
    });
    connect(m_controller, &StudioController::projectChanged, this, [this](const ProjectInfo& info) {
        appendLog(tr("Project %1 open (%2)").arg(info.name, info.dir));
        for (const QString& w : info.warnings) appendLog(w, QStringLiteral("warning"));
    });
}

void MainWindow::newProject() {
    if (m_newProject && m_newProject->isVisible()) {
        m_newProject->raise();
        m_newProject->activateWindow();
        return;
    }
    // Window-modal and not exec(): the dialog stays open through the engine's answer and through errors.
    auto* dialog = new NewProjectDialog(m_controller, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &NewProjectDialog::projectCreated, this, [this](const QString& dir) {
        addRecent(dir);
        showPage(0);
    });
    m_newProject = dialog;
    dialog->open();
}

void MainWindow::openProjectDialog() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open project"));
    if (!dir.isEmpty()) openProjectDir(dir);
}

void MainWindow::openProjectDir(const QString& dir) {
    addRecent(dir);
    m_controller->openProject(dir);
}

bool MainWindow::reopenLastProject() {
    QSettings settings;
    if (!settings.value(PreferencesDialog::reopenLastKey(), true).toBool()) return false;
    const QString dir = settings.value(QLatin1String(kLastKey)).toString();
    if (dir.isEmpty()) return false;
    if (!projectExists(dir)) {
        const QString message = tr("The last project, %1, is no longer there; open or create a project").arg(dir);
        m_statusJob->setText(message);
        appendLog(message, QStringLiteral("warning"));
        return false;
    }
    appendLog(tr("Reopening the last project, %1").arg(dir));
    openProjectDir(dir);
    return true;
}

void MainWindow::openDemo(const QString& dir) {
    m_controller->openDemo(dir);
    showPage(3);  // the preview page: sliders work once the pool is built
}

void MainWindow::addRecent(const QString& dir) {
    QSettings settings;
    QStringList recent = settings.value(QLatin1String(kRecentKey)).toStringList();
    recent.removeAll(dir);
    recent.prepend(dir);
    while (recent.size() > kMaxRecent) recent.removeLast();
    settings.setValue(QLatin1String(kRecentKey), recent);
    updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QLatin1String(kRecentKey)).toStringList();
    for (const QString& dir : recent) {
        // A folder that is gone is shown, marked and disabled, so the list does not silently change.
        const bool exists = projectExists(dir);
        auto* a = m_recentMenu->addAction(exists ? dir : tr("%1 (not found)").arg(dir), this,
                                          [this, dir] { openProjectDir(dir); });
        a->setEnabled(exists);
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
    if (auto* dataset = findChild<DatasetPage*>()) dataset->setRecentProjects(recent);
}

void MainWindow::onProgress(const JobProgress& p) {
    m_progress->setVisible(true);
    m_progress->setMaximum(static_cast<int>(std::max<qint64>(1, p.total)));
    m_progress->setValue(static_cast<int>(p.done));
    const QString name = jobDisplayName(p.job);
    m_statusJob->setText(p.detail.isEmpty() ? name : tr("%1: %2").arg(name, p.detail));
    m_eta->setText(p.etaSeconds >= 0 ? tr("ETA %1").arg(formatEta(p.etaSeconds)) : QString());
}

void MainWindow::onFailed(const QString& job, const QString& message) {
    m_lastError = message;
    m_progress->setVisible(false);
    m_eta->clear();
    m_statusJob->setText(tr("%1 failed").arg(jobDisplayName(job)));
    // The New-project dialog shows its own failure beside its fields.
    if (job == jobs::kCreate && m_newProject && m_newProject->isVisible()) return;
    if (!m_quietErrors) QMessageBox::critical(this, tr("%1 failed").arg(jobDisplayName(job)), message);
}

void MainWindow::onProjectChanged(const ProjectInfo& info) {
    setWindowTitle(tr("%1 - Diff-II Studio").arg(info.name));
    if (!info.dir.isEmpty()) QSettings().setValue(QLatin1String(kLastKey), info.dir);  // reopened on the next start
}

void MainWindow::changeEvent(QEvent* event) {
    if (event->type() == QEvent::LanguageChange) retranslate();
    QMainWindow::changeEvent(event);
}

void MainWindow::retranslate() {
    // What the window owns follows a language change at once (Preferences); the pages retranslate themselves
    // (StudioPage::changeEvent).
    if (!m_steps) return;
    for (int i = 0; i < m_pages->count() && i < m_steps->count(); ++i)
        if (StudioPage* p = page(i)) m_steps->item(i)->setText(tr("%1. %2").arg(i + 1).arg(p->title()));
    setWindowTitle(m_controller->hasProject() ? tr("%1 - Diff-II Studio").arg(m_controller->project().name)
                                              : tr("Diff-II Studio"));
    if (!m_controller->busy()) m_statusJob->setText(tr("Idle"));
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop the running job (Esc); finished work is kept and the job resumes later"));
    if (auto* cancel = findChild<QAction*>(QStringLiteral("cancelJobAction"))) cancel->setText(tr("Cancel job"));
    m_logDock->setWindowTitle(tr("Log"));
    for (QAction* a : std::as_const(m_menuActions)) {
        menuBar()->removeAction(a);
        if (QMenu* menu = a->menu()) {
            menu->setParent(nullptr);  // out of findChildren (the shortcut list) at once
            menu->deleteLater();
        }
    }
    m_menuActions.clear();
    buildMenus();
}

void MainWindow::restoreSettings() {
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState());
    m_controller->cancel();
    event->accept();
}

}  // namespace diffii::ui
