#include "ui/preview_page.h"

#include "core/diffii/circle_math.h"
#include "core/jobs/log.h"

#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QImageReader>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QScrollArea>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QThreadPool>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

#include "ui/circle_widget.h"
#include "ui/fit_widgets.h"
#include "ui/grid_dialog.h"
#include "ui/lightbox.h"
#include "ui/qcustomplot_compat.h"

namespace diffii::ui {
namespace {

constexpr double kRadToDeg = 57.295779513082320876798154814105;
// The α slider counts tenths of a degree of the point's angle αθ: u = value / kAlphaTicks turns, 0 … 1 turn (both
// ends are z1). Arrow keys move it 0.01 turn (3.6°), Page Up/Down 0.1 turn.
constexpr int kAlphaTicks = 3600;
constexpr int kHistoryMax = 50;    // previews kept in the session's history (full images: ~1 MB each at 512²)
constexpr int kSweepHoverPx = 12;  // how near the mouse must be to a sweep point to show or select it
constexpr int kSplitTicks = 100;
constexpr int kStripCount = 8;
constexpr int kSweepSamples = 3;
constexpr int kDebounceMs = 300;
constexpr int kPreviewSide = 320;
constexpr int kSourceSide = 128;

// An image file decoded at most maxSide pixels a side: a JPEG is decoded at a reduced scale (QImageReader's scaled
// size), so a class of camera photos does not hold the GUI thread for a full decode of each (the pair's icons and
// sources are read here, on the GUI thread).
QImage readScaled(const QString& path, int maxSide) {
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QSize size = reader.size();
    if (size.isValid() && (size.width() > maxSide || size.height() > maxSide))
        reader.setScaledSize(size.scaled(maxSide, maxSide, Qt::KeepAspectRatio));
    return reader.read();
}
constexpr int kStripSide = 96;
// The smallest the images get in a small window (1024×700): they scale down instead of widening the page.
constexpr int kPreviewMinSide = 128;
constexpr int kSourceMinSide = 56;
// Combo boxes of class and file names shrink to this many characters before they widen the controls panel.
constexpr int kComboMinChars = 10;

// Upscales by an integer factor with nearest-neighbour when the image is much smaller than the space (a 32x32
// sample stays crisp instead of turning to mush); a large image is scaled smoothly.
QPixmap fitPixmap(const QImage& image, int side) {
    if (image.isNull()) return {};
    const int longest = std::max(image.width(), image.height());
    const int factor = side / std::max(1, longest);
    if (factor >= 2)
        return QPixmap::fromImage(image.scaled(image.width() * factor, image.height() * factor, Qt::IgnoreAspectRatio,
                                               Qt::FastTransformation));
    return QPixmap::fromImage(image.scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation));
}

bool sameRequest(const PreviewRequest& a, const PreviewRequest& b) {
    return a.className == b.className && a.first == b.first && a.second == b.second && a.alpha == b.alpha &&
           a.split == b.split && a.suffix == b.suffix && a.steps == b.steps && a.guidance == b.guidance &&
           a.seed == b.seed && a.fullRender == b.fullRender;
}

// The same image apart from where on the circle it is and the split ratio.
bool sameBesidesAlphaAndSplit(const PreviewRequest& a, const PreviewRequest& b) {
    return a.className == b.className && a.first == b.first && a.second == b.second && a.suffix == b.suffix &&
           a.steps == b.steps && a.guidance == b.guidance && a.seed == b.seed;
}

}  // namespace

PreviewPage::PreviewPage(StudioController* controller, QWidget* parent) : StudioPage(controller, parent) {
    m_writer = new QThreadPool(this);
    m_writer->setMaxThreadCount(1);
    buildUi();
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(kDebounceMs);
    connect(&m_debounce, &QTimer::timeout, this, &PreviewPage::requestNow);

    connect(controller, &StudioController::projectChanged, this, &PreviewPage::onProjectChanged);
    EngineWorker* w = worker();
    connect(w, &EngineWorker::poolChanged, this, &PreviewPage::onPoolChanged);
    connect(w, &EngineWorker::previewIntermediate, this, &PreviewPage::onIntermediate);
    connect(w, &EngineWorker::previewReady, this, &PreviewPage::onReady);
    connect(w, &EngineWorker::stripImage, this, &PreviewPage::onStripImage);
    connect(w, &EngineWorker::sweepReady, this, &PreviewPage::onSweepReady);
    connect(w, &EngineWorker::sweepPoint, this, &PreviewPage::onSweepPoint);
    connect(w, &EngineWorker::jobFinished, this,
            [this](const QString& job, const QString& summary) { onJobEnded(job, summary, false); });
    connect(w, &EngineWorker::jobFailed, this,
            [this](const QString& job, const QString& message) { onJobEnded(job, message, true); });
    connect(w, &EngineWorker::previewStopped, this, [this](qint64 id) {
        // The user cancelled the preview that was coming: the page is no longer waiting for it (it stayed busy, and
        // the same settings asked again were taken as already coming).
        if (id != m_latestId || !m_pending) return;
        m_pending = false;
        m_busy->setVisible(false);
        m_fullRender->setEnabled(true);
        m_lastRequest = PreviewRequest();
        m_caption->setText(tr("Preview cancelled"));
    });
    connect(w, &EngineWorker::jobCancelled, this, [this](const QString& job) {
        // A cancelled preview was superseded by a newer one, which is still coming; strip and sweep just stop.
        if (job != jobs::kPreview) onJobEnded(job, tr("cancelled"), false);
    });
    connect(w, &EngineWorker::progress, this, [this](const JobProgress& p) {
        if (p.job == jobs::kStrip)
            m_jobStatus->setText(tr("Circle strip: %1 / %2").arg(p.done).arg(p.total));
        else if (p.job == jobs::kSweep)
            m_jobStatus->setText(tr("Sweep of s: %1 / %2 samples").arg(p.done).arg(p.total));
    });

    if (controller->hasProject()) onProjectChanged(controller->project());
}

void PreviewPage::buildUi() {
    // Left: the choices. Right: the sources, the image, the strip and the sweep. The panel keeps its controls' width
    // (never squeezed behind a sideways scroll bar) and scrolls when short.
    auto* controlsScroll = new ScrollPanel(buildControls(), this);
    controlsScroll->setObjectName(QStringLiteral("previewControls"));
    // The images above, the strip and the sweep below, with a splitter between them: in a short window the user
    // chooses what gets the room.
    auto* viewSplitter = new QSplitter(Qt::Vertical, this);
    viewSplitter->setObjectName(QStringLiteral("previewViewSplitter"));
    viewSplitter->setChildrenCollapsible(false);
    viewSplitter->addWidget(buildImagesPane());
    viewSplitter->addWidget(buildLowerView());
    viewSplitter->setStretchFactor(0, 3);
    viewSplitter->setStretchFactor(1, 2);
    viewSplitter->setSizes({1000, 1000});  // half and half at first: the sweep plot is readable at 1024×700
    auto* splitter = new QSplitter(this);
    splitter->addWidget(controlsScroll);
    splitter->addWidget(viewSplitter);
    splitter->setStretchFactor(1, 1);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

    setTemplateToolTips();
    connectControls();
    installLightboxes();
    m_splitValue->setText(tr("s = %1").arg(0.0, 0, 'f', 2));
    updateCircleLabels();
    fillPair();
}

