#include "ui/curate_page.h"

#include "core/diffii/circle_math.h"
#include "core/eval/faithfulness.h"

#include <QAbstractListModel>
#include <QAction>
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
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "ui/fit_widgets.h"
#include "ui/lightbox.h"
#include "ui/thumbnail_cache.h"

namespace diffii::ui {

namespace {

constexpr int kThumbSize = 128;
constexpr int kThumbMinSize = 72;
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

    // Same images in the same order (a curation change): rows are updated in place so the selection stays, and
    // false is returned; another set resets the model and returns true.
    bool setItems(const QList<SyntheticItem>& items) {
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
            return false;
        }
        beginResetModel();
        m_items = items;
        m_rowByPath.clear();
        for (int i = 0; i < m_items.size(); ++i) m_rowByPath.insert(m_items[i].outputPath, i);
        m_thumbs->clear();  // images may have been regenerated under the same names
        endResetModel();
        return true;
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
class BadgeDelegate : public FitIconDelegate {
public:
    using FitIconDelegate::FitIconDelegate;

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
    QVariant tag;                           // null: any; an int: untagged only; a string: images with this tag

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
        if (tag.typeId() == QMetaType::Int && !it->tags.isEmpty()) return false;
        if (tag.typeId() == QMetaType::QString && !it->tags.contains(tag.toString())) return false;
        return true;
    }
};

// One undo step: the marks and tags of one or more images before and after a change.
class CurationCommand : public QUndoCommand {
public:
    CurationCommand(CuratePage* page, const QString& text, const QStringList& paths, const QList<int>& oldCurations,
                    const QList<QStringList>& oldTags, const QList<int>& newCurations,
                    const QList<QStringList>& newTags)
        : QUndoCommand(text),
          m_page(page),
          m_paths(paths),
          m_oldCurations(oldCurations),
          m_oldTags(oldTags),
          m_newCurations(newCurations),
          m_newTags(newTags) {}

    void undo() override { m_page->applyMarks(m_paths, m_oldCurations, m_oldTags); }
    void redo() override { m_page->applyMarks(m_paths, m_newCurations, m_newTags); }

private:
    CuratePage* m_page;
    QStringList m_paths;
    QList<int> m_oldCurations;
    QList<QStringList> m_oldTags;
    QList<int> m_newCurations;
    QList<QStringList> m_newTags;
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
    m_undo = new QUndoStack(this);
    m_undo->setObjectName(QStringLiteral("curateUndoStack"));
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

