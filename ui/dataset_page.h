#pragma once

#include "ui/studio_page.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QListView;
class QListWidget;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTableWidget;

namespace diffii::ui {

class ThumbnailCache;
class ThumbnailModel;

// Step 1: the open project's dataset. A class table (images, training images of the split, warnings), a lazily
// loaded thumbnail grid of the selected class, and the few-shot / long-tail subset that concept learning and the
// inversion pool train on. Without a project it shows how to get one.
class DatasetPage : public StudioPage {
    Q_OBJECT

public:
    explicit DatasetPage(StudioController* controller, QWidget* parent = nullptr);
    QString title() const override { return tr("Dataset"); }
    // The empty state's list of recent projects (newest first); a folder without project.json is marked and
    // cannot be clicked.
    void setRecentProjects(const QStringList& dirs);

Q_SIGNALS:
    // The empty state's buttons; the main window connects them to its New/Open project actions.
    void requestNewProject();
    void requestOpenProject();
    // A recent project clicked in the empty state.
    void requestOpenRecent(const QString& dir);

protected:
    void retranslate() override;

private:
    void onProjectChanged(const diffii::ui::ProjectInfo& info);
    void showClass(int row);
    void updateSplitControls();
    void applySplit();
    QWidget* buildEmptyState();
    QWidget* buildProjectView();
    QWidget* buildClassPanel(QWidget* parent);
    QWidget* buildSubsetBox(QWidget* parent);
    QWidget* buildGridPanel(QWidget* parent);

    QStackedWidget* m_stack = nullptr;
    QLabel* m_recentTitle = nullptr;
    QListWidget* m_recent = nullptr;
    QLabel* m_header = nullptr;
    QLabel* m_metaclass = nullptr;
    QLabel* m_summary = nullptr;
    QListWidget* m_warnings = nullptr;
    QTableWidget* m_classTable = nullptr;
    QLabel* m_gridTitle = nullptr;
    QCheckBox* m_trainOnly = nullptr;
    QListView* m_thumbnailView = nullptr;
    ThumbnailCache* m_thumbnails = nullptr;
    ThumbnailModel* m_thumbnailModel = nullptr;
    QComboBox* m_splitMethod = nullptr;
    QSpinBox* m_k = nullptr;
    QDoubleSpinBox* m_imbalance = nullptr;
    QSpinBox* m_maxPerClass = nullptr;
    QSpinBox* m_splitSeed = nullptr;
    QPushButton* m_applySplit = nullptr;
    ProjectInfo m_project;
};

}  // namespace diffii::ui
