#pragma once

#include <QJsonObject>

#include "ui/studio_page.h"

class QComboBox;
class QCustomPlot;
class QDoubleSpinBox;
class QGroupBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

class QListWidget;

namespace diffii::ui {

// Step 2: concept learning. The settings of settings.concepts, Start/Resume, Pause (the job checkpoints and Start
// resumes from there) and Restart, the progress with its ETA, a live loss curve (raw and smoothed) and the tokens
// learned per class.
class ConceptsPage : public StudioPage {
    Q_OBJECT

public:
    explicit ConceptsPage(StudioController* controller, QWidget* parent = nullptr);
    QString title() const override { return tr("Concepts"); }

    // project.json "settings" with this page's edits merged into settings.concepts (other keys are kept).
    diffii::WorkflowSettings formSettings() const;  // the saved settings with this page's fields from the form
    QJsonObject mergedSettings() const;             // the same as project.json's "settings" object

protected:
    void retranslate() override;

private:
    void setPrecisionToolTip();
    // Construction helpers, called once from the constructor: each builds one visual group or wires one set of
    // signals.
    QWidget* buildControlsPanel(QWidget* parent);
    QGroupBox* buildSettingsGroup(QWidget* parent);
    QHBoxLayout* buildButtonRow(QWidget* parent);
    QHBoxLayout* buildProgressRow(QWidget* parent);
    QWidget* buildResultsPanel(QWidget* parent);
    QCustomPlot* buildLossPlot(QWidget* parent);
    QListWidget* buildSamplesList(QWidget* parent);
    QGroupBox* buildConceptsGroup(QWidget* parent);
    void connectButtons();
    void connectController();
    void connectWorker();

    void onProjectChanged(const diffii::ui::ProjectInfo& info);
    void loadSettings(const diffii::WorkflowSettings& settings);
    void updateButtons();
    void startTraining(bool resume);
    void onLossPoint(qint64 step, double loss, double smoothed);
    void onProgress(const diffii::ui::JobProgress& p);
    void updateConceptsTable();
    void clearPlot();
    void onConceptSample(qint64 step, const QString& className, const QImage& image);
    // The project's recorded history (concepts/: loss log, samples) into the plot and the samples list.
    void showHistory(const diffii::ConceptHistory& history);
    // "step N / M": N steps trained, M planned (the Steps spin box).
    void setStepCounter(qint64 trained, qint64 planned);
    QString idleStateText() const;  // what the state label says of the project's concepts when no job runs

    QSpinBox* m_steps = nullptr;
    QSpinBox* m_rank = nullptr;
    QDoubleSpinBox* m_embeddingLr = nullptr;
    QDoubleSpinBox* m_loraLr = nullptr;
    QSpinBox* m_batch = nullptr;
    QSpinBox* m_accumulation = nullptr;
    QSpinBox* m_checkpointEvery = nullptr;
    QSpinBox* m_tokensPerClass = nullptr;
    QLineEdit* m_initWord = nullptr;
    QComboBox* m_precision = nullptr;
    QSpinBox* m_seed = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_pause = nullptr;
    QPushButton* m_restart = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_eta = nullptr;
    QLabel* m_state = nullptr;
    QCustomPlot* m_plot = nullptr;
    QTableWidget* m_concepts = nullptr;
    QListWidget* m_samples = nullptr;  // sample images rendered during training

    ProjectInfo m_project;
    diffii::WorkflowSettings m_settings;  // the last settings known saved (project.json, then this page's saves)
    bool m_paused = false;                // a run of this session was paused: Start resumes it
    bool m_training = false;
    qint64 m_trainedSteps = 0;  // steps trained so far (the checkpoint's, or the last reported)
};

}  // namespace diffii::ui
