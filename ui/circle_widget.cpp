#include "ui/circle_widget.h"

#include "core/diffii/circle_math.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <cmath>

namespace diffii::ui {
namespace {
constexpr double kRadToDeg = 57.295779513082320876798154814105;

// Screen y grows downwards: a mathematical (counter-clockwise) angle φ sits at (cx + r cos φ, cy − r sin φ).
QPointF onCircle(const QPointF& c, double r, double angle) {
    return {c.x() + r * std::cos(angle), c.y() - r * std::sin(angle)};
}
}  // namespace

CircleWidget::CircleWidget(QWidget* parent) : QWidget(parent) {
    setMouseTracking(false);
    setCursor(Qt::PointingHandCursor);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
}

void CircleWidget::setTheta(double theta) {
    if (theta == m_theta) return;
    m_theta = theta;
    update();
}

void CircleWidget::setPosition(double u) {
    u -= std::floor(u);
    if (u == m_position) return;
    m_position = u;
    update();
}

QPointF CircleWidget::centre() const { return QRectF(rect()).center(); }

double CircleWidget::radius() const { return std::max(10.0, std::min(width(), height()) / 2.0 - 22.0); }

double CircleWidget::positionAt(const QPointF& p) const {
    const QPointF d = p - centre();
    double angle = std::atan2(-d.y(), d.x());  // the point walks counter-clockwise from z1 as α grows
    if (angle < 0) angle += diffii::kTwoPi;
    const double u = angle / diffii::kTwoPi;
    return u >= 1.0 ? 0.0 : u;
}

void CircleWidget::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPointF c = centre();
    const double r = radius();
    const QRectF box(c.x() - r, c.y() - r, 2 * r, 2 * r);
    const QPalette pal = palette();

    p.setPen(QPen(isEnabled() ? pal.color(QPalette::Mid) : pal.color(QPalette::Disabled, QPalette::Mid), 2));
    p.setBrush(Qt::NoBrush);
    p.drawEllipse(box);

    const bool haveTheta = m_theta > 0.0;
    if (haveTheta) {
        // QPainter arcs: 1/16 degree, counter-clockwise positive, from 3 o'clock: z1 at 0, z2 at −θ.
        p.setPen(QPen(QColor(46, 160, 67), 5, Qt::SolidLine, Qt::RoundCap));
        p.drawArc(box, 0, -static_cast<int>(std::lround(m_theta * kRadToDeg * 16)));
    }

    auto marker = [&](const QPointF& at, const QColor& colour, const QString& label, double angle) {
        p.setPen(QPen(Qt::black, 1));
        p.setBrush(colour);
        p.drawEllipse(at, 5, 5);
        if (label.isEmpty()) return;
        p.setPen(pal.color(QPalette::WindowText));
        const QPointF text = onCircle(c, r + 13, angle);
        p.drawText(QRectF(text.x() - 14, text.y() - 9, 28, 18), Qt::AlignCenter, label);
    };
    marker(onCircle(c, r, 0.0), QColor(30, 100, 220), QStringLiteral("z1"), 0.0);
    if (haveTheta) marker(onCircle(c, r, -m_theta), QColor(220, 120, 30), QStringLiteral("z2"), -m_theta);

    // The current point: angle αθ = 2π·u whatever θ is, which is why the slider is in u.
    const double angle = diffii::kTwoPi * m_position;
    const QPointF point = onCircle(c, r, angle);
    p.setPen(QPen(pal.color(QPalette::Highlight), 1.5, Qt::DashLine));
    p.drawLine(c, point);
    p.setPen(QPen(Qt::black, 1.5));
    p.setBrush(isEnabled() ? pal.color(QPalette::Highlight) : pal.color(QPalette::Disabled, QPalette::Highlight));
    p.drawEllipse(point, 7, 7);
}

void CircleWidget::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return QWidget::mousePressEvent(event);
    m_dragging = true;
    setPosition(positionAt(event->position()));
    Q_EMIT positionDragged(m_position);
}

void CircleWidget::mouseMoveEvent(QMouseEvent* event) {
    if (!m_dragging) return QWidget::mouseMoveEvent(event);
    setPosition(positionAt(event->position()));
    Q_EMIT positionDragged(m_position);
}

void CircleWidget::mouseReleaseEvent(QMouseEvent* event) {
    if (!m_dragging || event->button() != Qt::LeftButton) return QWidget::mouseReleaseEvent(event);
    m_dragging = false;
    setPosition(positionAt(event->position()));
    Q_EMIT positionReleased(m_position);
}

}  // namespace diffii::ui
