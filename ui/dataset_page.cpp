#include "ui/dataset_page.h"

#include <QAbstractListModel>
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
#include <QListView>
#include <QListWidget>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QSet>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>

#include "ui/fit_widgets.h"
#include "ui/lightbox.h"
#include "ui/thumbnail_cache.h"

namespace diffii::ui {

namespace {
constexpr int kThumbnailSize = 128;
constexpr int kThumbnailMinSize = 72;
enum ClassColumn { ColName, ColImages, ColTrain, ColNote, ColCount };
}  // namespace

// The images of one class for the grid. Holds only paths; the decoration is asked of the cache when the view paints
// an item, so a class of thousands of images costs thousands of strings until it is scrolled through.
class ThumbnailModel : public QAbstractListModel {
public:
    struct Item {
        QString path;
        bool train = false;
    };

    ThumbnailModel(ThumbnailCache* cache, QObject* parent) : QAbstractListModel(parent), m_cache(cache) {
        const int s = cache->thumbnailSize().width();
        m_placeholder = QPixmap(s, s);
        m_placeholder.fill(QColor(0, 0, 0, 24));
        m_broken = QPixmap(s, s);
        m_broken.fill(Qt::transparent);
        QPainter p(&m_broken);
        const QIcon icon = QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning);
        p.drawPixmap((s - 32) / 2, (s - 32) / 2, icon.pixmap(32, 32));
        connect(cache, &ThumbnailCache::thumbnailReady, this, [this](const QString& path) {
            const auto it = m_rowOf.constFind(path);
            if (it == m_rowOf.constEnd()) return;
            const QModelIndex i = index(*it);
            Q_EMIT dataChanged(i, i, {Qt::DecorationRole});
        });
    }

    void setItems(const QList<Item>& items) {
        beginResetModel();
        m_items = items;
        m_rowOf.clear();
        for (int i = 0; i < m_items.size(); ++i) m_rowOf.insert(m_items[i].path, i);
        endResetModel();
    }

    const Item& item(int row) const { return m_items[row]; }

    int rowCount(const QModelIndex& parent = QModelIndex()) const override {
        return parent.isValid() ? 0 : static_cast<int>(m_items.size());
    }

    QVariant data(const QModelIndex& index, int role) const override {
        if (!index.isValid() || index.row() >= m_items.size()) return QVariant();
        const Item& it = m_items[index.row()];
        switch (role) {
            case Qt::DisplayRole:
                return QFileInfo(it.path).fileName();
            case Qt::DecorationRole: {
                const QImage image = m_cache->thumbnail(it.path);
                if (!image.isNull()) return QPixmap::fromImage(image);
                return m_cache->failed(it.path) ? m_broken : m_placeholder;
            }
            case Qt::ToolTipRole:
                return QStringLiteral("%1\n%2").arg(
                    it.path, it.train ? ThumbnailModel::tr("In the training split")
                                      : ThumbnailModel::tr("Not in the training split (left out by the subset)"));
            case Qt::ForegroundRole:
                if (!it.train) return QApplication::palette().color(QPalette::Disabled, QPalette::Text);
                return QVariant();
            case Qt::UserRole:
                return it.path;
            default:
                return QVariant();
        }
    }

    static QString tr(const char* s) { return QCoreApplication::translate("diffii::ui::ThumbnailModel", s); }

private:
    ThumbnailCache* m_cache;
    QList<Item> m_items;
    QHash<QString, int> m_rowOf;
    QPixmap m_placeholder;
    QPixmap m_broken;
};

DatasetPage::DatasetPage(StudioController* controller, QWidget* parent) : StudioPage(controller, parent) {
    m_thumbnails = new ThumbnailCache(QSize(kThumbnailSize, kThumbnailSize), 128, this);
    m_thumbnails->setObjectName(QStringLiteral("datasetThumbnails"));
    m_stack = new QStackedWidget(this);
    m_stack->addWidget(buildEmptyState());
    m_stack->addWidget(buildProjectView());
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_stack);

    connect(controller, &StudioController::projectChanged, this, &DatasetPage::onProjectChanged);
    connect(controller, &StudioController::busyChanged, this,
            [this](bool busy, const QString&) { m_applySplit->setEnabled(!busy && !m_project.dir.isEmpty()); });
    if (controller->hasProject()) onProjectChanged(controller->project());
}

