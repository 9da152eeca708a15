#include "ui/engine_worker.h"

#include "core/diffii/circle_math.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QRegularExpression>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/data/synthetic_manifest.h"
#include "core/diffii/circle_interpolation.h"
#include "core/diffii/demo.h"
#include "core/diffii/suffixes.h"
#include "core/diffii/workflow.h"
#include "core/io/error.h"
#include "core/io/image.h"

namespace diffii::ui {
namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

QImage toQImage(const torch::Tensor& image) {
    const auto hwc = diffii::toUint8Hwc(image);
    const int h = static_cast<int>(hwc.size(0)), w = static_cast<int>(hwc.size(1));
    return QImage(hwc.data_ptr<uint8_t>(), w, h, 3 * w, QImage::Format_RGB888).copy();
}

nlohmann::json toJson(const QJsonObject& o) {
    return nlohmann::json::parse(QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString());
}

QJsonObject toQJson(const nlohmann::json& j) { return QJsonDocument::fromJson(QByteArray::fromStdString(j.dump())).object(); }


// The class's current (non-stale) pool entries, and the pair a request names: indices clamped into range and made
// distinct, so that preview, strip and sweep always agree on which two images are on screen.
struct ClassPool {
    std::vector<diffii::PoolEntry> entries;
    int first = 0, second = 0;
};

ClassPool classPool(const diffii::ProjectSession& session, const PreviewRequest& request, size_t minimum,
                    const char* what) {
    ClassPool p;
    for (const auto& e : session.pool())
        if (qs(e.className) == request.className && !e.stale) p.entries.push_back(e);
    if (p.entries.size() < minimum)
        throw diffii::Error(std::string(what) + ": class '" + request.className.toStdString() + "' has " +
                            std::to_string(p.entries.size()) + " current inversions, needs " +
                            std::to_string(minimum) + " (build the pool first)");
    const int n = static_cast<int>(p.entries.size());
    p.first = std::clamp(request.first, 0, n - 1);
    p.second = std::clamp(request.second, 0, n - 1);
    if (n > 1 && p.second == p.first) p.second = (p.first + 1) % n;
    return p;
}

}  // namespace

void registerStudioTypes() {
    qRegisterMetaType<ProjectInfo>();
    qRegisterMetaType<PreviewRequest>();
    qRegisterMetaType<PreviewResult>();
    qRegisterMetaType<JobProgress>();
    qRegisterMetaType<QList<PoolItem>>();
    qRegisterMetaType<QList<SweepPoint>>();
    qRegisterMetaType<QList<SyntheticItem>>();
    qRegisterMetaType<QList<double>>();
}

EngineWorker::EngineWorker(QObject* parent) : QObject(parent) {}
EngineWorker::~EngineWorker() = default;

template <typename F>
void EngineWorker::runJob(const QString& job, F&& body) {
    m_cancel = false;
    Q_EMIT jobStarted(job);
    QElapsedTimer timer;
    timer.start();
    qint64 lastEmit = -1000;
    static const QRegularExpression lossRe(QStringLiteral("loss ([0-9.eE+-]+)"));
    double smoothed = 0.0, weight = 0.0;
    diffii::JobContext ctx;
    ctx.cancelFlag = &m_cancel;
    ctx.onProgress = [&](const diffii::Progress& p) {
        JobProgress jp;
        jp.job = qs(p.stage);
        jp.done = p.done;
        jp.total = p.total;
        jp.detail = qs(p.detail);
        const double elapsed = timer.elapsed() / 1000.0;
        if (p.done > 0 && p.total > 0) jp.etaSeconds = elapsed / p.done * (p.total - p.done);
        const auto m = lossRe.match(jp.detail);
        if (p.stage == "concepts" && m.hasMatch()) {
            const double loss = m.captured(1).toDouble();
            smoothed = 0.9 * smoothed + 0.1 * loss;
            weight = 0.9 * weight + 0.1;
            Q_EMIT lossPoint(p.done, loss, smoothed / weight);
        }
        const qint64 now = timer.elapsed();
        if (now - lastEmit >= 50 || p.done == p.total) {
            lastEmit = now;
            Q_EMIT progress(jp);
        }
    };
    try {
        const QString summary = body(ctx);
        Q_EMIT jobFinished(job, summary);
    } catch (const diffii::Cancelled&) {
        Q_EMIT jobCancelled(job);
    } catch (const std::exception& e) {
        Q_EMIT jobFailed(job, QString::fromUtf8(e.what()));
    }
}

