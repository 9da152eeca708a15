// The preview page end to end: a tiny project built with the CLI, then the page driven like a user would (sliders,
// the circle, the strip and sweep buttons) against the real engine thread. Also proves the GUI thread never blocks
// while the engine computes.
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QProcess>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <cmath>

#include "core/diffii/circle_math.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"
#include "tests/ui_test_project.h"
#include "ui/circle_widget.h"
#include "ui/preview_page.h"
#include "ui/qcustomplot_compat.h"
#include "ui/studio_controller.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::PreviewPage;
using diffii::ui::StudioController;

namespace {

using diffii::kTwoPi;
constexpr int kAlphaTicks = 3600;  // the page's α slider: tenths of a degree of the point's angle
constexpr int kLongMs = 180000;

// The circle math of diffii::isInterpolation, written out again so the test does not trust the page's copy.
bool expectInterpolation(double theta, double alpha) {
    double ang = std::fmod(-alpha * theta, kTwoPi);
    if (ang < 0) ang += kTwoPi;
    return ang <= theta + 1e-12;
}

// Records the longest gap between ticks of a 10 ms timer: a blocked GUI thread shows up as a long gap.
class LatencyProbe : public QObject {
public:
    LatencyProbe() {
        m_timer.setInterval(10);
        QObject::connect(&m_timer, &QTimer::timeout, this, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            m_maxGapMs = std::max(m_maxGapMs, (now - m_last) / 1e6);
            m_last = now;
            ++m_ticks;
        });
    }
    void start() {
        m_clock.start();
        m_last = 0;
        m_maxGapMs = 0;
        m_ticks = 0;
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    double maxGapMs() const { return m_maxGapMs; }
    int ticks() const { return m_ticks; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    double m_maxGapMs = 0;
    int m_ticks = 0;
};

}  // namespace

class TestUiPreview : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void firstPreview();
    void alphaSliderAndCircleLabels();
    void circleClickMovesPoint();
    void splitSlider();
    void newerRequestSupersedes();
    void stripWithoutBlockingGui();
    void sweepFillsPlot();
    void cleanupTestCase();

private:
    bool runCli(const QStringList& args, QString* output);
    bool settled() const {
        return !m_page->previewBusy() && m_page->shownPreviewId() == m_page->latestPreviewId() &&
               m_page->latestPreviewId() > 0;
    }
    void releaseAlphaAt(int value);

    QTemporaryDir m_tmp;
    QString m_project;
    StudioController* m_controller = nullptr;
    PreviewPage* m_page = nullptr;
    QSlider* m_alpha = nullptr;
    QSlider* m_split = nullptr;
    QLabel* m_region = nullptr;
};

bool TestUiPreview::runCli(const QStringList& args, QString* output) {
    const auto r = diffii::test::runDiffii(args, static_cast<const QProcessEnvironment*>(nullptr), kLongMs);
    *output = r.out + r.err;
    return r.code == 0;
}

void TestUiPreview::initTestCase() {
    QVERIFY(m_tmp.isValid());
    const QString fixtures = QStringLiteral(DIFFII_SHARED_DIR "/fixtures");
    QString error;
    const QString dataset = diffii::test::prepareUiDataset(m_tmp.path(), &error);
    QVERIFY2(!dataset.isEmpty(), qPrintable(error));
    m_project = m_tmp.filePath(QStringLiteral("project"));
    QString out;
    QVERIFY2(
        runCli({QStringLiteral("create"), m_project, QStringLiteral("--dataset"), dataset, QStringLiteral("--model"),
                fixtures + QStringLiteral("/tiny-sd1"), QStringLiteral("--metaclass"), QStringLiteral("bird")},
               &out),
        qPrintable(out));
    QVERIFY2(runCli({QStringLiteral("pool"), m_project, QStringLiteral("--invert-steps"), QStringLiteral("3")}, &out),
             qPrintable(out));

    m_controller = new StudioController();
    m_page = new PreviewPage(m_controller);
    m_page->resize(1200, 900);
    m_page->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_page));
    m_alpha = m_page->findChild<QSlider*>(QStringLiteral("alphaSlider"));
    m_split = m_page->findChild<QSlider*>(QStringLiteral("splitSlider"));
    m_region = m_page->findChild<QLabel*>(QStringLiteral("regionLabel"));
    QVERIFY(m_alpha && m_split && m_region);
    for (const char* name : {"previewImage", "circleWidget", "stripButton", "sweepButton", "sweepPlot"})
        QVERIFY2(m_page->findChild<QWidget*>(QLatin1String(name)), name);

    m_controller->openProject(m_project);
    auto* classes = m_page->findChild<QComboBox*>(QStringLiteral("classCombo"));
    QTRY_VERIFY_WITH_TIMEOUT(classes->count() == 1, kLongMs);
    QCOMPARE(classes->currentText(), QStringLiteral("finch"));
    QCOMPARE(m_page->findChild<QComboBox*>(QStringLiteral("firstCombo"))->count(), 2);
    // Fast previews: the steps change comes within the debounce, so even the first preview uses 3 steps.
    m_page->findChild<QSpinBox*>(QStringLiteral("stepsSpin"))->setValue(3);
}

