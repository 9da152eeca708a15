#pragma once

#include <QMainWindow>
#include <QPointer>

#include "ui/new_project_dialog.h"
#include "ui/studio_types.h"

class QLabel;
class QListWidget;
class QMenu;
class QProgressBar;
class QStackedWidget;
class QToolButton;

namespace diffii::ui {

class StudioController;
class StudioPage;

// The main window: one page per step of the Diff-II flow (dataset, concepts, inversion pool, preview, curate,
// export), a project menu with recent projects, and a status bar with the running job, its progress, ETA and a
// cancel button. Errors from core arrive as dialogs with core's message.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(StudioController* controller, QWidget* parent = nullptr);

    StudioController* controller() const { return m_controller; }
    QStackedWidget* pages() const { return m_pages; }
    StudioPage* page(int index) const;
    // The New-project dialog while it is open (Project > New project...), else null.
    NewProjectDialog* newProjectDialog() const { return m_newProject; }
    void newProject();
    int pageCount() const;
    void showPage(int index);
    // Suppresses modal error dialogs (tests); errors still go to the status bar and lastError().
    void setQuietErrors(bool quiet) { m_quietErrors = quiet; }
    QString lastError() const { return m_lastError; }

    void openProjectDir(const QString& dir);
    // Opens the embedded demo project (created on first use) on the preview page.
    void openDemo(const QString& dir = QString());

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void openProjectDialog();
    void updateRecentMenu();
    void addRecent(const QString& dir);
    void onProgress(const diffii::ui::JobProgress& p);
    void onFailed(const QString& job, const QString& message);
    void onProjectChanged(const diffii::ui::ProjectInfo& info);
    void restoreSettings();

    StudioController* m_controller;
    QListWidget* m_steps = nullptr;
    QStackedWidget* m_pages = nullptr;
    QMenu* m_recentMenu = nullptr;
    QLabel* m_statusJob = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_eta = nullptr;
    QToolButton* m_cancel = nullptr;
    QPointer<NewProjectDialog> m_newProject;
    bool m_quietErrors = false;
    QString m_lastError;
};

// "1 h 02 min", "3 min 05 s", "12 s".
QString formatEta(double seconds);

}  // namespace diffii::ui
