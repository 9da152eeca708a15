// Small widgets that let the pages fit a 1024×700 window (and grow gracefully on a large one): a scroll area for
// side and option panels that never needs a horizontal scroll bar, an image label that scales its picture down to
// the space it gets instead of forcing its size on the layout, and a flow layout that wraps a row of controls (a
// filter bar) onto more lines when the window is narrow.
#pragma once

#include <QLabel>
#include <QLayout>
#include <QList>
#include <QScrollArea>
#include <QStyledItemDelegate>

class QListView;

namespace diffii::ui {

// A vertical scroll area around a panel of controls (a form, the side panel of a page). It asks for the panel's
// minimum width plus the scroll bar, so the panel is never squeezed sideways (no horizontal scroll bar, no clipped
// field), and for a small height, so a short window scrolls the panel instead of growing. Its preferred width is
// that minimum too: beside a splitter's main view the panel stays compact, and the user can widen it.
class ScrollPanel : public QScrollArea {
    Q_OBJECT

public:
    explicit ScrollPanel(QWidget* content, QWidget* parent = nullptr);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    int chromeWidth() const;  // frame and vertical scroll bar
};

// A QLabel for a picture that scales the pixmap it holds to its own size, aspect ratio kept: down when the layout
// gives it less room than the pixmap, up (smoothly) when a large window gives it more. sizeHint() is the preferred
// side given to the constructor; minimumSizeHint() is the small minimum side. Text (an empty state) draws as in
// QLabel. The full resolution is the lightbox's, not this label's.
class ImageLabel : public QLabel {
    Q_OBJECT

public:
    explicit ImageLabel(QWidget* parent = nullptr, int preferredSide = 128, int minimumSide = 64);

    void setPreferredSide(int side);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    bool hasHeightForWidth() const override { return false; }
    // Where the picture is drawn now (contents coordinates); empty without a pixmap.
    QRect imageRect() const;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    int m_preferredSide;
    int m_minimumSide;
};

// Lays its items out left to right and wraps onto the next line when the width runs out (the Qt "Flow Layout"
// example). Each item keeps its size hint; the layout's minimum width is that of its widest item.
class FlowLayout : public QLayout {
public:
    explicit FlowLayout(QWidget* parent = nullptr, int hSpacing = -1, int vSpacing = -1);
    ~FlowLayout() override;

    void addItem(QLayoutItem* item) override;
    int count() const override { return static_cast<int>(m_items.size()); }
    QLayoutItem* itemAt(int index) const override { return m_items.value(index); }
    QLayoutItem* takeAt(int index) override;
    Qt::Orientations expandingDirections() const override { return {}; }
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override { return doLayout(QRect(0, 0, width, 0), true); }
    QSize minimumSize() const override;
    QSize sizeHint() const override;
    void setGeometry(const QRect& rect) override;

private:
    int doLayout(const QRect& rect, bool testOnly) const;
    int spacing(Qt::Orientation orientation) const;

    QList<QLayoutItem*> m_items;
    int m_hSpace;
    int m_vSpace;
};

// An item delegate that draws a QImage or QPixmap decoration no larger than the view's icon size (Qt's own delegate
// draws those at their own size), so that a grid can shrink its icons (fitIconGrid) without the models knowing.
class FitIconDelegate : public QStyledItemDelegate {
    Q_OBJECT

public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override;
};

// Makes an icon-mode view's icons follow its width: the largest side in [minSide, maxSide] that still gives
// minColumns columns, the grid cell being the side plus extra. A narrow window shows two columns of smaller
// thumbnails instead of one column of large ones. The view needs a FitIconDelegate (or a subclass).
void fitIconGrid(QListView* view, int minSide, int maxSide, QSize extra, int minColumns = 2);

// A label and its field kept together on one line of a FlowLayout (a filter bar's "Class: [combo]").
QWidget* labelledField(QLabel* label, QWidget* field, QWidget* parent);

}  // namespace diffii::ui
