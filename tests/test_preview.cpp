// The engine's preview (core/diffii/preview.h) on the demo project (shipped concepts and pool): a sequence of
// slider moves gives bit-identical images with and without reuse, reuse skips exactly the steps a change of s or
// suffix leaves alone, prompt embeddings are encoded once, and the strip and sweep come from the same renderer.
#include <QtTest/QtTest>

#include <filesystem>

#include "core/demo/demo.h"
#include "core/diffii/circle_math.h"
#include "core/diffii/preview.h"
#include "core/engine/session.h"
#include "core/models/stable_diffusion.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace fs = std::filesystem;

namespace {

struct Move {
    const char* what;
    double split;
    const char* suffix;
    double alpha;
};

// s 0.3 -> 0.5 -> 0.7, a suffix change, an α change, and back to an earlier s.
const Move kMoves[] = {{"first", 0.3, ", flat emoji", 0.4},    {"s 0.5", 0.5, ", flat emoji", 0.4},
                       {"s 0.7", 0.7, ", flat emoji", 0.4},    {"suffix", 0.7, ", outline emoji", 0.4},
                       {"alpha", 0.7, ", outline emoji", 1.3}, {"s 0.3", 0.3, ", outline emoji", 1.3}};

}  // namespace

class TestPreview : public QObject {
    Q_OBJECT

    std::string m_tmp;
    std::unique_ptr<diffii::ProjectSession> m_session;

    diffii::PreviewParams params(const Move& m) const {
        diffii::PreviewParams p;
        p.className = "penguin";
        p.first = 0;
        p.second = 1;
        p.alpha = m.alpha;
        p.suffix = m.suffix;
        p.denoise.steps = 10;
        p.denoise.guidance = 2.0;
        p.denoise.split = m.split;
        return p;
    }

private Q_SLOTS:
    void initTestCase() {
        m_tmp = diffii::test::makeTempDir("preview");
        const auto dir = diffii::prepareDemoProject(m_tmp + "/project", diffii::locateDemoResources());
        m_session = diffii::ProjectSession::open(dir);
        QVERIFY(m_session->hasConcepts());
    }
    void cleanupTestCase() {
        m_session.reset();
        fs::remove_all(m_tmp);
    }

    void reuseIsBitIdenticalAndSkipsSharedSteps() {
        auto& renderer = m_session->previewRenderer();
        std::vector<diffii::Image> cached, uncached;
        std::vector<int> reused;
        renderer.setReuse(true);
        renderer.clear();
        for (const auto& m : kMoves) {
            const auto r = m_session->preview(params(m));
            QCOMPARE(r.reusedSteps + r.computedSteps, 10);
            cached.push_back(r.image);
            reused.push_back(r.reusedSteps);
        }
        const int64_t encodings = renderer.promptEncodings();
        renderer.setReuse(false);
        for (const auto& m : kMoves) {
            const auto r = m_session->preview(params(m));
            QCOMPARE(r.reusedSteps, 0);
            uncached.push_back(r.image);
        }
        renderer.setReuse(true);
        for (size_t i = 0; i < cached.size(); ++i) QVERIFY2(cached[i] == uncached[i], kMoves[i].what);
        // The steps each move shares with the one before: s up keeps the steps that were suffixed at the smaller
        // s; a suffix change shares nothing (every step above the threshold changes prompt, and the first is one);
        // an α change starts elsewhere; s down keeps the steps still suffixed.
        const auto& cfg = m_session->model().schedulerConfig();
        auto suffixedCount = [&](double s) {
            diffii::DenoiseSettings d;
            d.steps = 10;
            d.split = s;
            int n = 0;
            for (bool b : diffii::suffixedSteps(cfg, d)) n += b;
            return n;
        };
        QCOMPARE(reused[0], 0);
        QCOMPARE(reused[1], suffixedCount(0.3));
        QCOMPARE(reused[2], suffixedCount(0.5));
        QVERIFY(reused[1] > 0 && reused[2] > reused[1]);
        QCOMPARE(reused[3], 0);
        QCOMPARE(reused[4], 0);
        QCOMPARE(reused[5], suffixedCount(0.3));
        // Prompts: the plain prompt once, one suffixed prompt per suffix.
        QCOMPARE(encodings, int64_t{2});
        // Different moves give different images (the test would pass trivially otherwise).
        QVERIFY(!(cached[0] == cached[1]));
        QVERIFY(!(cached[2] == cached[3]));
    }