QWidget* DatasetPage::buildEmptyState() {
    auto* w = new QWidget(this);
    w->setObjectName(QStringLiteral("datasetEmptyState"));
    auto* v = new QVBoxLayout(w);
    v->addStretch(2);
    auto* icon = new QLabel(w);
    icon->setPixmap(style()->standardIcon(QStyle::SP_DirOpenIcon).pixmap(64, 64));
    icon->setAlignment(Qt::AlignCenter);
    v->addWidget(icon);
    auto* heading = new QLabel(tr("<h2>Open a project or create one from a dataset folder</h2>"), w);
    heading->setAlignment(Qt::AlignCenter);
    v->addWidget(heading);
    auto* hint = new QLabel(tr("A dataset folder holds one sub-folder of images per class (ImageFolder layout). "
                               "A project keeps the trained concepts, the inversion pool and the synthetic images "
                               "made from it."),
                            w);
    hint->setWordWrap(true);
    hint->setAlignment(Qt::AlignCenter);
    hint->setMaximumWidth(560);
    auto* hintRow = new QHBoxLayout;
    hintRow->addStretch();
    hintRow->addWidget(hint);
    hintRow->addStretch();
    v->addLayout(hintRow);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    auto* newButton = new QPushButton(tr("&New project..."), w);
    newButton->setObjectName(QStringLiteral("emptyNewProject"));
    newButton->setToolTip(tr("Create a project from a dataset folder and a Stable Diffusion model folder (Ctrl+N)"));
    auto* openButton = new QPushButton(tr("&Open project..."), w);
    openButton->setObjectName(QStringLiteral("emptyOpenProject"));
    openButton->setToolTip(tr("Open an existing project folder (Ctrl+O)"));
    newButton->setDefault(true);
    buttons->addWidget(newButton);
    buttons->addWidget(openButton);
    buttons->addStretch();
    v->addLayout(buttons);

    // Recent projects, as the Project > Open recent menu lists them: one click opens.
    m_recentTitle = new QLabel(tr("<b>Recent projects</b>"), w);
    m_recentTitle->setAlignment(Qt::AlignCenter);
    v->addSpacing(12);
    v->addWidget(m_recentTitle);
    m_recent = new QListWidget(w);
    m_recent->setObjectName(QStringLiteral("welcomeRecent"));
    m_recent->setMaximumWidth(560);
    m_recent->setMaximumHeight(180);
    m_recent->setToolTip(tr("Click a project to open it"));
    auto* recentRow = new QHBoxLayout;
    recentRow->addStretch();
    recentRow->addWidget(m_recent, 1);
    recentRow->addStretch();
    v->addLayout(recentRow);
    m_recentTitle->setVisible(false);
    m_recent->setVisible(false);
    connect(m_recent, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        if (item->flags().testFlag(Qt::ItemIsEnabled)) Q_EMIT requestOpenRecent(item->data(Qt::UserRole).toString());
    });
    connect(m_recent, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        if (item->flags().testFlag(Qt::ItemIsEnabled)) Q_EMIT requestOpenRecent(item->data(Qt::UserRole).toString());
    });
    v->addStretch(3);
    connect(newButton, &QPushButton::clicked, this, &DatasetPage::requestNewProject);
    connect(openButton, &QPushButton::clicked, this, &DatasetPage::requestOpenProject);
    return w;
}

