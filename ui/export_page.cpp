#include "ui/export_page.h"

#include <QDesktopServices>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QUrl>
#include <QVBoxLayout>

#include "ui/fit_widgets.h"
#include "ui/slurm_panel.h"

#include <algorithm>

namespace diffii::ui {

namespace {
const QString& kGeneration = jobs::kGeneration;
const QString& kExport = jobs::kExport;
}  // namespace

ExportPage::ExportPage(StudioController* controller, QWidget* parent) : StudioPage(controller, parent) {
    // The groups scroll as one column when the window is short.
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new ScrollPanel(content, this);
    scroll->setObjectName(QStringLiteral("exportScroll"));
    outer->addWidget(scroll);
    layout->addWidget(buildGenerationGroup());
    layout->addWidget(buildCountsGroup());
    layout->addWidget(buildExportGroup());
    layout->addWidget(new SlurmPanel(controller, content));

    buildJobStatus();
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addStretch(1);

    connectController();
    connectWorker();
    if (controller->hasProject()) onProjectChanged(controller->project());
    updateEnabled();
}

// Generation settings.
QGroupBox* ExportPage::buildGenerationGroup() {
    auto* generation = new QGroupBox(tr("Generation"), this);
    generation->setObjectName(QStringLiteral("exportGenerationGroup"));
    auto* form = new QFormLayout(generation);
    m_expansion = new QDoubleSpinBox(generation);
    m_expansion->setObjectName(QStringLiteral("generationExpansion"));
    m_expansion->setRange(0.1, 1000.0);
    m_expansion->setDecimals(1);
    m_expansion->setSingleStep(1.0);
    const diffii::WorkflowSettings defaults;  // before a project is open: core's defaults, not the page's own
    m_expansion->setValue(defaults.expansionRate);
    m_expansion->setSuffix(QStringLiteral(" ×"));
    m_expansion->setToolTip(tr("Synthetic images per training image of each class (at least one per class)"));
    form->addRow(tr("&Expansion rate"), m_expansion);
    m_steps = new QSpinBox(generation);
    m_steps->setObjectName(QStringLiteral("generationSteps"));
    m_steps->setRange(1, 1000);
    m_steps->setValue(defaults.denoise.steps);
    m_steps->setToolTip(tr("DDIM denoising steps per image"));
    form->addRow(tr("&Denoising steps"), m_steps);
    m_guidance = new QDoubleSpinBox(generation);
    m_guidance->setObjectName(QStringLiteral("generationGuidance"));
    m_guidance->setRange(0.0, 50.0);
    m_guidance->setDecimals(1);
    m_guidance->setSingleStep(0.5);
    m_guidance->setValue(defaults.denoise.guidance);
    m_guidance->setToolTip(tr("Classifier-free guidance scale; the project's setting, shared with the Preview page"));
    form->addRow(tr("&Guidance (CFG)"), m_guidance);
    m_split = new QDoubleSpinBox(generation);
    m_split->setObjectName(QStringLiteral("generationSplit"));
    m_split->setRange(0.0, 1.0);
    m_split->setDecimals(2);
    m_split->setSingleStep(0.05);
    m_split->setValue(defaults.denoise.split);
    m_split->setToolTip(
        tr("Split point s of the two-stage denoising: the fraction of steps conditioned on the class "
           "prompt alone before the scene suffix joins"));
    form->addRow(tr("S&plit s"), m_split);
    for (QAbstractSpinBox* box : std::initializer_list<QAbstractSpinBox*>{m_expansion, m_steps, m_guidance, m_split})
        box->setMaximumWidth(160);
    m_negative = new QLineEdit(generation);
    m_negative->setObjectName(QStringLiteral("generationNegative"));
    m_negative->setPlaceholderText(tr("e.g. blurry, low quality, watermark"));
    form->addRow(tr("&Negative prompt"), m_negative);
    // How many images the run makes: the engine's own count (plannedImagesForClass), per class.
    m_planned = new QLabel(generation);
    m_planned->setObjectName(QStringLiteral("exportPlanned"));
    m_planned->setWordWrap(true);
    form->addRow(tr("Planned"), m_planned);
    connect(m_expansion, &QDoubleSpinBox::valueChanged, this, &ExportPage::updatePlanned);
    form->addRow(tr("Scene &suffixes"), buildSuffixEditor(generation));
    m_generate = new QPushButton(tr("Generate / Resume"), generation);
    m_generate->setObjectName(QStringLiteral("generateButton"));
    m_generate->setToolTip(
        tr("Saves the settings in the project and generates the missing images; finished images "
           "with the same settings are kept, so a stopped run resumes"));
    auto* generateRow = new QHBoxLayout();
    generateRow->addWidget(m_generate);
    generateRow->addStretch(1);
    form->addRow(generateRow);
    connect(m_generate, &QPushButton::clicked, this, &ExportPage::generate);
    return generation;
}

// The scene suffixes of the project (suffixes.txt), one drawn per image: editable here, saved at once.
QWidget* ExportPage::buildSuffixEditor(QWidget* parent) {
    auto* box = new QWidget(parent);
    auto* row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    m_suffixes = new QListWidget(box);
    m_suffixes->setObjectName(QStringLiteral("exportSuffixes"));
    m_suffixes->setToolTip(
        tr("The scene suffixes appended to the class prompt in the second stage, one drawn per image; double-click "
           "to edit. Saved in the project (suffixes.txt), shared with the Preview page"));
    m_suffixes->setMaximumHeight(110);
    auto* buttons = new QVBoxLayout;
    m_addSuffix = new QPushButton(tr("&Add"), box);
    m_addSuffix->setObjectName(QStringLiteral("exportAddSuffix"));
    m_removeSuffix = new QPushButton(tr("Re&move"), box);
    m_removeSuffix->setObjectName(QStringLiteral("exportRemoveSuffix"));
    buttons->addWidget(m_addSuffix);
    buttons->addWidget(m_removeSuffix);
    buttons->addStretch(1);
    row->addWidget(m_suffixes, 1);
    row->addLayout(buttons);
    connect(m_addSuffix, &QPushButton::clicked, this, [this] {
        auto* item = new QListWidgetItem(QString(), m_suffixes);
        item->setFlags(item->flags() | Qt::ItemIsEditable);
        m_suffixes->setCurrentItem(item);
        m_suffixes->editItem(item);
        saveSuffixes();
    });
    connect(m_removeSuffix, &QPushButton::clicked, this, [this] {
        delete m_suffixes->currentItem();
        saveSuffixes();
    });
    connect(m_suffixes, &QListWidget::itemChanged, this, [this] {
        if (!m_loadingSuffixes) saveSuffixes();
    });
    return box;
}

QStringList ExportPage::suffixes() const {
    QStringList list;
    for (int i = 0; i < m_suffixes->count(); ++i) {
        const QString text = m_suffixes->item(i)->text().simplified();
        if (!text.isEmpty() && !list.contains(text)) list << text;
    }
    return list;
}

void ExportPage::saveSuffixes() {
    if (!controller()->hasProject()) return;
    const QStringList list = suffixes();
    if (list == m_savedSuffixes) return;
    m_savedSuffixes = list;
    controller()->post([list](EngineWorker* w) { w->setSuffixes(list); });
}

void ExportPage::updatePlanned() {
    qint64 total = 0, trainImages = 0;
    int classes = 0;
    for (const ClassInfo& c : m_classes) {
        if (c.trainImages.isEmpty()) continue;
        ++classes;
        trainImages += c.trainImages.size();
        total += diffii::plannedImagesForClass(c.trainImages.size(), m_expansion->value());
    }
    m_planned->setProperty("plannedCount", total);
    m_planned->setText(controller()->hasProject()
                           ? tr("%1 images: %2 classes, %3 training images × expansion %4 (at least one a class)")
                                 .arg(total)
                                 .arg(classes)
                                 .arg(trainImages)
                                 .arg(m_expansion->value())
                           : QString());
}

// Counts of the synthetic set.
QGroupBox* ExportPage::buildCountsGroup() {
    auto* set = new QGroupBox(tr("Synthetic set"), this);
    set->setObjectName(QStringLiteral("exportCountsGroup"));
    auto* counts = new QGridLayout(set);
    auto addCount = [&](int column, const QString& label, const char* name) {
        auto* value = new QLabel(QStringLiteral("0"), set);
        value->setObjectName(QLatin1String(name));
        QFont f = value->font();
        f.setPointSizeF(f.pointSizeF() * 1.6);
        f.setBold(true);
        value->setFont(f);
        value->setAlignment(Qt::AlignCenter);
        auto* caption = new QLabel(label, set);
        caption->setAlignment(Qt::AlignCenter);
        counts->addWidget(value, 0, column);
        counts->addWidget(caption, 1, column);
        return value;
    };
    m_generated = addCount(0, tr("Generated"), "countGenerated");
    m_accepted = addCount(1, tr("Accepted"), "countAccepted");
    m_rejected = addCount(2, tr("Rejected"), "countRejected");
    m_pending = addCount(3, tr("Pending"), "countPending");
    m_countsSummary = new QLabel(tr("No images generated yet."), set);
    m_countsSummary->setObjectName(QStringLiteral("exportCountsSummary"));
    counts->addWidget(m_countsSummary, 2, 0, 1, 4);
    return set;
}

// Export.
QGroupBox* ExportPage::buildExportGroup() {
    auto* exportBox = new QGroupBox(tr("Export"), this);
    exportBox->setObjectName(QStringLiteral("exportGroup"));
    auto* exportLayout = new QVBoxLayout(exportBox);
    auto* dirRow = new QHBoxLayout();
    auto* dirLabel = new QLabel(tr("&Output folder:"), exportBox);
    m_dir = new QLineEdit(exportBox);
    m_dir->setObjectName(QStringLiteral("exportDir"));
    dirLabel->setBuddy(m_dir);
    m_browse = new QPushButton(tr("&Browse..."), exportBox);
    m_browse->setObjectName(QStringLiteral("exportBrowse"));
    connect(m_browse, &QPushButton::clicked, this, &ExportPage::browse);
    dirRow->addWidget(dirLabel);
    dirRow->addWidget(m_dir, 1);
    dirRow->addWidget(m_browse);
    exportLayout->addLayout(dirRow);
    auto* note = new QLabel(tr("The export is an ImageFolder (one folder per class) with manifest.csv and "
                               "manifest.jsonl. Rejected images are left out; accepted and pending images are "
                               "exported. When a classifier is trained on it, each real image is replaced by a "
                               "synthetic image of its class with probability 0.5 (recorded in the manifest)."),
                            exportBox);
    note->setObjectName(QStringLiteral("exportNote"));
    note->setWordWrap(true);
    exportLayout->addWidget(note);
    auto* buttons = new QHBoxLayout();
    m_export = new QPushButton(tr("E&xport"), exportBox);
    m_export->setObjectName(QStringLiteral("exportButton"));
    m_open = new QPushButton(tr("Open &folder"), exportBox);
    m_open->setObjectName(QStringLiteral("openFolderButton"));
    connect(m_export, &QPushButton::clicked, this, &ExportPage::exportSet);
    connect(m_open, &QPushButton::clicked, this, &ExportPage::openFolder);
    buttons->addWidget(m_export);
    buttons->addWidget(m_open);
    buttons->addStretch(1);
    exportLayout->addLayout(buttons);
    return exportBox;
}

// Progress of the page's jobs.
void ExportPage::buildJobStatus() {
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("exportProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setTextVisible(true);
    m_status = new QLabel(tr("Open a project to generate images."), this);
    m_status->setObjectName(QStringLiteral("exportStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
}

void ExportPage::connectController() {
    connect(controller(), &StudioController::projectChanged, this, &ExportPage::onProjectChanged);
    connect(controller(), &StudioController::busyChanged, this, [this](bool busy, const QString&) {
        m_busy = busy;
        updateEnabled();
    });
}

void ExportPage::connectWorker() {
    connect(worker(), &EngineWorker::syntheticChanged, this, &ExportPage::onSyntheticChanged);
    connect(worker(), &EngineWorker::progress, this, &ExportPage::onProgress);
    connect(worker(), &EngineWorker::jobFinished, this, &ExportPage::onFinished);
    connect(worker(), &EngineWorker::jobFailed, this, &ExportPage::onFailed);
    connect(worker(), &EngineWorker::jobCancelled, this, [this](const QString& job) {
        // Stopped before its first report, the bar was left in its endless busy animation; otherwise it keeps
        // where the work got to.
        if ((job == kGeneration || job == kExport) && m_progress->maximum() == 0) {
            m_progress->setRange(0, 1);
            m_progress->setValue(0);
        }
        if (job == kGeneration)
            m_status->setText(
                tr("Generation stopped; finished images are kept. Press "
                   "\"Generate / Resume\" to continue."));
        else if (job == kExport)
            m_status->setText(tr("Export stopped."));
    });
}

void ExportPage::onProjectChanged(const ProjectInfo& info) {
    const QString oldDefault =
        m_projectDir.isEmpty() ? QString() : QDir(m_projectDir).filePath(QStringLiteral("export"));
    const bool otherProject = info.dir != m_projectDir;
    m_projectDir = info.dir;
    // The form is reloaded only when the saved generation settings changed (a project opened, Preview saved its
    // guidance): edits not yet saved survive a suffix edit or another page's save.
    const auto& w = info.workflow;
    const bool changed = otherProject || w.expansionRate != m_settings.expansionRate ||
                         w.denoise.steps != m_settings.denoise.steps ||
                         w.denoise.guidance != m_settings.denoise.guidance ||
                         w.denoise.split != m_settings.denoise.split || w.negativePrompt != m_settings.negativePrompt;
    m_settings = info.workflow;
    if (changed) {
        m_expansion->setValue(m_settings.expansionRate);
        m_steps->setValue(m_settings.denoise.steps);
        m_guidance->setValue(m_settings.denoise.guidance);
        m_split->setValue(m_settings.denoise.split);
        m_negative->setText(QString::fromStdString(m_settings.negativePrompt));
    }
    m_classes = info.classes;
    updatePlanned();
    // The list follows the project unless it is being edited (an open editor keeps its text).
    if (info.suffixes != suffixes() || info.dir != m_projectDirBefore) {
        m_loadingSuffixes = true;
        m_suffixes->clear();
        for (const QString& sfx : info.suffixes) {
            auto* item = new QListWidgetItem(sfx, m_suffixes);
            item->setFlags(item->flags() | Qt::ItemIsEditable);
        }
        m_loadingSuffixes = false;
    }
    m_savedSuffixes = info.suffixes;
    m_projectDirBefore = info.dir;
    if (m_dir->text().isEmpty() || m_dir->text() == oldDefault)
        m_dir->setText(QDir(info.dir).filePath(QStringLiteral("export")));
    if (otherProject) m_status->setText(tr("Ready to generate."));
    updateEnabled();
}

diffii::WorkflowSettings ExportPage::formSettings() const {
    diffii::WorkflowSettings settings = m_settings;
    settings.expansionRate = m_expansion->value();
    settings.denoise.steps = m_steps->value();
    settings.denoise.guidance = m_guidance->value();
    settings.denoise.split = m_split->value();
    settings.negativePrompt = m_negative->text().toStdString();
    return settings;
}

void ExportPage::generate() {
    if (!controller()->hasProject()) return;
    m_settings = formSettings();
    const diffii::WorkflowSettings settings = m_settings;
    m_progress->setRange(0, 0);  // busy until the first progress report
    m_status->setText(tr("Starting generation..."));
    controller()->post([settings](EngineWorker* w) {
        w->saveSettings(settings);
        w->generate();
    });
}

QString ExportPage::exportDir() const { return m_dir->text().trimmed(); }

void ExportPage::exportSet() {
    const QString dir = exportDir();
    if (!controller()->hasProject() || dir.isEmpty()) return;
    // A folder with files of its own (not an earlier export, which carries the engine's marker): merge only when
    // the user says so. System folders and an earlier export of another set are refused by the engine either way.
    const QDir target(dir);
    bool force = false;
    if (target.exists() && !target.isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden) &&
        !QFileInfo::exists(target.filePath(QStringLiteral(".diffii-export.json")))) {
        const auto answer = QMessageBox::question(
            this, tr("Export folder not empty"),
            tr("%1 holds files that are not an earlier export of this set. Export into it anyway? Files with "
               "the same names are replaced.")
                .arg(QDir::toNativeSeparators(dir)));
        if (answer != QMessageBox::Yes) return;
        force = true;
    }
    m_progress->setRange(0, 0);
    m_status->setText(tr("Exporting to %1...").arg(QDir::toNativeSeparators(dir)));
    controller()->post([dir, force](EngineWorker* w) { w->exportSet(dir, force); });
}

void ExportPage::browse() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export folder"), exportDir());
    if (!dir.isEmpty()) m_dir->setText(dir);
}

void ExportPage::openFolder() {
    // Failures are said on the page, not only on stderr.
    const QString dir = exportDir();
    if (dir.isEmpty()) {
        m_status->setText(tr("No export folder given."));
    } else if (!QDir(dir).exists()) {
        m_status->setText(tr("Cannot open %1: the folder does not exist yet (Export creates it).")
                              .arg(QDir::toNativeSeparators(dir)));
    } else if (!QDesktopServices::openUrl(QUrl::fromLocalFile(dir))) {
        m_status->setText(tr("Cannot open %1: no file manager answered. The folder is there; open it by hand.")
                              .arg(QDir::toNativeSeparators(dir)));
    } else {
        return;
    }
    m_status->setProperty("openFolderFailed", true);
}

void ExportPage::onSyntheticChanged(const QList<SyntheticItem>& items) {
    int accepted = 0, rejected = 0, pending = 0;
    for (const auto& it : items) {
        if (it.curation == 1)
            ++accepted;
        else if (it.curation == 2)
            ++rejected;
        else
            ++pending;
    }
    showCounts(static_cast<int>(items.size()), accepted, rejected, pending);
    m_export->setProperty("hasImages", !items.isEmpty());
    updateEnabled();
}

void ExportPage::onProgress(const JobProgress& p) {
    if (p.job != kGeneration && p.job != kExport) return;
    m_progress->setRange(0, static_cast<int>(std::max<qint64>(1, p.total)));
    m_progress->setValue(static_cast<int>(p.done));
    const QString what = p.job == kGeneration ? tr("Generating") : tr("Exporting");
    m_status->setText(tr("%1: %2 of %3 %4").arg(what).arg(p.done).arg(p.total).arg(p.detail));
}

void ExportPage::onFinished(const QString& job, const QString& summary) {
    if (job != kGeneration && job != kExport) return;
    m_progress->setRange(0, 1);
    m_progress->setValue(1);
    if (job == kGeneration)
        m_status->setText(tr("Generation finished: %1. Curate the images on the Curate page.").arg(summary));
    else
        m_status->setText(tr("Export finished: %1.").arg(summary));
}

void ExportPage::onFailed(const QString& job, const QString& message) {
    if (job != kGeneration && job != kExport && job != jobs::kSettings) return;
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status->setText(tr("%1 failed: %2").arg(jobDisplayName(job), message));
}

void ExportPage::updateEnabled() {
    const bool project = controller()->hasProject();
    m_generate->setEnabled(project && !m_busy);
    m_export->setEnabled(project && !m_busy && m_export->property("hasImages").toBool());
    m_open->setEnabled(project);
    m_suffixes->setEnabled(project);
    m_addSuffix->setEnabled(project);
    m_removeSuffix->setEnabled(project);
}

void ExportPage::showCounts(int generated, int accepted, int rejected, int pending) {
    m_generated->setText(QString::number(generated));
    m_countsSummary->setText(generated == 0 ? tr("No images generated yet.")
                                            : tr("%1 generated: %2 accepted, %3 rejected, %4 pending curation")
                                                  .arg(generated)
                                                  .arg(accepted)
                                                  .arg(rejected)
                                                  .arg(pending));
    m_accepted->setText(QString::number(accepted));
    m_rejected->setText(QString::number(rejected));
    m_pending->setText(QString::number(pending));
}

void ExportPage::retranslate() {
    updatePlanned();
    showCounts(m_generated->text().toInt(), m_accepted->text().toInt(), m_rejected->text().toInt(),
               m_pending->text().toInt());
}

}  // namespace diffii::ui
