#include "ui/circle_widget.h"

#include "core/diffii/circle_math.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QSlider>
#include <QStyle>

#include <algorithm>
#include <cmath>

namespace diffii::ui {
namespace {
constexpr double kTwoPi = diffii::kTwoPi;
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
    double angle = std::atan2(-d.y(), d.x());  // the position walks counter-clockwise from z1 towards z2
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
        // QPainter arcs: 1/16 degree, counter-clockwise positive, from 3 o'clock: z1 at 0, z2 at +θ (the position
        // walks counter-clockwise from z1 towards z2; see diffii::circleLandmarks).
        p.setPen(QPen(QColor(46, 160, 67), 5, Qt::SolidLine, Qt::RoundCap));
        p.drawArc(box, 0, static_cast<int>(std::lround(m_theta * kRadToDeg * 16)));
    }

    auto marker = [&](const QPointF& at, const QColor& colour, const QString& label, double angle) {
        p.setPen(QPen(Qt::black, 1));
        p.setBrush(colour);
        p.drawEllipse(at, 5, 5);
        if (label.isEmpty()) return;
        p.setPen(pal.color(QPalette::WindowText));
        const QPointF text = onCircle(c, r + 13, angle);
        p.drawText(QRectF(text.x() - 16, text.y() - 9, 32, 18), Qt::AlignCenter, label);
    };
    // Opposite points first, hollow: the negated latents, where the image tends to invert.
    auto opposite = [&](double angle, const QString& label) {
        const QPointF at = onCircle(c, r, angle);
        p.setPen(QPen(pal.color(QPalette::WindowText), 1.2));
        p.setBrush(pal.color(QPalette::Base));
        p.drawEllipse(at, 4, 4);
        const QPointF text = onCircle(c, r + 13, angle);
        p.drawText(QRectF(text.x() - 16, text.y() - 9, 32, 18), Qt::AlignCenter, label);
    };
    opposite(kTwoPi / 2, QStringLiteral("−z1"));
    if (haveTheta) opposite(kTwoPi / 2 + m_theta, QStringLiteral("−z2"));
    marker(onCircle(c, r, 0.0), QColor(30, 100, 220), QStringLiteral("z1"), 0.0);
    if (haveTheta) marker(onCircle(c, r, m_theta), QColor(220, 120, 30), QStringLiteral("z2"), m_theta);

    // The two regions named inside the circle: the arc's middle for interpolation, the opposite side for the rest.
    if (haveTheta && r > 40) {
        QFont small = font();
        small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.85));
        p.setFont(small);
        const QPointF in = onCircle(c, r * 0.55, m_theta / 2);
        p.setPen(QColor(46, 140, 60));
        p.drawText(QRectF(in.x() - 50, in.y() - 9, 100, 18), Qt::AlignCenter, tr("interpolation"));
        const QPointF out = onCircle(c, r * 0.55, kTwoPi / 2 + m_theta / 2);
        p.setPen(QColor(192, 102, 30));
        p.drawText(QRectF(out.x() - 50, out.y() - 9, 100, 18), Qt::AlignCenter, tr("extrapolation"));
        p.setFont(font());
    }

    // The current point: at angle 2π·u from z1 whatever θ is (α = (1 − u)·2π/θ), which is why the slider is in u.
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

TurnScale::TurnScale(QSlider* slider, QWidget* parent) : QWidget(parent), m_slider(slider) {
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    setToolTip(tr("Green: the interpolation arc, from z1 to z2. Orange: extrapolation, the rest of the circle."));
}

void TurnScale::setTheta(double theta) {
    if (theta == m_theta) return;
    m_theta = theta;
    update();
}

QSize TurnScale::sizeHint() const { return {120, 2 * fontMetrics().height() + 8}; }

double TurnScale::xOfTurn(double turn) const {
    // The handle's centre travels from half a handle in from the left to half a handle in from the right.
    const int handle = m_slider->style()->pixelMetric(QStyle::PM_SliderLength, nullptr, m_slider);
    const double left = handle / 2.0, span = std::max(1.0, m_slider->width() - static_cast<double>(handle));
    return mapFromGlobal(m_slider->mapToGlobal(QPoint(0, 0))).x() + left + turn * span;
}

