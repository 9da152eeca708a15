#include "ui/evaluate_page.h"

#include <QCheckBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include "ui/fit_widgets.h"

#include "ui/engine_worker.h"
#include "ui/main_window.h"
#include "ui/qcustomplot_compat.h"

namespace diffii::ui {

namespace {

// The strategies of the comparison: engine name, label (method names stay as the papers spell them).
struct StrategyLabel {
    const char* name;
    const char* label;
    bool checked;
};

}  // namespace

EvaluatePage::EvaluatePage(StudioController* controller, QWidget* parent) : StudioPage(controller, parent) {
    auto* layout = new QHBoxLayout(this);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    // The controls scroll in a short window; the table and the plots share the rest (a splitter between them).
    auto* controls = new ScrollPanel(buildControls(), splitter);
    controls->setObjectName(QStringLiteral("evaluateControls"));
    splitter->addWidget(controls);
    splitter->addWidget(buildResults());
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter);
    connectWorker();
    connect(controller, &StudioController::busyChanged, this, &EvaluatePage::updateEnabled);
    connect(controller, &StudioController::projectChanged, this, [this](const ProjectInfo& info) {
        // Another project: the last one's results leave the page (Save plots wrote them into its folder).
        if (info.dir != m_projectDir) {
            m_projectDir = info.dir;
            if (!m_rows.isEmpty()) showResults({}, {}, QString());
            if (!m_running) {
                m_progress->setRange(0, 1);
                m_progress->setValue(0);
                m_status->setText(tr("Choose strategies and run."));
            }
        }
        updateEnabled();
    });
    updateEnabled();
}

