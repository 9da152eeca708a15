#include "ui/lightbox.h"

#include <QAbstractItemView>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGraphicsPixmapItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QGraphicsView>
#include <QHBoxLayout>
#include <QImageReader>
#include <QKeyEvent>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QMouseEvent>
#include <QPointer>
#include <QSaveFile>
#include <QScreen>
#include <QStandardPaths>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace diffii::ui {
namespace {

constexpr double kMinZoom = 1.0 / 16;
constexpr double kMaxZoom = 64.0;
constexpr double kZoomStep = 1.25;
constexpr double kNearestFrom = 2.0;  // from this magnification on, pixels are drawn as squares

QString g_lastSaveDir;  // the folder of the last save, offered again (GUI thread only)

QToolButton* toolButton(QAction* action, QWidget* parent) {
    auto* b = new QToolButton(parent);
    b->setDefaultAction(action);
    b->setToolButtonStyle(Qt::ToolButtonTextOnly);
    return b;
}

// Saves or copies what provider() gives, for the context menus of labels and views.
void contextMenu(QWidget* parent, const QPoint& globalPos, const std::function<LightboxContent()>& provider) {
    QMenu menu(parent);
    QAction* view = menu.addAction(Lightbox::tr("View full size"));
    QAction* copy = menu.addAction(Lightbox::tr("Copy image"));
    QAction* save = menu.addAction(Lightbox::tr("Save image as…"));
    QAction* chosen = menu.exec(globalPos);
    if (!chosen) return;
    const LightboxContent content = provider();
    if (content.isNull()) return;
    if (chosen == view) {
        Lightbox::open(content, parent);
        return;
    }
    // Save and copy through a hidden lightbox: one implementation of both.
    Lightbox box(content, parent);
    if (chosen == copy) box.copyToClipboard();
    if (chosen == save) {
        const QString file = QFileDialog::getSaveFileName(
            parent, Lightbox::tr("Save image"),
            QDir(g_lastSaveDir.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::PicturesLocation)
                                         : g_lastSaveDir)
                .filePath(QFileInfo(content.main.path).completeBaseName().isEmpty()
                              ? QStringLiteral("image.png")
                              : QFileInfo(content.main.path).completeBaseName() + QStringLiteral(".png")),
            Lightbox::tr("PNG images (*.png)"));
        if (!file.isEmpty()) box.saveTo(file);
    }
}

class LabelLightboxFilter : public QObject {
public:
    LabelLightboxFilter(QWidget* widget, std::function<LightboxContent()> provider)
        : QObject(widget), m_widget(widget), m_provider(std::move(provider)) {}

    bool eventFilter(QObject* watched, QEvent* event) override {
        if (watched != m_widget) return false;
        if (event->type() == QEvent::MouseButtonDblClick &&
            static_cast<QMouseEvent*>(event)->button() == Qt::LeftButton) {
            const LightboxContent content = m_provider();
            if (content.isNull()) return false;
            Lightbox::open(content, m_widget);
            return true;
        }
        if (event->type() == QEvent::ContextMenu) {
            if (m_provider().isNull()) return false;
            contextMenu(m_widget, static_cast<QContextMenuEvent*>(event)->globalPos(), m_provider);
            return true;
        }
        return false;
    }

private:
    QWidget* m_widget;
    std::function<LightboxContent()> m_provider;
};

}  // namespace

QImage LightboxImage::resolved() const {
    if (!image.isNull() || path.isEmpty()) return image;
    QImageReader reader(path);
    reader.setAutoTransform(true);
    return reader.read();
}

