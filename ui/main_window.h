#pragma once

#include <QMainWindow>
#include <QPointer>

#include "ui/new_project_dialog.h"
#include "ui/studio_types.h"

class QDockWidget;
class QLabel;
class QPlainTextEdit;
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
// cancel button. Errors from core arrive as dialogs with core's message. A log dock (View > Log) keeps the engine's
// messages with their times; Help lists the keyboard shortcuts, collected from the actions themselves.
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
    // Reopens the project that was open last (QSettings "project/last") unless Preferences turned it off; a folder
    // that is gone is skipped with a status message. True when a project is being opened.
    bool reopenLastProject();

    // One keyboard shortcut as Help > Keyboard shortcuts lists it: where it acts (a menu or a page), the action's
    // text, its keys.
    struct ShortcutEntry {
        QString group;
        QString action;
        QString keys;
    };
    // Every action of the window, its menus and its pages that has a shortcut.
    QList<ShortcutEntry> shortcutEntries() const;
    void showShortcuts();
    // The About text: version, engine (LibTorch, Qt) and this computer's CPU features and precision choice.
    QString aboutText() const;
    void showAbout();
    // The log dock: a timestamped line (level: "info", "warning" or "error").
    void appendLog(const QString& text, const QString& level = QStringLiteral("info"));
    QDockWidget* logDock() const { return m_logDock; }
    QPlainTextEdit* logView() const { return m_log; }
    // Opens the embedded demo project (created on first use) on the preview page.
    void openDemo(const QString& dir = QString());

protected:
    void closeEvent(QCloseEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void buildMenus();
    void openProjectDialog();
    void updateRecentMenu();
    void addRecent(const QString& dir);
    void onProgress(const diffii::ui::JobProgress& p);
    void onFailed(const QString& job, const QString& message);
    void onProjectChanged(const diffii::ui::ProjectInfo& info);
    void restoreSettings();
    void buildLogDock();
    void connectLog();
    void retranslate();

    StudioController* m_controller;
    QListWidget* m_steps = nullptr;
    QStackedWidget* m_pages = nullptr;
    QMenu* m_recentMenu = nullptr;
    QLabel* m_statusJob = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_eta = nullptr;
    QToolButton* m_cancel = nullptr;
    QDockWidget* m_logDock = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QList<QAction*> m_menuActions;        // the menu bar's menus that buildMenus made (rebuilt on a language change)
    QHash<QString, int> m_loggedQuarter;  // per job stage: the last quarter of progress written to the log
    QHash<QString, qint64> m_jobStart;    // per job: when it started (ms since epoch)
    QPointer<NewProjectDialog> m_newProject;
    bool m_quietErrors = false;
    QString m_lastError;
};

// "1 h 02 min", "3 min 05 s", "12 s".
QString formatEta(double seconds);

}  // namespace diffii::ui
