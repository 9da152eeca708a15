// Progress reporting (core/jobs/progress.h): the time left in a stage (the GUI's ETA and the CLI's progress line), and
// which reports become a line on a terminal or in a log.
#include <QtTest/QtTest>

#include <string>
#include <vector>

#include "core/jobs/progress.h"
#include "tests/test_registry.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace {

diffii::Progress at(const std::string& stage, int64_t done, int64_t total) {
    diffii::Progress p;
    p.stage = stage;
    p.done = done;
    p.total = total;
    return p;
}

}  // namespace

class TestProgress : public QObject {
    Q_OBJECT

private slots:
    void etaFromTheStageRate() {
        diffii::EtaEstimator eta;
        QCOMPARE(eta.update(at("denoising", 0, 10), 100.0), -1.0);  // nothing done yet
        QCOMPARE(eta.update(at("denoising", 2, 10), 104.0), 16.0);  // 2 s a step, 8 left
        QCOMPARE(eta.update(at("denoising", 5, 10), 105.0), 5.0);   // 1 s a step on average, 5 left
        QCOMPARE(eta.update(at("denoising", 10, 10), 110.0), 0.0);
        QCOMPARE(eta.stageSeconds(110.0), 10.0);
    }

    // A later stage is timed from its own first report, not from the job's start.
    void etaRestartsWithTheStage() {
        diffii::EtaEstimator eta;
        eta.update(at("loading", 0, 1), 0.0);
        eta.update(at("loading", 1, 1), 60.0);
        QCOMPARE(eta.update(at("inversion", 0, 4), 60.0), -1.0);
        QCOMPARE(eta.update(at("inversion", 1, 4), 61.0), 3.0);
        // The next image's steps: the count goes back to 0 under the same name.
        QCOMPARE(eta.update(at("inversion", 0, 4), 70.0), -1.0);
        QCOMPARE(eta.update(at("inversion", 2, 4), 74.0), 4.0);
        // Same name, another total: another stage.
        QCOMPARE(eta.update(at("inversion", 3, 8), 80.0), -1.0);
        QCOMPARE(eta.update(at("inversion", 5, 8), 82.0), 3.0);
    }

    // A resumed job's first report already counts the earlier run's steps; they took no time in this run.
    void etaOfAResumedStage() {
        diffii::EtaEstimator eta;
        QCOMPARE(eta.update(at("concepts", 900, 1000), 5.0), -1.0);
        QCOMPARE(eta.update(at("concepts", 910, 1000), 15.0), 90.0);  // 1 s a step, not 15 s / 910 steps
    }

    // Reports before the first step (concept learning encodes its images at step 0) do not count as step time.
    void etaAfterPreparation() {
        diffii::EtaEstimator eta;
        for (int i = 0; i <= 90; ++i) QCOMPARE(eta.update(at("concepts", 0, 1000), i * 0.5), -1.0);  // 45 s encoding
        QCOMPARE(eta.update(at("concepts", 10, 1000), 46.0), 99.0);  // 0.1 s a step, not 4.6 s
    }

    // Nested stages keep their own clocks: a generation's images (1 s each) around each image's denoising steps.
    void etaOfNestedStages() {
        diffii::EtaEstimator eta;
        double t = 0.0, generationEta = -1.0;
        for (int image = 1; image <= 4; ++image) {
            for (int step = 1; step <= 4; ++step) {
                t += 0.25;
                const double left = eta.update(at("denoising", step, 4), t);
                if (step == 4) QCOMPARE(left, 0.0);
            }
            generationEta = eta.update(at("generation", image, 10), t);
        }
        QCOMPARE(generationEta, 6.0);                  // 1 s an image since the first, 6 left
        QCOMPARE(eta.secondsLeft("generation"), 6.0);  // what the app shows while the next image denoises
        QCOMPARE(eta.secondsLeft("denoising"), 0.0);
        QCOMPARE(eta.secondsLeft("never reported"), -1.0);
    }

    void etaUnknownWithoutTotal() {
        diffii::EtaEstimator eta;
        eta.update(at("scan", 0, 0), 0.0);
        QCOMPARE(eta.update(at("scan", 3, 0), 1.0), -1.0);
    }

    // In a log, a stage of 1000 reports becomes its first line, one per tenth and the last.
    void logLinesPerTenth() {
        diffii::ProgressLineGate gate(false);
        std::vector<int64_t> printed;
        for (int64_t i = 0; i <= 1000; ++i)
            if (gate.pass(at("validate", i, 1000), i * 0.001)) printed.push_back(i);
        QCOMPARE(printed, (std::vector<int64_t>{0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}));
        // The same last report again (a job reporting its end twice) prints nothing.
        QVERIFY(!gate.pass(at("validate", 1000, 1000), 2.0));
        // A new stage prints at once.
        QVERIFY(gate.pass(at("pool", 0, 3), 2.0));
    }

