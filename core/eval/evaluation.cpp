#include "core/eval/evaluation.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <torch/torch.h>

#include "core/data/dataset.h"
#include "core/data/project_lock.h"
#include "core/engine/session.h"
#include "core/eval/lpips.h"
#include "core/eval/resnet.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/json_config.h"
#include "core/io/regular_file.h"
#include "core/io/safetensors.h"

namespace diffii {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kTrainingOnly = {"original", "mixup", "cutmix"};

bool isSynthesis(const std::string& name) {
    return std::find(kTrainingOnly.begin(), kTrainingOnly.end(), name) == kTrainingOnly.end();
}

// A synthesis strategy's name, optionally with a split ratio: "diff-ii@0.3" is Diff-II at s = 0.3 (its set in
// strategies/diff-ii-s0.3/), so that one evaluation shows Diff-II's diversity and faithfulness at several s.
struct StrategySpec {
    SynthesisStrategy strategy = SynthesisStrategy::DiffII;
    std::optional<double> split;
};

StrategySpec parseStrategySpec(const std::string& name) {
    StrategySpec spec;
    const auto at = name.find('@');
    spec.strategy = parseStrategy(name.substr(0, at));  // throws naming the value
    if (at == std::string::npos) return spec;
    if (spec.strategy != SynthesisStrategy::DiffII)
        throw Error("evaluation: strategy '" + name + "': only diff-ii takes a split ratio (diff-ii@S)");
    const auto text = name.substr(at + 1);
    size_t used = 0;
    double s = 0.0;
    try {
        s = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty() || !(s > 0.0 && s <= 1.0))
        throw Error("evaluation: strategy '" + name + "': the split ratio after '@' must be a number in (0, 1]");
    spec.split = s;
    return spec;
}

double seconds(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Train and test samples from the project's split; test images from testDir, the split's held-out images, or the
// project's evaluation test folder.
ClassifierData projectData(ProjectSession& session, const std::string& testDirSetting) {
    ClassifierData d;
    for (const auto& c : session.split().classes)
        if (!c.train.empty()) d.classNames.push_back(c.name);
    if (d.classNames.size() < 2) throw Error(session.project().dir() + ": evaluation needs two classes with images");
    for (const auto& c : session.split().classes) {
        const auto label = std::find(d.classNames.begin(), d.classNames.end(), c.name) - d.classNames.begin();
        if (c.train.empty()) continue;
        for (const auto& p : c.train) d.train.push_back({p, label, {}});
    }
    std::string testDir = testDirSetting;
    if (testDir.empty()) {
        bool allHeldOut = true;
        for (const auto& c : session.split().classes)
            if (!c.train.empty() && c.heldOut.empty()) allHeldOut = false;
        if (allHeldOut) {
            for (const auto& c : session.split().classes) {
                const auto label = std::find(d.classNames.begin(), d.classNames.end(), c.name) - d.classNames.begin();
                if (c.train.empty()) continue;
                for (const auto& p : c.heldOut) d.test.push_back({p, label, {}});
            }
            return d;
        }
        testDir = session.settings().evaluationTestDir;
        if (testDir.empty())
            throw Error(session.project().dir() +
                        ": no test images: the split holds out no image of some class; give a test folder "
                        "(--test DIR, or settings.evaluation.test_dir in project.json)");
    }
    const ImageFolderDataset test(testDir);
    for (const auto& e : test.emptyClasses()) throw Error(testDir + ": class folder '" + e + "' has no images");
    for (const auto& name : d.classNames)
        if (test.classIndex(name) < 0) throw Error(testDir + ": the trained class '" + name + "' has no folder here");
    for (const auto& c : test.classes()) {
        const auto it = std::find(d.classNames.begin(), d.classNames.end(), c.name);
        if (it == d.classNames.end()) throw Error(testDir + ": class '" + c.name + "' is not trained in the project");
        for (const auto& p : c.images) d.test.push_back({p, it - d.classNames.begin(), {}});
    }
    return d;
}

double stdDev(const std::vector<double>& v, double mean) {
    if (v.size() < 2) return 0.0;
    double s = 0.0;
    for (const double x : v) s += (x - mean) * (x - mean);
    return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// The diversity measure, its network loaded once per evaluation: the mean over pairs of one class's images (at most
// maxImages, evenly spaced) of an LPIPS distance. With LPIPS weights: LPIPS v0.1 (AlexNet, meanPairwiseLpips).
// Otherwise, with a classifier backbone: the LPIPS construction on its features (the outputs of layer1..layer4,
// unit-normalised over channels, squared differences averaged over channels and space, summed over the stages;
// uniform weights instead of learned ones), each image's features computed once.
class DiversityMeter {
public:
    DiversityMeter(const std::string& lpipsTrunk, const std::string& lpipsLin, const std::string& backbone,
                   int64_t size)
        : m_size(size) {
        if (!lpipsTrunk.empty()) {
            m_lpips = Lpips();
            m_lpips->load(lpipsTrunk, lpipsLin);
        } else if (!backbone.empty()) {
            m_backbone = loadResNet(backbone);
            m_backbone->eval();
        }
    }
    bool enabled() const { return !m_lpips.is_empty() || !m_backbone.is_empty(); }
    const char* name() const { return m_lpips.is_empty() ? "backbone-lpips" : "lpips-alex"; }

    double meanPairwise(const std::vector<std::string>& images, size_t maxImages = 10) {
        const size_t n = images.size();
        const size_t m = std::min(n, std::max<size_t>(2, maxImages));
        torch::NoGradGuard g;
        std::vector<torch::Tensor> t;
        for (size_t k = 0; k < m; ++k) t.push_back(resizeImage(loadImageRgb(images[k * n / m]), m_size, m_size));
        if (t.size() < 2) return 0.0;
        if (!m_lpips.is_empty()) return meanPairwiseLpips(m_lpips, t);
        auto unit = [](const torch::Tensor& x) { return x / (x.pow(2).sum(1, true).sqrt() + 1e-10); };
        std::vector<std::vector<torch::Tensor>> features;  // per image, per stage: unit-normalised maps
        for (const auto& image : t) {
            const auto f = m_backbone->forwardWithIntermediates(imagenetNormalize(image.unsqueeze(0)));
            std::vector<torch::Tensor> stages;
            for (size_t i = 1; i <= m_backbone->stages.size(); ++i)
                stages.push_back(unit(f.at("layer" + std::to_string(i))));
            features.push_back(std::move(stages));
        }
        double sum = 0.0;
        int64_t pairs = 0;
        for (size_t a = 0; a < features.size(); ++a)
            for (size_t b = a + 1; b < features.size(); ++b, ++pairs)
                for (size_t i = 0; i < features[a].size(); ++i)
                    sum += (features[a][i] - features[b][i]).pow(2).mean().item<double>();
        return sum / static_cast<double>(pairs);
    }

private:
    int64_t m_size;
    Lpips m_lpips{nullptr};
    ResNet m_backbone{nullptr};
};

}  // namespace

void checkEvaluationStrategy(const std::string& name) {
    if (!isSynthesis(name)) return;
    (void)parseStrategySpec(name);  // throws naming the value
}

nlohmann::json EvaluationReport::toJson() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& s : strategies) {
        j[s.strategy] = {{"accuracy_mean", s.mean},
                         {"accuracy_std", s.std},
                         {"runs", s.accuracies},
                         {"lpips_diversity", s.diversity ? nlohmann::json(*s.diversity) : nlohmann::json()},
                         {"diversity_measure", s.diversityMeasure},
                         {"faithfulness", s.faithfulness ? nlohmann::json(*s.faithfulness) : nlohmann::json()},
                         {"synthetic_images", s.images},
                         {"generation_seconds", s.generationSeconds},
                         {"training_seconds", s.trainingSeconds}};
    }
    return j;
}

