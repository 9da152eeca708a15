#include "ui/slurm_panel.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "core/io/error.h"
#include "ui/studio_controller.h"

namespace diffii::ui {

namespace {

QString stateText(diffii::ShardState state) {
    switch (state) {
        case diffii::ShardState::Pending:
            return SlurmPanel::tr("pending");
        case diffii::ShardState::Running:
            return SlurmPanel::tr("running");
        case diffii::ShardState::Done:
            return SlurmPanel::tr("done");
        case diffii::ShardState::Failed:
            return SlurmPanel::tr("failed");
        case diffii::ShardState::Cancelled:
            return SlurmPanel::tr("cancelled");
    }
    return QString();
}

}  // namespace

SlurmPanel::SlurmPanel(StudioController* controller, QWidget* parent)
    : QGroupBox(tr("Run on Slurm"), parent), m_controller(controller) {
    setObjectName(QStringLiteral("slurmGroup"));
    auto* layout = new QVBoxLayout(this);
    auto* note = new QLabel(tr("Generate the set on a Slurm cluster: one shard per task of a job array, each "
                               "resuming from its last image. The job script, the records and the logs are kept "
                               "in the project under runs/slurm."),
                            this);
    note->setWordWrap(true);
    layout->addWidget(note);
    auto* form = new QFormLayout();
    m_shards = new QSpinBox(this);
    m_shards->setObjectName(QStringLiteral("slurmShards"));
    m_shards->setRange(1, 10000);
    m_shards->setValue(4);
    form->addRow(tr("S&hards:"), m_shards);
    m_partition = new QLineEdit(this);
    m_partition->setObjectName(QStringLiteral("slurmPartition"));
    m_partition->setPlaceholderText(tr("the cluster's default"));
    form->addRow(tr("&Partition:"), m_partition);
    m_time = new QLineEdit(this);
    m_time->setObjectName(QStringLiteral("slurmTime"));
    m_time->setPlaceholderText(tr("e.g. 2:00:00"));
    form->addRow(tr("&Time limit:"), m_time);
    m_extra = new QLineEdit(this);
    m_extra->setObjectName(QStringLiteral("slurmExtraArgs"));
    m_extra->setPlaceholderText(tr("further sbatch arguments, e.g. --gres=gpu:1 --account=lab"));
    form->addRow(tr("E&xtra arguments:"), m_extra);
    layout->addLayout(form);
    auto* buttons = new QHBoxLayout();
    m_submit = new QPushButton(tr("&Submit"), this);
    m_submit->setObjectName(QStringLiteral("slurmSubmit"));
    m_resume = new QPushButton(tr("&Resume incomplete shards"), this);
    m_resume->setObjectName(QStringLiteral("slurmResume"));
    m_refresh = new QPushButton(tr("Re&fresh"), this);
    m_refresh->setObjectName(QStringLiteral("slurmRefresh"));
    buttons->addWidget(m_submit);
    buttons->addWidget(m_resume);
    buttons->addWidget(m_refresh);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    m_summary = new QLabel(tr("No Slurm run yet."), this);
    m_summary->setObjectName(QStringLiteral("slurmSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);
    m_table = new QTableWidget(0, 5, this);
    m_table->setObjectName(QStringLiteral("slurmShardTable"));
    m_table->setHorizontalHeaderLabels({tr("Shard"), tr("State"), tr("Images"), tr("Exit code"), tr("Task")});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->setVisible(false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setMinimumHeight(80);
    m_table->setMaximumHeight(180);
    layout->addWidget(m_table);
    m_poll = new QTimer(this);
    m_poll->setInterval(2000);

    connect(m_submit, &QPushButton::clicked, this, &SlurmPanel::submit);
    connect(m_resume, &QPushButton::clicked, this, &SlurmPanel::resume);
    connect(m_refresh, &QPushButton::clicked, this, &SlurmPanel::refresh);
    connect(m_poll, &QTimer::timeout, this, &SlurmPanel::refresh);
    connect(m_controller->worker(), &EngineWorker::slurmRunChanged, this, &SlurmPanel::onRunChanged);
    connect(m_controller->worker(), &EngineWorker::jobFailed, this, [this](const QString& job, const QString& message) {
        if (job == jobs::kSlurm) m_summary->setText(tr("Slurm: %1").arg(message));
    });
    connect(m_controller, &StudioController::busyChanged, this, [this](bool busy, const QString&) {
        m_busy = busy;
        updateEnabled();
    });
    connect(m_controller, &StudioController::projectChanged, this, [this](const ProjectInfo&) {
        m_hasRun = false;
        m_canResume = false;
        m_table->setRowCount(0);
        m_summary->setText(tr("No Slurm run yet."));
        refresh();
    });
    if (m_controller->hasProject()) refresh();
    updateEnabled();
}

diffii::SlurmSubmitOptions SlurmPanel::formOptions() const {
    diffii::SlurmSubmitOptions o;
    o.shards = m_shards->value();
    o.partition = m_partition->text().trimmed().toStdString();
    o.time = m_time->text().trimmed().toStdString();
    const QString extra = m_extra->text().trimmed();
    const QStringList args = QProcess::splitCommand(extra);
    if (!extra.isEmpty() && args.isEmpty())
        throw diffii::Error("extra sbatch arguments '" + extra.toStdString() + "': unbalanced quotes");
    for (const auto& a : args) o.extraArgs.push_back(a.toStdString());
    return o;
}

void SlurmPanel::submit() {
    if (!m_controller->hasProject()) return;
    diffii::SlurmSubmitOptions options;
    try {
        options = formOptions();
    } catch (const diffii::Error& e) {
        m_summary->setText(tr("Slurm: %1").arg(QString::fromUtf8(e.what())));
        return;
    }
    m_summary->setText(tr("Submitting %n shard(s)...", nullptr, options.shards));
    m_controller->post([options](EngineWorker* w) { w->slurmSubmit(options); });
}

void SlurmPanel::resume() {
    if (!m_controller->hasProject()) return;
    m_summary->setText(tr("Resubmitting the incomplete shards..."));
    m_controller->post([](EngineWorker* w) { w->slurmResume(); });
}

void SlurmPanel::refresh() {
    if (!m_controller->hasProject()) return;
    m_controller->post([](EngineWorker* w) { w->slurmStatus(); });
}

void SlurmPanel::onRunChanged(const diffii::SlurmRunStatus& status, const QString& error) {
    if (!error.isEmpty()) {
        m_summary->setText(tr("Slurm: %1").arg(error));
        m_poll->stop();
        return;
    }
    m_hasRun = !status.runId.empty();
    m_canResume = m_hasRun && !status.incomplete().empty();
    if (!m_hasRun) {
        m_table->setRowCount(0);
        m_summary->setText(tr("No Slurm run yet."));
        m_poll->stop();
        updateEnabled();
        return;
    }
    int done = 0;
    m_table->setRowCount(static_cast<int>(status.shardStates.size()));
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const auto& s = status.shardStates[static_cast<size_t>(row)];
        done += s.state == diffii::ShardState::Done ? 1 : 0;
        const QStringList cells = {QString::number(s.shard), stateText(s.state),
                                   tr("%1 of %2").arg(s.done).arg(s.planned), QString::fromStdString(s.exitCode),
                                   QString::fromStdString(s.jobId)};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c == 1) item->setData(Qt::UserRole, QString::fromLatin1(diffii::shardStateName(s.state)));
            if (!s.detail.empty()) item->setToolTip(QString::fromStdString(s.detail));
            m_table->setItem(row, c, item);
        }
    }
    m_summary->setText(tr("Run %1 (jobs %2): %3 of %4 shards done.")
                           .arg(QString::fromStdString(status.runId))
                           .arg([&] {
                               QStringList ids;
                               for (const auto& id : status.jobIds) ids << QString::fromStdString(id);
                               return ids.join(QStringLiteral(", "));
                           }())
                           .arg(done)
                           .arg(status.shards));
    if (status.finished())
        m_poll->stop();
    else if (!m_poll->isActive())
        m_poll->start();
    updateEnabled();
}

void SlurmPanel::updateEnabled() {
    const bool project = m_controller->hasProject();
    m_submit->setEnabled(project && !m_busy);
    m_resume->setEnabled(project && !m_busy && m_canResume);
    m_refresh->setEnabled(project);
}

}  // namespace diffii::ui
