#include "ui/grid_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QVBoxLayout>

#include <cmath>

#include "ui/lightbox.h"
#include "ui/studio_controller.h"

namespace diffii::ui {
namespace {

constexpr int kMaxCells = 400;
qint64 g_nextGridId = 0;  // grids of every dialog are numbered apart (GUI thread only)

}  // namespace

GridDialog::GridDialog(StudioController* controller, const PreviewRequest& base, double theta,
                       const QStringList& suffixes, const QString& pairText, QWidget* parent)
    : QDialog(parent), m_controller(controller), m_base(base), m_theta(theta), m_suffixes(suffixes) {
    setObjectName(QStringLiteral("gridDialog"));
    setWindowTitle(tr("X/Y grid"));
    m_title = tr("%1 · %2 steps · guidance %3 · s %4 · suffix: %5")
                  .arg(pairText)
                  .arg(base.steps)
                  .arg(base.guidance)
                  .arg(base.split, 0, 'f', 2)
                  .arg(base.suffix.isEmpty() ? tr("(none)") : base.suffix);

    auto* intro = new QLabel(tr("Renders the pair chosen on the Preview page once per combination of two axes, with "
                                "its other settings. Values: a list (0, 0.25, 0.5), a range with a count "
                                "(0-1 [5]) or with a step (1-9 (+2)); suffixes are separated by |."),
                             this);
    intro->setWordWrap(true);
    auto* pair = new QLabel(m_title, this);
    pair->setObjectName(QStringLiteral("gridBase"));
    pair->setWordWrap(true);

    auto* form = new QFormLayout();
    form->addRow(tr("X (columns)"), buildAxisRow(true));
    form->addRow(tr("Y (rows)"), buildAxisRow(false));
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("gridError"));
    m_error->setStyleSheet(QStringLiteral("color: #c0392b"));
    m_error->setWordWrap(true);
    m_error->setVisible(false);

    m_sheetLabel = new QLabel(this);
    m_sheetLabel->setObjectName(QStringLiteral("gridSheet"));
    m_sheetLabel->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_sheetLabel->setText(tr("Choose the axes and press Render."));
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_sheetLabel);
    scroll->setWidgetResizable(true);
    scroll->setMinimumHeight(240);
    installLightbox(m_sheetLabel, [this] {
        LightboxContent c;
        if (m_cells.isEmpty()) return c;
        c.main.image = sheet();
        c.main.title = tr("X/Y grid");
        return c;
    });

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("gridStatus"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("gridProgress"));
    m_progress->setVisible(false);
    m_render = new QPushButton(tr("Render"), this);
    m_render->setObjectName(QStringLiteral("gridRender"));
    m_render->setDefault(true);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("gridCancel"));
    m_cancel->setEnabled(false);
    m_export = new QPushButton(tr("Export PNG…"), this);
    m_export->setObjectName(QStringLiteral("gridExport"));
    m_export->setToolTip(tr("Save the labelled grid as one PNG"));
    m_export->setEnabled(false);
    auto* close = new QPushButton(tr("Close"), this);
    auto* buttons = new QHBoxLayout();
    buttons->addWidget(m_status, 1);
    buttons->addWidget(m_progress);
    buttons->addWidget(m_render);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_export);
    buttons->addWidget(close);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(pair);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(scroll, 1);
    layout->addLayout(buttons);

    connect(m_render, &QPushButton::clicked, this, &GridDialog::render);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (!m_running) return;
        stopGrid();
        m_cancel->setEnabled(false);
        m_status->setText(tr("Cancelling…"));
    });
    connect(m_export, &QPushButton::clicked, this, &GridDialog::exportDialog);
    connect(close, &QPushButton::clicked, this, &QDialog::close);

    EngineWorker* w = controller->worker();
    connect(w, &EngineWorker::gridCell, this, &GridDialog::onCell);
    connect(w, &EngineWorker::progress, this, [this](const JobProgress& p) {
        if (!m_running || p.job != jobs::kGrid) return;
        m_progress->setRange(0, static_cast<int>(p.total));
        m_progress->setValue(static_cast<int>(p.done));
    });
    connect(w, &EngineWorker::jobStarted, this, [this](const QString& job) {
        if (job != jobs::kGrid || !m_running) return;
        m_status->setText(tr("Rendering…"));
        if (m_cancelPending) m_controller->cancel();
    });
    connect(w, &EngineWorker::jobFinished, this,
            [this](const QString& job, const QString&) { onJobEnded(job, true, QString()); });
    connect(w, &EngineWorker::jobFailed, this,
            [this](const QString& job, const QString& message) { onJobEnded(job, false, message); });
    connect(w, &EngineWorker::jobCancelled, this,
            [this](const QString& job) { onJobEnded(job, false, tr("cancelled; the cells done are kept")); });
    resize(900, 720);
}