std::string EvaluationReport::markdownTable(const EvaluationSettings& settings) const {
    std::ostringstream os;
    const auto& r = settings.recipe;
    os << "| strategy | accuracy (mean ± std, %) | runs | diversity | faithfulness (%) | synthetic images | "
          "generation s | training s |\n|---|---|---|---|---|---|---|---|\n";
    char buf[512];
    // Rounded, not cut: 0.48148 read "48.14" (to_string cut to five characters).
    const auto fixed = [](double v, int decimals) {
        char b[64];
        std::snprintf(b, sizeof b, "%.*f", decimals, v);
        return std::string(b);
    };
    for (const auto& s : strategies) {
        std::string runs;
        for (const double a : s.accuracies) runs += (runs.empty() ? "" : " ") + fixed(a * 100, 2);
        // One run has no spread: its accuracy alone, not "± 0.0".
        const std::string accuracy =
            s.accuracies.size() < 2 ? fixed(100 * s.mean, 1) : fixed(100 * s.mean, 1) + " ± " + fixed(100 * s.std, 1);
        std::snprintf(buf, sizeof buf, "| %s | %s | %s | %s | %s | %lld | %.0f | %.0f |\n", s.strategy.c_str(),
                      accuracy.c_str(), runs.c_str(),
                      s.diversity ? (fixed(*s.diversity, 4) + " (" + s.diversityMeasure + ")").c_str() : "—",
                      s.faithfulness ? fixed(100 * *s.faithfulness, 1).c_str() : "—", static_cast<long long>(s.images),
                      s.generationSeconds, s.trainingSeconds);
        os << buf;
    }
    std::snprintf(buf, sizeof buf,
                  "\nSettings: %d seeds (seed %llu + k), %d epochs, batch %d, lr %g, %lld px, p = %g, %s%s; accuracy "
                  "at the last epoch on the test images.\n",
                  settings.seeds, static_cast<unsigned long long>(r.seed), r.epochs, r.batchSize, r.lr,
                  static_cast<long long>(r.resolution), r.replaceProbability,
                  r.weights.empty() || r.weights == "none"
                      ? ("from scratch, " + r.arch + " width " + std::to_string(r.width)).c_str()
                      : "weights ",
                  r.weights.empty() || r.weights == "none" ? "" : r.weights.c_str());
    os << buf;
    return os.str();
}