// The choices: class, pair, seed, position on the circle, s, suffix, steps, guidance, and the strip, sweep and grid.
QWidget* PreviewPage::buildControls() {
    auto* controls = new QWidget(this);
    auto* form = new QFormLayout(controls);

    m_class = new QComboBox(controls);
    m_class->setObjectName(QStringLiteral("classCombo"));
    m_class->setPlaceholderText(tr("Build the pool first"));
    m_class->setMinimumContentsLength(kComboMinChars);
    form->addRow(tr("Class"), m_class);

    m_first = new QComboBox(controls);
    m_first->setObjectName(QStringLiteral("firstCombo"));
    m_first->setToolTip(tr("First inversion z1: the image at α = 0"));
    m_second = new QComboBox(controls);
    m_second->setObjectName(QStringLiteral("secondCombo"));
    m_second->setToolTip(tr("Second inversion z2: the image at α = −1 (≡ period − 1)"));
    for (QComboBox* combo : {m_first, m_second}) combo->setMinimumContentsLength(kComboMinChars);
    form->addRow(tr("Image z1"), m_first);
    form->addRow(tr("Image z2"), m_second);

    auto* pairRow = new QHBoxLayout();
    m_randomPair = new QPushButton(tr("Random pair"), controls);
    m_randomPair->setObjectName(QStringLiteral("randomPairButton"));
    m_randomPair->setToolTip(tr("Pick two different inversions of the class at random"));
    m_seed = new QSpinBox(controls);
    m_seed->setObjectName(QStringLiteral("seedSpin"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setToolTip(
        tr("Seed of the Gaussian noise used when the class has one image, and of the sweep's α samples"));
    pairRow->addWidget(m_randomPair);
    pairRow->addWidget(new QLabel(tr("Seed"), controls));
    pairRow->addWidget(m_seed, 1);
    form->addRow(pairRow);

    m_circle = new CircleWidget(controls);
    m_circle->setObjectName(QStringLiteral("circleWidget"));
    m_circle->setToolTip(
        tr("The great circle through z1 and z2. Green: the short arc between them (interpolation); "
           "the rest of the circle extrapolates. Click or drag to move the point."));
    form->addRow(m_circle);

    m_alphaSlider = new QSlider(Qt::Horizontal, controls);
    m_alphaSlider->setObjectName(QStringLiteral("alphaSlider"));
    m_alphaSlider->setRange(0, kAlphaTicks);
    m_alphaSlider->setSingleStep(kAlphaTicks / 100);
    m_alphaSlider->setPageStep(kAlphaTicks / 10);
    m_alphaSlider->setToolTip(
        tr("Where the point is on the great circle through z1 and z2, in turns from z1 towards z2 (0 … 1 turn, both "
           "ends are z1): z2 is at θ/360°, −z1 at 0.5 turn, −z2 at 0.5 + θ/360°. The green band, from z1 to z2 at the "
           "start, is the interpolation arc; the rest extrapolates. Arrow keys move 0.01 turn, Page Up/Down 0.1 "
           "turn."));
    m_turnScale = new TurnScale(m_alphaSlider, controls);
    m_turnScale->setObjectName(QStringLiteral("turnScale"));
    auto* alphaBox = new QWidget(controls);
    auto* alphaLayout = new QVBoxLayout(alphaBox);
    alphaLayout->setContentsMargins(0, 0, 0, 0);
    alphaLayout->setSpacing(0);
    alphaLayout->addWidget(m_alphaSlider);
    alphaLayout->addWidget(m_turnScale);
    form->addRow(tr("Position"), alphaBox);

    m_turns = new QDoubleSpinBox(controls);
    m_turns->setObjectName(QStringLiteral("turnsSpin"));
    m_turns->setRange(0.0, 1.0);
    m_turns->setDecimals(3);
    m_turns->setSingleStep(0.01);
    m_turns->setWrapping(true);
    m_turns->setSuffix(tr(" turn"));
    m_turns->setToolTip(
        tr("The position in turns of the circle from z1 towards z2; the engine gets α = (1 − turns) · 2π/θ"));
    form->addRow(tr("Turns"), m_turns);

    m_region = new QLabel(controls);
    m_region->setObjectName(QStringLiteral("regionLabel"));
    m_numbers = new QLabel(controls);
    m_numbers->setObjectName(QStringLiteral("alphaLabel"));
    m_numbers->setWordWrap(true);
    form->addRow(m_region, m_numbers);

    m_splitSlider = new QSlider(Qt::Horizontal, controls);
    m_splitSlider->setObjectName(QStringLiteral("splitSlider"));
    m_splitSlider->setRange(0, kSplitTicks);
    m_splitSlider->setPageStep(10);
    m_splitSlider->setToolTip(
        tr("Split ratio s: the noisiest fraction s of the steps uses the prompt with the scene "
           "suffix, the rest the plain prompt. Low s stays faithful to the sources, high s "
           "brings more diversity."));
    form->addRow(tr("Split s"), m_splitSlider);
    auto* splitRow = new QHBoxLayout();
    splitRow->addWidget(new QLabel(tr("faithful ← → diverse"), controls), 1);
    m_splitValue = new QLabel(controls);
    m_splitValue->setObjectName(QStringLiteral("splitLabel"));
    splitRow->addWidget(m_splitValue);
    form->addRow(splitRow);

    m_suffix = new QComboBox(controls);
    m_suffix->setObjectName(QStringLiteral("suffixCombo"));
    m_suffix->setEditable(true);
    m_suffix->setInsertPolicy(QComboBox::NoInsert);
    m_suffix->setMinimumContentsLength(kComboMinChars);
    m_suffix->setToolTip(tr("Scene suffix appended to the prompt for the first stage of denoising (type your own)"));
    form->addRow(tr("Suffix"), m_suffix);

    m_steps = new QSpinBox(controls);
    m_steps->setObjectName(QStringLiteral("stepsSpin"));
    m_steps->setRange(1, 1000);
    m_steps->setValue(25);
    m_steps->setToolTip(tr("DDIM denoising steps"));
    form->addRow(tr("Steps"), m_steps);
    m_guidance = new QDoubleSpinBox(controls);
    m_guidance->setObjectName(QStringLiteral("guidanceSpin"));
    m_guidance->setRange(0.0, 30.0);
    m_guidance->setSingleStep(0.5);
    m_guidance->setValue(7.5);
    m_guidance->setToolTip(tr("Classifier-free guidance scale"));
    form->addRow(tr("Guidance"), m_guidance);

    auto* buttons = new QHBoxLayout();
    m_stripButton = new QPushButton(tr("Circle strip"), controls);
    m_stripButton->setObjectName(QStringLiteral("stripButton"));
    m_sweepButton = new QPushButton(tr("Sweep s"), controls);
    m_sweepButton->setObjectName(QStringLiteral("sweepButton"));
    buttons->addWidget(m_stripButton);
    buttons->addWidget(m_sweepButton);
    form->addRow(buttons);
    auto* gridButton = new QPushButton(tr("X/Y grid…"), controls);
    gridButton->setObjectName(QStringLiteral("gridButton"));
    gridButton->setToolTip(tr("Render this pair over two axes (α, s, suffix, seed, guidance) as one labelled grid"));
    form->addRow(gridButton);
    connect(gridButton, &QPushButton::clicked, this, [this] {
        if (classItems().isEmpty()) return;
        QStringList suffixes;
        for (int i = 1; i < m_suffix->count(); ++i) suffixes << m_suffix->itemText(i);
        const QString pair =
            m_fallback ? tr("%1: %2 (Gaussian noise)").arg(m_class->currentText(), m_first->currentText())
                       : tr("%1: %2 ↔ %3").arg(m_class->currentText(), m_first->currentText(), m_second->currentText());
        auto* dialog =
            new GridDialog(controller(), currentRequest(), m_thetaKnown ? m_theta : 0.0, suffixes, pair, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->show();
    });
    m_jobStatus = new QLabel(controls);
    m_jobStatus->setObjectName(QStringLiteral("jobStatus"));
    m_jobStatus->setWordWrap(true);
    form->addRow(m_jobStatus);
    return controls;
}

// The pair's sources beside the preview, its busy bar, caption and draft marks.
QWidget* PreviewPage::buildImagesPane() {
    auto* pane = new QWidget(this);
    auto* imagesRow = new QHBoxLayout();
    auto* sources = new QVBoxLayout();
    auto makeImageLabel = [pane](const QString& name, int side, int minimumSide) {
        auto* label = new ImageLabel(pane, side, minimumSide);
        label->setObjectName(name);
        label->setFrameShape(QFrame::StyledPanel);
        return label;
    };
    m_sourceA = makeImageLabel(QStringLiteral("sourceA"), kSourceSide, kSourceMinSide);
    m_sourceA->setToolTip(tr("Source of z1"));
    m_sourceB = makeImageLabel(QStringLiteral("sourceB"), kSourceSide, kSourceMinSide);
    m_sourceB->setToolTip(tr("Source of z2"));
    sources->addWidget(new QLabel(tr("z1"), pane));
    sources->addWidget(m_sourceA);
    sources->addWidget(new QLabel(tr("z2"), pane));
    sources->addWidget(m_sourceB);
    sources->addStretch(1);
    imagesRow->addLayout(sources);

    auto* main = new QVBoxLayout();
    m_preview = makeImageLabel(QStringLiteral("previewImage"), kPreviewSide, kPreviewMinSide);
    m_preview->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    m_preview->setWordWrap(true);
    m_preview->setText(tr("No preview yet"));
    main->addWidget(m_preview, 1);
    m_busy = new QProgressBar(pane);
    m_busy->setObjectName(QStringLiteral("busyIndicator"));
    m_busy->setRange(0, 0);
    m_busy->setTextVisible(false);
    m_busy->setMaximumHeight(8);
    m_busy->setVisible(false);
    main->addWidget(m_busy);
    m_caption = new QLabel(pane);
    m_caption->setObjectName(QStringLiteral("previewCaption"));
    m_caption->setWordWrap(true);
    m_caption->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A large model previews as a draft (fewer steps, lower resolution): marked, with the full render on request.
    auto* draftRow = new QHBoxLayout();
    m_draftBadge = new QLabel(tr("Draft"), pane);
    m_draftBadge->setObjectName(QStringLiteral("draftBadge"));
    m_draftBadge->setStyleSheet(QStringLiteral(
        "QLabel { background: #b36b00; color: white; font-weight: bold; border-radius: 3px; padding: 1px 6px; }"));
    m_draftBadge->setVisible(false);
    m_fullRender = new QPushButton(tr("Full render"), pane);
    m_fullRender->setObjectName(QStringLiteral("fullRenderButton"));
    m_fullRender->setToolTip(tr("Render this preview with the full steps and resolution of the settings"));
    m_fullRender->setVisible(false);
    connect(m_fullRender, &QPushButton::clicked, this, &PreviewPage::requestFullRender);
    draftRow->addWidget(m_draftBadge);
    draftRow->addWidget(m_caption, 1);
    draftRow->addWidget(m_fullRender);
    main->addLayout(draftRow);
    imagesRow->addLayout(main, 1);
    auto* paneLayout = new QVBoxLayout(pane);
    paneLayout->setContentsMargins(0, 0, 0, 0);
    paneLayout->addLayout(imagesRow);
    return pane;
}

// The circle strip, and the tabs of the sweep of s and of the history.
QWidget* PreviewPage::buildLowerView() {
    auto* view = new QWidget(this);
    auto* viewLayout = new QVBoxLayout(view);
    m_strip = new QListWidget(view);
    m_strip->setObjectName(QStringLiteral("stripList"));
    m_strip->setViewMode(QListView::IconMode);
    m_strip->setFlow(QListView::LeftToRight);
    m_strip->setWrapping(false);
    m_strip->setMovement(QListView::Static);
    m_strip->setIconSize(QSize(kStripSide, kStripSide));
    m_strip->setFixedHeight(kStripSide + 56);
    m_strip->setToolTip(tr("Images along the circle; click one to move α there"));
    viewLayout->addWidget(m_strip);
    // Both strips stay hidden until their first request: empty, they took 290 of a 1280×800 window's pixels and left
    // the sweep plot 60 pixels of axes.
    m_strip->hide();

    buildSweepPlot(view);
    m_sweepStrip = new QListWidget(view);
    m_sweepStrip->setObjectName(QStringLiteral("sweepStrip"));
    m_sweepStrip->setViewMode(QListView::IconMode);
    m_sweepStrip->setFlow(QListView::LeftToRight);
    m_sweepStrip->setWrapping(false);
    m_sweepStrip->setMovement(QListView::Static);
    m_sweepStrip->setIconSize(QSize(kStripSide, kStripSide));
    m_sweepStrip->setFixedHeight(kStripSide + 40);
    m_sweepStrip->setToolTip(tr("The image at the current position for each s of the sweep; click one to use that s"));
    auto* sweepTab = new QWidget(view);
    auto* sweepLayout = new QVBoxLayout(sweepTab);
    sweepLayout->setContentsMargins(0, 0, 0, 0);
    sweepLayout->addWidget(m_plot, 1);
    sweepLayout->addWidget(m_sweepStrip);
    m_sweepStrip->hide();

    auto* historyTab = new QWidget(view);
    auto* historyLayout = new QVBoxLayout(historyTab);
    historyLayout->setContentsMargins(0, 0, 0, 0);
    m_historyList = new QListWidget(historyTab);
    m_historyList->setObjectName(QStringLiteral("historyList"));
    m_historyList->setIconSize(QSize(48, 48));
    m_historyList->setToolTip(tr("The previews of this session, newest first; click one to restore its settings"));
    historyLayout->addWidget(m_historyList, 1);
    m_historyExport = new QPushButton(tr("Use these settings for export"), historyTab);
    m_historyExport->setObjectName(QStringLiteral("historyExportButton"));
    m_historyExport->setToolTip(
        tr("Write the selected preview's steps, guidance and split ratio s into the project's settings, which the "
           "Export page generates with (the pair, position, suffix and seed are drawn per image there)"));
    m_historyExport->setEnabled(false);
    historyLayout->addWidget(m_historyExport);

    m_lowerTabs = new QTabWidget(view);
    m_lowerTabs->setObjectName(QStringLiteral("previewLowerTabs"));
    m_lowerTabs->addTab(sweepTab, tr("Sweep of s"));
    m_lowerTabs->addTab(historyTab, tr("History"));
    viewLayout->addWidget(m_lowerTabs, 2);
    return view;
}

// Faithfulness and diversity against s, the legend in its own row below the axes.
void PreviewPage::buildSweepPlot(QWidget* parent) {
    m_plot = new QCustomPlot(parent);
    m_plot->setObjectName(QStringLiteral("sweepPlot"));
    m_plot->setMinimumHeight(120);
    m_plot->addGraph(m_plot->xAxis, m_plot->yAxis);
    m_plot->graph(0)->setName(tr("faithfulness"));
    m_plot->graph(0)->setPen(QPen(QColor(30, 100, 220), 2));
    m_plot->graph(0)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 6));
    m_plot->addGraph(m_plot->xAxis, m_plot->yAxis2);
    m_plot->graph(1)->setName(tr("diversity"));
    m_plot->graph(1)->setPen(QPen(QColor(220, 120, 30), 2));
    m_plot->graph(1)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 6));
    m_plot->xAxis->setLabel(tr("split ratio s"));
    m_plot->xAxis->setRange(0.0, 1.0);
    // Short axis titles (a short plot cuts long rotated ones); the tooltip says how each is measured.
    m_plot->yAxis->setLabel(tr("faithfulness"));
    m_plot->yAxis2->setLabel(tr("diversity"));
    m_plot->yAxis->ticker()->setTickCount(3);
    m_plot->yAxis2->ticker()->setTickCount(3);
    m_plot->yAxis2->setVisible(true);
    m_plot->legend->setVisible(true);
    // The plot's legend sits in its own row below the axes, so that it never covers a curve.
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->plotLayout()->addElement(1, 0, m_plot->legend);
    m_plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
    m_plot->setMouseTracking(true);
}

