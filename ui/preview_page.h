// The heart of the studio: pick a class and two inversions, walk the great circle between them (α), choose the
// split ratio s and the scene suffix, and see the image; a strip along the circle and a faithfulness/diversity sweep
// over s help tune the trade-off. Every computation is a queued request to the engine; the newest preview
// supersedes the older ones, so dragging around never queues up stale work.
#pragma once

#include <QHash>
#include <QImage>
#include <QList>
#include <QTimer>

#include "ui/studio_page.h"

class QComboBox;
class QCustomPlot;
class QDoubleSpinBox;
class QLabel;
class QListWidget;
class QListWidgetItem;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;

namespace diffii::ui {

class CircleWidget;

class PreviewPage : public StudioPage {
    Q_OBJECT

public:
    explicit PreviewPage(StudioController* controller, QWidget* parent = nullptr);
    QString title() const override { return tr("Preview"); }

    // State the tests (and the status bar) read.
    QImage previewImage() const { return m_image; }
    qint64 latestPreviewId() const { return m_latestId; }
    qint64 shownPreviewId() const { return m_shownId; }
    const QList<qint64>& shownPreviewIds() const { return m_shownIds; }
    int intermediateCount() const { return m_intermediates; }
    bool previewBusy() const { return m_pending; }
    double alpha() const;  // α for the slider position, u·(2π/θ)
    double theta() const { return m_theta; }
    double period() const;  // 2π/θ
    bool showsInterpolation() const;
    double lastSeconds() const { return m_lastSeconds; }
    int stripCount() const { return m_stripCount; }

protected:
    void showEvent(QShowEvent* event) override;

private:
    void buildUi();
    void onProjectChanged(const ProjectInfo& info);
    void onPoolChanged(const QList<PoolItem>& items);
    void fillClasses();
    void fillPair();
    void updateSources();
    void updateCircleLabels();
    void scheduleRequest();
    void requestNow();
    PreviewRequest currentRequest() const;
    void showImage(QLabel* label, const QImage& image, int side);
    void onIntermediate(qint64 id, const QImage& image, int step, int total);
    void onReady(const PreviewResult& result);
    void onJobEnded(const QString& job, const QString& message, bool failed);
    void requestStrip();
    void onStripImage(qint64 id, int index, const QImage& image, double alpha, bool interpolation);
    void onStripClicked(QListWidgetItem* item);
    void requestSweep();
    void onSweepReady(const QList<SweepPoint>& points);
    void setSliderPosition(double u);
    QString suffix() const;
    QList<PoolItem> classItems() const;
    QString pairKey() const;
    void learnTheta(const QString& pair, double theta);

    QComboBox* m_class = nullptr;
    QComboBox* m_first = nullptr;
    QComboBox* m_second = nullptr;
    QPushButton* m_randomPair = nullptr;
    QSpinBox* m_seed = nullptr;
    CircleWidget* m_circle = nullptr;
    QSlider* m_alphaSlider = nullptr;
    QLabel* m_region = nullptr;
    QLabel* m_numbers = nullptr;
    QSlider* m_splitSlider = nullptr;
    QLabel* m_splitValue = nullptr;
    QComboBox* m_suffix = nullptr;
    QSpinBox* m_steps = nullptr;
    QDoubleSpinBox* m_guidance = nullptr;
    QLabel* m_sourceA = nullptr;
    QLabel* m_sourceB = nullptr;
    QLabel* m_preview = nullptr;
    QLabel* m_caption = nullptr;
    QProgressBar* m_busy = nullptr;
    QPushButton* m_stripButton = nullptr;
    QListWidget* m_strip = nullptr;
    QPushButton* m_sweepButton = nullptr;
    QCustomPlot* m_plot = nullptr;
    QLabel* m_jobStatus = nullptr;

    QTimer m_debounce;  // keyboard steps on the sliders and spin-box typing settle for 300 ms before a preview
    QString m_projectDir;
    QList<PoolItem> m_pool;
    bool m_filling = false;  // combo boxes are being refilled: their signals are not user choices

    double m_theta = 1.0;  // radians; 1.0 until the first result of the pair says otherwise
    bool m_thetaKnown = false;
    QHash<QString, double> m_thetaByPair;  // θ learnt per (class, first, second): switching back needs no guess
    bool m_fallback = false;               // the class has one inversion: Gaussian noise, no circle

    PreviewRequest m_lastRequest;      // the newest request sent (id 0: none)
    double m_requestedPosition = 0.0;  // slider position u the newest request aimed at
    qint64 m_latestId = 0;
    qint64 m_shownId = 0;
    QList<qint64> m_shownIds;
    bool m_pending = false;
    int m_intermediates = 0;
    QImage m_image;
    double m_lastSeconds = 0.0;

    qint64 m_stripId = 0;
    int m_stripCount = 0;
};

}  // namespace diffii::ui
