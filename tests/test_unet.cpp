// UNet2DConditionModel against the diffusers 0.25.1 goldens of tiny-sd1-io (float32 and bfloat16), and the errors
// for unsupported configs and mismatching checkpoints.
#include <QtTest/QtTest>

#include <array>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/models/attention_kernels.h"
#include "core/models/layers.h"
#include "core/models/state_dict.h"
#include "core/models/unet_2d_condition.h"
#include "core/models/winograd.h"
#include "core/models/winograd_kernels.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::UNet2DConditionConfig;
using diffii::UNet2DConditionModel;

namespace {

using diffii::test::expectError;

const double kFloat32Tolerance = 1e-4;
// Measured max-abs-diff of the bfloat16 model against the float32 goldens (outputs up to |1.9|), 2 threads,
// AVX-512-BF16 CPU: square_b2 0.0184, nonsquare_b1 0.0177, odd_b1 0.0164 (bfloat16 softmax; with a float32 softmax
// 0.0246 / 0.0175 / 0.0200, i.e. no gain). The bound leaves room for CPUs without native bfloat16 instructions.
const double kBFloat16Tolerance = 0.05;

std::string unetDir() { return diffii::test::fixture("tiny-sd1/unet"); }

// The first UNet golden (tiny-sd1-io/unet_*) whose sample has that batch size.
std::string goldenWithBatch(int64_t batch) {
    for (const auto& stem : diffii::test::fixtureCases("tiny-sd1-io", "unet_")) {
        const std::string path = diffii::test::fixture("tiny-sd1-io/" + stem + ".safetensors");
        if (diffii::SafeTensorsFile(path).info("sample").shape.at(0) == batch) return path;
    }
    throw std::runtime_error("no UNet golden of batch " + std::to_string(batch) + " in tiny-sd1-io");
}

UNet2DConditionModel loadTinyUnet() {
    UNet2DConditionModel unet(UNet2DConditionConfig::fromFile(unetDir() + "/config.json"));
    diffii::loadStateDict(*unet, {unetDir() + "/diffusion_pytorch_model.safetensors"});
    unet->eval();
    return unet;
}

}  // namespace