QWidget* GridDialog::buildAxisRow(bool columns) {
    const int a = columns ? 0 : 1;
    auto* row = new QWidget(this);
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    m_kind[a] = new QComboBox(row);
    m_kind[a]->setObjectName(columns ? QStringLiteral("gridXKind") : QStringLiteral("gridYKind"));
    m_kind[a]->addItem(tr("α (turns of the circle)"), static_cast<int>(GridAxisKind::Turn));
    m_kind[a]->addItem(tr("split ratio s"), static_cast<int>(GridAxisKind::Split));
    m_kind[a]->addItem(tr("suffix"), static_cast<int>(GridAxisKind::Suffix));
    m_kind[a]->addItem(tr("seed"), static_cast<int>(GridAxisKind::Seed));
    m_kind[a]->addItem(tr("guidance"), static_cast<int>(GridAxisKind::Guidance));
    m_kind[a]->setToolTip(tr(
        "α in turns of the circle from z1 towards z2: 0 is z1, θ/2π is z2, 0.5 is −z1 (α = (1 − turn)·2π/θ). Seed: α "
        "drawn from the "
        "seed as the generator does (when α is not the other axis), and the noise of a one-image class."));
    m_values[a] = new QLineEdit(row);
    m_values[a]->setObjectName(columns ? QStringLiteral("gridXValues") : QStringLiteral("gridYValues"));
    h->addWidget(m_kind[a]);
    h->addWidget(m_values[a], 1);
    connect(m_kind[a], &QComboBox::currentIndexChanged, this, [this, a] {
        m_values[a]->setText(defaultValues(static_cast<GridAxisKind>(m_kind[a]->currentData().toInt())));
    });
    const GridAxisKind initial = columns ? GridAxisKind::Turn : GridAxisKind::Split;
    m_kind[a]->setCurrentIndex(m_kind[a]->findData(static_cast<int>(initial)));
    m_values[a]->setText(defaultValues(initial));
    return row;
}

QString GridDialog::defaultValues(GridAxisKind kind) const {
    switch (kind) {
        case GridAxisKind::Turn:
            return QStringLiteral("0, 0.25, 0.5, 0.75");
        case GridAxisKind::Split:
            return QStringLiteral("0.3, 0.5, 0.7");
        case GridAxisKind::Suffix: {
            QStringList list{tr("(none)")};
            list << m_suffixes.mid(0, 3);
            return list.join(QStringLiteral(" | "));
        }
        case GridAxisKind::Seed:
            return QStringLiteral("0, 1, 2, 3");
        case GridAxisKind::Guidance:
            return QStringLiteral("1, 2, 4, 7.5");
    }
    return QString();
}

void GridDialog::setAxis(bool columns, GridAxisKind kind, const QString& values) {
    const int a = columns ? 0 : 1;
    m_kind[a]->setCurrentIndex(m_kind[a]->findData(static_cast<int>(kind)));
    m_values[a]->setText(values);
}

bool GridDialog::readAxes(GridAxis* columns, GridAxis* rows, QString* error) const {
    for (int a = 0; a < 2; ++a) {
        GridAxis& axis = a == 0 ? *columns : *rows;
        axis = GridAxis();
        axis.kind = static_cast<GridAxisKind>(m_kind[a]->currentData().toInt());
        const QString text = m_values[a]->text();
        const QString which = a == 0 ? tr("X") : tr("Y");
        if (axis.kind == GridAxisKind::Suffix) {
            for (const QString& part : text.split(QLatin1Char('|'))) {
                const QString s = part.trimmed();
                axis.suffixes << (s == tr("(none)") || s == QLatin1String("(none)") ? QString() : s);
            }
            if (text.trimmed().isEmpty()) {
                *error = tr("%1: no suffixes").arg(which);
                return false;
            }
            continue;
        }
        QString why;
        axis.numbers = parseGridNumbers(text, &why);
        if (axis.numbers.isEmpty()) {
            *error = tr("%1: %2").arg(which, why);
            return false;
        }
        for (const double v : std::as_const(axis.numbers)) {
            const bool ok = axis.kind == GridAxisKind::Split      ? v >= 0.0 && v <= 1.0
                            : axis.kind == GridAxisKind::Seed     ? v >= 0.0 && v == std::floor(v)
                            : axis.kind == GridAxisKind::Guidance ? v >= 0.0 && v <= diffii::kMaxGuidance
                                                                  : std::isfinite(v);
            if (!ok) {
                *error = axis.kind == GridAxisKind::Split ? tr("%1: s must lie in [0, 1]").arg(which)
                         : axis.kind == GridAxisKind::Seed
                             ? tr("%1: seeds are whole numbers ≥ 0").arg(which)
                             : tr("%1: guidance must lie in [0, %2]").arg(which).arg(diffii::kMaxGuidance);
                return false;
            }
        }
    }
    if (columns->kind == rows->kind) {
        *error = tr("Choose two different axes");
        return false;
    }
    if (columns->size() * rows->size() > kMaxCells) {
        *error = tr("%1 cells: at most %2").arg(columns->size() * rows->size()).arg(kMaxCells);
        return false;
    }
    return true;
}