void PreviewPage::connectControls() {
    connect(m_class, &QComboBox::currentIndexChanged, this, [this] {
        if (m_filling) return;
        fillPair();
        scheduleRequest();
    });
    auto pairChanged = [this](QComboBox* changed, QComboBox* other) {
        if (m_filling) return;
        if (changed->currentIndex() == other->currentIndex() && other->count() > 1) {
            // z1 = z2 has no circle: move the other end along so the pair stays a pair.
            m_filling = true;
            other->setCurrentIndex((changed->currentIndex() + 1) % other->count());
            m_filling = false;
        }
        updateSources();
        scheduleRequest();
    };
    connect(m_first, &QComboBox::currentIndexChanged, this, [=] { pairChanged(m_first, m_second); });
    connect(m_second, &QComboBox::currentIndexChanged, this, [=] { pairChanged(m_second, m_first); });
    connect(m_randomPair, &QPushButton::clicked, this, [this] {
        const int n = m_first->count();
        if (n < 2) return;
        const int a = QRandomGenerator::global()->bounded(n);
        const int b = (a + 1 + QRandomGenerator::global()->bounded(n - 1)) % n;
        m_filling = true;
        m_first->setCurrentIndex(a);
        m_second->setCurrentIndex(b);
        m_filling = false;
        updateSources();
        requestNow();
    });

    connect(m_alphaSlider, &QSlider::valueChanged, this, [this](int value) {
        m_circle->setPosition(static_cast<double>(value) / kAlphaTicks);
        updateCircleLabels();
        // Dragging previews on release; keyboard steps and clicks on the groove settle first.
        if (!m_alphaSlider->isSliderDown()) scheduleRequest();
    });
    connect(m_alphaSlider, &QSlider::sliderReleased, this, &PreviewPage::requestNow);
    connect(m_turns, &QDoubleSpinBox::valueChanged, this, [this](double turns) {
        m_alphaSlider->setValue(static_cast<int>(std::lround(turns * kAlphaTicks)));  // previews after the debounce
    });
    connect(m_circle, &CircleWidget::positionDragged, this, [this](double u) {
        const QSignalBlocker block(m_alphaSlider);
        m_alphaSlider->setValue(static_cast<int>(std::lround(u * kAlphaTicks)) % kAlphaTicks);
        updateCircleLabels();
    });
    connect(m_circle, &CircleWidget::positionReleased, this, [this](double u) {
        setSliderPosition(u);
        requestNow();
    });
    connect(m_splitSlider, &QSlider::valueChanged, this, [this](int value) {
        m_splitValue->setText(tr("s = %1").arg(static_cast<double>(value) / kSplitTicks, 0, 'f', 2));
        if (!m_splitSlider->isSliderDown()) scheduleRequest();
    });
    connect(m_splitSlider, &QSlider::sliderReleased, this, &PreviewPage::requestNow);
    connect(m_suffix, &QComboBox::currentTextChanged, this, [this] {
        if (!m_filling) scheduleRequest();
    });
    connect(m_steps, &QSpinBox::valueChanged, this, &PreviewPage::scheduleRequest);
    connect(m_guidance, &QDoubleSpinBox::valueChanged, this, &PreviewPage::scheduleRequest);
    connect(m_seed, &QSpinBox::valueChanged, this, [this] {
        if (m_fallback) scheduleRequest();  // the seed only changes the image of a one-image class
    });
    connect(m_stripButton, &QPushButton::clicked, this, &PreviewPage::requestStrip);
    connect(m_sweepButton, &QPushButton::clicked, this, &PreviewPage::requestSweep);
    connect(m_strip, &QListWidget::itemClicked, this, &PreviewPage::onStripClicked);
    connect(m_sweepStrip, &QListWidget::itemClicked, this,
            [this](QListWidgetItem* item) { selectSweepPoint(item ? item->data(Qt::UserRole).toInt() : -1); });
    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
        const int i = sweepPointAt(event->position());
        if (i < 0) {
            if (!m_sweepHover.isEmpty()) QToolTip::hideText();
            m_sweepHover.clear();
            return;
        }
        const SweepPoint& p = m_sweepPoints[i];
        m_sweepHover = tr("s = %1\nfaithfulness %2\ndiversity %3\nclick to use this s")
                           .arg(p.split, 0, 'f', 2)
                           .arg(p.faithfulness, 0, 'f', 4)
                           .arg(p.diversity, 0, 'f', 4);
        QToolTip::showText(event->globalPosition().toPoint(), m_sweepHover, m_plot);
    });
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
        if (event->button() == Qt::LeftButton) selectSweepPoint(sweepPointAt(event->position()));
    });
    connect(m_historyList, &QListWidget::itemClicked, this,
            [this](QListWidgetItem* item) { restoreHistory(item ? item->data(Qt::UserRole).toInt() : -1); });
    connect(m_historyList, &QListWidget::currentRowChanged, this,
            [this](int row) { m_historyExport->setEnabled(row >= 0); });
    connect(m_historyExport, &QPushButton::clicked, this, &PreviewPage::useForExport);
}