void TurnScale::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    const int lineH = fontMetrics().height();
    const double bandY = 2, bandH = 5;
    const auto marks = diffii::circleLandmarks(m_theta);
    const bool haveTheta = m_theta > 0.0;
    const double x0 = xOfTurn(0.0), x1 = xOfTurn(1.0);

    // The band: extrapolation in orange, the interpolation arc (z1 at 0 … z2) in green.
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(192, 102, 30, 110));
    p.drawRect(QRectF(x0, bandY, x1 - x0, bandH));
    if (haveTheta) {
        p.setBrush(QColor(46, 160, 67));
        p.drawRect(QRectF(x0, bandY, xOfTurn(marks.z2) - x0, bandH));
    }

    // The landmarks: a tick and a name each.
    struct Mark {
        double turn;
        QString name;
    };
    // In priority order: a name that would overlap one already drawn keeps only its tick (a small θ puts −z1 and
    // −z2, and z1 and z2, a few pixels apart).
    QList<Mark> list = {{0.0, QStringLiteral("z1")}, {1.0, QStringLiteral("z1")}};
    if (haveTheta) list.append(Mark{marks.z2, QStringLiteral("z2")});
    list.append(Mark{marks.minusZ1, QStringLiteral("−z1")});
    if (haveTheta) list.append(Mark{marks.minusZ2, QStringLiteral("−z2")});
    p.setPen(QPen(pal.color(QPalette::WindowText), 1));
    const double textY = bandY + bandH + 1;
    QList<QRectF> drawn;
    for (const auto& m : list) {
        const double x = xOfTurn(m.turn);
        p.drawLine(QPointF(x, bandY - 1), QPointF(x, textY + 2));
        const int w = fontMetrics().horizontalAdvance(m.name) + 2;
        const double left = std::clamp(x - w / 2.0, 0.0, std::max(0.0, width() - static_cast<double>(w)));
        const QRectF box(left, textY, w, lineH);
        if (std::any_of(drawn.begin(), drawn.end(), [&](const QRectF& r) { return r.intersects(box); })) continue;
        drawn << box;
        p.drawText(box, Qt::AlignCenter, m.name);
    }

    // The regions' names on the second line, where there is room.
    QFont small = font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.85));
    p.setFont(small);
    const QFontMetrics fm(small);
    const double nameY = textY + lineH;
    if (haveTheta) {
        // "interpolation" from the left end (under the arc, running on past it when the arc is short), then
        // "extrapolation" centred on the rest of the band, never over the first. A narrow scale takes the short
        // names, then elides the second: both regions are always named.
        const double a = xOfTurn(marks.z2);
        QString interp, extrap;
        double wi = 0, we = 0, from = 0;
        auto place = [&](const QString& i, const QString& e) {
            interp = i;
            extrap = e;
            wi = fm.horizontalAdvance(interp) + 2;
            we = fm.horizontalAdvance(extrap) + 2;
            from = std::max(a, x0 + wi + 4);
            return from + we <= width();
        };
        if (!place(tr("interpolation"), tr("extrapolation")) && !place(tr("interp."), tr("extrap."))) {
            extrap = fm.elidedText(extrap, Qt::ElideRight, std::max(0, static_cast<int>(width() - from) - 2));
            we = fm.horizontalAdvance(extrap) + 2;
        }
        p.setPen(QColor(46, 140, 60));
        p.drawText(QRectF(x0, nameY, wi, lineH), Qt::AlignLeft | Qt::AlignVCenter, interp);
        m_interpolationShown = interp;
        m_extrapolationShown.clear();
        const double left = from + std::max(0.0, (x1 - from - we) / 2);
        if (!extrap.isEmpty() && left + we <= width() + 1) {
            p.setPen(QColor(192, 102, 30));
            p.drawText(QRectF(left, nameY, we, lineH), Qt::AlignCenter, extrap);
            m_extrapolationShown = extrap;
        }
    } else {
        p.setPen(QColor(192, 102, 30));
        p.drawText(QRectF(x0, nameY, x1 - x0, lineH), Qt::AlignCenter, tr("θ unknown until the first preview"));
        m_interpolationShown.clear();
        m_extrapolationShown.clear();
    }
}

}  // namespace diffii::ui
