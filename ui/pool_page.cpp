#include "ui/pool_page.h"

#include <QAbstractTableModel>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSet>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "ui/lightbox.h"
#include "ui/thumbnail_cache.h"

namespace diffii::ui {

namespace {
constexpr int kThumbnailSize = 112;
enum PoolColumn { ColClass, ColOriginal, ColReconstruction, ColPsnr, ColCount };
constexpr int kImageRole = Qt::UserRole + 1;  // QImage (null while loading)
constexpr int kStaleRole = Qt::UserRole + 2;  // bool
constexpr int kSortRole = Qt::UserRole + 3;
const QColor kStaleColor(210, 40, 40);

}  // namespace

// One row per pool entry. Images are asked of the thumbnail cache when a row is painted.
class PoolModel : public QAbstractTableModel {
public:
    PoolModel(ThumbnailCache* cache, QObject* parent) : QAbstractTableModel(parent), m_cache(cache) {
        connect(cache, &ThumbnailCache::thumbnailReady, this, [this](const QString& path) {
            const auto rows = m_rowsOf.values(path);
            for (int row : rows) {
                const int column = m_items[row].imagePath == path ? ColOriginal : ColReconstruction;
                const QModelIndex i = index(row, column);
                Q_EMIT dataChanged(i, i, {kImageRole});
            }
        });
    }

    void setItems(const QList<PoolItem>& items) {
        beginResetModel();
        m_items = items;
        m_rowsOf.clear();
        for (int i = 0; i < m_items.size(); ++i) {
            m_rowsOf.insert(m_items[i].imagePath, i);
            if (!m_items[i].reconstructionPath.isEmpty()) m_rowsOf.insert(m_items[i].reconstructionPath, i);
        }
        endResetModel();
    }
    const QList<PoolItem>& items() const { return m_items; }

    // One entry of a running build: replaces the row of the same class and key, else appends one.
    void upsert(const PoolItem& item) {
        for (int row = 0; row < m_items.size(); ++row) {
            if (m_items[row].className != item.className || m_items[row].key != item.key) continue;
            m_items[row] = item;
            indexPaths(row);
            Q_EMIT dataChanged(index(row, 0), index(row, ColCount - 1));
            return;
        }
        const int row = static_cast<int>(m_items.size());
        beginInsertRows(QModelIndex(), row, row);
        m_items << item;
        indexPaths(row);
        endInsertRows();
    }

    int rowCount(const QModelIndex& parent = QModelIndex()) const override {
        return parent.isValid() ? 0 : static_cast<int>(m_items.size());
    }
    int columnCount(const QModelIndex& parent = QModelIndex()) const override {
        return parent.isValid() ? 0 : ColCount;
    }

    QVariant headerData(int section, Qt::Orientation orientation, int role) const override {
        if (orientation != Qt::Horizontal) return QVariant();
        if (role == Qt::DisplayRole) {
            switch (section) {
                case ColClass:
                    return QCoreApplication::translate("diffii::ui::PoolPage", "Class");
                case ColOriginal:
                    return QCoreApplication::translate("diffii::ui::PoolPage", "Original");
                case ColReconstruction:
                    return QCoreApplication::translate("diffii::ui::PoolPage", "Reconstruction");
                case ColPsnr:
                    return QCoreApplication::translate("diffii::ui::PoolPage", "PSNR (dB)");
            }
        } else if (role == Qt::ToolTipRole) {
            switch (section) {
                case ColOriginal:
                    return QCoreApplication::translate("diffii::ui::PoolPage", "The training image that was inverted");
                case ColReconstruction:
                    return QCoreApplication::translate(
                        "diffii::ui::PoolPage", "The image denoised back from its inversion with the class prompt");
                case ColPsnr:
                    return QCoreApplication::translate(
                        "diffii::ui::PoolPage",
                        "Peak signal-to-noise ratio of the reconstruction against the original: how "
                        "faithfully the inversion keeps the image (higher is better)");
            }
        }
        return QVariant();
    }