Lightbox::Lightbox(const LightboxContent& content, QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("lightbox"));
    m_image = content.main.resolved();
    m_title = content.main.title;
    m_path = content.main.path;
    for (const auto& s : content.sources) {
        const QImage img = s.resolved();
        if (img.isNull()) continue;
        m_sources << s;
        m_sourceImages << img;
    }
    const QString name = (m_title.isEmpty() ? QFileInfo(m_path).fileName() : m_title).simplified();
    setWindowTitle(
        tr("%1 (%2×%3)").arg(name.isEmpty() ? tr("Image") : name).arg(m_image.width()).arg(m_image.height()));

    m_scene = new QGraphicsScene(this);
    m_view = new QGraphicsView(m_scene, this);
    m_view->setObjectName(QStringLiteral("lightboxView"));
    m_view->setDragMode(QGraphicsView::ScrollHandDrag);
    m_view->setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    m_view->setResizeAnchor(QGraphicsView::AnchorViewCenter);
    m_view->setBackgroundBrush(QColor(0x30, 0x30, 0x30));
    m_view->viewport()->installEventFilter(this);
    m_view->viewport()->setMouseTracking(true);

    auto* zoomIn = new QAction(tr("Zoom in (+)"), this);
    zoomIn->setShortcuts({QKeySequence(Qt::Key_Plus), QKeySequence(Qt::Key_Equal), QKeySequence::ZoomIn});
    connect(zoomIn, &QAction::triggered, this, &Lightbox::zoomIn);
    auto* zoomOut = new QAction(tr("Zoom out (−)"), this);
    zoomOut->setShortcuts({QKeySequence(Qt::Key_Minus), QKeySequence::ZoomOut});
    connect(zoomOut, &QAction::triggered, this, &Lightbox::zoomOut);
    auto* fit = new QAction(tr("Fit (0)"), this);
    fit->setShortcut(QKeySequence(Qt::Key_0));
    connect(fit, &QAction::triggered, this, &Lightbox::fitToWindow);
    auto* actual = new QAction(tr("1:1 (1)"), this);
    actual->setShortcut(QKeySequence(Qt::Key_1));
    connect(actual, &QAction::triggered, this, &Lightbox::actualSize);
    auto* copy = new QAction(tr("Copy"), this);
    copy->setShortcut(QKeySequence::Copy);
    copy->setToolTip(tr("Copy the image at full resolution to the clipboard (Ctrl+C)"));
    connect(copy, &QAction::triggered, this, &Lightbox::copyToClipboard);
    auto* save = new QAction(tr("Save…"), this);
    save->setShortcut(QKeySequence::Save);
    save->setToolTip(tr("Save the image at full resolution as PNG (Ctrl+S)"));
    connect(save, &QAction::triggered, this, &Lightbox::save);
    for (QAction* a : {zoomIn, zoomOut, fit, actual, copy, save}) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(a);
    }

    auto* bar = new QHBoxLayout();
    for (QAction* a : {zoomOut, zoomIn, fit, actual}) bar->addWidget(toolButton(a, this));
    m_zoomLabel = new QLabel(this);
    m_zoomLabel->setObjectName(QStringLiteral("lightboxZoom"));
    m_zoomLabel->setMinimumWidth(m_zoomLabel->fontMetrics().horizontalAdvance(QStringLiteral("6400 %")) + 8);
    bar->addWidget(m_zoomLabel);
    m_sourcesBox = new QCheckBox(tr("Sources side by side (S)"), this);
    m_sourcesBox->setObjectName(QStringLiteral("lightboxSources"));
    m_sourcesBox->setToolTip(tr("Show the images this one was made from beside it, scaled to its height"));
    m_sourcesBox->setVisible(!m_sources.isEmpty());
    m_sourcesBox->setChecked(!m_sources.isEmpty());
    connect(m_sourcesBox, &QCheckBox::toggled, this, &Lightbox::setShowSources);
    bar->addWidget(m_sourcesBox);
    bar->addStretch(1);
    auto* pixel = new QLabel(this);
    pixel->setObjectName(QStringLiteral("lightboxPixel"));
    bar->addWidget(pixel);
    bar->addWidget(toolButton(copy, this));
    bar->addWidget(toolButton(save, this));

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
    if (!m_title.isEmpty()) {
        auto* caption = new QLabel(m_title, this);
        caption->setObjectName(QStringLiteral("lightboxCaption"));
        caption->setWordWrap(true);
        caption->setTextInteractionFlags(Qt::TextSelectableByMouse);
        layout->addWidget(caption);
    }

    buildScene();
    setShowSources(m_sourcesBox->isChecked());
    QSize size(960, 720);
    if (const QScreen* screen = parent ? parent->screen() : QGuiApplication::primaryScreen())
        size = size.boundedTo(screen->availableSize() * 0.9);
    resize(size);
}

