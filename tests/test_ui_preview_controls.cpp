// The preview page's controls of issue 14: the position on the circle in turns (z1, z2, −z1, −z2 marked, key steps
// that move it visibly, the engine still getting α), the sweep of s arriving point by point with an image per s,
// hover and click on the plot, the strip and the sweep showing their images again without rendering them again,
// and the session's history of previews, whose settings can be restored and written to the project for export, and
// which a new window on the project shows again with the newest sweep of s (PROJECT/preview/).
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QMouseEvent>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QVBoxLayout>
#include <QtTest>

#include <algorithm>
#include <cmath>

#include "core/diffii/circle_math.h"
#include "tests/test_registry.h"
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
constexpr int kTicks = 3600;  // the page's α slider: tenths of a degree, 0 … 1 turn
constexpr int kLongMs = 180000;

// z(α) = sin((1+α)θ)/sin θ · z1 − sin(αθ)/sin θ · z2 written in the orthonormal basis e1 = z1, e2 ⟂ e1 with
// z2 = cos θ e1 + sin θ e2: returns the angle of z(α) from z1 measured towards z2, in [0, 2π).
double angleTowardsZ2(double theta, double alpha) {
    const double s = std::sin(theta);
    const double c1 = std::sin((1 + alpha) * theta) / s, c2 = -std::sin(alpha * theta) / s;
    const double x = c1 + c2 * std::cos(theta), y = c2 * std::sin(theta);
    double a = std::atan2(y, x);
    if (a < 0) a += kTwoPi;
    return a;
}
double angleDistance(double a, double b) {
    const double d = std::fmod(std::abs(a - b), kTwoPi);
    return std::min(d, kTwoPi - d);
}
}  // namespace

class TestUiPreviewControls : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void turnsAndAlpha();
    void landmarks();
    void turnScaleNamesBothRegions();
    void keyStepsMoveVisibly();
    void stripClickReusesImage();
    void userCancelEndsThePreview();
    void sweepIsProgressive();
    void sweepHoverAndClick();
    void historyRestoresAndWritesExportSettings();
    void historyAndSweepSurviveReopening();
    void cleanupTestCase();

private:
    bool settled() const {
        return !m_page->previewBusy() && m_page->shownPreviewId() == m_page->latestPreviewId() &&
               m_page->latestPreviewId() > 0;
    }
    // DIFFII_PREVIEW_CONTROLS_SHOT=<folder>: the page as the test left it, for a look (not part of the assertions).
    void shot(const QString& name) {
        const QString dir = qEnvironmentVariable("DIFFII_PREVIEW_CONTROLS_SHOT");
        if (!dir.isEmpty()) m_page->grab().save(dir + QLatin1Char('/') + name + QStringLiteral(".png"));
    }
    void release(int value) {
        m_alpha->setValue(value);
        Q_EMIT m_alpha->sliderReleased();
    }

    QTemporaryDir m_tmp;
    QString m_project;
    StudioController* m_controller = nullptr;
    PreviewPage* m_page = nullptr;
    QSlider* m_alpha = nullptr;
    QDoubleSpinBox* m_turns = nullptr;
    QLabel* m_numbers = nullptr;
    int m_previewJobs = 0;  // preview renders the engine started
    int m_sweepPointsBeforeEnd = 0;
    QList<int> m_graphCounts;  // the plot's data count when each sweep point arrived
    bool m_sweepEnded = false;
};