    QVariant data(const QModelIndex& index, int role) const override {
        if (!index.isValid() || index.row() >= m_items.size()) return QVariant();
        const PoolItem& it = m_items[index.row()];
        if (role == kStaleRole) return it.stale;
        const bool hasPsnr = !it.reconstructionPath.isEmpty() && std::isfinite(it.psnr) && it.psnr > 0;
        switch (index.column()) {
            case ColClass:
                if (role == Qt::DisplayRole) return it.className;
                if (role == kSortRole) return it.className;
                if (role == Qt::ToolTipRole)
                    return QCoreApplication::translate("diffii::ui::PoolPage", "Entry %1\n%2").arg(it.key, it.file);
                break;
            case ColOriginal:
            case ColReconstruction: {
                const QString& path = index.column() == ColOriginal ? it.imagePath : it.reconstructionPath;
                if (role == kImageRole) return m_cache->thumbnail(path);
                if (role == Qt::ToolTipRole)
                    return path.isEmpty()
                               ? QCoreApplication::translate("diffii::ui::PoolPage", "No reconstruction was made")
                               : QDir::toNativeSeparators(path);
                if (role == Qt::AccessibleTextRole) return QFileInfo(path).fileName();
                if (role == kSortRole) return path;
                break;
            }
            case ColPsnr:
                if (role == Qt::DisplayRole) {
                    const QString value =
                        hasPsnr ? QStringLiteral("%1 dB").arg(it.psnr, 0, 'f', 2) : QStringLiteral("\u2014");
                    return it.stale ? QCoreApplication::translate("diffii::ui::PoolPage", "%1\nstale").arg(value)
                                    : value;
                }
                if (role == kSortRole) return hasPsnr ? it.psnr : -1.0;
                if (role == Qt::ForegroundRole && it.stale) return kStaleColor;
                if (role == Qt::TextAlignmentRole) return int(Qt::AlignCenter);
                if (role == Qt::ToolTipRole)
                    return it.stale ? QCoreApplication::translate(
                                          "diffii::ui::PoolPage",
                                          "Stale: the model, the concepts or the pool settings changed since "
                                          "this inversion was made. Build the pool again.")
                                    : QCoreApplication::translate(
                                          "diffii::ui::PoolPage",
                                          "Reconstruction PSNR: higher means the inversion keeps the image");
                break;
        }
        return QVariant();
    }

private:
    void indexPaths(int row) {
        m_rowsOf.insert(m_items[row].imagePath, row);
        if (!m_items[row].reconstructionPath.isEmpty()) m_rowsOf.insert(m_items[row].reconstructionPath, row);
    }

    ThumbnailCache* m_cache;
    QList<PoolItem> m_items;
    QMultiHash<QString, int> m_rowsOf;
};

namespace {

// Paints a thumbnail centred in its cell; a stale entry gets a red frame so it stands out in a long grid.
class PoolImageDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override {
        QStyleOptionViewItem opt = option;
        initStyleOption(&opt, index);
        opt.text.clear();
        QApplication::style()->drawControl(QStyle::CE_ItemViewItem, &opt, painter, opt.widget);
        const QRect cell = option.rect.adjusted(4, 4, -4, -4);
        const QImage image = index.data(kImageRole).value<QImage>();
        painter->save();
        if (!image.isNull()) {
            const QSize size = image.size().scaled(cell.size(), Qt::KeepAspectRatio);
            const QRect target(cell.center() - QPoint(size.width() / 2, size.height() / 2), size);
            painter->setRenderHint(QPainter::SmoothPixmapTransform);
            painter->drawImage(target, image);
        } else {
            painter->fillRect(cell, QColor(0, 0, 0, 20));
        }
        if (index.data(kStaleRole).toBool()) {
            painter->setPen(QPen(kStaleColor, 3));
            painter->drawRect(cell.adjusted(1, 1, -2, -2));
        }
        painter->restore();
    }

    QSize sizeHint(const QStyleOptionViewItem&, const QModelIndex&) const override {
        return QSize(kThumbnailSize + 8, kThumbnailSize + 8);
    }
};

// Class and stale filters over the pool.
class PoolFilter : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setFilter(const QString& className, bool staleOnly) {
        m_class = className;
        m_staleOnly = staleOnly;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override {
        const QModelIndex i = sourceModel()->index(row, ColClass, parent);
        if (!m_class.isEmpty() && i.data(Qt::DisplayRole).toString() != m_class) return false;
        if (m_staleOnly && !i.data(kStaleRole).toBool()) return false;
        return true;
    }

private:
    QString m_class;
    bool m_staleOnly = false;
};

}  // namespace

