#include "ui/fit_widgets.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QListView>
#include <QPainter>
#include <QScrollBar>
#include <QStyle>
#include <QWidgetItem>

#include <algorithm>

namespace diffii::ui {

namespace {
constexpr int kPanelMinimumHeight = 120;

// Resizes the icons and grid cells of a list view in icon mode to its viewport's width (fitIconGrid).
class IconGridFitter : public QObject {
public:
    IconGridFitter(QListView* view, int minSide, int maxSide, QSize extra, int minColumns)
        : QObject(view), m_view(view), m_min(minSide), m_max(maxSide), m_extra(extra), m_columns(minColumns) {
        view->viewport()->installEventFilter(this);
        fit();
    }

    bool eventFilter(QObject* watched, QEvent* event) override {
        if (event->type() == QEvent::Resize) fit();
        return QObject::eventFilter(watched, event);
    }

private:
    void fit() {
        const int width = m_view->viewport()->width() - 2 * m_view->spacing() - 2;
        const int side = std::clamp(width / std::max(1, m_columns) - m_extra.width() - m_view->spacing(), m_min, m_max);
        if (m_view->iconSize() == QSize(side, side)) return;
        m_view->setIconSize(QSize(side, side));
        m_view->setGridSize(QSize(side, side) + m_extra);
    }

    QListView* m_view;
    int m_min, m_max;
    QSize m_extra;
    int m_columns;
};
}  // namespace

void FitIconDelegate::initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const {
    QStyledItemDelegate::initStyleOption(option, index);
    const auto* view = qobject_cast<const QAbstractItemView*>(option->widget);
    if (!view || !option->features.testFlag(QStyleOptionViewItem::HasDecoration)) return;
    const QSize limit = view->iconSize();
    if (limit.isValid() &&
        (option->decorationSize.width() > limit.width() || option->decorationSize.height() > limit.height()))
        option->decorationSize = option->decorationSize.scaled(limit, Qt::KeepAspectRatio);
}

void fitIconGrid(QListView* view, int minSide, int maxSide, QSize extra, int minColumns) {
    new IconGridFitter(view, minSide, maxSide, extra, minColumns);
}

ScrollPanel::ScrollPanel(QWidget* content, QWidget* parent) : QScrollArea(parent) {
    setWidgetResizable(true);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setFrameShape(QFrame::NoFrame);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Expanding);
    setWidget(content);
    // The panel's minimum width follows its content (a retranslated label, a refilled combo box).
    content->installEventFilter(this);
}

int ScrollPanel::chromeWidth() const { return 2 * frameWidth() + verticalScrollBar()->sizeHint().width() + 2; }

QSize ScrollPanel::minimumSizeHint() const {
    const QWidget* content = widget();
    const int w = content ? std::max(content->minimumSizeHint().width(), content->minimumWidth()) : 0;
    return {w + chromeWidth(), kPanelMinimumHeight};
}

QSize ScrollPanel::sizeHint() const {
    const QWidget* content = widget();
    if (!content) return QScrollArea::sizeHint();
    // A side panel prefers its minimum width (wrapped text, compact fields): the page's main view gets the rest.
    const QSize hint = content->sizeHint().expandedTo(content->minimumSizeHint());
    return {minimumSizeHint().width(), hint.height() + 2 * frameWidth()};
}

bool ScrollPanel::eventFilter(QObject* watched, QEvent* event) {
    if (watched == widget() && event->type() == QEvent::LayoutRequest) updateGeometry();
    return QScrollArea::eventFilter(watched, event);
}

ImageLabel::ImageLabel(QWidget* parent, int preferredSide, int minimumSide)
    : QLabel(parent), m_preferredSide(preferredSide), m_minimumSide(minimumSide) {
    setAlignment(Qt::AlignCenter);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
}

void ImageLabel::setPreferredSide(int side) {
    m_preferredSide = side;
    updateGeometry();
}

QSize ImageLabel::sizeHint() const {
    const int frame = 2 * frameWidth();
    return QSize(m_preferredSide, m_preferredSide) + QSize(frame, frame);
}

QSize ImageLabel::minimumSizeHint() const {
    const int frame = 2 * frameWidth();
    // Text (an empty state) wraps into the small box rather than widening it.
    return QSize(m_minimumSide, m_minimumSide) + QSize(frame, frame);
}

