#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolButton>

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
#include "ui/studio_controller.h"

namespace diffii::ui {

namespace {
constexpr int kMaxRecent = 8;
const char* const kRecentKey = "project/recent";
}  // namespace

QString formatEta(double seconds) {
    if (seconds < 0) return QString();
    const qint64 s = static_cast<qint64>(seconds + 0.5);
    if (s >= 3600) return QObject::tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60) return QObject::tr("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QObject::tr("%1 s").arg(s);
}

MainWindow::MainWindow(StudioController* controller, QWidget* parent) : QMainWindow(parent), m_controller(controller) {
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
                                 : tr("%1 cancelled; finished work is kept").arg(job));
        m_progress->setVisible(false);
        m_eta->clear();
    });
    connect(controller, &StudioController::busyChanged, this, [this](bool busy, const QString& job) {
        m_cancel->setEnabled(busy);
        if (busy) m_statusJob->setText(tr("Running: %1").arg(job));
    });
    connect(controller, &StudioController::projectChanged, this, &MainWindow::onProjectChanged);

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
    auto* project = menuBar()->addMenu(tr("&Project"));
    auto* newAction = project->addAction(tr("&New project..."), this, &MainWindow::newProject);
    newAction->setShortcut(QKeySequence::New);
    auto* openAction = project->addAction(tr("&Open project..."), this, &MainWindow::openProjectDialog);
    openAction->setShortcut(QKeySequence::Open);
    project->addAction(tr("Open &demo project (emoji birds)"), this, [this] { openDemo(); });
    m_recentMenu = project->addMenu(tr("Open &recent"));
    updateRecentMenu();
    project->addSeparator();
    auto* preferences = project->addAction(tr("&Preferences..."), this, [this] { PreferencesDialog(this).exec(); });
    preferences->setMenuRole(QAction::PreferencesRole);
    preferences->setShortcut(QKeySequence::Preferences);
    project->addSeparator();
    auto* quit = project->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    auto* go = menuBar()->addMenu(tr("&Go"));
    for (int i = 0; i < m_pages->count(); ++i) {
        auto* a = go->addAction(m_steps->item(i)->text(), this, [this, i] { showPage(i); });
        a->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)));
    }
    auto* cancel = new QAction(tr("Cancel job"), this);
    cancel->setShortcut(QKeySequence(Qt::Key_Escape));
    connect(cancel, &QAction::triggered, m_controller, &StudioController::cancel);
    addAction(cancel);

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Diff-II Studio"), this, [this] {
        QMessageBox::about(this, tr("About Diff-II Studio"),
                           tr("<b>Diff-II Studio</b><br>Diffusion-based image augmentation for data-scarce "
                              "classification: concept learning, inversion circle interpolation and two-stage "
                              "denoising.") +
                               QStringLiteral("<p><b>%1</b></p><pre>%2</pre>")
                                   .arg(tr("This computer (as diffii info --system prints it)"),
                                        QString::fromStdString(diffii::systemReport()).toHtmlEscaped()));
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
    for (const QString& dir : recent) m_recentMenu->addAction(dir, this, [this, dir] { openProjectDir(dir); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::onProgress(const JobProgress& p) {
    m_progress->setVisible(true);
    m_progress->setMaximum(static_cast<int>(std::max<qint64>(1, p.total)));
    m_progress->setValue(static_cast<int>(p.done));
    m_statusJob->setText(p.detail.isEmpty() ? p.job : tr("%1: %2").arg(p.job, p.detail));
    m_eta->setText(p.etaSeconds >= 0 ? tr("ETA %1").arg(formatEta(p.etaSeconds)) : QString());
}

void MainWindow::onFailed(const QString& job, const QString& message) {
    m_lastError = message;
    m_progress->setVisible(false);
    m_eta->clear();
    m_statusJob->setText(tr("%1 failed").arg(job));
    // The New-project dialog shows its own failure beside its fields.
    if (job == jobs::kCreate && m_newProject && m_newProject->isVisible()) return;
    if (!m_quietErrors) QMessageBox::critical(this, tr("%1 failed").arg(job), message);
}

void MainWindow::onProjectChanged(const ProjectInfo& info) { setWindowTitle(tr("%1 - Diff-II Studio").arg(info.name)); }

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
