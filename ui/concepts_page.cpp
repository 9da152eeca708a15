#include "ui/concepts_page.h"

#include <algorithm>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "core/jobs/precision.h"
#include "ui/fit_widgets.h"
#include "ui/lightbox.h"
#include "ui/main_window.h"
#include "ui/qcustomplot_compat.h"

namespace diffii::ui {

namespace {

QSpinBox* spinBox(QWidget* parent, const char* name, int min, int max, const QString& tip) {
    auto* s = new QSpinBox(parent);
    s->setObjectName(QLatin1String(name));
    s->setRange(min, max);
    s->setToolTip(tip);
    s->setAccelerated(true);
    return s;
}

QDoubleSpinBox* rateBox(QWidget* parent, const char* name, const QString& tip) {
    auto* s = new QDoubleSpinBox(parent);
    s->setObjectName(QLatin1String(name));
    s->setDecimals(6);
    s->setRange(0.0, 1.0);
    s->setSingleStep(1e-4);
    s->setToolTip(tip);
    return s;
}
}  // namespace

ConceptsPage::ConceptsPage(StudioController* controller, QWidget* parent) : StudioPage(controller, parent) {
    auto* layout = new QHBoxLayout(this);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    layout->addWidget(splitter);

    QWidget* left = buildControlsPanel(splitter);
    QWidget* right = buildResultsPanel(splitter);
    // The settings scroll in a short window and keep their width; the results take the rest.
    auto* leftPanel = new ScrollPanel(left, splitter);
    leftPanel->setObjectName(QStringLiteral("conceptsControls"));
    splitter->addWidget(leftPanel);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);

    connectButtons();
    connectController();
    connectWorker();

    if (controller->hasProject()) onProjectChanged(controller->project());
    updateButtons();
    updateConceptsTable();
}

// Left: settings and the controls.
QWidget* ConceptsPage::buildControlsPanel(QWidget* parent) {
    auto* left = new QWidget(parent);
    auto* lv = new QVBoxLayout(left);
    lv->setContentsMargins(0, 0, 0, 0);
    auto* intro = new QLabel(tr("Concept learning teaches the model each class: a few placeholder tokens per class "
                                "(textual inversion) and one LoRA shared by all classes are trained on the training "
                                "subset, so that \"a photo of a <tokens> <metaclass>\" draws that class."),
                             left);
    intro->setWordWrap(true);
    lv->addWidget(intro);

    lv->addWidget(buildSettingsGroup(left));
    lv->addLayout(buildButtonRow(left));
    lv->addLayout(buildProgressRow(left));
    m_state = new QLabel(left);
    m_state->setObjectName(QStringLiteral("conceptsState"));
    m_state->setWordWrap(true);
    lv->addWidget(m_state);
    lv->addStretch();
    return left;
}