void ImageLabel::paintEvent(QPaintEvent* event) {
    const QPixmap pm = pixmap();
    if (pm.isNull()) {
        QLabel::paintEvent(event);
        return;
    }
    QPainter painter(this);
    drawFrame(&painter);
    const QRect target = imageRect();
    painter.setRenderHint(QPainter::SmoothPixmapTransform, target.size() != pm.size());
    painter.drawPixmap(target, pm);
}

QRect ImageLabel::imageRect() const {
    const QPixmap pm = pixmap();
    if (pm.isNull()) return {};
    const QRect area = contentsRect();
    const QSize shown = pm.size().scaled(area.size(), Qt::KeepAspectRatio);
    return QStyle::alignedRect(layoutDirection(), alignment(), shown, area);
}

FlowLayout::FlowLayout(QWidget* parent, int hSpacing, int vSpacing)
    : QLayout(parent), m_hSpace(hSpacing), m_vSpace(vSpacing) {}

FlowLayout::~FlowLayout() {
    while (QLayoutItem* item = takeAt(0)) delete item;
}

void FlowLayout::addItem(QLayoutItem* item) { m_items.append(item); }

QLayoutItem* FlowLayout::takeAt(int index) {
    if (index < 0 || index >= m_items.size()) return nullptr;
    invalidate();
    return m_items.takeAt(index);
}

QSize FlowLayout::minimumSize() const {
    QSize size;
    for (const QLayoutItem* item : m_items) size = size.expandedTo(item->minimumSize());
    const QMargins m = contentsMargins();
    return size + QSize(m.left() + m.right(), m.top() + m.bottom());
}

QSize FlowLayout::sizeHint() const {
    // One line: what the items ask for side by side.
    int width = 0, height = 0, visible = 0;
    for (const QLayoutItem* item : m_items) {
        if (item->isEmpty()) continue;
        width += item->sizeHint().width();
        height = std::max(height, item->sizeHint().height());
        ++visible;
    }
    width += std::max(0, visible - 1) * std::max(0, spacing(Qt::Horizontal));
    const QMargins m = contentsMargins();
    return {width + m.left() + m.right(), height + m.top() + m.bottom()};
}

void FlowLayout::setGeometry(const QRect& rect) {
    QLayout::setGeometry(rect);
    doLayout(rect, false);
}

int FlowLayout::spacing(Qt::Orientation orientation) const {
    const int set = orientation == Qt::Horizontal ? m_hSpace : m_vSpace;
    if (set >= 0) return set;
    const QObject* parent = this->parent();
    if (!parent) return -1;
    if (parent->isWidgetType()) {
        const auto* pw = static_cast<const QWidget*>(parent);
        return pw->style()->pixelMetric(
            orientation == Qt::Horizontal ? QStyle::PM_LayoutHorizontalSpacing : QStyle::PM_LayoutVerticalSpacing,
            nullptr, pw);
    }
    return static_cast<const QLayout*>(parent)->spacing();
}

int FlowLayout::doLayout(const QRect& rect, bool testOnly) const {
    const QMargins m = contentsMargins();
    const QRect area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom());
    int x = area.x(), y = area.y(), lineHeight = 0;
    const int hSpace = std::max(0, spacing(Qt::Horizontal));
    const int vSpace = std::max(0, spacing(Qt::Vertical));
    // Items of a line share its height and are centred in it (a label beside a taller combo box).
    QList<QPair<QLayoutItem*, QPoint>> line;
    auto flush = [&] {
        if (!testOnly)
            for (const auto& [item, at] : line) {
                const QSize size = item->sizeHint().boundedTo(QSize(area.width(), QWIDGETSIZE_MAX));
                item->setGeometry(QRect(QPoint(at.x(), at.y() + (lineHeight - size.height()) / 2), size));
            }
        line.clear();
    };
    for (QLayoutItem* item : m_items) {
        if (item->isEmpty()) continue;
        const QSize size = item->sizeHint().boundedTo(QSize(std::max(1, area.width()), QWIDGETSIZE_MAX));
        if (x > area.x() && x + size.width() > area.right() + 1) {
            flush();
            x = area.x();
            y += lineHeight + vSpace;
            lineHeight = 0;
        }
        line.append({item, QPoint(x, y)});
        x += size.width() + hSpace;
        lineHeight = std::max(lineHeight, size.height());
    }
    flush();
    return y + lineHeight - rect.y() + m.bottom();
}

QWidget* labelledField(QLabel* label, QWidget* field, QWidget* parent) {
    auto* box = new QWidget(parent);
    auto* row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    label->setParent(box);
    field->setParent(box);
    label->setBuddy(field);
    row->addWidget(label);
    row->addWidget(field);
    return box;
}

}  // namespace diffii::ui
