#include "ui/new_project_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include <exception>
#include <memory>

#include "core/engine/session.h"
#include "ui/studio_controller.h"

namespace diffii::ui {
namespace {

constexpr int kCheckDelayMs = 250;  // typing pauses this long before a folder is scanned
constexpr int kMaxWarningsShown = 20;

struct DatasetScan {
    QString error;  // empty: the scan succeeded
    int classes = 0;
    qint64 images = 0;
    QStringList warnings;
};

struct ModelScan {
    QString error;
    diffii::ModelFolderSummary summary;
};

// Runs work on a thread of its own and hands its result to done on context's thread; a result that arrives after
// context is gone is dropped (the connection goes with it). work must not throw.
template <typename R, typename Work, typename Done>
void runInBackground(QObject* context, Work work, Done done) {
    auto result = std::make_shared<R>();
    QThread* thread = QThread::create([work, result] { *result = work(); });
    QObject::connect(thread, &QThread::finished, context, [result, done] { done(*result); });
    QObject::connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
}

DatasetScan scanDataset(const QString& dir) {
    DatasetScan scan;
    try {
        const diffii::ImageFolderDataset dataset(QDir(dir).absolutePath().toStdString());
        scan.classes = dataset.classCount();
        scan.images = dataset.imageCount();
        for (const auto& w : dataset.warnings()) scan.warnings << QString::fromStdString(w);
    } catch (const std::exception& e) {
        scan.error = QString::fromUtf8(e.what());
    }
    return scan;
}

ModelScan scanModel(const QString& dir) {
    ModelScan scan;
    try {
        scan.summary = diffii::summarizeModelFolder(QDir(dir).absolutePath().toStdString());
    } catch (const std::exception& e) {
        scan.error = QString::fromUtf8(e.what());
    }
    return scan;
}

QString formatCount(qint64 n) {
    if (n >= 1000000000) return QString::number(n / 1e9, 'f', 2) + QStringLiteral(" B");
    if (n >= 1000000) return QString::number(n / 1e6, 'f', 1) + QStringLiteral(" M");
    if (n >= 1000) return QString::number(n / 1e3, 'f', 1) + QStringLiteral(" k");
    return QString::number(n);
}

QString cleanAbsolute(const QString& path) { return QDir::cleanPath(QFileInfo(path).absoluteFilePath()); }

}  // namespace

NewProjectDialog::NewProjectDialog(StudioController* controller, QWidget* parent)
    : QDialog(parent), m_controller(controller) {
    setObjectName(QStringLiteral("newProjectDialog"));
    setWindowTitle(tr("New project"));
    m_project = new QLineEdit(this);
    m_project->setObjectName(QStringLiteral("newProjectDir"));
    m_project->setPlaceholderText(tr("A new or empty folder"));
    m_dataset = new QLineEdit(this);
    m_dataset->setObjectName(QStringLiteral("newProjectDataset"));
    m_dataset->setPlaceholderText(tr("One subfolder of images per class"));
    m_model = new QLineEdit(this);
    m_model->setObjectName(QStringLiteral("newProjectModel"));
    m_model->setPlaceholderText(tr("A diffusers folder with model_index.json, or a single .safetensors checkpoint"));
    m_metaclass = new QLineEdit(QStringLiteral("bird"), this);
    m_metaclass->setObjectName(QStringLiteral("newProjectMetaclass"));
    m_seed = new QSpinBox(this);
    m_seed->setObjectName(QStringLiteral("newProjectSeed"));
    m_seed->setRange(0, 1 << 30);

    auto status = [this](const char* name) {
        auto* label = new QLabel(this);
        label->setObjectName(QLatin1String(name));
        label->setWordWrap(true);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        return label;
    };
    m_projectStatus = status("newProjectDirStatus");
    m_datasetStatus = status("newProjectDatasetStatus");
    m_modelStatus = status("newProjectModelStatus");
    m_metaclassStatus = status("newProjectMetaclassStatus");

    auto* form = new QFormLayout;
    form->addRow(tr("Project folder"), folderRow(m_project, tr("Project folder"), "browseProjectDir"));
    form->addRow(QString(), m_projectStatus);
    form->addRow(tr("Dataset (one folder per class)"), folderRow(m_dataset, tr("Dataset folder"), "browseDataset"));
    form->addRow(QString(), m_datasetStatus);
    QWidget* modelRow = folderRow(m_model, tr("Model folder"), "browseModel");
    auto* modelFile = new QPushButton(tr("File..."), modelRow);
    modelFile->setObjectName(QStringLiteral("browseModelFile"));
    modelFile->setToolTip(tr("Pick a single-file checkpoint (.safetensors in the original SD 1.x / 2.x layout)"));
    connect(modelFile, &QPushButton::clicked, this,
            [this] { browse(m_model, tr("Single-file checkpoint"), QStringLiteral("*.safetensors")); });
    modelRow->layout()->addWidget(modelFile);
    form->addRow(tr("Stable Diffusion model (diffusers)"), modelRow);
    form->addRow(QString(), m_modelStatus);
    form->addRow(tr("Metaclass"), m_metaclass);
    form->addRow(QString(), m_metaclassStatus);
    form->addRow(tr("Seed"), m_seed);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("newProjectError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setVisible(false);
    m_busy = new QLabel(this);
    m_busy->setObjectName(QStringLiteral("newProjectBusy"));
    m_busy->setWordWrap(true);
    m_busy->setStyleSheet(QStringLiteral("color: #8d6e00"));
    m_busy->setVisible(false);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    QPushButton* ok = m_buttons->button(QDialogButtonBox::Ok);
    ok->setObjectName(QStringLiteral("createProjectButton"));
    ok->setText(tr("Create"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &NewProjectDialog::create);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &NewProjectDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(m_busy);
    layout->addStretch(1);
    layout->addWidget(m_buttons);
    setMinimumWidth(640);

    m_datasetTimer = new QTimer(this);
    m_datasetTimer->setSingleShot(true);
    m_datasetTimer->setInterval(kCheckDelayMs);
    m_modelTimer = new QTimer(this);
    m_modelTimer->setSingleShot(true);
    m_modelTimer->setInterval(kCheckDelayMs);
    connect(m_datasetTimer, &QTimer::timeout, this, &NewProjectDialog::checkDataset);
    connect(m_modelTimer, &QTimer::timeout, this, &NewProjectDialog::checkModel);
    connect(m_project, &QLineEdit::textChanged, this, &NewProjectDialog::checkProject);
    connect(m_dataset, &QLineEdit::textChanged, this, [this] {
        // The project folder may not lie inside the dataset: its check depends on this field too.
        checkProject();
        ++m_datasetCheck;
        setStatus(m_datasetStatus, FieldState::Checking, tr("Checking..."));
        m_datasetState = FieldState::Checking;
        m_datasetTimer->start();
        updateOk();
    });
    connect(m_model, &QLineEdit::textChanged, this, [this] {
        ++m_modelCheck;
        setStatus(m_modelStatus, FieldState::Checking, tr("Checking..."));
        m_modelState = FieldState::Checking;
        m_modelTimer->start();
        updateOk();
    });
    connect(m_metaclass, &QLineEdit::textChanged, this, &NewProjectDialog::checkMetaclass);
    connect(m_controller->worker(), &EngineWorker::projectCreated, this, &NewProjectDialog::onCreated);
    // A job of the open project keeps running while the dialog is open; Create is offered once it has ended.
    connect(m_controller, &StudioController::busyChanged, this, &NewProjectDialog::updateOk);

    checkProject();
    checkDataset();
    checkModel();
    checkMetaclass();
}

QString NewProjectDialog::projectDir() const { return cleanAbsolute(m_project->text().trimmed()); }

bool NewProjectDialog::canCreate() const {
    return !m_creating && m_projectState == FieldState::Valid && m_datasetState == FieldState::Valid &&
           m_modelState == FieldState::Valid && m_metaclassState == FieldState::Valid;
}

QWidget* NewProjectDialog::folderRow(QLineEdit* edit, const QString& caption, const char* buttonName) {
    auto* row = new QWidget(this);
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(edit, 1);
    auto* button = new QPushButton(tr("Browse..."), row);
    button->setObjectName(QLatin1String(buttonName));
    connect(button, &QPushButton::clicked, this, [this, edit, caption] { browse(edit, caption); });
    h->addWidget(button);
    return row;
}

void NewProjectDialog::browse(QLineEdit* edit, const QString& caption, const QString& fileFilter) {
    // Start at the typed folder, or at the nearest folder above it that exists.
    QString start = edit->text().trimmed();
    while (!start.isEmpty() && !QFileInfo(start).isDir()) {
        const QString up = QFileInfo(start).path();
        start = up == start ? QString() : up;
    }
    if (start.isEmpty()) start = QDir::homePath();
    auto* picker = new QFileDialog(this, caption, start);
    picker->setObjectName(QStringLiteral("folderPicker"));
    if (fileFilter.isEmpty()) {
        picker->setFileMode(QFileDialog::Directory);
        picker->setOption(QFileDialog::ShowDirsOnly);
    } else {
        picker->setFileMode(QFileDialog::ExistingFile);
        picker->setNameFilter(fileFilter);
    }
    // Qt's own dialog has a New Folder button on every platform (offscreen included): a project folder is
    // usually one the user makes now.
    picker->setOption(QFileDialog::DontUseNativeDialog);
    picker->setAttribute(Qt::WA_DeleteOnClose);
    connect(picker, &QFileDialog::fileSelected, edit, [edit](const QString& dir) {
        if (!dir.isEmpty()) edit->setText(QDir::toNativeSeparators(dir));
    });
    picker->open();
}

void NewProjectDialog::setStatus(QLabel* label, FieldState state, const QString& text, const QString& tooltip) {
    QString mark, color;
    switch (state) {
        case FieldState::Valid:
            mark = QStringLiteral("\u2713 ");
            color = QStringLiteral("#2e7d32");
            break;
        case FieldState::Invalid:
            mark = QStringLiteral("\u2717 ");
            color = QStringLiteral("#c62828");
            break;
        case FieldState::Checking:
        case FieldState::Empty:
            color = QStringLiteral("palette(mid)");
            break;
    }
    label->setText(mark + text);
    label->setStyleSheet(QStringLiteral("color: %1").arg(color));
    label->setToolTip(tooltip);
}

void NewProjectDialog::checkProject() {
    const QString text = m_project->text().trimmed();
    auto set = [this](FieldState state, const QString& message) {
        m_projectState = state;
        setStatus(m_projectStatus, state, message);
        updateOk();
    };
    if (text.isEmpty()) return set(FieldState::Empty, tr("Choose a new or empty folder for the project"));
    if (!QDir::isAbsolutePath(text)) return set(FieldState::Invalid, tr("Give the full path of the folder"));
    const QString path = cleanAbsolute(text);
    const QString dataset = m_dataset->text().trimmed();
    if (!dataset.isEmpty() && QDir::isAbsolutePath(dataset)) {
        const QString root = cleanAbsolute(dataset);
        if (path == root || path.startsWith(root + QLatin1Char('/')))
            return set(FieldState::Invalid,
                       tr("Inside the dataset folder: the project would be read as a class of the dataset"));
    }
    const QFileInfo info(path);
    if (info.exists()) {
        if (!info.isDir()) return set(FieldState::Invalid, tr("A file of this name exists: choose a folder"));
        const QDir dir(path);
        if (dir.exists(QStringLiteral("project.json")))
            return set(FieldState::Invalid, tr("A project is already here: open it with Project > Open project"));
        if (!dir.isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System))
            return set(FieldState::Invalid, tr("The folder is not empty: choose a new or an empty folder"));
        if (!info.isWritable()) return set(FieldState::Invalid, tr("The folder is not writable"));
        return set(FieldState::Valid, tr("Empty folder: the project will be created in it"));
    }
    QString ancestor = path;
    while (!QFileInfo::exists(ancestor)) {
        const QString up = QFileInfo(ancestor).path();
        if (up == ancestor) break;
        ancestor = up;
    }
    const QFileInfo above(ancestor);
    if (!above.isDir()) return set(FieldState::Invalid, tr("%1 is a file, not a folder").arg(ancestor));
    if (!above.isWritable())
        return set(FieldState::Invalid, tr("Cannot create a folder in %1 (not writable)").arg(ancestor));
    set(FieldState::Valid, tr("New folder: it will be created"));
}

void NewProjectDialog::checkDataset() {
    const QString text = m_dataset->text().trimmed();
    const quint64 id = ++m_datasetCheck;
    auto set = [this](FieldState state, const QString& message, const QString& tooltip = QString()) {
        m_datasetState = state;
        setStatus(m_datasetStatus, state, message, tooltip);
        updateOk();
    };
    if (text.isEmpty())
        return set(FieldState::Empty, tr("Choose the dataset: a folder with one subfolder of images per class"));
    if (!QDir::isAbsolutePath(text)) return set(FieldState::Invalid, tr("Give the full path of the folder"));
    const QFileInfo info(text);
    if (!info.exists()) return set(FieldState::Invalid, tr("No such folder"));
    if (!info.isDir() && info.suffix().compare(QStringLiteral("safetensors"), Qt::CaseInsensitive) != 0)
        return set(FieldState::Invalid, tr("Not a folder or a .safetensors file"));
    set(FieldState::Checking, tr("Checking..."));
    runInBackground<DatasetScan>(
        this, [text] { return scanDataset(text); },
        [this, id, set](const DatasetScan& scan) {
            if (id != m_datasetCheck) return;  // the field changed since
            if (!scan.error.isEmpty()) return set(FieldState::Invalid, tr("Not a usable dataset: %1").arg(scan.error));
            QString message = tr("%n class(es)", nullptr, scan.classes) + QStringLiteral(", ") +
                              tr("%n image(s)", nullptr, static_cast<int>(scan.images));
            if (!scan.warnings.isEmpty())
                message +=
                    QStringLiteral("; ") +
                    tr("%n warning(s): %1", nullptr, static_cast<int>(scan.warnings.size())).arg(scan.warnings.first());
            set(FieldState::Valid, message, scan.warnings.mid(0, kMaxWarningsShown).join(QLatin1Char('\n')));
        });
}

void NewProjectDialog::checkModel() {
    const QString text = m_model->text().trimmed();
    const quint64 id = ++m_modelCheck;
    auto set = [this](FieldState state, const QString& message) {
        m_modelState = state;
        setStatus(m_modelStatus, state, message);
        updateOk();
    };
    if (text.isEmpty())
        return set(FieldState::Empty,
                   tr("Choose a Stable Diffusion model folder (diffusers layout, model_index.json)"));
    if (!QDir::isAbsolutePath(text)) return set(FieldState::Invalid, tr("Give the full path of the folder"));
    const QFileInfo info(text);
    if (!info.exists()) return set(FieldState::Invalid, tr("No such folder"));
    if (!info.isDir()) return set(FieldState::Invalid, tr("Not a folder"));
    set(FieldState::Checking, tr("Checking..."));
    runInBackground<ModelScan>(
        this, [text] { return scanModel(text); },
        [this, id, set](const ModelScan& scan) {
            if (id != m_modelCheck) return;
            if (!scan.error.isEmpty())
                return set(FieldState::Invalid, tr("Not a usable model folder: %1").arg(scan.error));
            const auto& s = scan.summary;
            QString message = tr("%1: %2, %3, %4; %5 parameters")
                                  .arg(QString::fromStdString(s.pipelineClass), QString::fromStdString(s.unetClass),
                                       QString::fromStdString(s.textEncoderClass), QString::fromStdString(s.vaeClass),
                                       formatCount(s.parameterCount));
            if (s.nativeImageSize > 0) message += QStringLiteral("; ") + tr("%1 px images").arg(s.nativeImageSize);
            if (!s.singleFile.empty()) message = QString::fromStdString(s.singleFile) + QStringLiteral("; ") + message;
            set(FieldState::Valid, message);
        });
}

void NewProjectDialog::checkMetaclass() {
    if (m_metaclass->text().trimmed().isEmpty()) {
        m_metaclassState = FieldState::Invalid;
        setStatus(m_metaclassStatus, m_metaclassState, tr("Give the word the class prompts are built on (e.g. bird)"));
    } else {
        m_metaclassState = FieldState::Valid;
        setStatus(m_metaclassStatus, m_metaclassState,
                  tr("The class prompts are built on \"%1\"").arg(m_metaclass->text().trimmed()));
    }
    updateOk();
}

void NewProjectDialog::updateOk() {
    const bool otherJob = m_controller->busy() && !m_creating;
    m_busy->setVisible(otherJob);
    if (otherJob)
        // The dialog is window-modal: the status bar's Cancel is out of reach while it is open (it said "cancel it in
        // the status bar").
        m_busy->setText(tr("A job is running (%1): Create is available when it ends. To create now, close this "
                           "dialog, cancel the job (Esc, or Cancel in the status bar) and open New project again. "
                           "The job is not affected until then.")
                            .arg(jobDisplayName(m_controller->runningJob())));
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(canCreate() && !otherJob);
}

void NewProjectDialog::create() {
    if (!canCreate()) return;
    if (m_controller->busy()) {
        // Creating would wait behind that job with the dialog locked: say so instead.
        m_error->setStyleSheet(QStringLiteral("color: #c62828"));
        m_error->setText(tr("A job is running (%1): wait for it or cancel it, then create the project")
                             .arg(m_controller->runningJob()));
        m_error->setVisible(true);
        return;
    }
    m_creating = true;
    m_creatingDir = m_project->text().trimmed();
    for (QWidget* w : std::initializer_list<QWidget*>{m_project, m_dataset, m_model, m_metaclass, m_seed})
        w->setEnabled(false);
    for (QPushButton* b : findChildren<QPushButton*>()) b->setEnabled(false);
    m_error->setStyleSheet(QString());
    m_error->setText(tr("Creating the project and loading the model..."));
    m_error->setVisible(true);
    m_controller->createProject(m_creatingDir, m_dataset->text().trimmed(), m_model->text().trimmed(),
                                m_metaclass->text().trimmed(), static_cast<quint64>(m_seed->value()));
}

void NewProjectDialog::onCreated(const QString& dir, const QString& error) {
    if (!m_creating || dir != m_creatingDir) return;  // another caller's project
    m_creating = false;
    for (QWidget* w : std::initializer_list<QWidget*>{m_project, m_dataset, m_model, m_metaclass, m_seed})
        w->setEnabled(true);
    for (QPushButton* b : findChildren<QPushButton*>()) b->setEnabled(true);
    if (error.isEmpty()) {
        m_error->setVisible(false);
        Q_EMIT projectCreated(projectDir());
        accept();
        return;
    }
    m_error->setStyleSheet(QStringLiteral("color: #c62828"));
    m_error->setText(tr("The project was not created (nothing was left on disk): %1").arg(error));
    // The folders may have changed meanwhile: look again, keeping what was typed.
    checkProject();
    checkDataset();
    checkModel();
    checkMetaclass();
}

void NewProjectDialog::reject() {
    if (m_creating) return;  // the engine is writing: wait for its answer
    QDialog::reject();
}

}  // namespace diffii::ui
