// The great circle of Diff-II drawn flat: z1 at angle 0, z2 at angle −θ, −z1 and −z2 opposite them, the short arc
// between z1 and z2 (interpolation) highlighted and labelled, and the current point at angle αθ. The widget speaks in
// the slider's unit u ∈ [0, 1) (u = α/period, the fraction of the circle walked from z1), so that a drag on it and the
// α slider move the same quantity.
#pragma once

#include <QWidget>

class QSlider;

namespace diffii::ui {

class CircleWidget : public QWidget {
    Q_OBJECT

public:
    explicit CircleWidget(QWidget* parent = nullptr);

    // θ in radians (0: unknown or a one-image class; the circle is then drawn without z2).
    void setTheta(double theta);
    double theta() const { return m_theta; }
    void setPosition(double u);
    double position() const { return m_position; }

    QSize sizeHint() const override { return {180, 180}; }
    QSize minimumSizeHint() const override { return {120, 120}; }
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int w) const override { return w; }

Q_SIGNALS:
    void positionDragged(double u);   // while the mouse moves the point
    void positionReleased(double u);  // the mouse let go: time to compute a preview

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;

private:
    double positionAt(const QPointF& p) const;
    QPointF centre() const;
    double radius() const;

    double m_theta = 0.0;
    double m_position = 0.0;
    bool m_dragging = false;
};

// The scale under the α slider, in turns: z1 at 0 and 1, z2, −z1 and −z2 marked where they lie for θ, the
// interpolation arc (z2 … z1) as a green band labelled "interpolation", the rest "extrapolation" (abbreviated, then
// elided, when the scale is narrow; the tooltip names both). It lines up with the slider it is given (same width,
// same handle travel).
class TurnScale : public QWidget {
    Q_OBJECT

public:
    explicit TurnScale(QSlider* slider, QWidget* parent = nullptr);
    void setTheta(double theta);  // 0: unknown, only z1 and −z1 are marked
    double theta() const { return m_theta; }
    // The x coordinate of a position in turns, in this widget (the slider handle's centre there).
    double xOfTurn(double turn) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }
    // The regions' names as the last paint drew them ("" : not drawn).
    QString interpolationShown() const { return m_interpolationShown; }
    QString extrapolationShown() const { return m_extrapolationShown; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QSlider* m_slider;
    double m_theta = 0.0;
    QString m_interpolationShown;
    QString m_extrapolationShown;
};

}  // namespace diffii::ui
