// The heart of the studio: pick a class and two inversions, walk the great circle between them (α), choose the
// split ratio s and the scene suffix, and see the image; a strip along the circle and a faithfulness/diversity sweep
// over s help tune the trade-off. Every computation is a queued request to the engine; the newest preview
// supersedes the older ones, so dragging around never queues up stale work.
#pragma once

#include <QHash>
#include <QImage>
#include <QList>
#include <QTimer>

#include "ui/preview_history.h"
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
class QTabWidget;
class QThreadPool;

namespace diffii::ui {

class CircleWidget;
class TurnScale;

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
    double turns() const;  // the slider position in turns from z1, [0, 1]
    // The sweep of s: points received so far (of the newest sweep), and the hover text of the plot.
    const QList<SweepPoint>& sweepPoints() const { return m_sweepPoints; }
    QString sweepHoverText() const { return m_sweepHover; }
    const QList<PreviewHistoryEntry>& history() const { return m_history; }
    // The pixel position of sweep point i on the plot (for tests and the hover).
    QPointF sweepPointPixel(int index, bool diversity = false) const;

protected:
    void showEvent(QShowEvent* event) override;
    void retranslate() override;

private:
    void buildUi();
    QWidget* buildControls();
    QWidget* buildImagesPane();
    QWidget* buildLowerView();
    void buildSweepPlot(QWidget* parent);
    void setTemplateToolTips();
    void connectControls();
    void installLightboxes();
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
    void requestFullRender();
    void onJobEnded(const QString& job, const QString& message, bool failed);
    void requestStrip();
    void onStripImage(qint64 id, int index, const QImage& image, double alpha, bool interpolation);
    void onStripClicked(QListWidgetItem* item);
    void requestSweep();
    void onSweepReady(const QList<SweepPoint>& points);
    void onSweepPoint(qint64 id, int index, const SweepPoint& point);
    void fitSweepAxes();
    int sweepPointAt(const QPointF& pos) const;
    void selectSweepPoint(int index);
    void addHistory(const PreviewHistoryEntry& entry);
    void fillHistoryList();
    // The project's saved history and newest sweep (ui/preview_history.h), shown on opening it.
    void loadSaved();
    void saveHistory();
    void saveSweep();
    void addSweepPoint(const SweepPoint& point);
    void restoreHistory(int index);
    void useForExport();
    // Shows an image already computed for request (strip, sweep, history) instead of rendering it again, when the
    // controls ask for exactly that request; returns false (nothing shown) otherwise.
    bool showComputed(const PreviewRequest& request, const QImage& image, double theta, bool interpolation,
                      double seconds);
    QString captionFor(const PreviewRequest& request, double theta, double alpha, bool interpolation, bool fallback,
                       double seconds) const;
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
    QDoubleSpinBox* m_turns = nullptr;
    TurnScale* m_turnScale = nullptr;
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
    QLabel* m_draftBadge = nullptr;
    QPushButton* m_fullRender = nullptr;
    QProgressBar* m_busy = nullptr;
    QPushButton* m_stripButton = nullptr;
    QListWidget* m_strip = nullptr;
    QPushButton* m_sweepButton = nullptr;
    QCustomPlot* m_plot = nullptr;
    QListWidget* m_sweepStrip = nullptr;
    QListWidget* m_historyList = nullptr;
    QPushButton* m_historyExport = nullptr;
    QTabWidget* m_lowerTabs = nullptr;
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
    PreviewRequest m_stripRequest;  // the settings the strip's images were rendered with (α aside)
    double m_stripTheta = 0.0;

    qint64 m_sweepId = 0;
    PreviewRequest m_sweepRequest;  // the settings of the newest sweep (s aside)
    QList<SweepPoint> m_sweepPoints;
    QString m_sweepHover;

    qint64 m_discardUpTo = 0;  // previews up to this id were superseded by an image shown from a cache
    QList<PreviewHistoryEntry> m_history;
    QThreadPool* m_writer = nullptr;  // one thread: the history and sweep files are written in order, off the GUI
};

}  // namespace diffii::ui