void TestUiPreviewControls::initTestCase() {
    QVERIFY(m_tmp.isValid());
    QString error;
    m_project = diffii::test::prepareUiProject(m_tmp.path(), &error);
    QVERIFY2(!m_project.isEmpty(), qPrintable(error));

    m_controller = new StudioController();
    m_page = new PreviewPage(m_controller);
    m_page->resize(1200, 900);
    m_page->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_page));
    m_alpha = m_page->findChild<QSlider*>(QStringLiteral("alphaSlider"));
    m_turns = m_page->findChild<QDoubleSpinBox*>(QStringLiteral("turnsSpin"));
    m_numbers = m_page->findChild<QLabel*>(QStringLiteral("alphaLabel"));
    QVERIFY(m_alpha && m_turns && m_numbers);
    auto* w = m_controller->worker();
    connect(w, &diffii::ui::EngineWorker::jobStarted, this, [this](const QString& job) {
        if (job == diffii::ui::jobs::kPreview) ++m_previewJobs;
        if (job == diffii::ui::jobs::kSweep) m_sweepEnded = false;
    });
    connect(w, &diffii::ui::EngineWorker::jobFinished, this, [this](const QString& job, const QString&) {
        if (job == diffii::ui::jobs::kSweep) m_sweepEnded = true;
    });
    // Queued like the page's own connection, and made after it: the page has the point when this runs.
    connect(w, &diffii::ui::EngineWorker::sweepPoint, this, [this](qint64, int, const diffii::ui::SweepPoint&) {
        if (!m_sweepEnded) ++m_sweepPointsBeforeEnd;
        m_graphCounts << m_page->findChild<QCustomPlot*>(QStringLiteral("sweepPlot"))->graph(0)->dataCount();
    });

    m_controller->openProject(m_project);
    auto* classes = m_page->findChild<QComboBox*>(QStringLiteral("classCombo"));
    QTRY_VERIFY_WITH_TIMEOUT(classes->count() == 1, kLongMs);
    m_page->findChild<QSpinBox*>(QStringLiteral("stepsSpin"))->setValue(3);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    QVERIFY(m_page->theta() > 0.0 && m_page->theta() <= kTwoPi / 2 + 1e-9);
}

void TestUiPreviewControls::turnsAndAlpha() {
    const double theta = m_page->theta(), period = kTwoPi / theta;
    // The spin box in turns (from z1 towards z2) moves the slider; the engine gets α = (1 − turns) · 2π/θ.
    m_turns->setValue(0.25);
    QCOMPARE(m_alpha->value(), kTicks / 4);
    QCOMPARE(m_page->turns(), 0.25);
    QVERIFY(std::abs(m_page->alpha() - 0.75 * period) < 1e-12);
    const QString expected = QStringLiteral("0.250 turn (α = %1)").arg(0.75 * period, 0, 'f', 3);
    QVERIFY2(m_numbers->text().startsWith(expected), qPrintable(m_numbers->text()));
    QVERIFY(m_numbers->toolTip().contains(QStringLiteral("2π/θ")));
    // And the slider moves the spin box.
    release(kTicks / 2);
    QCOMPARE(m_turns->value(), 0.5);
    QVERIFY(std::abs(m_page->alpha() - 0.5 * period) < 1e-12);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    auto* caption = m_page->findChild<QLabel*>(QStringLiteral("previewCaption"));
    QVERIFY2(caption->text().startsWith(QStringLiteral("0.500 turn")), qPrintable(caption->text()));
    // Both ends of the slider are z1: one full turn.
    QCOMPARE(m_alpha->maximum(), kTicks);
    QCOMPARE(m_turns->maximum(), 1.0);
}