QWidget* EvaluatePage::buildControls() {
    auto* panel = new QWidget(this);
    auto* v = new QVBoxLayout(panel);
    auto* box = new QGroupBox(tr("Strategies"), panel);
    box->setObjectName(QStringLiteral("evaluateStrategies"));
    auto* grid = new QVBoxLayout(box);
    const StrategyLabel labels[] = {{"original", QT_TR_NOOP("Original (real images only)"), true},
                                    {"mixup", QT_TR_NOOP("Mixup (mixes two training images)"), false},
                                    {"cutmix", QT_TR_NOOP("CutMix (pastes a patch of another image)"), false},
                                    {"real-guidance", QT_TR_NOOP("Real-Guidance (img2img, plain prompt)"), false},
                                    {"da-fusion", QT_TR_NOOP("DA-Fusion (img2img, learned tokens)"), false},
                                    {"diff-aug", QT_TR_NOOP("Diff-AUG (img2img, learned tokens)"), false},
                                    {"diff-mix", QT_TR_NOOP("Diff-Mix (img2img with another class's tokens)"), false},
                                    {"diff-gen", QT_TR_NOOP("Diff-Gen (text to image, learned tokens)"), false},
                                    {"diff-ii", QT_TR_NOOP("Diff-II (inversion circle interpolation)"), true}};
    for (const auto& l : labels) {
        auto* c = new QCheckBox(tr(l.label), box);
        c->setObjectName(QStringLiteral("evaluate_") + QString::fromLatin1(l.name));
        c->setChecked(l.checked);
        grid->addWidget(c);
        m_strategies.insert(QString::fromLatin1(l.name), c);
    }
    v->addWidget(box);

    auto* settings = new QGroupBox(tr("Classifier runs"), panel);
    auto* form = new QFormLayout(settings);
    m_seeds = new QSpinBox(settings);
    m_seeds->setObjectName(QStringLiteral("evaluateSeeds"));
    m_seeds->setRange(1, 20);
    m_seeds->setValue(3);
    m_seeds->setToolTip(tr("Classifiers per strategy, each with its own seed: the table shows mean ± std"));
    form->addRow(tr("Seeds"), m_seeds);
    m_epochs = new QSpinBox(settings);
    m_epochs->setObjectName(QStringLiteral("evaluateEpochs"));
    m_epochs->setRange(1, 500);
    m_epochs->setValue(30);
    form->addRow(tr("Epochs"), m_epochs);
    m_expansion = new QDoubleSpinBox(settings);
    m_expansion->setObjectName(QStringLiteral("evaluateExpansion"));
    m_expansion->setRange(0.1, 50.0);
    m_expansion->setSingleStep(0.5);
    m_expansion->setValue(5.0);
    m_expansion->setToolTip(tr("Synthetic images per training image, for every synthesis strategy"));
    form->addRow(tr("Expansion rate"), m_expansion);
    m_diffIiSplits = new QLineEdit(settings);
    m_diffIiSplits->setObjectName(QStringLiteral("evaluateDiffIiSplits"));
    m_diffIiSplits->setPlaceholderText(tr("e.g. 0.3, 0.7"));
    m_diffIiSplits->setToolTip(
        tr("Split ratios s, separated by commas: Diff-II is evaluated at each of them as well, one point per s in "
           "the diversity-against-faithfulness plot"));
    form->addRow(tr("Diff-II also at s"), m_diffIiSplits);
    v->addWidget(settings);

    auto* buttons = new QHBoxLayout;
    m_run = new QPushButton(tr("Run evaluation"), panel);
    m_run->setObjectName(QStringLiteral("evaluateRun"));
    m_run->setToolTip(
        tr("Generates the missing synthetic images and trains the classifiers; finished runs are kept, "
           "so a stopped evaluation resumes"));
    m_stop = new QPushButton(tr("Stop"), panel);
    m_stop->setObjectName(QStringLiteral("evaluateStop"));
    buttons->addWidget(m_run);
    buttons->addWidget(m_stop);
    v->addLayout(buttons);
    m_progress = new QProgressBar(panel);
    m_progress->setObjectName(QStringLiteral("evaluateProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    v->addWidget(m_progress);
    m_status = new QLabel(tr("Choose strategies and run."), panel);
    m_status->setObjectName(QStringLiteral("evaluateStatus"));
    m_status->setWordWrap(true);
    v->addWidget(m_status);
    m_save = new QPushButton(tr("Save plots"), panel);
    m_save->setObjectName(QStringLiteral("evaluateSave"));
    m_save->setToolTip(tr("Saves the three plots as PNG beside table.md and table.csv"));
    v->addWidget(m_save);
    v->addStretch(1);
    connect(m_run, &QPushButton::clicked, this, &EvaluatePage::run);
    connect(m_stop, &QPushButton::clicked, this, [this] { controller()->cancel(); });
    connect(m_save, &QPushButton::clicked, this, &EvaluatePage::savePlots);
    return panel;
}

QWidget* EvaluatePage::buildResults() {
    auto* panel = new QSplitter(Qt::Vertical, this);
    panel->setChildrenCollapsible(false);
    m_table = new QTableWidget(0, 5, panel);
    m_table->setObjectName(QStringLiteral("evaluateTable"));
    m_table->setHorizontalHeaderLabels(
        {tr("Strategy"), tr("Accuracy (%)"), tr("Runs"), tr("Diversity"), tr("Faithfulness (%)")});
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    connect(m_table, &QTableWidget::currentCellChanged, this, [this](int row) { showStrategy(row); });
    panel->addWidget(m_table);
    auto* tabs = new QTabWidget(panel);
    m_accuracyPlot = new QCustomPlot(tabs);
    m_accuracyPlot->setObjectName(QStringLiteral("evaluateAccuracyPlot"));
    m_scatterPlot = new QCustomPlot(tabs);
    m_scatterPlot->setObjectName(QStringLiteral("evaluateScatterPlot"));
    m_confusionPlot = new QCustomPlot(tabs);
    m_confusionPlot->setObjectName(QStringLiteral("evaluateConfusionPlot"));
    for (auto* p : {m_accuracyPlot, m_scatterPlot, m_confusionPlot}) p->setMinimumHeight(160);
    tabs->addTab(m_accuracyPlot, tr("Accuracy"));
    tabs->addTab(m_scatterPlot, tr("Diversity and faithfulness"));
    tabs->addTab(m_confusionPlot, tr("Confusion matrix"));
    panel->addWidget(tabs);
    panel->setStretchFactor(0, 1);
    panel->setStretchFactor(1, 2);
    return panel;
}

void EvaluatePage::connectWorker() {
    connect(worker(), &EngineWorker::evaluationReady, this, &EvaluatePage::showResults);
    connect(worker(), &EngineWorker::progress, this, [this](const JobProgress& p) {
        if (!m_running || p.job != jobs::kEvaluate) return;
        m_progress->setRange(0, static_cast<int>(std::max<qint64>(1, p.total)));
        m_progress->setValue(static_cast<int>(p.done));
        const QString eta = p.etaSeconds >= 0 ? tr("ETA %1").arg(formatEta(p.etaSeconds)) : QString();
        m_status->setText(QStringLiteral("%1 %2").arg(p.detail, eta));
    });
    // The bar shows the end only when the evaluation finished: after a failure or a stop it keeps where the work got
    // to (it read 100% either way).
    auto ended = [this](const QString& job, const QString& text, bool finished) {
        if (job != jobs::kEvaluate) return;
        m_running = false;
        if (m_progress->maximum() == 0) m_progress->setRange(0, 1);  // still the busy animation: no report came
        if (finished) m_progress->setValue(m_progress->maximum());
        m_status->setText(text);
        updateEnabled();
    };
    connect(worker(), &EngineWorker::jobFinished, this,
            [ended](const QString& job, const QString& summary) { ended(job, summary, true); });
    connect(worker(), &EngineWorker::jobFailed, this,
            [ended](const QString& job, const QString& message) { ended(job, tr("Failed: %1").arg(message), false); });
    connect(worker(), &EngineWorker::jobCancelled, this, [ended](const QString& job) {
        ended(job, tr("Stopped: finished runs are kept, and running again resumes."), false);
    });
}

EvaluationRequest EvaluatePage::request() const {
    EvaluationRequest r;
    for (auto it = m_strategies.constBegin(); it != m_strategies.constEnd(); ++it)
        if (it.value()->isChecked()) r.strategies << it.key();
    // Diff-II at further split ratios ("diff-ii@S"); run() refuses what is not a number in (0, 1] (invalidSplits).
    for (const auto& part : m_diffIiSplits->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const double s = part.trimmed().toDouble(&ok);
        const auto name = QStringLiteral("diff-ii@") + QString::number(s);
        if (ok && s > 0.0 && s <= 1.0 && !r.strategies.contains(name)) r.strategies << name;
    }
    // The order of the table: the training-time baselines first, Diff-II last.
    std::stable_sort(r.strategies.begin(), r.strategies.end(), [](const QString& a, const QString& b) {
        auto rank = [](const QString& s) {
            return s == QLatin1String("original") ? 0 : s.startsWith(QLatin1String("diff-ii")) ? 2 : 1;
        };
        return rank(a) < rank(b);
    });
    r.seeds = m_seeds->value();
    r.epochs = m_epochs->value();
    r.expansion = m_expansion->value();
    return r;
}

void EvaluatePage::run() {
    // An entry of "Diff-II also at s" that is not a split ratio is named, not left out quietly ("0,3" ran nothing).
    QStringList bad;
    for (const auto& part : m_diffIiSplits->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const double s = part.trimmed().toDouble(&ok);
        if (!ok || !(s > 0.0 && s <= 1.0)) bad << part.trimmed();
    }
    if (!bad.isEmpty()) {
        m_status->setText(tr("Diff-II also at s: %1 is not a split ratio in (0, 1]; separate ratios with commas")
                              .arg(bad.join(QStringLiteral(", "))));
        return;
    }
    const auto r = request();
    if (r.strategies.isEmpty() || !controller()->hasProject()) return;
    m_running = true;
    m_progress->setRange(0, 0);
    m_status->setText(tr("Starting..."));
    controller()->post([r](EngineWorker* w) { w->evaluate(r); });
    updateEnabled();
}

void EvaluatePage::updateEnabled() {
    const bool project = controller()->hasProject();
    m_run->setEnabled(project && !controller()->busy());
    m_stop->setEnabled(m_running);
    m_save->setEnabled(!m_rows.isEmpty());
}

// A strategy as the table and the plots name it: its name as the checkboxes write it ("Diff-Gen"; "original" is
// the real images alone), "Diff-II (s = 0.3)" for "diff-ii@0.3"; an unknown id as it is.
QString EvaluatePage::strategyLabel(const QString& id) {
    static const std::pair<const char*, const char*> kNames[] = {
        {"mixup", "Mixup"},         {"cutmix", "CutMix"},     {"real-guidance", "Real-Guidance"},
        {"da-fusion", "DA-Fusion"}, {"diff-aug", "Diff-AUG"}, {"diff-mix", "Diff-Mix"},
        {"diff-gen", "Diff-Gen"},   {"diff-ii", "Diff-II"}};
    if (id == QLatin1String("original")) return tr("Original");
    if (id.startsWith(QLatin1String("diff-ii@"))) return tr("Diff-II (s = %1)").arg(id.mid(8));
    for (const auto& [key, name] : kNames)
        if (id == QLatin1String(key)) return QString::fromLatin1(name);
    return id;
}

void EvaluatePage::showResults(const QList<EvaluationRow>& rows, const QStringList& classNames, const QString& outDir) {
    m_rows = rows;
    m_classNames = classNames;
    m_outDir = outDir;
    m_table->setRowCount(rows.size());
    for (int i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        QStringList runs;
        for (const double a : r.runs) runs << QString::number(100 * a, 'f', 1);
        const QStringList cells = {
            strategyLabel(r.strategy),
            // One run has no spread: its accuracy alone, not "± 0.0".
            r.runs.size() < 2 ? QString::number(100 * r.mean, 'f', 1)
                              : QStringLiteral("%1 ± %2").arg(100 * r.mean, 0, 'f', 1).arg(100 * r.std, 0, 'f', 1),
            runs.join(QLatin1Char(' ')), r.diversity >= 0 ? QString::number(r.diversity, 'f', 4) : QStringLiteral("—"),
            r.faithfulness >= 0 ? QString::number(100 * r.faithfulness, 'f', 1) : QStringLiteral("—")};
        for (int c = 0; c < cells.size(); ++c) m_table->setItem(i, c, new QTableWidgetItem(cells[c]));
        m_table->item(i, 0)->setData(Qt::UserRole, r.strategy);  // the engine's id, as results.json has it
    }
    // Accuracy per strategy with ±std error bars.
    m_accuracyPlot->clearPlottables();
    auto* bars = new QCPBars(m_accuracyPlot->xAxis, m_accuracyPlot->yAxis);
    auto* errors = new QCPErrorBars(m_accuracyPlot->xAxis, m_accuracyPlot->yAxis);
    QVector<double> x, y, e;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int i = 0; i < rows.size(); ++i) {
        x << i + 1;
        y << 100 * rows[i].mean;
        e << 100 * rows[i].std;
        ticker->addTick(i + 1, strategyLabel(rows[i].strategy));
    }
    bars->setData(x, y);
    errors->setDataPlottable(bars);
    errors->setData(e);
    m_accuracyPlot->xAxis->setTicker(ticker);
    m_accuracyPlot->xAxis->setTickLabelRotation(30);
    m_accuracyPlot->xAxis->setRange(0, rows.size() + 1);
    m_accuracyPlot->yAxis->setLabel(tr("top-1 accuracy (%)"));
    m_accuracyPlot->yAxis->setRange(0, 100);
    m_accuracyPlot->replot();
    // Diversity against faithfulness, one labelled point per synthesis strategy.
    m_scatterPlot->clearPlottables();
    m_scatterPlot->clearItems();
    auto* g = m_scatterPlot->addGraph();
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 8));
    double maxX = 0.0;
    for (const auto& r : rows) {
        if (r.faithfulness < 0) continue;
        const double d = std::max(0.0, r.diversity);
        g->addData(d, 100 * r.faithfulness);
        maxX = std::max(maxX, d);
        auto* label = new QCPItemText(m_scatterPlot);
        label->position->setCoords(d, 100 * r.faithfulness);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setText(strategyLabel(r.strategy));
    }
    m_scatterPlot->xAxis->setLabel(tr("diversity (%1)").arg(rows.isEmpty() ? QString() : rows.last().diversityMeasure));
    m_scatterPlot->yAxis->setLabel(tr("faithfulness (%)"));
    m_scatterPlot->xAxis->setRange(0, maxX > 0 ? maxX * 1.3 : 1.0);
    m_scatterPlot->yAxis->setRange(0, 100);
    m_scatterPlot->replot();
    if (!rows.isEmpty()) m_table->selectRow(rows.size() - 1);
    showStrategy(rows.size() - 1);
    m_status->setText(tr("Saved to %1 (results.json, table.md, table.csv)").arg(QDir::toNativeSeparators(outDir)));
    updateEnabled();
}

