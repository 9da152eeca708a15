// One textual-inversion + LoRA training step against the reference (tiny-sd1-train): loss, the placeholder
// embedding's gradient, the token-embedding gradient rows of the prompt, and every LoRA layer's gradients.
#include <QtTest/QtTest>

#include <filesystem>

#include "core/diffii/concept_loss.h"
#include "core/diffii/textual_inversion.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/models/lora.h"
#include "core/models/stable_diffusion.h"
#include "core/training/curves.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::test::fixture;

class TestTrainingStep : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { DIFFII_REQUIRE_FIXTURES(); }

    void lossAndGradientsMatchReference() {
        // The model, LoRA file, placeholder and prompt that ti_lora_step.json names (paths relative to its folder).
        namespace fs = std::filesystem;
        const fs::path dir = fixture("tiny-sd1-train");
        const auto json = diffii::readJsonFile((dir / "ti_lora_step.json").string());
        const auto loraText = json.at("lora_file").get<std::string>();  // "<path> (applied at scale 1.0)"
        const auto placeholder = json.at("placeholder_token").get<std::string>();
        auto sd = diffii::StableDiffusion::load((dir / json.at("model_dir").get<std::string>()).string());
        diffii::SafeTensorsFile g((dir / "ti_lora_step.safetensors").string());
        diffii::setTokenEmbedding(sd->tokenizer(), *sd->textEncoder(), placeholder, g.tensor("placeholder_embedding"));
        QCOMPARE(sd->tokenizer().tokenId(placeholder), json.at("placeholder_token_id").get<int64_t>());
        auto lora = diffii::UNetLoraImpl::load((dir / loraText.substr(0, loraText.find(' '))).string(), *sd->unet());
        lora->attach(*sd->unet(), 1.0);

        for (auto& p : sd->unet()->parameters()) p.set_requires_grad(false);
        for (auto& p : sd->textEncoder()->parameters()) p.set_requires_grad(false);
        auto embedding = sd->textEncoder()->tokenEmbeddingWeight();
        embedding.set_requires_grad(true);
        for (auto& p : lora->parameters()) p.set_requires_grad(true);

        const auto ids = torch::tensor(sd->tokenizer().encodePadded(json.at("prompt").get<std::string>())).unsqueeze(0);
        QVERIFY(torch::equal(ids, g.tensor("input_ids")));
        diffii::DdimScheduler noiseScheduler(sd->schedulerConfig());
        const auto loss = diffii::conceptTrainingLoss(*sd, noiseScheduler, g.tensor("x0"), g.tensor("noise"),
                                                      g.tensor("timestep"), ids);
        DIFFII_COMPARE_TENSORS(loss.reshape({1}), g.tensor("loss").reshape({1}), 1e-5, "loss");
        loss.backward();

        const auto grad = embedding.grad();
        QVERIFY(grad.defined());
        const auto gp = g.tensor("grad.placeholder_embedding");
        const double scaleP = gp.abs().max().item<double>();
        DIFFII_COMPARE_TENSORS(grad[json.at("placeholder_token_id").get<int64_t>()], gp, 1e-4 * scaleP,
                               "grad.placeholder_embedding");
        const auto rowIds = g.tensor("grad.token_embedding_rows.ids");
        const auto rows = g.tensor("grad.token_embedding_rows");
        DIFFII_COMPARE_TENSORS(grad.index_select(0, rowIds), rows, 1e-4 * rows.abs().max().item<double>(),
                               "grad.token_embedding_rows");

        int compared = 0;
        for (const auto& [module, layer] : lora->layers()) {
            const auto down = g.tensor("grad.unet." + module + ".lora.down.weight");
            const auto up = g.tensor("grad.unet." + module + ".lora.up.weight");
            QVERIFY2(layer->down->weight.grad().defined(), module.c_str());
            DIFFII_COMPARE_TENSORS(layer->down->weight.grad(), down,
                                   1e-4 * std::max(1e-12, down.abs().max().item<double>()), "grad " + module + ".down");
            DIFFII_COMPARE_TENSORS(layer->up->weight.grad(), up, 1e-4 * std::max(1e-12, up.abs().max().item<double>()),
                                   "grad " + module + ".up");
            ++compared;
        }
        // Every LoRA layer has its gradients in the file, and the file has no other.
        int inFile = 0;
        for (const auto& key : g.keys())
            if (key.rfind("grad.unet.", 0) == 0 && key.find(".lora.down.weight") != std::string::npos) ++inFile;
        QCOMPARE(compared, inFile);
    }

    // The smoothed loss (core/training/curves.h): a constant loss reads as itself from the first step (the
    // start-up bias divided out), a step then moves it by (1 - decay) of the gap, and the curve is the running value.
    void lossEmaRemovesStartupBias() {
        diffii::LossEma ema(0.9);
        QCOMPARE(ema.value(), 0.0);
        QCOMPARE(ema.add(2.0), 2.0);
        QCOMPARE(ema.add(2.0), 2.0);
        const double before = ema.value();
        const double after = ema.add(4.0);
        QVERIFY(after > before && after < 4.0);
        // Weights 0.9^2 * 0.1, 0.9 * 0.1, 0.1 over their sum 1 - 0.9^3.
        QVERIFY(std::abs(after - (2.0 * 0.081 + 2.0 * 0.09 + 4.0 * 0.1) / 0.271) < 1e-12);
        const auto curve = diffii::LossEma::curve({2.0, 2.0, 4.0}, 0.9);
        QCOMPARE(curve.size(), size_t(3));
        QCOMPARE(curve.back(), after);
        QCOMPARE(diffii::LossEma::curve({5.0, 1.0}, 0.0), (std::vector<double>{5.0, 1.0}));
    }

    // The learning rate's warm-up (core/training/curves.h), shared by concept learning, pretraining and the
    // classifier: step/warmup up to 1, then 1; 1 from the start without warm-up.
    void linearWarmupRisesToOne() {
        QCOMPARE(diffii::linearWarmup(1, 4), 0.25);
        QCOMPARE(diffii::linearWarmup(4, 4), 1.0);
        QCOMPARE(diffii::linearWarmup(9, 4), 1.0);
        QCOMPARE(diffii::linearWarmup(1, 0), 1.0);
    }
};

DIFFII_TEST_MAIN(TestTrainingStep, None)
}  // namespace DIFFII_UNIT
#include "test_training_step.moc"
