#include "ui/preview_page.h"

#include "core/diffii/circle_math.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
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
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

#include "ui/circle_widget.h"
#include "ui/grid_dialog.h"
#include "ui/lightbox.h"
#include "ui/qcustomplot_compat.h"

namespace diffii::ui {
namespace {

constexpr double kRadToDeg = 57.295779513082320876798154814105;
// The α slider counts tenths of a degree of the point's angle αθ: u = value / kAlphaTicks.
constexpr int kAlphaTicks = 3600;
constexpr int kSplitTicks = 100;
constexpr int kStripCount = 8;
constexpr int kSweepSamples = 3;
constexpr int kDebounceMs = 300;
constexpr int kPreviewSide = 320;
constexpr int kSourceSide = 128;
constexpr int kStripSide = 96;

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
           a.seed == b.seed;
}

}  // namespace

PreviewPage::PreviewPage(StudioController* controller, QWidget* parent) : StudioPage(controller, parent) {
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
    connect(w, &EngineWorker::jobFinished, this,
            [this](const QString& job, const QString& summary) { onJobEnded(job, summary, false); });
    connect(w, &EngineWorker::jobFailed, this,
            [this](const QString& job, const QString& message) { onJobEnded(job, message, true); });
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
    // Left: the choices. Right: the sources, the image, the strip and the sweep.
    auto* controls = new QWidget(this);
    auto* form = new QFormLayout(controls);

    m_class = new QComboBox(controls);
    m_class->setObjectName(QStringLiteral("classCombo"));
    m_class->setPlaceholderText(tr("Build the pool first"));
    form->addRow(tr("Class"), m_class);

    m_first = new QComboBox(controls);
    m_first->setObjectName(QStringLiteral("firstCombo"));
    m_first->setToolTip(tr("First inversion z1: the image at α = 0"));
    m_second = new QComboBox(controls);
    m_second->setObjectName(QStringLiteral("secondCombo"));
    m_second->setToolTip(tr("Second inversion z2: the image at α = −1 (≡ period − 1)"));
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
    m_alphaSlider->setRange(0, kAlphaTicks - 1);
    m_alphaSlider->setPageStep(kAlphaTicks / 36);
    m_alphaSlider->setToolTip(
        tr("α, the rotation along the circle: 0 is z1, period − 1 is z2 (period = 2π/θ); "
           "the slider walks the whole circle once"));
    form->addRow(tr("α"), m_alphaSlider);

    m_region = new QLabel(controls);
    m_region->setObjectName(QStringLiteral("regionLabel"));
    m_numbers = new QLabel(controls);
    m_numbers->setObjectName(QStringLiteral("alphaLabel"));
    m_numbers->setToolTip(tr("θ is the angle between the two inverted latents; α·θ is the point's angle from z1"));
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
    m_stripButton->setToolTip(tr("Render %1 images evenly spaced around the circle").arg(kStripCount));
    m_sweepButton = new QPushButton(tr("Sweep s"), controls);
    m_sweepButton->setObjectName(QStringLiteral("sweepButton"));
    m_sweepButton->setToolTip(
        tr("Measure faithfulness and diversity for s = 0, 0.2, …, 1 (%1 samples each)").arg(kSweepSamples));
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

    auto* controlsScroll = new QScrollArea(this);
    controlsScroll->setWidget(controls);
    controlsScroll->setWidgetResizable(true);
    controlsScroll->setMinimumWidth(300);

    auto* view = new QWidget(this);
    auto* viewLayout = new QVBoxLayout(view);
    auto* imagesRow = new QHBoxLayout();
    auto* sources = new QVBoxLayout();
    auto makeImageLabel = [view](const QString& name, int side) {
        auto* label = new QLabel(view);
        label->setObjectName(name);
        label->setAlignment(Qt::AlignCenter);
        label->setMinimumSize(side, side);
        label->setFrameShape(QFrame::StyledPanel);
        return label;
    };
    m_sourceA = makeImageLabel(QStringLiteral("sourceA"), kSourceSide);
    m_sourceA->setToolTip(tr("Source of z1"));
    m_sourceB = makeImageLabel(QStringLiteral("sourceB"), kSourceSide);
    m_sourceB->setToolTip(tr("Source of z2"));
    sources->addWidget(new QLabel(tr("z1"), view));
    sources->addWidget(m_sourceA);
    sources->addWidget(new QLabel(tr("z2"), view));
    sources->addWidget(m_sourceB);
    sources->addStretch(1);
    imagesRow->addLayout(sources);

    auto* main = new QVBoxLayout();
    m_preview = makeImageLabel(QStringLiteral("previewImage"), kPreviewSide);
    m_preview->setText(tr("No preview yet"));
    main->addWidget(m_preview, 1);
    m_busy = new QProgressBar(view);
    m_busy->setObjectName(QStringLiteral("busyIndicator"));
    m_busy->setRange(0, 0);
    m_busy->setTextVisible(false);
    m_busy->setMaximumHeight(8);
    m_busy->setVisible(false);
    main->addWidget(m_busy);
    m_caption = new QLabel(view);
    m_caption->setObjectName(QStringLiteral("previewCaption"));
    m_caption->setWordWrap(true);
    m_caption->setTextInteractionFlags(Qt::TextSelectableByMouse);
    main->addWidget(m_caption);
    imagesRow->addLayout(main, 1);
    viewLayout->addLayout(imagesRow, 3);

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

    m_plot = new QCustomPlot(view);
    m_plot->setObjectName(QStringLiteral("sweepPlot"));
    m_plot->setMinimumHeight(180);
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
    m_plot->yAxis->setLabel(tr("faithfulness (cosine to source)"));
    m_plot->yAxis2->setLabel(tr("diversity (pairwise RMS)"));
    m_plot->yAxis2->setVisible(true);
    m_plot->legend->setVisible(true);
    m_plot->setToolTip(tr("Faithfulness falls and diversity rises as s grows; pick s where the trade-off suits you"));
    viewLayout->addWidget(m_plot, 2);

    auto* splitter = new QSplitter(this);
    splitter->addWidget(controlsScroll);
    splitter->addWidget(view);
    splitter->setStretchFactor(1, 1);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

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

    m_splitValue->setText(tr("s = %1").arg(0.0, 0, 'f', 2));
    updateCircleLabels();
    fillPair();
}