void EvaluatePage::showStrategy(int row) {
    m_confusionPlot->clearPlottables();
    if (row < 0 || row >= m_rows.size()) {
        m_confusionPlot->replot();
        return;
    }
    const auto& confusion = m_rows[row].confusion;
    const int n = confusion.size();
    auto* map = new QCPColorMap(m_confusionPlot->xAxis, m_confusionPlot->yAxis);
    map->data()->setSize(n, n);
    map->data()->setRange(QCPRange(0, n - 1), QCPRange(0, n - 1));
    for (int t = 0; t < n; ++t)
        for (int p = 0; p < confusion[t].size(); ++p) map->data()->setCell(p, n - 1 - t, confusion[t][p]);
    map->setGradient(QCPColorGradient::gpHot);
    map->rescaleDataRange();
    m_confusionPlot->xAxis->setLabel(tr("predicted class"));
    m_confusionPlot->yAxis->setLabel(tr("true class (top: first)"));
    m_confusionPlot->xAxis->setRange(-0.5, n - 0.5);
    m_confusionPlot->yAxis->setRange(-0.5, n - 0.5);
    m_confusionPlot->replot();
}

void EvaluatePage::savePlots() {
    if (m_outDir.isEmpty()) return;
    const QDir dir(m_outDir);
    // Each file's result counts: the status said "saved" when the folder was gone or read-only.
    const QString files[] = {dir.filePath(QStringLiteral("accuracy.png")),
                             dir.filePath(QStringLiteral("diversity_faithfulness.png")),
                             dir.filePath(QStringLiteral("confusion.png"))};
    const bool saved = m_accuracyPlot->savePng(files[0], 800, 480) && m_scatterPlot->savePng(files[1], 800, 480) &&
                       m_confusionPlot->savePng(files[2], 600, 600);
    m_status->setText(saved ? tr("Plots saved to %1").arg(QDir::toNativeSeparators(m_outDir))
                            : tr("The plots could not be saved in %1 (is the folder there and writable?)")
                                  .arg(QDir::toNativeSeparators(m_outDir)));
}

}  // namespace diffii::ui