void TestUiPreview::firstPreview() {
    // Showing the page with a pool asks for a preview by itself; its result tells θ, after which the page
    // re-aims at the slider's point of the circle once.
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    QVERIFY(!m_page->previewImage().isNull());
    QVERIFY(m_page->theta() > 0.0 && m_page->theta() < kTwoPi / 2 + 1e-9);
    QVERIFY2(m_page->intermediateCount() > 0, "no intermediate image was shown while denoising");
    auto* label = m_page->findChild<QLabel*>(QStringLiteral("previewImage"));
    QVERIFY(!label->pixmap().isNull());
    // A small image is enlarged by an integer factor (nearest neighbour), never left tiny.
    QVERIFY(label->pixmap().width() >= 2 * m_page->previewImage().width() || m_page->previewImage().width() >= 160);
    qInfo("first preview: %dx%d, theta %.2f deg, %.3f s", m_page->previewImage().width(),
          m_page->previewImage().height(), m_page->theta() * 180 / M_PI, m_page->lastSeconds());
}

void TestUiPreview::releaseAlphaAt(int value) {
    m_alpha->setValue(value);
    Q_EMIT m_alpha->sliderReleased();
}

void TestUiPreview::alphaSliderAndCircleLabels() {
    const double theta = m_page->theta();
    // The middle of the short arc z1..z2 (positions 0..θ/2π, turns from z1 towards z2): interpolation.
    const int interpValue = static_cast<int>(std::lround(theta / (2 * kTwoPi) * kAlphaTicks));
    const qint64 firstId = m_page->latestPreviewId();
    releaseAlphaAt(interpValue);
    QVERIFY(m_page->latestPreviewId() > firstId);
    const double alpha = m_page->alpha();
    QCOMPARE(alpha, (1.0 - static_cast<double>(interpValue) / kAlphaTicks) * kTwoPi / theta);  // α = (1 − p)·2π/θ
    QVERIFY(expectInterpolation(theta, alpha));
    QCOMPARE(m_region->text(), QStringLiteral("interpolation"));
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    QVERIFY(
        m_page->findChild<QLabel*>(QStringLiteral("previewCaption"))->text().contains(QStringLiteral("interpolation")));

    // Three quarters of the way round: extrapolation (θ ≤ π, so the arc is within the first half).
    releaseAlphaAt(3 * kAlphaTicks / 4);
    QVERIFY(!expectInterpolation(theta, m_page->alpha()));
    QCOMPARE(m_region->text(), QStringLiteral("extrapolation"));
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    QVERIFY(
        m_page->findChild<QLabel*>(QStringLiteral("previewCaption"))->text().contains(QStringLiteral("extrapolation")));

    // Next to z2 (position θ/2π, α = period − 1), on the arc's side: interpolation.
    const qint64 before = m_page->latestPreviewId();
    m_alpha->setValue(static_cast<int>(std::lround(theta / kTwoPi * kAlphaTicks)) - 1);
    QCOMPARE(m_region->text(), expectInterpolation(theta, m_page->alpha()) ? QStringLiteral("interpolation")
                                                                           : QStringLiteral("extrapolation"));
    // A keyboard-like change (no slider release) previews after the debounce.
    QCOMPARE(m_page->latestPreviewId(), before);
    QTRY_VERIFY_WITH_TIMEOUT(m_page->latestPreviewId() > before, 2000);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
}

void TestUiPreview::circleClickMovesPoint() {
    auto* circle = m_page->findChild<diffii::ui::CircleWidget*>(QStringLiteral("circleWidget"));
    const QPoint centre = circle->rect().center();
    const qint64 before = m_page->latestPreviewId();
    // Straight above the centre: angle 90°, a quarter of the circle.
    QTest::mouseClick(circle, Qt::LeftButton, {}, centre - QPoint(0, 30));
    QVERIFY(std::abs(m_alpha->value() - kAlphaTicks / 4) <= 20);
    QVERIFY(m_page->latestPreviewId() > before);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
}