ProjectInfo EngineWorker::makeProjectInfo() const {
    ProjectInfo info;
    auto& s = *m_session;
    const auto& cfg = s.project().config();
    info.dir = qs(s.project().dir());
    info.name = qs(cfg.name);
    info.datasetDir = qs(s.project().datasetDir());
    info.modelDir = qs(s.project().modelDir());
    info.metaclass = qs(cfg.metaclass);
    info.seed = cfg.seed;
    for (const auto& c : s.dataset().classes()) {
        ClassInfo ci;
        ci.name = qs(c.name);
        for (const auto& img : c.images) ci.images << qs(img);
        for (const auto& t : s.classTokens(c.name)) ci.tokens << qs(t);
        for (const auto& sc : s.split().classes)
            if (sc.name == c.name)
                for (const auto& img : sc.train) ci.trainImages << qs(img);
        info.classes << ci;
    }
    for (const auto& w : s.dataset().warnings()) info.warnings << qs(w);
    info.hasConcepts = s.hasConcepts();
    for (const auto& sfx : s.suffixes()) info.suffixes << qs(sfx);
    info.settings = toQJson(cfg.settings);
    info.modelHash = qs(s.modelHash());
    info.nativeImageSize = static_cast<int>(s.model().nativeImageSize());
    return info;
}

void EngineWorker::emitPool() {
    QList<PoolItem> items;
    for (const auto& e : m_session->pool()) {
        PoolItem it;
        it.className = qs(e.className);
        it.key = qs(e.key);
        it.imagePath = qs(e.imagePath);
        it.reconstructionPath = qs(e.reconstruction);
        it.file = qs(e.file);
        it.psnr = e.psnr;
        it.stale = e.stale;
        items << it;
    }
    Q_EMIT poolChanged(items);
}

void EngineWorker::createProject(const QString& dir, const QString& datasetDir, const QString& modelDir,
                                 const QString& metaclass, quint64 seed) {
    runJob(QStringLiteral("open"), [&](diffii::JobContext&) {
        diffii::ProjectConfig config;
        config.datasetPath = std::filesystem::absolute(datasetDir.toStdString()).string();
        config.modelPath = std::filesystem::absolute(modelDir.toStdString()).string();
        config.metaclass = metaclass.toStdString();
        config.seed = seed;
        config.name = std::filesystem::path(dir.toStdString()).filename().string();
        config.settings = diffii::WorkflowSettings().toJson();
        diffii::ImageFolderDataset check(config.datasetPath);  // fails before anything is written
        diffii::Project::create(dir.toStdString(), config);
        return QString();
    });
    openProject(dir);
}

void EngineWorker::openProject(const QString& dir) {
    runJob(QStringLiteral("open"), [&](diffii::JobContext& ctx) {
        m_session.reset();
        m_session = diffii::ProjectSession::open(dir.toStdString(), diffii::Precision::Auto, &ctx);
        Q_EMIT projectOpened(makeProjectInfo());
        emitPool();
        loadSynthetic();
        return tr("Opened %1").arg(dir);
    });
}

void EngineWorker::openDemo(const QString& dir) {
    runJob(QStringLiteral("demo"), [&](diffii::JobContext& ctx) {
        const auto resources = diffii::locateDemoResources();
        const auto projectDir = diffii::prepareDemoProject(
            dir.isEmpty() ? diffii::defaultDemoProjectDir() : dir.toStdString(), resources);
        m_session.reset();
        m_session = diffii::ProjectSession::open(projectDir, diffii::Precision::Auto, &ctx);
        Q_EMIT projectOpened(makeProjectInfo());
        emitPool();
        loadSynthetic();
        const auto entries = m_session->buildPool(&ctx);
        emitPool();
        return tr("Demo project ready: %1 inversions in %2").arg(entries.size()).arg(QString::fromStdString(projectDir));
    });
}