void PreviewPage::installLightboxes() {
    // The lightbox: the full-resolution image beside the pair's sources and their reconstructions.
    auto pairSources = [this](bool withImages) {
        QList<LightboxImage> list;
        const auto items = classItems();
        const int n = static_cast<int>(items.size());
        const int idx[2] = {m_first->currentIndex(), m_fallback ? -1 : m_second->currentIndex()};
        for (int k = 0; k < 2; ++k) {
            if (idx[k] < 0 || idx[k] >= n) continue;
            const QString z = k == 0 ? QStringLiteral("z1") : QStringLiteral("z2");
            if (withImages)
                list << LightboxImage{QImage(), tr("%1: %2").arg(z, QFileInfo(items[idx[k]].imagePath).fileName()),
                                      items[idx[k]].imagePath};
            if (!items[idx[k]].reconstructionPath.isEmpty())
                list << LightboxImage{QImage(), tr("%1 reconstruction").arg(z), items[idx[k]].reconstructionPath};
        }
        return list;
    };
    installLightbox(m_preview, [this, pairSources] {
        return LightboxContent{{m_image, m_caption->text(), QString()}, pairSources(true)};
    });
    for (QLabel* label : {m_sourceA, m_sourceB}) {
        installLightbox(label, [this, label] {
            const auto items = classItems();
            const int i = (label == m_sourceA ? m_first : m_second)->currentIndex();
            if (i < 0 || i >= items.size() || (label == m_sourceB && m_fallback)) return LightboxContent();
            LightboxContent c{{QImage(), QFileInfo(items[i].imagePath).fileName(), items[i].imagePath}, {}};
            if (!items[i].reconstructionPath.isEmpty())
                c.sources << LightboxImage{QImage(), tr("reconstruction"), items[i].reconstructionPath};
            return c;
        });
    }
    installLightbox(m_strip, [pairSources](const QModelIndex& index) {
        return LightboxContent{{index.data(kLightboxImageRole).value<QImage>(), index.data().toString(), QString()},
                               pairSources(true)};
    });
}

void PreviewPage::showEvent(QShowEvent* event) {
    StudioPage::showEvent(event);
    if (m_image.isNull() && !m_pending && !classItems().isEmpty()) scheduleRequest();
}

double PreviewPage::period() const { return diffii::circlePeriod(m_theta); }

double PreviewPage::alpha() const { return diffii::alphaForPosition(m_theta, turns()); }

double PreviewPage::turns() const { return static_cast<double>(m_alphaSlider->value()) / kAlphaTicks; }

bool PreviewPage::showsInterpolation() const { return !m_fallback && diffii::isInterpolation(m_theta, alpha()); }