void PreviewPage::showEvent(QShowEvent* event) {
    StudioPage::showEvent(event);
    if (m_image.isNull() && !m_pending && !classItems().isEmpty()) scheduleRequest();
}

double PreviewPage::period() const { return diffii::circlePeriod(m_theta); }

double PreviewPage::alpha() const { return static_cast<double>(m_alphaSlider->value()) / kAlphaTicks * period(); }

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
        m_stripCount = 0;
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
        const QIcon icon(QPixmap(it.imagePath).scaled(32, 32, Qt::KeepAspectRatio, Qt::FastTransformation));
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
    showImage(m_sourceA, a >= 0 && a < n ? QImage(items[a].imagePath) : QImage(), kSourceSide);
    showImage(m_sourceB, n >= 2 && b >= 0 && b < n ? QImage(items[b].imagePath) : QImage(), kSourceSide);
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
    if (m_fallback) {
        m_region->setText(tr("noise"));
        m_region->setToolTip(QString());
        m_numbers->setText(tr("one image in the class: Gaussian noise (seed %1)").arg(m_seed->value()));
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
    m_numbers->setText(tr("α = %1 of %2 · %3").arg(alpha(), 0, 'f', 3).arg(period(), 0, 'f', 3).arg(thetaText));
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
    m_requestedPosition = static_cast<double>(m_alphaSlider->value()) / kAlphaTicks;
    m_pending = true;
    m_busy->setRange(0, 0);
    m_busy->setVisible(true);
}

void PreviewPage::showImage(QLabel* label, const QImage& image, int side) {
    if (image.isNull()) {
        label->clear();
        return;
    }
    label->setPixmap(fitPixmap(image, side));
}

void PreviewPage::onIntermediate(qint64 id, const QImage& image, int step, int total) {
    if (id != m_latestId) return;  // from a superseded request
    ++m_intermediates;
    showImage(m_preview, image, kPreviewSide);
    m_busy->setRange(0, total);
    m_busy->setValue(step);
    m_caption->setText(tr("Denoising… step %1 of %2").arg(step).arg(total));
}

