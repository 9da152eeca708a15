#include "ui/curate_page.h"

#include "core/diffii/circle_math.h"
#include "core/eval/faithfulness.h"

#include <QAbstractListModel>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QImageReader>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMutex>
#include <QPainter>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QThreadPool>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "ui/lightbox.h"
#include "ui/thumbnail_cache.h"

namespace diffii::ui {

namespace {

constexpr int kThumbSize = 128;
constexpr int kLargeSize = 384;
constexpr int kNearestSize = 192;
constexpr int kFeatureSize = 32;  // nearest real image: L2 over 32×32 RGB

enum Roles { CurationRole = Qt::UserRole + 1, OutputPathRole, TagsRole };

QImage readScaled(const QString& path, int size) { return ThumbnailCache::load(path, QSize(size, size)); }

// The core's pixel feature (core/eval/faithfulness.h: the one definition of "nearest real image"); empty for an
// image that cannot be read.
std::vector<float> pixelFeature(const QString& path) {
    try {
        return diffii::imageFeature(path.toStdString(), diffii::FeatureSpace::Pixels, kFeatureSize);
    } catch (const std::exception&) {
        return {};
    }
}

}  // namespace

// Decodes the detail image and the nearest-neighbour features on its own thread pool (grid thumbnails come from
// ThumbnailCache); results come back to the GUI thread as queued calls on this object (dropped if it is gone: the
// destructor waits for running tasks).
class CurateImageLoader : public QObject {
public:
    explicit CurateImageLoader(QObject* parent) : QObject(parent) { m_pool.setMaxThreadCount(1); }
    ~CurateImageLoader() override {
        m_pool.clear();
        m_pool.waitForDone();
    }

    void requestImage(const QString& path, int size, std::function<void(const QImage&)> done) {
        m_pool.start([this, path, size, done = std::move(done)] {
            QImage image = readScaled(path, size);
            QMetaObject::invokeMethod(
                this, [done, image] { done(image); }, Qt::QueuedConnection);
        });
    }

    // Among `candidates`, the image nearest to `generated` in the core's pixel features (32×32 RGB in [0, 1],
    // Euclidean distance). Empty path when nothing could be read.
    void requestNearest(const QString& generated, const QStringList& candidates,
                        std::function<void(const QString&, double, const QImage&)> done) {
        m_pool.start([this, generated, candidates, done = std::move(done)] {
            const auto g = pixelFeature(generated);
            QString best;
            double bestDistance = std::numeric_limits<double>::infinity();
            if (!g.empty()) {
                std::vector<std::vector<float>> features;
                for (const QString& c : candidates) features.push_back(feature(c));
                const auto nearest = diffii::nearestFeature(g, features);
                if (nearest.index >= 0) {
                    best = candidates[static_cast<int>(nearest.index)];
                    bestDistance = nearest.distance;
                }
            }
            const QImage image = best.isEmpty() ? QImage() : readScaled(best, kNearestSize);
            QMetaObject::invokeMethod(
                this, [done, best, bestDistance, image] { done(best, bestDistance, image); }, Qt::QueuedConnection);
        });
    }

private:
    // Training images' features are computed once per session (they do not change while a project is open).
    std::vector<float> feature(const QString& path) {
        {
            QMutexLocker lock(&m_featureMutex);
            const auto it = m_features.constFind(path);
            if (it != m_features.constEnd()) return *it;
        }
        auto f = pixelFeature(path);
        QMutexLocker lock(&m_featureMutex);
        m_features.insert(path, f);
        return f;
    }

    QThreadPool m_pool;
    QMutex m_featureMutex;
    QHash<QString, std::vector<float>> m_features;
};

// The generated images, one row each, in manifest order.
class CurateItemModel : public QAbstractListModel {
public:
    explicit CurateItemModel(QObject* parent) : QAbstractListModel(parent) {
        m_thumbs = new ThumbnailCache(QSize(kThumbSize, kThumbSize), 128, this);
        m_placeholder = QImage(kThumbSize, kThumbSize, QImage::Format_RGB32);
        m_placeholder.fill(QColor(0xd8, 0xd8, 0xd8));
        connect(m_thumbs, &ThumbnailCache::thumbnailReady, this, [this](const QString& path) {
            const auto it = m_rowByPath.constFind(path);
            if (it == m_rowByPath.constEnd()) return;
            const QModelIndex i = index(*it);
            Q_EMIT dataChanged(i, i, {Qt::DecorationRole});
        });
    }

    int rowCount(const QModelIndex& parent = QModelIndex()) const override {
        return parent.isValid() ? 0 : static_cast<int>(m_items.size());
    }

