#include "ui/xy_grid.h"

#include <QApplication>
#include <QCoreApplication>
#include <QFontMetrics>
#include <QPainter>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

#include "ui/grid_dialog.h"

namespace diffii::ui {
namespace {

constexpr int kMinCellSide = 128;  // tiny images are enlarged to at least this (whole factors)
constexpr int kLabelPixels = 13;

QFont labelFont(bool bold = false) {
    QFont f = QApplication::font();
    f.setPixelSize(kLabelPixels);
    f.setBold(bold);
    return f;
}

QString number(double v) { return QString::number(v, 'g', 6); }

// Where the title goes: the sheet's width less the margins, as many lines as it needs.
QRect titleRect(const GridGeometry& g, int cols, const QString& title) {
    const int width = g.sheetSize(1, cols).width() - 2 * g.margin;
    const QRect r = QFontMetrics(labelFont()).boundingRect(QRect(0, 0, width, 10000), Qt::TextWordWrap, title);
    return {g.margin, g.margin, width, r.height()};
}

}  // namespace

QString GridAxis::name() const {
    switch (kind) {
        case GridAxisKind::Turn:
            return GridDialog::tr("α (turns of the circle)");
        case GridAxisKind::Split:
            return GridDialog::tr("split ratio s");
        case GridAxisKind::Suffix:
            return GridDialog::tr("suffix");
        case GridAxisKind::Seed:
            return GridDialog::tr("seed");
        case GridAxisKind::Guidance:
            return GridDialog::tr("guidance");
    }
    return QString();
}

QString GridAxis::valueText(int i) const {
    if (i < 0 || i >= size()) return QString();
    if (kind == GridAxisKind::Suffix) return suffixes[i].isEmpty() ? GridDialog::tr("(none)") : suffixes[i];
    return number(numbers[i]);
}

QString GridAxis::cellLabel(int i) const {
    const QString v = valueText(i);
    switch (kind) {
        case GridAxisKind::Turn:
            return GridDialog::tr("α = %1 turn").arg(v);
        case GridAxisKind::Split:
            return GridDialog::tr("s = %1").arg(v);
        case GridAxisKind::Suffix:
            return v;
        case GridAxisKind::Seed:
            return GridDialog::tr("seed %1").arg(v);
        case GridAxisKind::Guidance:
            return GridDialog::tr("guidance %1").arg(v);
    }
    return v;
}

QList<double> parseGridNumbers(const QString& text, QString* error, int maxValues) {
    static const QRegularExpression number(QStringLiteral(R"(^\s*(-?\d+(?:\.\d*)?|-?\.\d+)\s*$)"));
    // "a-b [n]" (n values) or "a-b (+d)" (step d); a and b may be negative ("-1--0.5 [3]").
    static const QRegularExpression range(QStringLiteral(
        R"(^\s*(-?\d+(?:\.\d*)?|-?\.\d+)\s*-\s*(-?\d+(?:\.\d*)?|-?\.\d+)\s*(?:\[\s*(\d+)\s*\]|\(\s*\+?\s*(\d+(?:\.\d*)?|\.\d+)\s*\))\s*$)"));
    QList<double> values;
    auto fail = [&](const QString& message) {
        if (error) *error = message;
        return QList<double>();
    };
    const QStringList parts = text.split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString& part : parts) {
        if (part.trimmed().isEmpty()) continue;
        if (const auto m = number.match(part); m.hasMatch()) {
            values << m.captured(1).toDouble();
        } else if (const auto r = range.match(part); r.hasMatch()) {
            const double a = r.captured(1).toDouble(), b = r.captured(2).toDouble();
            if (!r.captured(3).isEmpty()) {
                const int n = r.captured(3).toInt();
                if (n < 1 || n > maxValues)
                    return fail(GridDialog::tr("%1: the count must be 1 to %2").arg(part.trimmed()).arg(maxValues));
                for (int i = 0; i < n; ++i) values << (n == 1 ? a : a + (b - a) * i / (n - 1));
            } else {
                const double step = r.captured(4).toDouble();
                if (!(step > 0)) return fail(GridDialog::tr("%1: the step must be positive").arg(part.trimmed()));
                const double dir = b >= a ? 1.0 : -1.0;
                for (int i = 0;; ++i) {
                    const double v = a + dir * step * i;
                    if (dir * (v - b) > 1e-9 * std::max(1.0, std::abs(b))) break;
                    values << v;
                    if (values.size() > maxValues) break;
                }
            }
        } else {
            return fail(
                GridDialog::tr("“%1” is neither a number nor a range such as 0-1 [5] or 1-9 (+2)").arg(part.trimmed()));
        }
        if (values.size() > maxValues) return fail(GridDialog::tr("more than %1 values").arg(maxValues));
    }
    if (values.isEmpty()) return fail(GridDialog::tr("no values"));
    if (error) error->clear();
    return values;
}

