// The inference attention (core/models/attention.cpp) with its fused float32 softmax (core/models/attention_kernels.h)
// against attention computed in float64: shapes that split into blocks and lanes unevenly, large scores, NaN; and
// the kernel's exponential against std::exp over the whole range softmax uses.
#include <QtTest/QtTest>

#include <limits>

#include <cmath>
#include <cstring>

#include "core/models/attention.h"
#include "core/models/attention_kernels.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace {

torch::Tensor reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, double scale) {
    const auto qd = q.to(torch::kFloat64), kd = k.to(torch::kFloat64), vd = v.to(torch::kFloat64);
    return torch::bmm(torch::softmax(torch::bmm(qd, kd.transpose(1, 2)) * scale, -1), vd);
}

// 3 head-batches of 37 queries and 29 keys: blocks of 5 query rows leave a last one of 2.
struct BlockCase {
    int64_t bh = 3, n = 37, m = 29, d = 8;
    double scale = 1.0 / std::sqrt(8.0);
    torch::Tensor q, k, v;
    BlockCase() {
        torch::manual_seed(23);
        q = torch::randn({bh, n, d}) * 2;
        k = torch::randn({bh, m, d});
        v = torch::randn({bh, m, d});
    }
};

}  // namespace

class TestAttention : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void exponentialIsAccurate() {
        qInfo("attention kernel: %s", diffii::attentionKernelIsa());
        // Every 97th float in [-87, 0], by bit pattern: ~11 M values.
        double worst = 0;
        float worstAt = 0;
        const float limit = 87.0f;
        uint32_t last = 0;
        std::memcpy(&last, &limit, sizeof last);
        for (uint32_t bits = 0; bits <= last; bits += 97) {
            float magnitude;
            std::memcpy(&magnitude, &bits, sizeof magnitude);
            const float x = -magnitude;
            const double exact = std::exp(static_cast<double>(x));
            const double rel = std::abs(static_cast<double>(diffii::kernelExp(x)) - exact) / exact;
            if (rel > worst) {
                worst = rel;
                worstAt = x;
            }
        }
        qInfo("worst relative error %.3g at %.9g (float32 ulp: 1.19e-7)", worst, static_cast<double>(worstAt));
        QVERIFY2(worst < 3.0e-7, qPrintable(QString::number(worst)));
        QVERIFY(std::isnan(diffii::kernelExp(std::nanf(""))));
        QVERIFY(diffii::kernelExp(-1000.0f) < 1e-37f);
    }

    void matchesFloat64_data() {
        QTest::addColumn<int>("bh");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("d");
        QTest::addColumn<double>("spread");
        // Key counts around the kernel's 16 lanes, query counts around the score blocks (2^18 / keys rows each).
        QTest::newRow("one query, one key") << 2 << 1 << 1 << 8 << 1.0;
        QTest::newRow("15 keys") << 3 << 17 << 15 << 8 << 1.0;
        QTest::newRow("16 keys") << 3 << 33 << 16 << 40 << 1.0;
        QTest::newRow("cross 77") << 4 << 300 << 77 << 40 << 1.0;
        QTest::newRow("blocks of 254 rows") << 2 << 1100 << 1031 << 24 << 1.0;
        QTest::newRow("large scores") << 2 << 64 << 130 << 16 << 30.0;
    }

    void matchesFloat64() {
        QFETCH(int, bh);
        QFETCH(int, n);
        QFETCH(int, m);
        QFETCH(int, d);
        QFETCH(double, spread);
        torch::NoGradGuard noGrad;
        torch::manual_seed(n * 131 + m);
        const auto q = torch::randn({bh, n, d}) * spread, k = torch::randn({bh, m, d}), v = torch::randn({bh, m, d});
        const double scale = 1.0 / std::sqrt(double(d));
        const auto expected = reference(q, k, v, scale);
        const auto fused = diffii::scaledDotProductAttention(q, k, v, scale, false, false);
        // LibTorch's own float32 softmax attention: the error the fused form is held to.
        const auto plain = torch::bmm(torch::softmax(torch::bmm(q, k.transpose(1, 2)) * scale, -1), v);
        const double err = (fused.to(torch::kFloat64) - expected).abs().max().item<double>();
        const double plainErr = (plain.to(torch::kFloat64) - expected).abs().max().item<double>();
        qInfo("max |fused - float64| %.3g, LibTorch float32 softmax %.3g", err, plainErr);
        QVERIFY2(err <= 2.0 * plainErr + 2e-6, qPrintable(QString("fused %1, plain %2").arg(err).arg(plainErr)));
    }

    // The GPU's route (LibTorch's products, queries in blocks that bound the score memory), run here on the CPU: blocks
    // of 5 query rows and a last one of 2, a block budget under one row (one row a block), and the differentiable form
    // with its gradient.
    void queryBlocksMatchUnblocked() {
        const BlockCase c;
        const auto &q = c.q, &k = c.k, &v = c.v;
        const int64_t bh = c.bh, m = c.m, whole = std::numeric_limits<int64_t>::max();
        const double scale = c.scale;
        {
            torch::NoGradGuard noGrad;
            const auto expected = reference(q, k, v, scale);
            const auto unblocked = diffii::attentionInQueryBlocks(q, k, v, scale, false, whole);
            for (const int64_t budget : {bh * m * 5, int64_t(1)}) {
                const auto blocked = diffii::attentionInQueryBlocks(q, k, v, scale, false, budget);
                QCOMPARE(blocked.sizes(), unblocked.sizes());
                const double apart = (blocked - unblocked).abs().max().item<double>();
                QVERIFY2(apart <= 1e-6, qPrintable(QString("budget %1: %2 from unblocked").arg(budget).arg(apart)));
            }
            const double err = (unblocked.to(torch::kFloat64) - expected).abs().max().item<double>();
            QVERIFY2(err <= 1e-5, qPrintable(QString::number(err)));
        }
        // Under autograd through scaledDotProductAttention (concept learning's route): the same values, and q gets a
        // gradient.
        const auto qg = q.clone().requires_grad_(true);
        const auto out = diffii::scaledDotProductAttention(qg, k, v, scale);
        out.sum().backward();
        QVERIFY(qg.grad().defined());
        QVERIFY(torch::isfinite(qg.grad()).all().item<bool>());
        torch::NoGradGuard noGrad;
        QVERIFY((out - reference(q, k, v, scale).to(torch::kFloat32)).abs().max().item<double>() <= 1e-5);
    }

    // The same in bfloat16, q·k upcast or not.
    void queryBlocksInBFloat16() {
        DIFFII_REQUIRE_BF16_RUNS();
        torch::NoGradGuard noGrad;
        const BlockCase c;
        const auto &q = c.q, &k = c.k, &v = c.v;
        const int64_t bh = c.bh, m = c.m, whole = std::numeric_limits<int64_t>::max();
        const double scale = c.scale;
        const auto expected = reference(q, k, v, scale);
        for (const bool upcast : {false, true}) {
            const auto qb = q.to(torch::kBFloat16), kb = k.to(torch::kBFloat16), vb = v.to(torch::kBFloat16);
            const auto b = diffii::attentionInQueryBlocks(qb, kb, vb, scale, upcast, bh * m * 5);
            QCOMPARE(b.scalar_type(), torch::kBFloat16);
            const auto u = diffii::attentionInQueryBlocks(qb, kb, vb, scale, upcast, whole);
            // bfloat16 products of another shape may round differently: a few units in the last place (2^-8).
            const double apart = (b.to(torch::kFloat32) - u.to(torch::kFloat32)).abs().max().item<double>();
            QVERIFY2(apart <= 0.05, qPrintable(QString("bfloat16 upcast %1: %2").arg(upcast).arg(apart)));
            const double berr = (b.to(torch::kFloat64) - expected).abs().max().item<double>();
            QVERIFY2(berr <= 0.1, qPrintable(QString("bfloat16 upcast %1: %2 from float64").arg(upcast).arg(berr)));
        }
    }

    // Every version this CPU can run (AVX-512, AVX2, baseline) against float64 softmax, rows of 1 to 1,031 values.
    void everyVersionMatches() {
        torch::manual_seed(7);
        for (const int64_t cols : {1, 7, 8, 16, 33, 1031}) {
            const auto scores = torch::randn({5, cols}) * 4;
            const double scale = 0.37;
            const auto expected = torch::softmax(scores.to(torch::kFloat64) * scale, -1);
            int ran = 0;
            for (const char* isa : {"avx512", "avx2", "baseline"}) {
                auto work = scores.clone();
                auto inv = torch::empty({5});
                if (!diffii::expRowsInPlaceWith(isa, work.data_ptr<float>(), 5, cols, cols, float(scale),
                                                inv.data_ptr<float>()))
                    continue;
                ++ran;
                const auto probs = (work * inv.unsqueeze(1)).to(torch::kFloat64);
                const double err = (probs - expected).abs().max().item<double>();
                QVERIFY2(err < 1e-6, qPrintable(QString("%1, %2 values: %3").arg(isa).arg(cols).arg(err)));
            }
            QVERIFY(ran >= 1);
        }
    }

    // The GEGLU gate kernel in every compiled version against float64 GELU (erf): gates over [-12, 12] densely and
    // at the extremes, rows whose length leaves a scalar tail; the error bound is relative to max(1, |h gelu(g)|)
    // in the body and absolute in the negative tail (values below 1e-6 there).
    void gegluGateIsAccurate() {
        const int64_t inner = 1000 * 16 + 7, rows = 3;
        auto proj = torch::empty({rows, 2 * inner});
        proj.narrow(1, 0, inner).uniform_(-3, 3);
        proj.narrow(1, inner, inner).copy_(torch::linspace(-12, 12, rows * inner).view({rows, inner}));
        proj[1][inner] = 0.0f;
        proj[2][inner + 1] = -40.0f;
        proj[2][inner + 2] = 40.0f;
        const auto pd = proj.to(torch::kFloat64);
        const auto h = pd.narrow(1, 0, inner), g = pd.narrow(1, inner, inner);
        const auto expected = h * 0.5 * g * (1 + torch::erf(g / std::sqrt(2.0)));
        int ran = 0;
        for (const char* isa : {"avx512", "avx2", "baseline"}) {
            auto out = torch::empty({rows, inner});
            if (!diffii::gegluRowsWith(isa, proj.data_ptr<float>(), rows, inner, out.data_ptr<float>())) continue;
            ++ran;
            const auto err = (out.to(torch::kFloat64) - expected).abs() / expected.abs().clamp_min(1.0);
            const double worst = err.max().item<double>();
            qInfo("GEGLU gate, %s: worst error %.2e", isa, worst);
            QVERIFY2(worst < 2e-6, qPrintable(QString("%1: %2").arg(isa).arg(worst)));
            QVERIFY(torch::isfinite(out).all().item<bool>());
        }
        QVERIFY(ran >= 1);
    }

    void nanStaysInItsRow() {
        torch::NoGradGuard noGrad;
        auto q = torch::randn({1, 40, 8});
        const auto k = torch::randn({1, 50, 8}), v = torch::randn({1, 50, 8});
        q[0][7][3] = std::nan("");
        // 50 keys: the NaN row is met by the vector loop and by the scalar tail; 64 keys: by the vector loop only.
        for (const int64_t keys : {50, 64}) {
            const auto kk = k.narrow(1, 0, std::min<int64_t>(keys, 50)).repeat({1, 2, 1}).narrow(1, 0, keys);
            const auto vv = v.narrow(1, 0, std::min<int64_t>(keys, 50)).repeat({1, 2, 1}).narrow(1, 0, keys);
            const auto out = diffii::scaledDotProductAttention(q, kk, vv, 0.35, false, false);
            QVERIFY(torch::isnan(out[0][7]).all().item<bool>());
            QCOMPARE(torch::isnan(out).sum().item<int64_t>(), int64_t(8));
        }
    }

    // The cross-attention cache (CrossAttentionCache): the same output as without it; a hit only for the very same
    // context (a view of the same memory counts, another tensor with equal shape does not); nothing kept after the
    // scope, and nothing under autograd.
    void crossAttentionCacheReusesOnlyTheSameContext() {
        torch::manual_seed(3);
        diffii::AttentionOptions o;
        o.queryDim = 16;
        o.crossAttentionDim = 12;
        o.heads = 2;
        o.dimHead = 8;
        diffii::Attention attn(o);
        const auto x = torch::randn({2, 9, 16});
        const auto context = torch::randn({2, 5, 12}), other = torch::randn({2, 5, 12});
        torch::Tensor expected, expectedOther, expectedHalf;
        {
            torch::NoGradGuard noGrad;
            expected = attn(x, context);
            expectedOther = attn(x, other);
            expectedHalf = attn(x.narrow(0, 1, 1), context.narrow(0, 1, 1));
        }
        int keyCalls = 0;
        attn->setProjectionHook(diffii::AttentionImpl::Key, [&](const torch::Tensor& in) {
            ++keyCalls;
            return torch::zeros({in.size(0), in.size(1), o.heads * o.dimHead});
        });
        {
            torch::NoGradGuard noGrad;
            diffii::CrossAttentionCache cache(*attn);
            QVERIFY(torch::equal(attn(x, context), expected));
            QCOMPARE(keyCalls, 1);
            QVERIFY(torch::equal(attn(x, context), expected));  // cached
            QCOMPARE(keyCalls, 1);
            QVERIFY(torch::equal(attn(x, other), expectedOther));  // equal shape, other memory: projected
            QCOMPARE(keyCalls, 2);
            // A half of the guidance batch: a view of the same memory at another offset is another context.
            QVERIFY(torch::allclose(attn(x.narrow(0, 1, 1), context.narrow(0, 1, 1)), expectedHalf, 1e-6, 1e-6));
            QCOMPARE(keyCalls, 3);
            (void)attn(x.narrow(0, 1, 1), context.narrow(0, 1, 1));  // a new view of it: cached
            QCOMPARE(keyCalls, 3);
            torch::GradMode::set_enabled(true);
            (void)attn(x, context);  // autograd: never from the cache
            torch::GradMode::set_enabled(false);
            QCOMPARE(keyCalls, 4);
        }
        torch::NoGradGuard noGrad;
        (void)attn(x, context);  // the scope is gone: projected again
        QCOMPARE(keyCalls, 5);
        // The self-attention of a block has nothing to cache: the same module type without a context dimension.
        diffii::AttentionOptions self = o;
        self.crossAttentionDim = 0;
        diffii::Attention selfAttn(self);
        int selfCalls = 0;
        selfAttn->setProjectionHook(diffii::AttentionImpl::Key, [&](const torch::Tensor& in) {
            ++selfCalls;
            return torch::zeros({in.size(0), in.size(1), o.heads * o.dimHead});
        });
        diffii::CrossAttentionCache cache(*selfAttn);
        (void)selfAttn(x);
        (void)selfAttn(x);
        QCOMPARE(selfCalls, 2);
    }
};

DIFFII_TEST_MAIN(TestAttention, Core)
}  // namespace DIFFII_UNIT
#include "test_attention.moc"