    QVariant data(const QModelIndex& index, int role) const override {
        if (!index.isValid() || index.row() >= m_items.size()) return {};
        const SyntheticItem& it = m_items[index.row()];
        switch (role) {
            case Qt::DisplayRole:
                return CuratePage::tr("%1 #%2").arg(it.className).arg(it.index);
            case Qt::DecorationRole: {
                const QImage thumb = m_thumbs->thumbnail(it.path);
                if (thumb.isNull()) return m_placeholder;
                // Small generated images (tiny models, 32–64 px) are shown at the grid's size, pixels kept sharp.
                if (thumb.width() < kThumbSize && thumb.height() < kThumbSize)
                    return thumb.scaled(kThumbSize, kThumbSize, Qt::KeepAspectRatio, Qt::FastTransformation);
                return thumb;
            }
            case Qt::ToolTipRole:
                return QStringLiteral("%1\nα %2  s %3\n%4")
                    .arg(it.outputPath)
                    .arg(it.alpha, 0, 'f', 3)
                    .arg(it.split, 0, 'g', 3)
                    .arg(it.suffix);
            case CurationRole:
                return it.curation;
            case OutputPathRole:
                return it.outputPath;
            case TagsRole:
                return it.tags;
            default:
                return {};
        }
    }

    const SyntheticItem* item(int row) const { return row >= 0 && row < m_items.size() ? &m_items[row] : nullptr; }
    const QList<SyntheticItem>& items() const { return m_items; }
    int rowOf(const QString& outputPath) const { return m_rowByPath.value(outputPath, -1); }

    // Same images in the same order (a curation change): rows are updated in place so the selection stays.
    void setItems(const QList<SyntheticItem>& items) {
        bool same = items.size() == m_items.size();
        for (int i = 0; same && i < items.size(); ++i)
            same = items[i].outputPath == m_items[i].outputPath && items[i].path == m_items[i].path &&
                   items[i].seed == m_items[i].seed;
        if (same) {
            for (int i = 0; i < items.size(); ++i) {
                if (items[i].curation == m_items[i].curation && items[i].tags == m_items[i].tags) continue;
                m_items[i] = items[i];
                Q_EMIT dataChanged(index(i), index(i));
            }
            return;
        }
        beginResetModel();
        m_items = items;
        m_rowByPath.clear();
        for (int i = 0; i < m_items.size(); ++i) m_rowByPath.insert(m_items[i].outputPath, i);
        m_thumbs->clear();  // images may have been regenerated under the same names
        endResetModel();
    }

    void setCuration(int row, int curation, const QStringList& tags) {
        if (row < 0 || row >= m_items.size()) return;
        m_items[row].curation = curation;
        m_items[row].tags = tags;
        Q_EMIT dataChanged(index(row), index(row));
    }

private:
    ThumbnailCache* m_thumbs = nullptr;
    QList<SyntheticItem> m_items;
    QHash<QString, int> m_rowByPath;
    QImage m_placeholder;
};

namespace {

QString splitKey(double s) { return QString::number(s, 'g', 6); }

QString pairKey(const SyntheticItem& it) {
    if (it.fallbackNoise || it.sourceB.isEmpty()) return QFileInfo(it.sourceA).fileName() + QStringLiteral(" + noise");
    QString a = QFileInfo(it.sourceA).fileName(), b = QFileInfo(it.sourceB).fileName();
    if (b < a) std::swap(a, b);
    return a + QStringLiteral(" ↔ ") + b;
}

QString curationText(int c) {
    switch (c) {
        case 1:
            return CuratePage::tr("Accepted");
        case 2:
            return CuratePage::tr("Rejected");
        default:
            return CuratePage::tr("Pending");
    }
}

// Accepted / rejected badges over the thumbnail, and a tag marker.
class BadgeDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override {
        QStyledItemDelegate::paint(painter, option, index);
        const int curation = index.data(CurationRole).toInt();
        const bool tagged = !index.data(TagsRole).toStringList().isEmpty();
        if (curation == 0 && !tagged) return;
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        const QRect r = option.rect;
        const int d = 26;
        if (curation != 0) {
            const QColor color = curation == 1 ? QColor(0x2e, 0x9d, 0x46) : QColor(0xd0, 0x31, 0x2d);
            QPen frame(color, 3);
            painter->setPen(frame);
            painter->setBrush(Qt::NoBrush);
            painter->drawRoundedRect(r.adjusted(2, 2, -2, -2), 4, 4);
            const QRect badge(r.right() - d - 4, r.top() + 4, d, d);
            painter->setPen(Qt::NoPen);
            painter->setBrush(color);
            painter->drawEllipse(badge);
            QPen mark(Qt::white, 3, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
            painter->setPen(mark);
            const QRectF b = QRectF(badge).adjusted(7, 7, -7, -7);
            if (curation == 1) {
                painter->drawPolyline(
                    QPolygonF({QPointF(b.left(), b.center().y()), QPointF(b.left() + b.width() * 0.4, b.bottom()),
                               QPointF(b.right(), b.top())}));
            } else {
                painter->drawLine(b.topLeft(), b.bottomRight());
                painter->drawLine(b.topRight(), b.bottomLeft());
            }
        }
        if (tagged) {
            const QRect tag(r.left() + 6, r.top() + 6, 12, 12);
            painter->setPen(Qt::NoPen);
            painter->setBrush(QColor(0x1f, 0x6f, 0xd1));
            painter->drawRoundedRect(tag, 3, 3);
        }
        painter->restore();
    }
};

}  // namespace

// The filters of the grid (class, α range, s, suffix, source pair, status).
class CurateFilterModel : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    QString className, split, pair;
    QVariant suffix;                        // null: any suffix
    double alphaMin = 0.0, alphaMax = 0.0;  // alphaMax 0: no upper bound
    int status = -1;                        // -1: any

