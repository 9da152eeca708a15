// The mini Table 1 on emoji-birds (not a timed test): for the demo project (embedded model and concepts), every
// strategy of the paper's comparison — Original, Mixup, CutMix, Real-Guidance, DA-Fusion, Diff-AUG, Diff-Mix,
// Diff-Gen, Diff-II — as core/eval/evaluation.h runs it: the strategy's synthetic set (expansion 5), a classifier
// on real + synthetic images (p = 0.5) over several seeds, tested on the held-out styles (Noto, Twemoji, Fluent 3D).
//
// Knobs: DIFFII_TABLE1_DIR (project + runs; default build/table1, resumable), DIFFII_TABLE1_SEEDS (5),
// DIFFII_TABLE1_EPOCHS (30), DIFFII_TABLE1_STRATEGIES (all), DIFFII_TABLE1_SHOTS ("5": the shipped concepts are
// trained on all five training styles; 1- and 3-shot rows need concepts retrained on their split and are run with
// DIFFII_TABLE1_SHOTS=1,3, which trains them first), DIFFII_TABLE1_WIDTH / _SIZE for a scratch network when no
// backbone is shipped.
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include "core/data/splits.h"
#include "core/demo/demo.h"
#include "core/engine/session.h"
#include "core/eval/evaluation.h"
#include "core/jobs/precision.h"
#include "core/jobs/threads.h"
#include "tests/bench_support.h"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

std::string envString(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

}  // namespace

int main(int, char** argv) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    using namespace diffii;
    configureComputeThreads();
    const auto res = locateDemoResources();
    const auto root = envString("DIFFII_TABLE1_DIR", "table1");
    const auto strategies =
        splitList(envString("DIFFII_TABLE1_STRATEGIES",
                            "original,mixup,cutmix,real-guidance,da-fusion,diff-aug,diff-mix,diff-gen,diff-ii"));
    EvaluationSettings e;
    e.strategies = strategies;
    e.seeds = bench::envInt("DIFFII_TABLE1_SEEDS", 5);
    e.expansionRate = 5.0;
    e.recipe.epochs = bench::envInt("DIFFII_TABLE1_EPOCHS", 30);
    e.recipe.replaceProbability = 0.5;
    e.recipe.weights = embeddedBackboneFile();
    e.recipe.width = bench::envInt("DIFFII_TABLE1_WIDTH", 16);
    e.recipe.resolution = bench::envInt("DIFFII_TABLE1_SIZE", 64);
    e.recipe.batchSize = 16;
    std::printf("mini Table 1 on emoji-birds; CPU: %s\n", cpuFeatures().describe().c_str());
    std::printf(
        "classifier: %s\n",
        e.recipe.weights.empty()
            ? ("resnet18 width " + std::to_string(e.recipe.width) + " from scratch (no backbone shipped)").c_str()
            : ("the embedded backbone " + e.recipe.weights).c_str());
    for (const auto& shotText : splitList(envString("DIFFII_TABLE1_SHOTS", "5"))) {
        const int shots = std::stoi(shotText);
        const auto projectDir = prepareDemoProject(root + "/project-" + shotText + "shot", res, shots == 5);
        auto session = ProjectSession::open(projectDir);
        JobContext job = bench::progressLog();
        if (shots != 5) {
            // The styles of the shots are drawn by the project seed; the concepts and pool follow the split.
            session->setSplit(kShot(session->dataset(), shots, session->project().config().seed));
            if (!session->hasConcepts()) session->trainConcepts(&job);
        }
        session->buildPool(&job);
        // One test set for every row: the held-out styles (the demo's settings.evaluation.test_dir), not the
        // training styles a 1- or 3-shot split leaves out.
        e.testDir = session->settings().evaluationTestDir;
        const auto t0 = bench::Clock::now();
        const auto report = runEvaluation(*session, e, root + "/runs-" + shotText + "shot", &job);
        std::printf("\n%d-shot (%lld training images), %.0f s:\n%s", shots,
                    static_cast<long long>(session->split().trainCount()),
                    std::chrono::duration<double>(bench::Clock::now() - t0).count(), report.markdownTable(e).c_str());
        std::fflush(stdout);
    }
    return 0;
}