void TestUiPreview::splitSlider() {
    const qint64 before = m_page->latestPreviewId();
    m_split->setValue(80);
    Q_EMIT m_split->sliderReleased();
    QVERIFY(m_page->latestPreviewId() > before);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    QVERIFY(m_page->findChild<QLabel*>(QStringLiteral("previewCaption"))->text().contains(QStringLiteral("s = 0.80")));
}

void TestUiPreview::newerRequestSupersedes() {
    releaseAlphaAt(kAlphaTicks / 8);
    const qint64 first = m_page->latestPreviewId();
    releaseAlphaAt(kAlphaTicks / 3);
    const qint64 second = m_page->latestPreviewId();
    QVERIFY(second > first);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    QCOMPARE(m_page->shownPreviewId(), second);
    QVERIFY2(!m_page->shownPreviewIds().contains(first), "a superseded preview was shown");
    // Nothing older arrives late and replaces it.
    QTest::qWait(500);
    QCOMPARE(m_page->shownPreviewId(), second);
}

void TestUiPreview::stripWithoutBlockingGui() {
    LatencyProbe probe;
    probe.start();
    QElapsedTimer wall;
    wall.start();
    QTest::mouseClick(m_page->findChild<QPushButton*>(QStringLiteral("stripButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(m_page->stripCount() == 8, kLongMs);
    // Keep measuring for at least a second, with a preview computing in the meantime.
    releaseAlphaAt(kAlphaTicks / 6);
    while (wall.elapsed() < 1000 || !settled()) {
        QTest::qWait(20);
        QVERIFY(wall.elapsed() < kLongMs);
    }
    probe.stop();
    qInfo("strip + preview: %lld ms, %d ticks, max GUI event-loop gap %.1f ms", wall.elapsed(), probe.ticks(),
          probe.maxGapMs());
    QVERIFY2(probe.maxGapMs() < 200.0, qPrintable(QStringLiteral("GUI blocked for %1 ms").arg(probe.maxGapMs())));

    auto* strip = m_page->findChild<QListWidget*>(QStringLiteral("stripList"));
    QCOMPARE(strip->count(), 8);
    // In order of position (turns from z1 towards z2, as the position control), with α in the tooltip: the engine
    // spaces the strip as α_k = period·k/8, and item i shows position i/8, i.e. α = period·(1 − i/8) mod period.
    auto stripAlpha = [this](int i) { return i == 0 ? 0.0 : m_page->period() * (8 - i) / 8; };
    for (int i = 0; i < 8; ++i) {
        QVERIFY2(strip->item(i)->text().startsWith(QString::number(i / 8.0, 'f', 3) + QStringLiteral(" turn")),
                 qPrintable(strip->item(i)->text()));
        QVERIFY(strip->item(i)->toolTip().startsWith(QStringLiteral("α = %1.").arg(stripAlpha(i), 0, 'f', 3)));
    }
    // They fall in interpolation exactly where the circle math says.
    for (int i = 0; i < 8; ++i) {
        const double alpha = stripAlpha(i);
        QVERIFY2(strip->item(i)->text().contains(
                     expectInterpolation(m_page->theta(), alpha) ? QStringLiteral("interp") : QStringLiteral("extrap")),
                 qPrintable(strip->item(i)->text()));
    }
    // Clicking an image moves α there and shows the strip's image (computed already: no new preview).
    const qint64 before = m_page->latestPreviewId();
    QListWidgetItem* item = strip->item(2);
    QTest::mouseClick(strip->viewport(), Qt::LeftButton, {}, strip->visualItemRect(item).center());
    QCOMPARE(m_alpha->value(), 2 * kAlphaTicks / 8);
    QCOMPARE(m_page->latestPreviewId(), before);
    QCOMPARE(m_page->previewImage(), item->data(Qt::UserRole + 1).value<QImage>());
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
}

void TestUiPreview::sweepFillsPlot() {
    auto* plot = m_page->findChild<QCustomPlot*>(QStringLiteral("sweepPlot"));
    QCOMPARE(plot->graphCount(), 2);
    QTest::mouseClick(m_page->findChild<QPushButton*>(QStringLiteral("sweepButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(plot->graph(0)->dataCount() == 6 && plot->graph(1)->dataCount() == 6, kLongMs);
    for (int i = 0; i < 6; ++i) {
        QCOMPARE(plot->graph(0)->data()->at(i)->key, 0.2 * i);
        QVERIFY(std::isfinite(plot->graph(0)->data()->at(i)->value));
        QVERIFY(std::isfinite(plot->graph(1)->data()->at(i)->value));
    }
}

void TestUiPreview::cleanupTestCase() {
    delete m_page;
    delete m_controller;  // stops the engine thread
}

DIFFII_TEST_MAIN(TestUiPreview, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_preview.moc"
