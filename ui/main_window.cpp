#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QSplitter>

namespace diffii::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("Diff-II Studio"));
    auto* steps = new QListWidget(this);
    auto* pages = new QStackedWidget(this);
    const QStringList names = {tr("Dataset"), tr("Concepts"), tr("Inversion pool"), tr("Preview"), tr("Curate"),
                               tr("Export")};
    for (const QString& name : names) {
        steps->addItem(name);
        auto* page = new QLabel(tr("%1: coming with the engine.").arg(name), pages);
        page->setAlignment(Qt::AlignCenter);
        pages->addWidget(page);
    }
    connect(steps, &QListWidget::currentRowChanged, pages, &QStackedWidget::setCurrentIndex);
    steps->setCurrentRow(0);
    steps->setMaximumWidth(180);
    auto* splitter = new QSplitter(this);
    splitter->addWidget(steps);
    splitter->addWidget(pages);
    splitter->setStretchFactor(1, 1);
    setCentralWidget(splitter);

    auto* fileMenu = menuBar()->addMenu(tr("&Project"));
    auto* quit = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    m_statusJob = new QLabel(tr("Idle"), this);
    statusBar()->addPermanentWidget(m_statusJob);
    resize(1100, 720);
    restoreSettings();
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
    event->accept();
}

}  // namespace diffii::ui