void EngineWorker::setSplit(const QString& method, int k, double imbalanceFactor, int maxPerClass, quint64 seed) {
    runJob(QStringLiteral("split"), [&](diffii::JobContext&) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto& ds = m_session->dataset();
        diffii::Split split;
        if (method == QLatin1String("k-shot")) split = diffii::kShot(ds, k, seed);
        else if (method == QLatin1String("long-tail")) split = diffii::longTail(ds, imbalanceFactor, maxPerClass, seed);
        else split = diffii::all(ds, seed);
        m_session->setSplit(split);
        Q_EMIT projectOpened(makeProjectInfo());
        emitPool();
        return tr("%1 training images").arg(split.trainCount());
    });
}

void EngineWorker::saveSettings(const QJsonObject& settings) {
    runJob(QStringLiteral("settings"), [&](diffii::JobContext&) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto s = diffii::WorkflowSettings::fromJson(toJson(settings), "settings");
        m_session->saveSettings(s);
        // Every page merges its section into the controller's copy of the settings: keep that copy current.
        Q_EMIT projectOpened(makeProjectInfo());
        return QString();
    });
}

void EngineWorker::setSuffixes(const QStringList& suffixes) {
    runJob(QStringLiteral("suffixes"), [&](diffii::JobContext&) {
        if (!m_session) throw diffii::Error("no project is open");
        std::vector<std::string> list;
        for (const auto& s : suffixes) list.push_back(s.toStdString());
        m_session->setSuffixes(diffii::parseSuffixes([&] {
            std::string t;
            for (const auto& s : list) t += s + "\n";
            return t;
        }()));
        Q_EMIT projectOpened(makeProjectInfo());
        return QString();
    });
}

void EngineWorker::importCaptions(const QString& captionsFile) {
    runJob(QStringLiteral("suffixes"), [&](diffii::JobContext&) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto captions = diffii::readCaptionsFile(captionsFile.toStdString());
        const auto list = diffii::summariseCaptions(captions, m_session->project().config().metaclass, 10);
        if (list.empty()) throw diffii::Error(captionsFile.toStdString() + ": no scene context found in the captions");
        m_session->setSuffixes(list);
        Q_EMIT projectOpened(makeProjectInfo());
        return tr("%1 suffixes from %2 captions").arg(list.size()).arg(captions.size());
    });
}

void EngineWorker::trainConcepts(bool resume) {
    runJob(QStringLiteral("concepts"), [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        // A sample image every ~1/8 of the run: seeded noise denoised with the class prompt as trained so far.
        const int64_t maxSteps = m_session->settings().concepts.maxSteps;
        const int64_t every = std::max<int64_t>(1, maxSteps / 8);
        auto onSample = [this](int64_t step, const std::string& className, const std::string& prompt) {
            auto& sd = m_session->model();
            const int64_t size = sd.unet()->config().sampleSize;
            auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(step));
            const auto z = torch::randn({1, sd.unet()->config().inChannels, size, size}, gen);
            diffii::DenoiseSettings den;
            den.steps = 15;
            den.split = 0.0;
            const auto prompts = diffii::encodePrompts(sd, prompt, "");
            const auto image = diffii::decodeLatentToImage(sd, diffii::denoiseTwoStage(sd, z, prompts, den))[0];
            Q_EMIT conceptSample(step, qs(className), toQImage(image));
        };
        const auto r = m_session->trainConcepts(&ctx, resume, every, onSample);
        Q_EMIT projectOpened(makeProjectInfo());
        emitPool();
        return tr("%1 steps, loss %2").arg(r.steps).arg(r.smoothedLoss, 0, 'f', 4);
    });
}

void EngineWorker::buildPool() {
    runJob(QStringLiteral("pool"), [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto entries = m_session->buildPool(&ctx);
        emitPool();
        return tr("%1 inversions").arg(entries.size());
    });
}

void EngineWorker::refreshPool() {
    runJob(QStringLiteral("pool-list"), [&](diffii::JobContext&) {
        if (m_session) emitPool();
        return QString();
    });
}

