#pragma once

#include "ui/studio_page.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QHBoxLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;
class QVBoxLayout;

namespace diffii::ui {

class PoolModel;
class ThumbnailCache;

// Step 3: the inversion pool, one DDIM inversion per training image. A grid of original | reconstruction | PSNR
// per entry, filterable by class, with stale entries (model, concepts or settings changed since) marked; Build
// inverts what is missing or stale with the pool settings, Refresh re-reads what is on disk.
class PoolPage : public StudioPage {
    Q_OBJECT

public:
    explicit PoolPage(StudioController* controller, QWidget* parent = nullptr);
    QString title() const override { return tr("Inversion pool"); }

    diffii::WorkflowSettings formSettings() const;  // the saved settings with the pool fields from the form

protected:
    void retranslate() override;

private:
    // Construction helpers, called once from the constructor: each builds one visual group or wires one set of
    // signals.
    QHBoxLayout* buildTopRow();
    QGroupBox* buildSettingsGroup();
    QVBoxLayout* buildActions();
    QFormLayout* buildFilters();
    void buildView();
    void connectControls();
    void connectController();

    void onProjectChanged(const diffii::ui::ProjectInfo& info);
    void onPoolChanged(const QList<diffii::ui::PoolItem>& items);
    void onPoolEntry(const diffii::ui::PoolItem& item);  // one entry of a running build
    void onBuildProgress(const diffii::ui::JobProgress& p);
    void updateFilter();
    void updateSummary();
    void updateButtons();
    void build();

    QSpinBox* m_steps = nullptr;
    QDoubleSpinBox* m_guidance = nullptr;
    QPushButton* m_build = nullptr;
    QPushButton* m_refresh = nullptr;
    QComboBox* m_classFilter = nullptr;
    QCheckBox* m_staleOnly = nullptr;
    QLabel* m_summary = nullptr;
    QProgressBar* m_buildProgress = nullptr;
    QLabel* m_empty = nullptr;
    QTableView* m_view = nullptr;
    ThumbnailCache* m_thumbnails = nullptr;
    PoolModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    ProjectInfo m_project;
};

}  // namespace diffii::ui
