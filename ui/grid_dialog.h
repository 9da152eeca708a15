// The X/Y grid dialog, opened from the Preview page: two axes among α (turns of the circle), s, suffix, seed and
// guidance with their values, over the page's current pair and settings; the cells appear as the engine renders
// them (a background job with progress and cancel), the labelled sheet is exported as one PNG. The GUI
// counterpart of `diffii contact-sheet`.
#pragma once

#include <QDialog>
#include <QImage>
#include <QList>

#include "ui/xy_grid.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace diffii::ui {

class StudioController;

class GridDialog : public QDialog {
    Q_OBJECT

public:
    // base: the pair and settings of the Preview page; theta: the pair's θ when known (≤ 0: not yet);
    // suffixes: the project's (the suffix axis's default values); pairText: the pair, for the sheet's title.
    GridDialog(StudioController* controller, const PreviewRequest& base, double theta, const QStringList& suffixes,
               const QString& pairText, QWidget* parent = nullptr);

    // The axes as the fields give them; empty with *error set when the values are not understood.
    bool readAxes(GridAxis* columns, GridAxis* rows, QString* error) const;
    void setAxis(bool columns, GridAxisKind kind, const QString& values);

    // Starts rendering (what the Render button does); false when the fields are wrong or a grid is running.
    bool render();
    bool running() const { return m_running; }
    int cellsReceived() const { return m_received; }
    QImage sheet() const;  // the labelled sheet as it stands (grey cells not computed yet)
    QImage cell(int row, int column) const;
    QString title() const { return m_title; }  // the sheet's title line: the pair and its settings
    bool exportTo(const QString& file);        // the sheet as PNG

Q_SIGNALS:
    void cellArrived(int row, int column);
    void gridFinished(bool complete);

protected:
    void hideEvent(QHideEvent* event) override;  // a grid still running is cancelled

private:
    QWidget* buildAxisRow(bool columns);
    void onCell(qint64 id, int row, int column, const QImage& image, double alpha);
    void onJobEnded(const QString& job, bool complete, const QString& message);
    void updateSheet();
    void stopGrid();
    void exportDialog();
    QString defaultValues(GridAxisKind kind) const;

    StudioController* m_controller;
    PreviewRequest m_base;
    double m_theta = 0.0;
    QStringList m_suffixes;
    QString m_title;

    QComboBox* m_kind[2] = {nullptr, nullptr};  // 0: columns (X), 1: rows (Y)
    QLineEdit* m_values[2] = {nullptr, nullptr};
    QLabel* m_error = nullptr;
    QLabel* m_sheetLabel = nullptr;
    QLabel* m_status = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_render = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_export = nullptr;

    GridAxis m_columns, m_rows;  // of the grid shown
    QList<QList<QImage>> m_cells;
    QSize m_imageSize;
    qint64 m_id = 0;
    bool m_running = false;
    bool m_cancelPending = false;
    std::shared_ptr<std::atomic<bool>> m_abandoned;  // the running grid's flag (GridRequest::abandoned)
    int m_received = 0;
};

}  // namespace diffii::ui