void EngineWorker::preview(const PreviewRequest& request) {
    if (request.id < m_latestPreview) return;  // superseded while queued
    runJob(QStringLiteral("preview"), [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        QElapsedTimer timer;
        timer.start();
        auto& sd = m_session->model();
        const auto pool = classPool(*m_session, request, 1, "preview");
        const auto& entries = pool.entries;
        const int a = pool.first, b = pool.second;
        PreviewResult result;
        result.id = request.id;
        torch::Tensor z;
        if (entries.size() >= 2) {
            const auto circle = diffii::circleInterpolate(diffii::loadInversion(entries[a].file),
                                                          diffii::loadInversion(entries[b].file), request.alpha);
            z = circle.z;
            result.theta = circle.theta;
            result.alpha = circle.alpha;
            result.period = circle.period;
            result.interpolation = diffii::isInterpolation(circle.theta, circle.alpha);
        } else {
            auto gen = at::detail::createCPUGenerator(request.seed);
            z = torch::randn(diffii::loadInversion(entries[0].file).sizes().vec(), gen);
            result.fallbackNoise = true;
        }
        const auto settings = m_session->settings();
        const auto prompts = diffii::encodePrompts(sd, m_session->classPrompt(request.className.toStdString()),
                                                   request.suffix.toStdString(), settings.negativePrompt);
        diffii::DenoiseSettings den;
        den.steps = request.steps;
        den.guidance = request.guidance;
        den.split = request.split;
        const qint64 id = request.id;
        auto onStep = [&, id](int step, int total, const torch::Tensor& latents) {
            if (id < m_latestPreview) throw diffii::Cancelled();
            if (request.intermediateEvery > 0 && (step + 1) % request.intermediateEvery == 0 && step + 1 < total)
                Q_EMIT previewIntermediate(id, toQImage(diffii::decodeLatentToImage(sd, latents)[0]), step + 1, total);
        };
        const auto latents = diffii::denoiseTwoStage(sd, z, prompts, den, &ctx, nullptr, onStep);
        result.image = toQImage(diffii::decodeLatentToImage(sd, latents)[0]);
        result.seconds = timer.elapsed() / 1000.0;
        Q_EMIT previewReady(result);
        return QString();
    });
}

void EngineWorker::previewStrip(const PreviewRequest& request, int count) {
    runJob(QStringLiteral("strip"), [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        auto& sd = m_session->model();
        const auto pool = classPool(*m_session, request, 2, "circle strip");
        const auto& entries = pool.entries;
        const int a = pool.first, b = pool.second;
        const auto z1 = diffii::loadInversion(entries[a].file), z2 = diffii::loadInversion(entries[b].file);
        const double theta = diffii::circleTheta(z1, z2);
        const auto prompts = diffii::encodePrompts(sd, m_session->classPrompt(request.className.toStdString()),
                                                   request.suffix.toStdString(), m_session->settings().negativePrompt);
        diffii::DenoiseSettings den;
        den.steps = request.steps;
        den.guidance = request.guidance;
        den.split = request.split;
        for (int i = 0; i < count; ++i) {
            ctx.throwIfCancelled();
            const double alpha = diffii::alphaForTurn(theta, static_cast<double>(i) / count);
            const auto circle = diffii::circleInterpolate(z1, z2, alpha);
            const auto image = diffii::decodeLatentToImage(sd, diffii::denoiseTwoStage(sd, circle.z, prompts, den))[0];
            Q_EMIT stripImage(request.id, i, toQImage(image), alpha, diffii::isInterpolation(theta, alpha));
            ctx.report("strip", i + 1, count);
        }
        return QString();
    });
}