QList<PoolItem> PreviewPage::classItems() const {
    // The same filter and order as the engine, whose request indices point into this list.
    QList<PoolItem> items;
    const QString name = m_class->currentText();
    for (const auto& it : m_pool)
        if (it.className == name && !it.stale) items << it;
    return items;
}

QString PreviewPage::pairKey() const {
    return m_class->currentText() + QLatin1Char('\n') + QString::number(m_first->currentIndex()) + QLatin1Char('\n') +
           QString::number(m_second->currentIndex());
}

void PreviewPage::learnTheta(const QString& pair, double theta) {
    if (!(theta > 0.0)) return;
    m_thetaByPair.insert(pair, theta);
    if (pair != pairKey()) return;
    m_thetaKnown = true;
    if (theta == m_theta) return;
    m_theta = theta;
    m_circle->setTheta(theta);
    updateCircleLabels();
}

void PreviewPage::onProjectChanged(const ProjectInfo& info) {
    const bool newProject = info.dir != m_projectDir;
    m_projectDir = info.dir;
    m_filling = true;
    const QString currentSuffix = m_suffix->currentText();
    m_suffix->clear();
    m_suffix->addItem(tr("(none)"));
    m_suffix->addItems(info.suffixes);
    if (!newProject && !currentSuffix.isEmpty())
        m_suffix->setCurrentText(currentSuffix);
    else
        m_suffix->setCurrentIndex(info.suffixes.isEmpty() ? 0 : 1);
    if (newProject) {
        // The project's generation settings are the starting point; later edits here are the user's to keep.
        const auto& gen = info.workflow.denoise;
        m_steps->setValue(gen.steps);
        m_guidance->setValue(gen.guidance);
        m_splitSlider->setValue(static_cast<int>(std::lround(gen.split * kSplitTicks)));
        m_seed->setValue(static_cast<int>(info.seed % static_cast<quint64>(std::numeric_limits<int>::max())));
        m_thetaByPair.clear();
        m_pool.clear();
        m_image = QImage();
        m_strip->clear();
        m_strip->hide();
        m_stripCount = 0;
        m_history.clear();
        m_historyList->clear();
        m_sweepPoints.clear();
        m_sweepStrip->clear();
        m_sweepStrip->hide();
        m_plot->graph(0)->data()->clear();
        m_plot->graph(1)->data()->clear();
        m_plot->replot();
        loadSaved();
    }
    m_filling = false;
    m_debounce.stop();  // the settings above are not the user's changes
}

void PreviewPage::onPoolChanged(const QList<PoolItem>& items) {
    m_pool = items;
    fillClasses();
    fillPair();
    if (isVisible() && m_image.isNull() && !classItems().isEmpty()) scheduleRequest();
}

void PreviewPage::fillClasses() {
    const QString current = m_class->currentText();
    QStringList names;
    for (const auto& it : m_pool)
        if (!it.stale && !names.contains(it.className)) names << it.className;
    m_filling = true;
    m_class->clear();
    m_class->addItems(names);
    const int keep = names.indexOf(current);
    m_class->setCurrentIndex(keep >= 0 ? keep : (names.isEmpty() ? -1 : 0));
    m_filling = false;
}

void PreviewPage::fillPair() {
    const auto items = classItems();
    const int first = m_first->currentIndex(), second = m_second->currentIndex();
    m_filling = true;
    m_first->clear();
    m_second->clear();
    for (const auto& it : items) {
        const QIcon icon(QPixmap::fromImage(readScaled(it.imagePath, 32)));
        const QString name = QFileInfo(it.imagePath).fileName();
        m_first->addItem(icon, name);
        m_second->addItem(icon, name);
    }
    const int n = static_cast<int>(items.size());
    if (n > 0) {
        const int a = first >= 0 && first < n ? first : 0;
        int b = second >= 0 && second < n ? second : (a + 1) % n;
        if (b == a) b = (a + 1) % n;
        m_first->setCurrentIndex(a);
        m_second->setCurrentIndex(b);
    }
    m_filling = false;
    m_second->setEnabled(n >= 2);
    m_randomPair->setEnabled(n >= 2);
    m_stripButton->setEnabled(n >= 2);
    m_sweepButton->setEnabled(n >= 2);
    updateSources();
}

void PreviewPage::updateSources() {
    const auto items = classItems();
    const int a = m_first->currentIndex(), b = m_second->currentIndex();
    const int n = static_cast<int>(items.size());
    // Read at twice the label's side: sharp on a large window; the lightbox opens the file itself.
    showImage(m_sourceA, a >= 0 && a < n ? readScaled(items[a].imagePath, 2 * kSourceSide) : QImage(), kSourceSide);
    showImage(m_sourceB, n >= 2 && b >= 0 && b < n ? readScaled(items[b].imagePath, 2 * kSourceSide) : QImage(),
              kSourceSide);
    // A one-image class has no circle: the engine starts from Gaussian noise of the seed.
    m_fallback = n == 1;
    m_alphaSlider->setEnabled(!m_fallback);
    m_circle->setEnabled(!m_fallback);
    const auto known = m_thetaByPair.constFind(pairKey());
    m_thetaKnown = known != m_thetaByPair.constEnd();
    if (m_thetaKnown) m_theta = *known;
    m_circle->setTheta(m_thetaKnown ? m_theta : 0.0);
    updateCircleLabels();
}

void PreviewPage::updateCircleLabels() {
    {
        const QSignalBlocker block(m_turns);
        m_turns->setValue(turns());
    }
    m_turns->setEnabled(!m_fallback);
    m_turnScale->setTheta(m_circle->theta());
    m_turnScale->setEnabled(!m_fallback);
    if (m_fallback) {
        m_region->setText(tr("noise"));
        m_region->setToolTip(QString());
        m_numbers->setText(tr("one image in the class: Gaussian noise (seed %1)").arg(m_seed->value()));
        m_numbers->setToolTip(QString());
        return;
    }
    const bool interp = showsInterpolation();
    m_region->setText(interp ? tr("interpolation") : tr("extrapolation"));
    m_region->setStyleSheet(interp ? QStringLiteral("color: #2e9f43; font-weight: bold")
                                   : QStringLiteral("color: #c0661e; font-weight: bold"));
    m_region->setToolTip(interp ? tr("The point lies on the short arc between z1 and z2")
                                : tr("The point lies on the long way round the circle, beyond z1 or z2"));
    const QString thetaText = m_thetaKnown
                                  ? tr("θ = %1°").arg(m_theta * kRadToDeg, 0, 'f', 1)
                                  : tr("θ ≈ %1° (until the first preview)").arg(m_theta * kRadToDeg, 0, 'f', 1);
    m_numbers->setText(tr("%1 turn (α = %2) · %3").arg(turns(), 0, 'f', 3).arg(alpha(), 0, 'f', 3).arg(thetaText));
    const auto marks = diffii::circleLandmarks(m_theta);
    m_numbers->setToolTip(
        tr("How far round the circle the point is from z1, in turns (1 turn: all the way round, back to z1). "
           "z2 is at %1 turn, −z1 at 0.5, −z2 at %2. The engine's rotation parameter is α = (1 − turns) · 2π/θ = "
           "(1 − turns) · %3; θ, the angle between the two inverted latents, is %4°.")
            .arg(marks.z2, 0, 'f', 3)
            .arg(marks.minusZ2, 0, 'f', 3)
            .arg(period(), 0, 'f', 3)
            .arg(m_theta * kRadToDeg, 0, 'f', 1));
}

void PreviewPage::setSliderPosition(double u) {
    u -= std::floor(u);
    const QSignalBlocker block(m_alphaSlider);
    m_alphaSlider->setValue(static_cast<int>(std::lround(u * kAlphaTicks)) % kAlphaTicks);
    m_circle->setPosition(static_cast<double>(m_alphaSlider->value()) / kAlphaTicks);
    updateCircleLabels();
}