void DatasetPage::setRecentProjects(const QStringList& dirs) {
    m_recent->clear();
    for (const QString& dir : dirs) {
        const bool exists = QFileInfo(QDir(dir).filePath(QStringLiteral("project.json"))).isFile();
        const QString name = QFileInfo(dir).fileName();
        auto* item = new QListWidgetItem(
            exists ? tr("%1 — %2").arg(name, dir) : tr("%1 — %2 (not found)").arg(name, dir), m_recent);
        item->setData(Qt::UserRole, dir);
        item->setToolTip(exists ? dir : tr("%1: there is no project.json here any more").arg(dir));
        item->setIcon(style()->standardIcon(exists ? QStyle::SP_DirIcon : QStyle::SP_MessageBoxWarning));
        if (!exists) item->setFlags(item->flags() & ~Qt::ItemIsEnabled);
    }
    m_recentTitle->setVisible(!dirs.isEmpty());
    m_recent->setVisible(!dirs.isEmpty());
}

QWidget* DatasetPage::buildProjectView() {
    auto* w = new QWidget(this);
    auto* v = new QVBoxLayout(w);
    v->setContentsMargins(0, 0, 0, 0);

    m_header = new QLabel(w);
    m_header->setObjectName(QStringLiteral("datasetHeader"));
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Long dataset and model paths wrap, and are cut rather than widening the window (the tooltip has them).
    m_header->setWordWrap(true);
    m_header->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    v->addWidget(m_header);
    auto* infoRow = new QHBoxLayout;
    m_metaclass = new QLabel(w);
    m_metaclass->setObjectName(QStringLiteral("metaclassLabel"));
    m_metaclass->setToolTip(
        tr("The metaclass is the common kind of every class (e.g. \"bird\"). It ends the class "
           "prompt \"a photo of a <class tokens> <metaclass>\" and initialises the learned "
           "concept tokens."));
    m_summary = new QLabel(w);
    m_summary->setObjectName(QStringLiteral("datasetSummary"));
    m_summary->setWordWrap(true);
    infoRow->addWidget(m_metaclass);
    infoRow->addSpacing(24);
    infoRow->addWidget(m_summary, 1);
    v->addLayout(infoRow);

    m_warnings = new QListWidget(w);
    m_warnings->setObjectName(QStringLiteral("datasetWarnings"));
    m_warnings->setToolTip(
        tr("Problems found in the dataset folder: empty classes are left out; a class with a "
           "single image has no partner for circle interpolation and is paired with noise."));
    m_warnings->setMaximumHeight(72);
    v->addWidget(m_warnings);

    auto* splitter = new QSplitter(Qt::Horizontal, w);
    v->addWidget(splitter, 1);

    // Left: the classes and the subset. Right: the grid of the selected class.
    QWidget* left = buildClassPanel(splitter);
    QWidget* right = buildGridPanel(splitter);
    left->setMinimumWidth(340);  // the four columns of the class table stay readable
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);

    connect(m_classTable, &QTableWidget::currentCellChanged, this, [this](int row, int, int, int) { showClass(row); });
    connect(m_trainOnly, &QCheckBox::toggled, this, [this] { showClass(m_classTable->currentRow()); });
    connect(m_splitMethod, &QComboBox::currentIndexChanged, this, &DatasetPage::updateSplitControls);
    connect(m_applySplit, &QPushButton::clicked, this, &DatasetPage::applySplit);
    installLightbox(m_thumbnailView, lightboxFromRoles(Qt::UserRole));
    updateSplitControls();
    return w;
}

// The class table above the few-shot / long-tail subset's settings.
QWidget* DatasetPage::buildClassPanel(QWidget* parent) {
    auto* left = new QWidget(parent);
    auto* lv = new QVBoxLayout(left);
    lv->setContentsMargins(0, 0, 0, 0);
    m_classTable = new QTableWidget(0, ColCount, left);
    m_classTable->setObjectName(QStringLiteral("classTable"));
    m_classTable->setHorizontalHeaderLabels({tr("Class"), tr("Images"), tr("Training"), tr("Note")});
    m_classTable->horizontalHeaderItem(ColTrain)->setToolTip(
        tr("Images of the class in the training subset: concepts are learned and inverted from these only"));
    m_classTable->horizontalHeader()->setSectionResizeMode(ColName, QHeaderView::Stretch);
    m_classTable->horizontalHeader()->setSectionResizeMode(ColNote, QHeaderView::ResizeToContents);
    m_classTable->verticalHeader()->setVisible(false);
    m_classTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_classTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_classTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    // QHeaderView's default indicator is descending: classes read A to Z.
    m_classTable->horizontalHeader()->setSortIndicator(ColName, Qt::AscendingOrder);
    m_classTable->setSortingEnabled(true);
    m_classTable->setAlternatingRowColors(true);
    lv->addWidget(m_classTable, 1);
    lv->addWidget(buildSubsetBox(left));
    return left;
}