class TestUnet : public QObject {
    Q_OBJECT

private:
    UNet2DConditionModel m_unet{nullptr};
    std::string m_dir;

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        torch::set_num_threads(2);
        m_dir = diffii::test::makeTempDir("unet");
        m_unet = loadTinyUnet();
    }
    void cleanupTestCase() { std::filesystem::remove_all(m_dir); }

    void readsConfig() {
        // Against config.json (diffusers' per-block values: a number for every block, or a list) and the weights
        // file (its tensors are exactly the model's state dict).
        const auto c = m_unet->config();
        const auto json = diffii::readJsonFile(unetDir() + "/config.json");
        const auto channels = json.at("block_out_channels").get<std::vector<int64_t>>();
        auto perBlock = [&](const char* key) {
            const auto& v = json.at(key);
            return v.is_array() ? v.get<std::vector<int64_t>>()
                                : std::vector<int64_t>(channels.size(), v.get<int64_t>());
        };
        QCOMPARE(c.blockOutChannels, channels);
        // SD 1.x/2.x configs name the head count attention_head_dim (num_attention_heads null): diffusers' legacy.
        const bool namedHeads = json.contains("num_attention_heads") && !json.at("num_attention_heads").is_null();
        QCOMPARE(c.numAttentionHeads, perBlock(namedHeads ? "num_attention_heads" : "attention_head_dim"));
        QCOMPARE(c.crossAttentionDim, perBlock("cross_attention_dim"));
        QCOMPARE(c.layersPerBlock, perBlock("layers_per_block"));
        QCOMPARE(c.normNumGroups, json.at("norm_num_groups").get<int64_t>());
        const std::string weights = unetDir() + "/diffusion_pytorch_model.safetensors";
        QCOMPARE(diffii::parameterCount(*m_unet), diffii::test::safetensorsValueCount(weights));
        QCOMPARE(diffii::stateDictShapes(*m_unet).size(), diffii::test::safetensorsTensorCount(weights));
    }

    void matchesGolden_data() {
        QTest::addColumn<QString>("name");
        for (const auto& stem : diffii::test::fixtureCases("tiny-sd1-io", "unet_"))
            QTest::newRow(stem.c_str()) << QString::fromStdString(stem);
    }
    void matchesGolden() {
        QFETCH(QString, name);
        torch::NoGradGuard noGrad;
        diffii::SafeTensorsFile f(diffii::test::fixture("tiny-sd1-io/" + name.toStdString() + ".safetensors"));
        diffii::TensorMap inter;
        const auto out =
            m_unet->forward(f.tensor("sample"), f.tensor("timestep"), f.tensor("encoder_hidden_states"), &inter);
        DIFFII_COMPARE_TENSORS(out, f.tensor("out"), kFloat32Tolerance, name.toStdString() + " out");
        // Without intermediates, one timestep for a batch embeds once (a single row for every entry).
        const auto plain = m_unet->forward(f.tensor("sample"), f.tensor("timestep"), f.tensor("encoder_hidden_states"));
        DIFFII_COMPARE_TENSORS(plain, f.tensor("out"), kFloat32Tolerance,
                               name.toStdString() + " out, no intermediates");
        int compared = 0;
        for (const auto& key : f.keys()) {
            if (key.rfind("intermediate.", 0) != 0) continue;
            const std::string module = key.substr(std::strlen("intermediate."));
            QVERIFY2(inter.count(module), ("no intermediate " + module).c_str());
            DIFFII_COMPARE_TENSORS(inter.at(module), f.tensor(key), kFloat32Tolerance, name.toStdString() + " " + key);
            ++compared;
        }
        qInfo("%s: out and %d intermediates compared", qPrintable(name), compared);
    }

    // Convolution weights packed for oneDNN (core/models/layers.h): the goldens still match, in no-grad and inference
    // mode; the packed convolutions free their dense weights; a call with autograd and unpackConvWeights put back
    // the very same values; packing not allowed never packs; a large input keeps a small weight dense.
    void packedConvolutionsMatchGoldens_data() { matchesGolden_data(); }
    void packedConvolutionsMatchGoldens() {
        if (!at::hasMKLDNN()) QSKIP("LibTorch without oneDNN: nothing is packed");
        QFETCH(QString, name);
        auto unet = loadTinyUnet();
        std::map<std::string, torch::Tensor> before;
        for (const auto& p : unet->named_parameters(true)) before[p.key()] = p.value().clone();
        diffii::SafeTensorsFile f(diffii::test::fixture("tiny-sd1-io/" + name.toStdString() + ".safetensors"));
        const auto sample = f.tensor("sample"), t = f.tensor("timestep"), ehs = f.tensor("encoder_hidden_states");
        const auto countPacked = [&] {
            int n = 0;
            for (const auto& m : unet->modules())
                if (const auto* c = m->as<diffii::Conv2dImpl>()) n += c->packed() ? 1 : 0;
            return n;
        };
        torch::Tensor dense;
        {
            torch::NoGradGuard noGrad;
            dense = unet->forward(sample, t, ehs);  // packing not allowed yet
        }
        QCOMPARE(countPacked(), 0);
        diffii::setConvPacking(*unet, true);
        {
            torch::NoGradGuard noGrad;
            const auto out = unet->forward(sample, t, ehs);
            DIFFII_COMPARE_TENSORS(out, f.tensor("out"), kFloat32Tolerance, name.toStdString() + " packed out");
            DIFFII_COMPARE_TENSORS(out, dense, 1e-5, name.toStdString() + " packed vs dense");
        }
        const int packed = countPacked();
        QVERIFY2(packed > 0, "no convolution was packed");
        int emptied = 0;
        for (const auto& m : unet->modules())
            if (const auto* c = m->as<diffii::Conv2dImpl>(); c && c->packed()) emptied += c->weight.numel() == 0;
        QCOMPARE(emptied, packed);  // the dense copies were freed
        {
            c10::InferenceMode inference;
            const auto out = unet->forward(sample, t, ehs);
            DIFFII_COMPARE_TENSORS(out, f.tensor("out"), kFloat32Tolerance, name.toStdString() + " inference out");
        }
        // Autograd: the call unpacks and the gradient reaches the input.
        const auto x = sample.clone().requires_grad_(true);
        unet->forward(x, t, ehs).sum().backward();
        QVERIFY(x.grad().defined() && x.grad().abs().sum().item<double>() > 0);
        QCOMPARE(countPacked(), 0);
        for (const auto& p : unet->named_parameters(true))
            QVERIFY2(torch::equal(p.value(), before.at(p.key())), (p.key() + " changed by packing").c_str());
        {
            torch::NoGradGuard noGrad;
            unet->forward(sample, t, ehs);
        }
        QCOMPARE(countPacked(), packed);
        diffii::unpackConvWeights(*unet);
        QCOMPARE(countPacked(), 0);
        for (const auto& p : unet->named_parameters(true))
            QVERIFY2(torch::equal(p.value(), before.at(p.key())), (p.key() + " changed by unpacking").c_str());
        diffii::setConvPacking(*unet, false);
        {
            torch::NoGradGuard noGrad;
            unet->forward(sample, t, ehs);
        }
        QCOMPARE(countPacked(), 0);
    }

    void packsOnlyWhereItPays() {
        if (!at::hasMKLDNN()) QSKIP("LibTorch without oneDNN: nothing is packed");
        torch::manual_seed(3);
        diffii::Conv2d conv(torch::nn::Conv2dOptions(8, 8, 3).padding(1));  // 576 weights
        diffii::setConvPacking(*conv, true);
        torch::NoGradGuard noGrad;
        const auto large = torch::randn({1, 8, 16, 16}), small = torch::randn({1, 8, 4, 4});
        const auto expectLarge = torch::conv2d(large, conv->weight, conv->bias, 1, 1);
        QVERIFY(torch::allclose(conv(large), expectLarge, 1e-5, 1e-5));
        QVERIFY(!conv->packed());  // 2,048 input values: the weight's reorder is the cheaper part
        const auto expectSmall = torch::conv2d(small, conv->weight, conv->bias, 1, 1);
        QVERIFY(torch::allclose(conv(small), expectSmall, 1e-5, 1e-5));
        QVERIFY(conv->packed());
        QVERIFY(torch::allclose(conv(large), expectLarge, 1e-5, 1e-5));  // packed serves every size after
        conv->unpack();
        QCOMPARE(conv->weight.numel(), int64_t(576));
        QVERIFY(torch::allclose(conv(small), expectSmall, 1e-5, 1e-5));
    }

    // Winograd's F(2x2, 3x3) against the float64 direct convolution: even and odd sides, batches, one channel, with
    // and without bias; through diffii::Conv2d too (its inference path for 3x3 convolutions), with a channel offset,
    // and the dense weight left as it was.
    void winogradMatchesFloat64() {
        struct Case {
            int64_t n, cin, cout, h, w;
        };
        const std::vector<Case> cases = {
            {1, 48, 48, 16, 16}, {2, 96, 48, 8, 8}, {1, 3, 5, 7, 9}, {2, 1, 1, 1, 1}, {1, 32, 64, 33, 10}};
        for (const char* isa : {"avx512", "avx2", "baseline"}) {
            if (!diffii::attentionKernelRunsHere(isa)) continue;
            const char* before = diffii::winogradUseIsaForTest(isa);
            torch::manual_seed(5);
            for (const auto& c : cases) {
                for (const bool bias : {true, false}) {
                    const auto x = torch::randn({c.n, c.cin, c.h, c.w});
                    const auto w = torch::randn({c.cout, c.cin, 3, 3}) / std::sqrt(9.0 * double(c.cin));
                    const auto b = bias ? torch::randn({c.cout}) : torch::Tensor();
                    const auto ref = torch::conv2d(x.to(torch::kFloat64), w.to(torch::kFloat64),
                                                   bias ? b.to(torch::kFloat64) : torch::Tensor(), 1, 1);
                    const auto y = diffii::winogradConv3x3(x, diffii::winogradKernel(w), b);
                    QCOMPARE(y.sizes(), ref.sizes());
                    const auto direct = torch::conv2d(x, w, b, 1, 1);
                    const double err = (y.to(torch::kFloat64) - ref).abs().max().item<double>();
                    const double directErr = (direct.to(torch::kFloat64) - ref).abs().max().item<double>();
                    // float32 sums of 9 cin products: the direct convolution's error, with room for the transforms
                    QVERIFY2(err < std::max(4 * directErr, 1e-6),
                             qPrintable(QString("%1: %2x%3->%4 %5x%6: %7 (direct %8)")
                                            .arg(isa)
                                            .arg(c.n)
                                            .arg(c.cin)
                                            .arg(c.cout)
                                            .arg(c.h)
                                            .arg(c.w)
                                            .arg(err)
                                            .arg(directErr)));
                }
            }
            diffii::winogradUseIsaForTest(before);
        }
        {
            // Without oneDNN's sgemm (LibTorch's bmm for the products): on one thread, and a large product on two
            // (the phase-parallel route).
            const bool before = diffii::winogradWithoutOnednnForTest(true);
            const int threads = at::get_num_threads();
            for (const auto& [t, c] : {std::pair<int, Case>{1, {2, 48, 40, 16, 15}}, {2, {2, 128, 128, 48, 48}}}) {
                at::set_num_threads(t);
                const auto x = torch::randn({c.n, c.cin, c.h, c.w});
                const auto w = torch::randn({c.cout, c.cin, 3, 3}) / std::sqrt(9.0 * double(c.cin));
                const auto b = torch::randn({c.cout});
                const auto ref =
                    torch::conv2d(x.to(torch::kFloat64), w.to(torch::kFloat64), b.to(torch::kFloat64), 1, 1);
                const double err = (diffii::winogradConv3x3(x, diffii::winogradKernel(w), b).to(torch::kFloat64) - ref)
                                       .abs()
                                       .max()
                                       .item<double>();
                const double directErr =
                    (torch::conv2d(x, w, b, 1, 1).to(torch::kFloat64) - ref).abs().max().item<double>();
                QVERIFY2(
                    err < std::max(4 * directErr, 1e-6),
                    qPrintable(QString("without oneDNN, %1 threads: %2 (direct %3)").arg(t).arg(err).arg(directErr)));
            }
            at::set_num_threads(threads);
            diffii::winogradWithoutOnednnForTest(before);
        }
        // Through diffii::Conv2d on a thread computing alone (where it takes this route), with a channel offset; the
        // dense weight stays as it was.
        const int threads = at::get_num_threads();
        at::set_num_threads(1);
        diffii::Conv2d conv(torch::nn::Conv2dOptions(64, 64, 3).padding(1));
        diffii::setConvPacking(*conv, true);
        const auto weight = conv->weight.clone();
        {
            torch::NoGradGuard noGrad;
            const auto x = torch::randn({2, 64, 16, 15}), offset = torch::randn({64});
            const auto ref = torch::conv2d(x.to(torch::kFloat64), weight.to(torch::kFloat64),
                                           (conv->bias + offset).to(torch::kFloat64), 1, 1);
            const double err = (conv(x, offset).to(torch::kFloat64) - ref).abs().max().item<double>();
            QVERIFY2(err < 1e-5, qPrintable(QString::number(err)));
        }
        at::set_num_threads(threads);
        QVERIFY(conv->winogradReady() || !diffii::winogradWanted());
        {
            // A large product on the compute threads (the route of SD 1.5's convolutions): its kernel made per
            // call in float32 (winogradKernelNow), none kept.
            torch::NoGradGuard noGrad;
            at::set_num_threads(2);
            diffii::Conv2d large(torch::nn::Conv2dOptions(128, 128, 3).padding(1));
            diffii::setConvPacking(*large, true);
            const auto x = torch::randn({2, 128, 48, 48});  // 128 x 128 channels x 1,152 tiles: over 2^24
            const auto direct = torch::conv2d(x, large->weight, large->bias, 1, 1);
            const auto ref = torch::conv2d(x.to(torch::kFloat64), large->weight.to(torch::kFloat64),
                                           large->bias.to(torch::kFloat64), 1, 1);
            const auto y = large(x);
            at::set_num_threads(threads);
            const double err = (y.to(torch::kFloat64) - ref).abs().max().item<double>();
            const double directErr = (direct.to(torch::kFloat64) - ref).abs().max().item<double>();
            QVERIFY2(err < std::max(4 * directErr, 1e-6),
                     qPrintable(QString("%1 (direct %2)").arg(err).arg(directErr)));
            QVERIFY(!large->winogradReady());
            if (diffii::winogradWanted()) QVERIFY(!torch::equal(y, direct));  // it took the Winograd route
            const auto w = torch::randn({24, 40, 3, 3});
            const double kernelErr =
                (diffii::winogradKernelNow(w) - diffii::winogradKernel(w)).abs().max().item<double>();
            QVERIFY2(kernelErr < 1e-5, qPrintable(QString::number(kernelErr)));
        }
        diffii::unpackConvWeights(*conv);
        QVERIFY(!conv->winogradReady());
        QVERIFY(torch::equal(conv->weight, weight));
    }

    // linearRows on every route (small products through oneDNN's sgemm where it pays, oneDNN's 1x1 convolution for
    // large ones, torch::linear otherwise) against float64, with and without bias, on 2- and 3-d inputs; with
    // autograd it stays differentiable.
    void linearRowsMatchesFloat64() {
        torch::manual_seed(11);
        const std::vector<std::array<int64_t, 3>> shapes = {{64, 96, 96}, {64, 96, 768}, {16, 512, 128},
                                                            {7, 5, 3},    {1, 128, 512}, {2048, 320, 320}};
        for (const auto& [rows, in, out] : shapes) {
            for (const bool bias : {true, false}) {
                torch::nn::Linear lin(torch::nn::LinearOptions(in, out).bias(bias));
                const auto x = torch::randn({2, rows, in});
                torch::Tensor y;
                {
                    torch::NoGradGuard noGrad;
                    y = diffii::linearRows(lin, x);
                }
                auto ref = torch::matmul(x.to(torch::kFloat64), lin->weight.to(torch::kFloat64).t());
                if (bias) ref = ref + lin->bias.to(torch::kFloat64);
                QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{2, rows, out}));
                const double err = (y.to(torch::kFloat64) - ref).abs().max().item<double>();
                QVERIFY2(err < 1e-4, qPrintable(QString("%1 x %2 -> %3: %4").arg(rows).arg(in).arg(out).arg(err)));
                const auto flat = diffii::linearRows(lin, x[0].detach());
                QVERIFY(flat.requires_grad());  // autograd: torch::linear
                QVERIFY(torch::allclose(flat, y[0], 1e-4, 1e-4));
                // One row (a time embedding): the parameters stay as they were, call after call.
                const auto weight = lin->weight.clone();
                const auto biasBefore = bias ? lin->bias.clone() : torch::Tensor();
                torch::NoGradGuard noGrad;
                const auto once = diffii::linearRows(lin, x[0][0]), twice = diffii::linearRows(lin, x[0][0]);
                QVERIFY(torch::equal(once, twice));
                QVERIFY(torch::equal(lin->weight, weight));
                if (bias) QVERIFY(torch::equal(lin->bias, biasBefore));
            }
        }
    }

    void timestepDtypesAgree() {
        torch::NoGradGuard noGrad;
        diffii::SafeTensorsFile f(goldenWithBatch(1));
        const auto t = f.tensor("timestep");
        const auto a = m_unet->forward(f.tensor("sample"), t, f.tensor("encoder_hidden_states"));
        const auto b =
            m_unet->forward(f.tensor("sample"), t.to(torch::kFloat32).reshape({1}), f.tensor("encoder_hidden_states"));
        const auto c = m_unet->forward(f.tensor("sample"), t.to(torch::kInt32), f.tensor("encoder_hidden_states"));
        QVERIFY(torch::equal(a, b));
        QVERIFY(torch::equal(a, c));
    }

    // One timestep for a batch of two (a single embedding row added through the convolutions' bias) against the
    // same timestep given per entry (a row each).
    void oneTimestepForABatch() {
        torch::NoGradGuard noGrad;
        diffii::SafeTensorsFile f(goldenWithBatch(2));
        const auto sample = f.tensor("sample"), ehs = f.tensor("encoder_hidden_states");
        QCOMPARE(sample.size(0), int64_t(2));
        const auto t = torch::tensor(int64_t(421));
        const auto once = m_unet->forward(sample, t, ehs);
        const auto each = m_unet->forward(sample, torch::tensor({int64_t(421), int64_t(421)}), ehs);
        DIFFII_COMPARE_TENSORS(once, each, kFloat32Tolerance, "one timestep against one per entry");
        const auto other = m_unet->forward(sample, torch::tensor({int64_t(421), int64_t(17)}), ehs);
        QVERIFY(!torch::allclose(other[1], each[1], 1e-3, 1e-3));  // the second entry's own timestep counts
        DIFFII_COMPARE_TENSORS(other[0], each[0], kFloat32Tolerance, "first entry, same timestep");
    }

    void matchesGoldenInBFloat16_data() { matchesGolden_data(); }
    void matchesGoldenInBFloat16() {
        DIFFII_REQUIRE_NATIVE_BF16();
        QFETCH(QString, name);
        torch::NoGradGuard noGrad;
        auto unet = loadTinyUnet();
        diffii::toComputeDtype(*unet, torch::kBFloat16);
        QCOMPARE(unet->dtype(), torch::kBFloat16);
        QCOMPARE(unet->conv_norm_out->weight.scalar_type(), torch::kFloat32);  // norms stay float32
        diffii::SafeTensorsFile f(diffii::test::fixture("tiny-sd1-io/" + name.toStdString() + ".safetensors"));
        const auto out = unet->forward(f.tensor("sample"), f.tensor("timestep"), f.tensor("encoder_hidden_states"));
        QCOMPARE(out.scalar_type(), torch::kBFloat16);
        DIFFII_COMPARE_TENSORS(out, f.tensor("out"), kBFloat16Tolerance, name.toStdString() + " bf16 out");
    }

    void rejectsUnknownBlockType() {
        auto j = diffii::readJsonFile(unetDir() + "/config.json");
        j["down_block_types"][1] = "FooBlock2D";
        const std::string path = m_dir + "/config.json";
        std::ofstream(path) << j.dump(2);
        expectError([&] { UNet2DConditionConfig::fromFile(path); },
                    {path, "down_block_types[1]", "'FooBlock2D'", "CrossAttnDownBlock2D"});

        auto j2 = diffii::readJsonFile(unetDir() + "/config.json");
        j2["up_block_types"][3] = "AttnUpBlock2D";
        expectError([&] { UNet2DConditionConfig::fromJson(j2, "unet/config.json"); },
                    {"unet/config.json", "up_block_types[3]", "'AttnUpBlock2D'"});
        auto j3 = diffii::readJsonFile(unetDir() + "/config.json");
        j3["mid_block_type"] = "UNetMidBlock2DSimpleCrossAttn";
        expectError([&] { UNet2DConditionConfig::fromJson(j3, "unet/config.json"); },
                    {"mid_block_type", "'UNetMidBlock2DSimpleCrossAttn'"});
    }

    void rejectsUnsupportedOptions() {
        const auto base = diffii::readJsonFile(unetDir() + "/config.json");
        auto j = base;
        j["class_embed_type"] = "timestep";
        expectError([&] { UNet2DConditionConfig::fromJson(j, "c.json"); }, {"c.json", "class_embed_type", "timestep"});
        j = base;
        j["addition_embed_type"] = "text_time";
        expectError([&] { UNet2DConditionConfig::fromJson(j, "c.json"); }, {"addition_embed_type", "text_time"});
        j = base;
        j["dual_cross_attention"] = true;
        expectError([&] { UNet2DConditionConfig::fromJson(j, "c.json"); }, {"dual_cross_attention", "true"});
        j = base;
        j["resnet_time_scale_shift"] = "scale_shift";
        expectError([&] { UNet2DConditionConfig::fromJson(j, "c.json"); }, {"resnet_time_scale_shift", "scale_shift"});
        j = base;
        j["attention_head_dim"] = {4, 4, 4};
        expectError([&] { UNet2DConditionConfig::fromJson(j, "c.json"); }, {"attention_head_dim", "3 entries", "4"});
        j = base;
        j["attention_head_dim"] = 5;
        expectError([&] { UNet2DConditionConfig::fromJson(j, "c.json"); }, {"block_out_channels[0]", "32", "5"});
    }

    void readsPerBlockLists() {
        auto j = diffii::readJsonFile(unetDir() + "/config.json");
        j["attention_head_dim"] = {2, 4, 8, 8};
        j["cross_attention_dim"] = {24, 24, 24, 24};
        j["use_linear_projection"] = true;
        const auto c = UNet2DConditionConfig::fromJson(j, "c.json");
        QCOMPARE(c.numAttentionHeads, (std::vector<int64_t>{2, 4, 8, 8}));
        UNet2DConditionModel unet(c);
        const auto shapes = diffii::stateDictShapes(*unet);
        const std::map<std::string, std::vector<int64_t>> m(shapes.begin(), shapes.end());
        QCOMPARE(m.at("down_blocks.0.attentions.0.proj_in.weight"), (std::vector<int64_t>{32, 32}));
        QCOMPARE(m.at("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"),
                 (std::vector<int64_t>{32, 24}));
        QCOMPARE(m.at("up_blocks.3.attentions.0.transformer_blocks.0.attn2.to_k.weight"),
                 (std::vector<int64_t>{32, 24}));
        // a forward with linear projections and mixed heads runs
        torch::NoGradGuard noGrad;
        const auto out = unet->forward(torch::randn({1, 4, 8, 8}), torch::tensor(10), torch::randn({1, 5, 24}));
        QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{1, 4, 8, 8}));
    }

    void reportsShapeMismatch() {
        const std::string key = "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight";
        diffii::SafeTensorsFile good(unetDir() + "/diffusion_pytorch_model.safetensors");
        std::map<std::string, at::Tensor> tensors;
        for (const auto& k : good.keys()) tensors[k] = good.tensor(k);
        tensors[key] = torch::zeros({32, 24});
        const std::string path = m_dir + "/mismatch.safetensors";
        diffii::saveSafetensors(path, tensors);
        UNet2DConditionModel unet(UNet2DConditionConfig::fromFile(unetDir() + "/config.json"));
        expectError([&] { diffii::loadStateDict(*unet, {path}); }, {path, key, "[32, 24]", "[32, 32]"});
    }

    void reportsMissingKey() {
        const std::string key = "mid_block.resnets.1.time_emb_proj.bias";
        diffii::SafeTensorsFile good(unetDir() + "/diffusion_pytorch_model.safetensors");
        std::map<std::string, at::Tensor> tensors;
        for (const auto& k : good.keys())
            if (k != key) tensors[k] = good.tensor(k);
        const std::string path = m_dir + "/missing.safetensors";
        diffii::saveSafetensors(path, tensors);
        UNet2DConditionModel unet(UNet2DConditionConfig::fromFile(unetDir() + "/config.json"));
        expectError([&] { diffii::loadStateDict(*unet, {path}); }, {path, "missing", key});
    }
};

DIFFII_TEST_MAIN(TestUnet, None)
}  // namespace DIFFII_UNIT
#include "test_unet.moc"