    void refresh() { invalidateFilter(); }

protected:
    bool filterAcceptsRow(int row, const QModelIndex&) const override {
        const auto* model = static_cast<CurateItemModel*>(sourceModel());
        const SyntheticItem* it = model->item(row);
        if (!it) return false;
        if (!className.isEmpty() && it->className != className) return false;
        if (it->alpha < alphaMin - 1e-9) return false;
        if (alphaMax > 0 && it->alpha > alphaMax + 1e-9) return false;
        if (!split.isEmpty() && splitKey(it->split) != split) return false;
        if (!suffix.isNull() && it->suffix != suffix.toString()) return false;
        if (!pair.isEmpty() && pairKey(*it) != pair) return false;
        if (status >= 0 && it->curation != status) return false;
        return true;
    }
};

namespace {

// A generated image in the lightbox, beside the real images it was made from.
LightboxContent syntheticLightbox(const SyntheticItem* it) {
    if (!it) return {};
    LightboxContent c{{QImage(), CuratePage::tr("%1 #%2").arg(it->className).arg(it->index), it->path}, {}};
    for (const QString& source : {it->sourceA, it->fallbackNoise ? QString() : it->sourceB})
        if (!source.isEmpty()) c.sources << LightboxImage{QImage(), QFileInfo(source).fileName(), source};
    return c;
}

}  // namespace

CuratePage::CuratePage(StudioController* controller, QWidget* parent) : StudioPage(controller, parent) {
    m_loader = new CurateImageLoader(this);
    m_model = new CurateItemModel(this);
    m_filter = new CurateFilterModel(this);
    m_filter->setSourceModel(m_model);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(buildFilterBar());

    auto* splitter = new QSplitter(this);
    QWidget* gridBox = buildGridPanel(splitter);
    QWidget* scroll = buildDetailPanel(splitter);
    splitter->addWidget(gridBox);
    splitter->addWidget(scroll);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    connectController();
    installLightbox(m_grid, [this](const QModelIndex& index) {
        return syntheticLightbox(m_model->item(m_filter->mapToSource(index).row()));
    });
    installLightbox(m_image, [this] { return syntheticLightbox(currentItem()); });
    installLightbox(m_nearestImage, [this] {
        const QString path = m_nearestName->property("nearestPath").toString();
        return path.isEmpty() ? LightboxContent() : LightboxContent{{QImage(), QFileInfo(path).fileName(), path}, {}};
    });
    if (controller->hasProject()) onProjectChanged(controller->project());
    showDetail(nullptr);
    rebuildFilterChoices();
    applyFilters();
}

// Filters.
QHBoxLayout* CuratePage::buildFilterBar() {
    auto* filters = new QHBoxLayout();
    auto addCombo = [&](const QString& label, const char* name) {
        auto* l = new QLabel(label, this);
        auto* combo = new QComboBox(this);
        combo->setObjectName(QLatin1String(name));
        combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
        l->setBuddy(combo);
        filters->addWidget(l);
        filters->addWidget(combo);
        connect(combo, &QComboBox::currentIndexChanged, this, [this] { applyFilters(); });
        return combo;
    };
    m_classFilter = addCombo(tr("&Class:"), "curateClassFilter");
    buildAlphaFilter(filters);
    m_splitFilter = addCombo(tr("s:"), "curateSplitFilter");
    m_splitFilter->setToolTip(tr("Split point s of the two-stage denoising"));
    m_suffixFilter = addCombo(tr("Su&ffix:"), "curateSuffixFilter");
    m_pairFilter = addCombo(tr("Source &pair:"), "curatePairFilter");
    m_statusFilter = addCombo(tr("S&tatus:"), "curateStatusFilter");
    const QSignalBlocker blockStatus(m_statusFilter);
    m_statusFilter->addItem(tr("All"), -1);
    m_statusFilter->addItem(tr("Pending"), 0);
    m_statusFilter->addItem(tr("Accepted"), 1);
    m_statusFilter->addItem(tr("Rejected"), 2);
    filters->addStretch(1);
    m_count = new QLabel(this);
    m_count->setObjectName(QStringLiteral("curateCount"));
    filters->addWidget(m_count);
    return filters;
}