    // Draft previews (a large model's; here the demo model made "large" by the policy): marked, fewer steps at a
    // subsampled latent, the s reuse still applies, and the full render is the ordinary preview.
    void draftIsMarkedSmallerAndReusesSteps() {
        auto& renderer = m_session->previewRenderer();
        renderer.clear();
        const auto full = m_session->preview(params(kMoves[0]));
        QVERIFY(!full.draft);  // the demo model is below the draft threshold
        QCOMPARE(full.steps, 10);
        diffii::DraftPolicy policy;
        policy.minParameters = 0;
        policy.maxLatentSide = 8;  // demo latents are 16x16
        policy.minLatentSide = 8;
        policy.minSteps = 3;
        policy.maxSteps = 4;
        policy.budgetSeconds = 0.0;  // nothing fits: the fewest steps at the smallest side
        const auto saved = renderer.draftPolicy();
        renderer.setDraftPolicy(policy);
        renderer.clear();
        const auto d1 = m_session->preview(params(kMoves[1]));
        const auto d2 = m_session->preview(params(kMoves[2]));  // s 0.5 -> 0.7: the first step stays suffixed
        auto asked = params(kMoves[2]);
        asked.fullRender = true;
        const auto fullAgain = m_session->preview(asked);
        renderer.setDraftPolicy(saved);
        renderer.clear();
        QVERIFY(d1.draft && d2.draft);
        QCOMPARE(d1.steps, 3);
        QCOMPARE(d1.computedSteps, 3);
        QCOMPARE(d1.image.width * 2, full.image.width);  // 8x8 latents instead of 16x16
        QCOMPARE(d1.image.height * 2, full.image.height);
        QVERIFY(d2.reusedSteps > 0);  // the s reuse applies to drafts
        QCOMPARE(d2.reusedSteps + d2.computedSteps, 3);
        QVERIFY(!fullAgain.draft);
        QCOMPARE(fullAgain.steps, 10);
        QCOMPARE(fullAgain.image.width, full.image.width);
    }

    void stripAndSweepUseTheSameRenderer() {
        auto p = params(kMoves[0]);
        const auto strip = m_session->circleStrip(p, 4);
        QCOMPARE(strip.size(), size_t{4});
        QCOMPARE(strip[0].alpha, 0.0);
        QVERIFY(std::abs(strip[2].alpha - diffii::alphaForTurn(strip[0].theta, 0.5)) < 1e-12);
        // The strip's image at α equals a preview at that α.
        p.alpha = strip[2].alpha;
        QVERIFY(m_session->preview(p).image == strip[2].image);
        const auto points = m_session->splitSweep(p, {0.3, 0.7}, 2);
        QCOMPARE(points.size(), size_t{2});
        for (const auto& pt : points) {
            QVERIFY(pt.sourceSimilarity > -1.0 && pt.sourceSimilarity <= 1.0);
            QVERIFY(pt.diversity > 0.0);
        }
        // Point by point: each s reported with its samples as soon as they are rendered, the same numbers as the
        // result; with firstAtAlpha the first sample is the preview at p.alpha (the GUI's image per s).
        std::vector<int> order, reusedAtSecond;
        std::vector<diffii::PreviewImage> firstImages;
        const auto progressive = m_session->splitSweep(
            p, {0.3, 0.7}, 2, nullptr,
            [&](int i, const diffii::SplitSweepPoint& pt, const std::vector<diffii::PreviewImage>& images) {
                order.push_back(i);
                QCOMPARE(images.size(), size_t{2});
                QCOMPARE(pt.split, i == 0 ? 0.3 : 0.7);
                firstImages.push_back(images.front());
                if (i == 1)
                    for (const auto& image : images) reusedAtSecond.push_back(image.reusedSteps);
            },
            true);
        QCOMPARE(order, (std::vector<int>{0, 1}));
        QCOMPARE(progressive.size(), size_t{2});
        QCOMPARE(firstImages[0].alpha, p.alpha);
        auto at = p;
        at.denoise.split = 0.7;
        QVERIFY(m_session->preview(at).image == firstImages[1].image);
        // Rendered s by s, every sample still continues its own α's trajectory of the previous s: at s = 0.7 each
        // sample reuses the steps that s = 0.3 suffixed too.
        diffii::DenoiseSettings d = p.denoise;
        d.split = 0.3;
        int shared = 0;
        for (bool b : diffii::suffixedSteps(m_session->model().schedulerConfig(), d)) shared += b;
        QVERIFY(shared > 0);
        QCOMPARE(reusedAtSecond, (std::vector<int>{shared, shared}));
        QCOMPARE(m_session->previewRenderer().keptTrajectories(), 1);  // restored after the sweep
    }

    void cancellingFromTheStepCallbackCachesNothing() {
        auto p = params(kMoves[0]);
        p.intermediateEvery = 2;
        p.alpha = 2.2;
        int intermediates = 0;
        auto cb = [&](int step, int, const diffii::Image& image) {
            if (!image.empty()) ++intermediates;
            if (step == 5) throw diffii::Cancelled();
        };
        QVERIFY_THROWS_EXCEPTION(diffii::Cancelled, m_session->preview(p, nullptr, cb));
        QCOMPARE(intermediates, 3);  // after steps 2, 4 and 6 (indices 1, 3, 5)
        const auto r = m_session->preview(p);
        QCOMPARE(r.reusedSteps, 0);  // the abandoned run was not kept
    }
};

DIFFII_TEST_MAIN(TestPreview, None)
}  // namespace DIFFII_UNIT
#include "test_preview.moc"
