// Generation and export: the generation settings (saved in the project's settings.generation), "Generate / Resume",
// the counts of the synthetic set, and the export of the curated set (rejected images left out) into an ImageFolder
// with its manifest.
#pragma once

#include <QJsonObject>

#include "ui/studio_page.h"

class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace diffii::ui {

class ExportPage : public StudioPage {
    Q_OBJECT

public:
    explicit ExportPage(StudioController* controller, QWidget* parent = nullptr);
    QString title() const override { return tr("Export"); }

    // The project's settings with the generation group replaced by the form's values.
    diffii::WorkflowSettings formSettings() const;  // the saved settings with the generation fields from the form
    void generate();
    void exportSet();
    QString exportDir() const;

protected:
    void retranslate() override;

private:
    // Construction helpers, called once from the constructor: each builds one visual group or wires one set of
    // signals.
    QGroupBox* buildGenerationGroup();
    QGroupBox* buildCountsGroup();
    QWidget* buildSuffixEditor(QWidget* parent);
    QGroupBox* buildExportGroup();
    void buildJobStatus();
    void connectController();
    void connectWorker();

    void onProjectChanged(const diffii::ui::ProjectInfo& info);
    void onSyntheticChanged(const QList<diffii::ui::SyntheticItem>& items);
    void showCounts(int generated, int accepted, int rejected, int pending);
    void onProgress(const diffii::ui::JobProgress& progress);
    void onFinished(const QString& job, const QString& summary);
    void onFailed(const QString& job, const QString& message);
    void updateEnabled();
    void browse();
    void openFolder();
    void updatePlanned();          // the planned count of the form's expansion rate
    QStringList suffixes() const;  // the editor's list, trimmed, without empty or repeated lines
    void saveSuffixes();

    diffii::WorkflowSettings m_settings;  // the project's settings as last read or saved here
    QString m_projectDir;
    bool m_busy = false;

    QDoubleSpinBox* m_expansion = nullptr;
    QSpinBox* m_steps = nullptr;
    QDoubleSpinBox* m_guidance = nullptr;
    QDoubleSpinBox* m_split = nullptr;
    QLineEdit* m_negative = nullptr;
    QPushButton* m_generate = nullptr;
    QLabel* m_planned = nullptr;  // property plannedCount: the number shown
    QListWidget* m_suffixes = nullptr;
    QPushButton* m_addSuffix = nullptr;
    QPushButton* m_removeSuffix = nullptr;
    QStringList m_savedSuffixes;  // the project's list as last read or saved
    bool m_loadingSuffixes = false;
    QString m_projectDirBefore;
    QList<ClassInfo> m_classes;

    QLabel* m_generated = nullptr;
    QLabel* m_accepted = nullptr;
    QLabel* m_rejected = nullptr;
    QLabel* m_pending = nullptr;
    QLabel* m_countsSummary = nullptr;

    QLineEdit* m_dir = nullptr;
    QPushButton* m_browse = nullptr;
    QPushButton* m_export = nullptr;
    QPushButton* m_open = nullptr;

    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
};

}  // namespace diffii::ui