void CuratePage::buildAlphaFilter(QHBoxLayout* filters) {
    auto* alphaLabel = new QLabel(tr("α from"), this);
    m_alphaMin = new QDoubleSpinBox(this);
    m_alphaMin->setObjectName(QStringLiteral("curateAlphaMin"));
    auto* alphaTo = new QLabel(tr("to"), this);
    m_alphaMax = new QDoubleSpinBox(this);
    m_alphaMax->setObjectName(QStringLiteral("curateAlphaMax"));
    for (QDoubleSpinBox* box : {m_alphaMin, m_alphaMax}) {
        box->setRange(0.0, 1e6);
        box->setDecimals(2);
        box->setSingleStep(0.5);
        box->setSpecialValueText(tr("any"));
        box->setToolTip(tr("Rotation parameter α of the inversion circle (0: no bound)"));
        connect(box, &QDoubleSpinBox::valueChanged, this, [this] { applyFilters(); });
    }
    alphaLabel->setBuddy(m_alphaMin);
    filters->addWidget(alphaLabel);
    filters->addWidget(m_alphaMin);
    filters->addWidget(alphaTo);
    filters->addWidget(m_alphaMax);
}

// The grid.
QWidget* CuratePage::buildGridPanel(QWidget* parent) {
    auto* gridBox = new QWidget(parent);
    auto* gridLayout = new QVBoxLayout(gridBox);
    gridLayout->setContentsMargins(0, 0, 0, 0);
    m_empty = new QLabel(tr("No generated images yet. Set the generation settings and press "
                            "\"Generate / Resume\" on the Export page."),
                         gridBox);
    m_empty->setObjectName(QStringLiteral("curateEmpty"));
    m_empty->setWordWrap(true);
    gridLayout->addWidget(m_empty);
    m_grid = new QListView(gridBox);
    m_grid->setObjectName(QStringLiteral("curateGrid"));
    m_grid->setViewMode(QListView::IconMode);
    m_grid->setMovement(QListView::Static);
    m_grid->setResizeMode(QListView::Adjust);
    m_grid->setUniformItemSizes(true);
    m_grid->setIconSize(QSize(kThumbSize, kThumbSize));
    m_grid->setGridSize(QSize(kThumbSize + 22, kThumbSize + 36));
    m_grid->setSpacing(4);
    m_grid->setSelectionMode(QAbstractItemView::SingleSelection);
    m_grid->setWordWrap(true);
    m_grid->setItemDelegate(new BadgeDelegate(m_grid));
    m_grid->setModel(m_filter);
    m_grid->installEventFilter(this);
    gridLayout->addWidget(m_grid, 1);
    gridLayout->addLayout(buildHintsRow(gridBox));
    connect(m_grid->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) { onCurrentChanged(current); });
    return gridBox;
}

QHBoxLayout* CuratePage::buildHintsRow(QWidget* parent) {
    auto* hints = new QHBoxLayout();
    auto* keys = new QLabel(tr("Keys: A accept · R reject · U pending · T tags · ←/→ previous/next"), parent);
    keys->setObjectName(QStringLiteral("curateKeys"));
    hints->addWidget(keys, 1);
    m_advance = new QCheckBox(tr("&Advance after marking"), parent);
    m_advance->setObjectName(QStringLiteral("curateAdvance"));
    m_advance->setChecked(true);
    m_advance->setFocusPolicy(Qt::NoFocus);
    hints->addWidget(m_advance);
    return hints;
}

// The detail panel.
QWidget* CuratePage::buildDetailPanel(QWidget* parent) {
    auto* scroll = new QScrollArea(parent);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* detail = new QWidget(scroll);
    auto* detailLayout = new QVBoxLayout(detail);
    m_image = new QLabel(detail);
    m_image->setObjectName(QStringLiteral("curateDetailImage"));
    m_image->setAlignment(Qt::AlignCenter);
    m_image->setMinimumSize(kLargeSize / 2, kLargeSize / 2);
    m_image->setText(tr("Select an image"));
    detailLayout->addWidget(m_image);

    detailLayout->addWidget(buildNumbersGroup(detail));

    m_tagEdit = new QLineEdit(detail);
    m_tagEdit->setObjectName(QStringLiteral("curateTagEdit"));
    m_tagEdit->setPlaceholderText(tr("Tags, comma-separated (Enter saves, Esc cancels)"));
    m_tagEdit->setVisible(false);
    m_tagEdit->installEventFilter(this);
    connect(m_tagEdit, &QLineEdit::returnPressed, this, &CuratePage::commitTags);
    detailLayout->addWidget(m_tagEdit);

    detailLayout->addLayout(buildCurationButtons(detail));
    detailLayout->addWidget(buildNearestGroup(detail));
    detailLayout->addStretch(1);
    scroll->setWidget(detail);
    return scroll;
}