QGroupBox* ConceptsPage::buildSettingsGroup(QWidget* parent) {
    auto* settingsBox = new QGroupBox(tr("Training settings"), parent);
    auto* form = new QFormLayout(settingsBox);
    m_steps = spinBox(settingsBox, "conceptsSteps", 1, 1000000,
                      tr("Optimizer steps of the whole run (max_steps); a paused run resumes toward this number"));
    form->addRow(tr("&Steps"), m_steps);
    m_rank = spinBox(settingsBox, "conceptsRank", 1, 512,
                     tr("Rank of the LoRA adapters in the UNet's attention layers: higher learns more detail, "
                        "with more parameters"));
    form->addRow(tr("LoRA &rank"), m_rank);
    m_embeddingLr = rateBox(settingsBox, "conceptsEmbeddingLr",
                            tr("Learning rate of the placeholder token embeddings (textual inversion)"));
    form->addRow(tr("&Embedding learning rate"), m_embeddingLr);
    m_loraLr = rateBox(settingsBox, "conceptsLoraLr", tr("Learning rate of the shared LoRA weights"));
    form->addRow(tr("&LoRA learning rate"), m_loraLr);
    m_batch = spinBox(settingsBox, "conceptsBatch", 1, 256, tr("Images per micro-batch"));
    form->addRow(tr("&Batch size"), m_batch);
    m_accumulation = spinBox(settingsBox, "conceptsAccumulation", 1, 256,
                             tr("Micro-batches summed into one optimizer step: a larger effective batch without "
                                "more memory"));
    form->addRow(tr("Gradient &accumulation"), m_accumulation);
    m_checkpointEvery = spinBox(settingsBox, "conceptsCheckpointEvery", 0, 1000000,
                                tr("Save a resumable checkpoint every N steps (0: only when paused and at the end)"));
    m_checkpointEvery->setSpecialValueText(tr("pause and end only"));
    form->addRow(tr("&Checkpoint every"), m_checkpointEvery);
    m_tokensPerClass = spinBox(settingsBox, "conceptsTokensPerClass", 1, 16,
                               tr("Placeholder tokens learned for each class; more tokens can hold more detail"));
    form->addRow(tr("&Tokens per class"), m_tokensPerClass);
    m_initWord = new QLineEdit(settingsBox);
    m_initWord->setObjectName(QStringLiteral("conceptsInitWord"));
    m_initWord->setToolTip(tr("The word whose embedding starts every class token; empty: the metaclass"));
    form->addRow(tr("&Init word"), m_initWord);
    m_precision = new QComboBox(settingsBox);
    m_precision->setObjectName(QStringLiteral("conceptsPrecision"));
    m_precision->addItem(tr("Auto (follows the CPU)"), QStringLiteral("auto"));
    m_precision->addItem(tr("float32"), QStringLiteral("float32"));
    m_precision->addItem(tr("bfloat16"), QStringLiteral("bfloat16"));
    setPrecisionToolTip();
    form->addRow(tr("&Precision"), m_precision);
    m_seed = spinBox(settingsBox, "conceptsSeed", 0, 1 << 30,
                     tr("Seed of the noise, timesteps and image order: the same seed and settings train the same "
                        "concepts"));
    form->addRow(tr("S&eed"), m_seed);
    return settingsBox;
}

QHBoxLayout* ConceptsPage::buildButtonRow(QWidget* parent) {
    auto* buttons = new QHBoxLayout;
    m_start = new QPushButton(tr("&Start"), parent);
    m_start->setObjectName(QStringLiteral("conceptsStart"));
    m_start->setToolTip(tr("Save the settings and train; a paused run continues from its last checkpoint"));
    m_pause = new QPushButton(tr("&Pause"), parent);
    m_pause->setObjectName(QStringLiteral("conceptsPause"));
    m_pause->setToolTip(tr("Stop after the current step and write a checkpoint; Start resumes from it (Esc)"));
    m_restart = new QPushButton(tr("&Restart"), parent);
    m_restart->setObjectName(QStringLiteral("conceptsRestart"));
    m_restart->setToolTip(tr("Discard the checkpoint and train from step 0"));
    buttons->addWidget(m_start);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_restart);
    return buttons;
}

QHBoxLayout* ConceptsPage::buildProgressRow(QWidget* parent) {
    auto* progressRow = new QHBoxLayout;
    m_progress = new QProgressBar(parent);
    m_progress->setObjectName(QStringLiteral("conceptsProgress"));
    m_progress->setValue(0);
    m_progress->setFormat(tr("step %1 / %2").arg(0).arg(0));
    m_eta = new QLabel(parent);
    m_eta->setObjectName(QStringLiteral("conceptsEta"));
    m_eta->setMinimumWidth(110);
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_eta);
    return progressRow;
}

// Right: the loss curve and the learned tokens.
QWidget* ConceptsPage::buildResultsPanel(QWidget* parent) {
    auto* right = new QSplitter(Qt::Vertical, parent);
    right->addWidget(buildLossPlot(right));
    right->addWidget(buildSamplesList(right));
    right->addWidget(buildConceptsGroup(right));
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);

    right->setMinimumWidth(240);
    return right;
}