QString PreviewPage::suffix() const {
    const QString text = m_suffix->currentText().trimmed();
    return text == tr("(none)") ? QString() : text;
}

PreviewRequest PreviewPage::currentRequest() const {
    PreviewRequest r;
    r.className = m_class->currentText();
    r.first = std::max(0, m_first->currentIndex());
    r.second = std::max(0, m_second->currentIndex());
    r.alpha = m_fallback ? 0.0 : alpha();
    r.split = static_cast<double>(m_splitSlider->value()) / kSplitTicks;
    r.suffix = suffix();
    r.steps = m_steps->value();
    r.guidance = m_guidance->value();
    r.seed = static_cast<quint64>(m_seed->value());
    // About five intermediates per preview whatever the step count: enough to watch, few VAE decodes.
    r.intermediateEvery = std::max(1, r.steps / 5);
    return r;
}

void PreviewPage::scheduleRequest() {
    if (m_filling) return;
    m_debounce.start();
}

void PreviewPage::requestNow() {
    m_debounce.stop();
    if (m_filling || classItems().isEmpty()) return;
    const PreviewRequest request = currentRequest();
    // The same settings again (a release after a keyboard step, say): what is coming or shown already answers it.
    if (m_latestId > 0 && sameRequest(request, m_lastRequest) && (m_pending || m_shownId == m_latestId)) return;
    m_lastRequest = request;
    m_latestId = controller()->requestPreview(request);
    m_lastRequest.id = m_latestId;
    m_requestedPosition = turns();
    m_pending = true;
    m_busy->setRange(0, 0);
    m_busy->setVisible(true);
}

void PreviewPage::requestFullRender() {
    m_debounce.stop();
    if (m_filling || classItems().isEmpty()) return;
    PreviewRequest request = currentRequest();
    request.fullRender = true;
    m_lastRequest = request;
    m_latestId = controller()->requestPreview(request);
    m_lastRequest.id = m_latestId;
    m_requestedPosition = turns();
    m_pending = true;
    m_fullRender->setEnabled(false);
    m_busy->setRange(0, 0);
    m_busy->setVisible(true);
}

void PreviewPage::showImage(QLabel* label, const QImage& image, int side) {
    if (image.isNull()) {
        label->clear();
        return;
    }
    // At least side, and the image's own pixels when it has more: the label scales it to the room it gets.
    label->setPixmap(fitPixmap(image, std::max(side, std::max(image.width(), image.height()))));
}

void PreviewPage::onIntermediate(qint64 id, const QImage& image, int step, int total) {
    if (id != m_latestId || id <= m_discardUpTo) return;  // from a superseded request
    ++m_intermediates;
    showImage(m_preview, image, kPreviewSide);
    m_busy->setRange(0, total);
    m_busy->setValue(step);
    m_caption->setText(tr("Denoising… step %1 of %2").arg(step).arg(total));
}

void PreviewPage::onReady(const PreviewResult& result) {
    if (result.id != m_latestId || result.id <= m_discardUpTo) return;
    const QString pair = QString(m_lastRequest.className + QLatin1Char('\n') + QString::number(m_lastRequest.first) +
                                 QLatin1Char('\n') + QString::number(m_lastRequest.second));
    if (!result.fallbackNoise && result.theta > 0.0 && pair == pairKey()) {
        learnTheta(pair, result.theta);
        // Until θ is known the α of a slider position is a guess. The user aimed at a point of the circle (slider
        // position u), so keep the point and compute the α that really lies there; the guess's image shows meanwhile.
        const double aimed = diffii::alphaForPosition(result.theta, m_requestedPosition);
        if (std::abs(aimed - result.alpha) > 1e-6 * std::max(1.0, aimed)) {
            showImage(m_preview, result.image, kPreviewSide);
            m_caption->setText(
                tr("θ is %1°: moving to the chosen point of the circle…").arg(result.theta * kRadToDeg, 0, 'f', 1));
            requestNow();
            if (m_latestId != result.id) return;
        }
    }
    m_pending = false;
    m_busy->setVisible(false);
    m_image = result.image;
    m_shownId = result.id;
    m_shownIds << result.id;
    m_lastSeconds = result.seconds;
    showImage(m_preview, m_image, kPreviewSide);
    m_caption->setText(captionFor(m_lastRequest, result.theta, result.alpha, result.interpolation, result.fallbackNoise,
                                  result.seconds));
    m_draftBadge->setVisible(result.draft);
    m_draftBadge->setToolTip(result.draft ? tr("A quick draft: %1 steps at %2×%3 pixels instead of the settings' %4 "
                                               "steps at the model's size")
                                                .arg(result.steps)
                                                .arg(result.image.width())
                                                .arg(result.image.height())
                                                .arg(m_lastRequest.steps)
                                          : QString());
    m_fullRender->setVisible(result.draft);
    m_fullRender->setEnabled(true);
    PreviewHistoryEntry entry;
    entry.request = m_lastRequest;
    entry.request.alpha = result.alpha;
    entry.theta = result.fallbackNoise ? 0.0 : result.theta;
    entry.turn = turns();
    entry.interpolation = result.interpolation;
    entry.seconds = result.seconds;
    entry.image = result.image;
    addHistory(entry);
}

QString PreviewPage::captionFor(const PreviewRequest& request, double theta, double alpha, bool interpolation,
                                bool fallback, double seconds) const {
    const QString suffixText = request.suffix.isEmpty() ? tr("(none)") : request.suffix;
    if (fallback)
        return tr("Gaussian noise (one image in the class, seed %1) · s = %2 · suffix: %3 · %4 s")
            .arg(request.seed)
            .arg(request.split, 0, 'f', 2)
            .arg(suffixText)
            .arg(seconds, 0, 'f', 2);
    return tr("%1 turn (α = %2) · θ = %3° · %4 · s = %5 · suffix: %6 · %7 s")
        .arg(diffii::positionOfAlpha(theta, alpha), 0, 'f', 3)
        .arg(alpha, 0, 'f', 3)
        .arg(theta * kRadToDeg, 0, 'f', 1)
        .arg(interpolation ? tr("interpolation") : tr("extrapolation"))
        .arg(request.split, 0, 'f', 2)
        .arg(suffixText)
        .arg(seconds, 0, 'f', 2);
}

void PreviewPage::onJobEnded(const QString& job, const QString& message, bool failed) {
    if (job == jobs::kPreview) {
        if (!failed || !m_pending) return;
        m_pending = false;
        m_busy->setVisible(false);
        m_caption->setText(tr("Preview failed: %1").arg(message));
    } else if (job == jobs::kStrip || job == jobs::kSweep) {
        const bool enable = m_first->count() >= 2;
        (job == jobs::kStrip ? m_stripButton : m_sweepButton)->setEnabled(enable);
        if (failed)
            m_jobStatus->setText(tr("%1 failed: %2").arg(jobDisplayName(job), message));
        else
            m_jobStatus->clear();
    }
}

void PreviewPage::requestStrip() {
    if (m_first->count() < 2) return;
    PreviewRequest request = currentRequest();
    request.id = ++m_stripId;  // the strip's own numbering: a newer strip hides the images of an older one
    request.intermediateEvery = 0;
    m_stripRequest = request;
    m_strip->clear();
    m_strip->show();
    m_stripCount = 0;
    m_stripButton->setEnabled(false);
    m_jobStatus->setText(tr("Circle strip queued…"));
    const QString pair = pairKey();
    m_strip->setProperty("pair", pair);
    controller()->post([request](EngineWorker* w) { w->previewStrip(request, kStripCount); });
}