    // A slow stage still writes a line every logSeconds while it moves, and none while it does not.
    void logLinesOnASlowStage() {
        diffii::ProgressLineGate gate(false, 30.0);
        QVERIFY(gate.pass(at("concepts", 0, 10000), 0.0));
        QVERIFY(!gate.pass(at("concepts", 1, 10000), 20.0));
        QVERIFY(gate.pass(at("concepts", 2, 10000), 40.0));
        QVERIFY(!gate.pass(at("concepts", 2, 10000), 80.0));  // no step since
        QVERIFY(gate.pass(at("concepts", 3, 10000), 80.0));
    }

    // In a log, a stage that begins again for each item of another (an image's denoising) writes its first report
    // and then one every logSeconds; the outer stage its tenths.
    void logLinesOfNestedStages() {
        diffii::ProgressLineGate gate(false, 30.0);
        int denoising = 0, generation = 0;
        double t = 0.0;
        for (int image = 1; image <= 100; ++image) {
            for (int step = 1; step <= 25; ++step) {
                t += 0.04;  // 1 s an image, 100 s in all
                denoising += gate.pass(at("denoising", step, 25), t) ? 1 : 0;
            }
            generation += gate.pass(at("generation", image, 100), t) ? 1 : 0;
        }
        // The first image's steps (before the stage is seen to repeat: its first report, tenths and last), then one
        // every 30 s.
        QVERIFY2(denoising >= 3 && denoising <= 14, qPrintable(QString::number(denoising)));
        // First, one per tenth (the last among them): 11.
        QCOMPARE(generation, 11);
    }

    // The app's one bar: a generation keeps it while each image's denoising shows in its detail; a stage that
    // repeats with no running outer stage (after a finished "open") shows itself.
    void outerStageKeepsTheBar() {
        diffii::OuterStageView view;
        QCOMPARE(view.view(at("open", 3, 3)).stage, std::string("open"));
        for (int step = 1; step <= 3; ++step)
            QCOMPARE(view.view(at("denoising", step, 3)).stage, std::string("denoising"));
        auto g = at("generation", 1, 5);
        g.detail = "a/a_00000.png";
        QCOMPARE(view.view(g).stage, std::string("generation"));
        const auto shown = view.view(at("denoising", 1, 3));  // the next image: denoising begins again
        QCOMPARE(shown.stage, std::string("generation"));
        QCOMPARE(shown.done, int64_t(1));
        QCOMPARE(shown.detail, std::string("a/a_00000.png · denoising 1/3"));
        QCOMPARE(view.view(at("generation", 5, 5)).done, int64_t(5));
        // The generation has finished: a repeating stage after it shows itself.
        QCOMPARE(view.view(at("denoising", 1, 3)).stage, std::string("denoising"));
        diffii::OuterStageView alone;  // one stage run several times (a classifier per seed): always itself
        for (int run = 0; run < 2; ++run)
            for (int e = 1; e <= 3; ++e) QCOMPARE(alone.view(at("epochs", e, 3)).stage, std::string("epochs"));
    }

    // The text fronts' line: "stage done/total detail" and its timing apart.
    void logLineText() {
        QCOMPARE(diffii::formatSeconds(0.44), std::string("0.4 s"));
        QCOMPARE(diffii::formatSeconds(45.2), std::string("45 s"));
        QCOMPARE(diffii::formatSeconds(185), std::string("3 min 05 s"));
        QCOMPARE(diffii::formatSeconds(3725), std::string("1 h 02 min"));
        diffii::ProgressLog log(false);
        auto first = at("validate", 0, 4);
        first.detail = "a.png";
        const auto a = log.take(first, 10.0);
        QVERIFY(a.has_value());
        QCOMPARE(a->text, std::string("validate 0/4 a.png"));
        QCOMPARE(a->timing, std::string());                   // no step yet
        const auto b = log.take(at("validate", 2, 4), 11.0);  // a new tenth: printed, 0.5 s a step
        QVERIFY(b.has_value());
        QCOMPARE(b->timing, std::string(", ETA 1.0 s"));
        const auto c = log.take(at("validate", 4, 4), 12.0);
        QVERIFY(c.has_value());
        QCOMPARE(c->text, std::string("validate 4/4"));
        QCOMPARE(c->timing, std::string(", 2.0 s"));
        QVERIFY(!log.take(at("validate", 4, 4), 13.0).has_value());  // the same end again
    }

    // A terminal's line is rewritten at most ten times a second, but a stage's first and last report always show.
    void terminalRate() {
        diffii::ProgressLineGate gate(true);
        int printed = 0;
        for (int64_t i = 0; i <= 100; ++i) printed += gate.pass(at("denoising", i, 100), i * 0.01) ? 1 : 0;
        QVERIFY2(printed >= 10 && printed <= 12, qPrintable(QString::number(printed)));
        QVERIFY(gate.pass(at("decode", 0, 1), 1.001));
        QVERIFY(gate.pass(at("decode", 1, 1), 1.002));
    }
};

DIFFII_TEST_MAIN(TestProgress, None)
}  // namespace DIFFII_UNIT
#include "test_progress.moc"