QGroupBox* CuratePage::buildNumbersGroup(QWidget* parent) {
    auto* numbers = new QGroupBox(tr("Generated image"), parent);
    auto* form = new QFormLayout(numbers);
    const QList<QPair<QString, QString>> fields = {
        {QStringLiteral("file"), tr("File")},       {QStringLiteral("class"), tr("Class")},
        {QStringLiteral("alpha"), tr("α")},         {QStringLiteral("theta"), tr("θ")},
        {QStringLiteral("region"), tr("Region")},   {QStringLiteral("split"), tr("s")},
        {QStringLiteral("suffix"), tr("Suffix")},   {QStringLiteral("seed"), tr("Seed")},
        {QStringLiteral("sources"), tr("Sources")}, {QStringLiteral("status"), tr("Status")},
        {QStringLiteral("tags"), tr("Tags")}};
    for (const auto& f : fields) {
        auto* value = new QLabel(QStringLiteral("—"), numbers);
        value->setObjectName(QStringLiteral("curateValue_") + f.first);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        value->setWordWrap(true);
        form->addRow(f.second, value);
        m_values.insert(f.first, value);
    }
    return numbers;
}

QHBoxLayout* CuratePage::buildCurationButtons(QWidget* parent) {
    auto* buttons = new QHBoxLayout();
    auto addButton = [&](const QString& text, const QString& tip, const char* name) {
        auto* b = new QPushButton(text, parent);
        b->setObjectName(QLatin1String(name));
        b->setToolTip(tip);
        b->setFocusPolicy(Qt::NoFocus);  // the keys stay with the grid
        buttons->addWidget(b);
        return b;
    };
    m_accept = addButton(tr("Accept"), tr("Accept (A)"), "curateAccept");
    m_reject = addButton(tr("Reject"), tr("Reject (R): left out of the export"), "curateReject");
    m_pending = addButton(tr("Pending"), tr("Back to pending (U)"), "curatePending");
    m_tag = addButton(tr("Tags..."), tr("Edit tags (T)"), "curateTag");
    connect(m_accept, &QPushButton::clicked, this, [this] { markCurrent(1); });
    connect(m_reject, &QPushButton::clicked, this, [this] { markCurrent(2); });
    connect(m_pending, &QPushButton::clicked, this, [this] { markCurrent(0); });
    connect(m_tag, &QPushButton::clicked, this, &CuratePage::editTags);
    return buttons;
}

QGroupBox* CuratePage::buildNearestGroup(QWidget* parent) {
    auto* nearest = new QGroupBox(tr("Nearest real image"), parent);
    nearest->setObjectName(QStringLiteral("curateNearest"));
    nearest->setToolTip(
        tr("The class's training image with the smallest pixel distance (L2 over 32×32 RGB "
           "thumbnails): a near copy suggests the image adds little."));
    auto* nearestLayout = new QVBoxLayout(nearest);
    m_nearestImage = new QLabel(nearest);
    m_nearestImage->setObjectName(QStringLiteral("curateNearestImage"));
    m_nearestImage->setAlignment(Qt::AlignCenter);
    m_nearestImage->setMinimumSize(kNearestSize / 2, kNearestSize / 2);
    m_nearestName = new QLabel(QStringLiteral("—"), nearest);
    m_nearestName->setObjectName(QStringLiteral("curateNearestName"));
    m_nearestName->setWordWrap(true);
    m_nearestDistance = new QLabel(nearest);
    m_nearestDistance->setObjectName(QStringLiteral("curateNearestDistance"));
    nearestLayout->addWidget(m_nearestImage);
    nearestLayout->addWidget(m_nearestName);
    nearestLayout->addWidget(m_nearestDistance);
    return nearest;
}

void CuratePage::connectController() {
    connect(worker(), &EngineWorker::syntheticChanged, this, &CuratePage::onSyntheticChanged);
    connect(controller(), &StudioController::projectChanged, this, &CuratePage::onProjectChanged);
}

CuratePage::~CuratePage() {
    // The loader's running tasks finish before the page they report to goes away.
    delete m_loader;
    m_loader = nullptr;
}

void CuratePage::onProjectChanged(const ProjectInfo& info) {
    m_project = info;
    rebuildFilterChoices();
}