QCustomPlot* ConceptsPage::buildLossPlot(QWidget* parent) {
    m_plot = new QCustomPlot(parent);
    m_plot->setObjectName(QStringLiteral("lossPlot"));
    m_plot->setMinimumHeight(120);
    m_plot->setToolTip(
        tr("Denoising loss per optimizer step (thin) and its exponential moving average (thick). "
           "The raw loss is noisy by nature: watch the average."));
    m_plot->addGraph();
    m_plot->graph(0)->setName(tr("loss"));
    m_plot->graph(0)->setPen(QPen(QColor(120, 160, 220, 140), 1));
    m_plot->addGraph();
    m_plot->graph(1)->setName(tr("smoothed"));
    m_plot->graph(1)->setPen(QPen(QColor(200, 60, 40), 2));
    // Steps are whole numbers: ticks at 1, 2, 5, 10, ... × 10^n, never between two steps.
    QSharedPointer<QCPAxisTickerFixed> stepTicker(new QCPAxisTickerFixed);
    stepTicker->setTickStep(1.0);
    stepTicker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_plot->xAxis->setTicker(stepTicker);
    m_plot->xAxis->setLabel(tr("step"));
    m_plot->yAxis->setLabel(tr("loss"));
    m_plot->legend->setVisible(true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    return m_plot;
}

QListWidget* ConceptsPage::buildSamplesList(QWidget* parent) {
    m_samples = new QListWidget(parent);
    m_samples->setObjectName(QStringLiteral("conceptSamples"));
    m_samples->setViewMode(QListView::IconMode);
    m_samples->setFlow(QListView::LeftToRight);
    m_samples->setWrapping(false);
    m_samples->setIconSize(QSize(96, 96));
    m_samples->setFixedHeight(140);
    installLightbox(m_samples, lightboxFromRoles());
    m_samples->setToolTip(
        tr("Samples rendered while training: seeded noise denoised with each class prompt as "
           "learned so far (one class per sample, in turn)"));
    return m_samples;
}

QGroupBox* ConceptsPage::buildConceptsGroup(QWidget* parent) {
    auto* conceptsBox = new QGroupBox(tr("Learned concepts"), parent);
    auto* cv = new QVBoxLayout(conceptsBox);
    m_concepts = new QTableWidget(0, 2, conceptsBox);
    m_concepts->setObjectName(QStringLiteral("conceptsTable"));
    m_concepts->setHorizontalHeaderLabels({tr("Class"), tr("Tokens")});
    m_concepts->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_concepts->verticalHeader()->setVisible(false);
    m_concepts->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_concepts->setToolTip(tr("The placeholder tokens that stand for each class in the prompts"));
    cv->addWidget(m_concepts);
    return conceptsBox;
}

void ConceptsPage::connectButtons() {
    connect(m_start, &QPushButton::clicked, this, [this] { startTraining(true); });
    connect(m_restart, &QPushButton::clicked, this, [this] {
        if (m_project.hasConcepts || m_paused) {
            const auto answer =
                QMessageBox::question(this, tr("Restart concept learning"),
                                      tr("Discard the trained concepts and checkpoints and train from step 0?"));
            if (answer != QMessageBox::Yes) return;
        }
        startTraining(false);
    });
    connect(m_pause, &QPushButton::clicked, controller(), &StudioController::cancel);
    // M of "step N / M" is the planned number of steps, the spin box's (the run's own while it trains).
    connect(m_steps, &QSpinBox::valueChanged, this, [this](int planned) {
        if (!m_training) setStepCounter(m_trainedSteps, planned);
    });
}

void ConceptsPage::connectController() {
    connect(controller(), &StudioController::projectChanged, this, &ConceptsPage::onProjectChanged);
    connect(controller(), &StudioController::busyChanged, this, [this](bool busy, const QString& job) {
        if (job == jobs::kConcepts) m_training = busy;
        updateButtons();
    });
}

void ConceptsPage::connectWorker() {
    auto* w = worker();
    connect(w, &EngineWorker::lossPoint, this, &ConceptsPage::onLossPoint);
    connect(w, &EngineWorker::conceptSample, this, &ConceptsPage::onConceptSample);
    connect(w, &EngineWorker::progress, this, &ConceptsPage::onProgress);
    connect(w, &EngineWorker::jobFinished, this, [this](const QString& job, const QString& summary) {
        if (job != jobs::kConcepts) return;
        m_paused = false;
        m_eta->clear();
        m_trainedSteps = std::max<qint64>(m_trainedSteps, m_project.conceptHistory.trainedSteps);
        setStepCounter(m_trainedSteps, m_steps->value());
        m_state->setText(tr("Finished: %1").arg(summary));
        updateConceptsTable();
        updateButtons();
    });
    connect(w, &EngineWorker::jobCancelled, this, [this](const QString& job) {
        if (job != jobs::kConcepts) return;
        m_paused = true;
        m_eta->clear();
        // The worker sent the project's state (the checkpoint's step) just before.
        m_trainedSteps = std::max<qint64>(m_trainedSteps, m_project.conceptHistory.trainedSteps);
        setStepCounter(m_trainedSteps, m_steps->value());
        m_state->setText(idleStateText());
        updateConceptsTable();
        updateButtons();
    });
    connect(w, &EngineWorker::jobFailed, this, [this](const QString& job, const QString& message) {
        if (job != jobs::kConcepts) return;
        m_eta->clear();
        m_state->setText(tr("Failed: %1").arg(message));
        updateButtons();
    });
}

void ConceptsPage::loadSettings(const diffii::WorkflowSettings& settings) {
    const auto& c = settings.concepts;
    m_steps->setValue(static_cast<int>(c.maxSteps));
    m_rank->setValue(static_cast<int>(c.loraRank));
    m_embeddingLr->setValue(c.embeddingLr);
    m_loraLr->setValue(c.loraLr);
    m_batch->setValue(c.batchSize);
    m_accumulation->setValue(c.gradAccumulation);
    m_checkpointEvery->setValue(static_cast<int>(c.checkpointEvery));
    m_tokensPerClass->setValue(c.tokensPerClass);
    m_initWord->setText(QString::fromStdString(c.initWord));
    m_precision->setCurrentIndex(
        std::max(0, m_precision->findData(QString::fromStdString(diffii::precisionName(settings.conceptsPrecision)))));
    m_seed->setValue(static_cast<int>(c.seed));
}

diffii::WorkflowSettings ConceptsPage::formSettings() const {
    diffii::WorkflowSettings settings = controller()->project().workflow;
    auto& c = settings.concepts;
    c.maxSteps = m_steps->value();
    c.loraRank = m_rank->value();
    c.embeddingLr = m_embeddingLr->value();
    c.loraLr = m_loraLr->value();
    c.batchSize = m_batch->value();
    c.gradAccumulation = m_accumulation->value();
    c.checkpointEvery = m_checkpointEvery->value();
    c.tokensPerClass = m_tokensPerClass->value();
    c.initWord = m_initWord->text().trimmed().toStdString();
    settings.conceptsPrecision =
        diffii::parsePrecision(m_precision->currentData().toString().toStdString(), "concepts precision");
    c.seed = static_cast<uint64_t>(m_seed->value());
    return settings;
}

QJsonObject ConceptsPage::mergedSettings() const { return settingsJson(formSettings()); }

void ConceptsPage::onProjectChanged(const ProjectInfo& info) {
    const bool otherProject = info.dir != m_project.dir;
    m_project = info;
    // Reload the form only when the saved settings differ from the form's (a project opened, or another page
    // saved): edits not yet saved survive a split change or a pool build.
    if (otherProject || info.workflow.concepts.toJson() != m_settings.concepts.toJson() ||
        info.workflow.conceptsPrecision != m_settings.conceptsPrecision)
        loadSettings(info.workflow);
    m_settings = info.workflow;
    if (otherProject) {
        // What the project recorded: a run stopped before its planned steps is paused (Start resumes it).
        const auto& h = info.conceptHistory;
        m_trainedSteps = h.trainedSteps;
        m_paused = h.trainedSteps > 0 && !h.finished;
        showHistory(h);
        setStepCounter(m_trainedSteps, m_steps->value());
        m_state->clear();
    }
    if (m_state->text().isEmpty() || otherProject) m_state->setText(idleStateText());
    updateConceptsTable();
    updateButtons();
}

void ConceptsPage::updateButtons() {
    const bool project = !m_project.dir.isEmpty();
    const bool busy = controller()->busy();
    m_start->setEnabled(project && !busy);
    m_restart->setEnabled(project && !busy);
    m_pause->setEnabled(m_training && controller()->runningJob() == jobs::kConcepts);
    m_start->setText(m_paused ? tr("Re&sume") : tr("&Start"));
    for (QWidget* w :
         std::initializer_list<QWidget*>{m_steps, m_rank, m_embeddingLr, m_loraLr, m_batch, m_accumulation,
                                         m_checkpointEvery, m_tokensPerClass, m_initWord, m_precision, m_seed})
        w->setEnabled(project && !m_training);
}

void ConceptsPage::startTraining(bool resume) {
    if (m_project.dir.isEmpty()) return;
    const diffii::WorkflowSettings settings = formSettings();
    m_settings = settings;
    if (!resume) {
        m_paused = false;
        clearPlot();
    }
    if (!resume) m_trainedSteps = 0;
    setStepCounter(m_trainedSteps, m_steps->value());
    m_state->setText(resume && m_paused ? tr("Resuming...") : tr("Starting..."));
    // One queued call: the settings are on disk before the job reads them.
    controller()->post([settings, resume](EngineWorker* w) {
        w->saveSettings(settings);
        w->trainConcepts(resume);
    });
}

void ConceptsPage::onLossPoint(qint64 step, double loss, double smoothed) {
    const double key = static_cast<double>(step);
    // A resumed run restarts from its checkpoint, which may lie before the last plotted step.
    QCPGraph* raw = m_plot->graph(0);
    QCPGraph* avg = m_plot->graph(1);
    if (!raw->data()->isEmpty() && (raw->data()->constEnd() - 1)->key >= key) {
        raw->data()->removeAfter(key - 0.5);
        avg->data()->removeAfter(key - 0.5);
    }
    raw->addData(key, loss);
    avg->addData(key, smoothed);
    m_plot->rescaleAxes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ConceptsPage::onProgress(const JobProgress& p) {
    if (p.job != jobs::kConcepts) return;
    if (p.total > 0) {
        m_trainedSteps = p.done;
        setStepCounter(p.done, p.total);
    }
    m_eta->setText(p.etaSeconds >= 0 ? tr("ETA %1").arg(formatEta(p.etaSeconds)) : QString());
    if (!p.detail.isEmpty()) m_state->setText(p.detail);
}

void ConceptsPage::updateConceptsTable() {
    m_concepts->setRowCount(0);
    // A paused (or running) run's tokens come from its checkpoint: the rows stay while it is not finished.
    const auto& inTraining = m_project.conceptHistory.tokensPerClass;
    if (!m_project.hasConcepts && inTraining.empty()) {
        m_concepts->setEnabled(false);
        return;
    }
    m_concepts->setEnabled(true);
    m_concepts->setRowCount(static_cast<int>(m_project.classes.size()));
    for (int r = 0; r < m_project.classes.size(); ++r) {
        const ClassInfo& c = m_project.classes[r];
        m_concepts->setItem(r, 0, new QTableWidgetItem(c.name));
        QStringList list = c.tokens;
        bool partial = false;
        if (list.isEmpty()) {
            const auto it = inTraining.find(c.name.toStdString());
            if (it != inTraining.end()) {
                for (const auto& t : it->second) list << QString::fromStdString(t);
                partial = !list.isEmpty();
            }
        }
        QString tokens = list.join(QLatin1Char(' '));
        if (tokens.isEmpty()) tokens = c.trainImages.isEmpty() ? tr("(no training images)") : tr("trained");
        auto* item =
            new QTableWidgetItem(partial ? tr("%1 (training: step %2)").arg(tokens).arg(m_trainedSteps) : tokens);
        if (partial) item->setToolTip(tr("Tokens of the unfinished run; Resume trains them to the planned steps"));
        m_concepts->setItem(r, 1, item);
    }
}

void ConceptsPage::showHistory(const diffii::ConceptHistory& history) {
    clearPlot();
    QCPGraph* raw = m_plot->graph(0);
    QCPGraph* avg = m_plot->graph(1);
    for (const auto& p : history.loss) {
        raw->addData(static_cast<double>(p.step), p.loss);
        avg->addData(static_cast<double>(p.step), p.smoothed);
    }
    if (!history.loss.empty()) m_plot->rescaleAxes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    for (const auto& sample : history.samples) {
        const QImage image(QString::fromStdString(sample.file));
        if (!image.isNull()) onConceptSample(sample.step, QString::fromStdString(sample.className), image);
    }
}

void ConceptsPage::setStepCounter(qint64 trained, qint64 planned) {
    // The bar cannot show a value above its maximum (more steps trained than now planned): the text says both.
    m_progress->setMaximum(static_cast<int>(std::max<qint64>({1, trained, planned})));
    m_progress->setValue(static_cast<int>(trained));
    m_progress->setFormat(tr("step %1 / %2").arg(trained).arg(planned));
}

QString ConceptsPage::idleStateText() const {
    if (m_paused)
        return tr("Paused at step %1 of %2; Resume continues from the checkpoint")
            .arg(m_trainedSteps)
            .arg(m_steps->value());
    if (m_project.hasConcepts)
        return tr("Concepts are trained (%1 steps); Start continues to more steps if you raise Steps, Restart "
                  "trains again from scratch")
            .arg(m_trainedSteps);
    return tr("Not trained yet");
}

void ConceptsPage::clearPlot() {
    m_plot->graph(0)->data()->clear();
    m_plot->graph(1)->data()->clear();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    m_samples->clear();
}

void ConceptsPage::onConceptSample(qint64 step, const QString& className, const QImage& image) {
    // Small images are scaled by whole factors without smoothing so that 32x32 samples stay crisp.
    const int factor = std::max(1, 96 / std::max(1, image.width()));
    const QPixmap pixmap = QPixmap::fromImage(
        image.scaled(image.width() * factor, image.height() * factor, Qt::KeepAspectRatio, Qt::FastTransformation));
    auto* item = new QListWidgetItem(QIcon(pixmap), QStringLiteral("%1 · %2").arg(step).arg(className));
    item->setData(kLightboxImageRole, image);
    m_samples->addItem(item);
    m_samples->scrollToItem(item);
}

// A template with the CPU's answer filled in: retranslate() makes it again.
void ConceptsPage::setPrecisionToolTip() {
    m_precision->setToolTip(
        tr("Auto trains a full-size model in bfloat16 where the CPU has it natively and it is faster than float32, "
           "otherwise in float32; the trained weights stay float32 either way. On this CPU: %1")
            .arg(QString::fromStdString(diffii::cpuFeatures().bf16Reason)));
}

void ConceptsPage::retranslate() {
    setPrecisionToolTip();
    if (!m_training) m_state->setText(idleStateText());
    setStepCounter(m_progress->value(), m_steps->value());
    updateConceptsTable();
    updateButtons();
}

}  // namespace diffii::ui
