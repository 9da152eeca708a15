// The great circle of Diff-II drawn flat: z1 at angle 0, z2 at angle −θ, the short arc between them (interpolation)
// highlighted, and the current point at angle αθ. The widget speaks in the slider's unit u ∈ [0, 1) (u = α/period,
// the fraction of the circle walked from z1), so that a drag on it and the α slider move the same quantity.
#pragma once

#include <QWidget>

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

}  // namespace diffii::ui