bool GridDialog::render() {
    if (m_running) return false;
    GridAxis columns, rows;
    QString error;
    if (!readAxes(&columns, &rows, &error)) {
        m_error->setText(error);
        m_error->setVisible(true);
        return false;
    }
    m_error->setVisible(false);
    m_columns = columns;
    m_rows = rows;
    m_cells = QList<QList<QImage>>(rows.size(), QList<QImage>(columns.size()));
    m_imageSize = QSize();
    m_received = 0;
    GridRequest request;
    request.id = ++g_nextGridId;
    request.base = m_base;
    request.base.intermediateEvery = 0;
    request.theta = m_theta;
    m_abandoned = request.abandoned;
    request.columns = columns;
    request.rows = rows;
    m_id = request.id;
    m_running = true;
    m_render->setEnabled(false);
    m_cancel->setEnabled(true);
    m_export->setEnabled(false);
    m_progress->setRange(0, rows.size() * columns.size());
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_status->setText(m_controller->busy() ? tr("Queued after the running job…") : tr("Rendering…"));
    m_sheetLabel->setText(tr("Waiting for the first image…"));
    m_controller->post([request](EngineWorker* w) { w->renderGrid(request); });
    return true;
}

void GridDialog::onCell(qint64 id, int row, int column, const QImage& image, double) {
    if (id != m_id || row < 0 || row >= m_cells.size() || column < 0 || column >= m_cells[row].size()) return;
    if (m_imageSize.isEmpty()) m_imageSize = image.size();
    m_cells[row][column] = image;
    ++m_received;
    m_status->setText(tr("%1 of %2 images").arg(m_received).arg(m_rows.size() * m_columns.size()));
    updateSheet();
    Q_EMIT cellArrived(row, column);
}

void GridDialog::onJobEnded(const QString& job, bool complete, const QString& message) {
    if (job != jobs::kGrid || !m_running) return;
    m_running = false;
    m_cancelPending = false;
    m_render->setEnabled(true);
    m_cancel->setEnabled(false);
    m_progress->setVisible(false);
    m_export->setEnabled(m_received > 0);
    if (complete)
        m_status->setText(tr("%1 images").arg(m_received));
    else
        m_status->setText(tr("Grid stopped: %1").arg(message));
    Q_EMIT gridFinished(complete);
}

QImage GridDialog::sheet() const {
    if (m_cells.isEmpty()) return QImage();
    return composeGrid(m_cells, m_imageSize.isEmpty() ? QSize(64, 64) : m_imageSize, m_columns, m_rows, m_title);
}

QImage GridDialog::cell(int row, int column) const {
    if (row < 0 || row >= m_cells.size() || column < 0 || column >= m_cells[row].size()) return QImage();
    return m_cells[row][column];
}

void GridDialog::stopGrid() {
    // Only a grid that is running is stopped; the job of someone else is left alone.
    if (m_controller->runningJob() == jobs::kGrid)
        m_controller->cancel();
    else
        m_cancelPending = true;  // still queued: stopped as soon as it starts
}

void GridDialog::hideEvent(QHideEvent* event) {
    if (m_running) {                                // nobody would see the rest of the grid
        if (m_abandoned) m_abandoned->store(true);  // also when the dialog is deleted before a queued grid starts
        stopGrid();
    }
    QDialog::hideEvent(event);
}

void GridDialog::updateSheet() { m_sheetLabel->setPixmap(QPixmap::fromImage(sheet())); }

bool GridDialog::exportTo(const QString& file) {
    const QImage image = sheet();
    QSaveFile out(file);
    if (image.isNull() || !out.open(QIODevice::WriteOnly) || !image.save(&out, "PNG") || !out.commit()) {
        QMessageBox::warning(this, tr("Export grid"),
                             tr("%1 could not be written: %2").arg(QDir::toNativeSeparators(file), out.errorString()));
        return false;
    }
    m_status->setText(tr("Saved %1").arg(QDir::toNativeSeparators(file)));
    return true;
}

void GridDialog::exportDialog() {
    const QString file =
        QFileDialog::getSaveFileName(this, tr("Export grid"), QStringLiteral("xy-grid.png"), tr("PNG images (*.png)"));
    if (!file.isEmpty()) exportTo(file);
}

}  // namespace diffii::ui