void PreviewPage::onStripImage(qint64 id, int index, const QImage& image, double alpha, bool interpolation) {
    if (id != m_stripId) return;
    // The engine spaces the strip evenly in α over one period: α_i = (2π/θ)·i/n, which tells θ.
    if (index > 0 && alpha > 0.0) {
        m_stripTheta = diffii::kTwoPi * index / (kStripCount * alpha);
        learnTheta(m_strip->property("pair").toString(), m_stripTheta);
    }
    // Shown by position (turns from z1 towards z2, as the slider): the engine's turn i/n is position 1 − i/n.
    const double position = diffii::turnOfPosition(static_cast<double>(index) / kStripCount);
    auto* item = new QListWidgetItem(
        QIcon(fitPixmap(image, kStripSide)),
        tr("%1 turn\n%2").arg(position, 0, 'f', 3).arg(interpolation ? tr("interp") : tr("extrap")));
    item->setData(Qt::UserRole, position);
    item->setData(Qt::UserRole + 1, image);  // shown again on a click instead of rendering it again
    item->setData(Qt::UserRole + 2, alpha);
    item->setData(Qt::UserRole + 3, interpolation);
    item->setData(kLightboxImageRole, image);
    item->setToolTip(tr("α = %1. %2")
                         .arg(alpha, 0, 'f', 3)
                         .arg(interpolation ? tr("On the short arc between z1 and z2: interpolation")
                                            : tr("Beyond z1 or z2: extrapolation")));
    // In order of position: z1 first, then the images as they come (each one nearer z1 than the last) after it.
    m_strip->insertItem(index == 0 ? 0 : std::min(1, m_strip->count()), item);
    m_strip->show();
    ++m_stripCount;
}

void PreviewPage::onStripClicked(QListWidgetItem* item) {
    if (!item) return;
    PreviewRequest request = m_stripRequest;
    request.alpha = item->data(Qt::UserRole + 2).toDouble();
    const double theta = m_stripTheta > 0.0 ? m_stripTheta : m_theta;
    setSliderPosition(item->data(Qt::UserRole).toDouble());
    // The strip computed this image already: show it, unless the settings changed since.
    if (!showComputed(request, item->data(Qt::UserRole + 1).value<QImage>(), theta,
                      item->data(Qt::UserRole + 3).toBool(), 0.0))
        requestNow();
}

void PreviewPage::requestSweep() {
    if (m_first->count() < 2) return;
    PreviewRequest request = currentRequest();
    request.intermediateEvery = 0;
    request.id = ++m_sweepId;
    m_sweepRequest = request;
    const QList<double> splits = {0.0, 0.2, 0.4, 0.6, 0.8, 1.0};
    m_sweepPoints.clear();
    m_sweepStrip->clear();
    m_sweepStrip->show();
    m_sweepHover.clear();
    m_plot->graph(0)->data()->clear();
    m_plot->graph(1)->data()->clear();
    m_plot->replot();
    m_lowerTabs->setCurrentIndex(0);
    m_sweepButton->setEnabled(false);
    m_jobStatus->setText(tr("Sweep of s queued…"));
    controller()->post([request, splits](EngineWorker* w) { w->sweepSplit(request, splits, kSweepSamples); });
}

void PreviewPage::onSweepPoint(qint64 id, int index, const SweepPoint& point) {
    if (id != m_sweepId) return;
    Q_UNUSED(index);
    addSweepPoint(point);
}

void PreviewPage::addSweepPoint(const SweepPoint& point) {
    m_sweepPoints << point;
    m_plot->graph(0)->addData(point.split, point.faithfulness);
    m_plot->graph(1)->addData(point.split, point.diversity);
    fitSweepAxes();
    m_plot->replot();

    const int i = static_cast<int>(m_sweepPoints.size()) - 1;
    auto* item =
        new QListWidgetItem(QIcon(fitPixmap(point.image, kStripSide)), tr("s = %1").arg(point.split, 0, 'f', 2));
    item->setData(Qt::UserRole, i);
    item->setToolTip(tr("s = %1 · faithfulness %2 · diversity %3 (at α = %4)")
                         .arg(point.split, 0, 'f', 2)
                         .arg(point.faithfulness, 0, 'f', 4)
                         .arg(point.diversity, 0, 'f', 4)
                         .arg(point.alpha, 0, 'f', 3));
    m_sweepStrip->addItem(item);
    m_sweepStrip->show();
}

void PreviewPage::onSweepReady(const QList<SweepPoint>& points) {
    // The points came one by one (onSweepPoint); the final list only confirms them.
    if (points.size() == m_sweepPoints.size()) {
        saveSweep();
        return;
    }
    QVector<double> s, faith, div;
    for (const auto& p : points) {
        s << p.split;
        faith << p.faithfulness;
        div << p.diversity;
    }
    m_plot->graph(0)->setData(s, faith, true);
    m_plot->graph(1)->setData(s, div, true);
    fitSweepAxes();
    m_plot->replot();
}

void PreviewPage::fitSweepAxes() {
    m_plot->xAxis->setRange(-0.05, 1.05);
    // Each measure on its own axis with a little headroom; a flat series still gets a visible range.
    auto fit = [](QCPAxis* axis, QCPGraph* graph) {
        bool found = false;
        QCPRange r = graph->getValueRange(found);
        if (!found) return;
        const double pad = std::max(1e-3, 0.1 * r.size());
        axis->setRange(r.lower - pad, r.upper + pad);
    };
    fit(m_plot->yAxis, m_plot->graph(0));
    fit(m_plot->yAxis2, m_plot->graph(1));
}

QPointF PreviewPage::sweepPointPixel(int index, bool diversity) const {
    if (index < 0 || index >= m_sweepPoints.size()) return {};
    const SweepPoint& p = m_sweepPoints[index];
    return m_plot->graph(diversity ? 1 : 0)->coordsToPixels(p.split, diversity ? p.diversity : p.faithfulness);
}

int PreviewPage::sweepPointAt(const QPointF& pos) const {
    int best = -1;
    double bestDistance = kSweepHoverPx;
    for (int i = 0; i < m_sweepPoints.size(); ++i) {
        for (bool diversity : {false, true}) {
            const QPointF d = sweepPointPixel(i, diversity) - pos;
            const double distance = std::hypot(d.x(), d.y());
            if (distance <= bestDistance) {
                bestDistance = distance;
                best = i;
            }
        }
    }
    return best;
}

void PreviewPage::selectSweepPoint(int index) {
    if (index < 0 || index >= m_sweepPoints.size()) return;
    const SweepPoint& point = m_sweepPoints[index];
    m_sweepStrip->setCurrentRow(index);
    PreviewRequest request = m_sweepRequest;
    request.split = point.split;
    request.alpha = point.alpha;
    {
        const QSignalBlocker block(m_splitSlider);
        m_splitSlider->setValue(static_cast<int>(std::lround(point.split * kSplitTicks)));
    }
    m_splitValue->setText(tr("s = %1").arg(static_cast<double>(m_splitSlider->value()) / kSplitTicks, 0, 'f', 2));
    setSliderPosition(diffii::positionOfAlpha(m_theta, point.alpha));
    // The sweep rendered this s at this position already: show that image.
    if (!showComputed(request, point.image, m_theta, diffii::isInterpolation(m_theta, point.alpha), 0.0)) requestNow();
}