void TestUiPreviewControls::landmarks() {
    const double theta = m_page->theta(), period = kTwoPi / theta;
    const auto marks = diffii::circleLandmarks(theta);
    // Where the formula puts each landmark (computed from the formula itself, not from the page's convention).
    struct Case {
        double turn;
        double angle;  // of the landmark from z1 towards z2
        const char* name;
    };
    const Case cases[] = {{marks.z1, 0.0, "z1"},
                          {marks.z2, theta, "z2"},
                          {marks.minusZ1, kTwoPi / 2, "-z1"},
                          {marks.minusZ2, kTwoPi / 2 + theta, "-z2"}};
    for (const auto& c : cases) {
        const double alpha = diffii::alphaForPosition(theta, c.turn);
        QVERIFY2(angleDistance(angleTowardsZ2(theta, alpha), c.angle) < 1e-9, c.name);
        // A position is its own angle from z1 towards z2, in turns: the slider moves like the point.
        QVERIFY2(angleDistance(c.turn * kTwoPi, c.angle) < 1e-9, c.name);
    }
    QVERIFY(std::abs(diffii::alphaForPosition(theta, marks.z2) - (period - 1)) < 1e-9);  // α = −1 ≡ period − 1
    QVERIFY(marks.z2 < marks.minusZ1);  // the interpolation arc comes first

    // The scale under the slider marks them where the slider's handle goes, the interpolation arc from 0 to z2.
    auto* scale = m_page->findChild<diffii::ui::TurnScale*>(QStringLiteral("turnScale"));
    auto* circle = m_page->findChild<diffii::ui::CircleWidget*>(QStringLiteral("circleWidget"));
    QVERIFY(scale && circle);
    QCOMPARE(scale->theta(), theta);
    QCOMPARE(circle->theta(), theta);
    const double x0 = scale->xOfTurn(0.0), x1 = scale->xOfTurn(1.0);
    QVERIFY(x1 - x0 > 100);
    QVERIFY(std::abs(scale->xOfTurn(marks.z2) - (x0 + marks.z2 * (x1 - x0))) < 1e-6);
    QVERIFY(scale->xOfTurn(marks.z2) < scale->xOfTurn(0.5) && scale->xOfTurn(0.5) < scale->xOfTurn(marks.minusZ2));
    // The scale's x lines up with the slider's handle at both ends and in the middle.
    for (int value : {0, kTicks / 2, kTicks}) {
        m_alpha->setValue(value);
        QStyleOptionSlider opt;
        opt.initFrom(m_alpha);
        opt.orientation = Qt::Horizontal;
        opt.minimum = m_alpha->minimum();
        opt.maximum = m_alpha->maximum();
        opt.sliderPosition = opt.sliderValue = value;
        const QRect handle =
            m_alpha->style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, m_alpha);
        const double handleX = scale->mapFromGlobal(m_alpha->mapToGlobal(handle.center())).x();
        QVERIFY2(std::abs(handleX - scale->xOfTurn(static_cast<double>(value) / kTicks)) <= 2.0,
                 qPrintable(QStringLiteral("value %1: handle at %2, scale at %3")
                                .arg(value)
                                .arg(handleX)
                                .arg(scale->xOfTurn(static_cast<double>(value) / kTicks))));
    }
    // On the arc (between z1 at 0 and z2): interpolation; just past z2: extrapolation.
    auto* region = m_page->findChild<QLabel*>(QStringLiteral("regionLabel"));
    m_alpha->setValue(static_cast<int>(std::floor(marks.z2 * kTicks)) - 1);
    QCOMPARE(region->text(), QStringLiteral("interpolation"));
    m_alpha->setValue(static_cast<int>(std::ceil(marks.z2 * kTicks)) + 2);
    QCOMPARE(region->text(), QStringLiteral("extrapolation"));
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
}

void TestUiPreviewControls::turnScaleNamesBothRegions() {
    // However narrow the scale, both regions are named: in full, abbreviated, then elided; the tooltip has both.
    QWidget host;
    auto* layout = new QVBoxLayout(&host);
    auto* slider = new QSlider(Qt::Horizontal, &host);
    slider->setRange(0, kTicks);
    auto* scale = new diffii::ui::TurnScale(slider, &host);
    layout->addWidget(slider);
    layout->addWidget(scale);
    scale->setTheta(0.3 * kTwoPi);
    host.show();
    QVERIFY(QTest::qWaitForWindowExposed(&host));
    QVERIFY(scale->toolTip().contains(QStringLiteral("interpolation")) &&
            scale->toolTip().contains(QStringLiteral("extrapolation")));
    QStringList shown;
    for (int width : {700, 260, 150}) {
        host.resize(width, host.sizeHint().height());
        QTRY_COMPARE(host.width(), std::max(width, host.minimumSizeHint().width()));
        scale->grab();  // paints
        const QString extrap = scale->extrapolationShown();
        QVERIFY2(extrap.size() >= 3 && extrap.startsWith(QStringLiteral("ex")),
                 qPrintable(QStringLiteral("%1 px: \"%2\"").arg(width).arg(extrap)));
        QVERIFY(!scale->interpolationShown().isEmpty());
        shown << extrap;
    }
    QCOMPARE(shown.first(), QStringLiteral("extrapolation"));
    QVERIFY2(shown.last() != shown.first(), qPrintable(shown.join(QLatin1Char('|'))));
}