    buildActions();
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

// Filters: a bar that wraps onto a second line in a narrow window instead of widening it.
QLayout* CuratePage::buildFilterBar() {
    auto* filters = new FlowLayout();
    auto addCombo = [&](const QString& label, const char* name) {
        auto* l = new QLabel(label, this);
        auto* combo = new QComboBox(this);
        combo->setObjectName(QLatin1String(name));
        combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
        combo->setMinimumContentsLength(6);  // a long source pair elides rather than widening the window
        filters->addWidget(labelledField(l, combo, this));
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
    m_tagFilter = addCombo(tr("Ta&g:"), "curateTagFilter");
    m_tagFilter->setToolTip(tr("Show only the images with this tag, or those without tags"));
    m_count = new QLabel(this);
    m_count->setObjectName(QStringLiteral("curateCount"));
    filters->addWidget(m_count);
    return filters;
}

void CuratePage::buildAlphaFilter(QLayout* filters) {
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
    // "α from [ ] to [ ]" stays on one line of the bar.
    auto* range = labelledField(alphaLabel, m_alphaMin, this);
    auto* rangeRow = static_cast<QHBoxLayout*>(range->layout());
    alphaTo->setParent(range);
    m_alphaMax->setParent(range);
    rangeRow->addWidget(alphaTo);
    rangeRow->addWidget(m_alphaMax);
    filters->addWidget(range);
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
    // Shift-click selects a range, Ctrl-click adds or removes one image; A / R / U / T apply to all selected.
    m_grid->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_grid->setWordWrap(true);
    m_grid->setItemDelegate(new BadgeDelegate(m_grid));
    m_grid->setModel(m_filter);
    // Two columns of smaller thumbnails rather than one of large ones when the window is narrow.
    fitIconGrid(m_grid, kThumbMinSize, kThumbSize, QSize(22, 36));
    m_grid->installEventFilter(this);
    gridLayout->addWidget(m_grid, 1);
    gridLayout->addLayout(buildHintsRow(gridBox));
    connect(m_grid->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) { onCurrentChanged(current); });
    connect(m_grid->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] { updateCount(); });
    return gridBox;
}

QVBoxLayout* CuratePage::buildHintsRow(QWidget* parent) {
    // The keys on a line of their own, the selection and the check box below: side by side, a narrow grid panel
    // wrapped the keys onto eight lines.
    auto* rows = new QVBoxLayout();
    rows->setSpacing(2);
    auto* hints = new QHBoxLayout();
    auto* keys = new QLabel(tr("Keys: A accept · R reject · U pending · T tags · ←/→ previous/next · Shift/Ctrl-click "
                               "select several · Ctrl+Z undo"),
                            parent);
    keys->setWordWrap(true);
    keys->setObjectName(QStringLiteral("curateKeys"));
    rows->addWidget(keys);
    rows->addLayout(hints);
    m_selection = new QLabel(parent);
    m_selection->setObjectName(QStringLiteral("curateSelection"));
    m_selection->setVisible(false);
    hints->addWidget(m_selection);
    m_advance = new QCheckBox(tr("&Advance after marking"), parent);
    m_advance->setObjectName(QStringLiteral("curateAdvance"));
    m_advance->setChecked(true);
    m_advance->setFocusPolicy(Qt::NoFocus);
    hints->addWidget(m_advance);
    hints->addStretch(1);
    return rows;
}

// The detail panel.
QWidget* CuratePage::buildDetailPanel(QWidget* parent) {
    auto* detail = new QWidget(parent);
    auto* detailLayout = new QVBoxLayout(detail);
    // The image scales down to the panel; the panel keeps its controls' width and scrolls when short.
    m_image = new ImageLabel(detail, kLargeSize * 2 / 3, kLargeSize / 4);
    m_image->setObjectName(QStringLiteral("curateDetailImage"));
    m_image->setText(tr("Select an image"));
    detailLayout->addWidget(m_image);

    m_tagEdit = new QLineEdit(detail);
    m_tagEdit->setObjectName(QStringLiteral("curateTagEdit"));
    m_tagEdit->setPlaceholderText(tr("Tags, comma-separated (Enter saves, Esc cancels)"));
    m_tagEdit->setVisible(false);
    m_tagEdit->installEventFilter(this);
    connect(m_tagEdit, &QLineEdit::returnPressed, this, &CuratePage::commitTags);
    detailLayout->addWidget(m_tagEdit);

    // The buttons right under the image: in a short window they stay in view and the numbers scroll.
    detailLayout->addLayout(buildCurationButtons(detail));
    detailLayout->addWidget(buildNumbersGroup(detail));
    detailLayout->addWidget(buildNearestGroup(detail));
    detailLayout->addStretch(1);
    auto* scroll = new ScrollPanel(detail, parent);
    scroll->setObjectName(QStringLiteral("curateDetailPanel"));
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

QLayout* CuratePage::buildCurationButtons(QWidget* parent) {
    auto* buttons = new FlowLayout();  // wraps in a narrow detail panel
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
    m_nearestImage = new ImageLabel(nearest, kNearestSize * 2 / 3, kNearestSize / 3);
    m_nearestImage->setObjectName(QStringLiteral("curateNearestImage"));
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
    // Marks whose write failed are not kept as "newer than the disk": the reload queued after the write shows what
    // is saved (the grid kept the unsaved marks for the session, while the counts and the export used the disk's).
    // The failure itself is reported by the main window.
    connect(worker(), &EngineWorker::jobFailed, this, [this](const QString& job, const QString&) {
        if (job == jobs::kCurate) m_unwrittenMarks.clear();
    });
    connect(controller(), &StudioController::projectChanged, this, &CuratePage::onProjectChanged);
}

CuratePage::~CuratePage() {
    // The loader's running tasks finish before the page they report to goes away.
    delete m_loader;
    m_loader = nullptr;
}

void CuratePage::onProjectChanged(const ProjectInfo& info) {
    if (info.dir != m_project.dir) {
        m_undo->clear();  // the steps name images of the other project
        m_unwrittenMarks.clear();
    }
    m_project = info;
    rebuildFilterChoices();
}

void CuratePage::onSyntheticChanged(const QList<SyntheticItem>& loaded) {
    const SyntheticItem* current = currentItem();
    const QString keep = current ? current->outputPath : QString();
    QList<SyntheticItem> items = loaded;
    for (auto& it : items) {
        const auto unwritten = m_unwrittenMarks.constFind(it.outputPath);
        if (unwritten == m_unwrittenMarks.cend()) continue;
        if (it.curation == unwritten->first && it.tags == unwritten->second) {
            m_unwrittenMarks.erase(unwritten);  // on disk now
        } else {
            it.curation = unwritten->first;  // read before the write: the grid keeps the newer marks
            it.tags = unwritten->second;
        }
    }
    if (m_model->setItems(items)) {  // another set (regenerated): the steps no longer apply
        m_undo->clear();
        m_unwrittenMarks.clear();
    }
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
    QStringList suffixes, pairs, tags;
    for (const auto& it : m_model->items()) {
        for (const QString& t : it.tags)
            if (!tags.contains(t)) tags << t;
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
    e.clear();
    tags.sort(Qt::CaseInsensitive);
    e.append({tr("(untagged)"), QVariant(0)});
    for (const auto& t : tags) e.append({t, t});
    refill(m_tagFilter, tr("Any tag"), e);
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
    m_filter->tag = m_tagFilter->currentIndex() > 0 ? m_tagFilter->currentData() : QVariant();
    m_filter->refresh();
    updateCount();
    const int total = m_model->rowCount(), shown = m_filter->rowCount();
    m_empty->setVisible(total == 0);
    if (!m_grid->currentIndex().isValid() && shown > 0)
        m_grid->selectionModel()->setCurrentIndex(m_filter->index(0, 0), QItemSelectionModel::ClearAndSelect);
    if (!m_grid->currentIndex().isValid()) showDetail(nullptr);
}

void CuratePage::updateCount() {
    if (!m_grid) return;
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
    // Below the grid, not in the filter bar: the bar's width does not change with the selection.
    const int selected = static_cast<int>(m_grid->selectionModel()->selectedIndexes().size());
    m_selection->setText(selected > 1 ? tr("%1 selected").arg(selected) : QString());
    m_selection->setVisible(selected > 1);
}

const SyntheticItem* CuratePage::currentItem() const {
    const QModelIndex i = m_grid->currentIndex();
    if (!i.isValid()) return nullptr;
    return m_model->item(m_filter->mapToSource(i).row());
}

void CuratePage::onCurrentChanged(const QModelIndex& current) {
    if (m_tagEdit->isVisible() &&
        !(current.isValid() && m_tagTargets.contains(current.data(OutputPathRole).toString()))) {
        m_tagEdit->setVisible(false);
        m_tagTargets.clear();
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

QStringList CuratePage::selectedPaths() const {
    QModelIndexList selected = m_grid->selectionModel()->selectedIndexes();
    std::sort(selected.begin(), selected.end(),
              [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    QStringList paths;
    for (const QModelIndex& i : selected) paths << i.data(OutputPathRole).toString();
    if (paths.isEmpty() && m_grid->currentIndex().isValid())
        paths << m_grid->currentIndex().data(OutputPathRole).toString();
    return paths;
}

void CuratePage::pushMarks(const QString& text, const QStringList& paths, const QList<int>& curations,
                           const QList<QStringList>& tags) {
    QStringList changedPaths;
    QList<int> oldCurations, newCurations;
    QList<QStringList> oldTags, newTags;
    for (int i = 0; i < paths.size(); ++i) {
        const SyntheticItem* it = m_model->item(m_model->rowOf(paths[i]));
        if (!it || (it->curation == curations[i] && it->tags == tags[i])) continue;
        changedPaths << paths[i];
        oldCurations << it->curation;
        oldTags << it->tags;
        newCurations << curations[i];
        newTags << tags[i];
    }
    if (changedPaths.isEmpty()) return;
    m_undo->push(new CurationCommand(this, text, changedPaths, oldCurations, oldTags, newCurations, newTags));
}

void CuratePage::applyMarks(const QStringList& paths, const QList<int>& curations, const QList<QStringList>& tags) {
    for (int i = 0; i < paths.size(); ++i) {
        m_model->setCuration(m_model->rowOf(paths[i]), curations[i], tags[i]);
        m_unwrittenMarks.insert(paths[i], {curations[i], tags[i]});
    }
    // One engine call writes every mark; the reload after it tells every page (counts on the export page).
    controller()->post([paths, curations, tags](EngineWorker* w) {
        w->setCurations(paths, curations, tags);
        w->loadSynthetic();
    });
    applyFilters();
    showDetail(currentItem());
}

void CuratePage::markCurrent(int curation) {
    const QModelIndex current = m_grid->currentIndex();
    const QStringList paths = selectedPaths();
    if (paths.isEmpty()) return;
    const SyntheticItem* it = currentItem();
    // Where to go next, decided before the mark may filter the image out of the view; several marked images stay
    // selected.
    const bool advance = m_advance->isChecked() && paths.size() == 1 && it;
    const QString nextPath = [&] {
        if (!it) return paths.first();
        if (!advance) return it->outputPath;
        const QModelIndex next = m_filter->index(current.row() + 1, 0);
        return next.isValid() ? next.data(OutputPathRole).toString() : it->outputPath;
    }();
    QList<int> curations;
    QList<QStringList> tags;
    for (const QString& p : paths) {
        curations << curation;
        tags << m_model->item(m_model->rowOf(p))->tags;
    }
    const QString what = curation == 1 ? tr("Accept") : curation == 2 ? tr("Reject") : tr("Mark pending");
    pushMarks(paths.size() == 1 ? what : tr("%1 %2 images").arg(what).arg(paths.size()), paths, curations, tags);
    if (paths.size() > 1) return;
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
    const QStringList paths = selectedPaths();
    if (paths.isEmpty()) return;
    m_tagTargets = paths;
    m_tagCommon.clear();
    for (int i = 0; i < paths.size(); ++i) {
        const QStringList tags = m_model->item(m_model->rowOf(paths[i]))->tags;
        if (i == 0) {
            m_tagCommon = tags;
        } else {
            QStringList common;
            for (const QString& t : std::as_const(m_tagCommon))
                if (tags.contains(t)) common << t;
            m_tagCommon = common;
        }
    }
    m_tagEdit->setPlaceholderText(paths.size() == 1
                                      ? tr("Tags, comma-separated (Enter saves, Esc cancels)")
                                      : tr("Tags of the %1 selected images, comma-separated (Enter saves, Esc "
                                           "cancels)")
                                            .arg(paths.size()));
    m_tagEdit->setText(m_tagCommon.join(QStringLiteral(", ")));
    m_tagEdit->setVisible(true);
    m_tagEdit->setFocus();
    m_tagEdit->selectAll();
}

void CuratePage::commitTags() {
    const QStringList targets = m_tagTargets;
    const QStringList common = m_tagCommon;
    m_tagEdit->setVisible(false);
    m_tagTargets.clear();
    m_tagCommon.clear();
    m_grid->setFocus();
    QStringList entered;
    for (const QString& t : m_tagEdit->text().split(QRegularExpression(QStringLiteral("[,;]")), Qt::SkipEmptyParts)) {
        const QString s = t.trimmed();
        if (!s.isEmpty() && !entered.contains(s)) entered << s;
    }
    QStringList paths;
    QList<int> curations;
    QList<QStringList> tags;
    for (const QString& p : targets) {
        const SyntheticItem* it = m_model->item(m_model->rowOf(p));
        if (!it) continue;
        // The common tags are replaced by what was typed; an image's other tags stay.
        QStringList t;
        for (const QString& old : it->tags)
            if (!common.contains(old)) t << old;
        for (const QString& e : std::as_const(entered))
            if (!t.contains(e)) t << e;
        paths << p;
        curations << it->curation;
        tags << t;
    }
    pushMarks(paths.size() == 1 ? tr("Edit tags") : tr("Edit tags of %1 images").arg(paths.size()), paths, curations,
              tags);
    rebuildFilterChoices();
    showDetail(currentItem());
}

void CuratePage::moveCurrent(int step, bool extend) {
    // Previous / next in reading order, across rows of the grid; with Shift the selection grows.
    const int n = m_filter->rowCount();
    if (n == 0) return;
    const int row = m_grid->currentIndex().isValid() ? m_grid->currentIndex().row() : -1;
    const int next = std::clamp(row + step, 0, n - 1);
    const QModelIndex target = m_filter->index(next, 0);
    m_grid->selectionModel()->setCurrentIndex(
        target, extend ? QItemSelectionModel::Select : QItemSelectionModel::ClearAndSelect);
    m_grid->scrollTo(target);
}

void CuratePage::buildActions() {
    // The keys are actions (so Help > Keyboard shortcuts lists them): the marks act while the grid has the focus,
    // undo / redo anywhere on the page but in a text field (which keeps its own undo).
    auto gridAction = [&](const QString& text, const QKeySequence& key, const char* name, auto slot) {
        auto* a = new QAction(text, this);
        a->setObjectName(QLatin1String(name));
        a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetShortcut);
        connect(a, &QAction::triggered, this, slot);
        m_grid->addAction(a);
        return a;
    };
    gridAction(tr("Accept the selected images"), QKeySequence(Qt::Key_A), "curateAcceptAction",
               [this] { markCurrent(1); });
    gridAction(tr("Reject the selected images"), QKeySequence(Qt::Key_R), "curateRejectAction",
               [this] { markCurrent(2); });
    gridAction(tr("Mark the selected images pending"), QKeySequence(Qt::Key_U), "curatePendingAction",
               [this] { markCurrent(0); });
    gridAction(tr("Edit the tags of the selected images"), QKeySequence(Qt::Key_T), "curateTagAction",
               [this] { editTags(); });
    gridAction(tr("Previous image"), QKeySequence(Qt::Key_Left), "curatePreviousAction",
               [this] { moveCurrent(-1, false); });
    gridAction(tr("Next image"), QKeySequence(Qt::Key_Right), "curateNextAction", [this] { moveCurrent(1, false); });
    gridAction(tr("Add the previous image to the selection"), QKeySequence(Qt::SHIFT | Qt::Key_Left),
               "curateExtendPreviousAction", [this] { moveCurrent(-1, true); });
    gridAction(tr("Add the next image to the selection"), QKeySequence(Qt::SHIFT | Qt::Key_Right),
               "curateExtendNextAction", [this] { moveCurrent(1, true); });

    m_undoAction = new QAction(tr("&Undo curation"), this);
    m_undoAction->setObjectName(QStringLiteral("curateUndoAction"));
    m_undoAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Z));
    m_redoAction = new QAction(tr("&Redo curation"), this);
    m_redoAction->setObjectName(QStringLiteral("curateRedoAction"));
    m_redoAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    for (QAction* a : {m_undoAction, m_redoAction}) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        a->setEnabled(false);
        addAction(a);
    }
    connect(m_undoAction, &QAction::triggered, m_undo, &QUndoStack::undo);
    connect(m_redoAction, &QAction::triggered, m_undo, &QUndoStack::redo);
    connect(m_undo, &QUndoStack::canUndoChanged, m_undoAction, &QAction::setEnabled);
    connect(m_undo, &QUndoStack::canRedoChanged, m_redoAction, &QAction::setEnabled);
    connect(m_undo, &QUndoStack::undoTextChanged, this, [this](const QString& text) {
        m_undoAction->setText(text.isEmpty() ? tr("&Undo curation") : tr("&Undo: %1").arg(text));
    });
    connect(m_undo, &QUndoStack::redoTextChanged, this, [this](const QString& text) {
        m_redoAction->setText(text.isEmpty() ? tr("&Redo curation") : tr("&Redo: %1").arg(text));
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
        case Qt::Key_Right:
            moveCurrent(event->key() == Qt::Key_Right ? 1 : -1, mods == Qt::ShiftModifier);
            return true;
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
            m_tagTargets.clear();
            m_grid->setFocus();
            return true;
        }
    }
    return StudioPage::eventFilter(watched, event);
}

void CuratePage::keyPressEvent(QKeyEvent* event) {
    if (!handleKey(event)) StudioPage::keyPressEvent(event);
}

void CuratePage::retranslate() {
    updateCount();
    if (m_grid) onCurrentChanged(m_grid->currentIndex());
}

}  // namespace diffii::ui