bool PreviewPage::showComputed(const PreviewRequest& request, const QImage& image, double theta, bool interpolation,
                               double seconds) {
    const PreviewRequest now = currentRequest();
    if (image.isNull() || !sameBesidesAlphaAndSplit(now, request) || classItems().isEmpty()) return false;
    if (std::abs(now.split - request.split) > 1e-9) return false;
    // The slider holds the position to 1/3600 of a turn: the image is the request's, whose α may differ by less.
    const double tolerance = 0.6 * diffii::alphaForTurn(m_theta, 1.0 / kAlphaTicks) + 1e-9;
    if (!m_fallback && std::abs(now.alpha - request.alpha) > tolerance) return false;
    m_debounce.stop();
    if (m_pending) {
        // A preview still computing would replace this image: abandon it.
        worker()->supersedePreviews(m_latestId + 1);
        m_pending = false;
        m_busy->setVisible(false);
    }
    m_discardUpTo = m_latestId;
    m_lastRequest = now;  // an unchanged release or key press later asks for nothing new
    m_lastRequest.id = m_latestId;
    m_shownId = m_latestId;
    m_image = image;
    showImage(m_preview, m_image, kPreviewSide);
    m_caption->setText(captionFor(request, theta, request.alpha, interpolation, m_fallback, seconds) +
                       tr(" · shown again, not recomputed"));
    return true;
}

void PreviewPage::addHistory(const PreviewHistoryEntry& entry) {
    // The same settings again (shown from a cache, say) are one entry.
    for (const auto& h : m_history)
        if (sameRequest(h.request, entry.request)) return;
    m_history.prepend(entry);
    while (m_history.size() > kHistoryMax) m_history.removeLast();
    fillHistoryList();
    saveHistory();
}

void PreviewPage::fillHistoryList() {
    const QSignalBlocker block(m_historyList);
    const int current = m_historyList->currentRow();
    m_historyList->clear();
    for (int i = 0; i < m_history.size(); ++i) {
        const auto& h = m_history[i];
        const auto& r = h.request;
        const QString where = h.theta > 0.0 ? tr("%1 turn").arg(h.turn, 0, 'f', 3) : tr("noise");
        const QString text = tr("%1 · %2/%3 · %4 · s = %5 · guidance %6 · %7 steps · seed %8 · suffix: %9")
                                 .arg(r.className)
                                 .arg(r.first + 1)
                                 .arg(r.second + 1)
                                 .arg(where)
                                 .arg(r.split, 0, 'f', 2)
                                 .arg(r.guidance, 0, 'f', 1)
                                 .arg(r.steps)
                                 .arg(r.seed)
                                 .arg(r.suffix.isEmpty() ? tr("(none)") : r.suffix);
        auto* item = new QListWidgetItem(QIcon(fitPixmap(h.image, 48)), text);
        item->setData(Qt::UserRole, i);
        item->setToolTip(text + QLatin1Char('\n') +
                         tr("α = %1, θ = %2°").arg(r.alpha, 0, 'f', 4).arg(h.theta * kRadToDeg, 0, 'f', 1));
        m_historyList->addItem(item);
    }
    if (current >= 0 && current < m_historyList->count() && m_historyList->count() == m_history.size())
        m_historyList->setCurrentRow(current);
    m_historyExport->setEnabled(m_historyList->currentRow() >= 0);
}

void PreviewPage::saveHistory() {
    if (m_projectDir.isEmpty()) return;
    // Names are given here, so that the page's entries and the files agree; the writer thread writes in order.
    static int counter = 0;
    for (PreviewHistoryEntry& e : m_history)
        if (e.file.isEmpty())
            e.file = QStringLiteral("preview-%1-%2.png").arg(QDateTime::currentMSecsSinceEpoch()).arg(++counter);
    const QString dir = m_projectDir;
    QList<PreviewHistoryEntry> entries = m_history;
    m_writer->start([dir, entries]() mutable {
        QString error;
        if (!preview_store::saveHistory(dir, &entries, &error))
            diffii::logWarning(PreviewPage::tr("Preview history not saved: %1").arg(error).toStdString());
    });
}

void PreviewPage::saveSweep() {
    if (m_projectDir.isEmpty() || m_sweepPoints.isEmpty()) return;
    const QString dir = m_projectDir;
    const PreviewRequest request = m_sweepRequest;
    const QList<SweepPoint> points = m_sweepPoints;
    m_writer->start([dir, request, points] {
        QString error;
        if (!preview_store::saveSweep(dir, request, points, &error))
            diffii::logWarning(PreviewPage::tr("Sweep of s not saved: %1").arg(error).toStdString());
    });
}

void PreviewPage::loadSaved() {
    if (m_projectDir.isEmpty()) return;
    m_writer->waitForDone();  // what this session wrote is read back whole
    QString error;
    m_history = preview_store::loadHistory(m_projectDir, &error);
    fillHistoryList();
    PreviewRequest request;
    QList<SweepPoint> points;
    if (preview_store::loadSweep(m_projectDir, &request, &points, &error)) {
        m_sweepRequest = request;
        for (const SweepPoint& p : points) addSweepPoint(p);
    }
    if (!error.isEmpty()) diffii::logWarning(error.toStdString());
}

// Tooltips made from templates (a number filled in, or pieces joined): retranslate() makes them again.
void PreviewPage::setTemplateToolTips() {
    m_stripButton->setToolTip(tr("Render %1 images evenly spaced around the circle").arg(kStripCount));
    m_sweepButton->setToolTip(
        tr("Measure faithfulness and diversity for s = 0, 0.2, …, 1 (%1 samples each)").arg(kSweepSamples));
    m_plot->setToolTip(tr("Faithfulness falls and diversity rises as s grows; pick s where the trade-off suits you") +
                       QStringLiteral("\n") + tr("faithfulness (cosine to source)") + QStringLiteral(" · ") +
                       tr("diversity (pairwise RMS)"));
}

void PreviewPage::retranslate() {
    // The texts made from templates: the tooltips above, the history's lines and the position's numbers.
    setTemplateToolTips();
    fillHistoryList();
    updateCircleLabels();
}

void PreviewPage::restoreHistory(int index) {
    if (index < 0 || index >= m_history.size()) return;
    const PreviewHistoryEntry entry = m_history[index];
    const PreviewRequest& r = entry.request;
    const int cls = m_class->findText(r.className);
    if (cls < 0) return;  // the class left the pool
    m_filling = true;
    m_class->setCurrentIndex(cls);
    m_filling = false;
    fillPair();
    m_filling = true;
    if (r.first < m_first->count()) m_first->setCurrentIndex(r.first);
    if (r.second < m_second->count()) m_second->setCurrentIndex(r.second);
    m_splitSlider->setValue(static_cast<int>(std::lround(r.split * kSplitTicks)));
    m_splitValue->setText(tr("s = %1").arg(static_cast<double>(m_splitSlider->value()) / kSplitTicks, 0, 'f', 2));
    m_suffix->setCurrentText(r.suffix.isEmpty() ? tr("(none)") : r.suffix);
    m_steps->setValue(r.steps);
    m_guidance->setValue(r.guidance);
    m_seed->setValue(static_cast<int>(r.seed));
    m_filling = false;
    updateSources();
    if (entry.theta > 0.0) learnTheta(pairKey(), entry.theta);
    setSliderPosition(entry.turn);
    m_debounce.stop();  // the settings above are restored, not changed
    if (!showComputed(r, entry.image, entry.theta, entry.interpolation, entry.seconds)) requestNow();
}

void PreviewPage::useForExport() {
    const int row = m_historyList->currentRow();
    const int index = row >= 0 ? m_historyList->item(row)->data(Qt::UserRole).toInt() : -1;
    if (index < 0 || index >= m_history.size() || !controller()->hasProject()) return;
    const PreviewRequest& r = m_history[index].request;
    // The project's one place for the generation settings: the Export page reads them from there.
    diffii::WorkflowSettings settings = controller()->project().workflow;
    settings.denoise.steps = r.steps;
    settings.denoise.guidance = r.guidance;
    settings.denoise.split = r.split;
    controller()->post([settings](EngineWorker* w) { w->saveSettings(settings); });
    m_jobStatus->setText(tr("Export settings: %1 steps, guidance %2, s = %3")
                             .arg(r.steps)
                             .arg(r.guidance, 0, 'f', 1)
                             .arg(r.split, 0, 'f', 2));
}

}  // namespace diffii::ui