void TestUiPreviewControls::keyStepsMoveVisibly() {
    const double period = kTwoPi / m_page->theta();
    release(kTicks / 10);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    m_alpha->setFocus();
    const double alpha0 = m_page->alpha();
    const QString label0 = m_numbers->text();
    QTest::keyClick(m_alpha, Qt::Key_Right);
    QCOMPARE(m_alpha->value(), kTicks / 10 + kTicks / 100);
    QCOMPARE(m_turns->value(), 0.11);
    QVERIFY(std::abs(alpha0 - m_page->alpha() - 0.01 * period) < 1e-9);  // towards z2: α decreases
    QVERIFY(m_numbers->text() != label0);                                // the displayed value changes with one press
    QTest::keyClick(m_alpha, Qt::Key_PageUp);
    QCOMPARE(m_alpha->value(), kTicks / 10 + kTicks / 100 + kTicks / 10);
    QVERIFY(std::abs(alpha0 - m_page->alpha() - 0.11 * period) < 1e-9);
    // The spin box steps 0.01 turn too: one step up from z1 is on the interpolation arc; down it wraps round to
    // the end of the circle (extrapolation, next to z1 from the other side).
    m_turns->setValue(0.0);
    m_turns->stepBy(1);
    QCOMPARE(m_alpha->value(), kTicks / 100);
    QCOMPARE(m_page->findChild<QLabel*>(QStringLiteral("regionLabel"))->text(), QStringLiteral("interpolation"));
    m_turns->setValue(0.0);
    m_turns->stepBy(-1);
    QCOMPARE(m_turns->value(), 1.0);
    m_turns->stepBy(-1);
    QCOMPARE(m_alpha->value(), kTicks - kTicks / 100);
    QCOMPARE(m_page->findChild<QLabel*>(QStringLiteral("regionLabel"))->text(), QStringLiteral("extrapolation"));
    // Key steps preview after the debounce.
    const qint64 before = m_page->latestPreviewId();
    QTRY_VERIFY_WITH_TIMEOUT(m_page->latestPreviewId() > before, 3000);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
}