void EngineWorker::sweepSplit(const PreviewRequest& request, const QList<double>& splits, int samples) {
    runJob(QStringLiteral("sweep"), [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        auto& sd = m_session->model();
        const auto pool = classPool(*m_session, request, 2, "sweep");
        const auto& entries = pool.entries;
        const int a = pool.first, b = pool.second;
        const auto z1 = diffii::loadInversion(entries[a].file), z2 = diffii::loadInversion(entries[b].file);
        const int64_t size = sd.nativeImageSize();
        const auto src1 = diffii::resizeImage(diffii::loadImageRgb(entries[a].imagePath), size, size).flatten();
        const auto src2 = diffii::resizeImage(diffii::loadImageRgb(entries[b].imagePath), size, size).flatten();
        const double theta = diffii::circleTheta(z1, z2);
        const auto prompts = diffii::encodePrompts(sd, m_session->classPrompt(request.className.toStdString()),
                                                   request.suffix.toStdString(), m_session->settings().negativePrompt);
        QList<SweepPoint> points;
        const int64_t total = static_cast<int64_t>(splits.size()) * samples;
        int64_t done = 0;
        for (double s : splits) {
            std::vector<torch::Tensor> images;
            for (int k = 0; k < samples; ++k) {
                ctx.throwIfCancelled();
                const double alpha = diffii::sampleCircleAlpha(theta, request.seed + static_cast<quint64>(k));
                diffii::DenoiseSettings den;
                den.steps = request.steps;
                den.guidance = request.guidance;
                den.split = s;
                const auto circle = diffii::circleInterpolate(z1, z2, alpha);
                images.push_back(diffii::decodeLatentToImage(sd, diffii::denoiseTwoStage(sd, circle.z, prompts, den))[0].flatten());
                ctx.report("sweep", ++done, total);
            }
            // Faithfulness: mean cosine similarity (centred pixels) to the nearer source image.
            // Diversity: mean pairwise RMS distance among the generated images.
            auto centred = [](const torch::Tensor& t) { return t - t.mean(); };
            double faith = 0, div = 0;
            int pairs = 0;
            for (size_t i = 0; i < images.size(); ++i) {
                const auto g = centred(images[i]);
                const double c1 = torch::cosine_similarity(g, centred(src1), 0).item<double>();
                const double c2 = torch::cosine_similarity(g, centred(src2), 0).item<double>();
                faith += std::max(c1, c2);
                for (size_t j = i + 1; j < images.size(); ++j, ++pairs)
                    div += (images[i] - images[j]).pow(2).mean().sqrt().item<double>();
            }
            points << SweepPoint{s, faith / images.size(), pairs ? div / pairs : 0.0};
        }
        Q_EMIT sweepReady(points);
        return QString();
    });
}

void EngineWorker::generate() {
    runJob(QStringLiteral("generation"), [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto r = m_session->generate(&ctx);
        loadSynthetic();
        return tr("%1 generated, %2 kept").arg(r.generated).arg(r.skipped);
    });
}

void EngineWorker::loadSynthetic() {
    if (!m_session) return;
    const auto dir = m_session->project().syntheticDir();
    const auto manifest = dir + "/manifest.jsonl";
    QList<SyntheticItem> items;
    if (std::filesystem::exists(manifest)) {
        for (const auto& r : diffii::readManifestJsonl(manifest)) {
            SyntheticItem it;
            it.path = qs(dir + "/" + r.outputPath);
            it.outputPath = qs(r.outputPath);
            it.className = qs(r.className);
            it.index = r.index;
            it.sourceA = qs(r.sourceA);
            it.sourceB = qs(r.sourceB);
            it.fallbackNoise = r.fallbackNoise;
            it.alpha = r.alpha;
            it.theta = r.theta;
            it.split = r.split;
            it.suffix = qs(r.suffix);
            it.seed = r.seed;
            it.curation = static_cast<int>(r.curation);
            for (const auto& t : r.tags) it.tags << qs(t);
            items << it;
        }
    }
    Q_EMIT syntheticChanged(items);
}

void EngineWorker::setCuration(const QString& outputPath, int curation, const QStringList& tags) {
    runJob(QStringLiteral("curate"), [&](diffii::JobContext&) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto dir = m_session->project().syntheticDir();
        auto records = diffii::readManifestJsonl(dir + "/manifest.jsonl");
        bool found = false;
        for (auto& r : records) {
            if (r.outputPath != outputPath.toStdString()) continue;
            r.curation = static_cast<diffii::Curation>(curation);
            r.tags.clear();
            for (const auto& t : tags) r.tags.push_back(t.toStdString());
            found = true;
        }
        if (!found) throw diffii::Error(dir + "/manifest.jsonl: no image '" + outputPath.toStdString() + "'");
        diffii::writeManifest(dir, records);
        return QString();
    });
}

void EngineWorker::exportSet(const QString& dir) {
    runJob(QStringLiteral("export"), [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto n = m_session->exportSet(dir.toStdString(), &ctx);
        return tr("%1 images exported to %2").arg(n).arg(dir);
    });
}

}  // namespace diffii::ui