QSize GridGeometry::sheetSize(int rows, int cols) const {
    return {left + cols * cellSide + std::max(0, cols - 1) * gap + margin,
            top + rows * cellSide + std::max(0, rows - 1) * gap + margin};
}

QRect GridGeometry::cellRect(int row, int col) const {
    return {left + col * (cellSide + gap), top + row * (cellSide + gap), cellSide, cellSide};
}

GridGeometry gridGeometry(QSize imageSize, const GridAxis& columns, const GridAxis& rows, const QString& title) {
    GridGeometry g;
    const int side = std::max(1, std::max(imageSize.width(), imageSize.height()));
    g.scale = std::max(1, (kMinCellSide + side - 1) / side);
    g.cellSide = side * g.scale;
    const QFontMetrics fm(labelFont()), bold(labelFont(true));
    int labelWidth = bold.horizontalAdvance(rows.name() + QStringLiteral(" ↓"));
    for (int i = 0; i < rows.size(); ++i) labelWidth = std::max(labelWidth, fm.horizontalAdvance(rows.cellLabel(i)));
    g.left = g.margin + std::min(labelWidth, 2 * g.cellSide) + g.gap * 2;
    const int line = fm.height();
    // The title, wrapped to the sheet's width; the column axis's name; the column values.
    g.titleHeight = title.isEmpty() ? 0 : titleRect(g, columns.size(), title).height() + 4;
    g.top = g.margin + g.titleHeight + line + 2 + line + g.gap * 2;
    return g;
}

QImage composeGrid(const QList<QList<QImage>>& cells, QSize imageSize, const GridAxis& columns, const GridAxis& rows,
                   const QString& title) {
    const GridGeometry g = gridGeometry(imageSize, columns, rows, title);
    const int nr = rows.size(), nc = columns.size();
    QImage sheet(g.sheetSize(nr, nc), QImage::Format_RGB32);
    sheet.fill(Qt::white);
    QPainter p(&sheet);
    p.setRenderHint(QPainter::TextAntialiasing);
    const QFont font = labelFont(), bold = labelFont(true);
    const QFontMetrics fm(font);
    const int line = fm.height();
    int y = g.margin;
    p.setPen(Qt::black);
    if (!title.isEmpty()) {
        p.setFont(font);
        p.drawText(titleRect(g, nc, title), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, title);
        y += g.titleHeight;
    }
    p.setFont(bold);
    p.drawText(QRect(g.left, y, sheet.width() - g.left - g.margin, line), Qt::AlignLeft | Qt::AlignVCenter,
               columns.name() + QStringLiteral(" →"));
    p.drawText(QRect(g.margin, y + line + 2, g.left - g.margin - g.gap, line), Qt::AlignLeft | Qt::AlignVCenter,
               rows.name() + QStringLiteral(" ↓"));
    y += line + 2;
    p.setFont(font);
    for (int c = 0; c < nc; ++c) {
        const QRect cell = g.cellRect(0, c);
        p.drawText(QRect(cell.left(), y, cell.width(), line), Qt::AlignCenter,
                   fm.elidedText(columns.cellLabel(c), Qt::ElideMiddle, cell.width()));
    }
    for (int r = 0; r < nr; ++r) {
        const QRect cell = g.cellRect(r, 0);
        const QRect label(g.margin, cell.top(), g.left - g.margin - g.gap, cell.height());
        p.drawText(label, Qt::AlignRight | Qt::AlignVCenter | Qt::TextWordWrap, rows.cellLabel(r));
        for (int c = 0; c < nc; ++c) {
            const QRect rect = g.cellRect(r, c);
            const QImage image = r < cells.size() && c < cells[r].size() ? cells[r][c] : QImage();
            if (image.isNull()) {
                p.fillRect(rect, QColor(0xd8, 0xd8, 0xd8));
                continue;
            }
            // Whole-factor enlargement without smoothing: each image pixel is a g.scale square.
            const QSize shown = image.size() * g.scale;
            const QRect target(rect.left() + (rect.width() - shown.width()) / 2,
                               rect.top() + (rect.height() - shown.height()) / 2, shown.width(), shown.height());
            p.setRenderHint(QPainter::SmoothPixmapTransform, false);
            p.drawImage(target, image);
        }
    }
    p.end();
    return sheet;
}

}  // namespace diffii::ui