void CuratePage::onSyntheticChanged(const QList<SyntheticItem>& items) {
    const SyntheticItem* current = currentItem();
    const QString keep = current ? current->outputPath : QString();
    m_model->setItems(items);
    rebuildFilterChoices();
    applyFilters();
    const int row = keep.isEmpty() ? -1 : m_model->rowOf(keep);
    QModelIndex target = row >= 0 ? m_filter->mapFromSource(m_model->index(row)) : QModelIndex();
    if (!target.isValid() && m_filter->rowCount() > 0) target = m_filter->index(0, 0);
    if (target.isValid() && target != m_grid->currentIndex())
        m_grid->selectionModel()->setCurrentIndex(target, QItemSelectionModel::ClearAndSelect);
    else if (const SyntheticItem* it = currentItem())
        showDetail(it);  // same image, new marks
    else
        showDetail(nullptr);
}

void CuratePage::rebuildFilterChoices() {
    auto refill = [](QComboBox* combo, const QString& anyText, const QList<QPair<QString, QVariant>>& entries) {
        const QVariant keep = combo->currentData();
        const QSignalBlocker block(combo);
        combo->clear();
        combo->addItem(anyText);
        for (const auto& e : entries) combo->addItem(e.first, e.second);
        const int i = keep.isValid() ? combo->findData(keep) : 0;
        combo->setCurrentIndex(i >= 0 ? i : 0);
    };
    QStringList classes;
    for (const auto& c : m_project.classes) classes << c.name;
    QList<double> splits;
    QStringList suffixes, pairs;
    for (const auto& it : m_model->items()) {
        if (!classes.contains(it.className)) classes << it.className;
        if (!splits.contains(it.split)) splits << it.split;
        if (!suffixes.contains(it.suffix)) suffixes << it.suffix;
        const QString p = pairKey(it);
        if (!pairs.contains(p)) pairs << p;
    }
    std::sort(splits.begin(), splits.end());
    suffixes.sort();
    pairs.sort();
    QList<QPair<QString, QVariant>> e;
    for (const auto& c : classes) e.append({c, c});
    refill(m_classFilter, tr("All classes"), e);
    e.clear();
    for (double s : splits) e.append({splitKey(s), splitKey(s)});
    refill(m_splitFilter, tr("Any s"), e);
    e.clear();
    for (const auto& s : suffixes) e.append({s.isEmpty() ? tr("(no suffix)") : s, s});
    refill(m_suffixFilter, tr("Any suffix"), e);
    e.clear();
    for (const auto& p : pairs) e.append({p, p});
    refill(m_pairFilter, tr("Any pair"), e);
}

void CuratePage::applyFilters() {
    if (!m_grid) return;  // still being built
    m_filter->className = m_classFilter->currentData().toString();
    m_filter->split = m_splitFilter->currentData().toString();
    m_filter->suffix = m_suffixFilter->currentIndex() > 0 ? m_suffixFilter->currentData() : QVariant();
    m_filter->pair = m_pairFilter->currentData().toString();
    m_filter->status = m_statusFilter->currentData().isValid() ? m_statusFilter->currentData().toInt() : -1;
    m_filter->alphaMin = m_alphaMin->value();
    m_filter->alphaMax = m_alphaMax->value();
    m_filter->refresh();
    const int total = m_model->rowCount(), shown = m_filter->rowCount();
    int accepted = 0, rejected = 0;
    for (const auto& it : m_model->items()) {
        if (it.curation == 1)
            ++accepted;
        else if (it.curation == 2)
            ++rejected;
    }
    m_count->setText(
        tr("%1 of %2 shown · %3 accepted · %4 rejected").arg(shown).arg(total).arg(accepted).arg(rejected));
    m_empty->setVisible(total == 0);
    if (!m_grid->currentIndex().isValid() && shown > 0)
        m_grid->selectionModel()->setCurrentIndex(m_filter->index(0, 0), QItemSelectionModel::ClearAndSelect);
    if (!m_grid->currentIndex().isValid()) showDetail(nullptr);
}

const SyntheticItem* CuratePage::currentItem() const {
    const QModelIndex i = m_grid->currentIndex();
    if (!i.isValid()) return nullptr;
    return m_model->item(m_filter->mapToSource(i).row());
}

void CuratePage::onCurrentChanged(const QModelIndex& current) {
    if (m_tagEdit->isVisible()) {
        m_tagEdit->setVisible(false);
        m_tagTarget.clear();
    }
    showDetail(current.isValid() ? m_model->item(m_filter->mapToSource(current).row()) : nullptr);
}

