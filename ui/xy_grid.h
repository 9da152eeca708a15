// The X/Y grid (the A1111 habit) as plain data: two axes among α (in turns of the circle), s, suffix, seed and
// guidance, each with its values, over one pair of the Preview page; the engine worker renders it cell by cell
// (EngineWorker::renderGrid) and composeGrid() draws the labelled sheet that the dialog shows and exports.
#pragma once

#include <atomic>
#include <memory>

#include <QImage>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include "ui/studio_types.h"

namespace diffii::ui {

enum class GridAxisKind { Turn, Split, Suffix, Seed, Guidance };

struct GridAxis {
    GridAxisKind kind = GridAxisKind::Turn;
    QList<double> numbers;  // turns, s, seeds or guidance scales
    QStringList suffixes;   // kind Suffix ("" : none)

    int size() const { return static_cast<int>(kind == GridAxisKind::Suffix ? suffixes.size() : numbers.size()); }
    QString name() const;            // "α (turns)", "s", … (translated)
    QString valueText(int i) const;  // "0.25", "(none)", … (translated)
    QString cellLabel(int i) const;  // "α = 0.25 turn", "s = 0.50", …
};

struct GridRequest {
    qint64 id = 0;
    PreviewRequest base;  // the Preview page's pair and settings; the axes override parts of it
    double theta = 0.0;   // the pair's θ when known (≤ 0: learnt from the first image)
    GridAxis columns;     // X
    GridAxis rows;        // Y
    // Set when the dialog that asked goes away: a grid still queued behind another job then stops as it starts.
    std::shared_ptr<std::atomic<bool>> abandoned = std::make_shared<std::atomic<bool>>(false);
};

// Parses the values of a numeric axis: a list "0, 0.25, 0.5", a range with a count "0-1 [5]" (5 values from 0 to
// 1) or with a step "1-9 (+2)", or several of these separated by commas. Empty with *error set when the text is
// not understood or gives more than maxValues values.
QList<double> parseGridNumbers(const QString& text, QString* error, int maxValues = 64);

// Where composeGrid puts things: cells of cellSide pixels (the images scaled by a whole factor, nearest neighbour,
// so that tiny images stay sharp), after a header of `top` pixels and a left column of `left` pixels, `gap`
// pixels between cells. The sheet is left + cols·cellSide + (cols−1)·gap + margin wide.
struct GridGeometry {
    int cellSide = 0;
    int scale = 1;
    int left = 0, top = 0, gap = 4, margin = 8;
    int titleHeight = 0;  // of the wrapped title line(s), spacing included
    QSize sheetSize(int rows, int cols) const;
    QRect cellRect(int row, int col) const;
};
GridGeometry gridGeometry(QSize imageSize, const GridAxis& columns, const GridAxis& rows, const QString& title);

// The labelled sheet: a title line, the column values above, the row values at the left, the axis names in the
// corner; cells not computed yet (null images) are grey. cells[row][col]; imageSize is the cells' image size.
QImage composeGrid(const QList<QList<QImage>>& cells, QSize imageSize, const GridAxis& columns, const GridAxis& rows,
                   const QString& title);

}  // namespace diffii::ui

Q_DECLARE_METATYPE(diffii::ui::GridRequest)