void TestUiPreviewControls::stripClickReusesImage() {
    auto* strip = m_page->findChild<QListWidget*>(QStringLiteral("stripList"));
    QTest::mouseClick(m_page->findChild<QPushButton*>(QStringLiteral("stripButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(m_page->stripCount() == 8 && !m_controller->busy(), kLongMs);
    QVERIFY(strip->isVisibleTo(m_page));  // hidden until the first strip
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    const int jobs = m_previewJobs;
    const qint64 id = m_page->latestPreviewId();
    QListWidgetItem* item = strip->item(2);
    QTest::mouseClick(strip->viewport(), Qt::LeftButton, {}, strip->visualItemRect(item).center());
    QCOMPARE(m_alpha->value(), 2 * kTicks / 8);
    QVERIFY(settled());
    QCOMPARE(m_page->previewImage(), item->data(Qt::UserRole + 1).value<QImage>());
    QVERIFY(
        m_page->findChild<QLabel*>(QStringLiteral("previewCaption"))->text().contains(QStringLiteral("0.250 turn")));
    QTest::qWait(600);  // past the debounce: nothing was asked of the engine
    QCOMPARE(m_page->latestPreviewId(), id);
    QCOMPARE(m_previewJobs, jobs);
    // A release on the same spot asks for nothing either; another spot renders.
    Q_EMIT m_alpha->sliderReleased();
    QCOMPARE(m_page->latestPreviewId(), id);
    release(kTicks / 7);
    QVERIFY(m_page->latestPreviewId() > id);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    QCOMPARE(m_previewJobs, jobs + 1);
}

// A preview the user cancels (Esc, the status bar's Cancel) ends the page's wait: it stayed busy, and the same
// settings asked again were taken as already coming. A newer preview superseding an older one is not such an end.
void TestUiPreviewControls::userCancelEndsThePreview() {
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    diffii::ui::EngineWorker* w = m_controller->worker();
    const auto conn = connect(
        w, &diffii::ui::EngineWorker::jobStarted, w,
        [w](const QString& job) {
            if (job == diffii::ui::jobs::kPreview) w->cancel();  // on the worker's thread, as the job starts
        },
        Qt::DirectConnection);
    const qint64 before = m_page->latestPreviewId();
    release(kTicks / 5);
    QVERIFY(m_page->latestPreviewId() > before);
    QTRY_VERIFY_WITH_TIMEOUT(!m_page->previewBusy(), kLongMs);
    disconnect(conn);
    QVERIFY(m_page->shownPreviewId() < m_page->latestPreviewId());  // nothing was shown for it
    QVERIFY2(m_page->findChild<QLabel*>(QStringLiteral("previewCaption"))->text().contains(QStringLiteral("cancelled")),
             qPrintable(m_page->findChild<QLabel*>(QStringLiteral("previewCaption"))->text()));
    // The same position again renders now.
    const qint64 cancelled = m_page->latestPreviewId();
    Q_EMIT m_alpha->sliderReleased();
    QTRY_VERIFY_WITH_TIMEOUT(m_page->latestPreviewId() > cancelled, 3000);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
}

void TestUiPreviewControls::sweepIsProgressive() {
    auto* plot = m_page->findChild<QCustomPlot*>(QStringLiteral("sweepPlot"));
    auto* sweepStrip = m_page->findChild<QListWidget*>(QStringLiteral("sweepStrip"));
    QVERIFY(plot && sweepStrip);
    m_graphCounts.clear();
    m_sweepPointsBeforeEnd = 0;
    QTest::mouseClick(m_page->findChild<QPushButton*>(QStringLiteral("sweepButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(m_sweepEnded && m_graphCounts.size() == 6, kLongMs);
    // One point at a time, each on the plot when it arrived, all before the job ended.
    QCOMPARE(m_graphCounts, (QList<int>{1, 2, 3, 4, 5, 6}));
    QCOMPARE(m_sweepPointsBeforeEnd, 6);
    QCOMPARE(plot->graph(1)->dataCount(), 6);
    QCOMPARE(m_page->sweepPoints().size(), 6);
    QCOMPARE(sweepStrip->count(), 6);
    QVERIFY(sweepStrip->isVisibleTo(m_page));  // hidden until the first sweep
    for (int i = 0; i < 6; ++i) {
        QCOMPARE(plot->graph(0)->data()->at(i)->key, 0.2 * i);
        QVERIFY(std::isfinite(plot->graph(1)->data()->at(i)->value));
        QVERIFY(!m_page->sweepPoints()[i].image.isNull());
        QVERIFY(sweepStrip->item(i)->text().contains(QStringLiteral("s = %1").arg(0.2 * i, 0, 'f', 2)));
        // The row shows the current position at each s.
        QVERIFY(std::abs(m_page->sweepPoints()[i].alpha - m_page->alpha()) < 1e-9);
    }
    // The legend is outside the axes: it covers no curve.
    plot->replot();
    QVERIFY(!plot->legend->outerRect().intersects(plot->axisRect()->rect()));
    for (int i = 0; i < 6; ++i)
        for (bool diversity : {false, true})
            QVERIFY(!plot->legend->outerRect().contains(m_page->sweepPointPixel(i, diversity).toPoint()));
}

void TestUiPreviewControls::sweepHoverAndClick() {
    auto* plot = m_page->findChild<QCustomPlot*>(QStringLiteral("sweepPlot"));
    auto* split = m_page->findChild<QSlider*>(QStringLiteral("splitSlider"));
    QTRY_VERIFY_WITH_TIMEOUT(settled() && !m_controller->busy(), kLongMs);
    // Hover over the diversity point of s = 0.4: its values.
    const QPointF at = m_page->sweepPointPixel(2, true);
    QMouseEvent move(QEvent::MouseMove, at, plot->mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(plot, &move);
    QVERIFY2(m_page->sweepHoverText().startsWith(QStringLiteral("s = 0.40")), qPrintable(m_page->sweepHoverText()));
    QVERIFY(m_page->sweepHoverText().contains(QString::number(m_page->sweepPoints()[2].diversity, 'f', 4)));
    QMouseEvent away(QEvent::MouseMove, QPointF(2, 2), plot->mapToGlobal(QPointF(2, 2)), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(plot, &away);
    QVERIFY(m_page->sweepHoverText().isEmpty());

    // A click on the faithfulness point of s = 0.6 selects that s and shows the sweep's image, rendering nothing.
    const int jobs = m_previewJobs;
    const qint64 id = m_page->latestPreviewId();
    QTest::mouseClick(plot, Qt::LeftButton, {}, m_page->sweepPointPixel(3, false).toPoint());
    QCOMPARE(split->value(), 60);
    QCOMPARE(m_page->previewImage(), m_page->sweepPoints()[3].image);
    QVERIFY(m_page->findChild<QLabel*>(QStringLiteral("previewCaption"))->text().contains(QStringLiteral("s = 0.60")));
    QTest::qWait(600);
    QCOMPARE(m_page->latestPreviewId(), id);
    QCOMPARE(m_previewJobs, jobs);
    // The row of images per s does the same.
    auto* sweepStrip = m_page->findChild<QListWidget*>(QStringLiteral("sweepStrip"));
    QListWidgetItem* item = sweepStrip->item(5);
    QTest::mouseClick(sweepStrip->viewport(), Qt::LeftButton, {}, sweepStrip->visualItemRect(item).center());
    QCOMPARE(split->value(), 100);
    QCOMPARE(m_page->previewImage(), m_page->sweepPoints()[5].image);
    QCOMPARE(m_previewJobs, jobs);
    shot(QStringLiteral("preview_sweep"));
}

void TestUiPreviewControls::historyRestoresAndWritesExportSettings() {
    auto* steps = m_page->findChild<QSpinBox*>(QStringLiteral("stepsSpin"));
    auto* split = m_page->findChild<QSlider*>(QStringLiteral("splitSlider"));
    auto* guidance = m_page->findChild<QDoubleSpinBox*>(QStringLiteral("guidanceSpin"));
    auto* history = m_page->findChild<QListWidget*>(QStringLiteral("historyList"));
    auto* useButton = m_page->findChild<QPushButton*>(QStringLiteral("historyExportButton"));
    QVERIFY(history && useButton);

    // A preview with distinct settings: guidance 3.5, s = 0.3, 2 steps, at 0.2 turn.
    guidance->setValue(3.5);
    steps->setValue(2);
    split->setValue(30);
    release(kTicks / 5);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    const QImage marked = m_page->previewImage();
    QCOMPARE(m_page->history().first().request.steps, 2);
    QCOMPARE(m_page->history().first().request.guidance, 3.5);
    QVERIFY(history->item(0)->text().contains(QStringLiteral("0.200 turn")));
    QVERIFY(history->item(0)->text().contains(QStringLiteral("s = 0.30")));
    QVERIFY(history->item(0)->text().contains(QStringLiteral("guidance 3.5")));

    // Then other settings.
    guidance->setValue(5.0);
    steps->setValue(3);
    split->setValue(70);
    release(kTicks / 3);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kLongMs);
    QVERIFY(m_page->history().size() >= 2);
    QCOMPARE(m_page->history().first().request.steps, 3);
    int row = -1;
    for (int i = 0; i < history->count(); ++i)
        if (m_page->history()[history->item(i)->data(Qt::UserRole).toInt()].image == marked) row = i;
    QVERIFY(row > 0);

    // Clicking the older entry brings its settings back and its image, without rendering it again.
    const int jobs = m_previewJobs;
    QTest::mouseClick(history->viewport(), Qt::LeftButton, {}, history->visualItemRect(history->item(row)).center());
    QCOMPARE(steps->value(), 2);
    QCOMPARE(guidance->value(), 3.5);
    QCOMPARE(split->value(), 30);
    QCOMPARE(m_alpha->value(), kTicks / 5);
    QCOMPARE(m_page->previewImage(), marked);
    QTest::qWait(600);
    QCOMPARE(m_previewJobs, jobs);
    QVERIFY(settled());

    // "Use these settings for export" writes them into project.json, where the Export page reads them.
    QVERIFY(useButton->isEnabled());
    QSignalSpy saved(m_controller->worker(), &diffii::ui::EngineWorker::jobFinished);
    QTest::mouseClick(useButton, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(
        std::any_of(saved.begin(), saved.end(),
                    [](const QList<QVariant>& args) { return args.at(0).toString() == diffii::ui::jobs::kSettings; }),
        kLongMs);
    QFile file(m_project + QStringLiteral("/project.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject generation = QJsonDocument::fromJson(file.readAll())
                                       .object()
                                       .value(QStringLiteral("settings"))
                                       .toObject()
                                       .value(QStringLiteral("generation"))
                                       .toObject();
    QCOMPARE(generation.value(QStringLiteral("steps")).toInt(), 2);
    QCOMPARE(generation.value(QStringLiteral("guidance")).toDouble(), 3.5);
    QCOMPARE(generation.value(QStringLiteral("split")).toDouble(), 0.3);
    // The controller's copy (what the Export page shows) follows.
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->project().workflow.denoise.guidance, 3.5, 5000);
    QCOMPARE(m_controller->project().workflow.denoise.steps, 2);
    m_page->findChild<QTabWidget*>(QStringLiteral("previewLowerTabs"))->setCurrentIndex(1);
    shot(QStringLiteral("preview_history"));
}

void TestUiPreviewControls::historyAndSweepSurviveReopening() {
    // The history and the newest sweep are written to PROJECT/preview/ (off the GUI thread, atomically).
    const QList<diffii::ui::PreviewHistoryEntry> before = m_page->history();
    const QList<diffii::ui::SweepPoint> sweepBefore = m_page->sweepPoints();
    QVERIFY(before.size() >= 2);
    QVERIFY(sweepBefore.size() >= 2);
    const QString historyJson = m_project + QStringLiteral("/preview/history/history.json");
    auto savedEntries = [&historyJson] {
        QFile f(historyJson);
        if (!f.open(QIODevice::ReadOnly)) return QJsonArray();
        return QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("entries")).toArray();
    };
    QTRY_COMPARE_WITH_TIMEOUT(int(savedEntries().size()), int(before.size()), 30000);
    const QJsonObject newest = savedEntries().first().toObject();
    QCOMPARE(newest.value(QStringLiteral("steps")).toInt(), before.first().request.steps);
    QCOMPARE(newest.value(QStringLiteral("guidance")).toDouble(), before.first().request.guidance);
    QVERIFY(QFile::exists(m_project + QStringLiteral("/preview/history/") +
                          newest.value(QStringLiteral("file")).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(m_project + QStringLiteral("/preview/sweep/sweep.json")), 30000);
    QCOMPARE(QDir(m_project + QStringLiteral("/preview/history"))
                 .entryList({QStringLiteral("*.tmp*")}, QDir::Files | QDir::Hidden),
             QStringList());

    // A new window on the project (a new start of the app): the History tab lists the same previews, newest first,
    // with their settings and images; the sweep's points are on the plot.
    StudioController controller;
    PreviewPage page(&controller);
    page.resize(1200, 900);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    controller.openProject(m_project);
    QTRY_VERIFY_WITH_TIMEOUT(controller.hasProject() && page.history().size() >= before.size(), kLongMs);
    // The page may already have rendered its first preview of the opened project: one more entry, on top.
    const int offset = int(page.history().size() - before.size());
    QVERIFY(offset == 0 || offset == 1);
    auto* list = page.findChild<QListWidget*>(QStringLiteral("historyList"));
    QCOMPARE(list->count(), int(page.history().size()));
    for (int i = 0; i < 2; ++i) {
        const auto& a = before[i];
        const auto& b = page.history()[i + offset];
        QCOMPARE(b.request.className, a.request.className);
        QCOMPARE(b.request.first, a.request.first);
        QCOMPARE(b.request.second, a.request.second);
        QCOMPARE(b.request.alpha, a.request.alpha);
        QCOMPARE(b.request.split, a.request.split);
        QCOMPARE(b.request.suffix, a.request.suffix);
        QCOMPARE(b.request.steps, a.request.steps);
        QCOMPARE(b.request.guidance, a.request.guidance);
        QCOMPARE(b.request.seed, a.request.seed);
        QCOMPARE(b.theta, a.theta);
        QCOMPARE(b.turn, a.turn);
        QCOMPARE(b.image.convertToFormat(QImage::Format_RGB32), a.image.convertToFormat(QImage::Format_RGB32));
        QCOMPARE(list->item(i + offset)->text(),
                 m_page->findChild<QListWidget*>(QStringLiteral("historyList"))->item(i)->text());
    }
    QVERIFY(list->item(offset)->text().contains(QStringLiteral("guidance 5.0")));
    QCOMPARE(page.sweepPoints().size(), sweepBefore.size());
    for (int i = 0; i < sweepBefore.size(); ++i) {
        QCOMPARE(page.sweepPoints()[i].split, sweepBefore[i].split);
        QCOMPARE(page.sweepPoints()[i].faithfulness, sweepBefore[i].faithfulness);
        QCOMPARE(page.sweepPoints()[i].diversity, sweepBefore[i].diversity);
        QCOMPARE(page.sweepPoints()[i].image.size(), sweepBefore[i].image.size());
    }
    QCOMPARE(page.findChild<QCustomPlot*>(QStringLiteral("sweepPlot"))->graph(0)->dataCount(), int(sweepBefore.size()));
    QCOMPARE(page.findChild<QListWidget*>(QStringLiteral("sweepStrip"))->count(), int(sweepBefore.size()));
    QTRY_VERIFY_WITH_TIMEOUT(!controller.busy() && !page.previewBusy(), kLongMs);
}

void TestUiPreviewControls::cleanupTestCase() {
    delete m_page;
    delete m_controller;  // stops the engine thread
}

DIFFII_TEST_MAIN(TestUiPreviewControls, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_preview_controls.moc"