Lightbox* Lightbox::open(const LightboxContent& content, QWidget* parent) {
    if (content.isNull()) return nullptr;
    auto* box = new Lightbox(content, parent ? parent->window() : nullptr);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->show();
    box->raise();
    box->activateWindow();
    return box;
}

void Lightbox::buildScene() {
    const QFont font = this->font();
    auto caption = [&](const QString& text, qreal x, qreal y) {
        auto* t = m_scene->addSimpleText(text, font);
        t->setBrush(Qt::white);
        t->setFlag(QGraphicsItem::ItemIgnoresTransformations);  // readable at any zoom
        t->setPos(x, y);
        return t;
    };
    auto* main = m_scene->addPixmap(QPixmap::fromImage(m_image));
    m_items << main;
    const qreal h = std::max(1, m_image.height());
    const qreal gap = std::max<qreal>(2.0, h / 16);
    qreal x = m_image.width() + gap;
    for (int i = 0; i < m_sourceImages.size(); ++i) {
        const QImage& img = m_sourceImages[i];
        auto* item = m_scene->addPixmap(QPixmap::fromImage(img));
        item->setScale(h / std::max(1, img.height()));
        item->setPos(x, 0);
        m_items << item;
        m_sourceItems << item;
        if (!m_sources[i].title.isEmpty()) m_sourceItems << caption(m_sources[i].title, x, h);
        x += img.width() * item->scale() + gap;
    }
    if (!m_sourceItems.isEmpty()) m_sourceItems << caption(tr("this image"), 0, h);
}

bool Lightbox::showsSources() const { return m_sourcesBox->isChecked() && !m_sources.isEmpty(); }

bool Lightbox::smoothScaling() const { return m_zoom < kNearestFrom; }

void Lightbox::setShowSources(bool show) {
    show = show && !m_sources.isEmpty();
    if (m_sourcesBox->isChecked() != show) {
        const QSignalBlocker block(m_sourcesBox);
        m_sourcesBox->setChecked(show);
    }
    for (QGraphicsItem* item : std::as_const(m_sourceItems)) item->setVisible(show);
    // The scene is what can be scrolled to: the visible items only.
    QRectF rect = m_items.first()->sceneBoundingRect();
    if (show)
        for (QGraphicsPixmapItem* item : std::as_const(m_items)) rect |= item->sceneBoundingRect();
    m_scene->setSceneRect(rect);
    if (m_fitted) fitToWindow();
}

void Lightbox::setZoom(double zoom) {
    m_zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    applyZoom();
}

void Lightbox::applyZoom() {
    m_view->setTransform(QTransform::fromScale(m_zoom, m_zoom));
    for (QGraphicsPixmapItem* item : std::as_const(m_items))
        item->setTransformationMode(m_zoom * item->scale() >= kNearestFrom ? Qt::FastTransformation
                                                                           : Qt::SmoothTransformation);
    m_view->setRenderHint(QPainter::SmoothPixmapTransform, smoothScaling());
    m_zoomLabel->setText(QStringLiteral("%1 %").arg(std::lround(m_zoom * 100)));
}

void Lightbox::zoomIn() {
    m_fitted = false;
    setZoom(m_zoom * kZoomStep);
}

void Lightbox::zoomOut() {
    m_fitted = false;
    setZoom(m_zoom / kZoomStep);
}

void Lightbox::actualSize() {
    m_fitted = false;
    setZoom(1.0);
}

void Lightbox::fitToWindow() {
    m_fitted = true;
    const QRectF rect = m_scene->sceneRect();
    const QSize space = m_view->viewport()->size() - QSize(8, 8);
    if (rect.isEmpty() || space.isEmpty()) return;
    setZoom(std::min(space.width() / rect.width(), space.height() / rect.height()));
    m_view->centerOn(rect.center());
}