void PreviewPage::onReady(const PreviewResult& result) {
    if (result.id != m_latestId) return;
    const QString pair = QString(m_lastRequest.className + QLatin1Char('\n') + QString::number(m_lastRequest.first) +
                                 QLatin1Char('\n') + QString::number(m_lastRequest.second));
    if (!result.fallbackNoise && result.theta > 0.0 && pair == pairKey()) {
        learnTheta(pair, result.theta);
        // Until θ is known the α of a slider position is a guess. The user aimed at a point of the circle (slider
        // position u), so keep the point and compute the α that really lies there; the guess's image shows meanwhile.
        const double aimed = diffii::alphaForTurn(result.theta, m_requestedPosition);
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
    const QString suffixText = m_lastRequest.suffix.isEmpty() ? tr("(none)") : m_lastRequest.suffix;
    if (result.fallbackNoise) {
        m_caption->setText(tr("Gaussian noise (one image in the class, seed %1) · s = %2 · suffix: %3 · %4 s")
                               .arg(m_lastRequest.seed)
                               .arg(m_lastRequest.split, 0, 'f', 2)
                               .arg(suffixText)
                               .arg(result.seconds, 0, 'f', 2));
    } else {
        m_caption->setText(tr("α = %1 · θ = %2° · %3 · s = %4 · suffix: %5 · %6 s")
                               .arg(result.alpha, 0, 'f', 3)
                               .arg(result.theta * kRadToDeg, 0, 'f', 1)
                               .arg(result.interpolation ? tr("interpolation") : tr("extrapolation"))
                               .arg(m_lastRequest.split, 0, 'f', 2)
                               .arg(suffixText)
                               .arg(result.seconds, 0, 'f', 2));
    }
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
            m_jobStatus->setText(tr("%1 failed: %2").arg(job, message));
        else
            m_jobStatus->clear();
    }
}

void PreviewPage::requestStrip() {
    if (m_first->count() < 2) return;
    PreviewRequest request = currentRequest();
    request.id = ++m_stripId;  // the strip's own numbering: a newer strip hides the images of an older one
    request.intermediateEvery = 0;
    m_strip->clear();
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
    if (index > 0 && alpha > 0.0)
        learnTheta(m_strip->property("pair").toString(), diffii::kTwoPi * index / (kStripCount * alpha));
    auto* item =
        new QListWidgetItem(QIcon(fitPixmap(image, kStripSide)),
                            tr("α = %1\n%2").arg(alpha, 0, 'f', 2).arg(interpolation ? tr("interp") : tr("extrap")));
    item->setData(Qt::UserRole, static_cast<double>(index) / kStripCount);
    item->setData(kLightboxImageRole, image);
    item->setToolTip(interpolation ? tr("On the short arc between z1 and z2: interpolation")
                                   : tr("Beyond z1 or z2: extrapolation"));
    m_strip->addItem(item);
    ++m_stripCount;
}

void PreviewPage::onStripClicked(QListWidgetItem* item) {
    if (!item) return;
    setSliderPosition(item->data(Qt::UserRole).toDouble());
    requestNow();
}

void PreviewPage::requestSweep() {
    if (m_first->count() < 2) return;
    PreviewRequest request = currentRequest();
    request.intermediateEvery = 0;
    const QList<double> splits = {0.0, 0.2, 0.4, 0.6, 0.8, 1.0};
    m_sweepButton->setEnabled(false);
    m_jobStatus->setText(tr("Sweep of s queued…"));
    controller()->post([request, splits](EngineWorker* w) { w->sweepSplit(request, splits, kSweepSamples); });
}

void PreviewPage::onSweepReady(const QList<SweepPoint>& points) {
    QVector<double> s, faith, div;
    for (const auto& p : points) {
        s << p.split;
        faith << p.faithfulness;
        div << p.diversity;
    }
    m_plot->graph(0)->setData(s, faith, true);
    m_plot->graph(1)->setData(s, div, true);
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
    m_plot->replot();
}

}  // namespace diffii::ui