QWidget* DatasetPage::buildSubsetBox(QWidget* parent) {
    auto* subset = new QGroupBox(tr("Few-shot / long-tail subset"), parent);
    subset->setToolTip(
        tr("The training images Diff-II uses: all of them, K per class (few-shot), or an imbalanced "
           "long-tail subset. Changing it makes trained concepts and the inversion pool stale."));
    auto* form = new QFormLayout(subset);
    m_splitMethod = new QComboBox(subset);
    m_splitMethod->setObjectName(QStringLiteral("splitMethod"));
    m_splitMethod->addItem(tr("All images"), QStringLiteral("all"));
    m_splitMethod->addItem(tr("K-shot"), QStringLiteral("k-shot"));
    m_splitMethod->addItem(tr("Long-tail"), QStringLiteral("long-tail"));
    form->addRow(tr("&Method"), m_splitMethod);
    m_k = new QSpinBox(subset);
    m_k->setObjectName(QStringLiteral("splitK"));
    m_k->setRange(1, 10000);
    m_k->setValue(5);
    m_k->setToolTip(tr("Training images per class (classes with fewer keep all of theirs)"));
    form->addRow(tr("&K per class"), m_k);
    m_imbalance = new QDoubleSpinBox(subset);
    m_imbalance->setObjectName(QStringLiteral("splitImbalance"));
    m_imbalance->setRange(1.0, 1000.0);
    m_imbalance->setDecimals(1);
    m_imbalance->setValue(100.0);
    m_imbalance->setToolTip(
        tr("Ratio of the largest to the smallest class: the per-class counts decay "
           "exponentially from \"max per class\" down to max / factor"));
    form->addRow(tr("&Imbalance factor"), m_imbalance);
    m_maxPerClass = new QSpinBox(subset);
    m_maxPerClass->setObjectName(QStringLiteral("splitMaxPerClass"));
    m_maxPerClass->setRange(1, 100000);
    m_maxPerClass->setValue(30);
    m_maxPerClass->setToolTip(tr("Training images of the head (largest) class"));
    form->addRow(tr("Max &per class"), m_maxPerClass);
    m_splitSeed = new QSpinBox(subset);
    m_splitSeed->setObjectName(QStringLiteral("splitSeed"));
    m_splitSeed->setRange(0, 1 << 30);
    m_splitSeed->setToolTip(tr("Which images are drawn; the same seed gives the same subset"));
    form->addRow(tr("S&eed"), m_splitSeed);
    m_applySplit = new QPushButton(tr("&Apply subset"), subset);
    m_applySplit->setObjectName(QStringLiteral("applySplit"));
    m_applySplit->setToolTip(tr("Save the subset as split.json in the project"));
    form->addRow(m_applySplit);
    return subset;
}