std::string EvaluationReport::csvTable() const {
    std::ostringstream os;
    os << "strategy,accuracy_mean,accuracy_std,runs,diversity,diversity_measure,faithfulness,synthetic_images,"
          "generation_seconds,training_seconds\n";
    for (const auto& s : strategies) {
        std::string runs;
        for (const double a : s.accuracies) runs += (runs.empty() ? "" : ";") + std::to_string(a);
        os << s.strategy << ',' << s.mean << ',' << s.std << ',' << runs << ','
           << (s.diversity ? std::to_string(*s.diversity) : "") << ',' << s.diversityMeasure << ','
           << (s.faithfulness ? std::to_string(*s.faithfulness) : "") << ',' << s.images << ',' << s.generationSeconds
           << ',' << s.trainingSeconds << '\n';
    }
    return os.str();
}

EvaluationReport runEvaluation(ProjectSession& session, const EvaluationSettings& settings, const std::string& outDir,
                               const JobContext* job) {
    if (settings.strategies.empty()) throw Error("evaluation: no strategies given");
    if (settings.seeds < 1) throw Error("evaluation: --seeds must be >= 1, got " + std::to_string(settings.seeds));
    for (size_t i = 0; i < settings.strategies.size(); ++i) {
        checkEvaluationStrategy(settings.strategies[i]);
        for (size_t j = 0; j < i; ++j)
            if (settings.strategies[j] == settings.strategies[i])
                throw Error("evaluation: strategy '" + settings.strategies[i] + "' is given twice");
    }
    const ProjectLock lock(session.project().dir(), "evaluate");  // its sets are written into the project
    createFolders(outDir);
    const auto base = projectData(session, settings.testDir);
    EvaluationReport report;

    // 1. The synthetic sets (resumed image by image), so that the Original classifier can judge them all.
    std::map<std::string, std::vector<ClassifierSample>> sets;
    std::map<std::string, double> generationSeconds;
    for (const auto& name : settings.strategies) {
        if (!isSynthesis(name)) continue;
        const auto t0 = std::chrono::steady_clock::now();
        const auto spec = parseStrategySpec(name);
        const auto dir = session.strategyDir(spec.strategy, spec.split);
        if (job) job->report("evaluate", 0, 1, "generating " + name);
        const auto generated =
            session.generateStrategy(spec.strategy, dir, settings.expansionRate, job, 0, 1, spec.split);
        // Only this plan's images: a set made earlier with a larger expansion leaves more images in the folder.
        const std::set<std::string> planned(generated.outputs.begin(), generated.outputs.end());
        auto& samples = sets[name];
        for (auto& sample : syntheticSamples(dir, base.classNames))
            if (planned.count(fs::relative(sample.path, dir).generic_string())) samples.push_back(std::move(sample));
        generationSeconds[name] = seconds(t0);
    }

    // 2. Classifiers: N seeds per strategy; a run whose result.json exists is read back.
    const int64_t totalRuns = static_cast<int64_t>(settings.strategies.size()) * settings.seeds;
    int64_t runsDone = 0;
    std::map<std::string, double> faithfulness;
    for (const auto& name : settings.strategies) {
        StrategyEvaluation e;
        e.strategy = name;
        const auto t0 = std::chrono::steady_clock::now();
        for (int k = 0; k < settings.seeds; ++k) {
            ClassifierData data = base;
            ClassifierRecipe r = settings.recipe;
            r.seed = settings.recipe.seed + static_cast<uint64_t>(k);
            if (name == "mixup") r.mixing = BatchMixing::Mixup;
            if (name == "cutmix") r.mixing = BatchMixing::CutMix;
            if (isSynthesis(name)) data.synthetic = sets.at(name);
            // The first Original run judges every set (faithfulness).
            if (name == "original" && k == 0) data.probes = sets;
            const auto runDir = (fs::path(outDir) / name / ("seed-" + std::to_string(k))).string();
            const auto resultFile = (fs::path(runDir) / "result.json").string();
            double accuracy = 0.0;
            std::map<std::string, double> probes;
            bool reused = false;
            if (fs::exists(resultFile)) {
                const auto j = readJsonFile(resultFile);
                // Same recipe and the same train, test and synthetic images (another --test folder, split or set
                // is another run).
                if (j.value("settings", nlohmann::json()) == r.toJson() &&
                    j.value("data_fingerprint", std::string()) == classifierDataFingerprint(data) &&
                    (data.probes.empty() || j.contains("probe_accuracy"))) {
                    accuracy = j.at("accuracy").get<double>();
                    if (j.contains("probe_accuracy"))
                        probes = j.at("probe_accuracy").get<std::map<std::string, double>>();
                    reused = true;
                }
            }
            if (!reused) {
                if (fs::exists(resultFile)) fs::remove_all(runDir);  // made with other settings or images
                JobContext inner;
                if (job) {
                    inner.cancelFlag = job->cancelFlag;
                    inner.onProgress = [&](const Progress& p) {
                        Progress q = p;
                        q.stage = "evaluate";
                        q.detail = name + " seed " + std::to_string(k) + ": " + p.detail;
                        q.done = runsDone * std::max<int64_t>(1, p.total) + p.done;
                        q.total = totalRuns * std::max<int64_t>(1, p.total);
                        job->report(q);
                    };
                }
                const auto res = trainClassifier(data, r, runDir, job ? &inner : nullptr);
                accuracy = res.accuracy;
                probes = res.probeAccuracy;
            }
            for (const auto& [set, acc] : probes) faithfulness[set] = acc;
            e.accuracies.push_back(accuracy);
            ++runsDone;
        }
        e.trainingSeconds = seconds(t0);
        double sum = 0.0;
        for (const double a : e.accuracies) sum += a;
        e.mean = sum / static_cast<double>(e.accuracies.size());
        e.std = stdDev(e.accuracies, e.mean);
        report.strategies.push_back(std::move(e));
    }

    // 3. Diversity and faithfulness of each set.
    const auto backbone =
        settings.recipe.weights.empty() || settings.recipe.weights == "none" ? std::string() : settings.recipe.weights;
    DiversityMeter diversity(settings.lpipsTrunk, settings.lpipsLin, backbone, settings.recipe.resolution);
    for (auto& e : report.strategies) {
        if (!isSynthesis(e.strategy)) continue;
        e.images = static_cast<int64_t>(sets.at(e.strategy).size());
        e.generationSeconds = generationSeconds.at(e.strategy);
        if (faithfulness.count(e.strategy)) e.faithfulness = faithfulness.at(e.strategy);
        if (!diversity.enabled()) continue;
        std::map<int64_t, std::vector<std::string>> byClass;
        for (const auto& s : sets.at(e.strategy)) byClass[s.label].push_back(s.path);
        double sum = 0.0;
        int n = 0;
        for (const auto& [label, paths] : byClass) {
            if (paths.size() < 2) continue;
            sum += diversity.meanPairwise(paths);
            ++n;
        }
        if (n > 0) e.diversity = sum / n;
        e.diversityMeasure = diversity.name();
    }

    auto j = report.toJson();
    writeFileAtomic((fs::path(outDir) / "results.json").string(), j.dump(2) + "\n");
    writeFileAtomic((fs::path(outDir) / "table.md").string(), report.markdownTable(settings));
    writeFileAtomic((fs::path(outDir) / "table.csv").string(), report.csvTable());
    return report;
}

}  // namespace diffii