bool Lightbox::saveTo(const QString& file) {
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly) || !m_image.save(&out, "PNG") || !out.commit()) {
        QMessageBox::warning(this, tr("Save image"),
                             tr("%1 could not be written: %2").arg(QDir::toNativeSeparators(file), out.errorString()));
        return false;
    }
    g_lastSaveDir = QFileInfo(file).absolutePath();
    return true;
}

void Lightbox::save() {
    QString base = QFileInfo(m_path).completeBaseName();
    if (base.isEmpty()) base = QStringLiteral("image");
    const QString dir =
        g_lastSaveDir.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::PicturesLocation) : g_lastSaveDir;
    const QString file = QFileDialog::getSaveFileName(
        this, tr("Save image"), QDir(dir).filePath(base + QStringLiteral(".png")), tr("PNG images (*.png)"));
    if (!file.isEmpty()) saveTo(file);
}

void Lightbox::copyToClipboard() { QGuiApplication::clipboard()->setImage(m_image); }

bool Lightbox::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_view->viewport()) {
        if (event->type() == QEvent::Wheel) {
            const auto* wheel = static_cast<QWheelEvent*>(event);
            const int delta = wheel->angleDelta().y();
            if (delta != 0) {
                m_fitted = false;
                setZoom(m_zoom * std::pow(kZoomStep, delta / 120.0));
            }
            return true;
        }
        if (event->type() == QEvent::Resize && m_fitted) fitToWindow();
        if (event->type() == QEvent::MouseMove) {
            // The pixel under the cursor: where it lies in the image and its value.
            const QPointF p = m_view->mapToScene(static_cast<QMouseEvent*>(event)->position().toPoint());
            const QPoint px(static_cast<int>(std::floor(p.x())), static_cast<int>(std::floor(p.y())));
            auto* label = findChild<QLabel*>(QStringLiteral("lightboxPixel"));
            if (m_image.rect().contains(px)) {
                const QColor c = m_image.pixelColor(px);
                label->setText(
                    tr("x %1, y %2: RGB %3 %4 %5").arg(px.x()).arg(px.y()).arg(c.red()).arg(c.green()).arg(c.blue()));
            } else {
                label->clear();
            }
        }
    }
    return QDialog::eventFilter(watched, event);
}

void Lightbox::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_S && event->modifiers() == Qt::NoModifier && !m_sources.isEmpty()) {
        setShowSources(!showsSources());
        return;
    }
    QDialog::keyPressEvent(event);
}

void Lightbox::showEvent(QShowEvent* event) {
    QDialog::showEvent(event);
    if (m_fitted) fitToWindow();
}

void installLightbox(QWidget* widget, std::function<LightboxContent()> provider) {
    widget->installEventFilter(new LabelLightboxFilter(widget, std::move(provider)));
    const QString hint = Lightbox::tr("Double-click to view at full size (zoom, save, copy)");
    widget->setToolTip(widget->toolTip().isEmpty() ? hint : widget->toolTip() + QLatin1Char('\n') + hint);
}

void installLightbox(QAbstractItemView* view, std::function<LightboxContent(const QModelIndex&)> provider) {
    QObject::connect(view, &QAbstractItemView::doubleClicked, view, [view, provider](const QModelIndex& index) {
        if (index.isValid()) Lightbox::open(provider(index), view);
    });
    view->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(view, &QWidget::customContextMenuRequested, view, [view, provider](const QPoint& pos) {
        const QPersistentModelIndex index = view->indexAt(pos);
        if (!index.isValid()) return;
        contextMenu(view, view->viewport()->mapToGlobal(pos),
                    [provider, index] { return index.isValid() ? provider(index) : LightboxContent(); });
    });
}

std::function<LightboxContent(const QModelIndex&)> lightboxFromRoles(int pathRole) {
    return [pathRole](const QModelIndex& index) {
        LightboxContent c;
        c.main.image = index.data(kLightboxImageRole).value<QImage>();
        c.main.path = index.data(pathRole).toString();
        c.main.title = index.data(Qt::DisplayRole).toString();
        return c;
    };
}

}  // namespace diffii::ui