// The selected class's images as a thumbnail grid, with its title and the training-only filter.
QWidget* DatasetPage::buildGridPanel(QWidget* parent) {
    auto* right = new QWidget(parent);
    auto* rv = new QVBoxLayout(right);
    rv->setContentsMargins(0, 0, 0, 0);
    // The title above the check box: beside it, a narrow panel wrapped the title onto three lines.
    auto* gridBar = new QVBoxLayout;
    gridBar->setSpacing(2);
    m_gridTitle = new QLabel(right);
    m_gridTitle->setObjectName(QStringLiteral("gridTitle"));
    m_gridTitle->setWordWrap(true);
    m_trainOnly = new QCheckBox(tr("&Training images only"), right);
    m_trainOnly->setObjectName(QStringLiteral("trainOnly"));
    m_trainOnly->setToolTip(tr("Hide the images the subset leaves out (shown greyed otherwise)"));
    gridBar->addWidget(m_gridTitle);
    gridBar->addWidget(m_trainOnly);
    rv->addLayout(gridBar);
    m_thumbnailModel = new ThumbnailModel(m_thumbnails, this);
    m_thumbnailView = new QListView(right);
    m_thumbnailView->setObjectName(QStringLiteral("thumbnailView"));
    m_thumbnailView->setViewMode(QListView::IconMode);
    m_thumbnailView->setIconSize(QSize(kThumbnailSize, kThumbnailSize));
    m_thumbnailView->setGridSize(QSize(kThumbnailSize + 24, kThumbnailSize + 36));
    // Equal item sizes let the view lay out thousands of items without asking each for its size (and so without
    // requesting thumbnails that are not on screen).
    m_thumbnailView->setUniformItemSizes(true);
    m_thumbnailView->setResizeMode(QListView::Adjust);
    m_thumbnailView->setMovement(QListView::Static);
    m_thumbnailView->setLayoutMode(QListView::Batched);
    m_thumbnailView->setBatchSize(200);
    m_thumbnailView->setWordWrap(false);
    m_thumbnailView->setTextElideMode(Qt::ElideMiddle);
    m_thumbnailView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_thumbnailView->setModel(m_thumbnailModel);
    // Two columns of smaller thumbnails rather than one of large ones when the window is narrow.
    m_thumbnailView->setItemDelegate(new FitIconDelegate(m_thumbnailView));
    fitIconGrid(m_thumbnailView, kThumbnailMinSize, kThumbnailSize, QSize(24, 36));
    rv->addWidget(m_thumbnailView, 1);
    return right;
}

void DatasetPage::onProjectChanged(const ProjectInfo& info) {
    const bool sameDataset = info.dir == m_project.dir && info.classes.size() == m_project.classes.size();
    const QString currentClass =
        m_classTable->currentRow() >= 0 && m_classTable->item(m_classTable->currentRow(), ColName)
            ? m_classTable->item(m_classTable->currentRow(), ColName)->text()
            : QString();
    m_project = info;
    m_stack->setCurrentIndex(info.dir.isEmpty() ? 0 : 1);
    m_applySplit->setEnabled(!info.dir.isEmpty() && !controller()->busy());
    if (!sameDataset) m_thumbnails->clear();

    m_header->setText(
        tr("<b>%1</b> &nbsp; dataset <code>%2</code> &nbsp; model <code>%3</code>")
            .arg(info.name.toHtmlEscaped(), info.datasetDir.toHtmlEscaped(), info.modelDir.toHtmlEscaped()));
    m_header->setToolTip(tr("Project folder: %1").arg(info.dir));
    m_metaclass->setText(tr("Metaclass: <b>%1</b>").arg(info.metaclass.toHtmlEscaped()));
    qint64 images = 0, train = 0;
    for (const ClassInfo& c : info.classes) {
        images += c.images.size();
        train += c.trainImages.size();
    }
    m_summary->setText(tr("%n class(es), %1 images, %2 in the training subset", nullptr, int(info.classes.size()))
                           .arg(images)
                           .arg(train));

    m_warnings->clear();
    const QIcon warnIcon = style()->standardIcon(QStyle::SP_MessageBoxWarning);
    for (const QString& w : info.warnings) m_warnings->addItem(new QListWidgetItem(warnIcon, w));
    m_warnings->setVisible(!info.warnings.isEmpty());

    m_classTable->setSortingEnabled(false);
    m_classTable->clearContents();
    m_classTable->setRowCount(static_cast<int>(info.classes.size()));
    int selectRow = 0;
    for (int r = 0; r < info.classes.size(); ++r) {
        const ClassInfo& c = info.classes[r];
        auto* name = new QTableWidgetItem(c.name);
        name->setData(Qt::UserRole, r);  // index into m_project.classes, stable under sorting
        auto number = [](qint64 n) {
            auto* item = new QTableWidgetItem;
            item->setData(Qt::DisplayRole, n);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            return item;
        };
        m_classTable->setItem(r, ColName, name);
        m_classTable->setItem(r, ColImages, number(c.images.size()));
        m_classTable->setItem(r, ColTrain, number(c.trainImages.size()));
        auto* note = new QTableWidgetItem;
        if (c.images.size() == 1) {
            note->setIcon(warnIcon);
            note->setText(tr("one image"));
            note->setToolTip(
                tr("A single image has no partner for circle interpolation: Diff-II pairs its "
                   "inversion with Gaussian noise, so the synthetic images vary less"));
        } else if (c.trainImages.size() == 1) {
            note->setIcon(warnIcon);
            note->setText(tr("one training image"));
            note->setToolTip(tr("The subset keeps one image of this class: its inversion is paired with noise"));
        } else if (c.trainImages.isEmpty()) {
            note->setIcon(warnIcon);
            note->setText(tr("no training images"));
            note->setToolTip(tr("The subset leaves this class out: no concept is learned for it"));
        }
        m_classTable->setItem(r, ColNote, note);
        if (c.name == currentClass) selectRow = r;
    }
    m_classTable->setSortingEnabled(true);
    if (!info.classes.isEmpty()) {
        // Find the row again after sorting.
        for (int r = 0; r < m_classTable->rowCount(); ++r)
            if (m_classTable->item(r, ColName)->data(Qt::UserRole).toInt() == selectRow) {
                m_classTable->setCurrentCell(r, ColName);
                break;
            }
        showClass(m_classTable->currentRow());
    } else {
        showClass(-1);
    }
}

