// "Run on Slurm" on the Export page: the synthetic set's generation submitted to a Slurm cluster as a job array
// (shards, partition, time limit, further sbatch arguments), the latest run's shards with their states, refreshed
// while any is pending or running, and the resubmission of the incomplete ones. The same engine calls as
// `diffii slurm submit|status|resume` (core/jobs/slurm.h through the session), on the worker thread.
#pragma once

#include <QGroupBox>

#include "core/jobs/slurm.h"

class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTimer;

namespace diffii::ui {

class StudioController;

class SlurmPanel : public QGroupBox {
    Q_OBJECT

public:
    explicit SlurmPanel(StudioController* controller, QWidget* parent = nullptr);

    // The form as sbatch options; throws diffii::Error for extra arguments that do not parse.
    diffii::SlurmSubmitOptions formOptions() const;
    void submit();
    void resume();
    void refresh();  // asks the worker for the run's state

private:
    void onRunChanged(const diffii::SlurmRunStatus& status, const QString& error);
    void updateEnabled();

    StudioController* m_controller;
    bool m_busy = false;
    bool m_hasRun = false;
    bool m_canResume = false;
    QSpinBox* m_shards = nullptr;
    QLineEdit* m_partition = nullptr;
    QLineEdit* m_time = nullptr;
    QLineEdit* m_extra = nullptr;
    QPushButton* m_submit = nullptr;
    QPushButton* m_resume = nullptr;
    QPushButton* m_refresh = nullptr;
    QLabel* m_summary = nullptr;
    QTableWidget* m_table = nullptr;
    QTimer* m_poll = nullptr;  // runs while a shard is pending or running
};

}  // namespace diffii::ui
