// Evaluation: does the augmentation help? Pick strategies, seeds, epochs and the expansion rate; the engine
// generates each strategy's set and trains classifiers (core/eval/evaluation.h, the same as `diffii evaluate`),
// into <project>/evaluation. Shows accuracy per strategy with ±std error bars, diversity against faithfulness,
// and the selected strategy's per-class accuracy and confusion matrix; the table (Markdown/CSV) and the plots
// (PNG) are saved beside the runs.
#pragma once

#include <QList>
#include <QMap>

#include "ui/studio_page.h"

class QCheckBox;
class QCustomPlot;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace diffii::ui {

class EvaluatePage : public StudioPage {
    Q_OBJECT

public:
    explicit EvaluatePage(StudioController* controller, QWidget* parent = nullptr);
    QString title() const override { return tr("Evaluate"); }

    EvaluationRequest request() const;  // the form
    void run();
    void savePlots();  // accuracy.png, diversity_faithfulness.png, confusion.png in the output folder

private:
    QWidget* buildControls();
    QWidget* buildResults();
    void connectWorker();
    void showResults(const QList<diffii::ui::EvaluationRow>& rows, const QStringList& classNames,
                     const QString& outDir);
    void showStrategy(int row);
    static QString strategyLabel(const QString& id);
    void updateEnabled();

    QMap<QString, QCheckBox*> m_strategies;  // by engine name
    QSpinBox* m_seeds = nullptr;
    QSpinBox* m_epochs = nullptr;
    QDoubleSpinBox* m_expansion = nullptr;
    QLineEdit* m_diffIiSplits = nullptr;
    QPushButton* m_run = nullptr;
    QPushButton* m_stop = nullptr;
    QPushButton* m_save = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QTableWidget* m_table = nullptr;
    QCustomPlot* m_accuracyPlot = nullptr;
    QCustomPlot* m_scatterPlot = nullptr;
    QCustomPlot* m_confusionPlot = nullptr;
    QList<EvaluationRow> m_rows;
    QStringList m_classNames;
    QString m_outDir;
    QString m_projectDir;  // whose results the page shows
    bool m_running = false;
};

}  // namespace diffii::ui
