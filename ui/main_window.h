#pragma once

#include <QMainWindow>

class QLabel;

namespace diffii::ui {

// The application's main window: one page per step of the Diff-II flow (dataset, concepts, inversion pool,
// preview, curate, export). The pages arrive with the engine; this is the frame they live in.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void restoreSettings();
    QLabel* m_statusJob = nullptr;
};

}  // namespace diffii::ui