void CuratePage::showDetail(const SyntheticItem* item) {
    const qint64 request = ++m_detailRequest;
    for (QPushButton* b : {m_accept, m_reject, m_pending, m_tag}) b->setEnabled(item != nullptr);
    if (!item) {
        for (QLabel* v : std::as_const(m_values)) v->setText(QStringLiteral("—"));
        m_image->setPixmap(QPixmap());
        m_image->setText(tr("Select an image"));
        m_nearestImage->clear();
        m_nearestName->setText(QStringLiteral("—"));
        m_nearestName->setProperty("nearestPath", QString());
        m_nearestDistance->clear();
        return;
    }
    const SyntheticItem& it = *item;
    m_values[QStringLiteral("file")]->setText(it.outputPath);
    m_values[QStringLiteral("class")]->setText(it.className);
    m_values[QStringLiteral("seed")]->setText(QString::number(it.seed));
    m_values[QStringLiteral("split")]->setText(QString::number(it.split, 'g', 4));
    m_values[QStringLiteral("suffix")]->setText(it.suffix.isEmpty() ? tr("(no suffix)") : it.suffix);
    m_values[QStringLiteral("status")]->setText(curationText(it.curation));
    m_values[QStringLiteral("tags")]->setText(it.tags.isEmpty() ? QStringLiteral("—")
                                                                : it.tags.join(QStringLiteral(", ")));
    if (it.fallbackNoise) {
        m_values[QStringLiteral("alpha")]->setText(QStringLiteral("—"));
        m_values[QStringLiteral("theta")]->setText(QStringLiteral("—"));
        m_values[QStringLiteral("region")]->setText(tr("Gaussian noise (the class has one training image)"));
        m_values[QStringLiteral("sources")]->setText(QFileInfo(it.sourceA).fileName());
    } else {
        const double period = diffii::circlePeriod(it.theta);
        m_values[QStringLiteral("alpha")]->setText(
            tr("%1 (period 2π/θ = %2)").arg(it.alpha, 0, 'f', 3).arg(period, 0, 'f', 2));
        m_values[QStringLiteral("theta")]->setText(
            tr("%1 rad (%2°)").arg(it.theta, 0, 'f', 4).arg(it.theta * 360.0 / diffii::kTwoPi, 0, 'f', 1));
        m_values[QStringLiteral("region")]->setText(diffii::isInterpolation(it.theta, it.alpha) ? tr("Interpolation")
                                                                                                : tr("Extrapolation"));
        m_values[QStringLiteral("sources")]->setText(
            QStringLiteral("%1 ↔ %2").arg(QFileInfo(it.sourceA).fileName(), QFileInfo(it.sourceB).fileName()));
    }
    m_values[QStringLiteral("sources")]->setToolTip(it.sourceA + QLatin1Char('\n') + it.sourceB);

    QPointer<CuratePage> self(this);
    m_loader->requestImage(it.path, kLargeSize, [self, request](const QImage& image) {
        if (self) self->onLargeImage(request, image);
    });
    QStringList candidates;
    for (const auto& c : m_project.classes)
        if (c.name == it.className) candidates = c.trainImages.isEmpty() ? c.images : c.trainImages;
    if (candidates.isEmpty()) {
        m_nearestImage->clear();
        m_nearestName->setText(tr("No training images of this class"));
        m_nearestName->setProperty("nearestPath", QString());
        m_nearestDistance->clear();
        return;
    }
    m_nearestName->setText(tr("Searching..."));
    m_nearestName->setProperty("nearestPath", QString());
    m_nearestDistance->clear();
    m_loader->requestNearest(it.path, candidates,
                             [self, request](const QString& path, double distance, const QImage& image) {
                                 if (self) self->onNearest(request, path, distance, image);
                             });
}

void CuratePage::onLargeImage(qint64 request, const QImage& image) {
    if (request != m_detailRequest) return;
    if (image.isNull()) {
        m_image->setPixmap(QPixmap());
        m_image->setText(tr("The image cannot be read"));
        return;
    }
    const int shown = kLargeSize * 2 / 3;
    m_image->setPixmap(QPixmap::fromImage(image.width() < shown && image.height() < shown
                                              ? image.scaled(shown, shown, Qt::KeepAspectRatio, Qt::FastTransformation)
                                              : image));
}

void CuratePage::onNearest(qint64 request, const QString& path, double distance, const QImage& thumbnail) {
    if (request != m_detailRequest) return;
    m_nearestName->setProperty("nearestPath", path);
    if (path.isEmpty()) {
        m_nearestImage->clear();
        m_nearestName->setText(tr("No readable training image"));
        m_nearestDistance->clear();
        return;
    }
    const int shown = kNearestSize * 2 / 3;
    m_nearestImage->setPixmap(
        QPixmap::fromImage(thumbnail.width() < shown && thumbnail.height() < shown
                               ? thumbnail.scaled(shown, shown, Qt::KeepAspectRatio, Qt::FastTransformation)
                               : thumbnail));
    m_nearestName->setText(QFileInfo(path).fileName());
    m_nearestName->setToolTip(path);
    m_nearestDistance->setText(tr("Distance %1 (L2 over 32×32 RGB in [0, 1])").arg(distance, 0, 'f', 3));
}

