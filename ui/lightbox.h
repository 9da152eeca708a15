// The lightbox: any image of the studio at full resolution, zoomed with the wheel, +/−, fit and 1:1 (nearest
// neighbour from 200 % on, so single pixels of a 32 px sample are visible), panned by dragging, optionally side by
// side with its sources (a Diff-II image beside the two real images and their reconstructions, each scaled to the
// image's height), saved as PNG or copied. Pages reach it through installLightbox(): a double-click on a label or
// on an item of a view opens it with what the page's provider returns, so a page keeps its full-resolution QImage
// (or its path) and hands that over, never the scaled pixmap it shows.
#pragma once

#include <QDialog>
#include <QImage>
#include <QList>
#include <QString>

#include <functional>

class QAbstractItemView;
class QCheckBox;
class QGraphicsItem;
class QGraphicsPixmapItem;
class QGraphicsScene;
class QGraphicsView;
class QLabel;
class QModelIndex;

namespace diffii::ui {

// One image of the lightbox: its pixels (or, when image is null, the file it is read from) and its caption.
struct LightboxImage {
    QImage image;
    QString title;
    QString path;  // read when image is null; also the default name when saving

    QImage resolved() const;  // image, else the file at path read in full
};

struct LightboxContent {
    LightboxImage main;
    QList<LightboxImage> sources;  // shown beside main on demand (real images, reconstructions)
    bool isNull() const { return main.resolved().isNull(); }
};

// The data role under which a list item can carry its full-resolution QImage for installLightbox(view).
inline constexpr int kLightboxImageRole = Qt::UserRole + 0x4c42;

class Lightbox : public QDialog {
    Q_OBJECT

public:
    explicit Lightbox(const LightboxContent& content, QWidget* parent = nullptr);

    // Opens a non-modal lightbox over parent's window (deleted on close); nothing when content has no image.
    static Lightbox* open(const LightboxContent& content, QWidget* parent);

    const QImage& image() const { return m_image; }
    int sourceCount() const { return static_cast<int>(m_sources.size()); }
    double zoom() const { return m_zoom; }  // screen pixels per image pixel
    bool showsSources() const;
    bool smoothScaling() const;  // false from 200 %: nearest neighbour, pixels visible

    void setZoom(double zoom);  // clamped to [1/16, 64]
    void zoomIn();
    void zoomOut();
    void fitToWindow();
    void actualSize();  // 1:1
    void setShowSources(bool show);
    // Writes the image (full resolution, without the sources) as PNG; false with a message box when it cannot.
    bool saveTo(const QString& file);
    void copyToClipboard();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void buildScene();
    void applyZoom();
    void save();

    QImage m_image;
    QString m_title;
    QString m_path;
    QList<LightboxImage> m_sources;
    QList<QImage> m_sourceImages;
    double m_zoom = 1.0;
    bool m_fitted = true;  // the zoom follows the window's size until the user zooms

    QGraphicsScene* m_scene = nullptr;
    QGraphicsView* m_view = nullptr;
    QList<QGraphicsPixmapItem*> m_items;
    QList<QGraphicsItem*> m_sourceItems;
    QLabel* m_zoomLabel = nullptr;
    QCheckBox* m_sourcesBox = nullptr;
};

// A double-click on widget (a QLabel showing an image) opens the lightbox with provider(); nothing happens when it
// returns no image. Its context menu offers the same (View full size), Save image as… and Copy image; the
// widget's tooltip says so.
void installLightbox(QWidget* widget, std::function<LightboxContent()> provider);
// The same for the items of view: a double-click on an item, or its context menu, with provider(index).
void installLightbox(QAbstractItemView* view, std::function<LightboxContent(const QModelIndex&)> provider);
// The usual provider of a view: the QImage under kLightboxImageRole, else the file named by pathRole.
std::function<LightboxContent(const QModelIndex&)> lightboxFromRoles(int pathRole = Qt::UserRole);

}  // namespace diffii::ui