PoolPage::PoolPage(StudioController* controller, QWidget* parent) : StudioPage(controller, parent) {
    m_thumbnails = new ThumbnailCache(QSize(kThumbnailSize, kThumbnailSize), 96, this);
    m_thumbnails->setObjectName(QStringLiteral("poolThumbnails"));
    auto* layout = new QVBoxLayout(this);

    auto* intro = new QLabel(tr("The inversion pool holds one DDIM inversion per training image: the noise latent "
                                "that denoises back to that image under its class prompt. Generation interpolates "
                                "between two inversions of a class on a circle, so a faithful inversion (high "
                                "PSNR) gives faithful synthetic images."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    layout->addLayout(buildTopRow());

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("poolSummary"));
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);
    // One bar over every phase of the build (inversion and reconstruction of each image): it only goes forward.
    m_buildProgress = new QProgressBar(this);
    m_buildProgress->setObjectName(QStringLiteral("poolProgress"));
    m_buildProgress->setVisible(false);
    layout->addWidget(m_buildProgress);

    buildView();
    layout->addWidget(m_view, 1);

    m_empty = new QLabel(this);
    m_empty->setObjectName(QStringLiteral("poolEmpty"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    layout->addWidget(m_empty, 1);

    connectControls();
    connectController();

    if (controller->hasProject()) onProjectChanged(controller->project());
    onPoolChanged({});
}

// The settings, the actions and the filters side by side.
QHBoxLayout* PoolPage::buildTopRow() {
    auto* top = new QHBoxLayout;
    top->addWidget(buildSettingsGroup());
    top->addLayout(buildActions());
    top->addLayout(buildFilters());
    top->addStretch();
    return top;
}

QGroupBox* PoolPage::buildSettingsGroup() {
    auto* settingsBox = new QGroupBox(tr("Pool settings"), this);
    auto* form = new QFormLayout(settingsBox);
    m_steps = new QSpinBox(settingsBox);
    m_steps->setObjectName(QStringLiteral("poolSteps"));
    m_steps->setRange(1, 1000);
    m_steps->setToolTip(
        tr("DDIM steps of the inversion (and of the reconstruction): more steps invert more "
           "faithfully and take longer"));
    form->addRow(tr("Inversion &steps"), m_steps);
    m_guidance = new QDoubleSpinBox(settingsBox);
    m_guidance->setObjectName(QStringLiteral("poolGuidance"));
    m_guidance->setRange(0.0, 30.0);
    m_guidance->setDecimals(2);
    m_guidance->setSingleStep(0.5);
    m_guidance->setToolTip(
        tr("Classifier-free guidance scale during inversion; 1 (no guidance) inverts most "
           "faithfully"));
    form->addRow(tr("&Guidance"), m_guidance);
    return settingsBox;
}

QVBoxLayout* PoolPage::buildActions() {
    auto* actions = new QVBoxLayout;
    m_build = new QPushButton(tr("&Build pool"), this);
    m_build->setObjectName(QStringLiteral("poolBuild"));
    m_build->setToolTip(
        tr("Save the settings and invert every training image that has no current inversion "
           "(missing or stale); finished entries are kept if you cancel"));
    m_refresh = new QPushButton(tr("Re&fresh"), this);
    m_refresh->setObjectName(QStringLiteral("poolRefresh"));
    m_refresh->setToolTip(tr("Read the pool from the project folder again"));
    actions->addWidget(m_build);
    actions->addWidget(m_refresh);
    actions->addStretch();
    return actions;
}

QFormLayout* PoolPage::buildFilters() {
    auto* filters = new QFormLayout;
    m_classFilter = new QComboBox(this);
    m_classFilter->setObjectName(QStringLiteral("poolClassFilter"));
    m_classFilter->setToolTip(tr("Show the entries of one class"));
    m_classFilter->setMinimumContentsLength(16);
    filters->addRow(tr("&Class"), m_classFilter);
    m_staleOnly = new QCheckBox(tr("Stale entries &only"), this);
    m_staleOnly->setObjectName(QStringLiteral("poolStaleOnly"));
    m_staleOnly->setToolTip(tr("Show only the entries that must be rebuilt"));
    filters->addRow(QString(), m_staleOnly);
    return filters;
}

// The model, its filter and the table of the entries.
void PoolPage::buildView() {
    m_model = new PoolModel(m_thumbnails, this);
    auto* filter = new PoolFilter(this);
    filter->setSourceModel(m_model);
    filter->setSortRole(kSortRole);
    m_proxy = filter;
    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("poolView"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(ColClass, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setWordWrap(true);
    auto* delegate = new PoolImageDelegate(m_view);
    m_view->setItemDelegateForColumn(ColOriginal, delegate);
    m_view->setItemDelegateForColumn(ColReconstruction, delegate);
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(kThumbnailSize + 8);
    m_view->verticalHeader()->setVisible(false);
    m_view->horizontalHeader()->setSectionResizeMode(ColClass, QHeaderView::Stretch);
    m_view->horizontalHeader()->setSectionResizeMode(ColOriginal, QHeaderView::Fixed);
    m_view->horizontalHeader()->setSectionResizeMode(ColReconstruction, QHeaderView::Fixed);
    m_view->horizontalHeader()->resizeSection(ColOriginal, kThumbnailSize + 8);
    m_view->horizontalHeader()->resizeSection(ColReconstruction, kThumbnailSize + 8);
    m_view->horizontalHeader()->resizeSection(ColPsnr, 110);
}

void PoolPage::connectControls() {
    connect(m_build, &QPushButton::clicked, this, &PoolPage::build);
    connect(m_refresh, &QPushButton::clicked, this,
            [this] { this->controller()->post([](EngineWorker* w) { w->refreshPool(); }); });
    connect(m_classFilter, &QComboBox::currentIndexChanged, this, &PoolPage::updateFilter);
    connect(m_staleOnly, &QCheckBox::toggled, this, &PoolPage::updateFilter);
    // The lightbox: the double-clicked image (the original elsewhere in the row) beside the other one.
    installLightbox(m_view, [this](const QModelIndex& index) {
        const PoolItem& it = m_model->items().at(m_proxy->mapToSource(index).row());
        const bool reconstruction = index.column() == ColReconstruction && !it.reconstructionPath.isEmpty();
        LightboxImage original{QImage(), tr("%1 %2: original").arg(it.className, it.key), it.imagePath};
        LightboxImage rebuilt{QImage(), tr("%1 %2: reconstruction").arg(it.className, it.key), it.reconstructionPath};
        LightboxContent c{reconstruction ? rebuilt : original, {}};
        if (!it.reconstructionPath.isEmpty()) c.sources << (reconstruction ? original : rebuilt);
        return c;
    });
}

void PoolPage::connectController() {
    connect(controller(), &StudioController::projectChanged, this, &PoolPage::onProjectChanged);
    connect(controller(), &StudioController::busyChanged, this, &PoolPage::updateButtons);
    connect(worker(), &EngineWorker::poolChanged, this, &PoolPage::onPoolChanged);
    connect(worker(), &EngineWorker::poolEntryReady, this, &PoolPage::onPoolEntry);
    connect(worker(), &EngineWorker::progress, this, &PoolPage::onBuildProgress);
    connect(worker(), &EngineWorker::jobStarted, this, [this](const QString& job) {
        if (job != jobs::kPool && job != jobs::kDemo) return;
        m_buildProgress->setRange(0, 1);
        m_buildProgress->setValue(0);
    });
    auto hide = [this](const QString& job) {
        if (job == jobs::kPool || job == jobs::kDemo) m_buildProgress->setVisible(false);
    };
    connect(worker(), &EngineWorker::jobFinished, this, hide);
    connect(worker(), &EngineWorker::jobCancelled, this, hide);
    connect(worker(), &EngineWorker::jobFailed, this, hide);
}

void PoolPage::onPoolEntry(const PoolItem& item) {
    if (!item.reconstructionPath.isEmpty()) m_thumbnails->invalidate(item.reconstructionPath);
    m_model->upsert(item);
    updateSummary();
}

void PoolPage::onBuildProgress(const JobProgress& p) {
    if (p.job != QLatin1String("inversion pool") || p.total <= 0) return;
    m_buildProgress->setVisible(true);
    if (m_buildProgress->maximum() != static_cast<int>(p.total))
        m_buildProgress->setRange(0, static_cast<int>(p.total));
    // Reports only move forward; a late one (throttled) never pulls the bar back.
    m_buildProgress->setValue(std::max(m_buildProgress->value(), static_cast<int>(p.done)));
    qint64 current = 0, trainImages = 0;
    for (const PoolItem& it : m_model->items())
        if (!it.stale) ++current;
    for (const ClassInfo& c : m_project.classes) trainImages += c.trainImages.size();
    m_buildProgress->setFormat(tr("%1 of %2 inverted (%p%)").arg(current).arg(trainImages));
}

diffii::WorkflowSettings PoolPage::formSettings() const {
    diffii::WorkflowSettings settings = controller()->project().workflow;
    settings.pool.steps = m_steps->value();
    settings.pool.guidance = m_guidance->value();
    return settings;
}

void PoolPage::onProjectChanged(const ProjectInfo& info) {
    const bool otherProject = info.dir != m_project.dir;
    const auto& pool = info.workflow.pool;
    const auto& old = m_project.workflow.pool;
    if (otherProject || pool.steps != old.steps || pool.guidance != old.guidance) {
        m_steps->setValue(pool.steps);
        m_guidance->setValue(pool.guidance);
    }
    m_project = info;
    if (otherProject) m_thumbnails->clear();

    const QString current = m_classFilter->currentData().toString();
    const QSignalBlocker block(m_classFilter);
    m_classFilter->clear();
    m_classFilter->addItem(tr("All classes"), QString());
    for (const ClassInfo& c : info.classes) m_classFilter->addItem(c.name, c.name);
    const int i = m_classFilter->findData(current);
    m_classFilter->setCurrentIndex(i < 0 ? 0 : i);
    updateFilter();
    updateButtons();
}

void PoolPage::onPoolChanged(const QList<PoolItem>& items) {
    // A rebuilt entry rewrites its reconstruction under the same name: decode it again.
    for (const PoolItem& it : items)
        if (!it.reconstructionPath.isEmpty()) m_thumbnails->invalidate(it.reconstructionPath);
    m_model->setItems(items);
    updateSummary();
    updateButtons();
}

void PoolPage::updateFilter() {
    static_cast<PoolFilter*>(m_proxy)->setFilter(m_classFilter->currentData().toString(), m_staleOnly->isChecked());
    updateSummary();
}

void PoolPage::updateSummary() {
    const QList<PoolItem>& items = m_model->items();
    const QString cls = m_classFilter->currentData().toString();
    int entries = 0, stale = 0, measured = 0;
    double sum = 0.0;
    for (const PoolItem& it : items) {
        if (!cls.isEmpty() && it.className != cls) continue;
        ++entries;
        if (it.stale) ++stale;
        if (!it.reconstructionPath.isEmpty() && std::isfinite(it.psnr) && it.psnr > 0) {
            sum += it.psnr;
            ++measured;
        }
    }
    qint64 trainImages = 0;
    for (const ClassInfo& c : m_project.classes)
        if (cls.isEmpty() || c.name == cls) trainImages += c.trainImages.size();
    QString text = tr("%1 of %2 training images inverted").arg(entries - stale).arg(trainImages);
    if (measured > 0) text += tr(", mean PSNR %1 dB").arg(sum / measured, 0, 'f', 2);
    if (stale > 0)
        text += QStringLiteral(", <span style=\"color:%1\">%2</span>")
                    .arg(kStaleColor.name(), tr("%n stale", nullptr, stale));
    else
        text += tr(", none stale");
    m_summary->setText(text);

    const bool empty = items.isEmpty();
    m_view->setVisible(!empty);
    m_empty->setVisible(empty);
    if (m_project.dir.isEmpty())
        m_empty->setText(tr("Open a project first (Dataset page)."));
    else if (!m_project.hasConcepts)
        m_empty->setText(
            tr("No inversions yet. Train the concepts first (Concepts page), then Build the pool: "
               "inverting with the class prompt of trained concepts keeps images faithful."));
    else
        m_empty->setText(tr("No inversions yet: press Build pool."));
}

void PoolPage::updateButtons() {
    const bool ok = !m_project.dir.isEmpty() && !controller()->busy();
    m_build->setEnabled(ok);
    m_refresh->setEnabled(ok);
    m_steps->setEnabled(ok);
    m_guidance->setEnabled(ok);
}

void PoolPage::build() {
    if (m_project.dir.isEmpty()) return;
    const diffii::WorkflowSettings settings = formSettings();
    // One queued call: the settings are on disk before the job reads them.
    controller()->post([settings](EngineWorker* w) {
        w->saveSettings(settings);
        w->buildPool();
    });
}

void PoolPage::retranslate() { updateSummary(); }

}  // namespace diffii::ui