void DatasetPage::showClass(int row) {
    QList<ThumbnailModel::Item> items;
    QString title;
    if (row >= 0 && m_classTable->item(row, ColName)) {
        const int index = m_classTable->item(row, ColName)->data(Qt::UserRole).toInt();
        if (index >= 0 && index < m_project.classes.size()) {
            const ClassInfo& c = m_project.classes[index];
            const QSet<QString> train(c.trainImages.cbegin(), c.trainImages.cend());
            for (const QString& path : c.images) {
                const bool t = train.contains(path);
                if (m_trainOnly->isChecked() && !t) continue;
                items.append({path, t});
            }
            title = tr("<b>%1</b>: %2 of %3 images in the training subset")
                        .arg(c.name.toHtmlEscaped())
                        .arg(c.trainImages.size())
                        .arg(c.images.size());
        }
    }
    // The previous class's queued decodes are no longer on screen.
    m_thumbnails->cancelPending();
    m_thumbnailModel->setItems(items);
    m_gridTitle->setText(title);
}

void DatasetPage::updateSplitControls() {
    const QString method = m_splitMethod->currentData().toString();
    m_k->setEnabled(method == QLatin1String("k-shot"));
    m_imbalance->setEnabled(method == QLatin1String("long-tail"));
    m_maxPerClass->setEnabled(method == QLatin1String("long-tail"));
}

void DatasetPage::applySplit() {
    if (m_project.dir.isEmpty()) return;
    if (m_project.hasConcepts) {
        const auto answer = QMessageBox::question(
            this, tr("Change the training subset"),
            tr("The trained concepts and the inversion pool were made from the current subset and become stale. "
               "Change the subset?"));
        if (answer != QMessageBox::Yes) return;
    }
    const QString method = m_splitMethod->currentData().toString();
    const int k = m_k->value();
    const double factor = m_imbalance->value();
    const int maxPerClass = m_maxPerClass->value();
    const quint64 seed = static_cast<quint64>(m_splitSeed->value());
    controller()->post([=](EngineWorker* w) { w->setSplit(method, k, factor, maxPerClass, seed); });
}

void DatasetPage::retranslate() {
    // The header, the summary, the notes and the grid's title are made from templates: make them again.
    if (!m_project.dir.isEmpty()) onProjectChanged(m_project);
}

}  // namespace diffii::ui