void CuratePage::markCurrent(int curation) {
    const QModelIndex current = m_grid->currentIndex();
    const SyntheticItem* it = currentItem();
    if (!it) return;
    const int row = m_filter->mapToSource(current).row();
    // Where to go next, decided before the mark may filter the image out of the view.
    const QString nextPath = [&] {
        if (!m_advance->isChecked()) return it->outputPath;
        const QModelIndex next = m_filter->index(current.row() + 1, 0);
        return next.isValid() ? next.data(OutputPathRole).toString() : it->outputPath;
    }();
    const QStringList tags = it->tags;
    m_model->setCuration(row, curation, tags);
    sendCuration(*m_model->item(row));
    applyFilters();
    const int nextRow = m_model->rowOf(nextPath);
    const QModelIndex target = nextRow >= 0 ? m_filter->mapFromSource(m_model->index(nextRow)) : QModelIndex();
    if (target.isValid()) {
        if (target != m_grid->currentIndex())
            m_grid->selectionModel()->setCurrentIndex(target, QItemSelectionModel::ClearAndSelect);
        else
            showDetail(currentItem());
        m_grid->scrollTo(target);
    } else if (m_filter->rowCount() > 0) {
        m_grid->selectionModel()->setCurrentIndex(m_filter->index(std::min(current.row(), m_filter->rowCount() - 1), 0),
                                                  QItemSelectionModel::ClearAndSelect);
    }
}

void CuratePage::editTags() {
    const SyntheticItem* it = currentItem();
    if (!it) return;
    m_tagTarget = it->outputPath;
    m_tagEdit->setText(it->tags.join(QStringLiteral(", ")));
    m_tagEdit->setVisible(true);
    m_tagEdit->setFocus();
    m_tagEdit->selectAll();
}

void CuratePage::commitTags() {
    const int row = m_model->rowOf(m_tagTarget);
    m_tagEdit->setVisible(false);
    m_tagTarget.clear();
    m_grid->setFocus();
    if (row < 0) return;
    QStringList tags;
    for (const QString& t : m_tagEdit->text().split(QRegularExpression(QStringLiteral("[,;]")), Qt::SkipEmptyParts)) {
        const QString s = t.trimmed();
        if (!s.isEmpty() && !tags.contains(s)) tags << s;
    }
    m_model->setCuration(row, m_model->item(row)->curation, tags);
    sendCuration(*m_model->item(row));
    showDetail(currentItem());
}

void CuratePage::sendCuration(const SyntheticItem& item) {
    const QString path = item.outputPath;
    const int curation = item.curation;
    const QStringList tags = item.tags;
    // The reload after the write tells every page (counts on the export page) about the change.
    controller()->post([path, curation, tags](EngineWorker* w) {
        w->setCuration(path, curation, tags);
        w->loadSynthetic();
    });
}

bool CuratePage::handleKey(QKeyEvent* event) {
    const Qt::KeyboardModifiers mods = event->modifiers() & ~Qt::KeypadModifier;
    if (mods != Qt::NoModifier && mods != Qt::ShiftModifier) return false;
    switch (event->key()) {
        case Qt::Key_A:
            markCurrent(1);
            return true;
        case Qt::Key_R:
            markCurrent(2);
            return true;
        case Qt::Key_U:
            markCurrent(0);
            return true;
        case Qt::Key_T:
            editTags();
            return true;
        case Qt::Key_Left:
        case Qt::Key_Right: {
            // Previous / next in reading order, across rows of the grid.
            const int n = m_filter->rowCount();
            if (n == 0) return true;
            const int row = m_grid->currentIndex().isValid() ? m_grid->currentIndex().row() : -1;
            const int next = std::clamp(row + (event->key() == Qt::Key_Right ? 1 : -1), 0, n - 1);
            const QModelIndex target = m_filter->index(next, 0);
            m_grid->selectionModel()->setCurrentIndex(target, QItemSelectionModel::ClearAndSelect);
            m_grid->scrollTo(target);
            return true;
        }
        default:
            return false;
    }
}

bool CuratePage::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_tagEdit && event->type() == QEvent::ShortcutOverride &&
        static_cast<QKeyEvent*>(event)->key() == Qt::Key_Escape) {
        event->accept();  // Esc closes the tag editor, not the window's "Cancel job" shortcut
        return true;
    }
    if (event->type() == QEvent::KeyPress) {
        auto* key = static_cast<QKeyEvent*>(event);
        if (watched == m_grid) return handleKey(key);
        if (watched == m_tagEdit && key->key() == Qt::Key_Escape) {
            m_tagEdit->setVisible(false);
            m_tagTarget.clear();
            m_grid->setFocus();
            return true;
        }
    }
    return StudioPage::eventFilter(watched, event);
}

void CuratePage::keyPressEvent(QKeyEvent* event) {
    if (!handleKey(event)) StudioPage::keyPressEvent(event);
}

}  // namespace diffii::ui
