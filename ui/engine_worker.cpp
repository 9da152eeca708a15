#include "ui/engine_worker.h"

#include "core/diffii/circle_math.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/demo/demo.h"
#include "core/diffii/suffixes.h"
#include "core/engine/session.h"
#include "core/eval/evaluation.h"
#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/jobs/block_cache.h"
#include "core/jobs/progress.h"
#include "ui/preferences_dialog.h"

namespace diffii::ui {
namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

QImage toQImage(const diffii::Image& image) {
    const auto bytes = image.toBytes();
    return QImage(bytes.data(), image.width, image.height, 3 * image.width, QImage::Format_RGB888).copy();
}

PoolItem toPoolItem(const diffii::PoolEntry& e) {
    PoolItem it;
    it.className = qs(e.className);
    it.key = qs(e.key);
    it.imagePath = qs(e.imagePath);
    it.reconstructionPath = qs(e.reconstruction);
    it.file = qs(e.file);
    it.psnr = e.psnr;
    it.stale = e.stale;
    return it;
}

}  // namespace

QString jobDisplayName(const QString& name) {
    // Every name a job or stage reports (ui/studio_types.h's jobs, the engine's JobContext::report stages): marked for
    // the catalogue here, looked up below (the status bar and error titles showed "generation" in Chinese).
    static const char* const kNames[] = {QT_TRANSLATE_NOOP("diffii::ui::Jobs", "open"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "create"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "demo"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "split"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "settings"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "suffixes"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "concepts"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "pool"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "pool-list"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "preview"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "strip"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "sweep"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "generation"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "curate"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "export"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "slurm"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "evaluate"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "grid"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "import"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "validate"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "tokenizer"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "reading images"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "scan"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "load"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "latents"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "inversion"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "inversion pool"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "denoising"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "contact sheets"),
                                         QT_TRANSLATE_NOOP("diffii::ui::Jobs", "classifier")};
    const QByteArray utf8 = name.toUtf8();
    for (const char* known : kNames)
        if (utf8 == known) return QCoreApplication::translate("diffii::ui::Jobs", known);
    return name;
}

QJsonObject settingsJson(const diffii::WorkflowSettings& settings) {
    return QJsonDocument::fromJson(QByteArray::fromStdString(settings.toJson().dump())).object();
}

void registerStudioTypes() {
    qRegisterMetaType<ProjectInfo>();
    qRegisterMetaType<diffii::WorkflowSettings>();
    qRegisterMetaType<EvaluationRequest>();
    qRegisterMetaType<QList<EvaluationRow>>();
    qRegisterMetaType<PreviewRequest>();
    qRegisterMetaType<PreviewResult>();
    qRegisterMetaType<JobProgress>();
    qRegisterMetaType<PoolItem>();
    qRegisterMetaType<QList<PoolItem>>();
    qRegisterMetaType<SweepPoint>();
    qRegisterMetaType<QList<SweepPoint>>();
    qRegisterMetaType<QList<SyntheticItem>>();
    qRegisterMetaType<QList<double>>();
    qRegisterMetaType<diffii::SlurmRunStatus>();
    qRegisterMetaType<diffii::SlurmSubmitOptions>();
}

namespace {
// How long the engine stays idle before it returns its free activation blocks (core/jobs/block_cache.h).
constexpr int kReleaseAfterIdleMs = 15'000;
}  // namespace

EngineWorker::EngineWorker(QObject* parent) : QObject(parent), m_releaseWhenIdle(new QTimer(this)) {
    m_releaseWhenIdle->setSingleShot(true);
    m_releaseWhenIdle->setInterval(kReleaseAfterIdleMs);
    connect(m_releaseWhenIdle, &QTimer::timeout, this, [] { diffii::releaseCachedBlocks(); });
}
EngineWorker::~EngineWorker() = default;

template <typename F>
void EngineWorker::runJob(const QString& job, F&& body) {
    m_releaseWhenIdle->stop();
    m_cancel = false;
    Q_EMIT jobStarted(job);
    QElapsedTimer timer;
    timer.start();
    qint64 lastEmit = -1000;
    diffii::EtaEstimator eta;
    diffii::OuterStageView nesting;
    diffii::JobContext ctx;
    ctx.cancelFlag = &m_cancel;
    ctx.onProgress = [&](const diffii::Progress& p) {
        eta.update(p, timer.elapsed() / 1000.0);
        const diffii::Progress shown = nesting.view(p);  // an inner stage's report shows its outer stage, and its ETA
        JobProgress jp;
        jp.job = qs(shown.stage);
        jp.done = shown.done;
        jp.total = shown.total;
        jp.detail = qs(shown.detail);
        jp.etaSeconds = eta.secondsLeft(shown.stage);
        if (p.loss) Q_EMIT lossPoint(p.done, *p.loss, p.smoothedLoss.value_or(*p.loss));
        const qint64 now = timer.elapsed();
        if (now - lastEmit >= 50 || p.done == p.total) {
            lastEmit = now;
            Q_EMIT progress(jp);
        }
    };
    m_lastJobCancelled = false;
    try {
        const QString summary = body(ctx);
        Q_EMIT jobFinished(job, summary);
    } catch (const diffii::Cancelled&) {
        m_lastJobCancelled = true;
        Q_EMIT jobCancelled(job);
    } catch (const std::exception& e) {
        Q_EMIT jobFailed(job, QString::fromUtf8(e.what()));
    }
    // An idle application keeps no free activation blocks (core/jobs/block_cache.h), but the next job of a run
    // (a preview after a preview) finds them mapped.
    m_releaseWhenIdle->start();
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
    info.workflow = s.settings();
    info.settings = settingsJson(info.workflow);
    info.modelHash = qs(s.modelHash());
    info.nativeImageSize = static_cast<int>(s.nativeImageSize());
    try {
        info.conceptHistory = s.conceptHistory();
    } catch (const std::exception& e) {
        info.warnings << tr("Concept learning history not read: %1").arg(QString::fromUtf8(e.what()));
    }
    return info;
}

void EngineWorker::emitPool() {
    QList<PoolItem> items;
    for (const auto& e : m_session->pool()) items << toPoolItem(e);
    Q_EMIT poolChanged(items);
}

void EngineWorker::createProject(const QString& dir, const QString& datasetDir, const QString& modelDir,
                                 const QString& metaclass, quint64 seed) {
    QString error;
    bool created = false;
    runJob(jobs::kCreate, [&](diffii::JobContext& ctx) {
        try {
            // Everything is checked again here, before anything is written: the folders may have changed since
            // the dialog looked at them, and the controller is called without a dialog too.
            if (dir.trimmed().isEmpty()) throw diffii::Error("no project folder given");
            if (datasetDir.trimmed().isEmpty()) throw diffii::Error("no dataset folder given");
            if (modelDir.trimmed().isEmpty()) throw diffii::Error("no model folder given");
            if (metaclass.trimmed().isEmpty()) throw diffii::Error("no metaclass given");
            diffii::ProjectConfig config;
            config.datasetPath = std::filesystem::absolute(datasetDir.toStdString()).lexically_normal().string();
            config.modelPath = std::filesystem::absolute(modelDir.toStdString()).lexically_normal().string();
            config.metaclass = metaclass.trimmed().toStdString();
            config.seed = seed;
            const auto target = std::filesystem::absolute(dir.toStdString()).lexically_normal();
            config.name = (target.filename().empty() ? target.parent_path() : target).filename().string();
            config.settings = diffii::WorkflowSettings().toJson();
            diffii::ImageFolderDataset check(config.datasetPath);
            diffii::checkDatasetNames(check);
            (void)diffii::summarizeModelFolder(config.modelPath, config.modelConfigPath);
            const auto made = diffii::createProjectFolder(target.string(), config);
            std::unique_ptr<diffii::ProjectSession> session;
            try {
                // Loading the model is its full check (every weight against the modules): a project that does
                // not open is removed again, so that nothing broken is left behind. The project open until now
                // stays open in that case.
                session = diffii::ProjectSession::open(target.string(), diffii::Precision::Auto, &ctx,
                                                       PreferencesDialog::device().toStdString());
            } catch (...) {
                diffii::removeCreatedProjectFolder(made);
                throw;
            }
            m_session = std::move(session);
            created = true;
            Q_EMIT projectOpened(makeProjectInfo());
            emitPool();
            loadSynthetic();
            return tr("Created %1").arg(qs(target.string()));
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
            throw;
        }
    });
    Q_EMIT projectCreated(dir, created ? QString() : error);
}

void EngineWorker::openProject(const QString& dir) {
    runJob(jobs::kOpen, [&](diffii::JobContext& ctx) {
        m_session.reset();
        m_session = diffii::ProjectSession::open(dir.toStdString(), diffii::Precision::Auto, &ctx,
                                                 PreferencesDialog::device().toStdString());
        Q_EMIT projectOpened(makeProjectInfo());
        emitPool();
        loadSynthetic();
        return tr("Opened %1").arg(dir);
    });
}

void EngineWorker::openDemo(const QString& dir) {
    runJob(jobs::kDemo, [&](diffii::JobContext& ctx) {
        const auto resources = diffii::locateDemoResources();
        const auto projectDir =
            diffii::prepareDemoProject(dir.isEmpty() ? diffii::defaultDemoProjectDir() : dir.toStdString(), resources);
        m_session.reset();
        m_session = diffii::ProjectSession::open(projectDir, diffii::Precision::Auto, &ctx,
                                                 PreferencesDialog::device().toStdString());
        Q_EMIT projectOpened(makeProjectInfo());
        emitPool();
        loadSynthetic();
        const auto entries =
            m_session->buildPool(&ctx, [this](const diffii::PoolEntry& e) { Q_EMIT poolEntryReady(toPoolItem(e)); });
        emitPool();
        return tr("Demo project ready: %1 inversions in %2")
            .arg(entries.size())
            .arg(QString::fromStdString(projectDir));
    });
}

void EngineWorker::setSplit(const QString& method, int k, double imbalanceFactor, int maxPerClass, quint64 seed) {
    runJob(jobs::kSplit, [&](diffii::JobContext&) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto& ds = m_session->dataset();
        diffii::Split split;
        if (method == QLatin1String("k-shot"))
            split = diffii::kShot(ds, k, seed);
        else if (method == QLatin1String("long-tail"))
            split = diffii::longTail(ds, imbalanceFactor, maxPerClass, seed);
        else
            split = diffii::all(ds, seed);
        m_session->setSplit(split);
        Q_EMIT projectOpened(makeProjectInfo());
        emitPool();
        return tr("%1 training images").arg(split.trainCount());
    });
}

void EngineWorker::saveSettings(const diffii::WorkflowSettings& settings) {
    runJob(jobs::kSettings, [&](diffii::JobContext&) {
        if (!m_session) throw diffii::Error("no project is open");
        // Through the schema once more: a value out of range is refused with the same message as in project.json.
        m_session->saveSettings(diffii::WorkflowSettings::fromJson(settings.toJson(), "settings"));
        // Every page merges its section into the controller's copy of the settings: keep that copy current.
        Q_EMIT projectOpened(makeProjectInfo());
        return QString();
    });
}

void EngineWorker::setSuffixes(const QStringList& suffixes) {
    runJob(jobs::kSuffixes, [&](diffii::JobContext&) {
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
    runJob(jobs::kSuffixes, [&](diffii::JobContext&) {
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
    runJob(jobs::kConcepts, [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        // A sample image every ~1/8 of the run (core renders it with the class prompt as trained so far).
        const int64_t maxSteps = m_session->settings().concepts.maxSteps;
        const int64_t every = std::max<int64_t>(1, maxSteps / 8);
        auto onSample = [this](int64_t step, const std::string& className, const diffii::Image& image) {
            Q_EMIT conceptSample(step, qs(className), toQImage(image));
        };
        diffii::ConceptResult r;
        try {
            r = m_session->trainConcepts(&ctx, resume, every, onSample);
        } catch (const diffii::Cancelled&) {
            // Paused: the pages show the checkpoint's step, loss log and tokens.
            Q_EMIT projectOpened(makeProjectInfo());
            throw;
        }
        Q_EMIT projectOpened(makeProjectInfo());
        emitPool();
        return tr("%1 steps, loss %2").arg(r.steps).arg(r.smoothedLoss, 0, 'f', 4);
    });
}

void EngineWorker::buildPool() {
    runJob(jobs::kPool, [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto entries =
            m_session->buildPool(&ctx, [this](const diffii::PoolEntry& e) { Q_EMIT poolEntryReady(toPoolItem(e)); });
        emitPool();
        return tr("%1 inversions").arg(entries.size());
    });
}

void EngineWorker::refreshPool() {
    runJob(jobs::kPoolList, [&](diffii::JobContext&) {
        if (m_session) emitPool();
        return QString();
    });
}

namespace {

diffii::PreviewParams previewParams(const PreviewRequest& request) {
    diffii::PreviewParams p;
    p.className = request.className.toStdString();
    p.first = request.first;
    p.second = request.second;
    p.alpha = request.alpha;
    p.seed = request.seed;
    p.suffix = request.suffix.toStdString();
    p.denoise.steps = request.steps;
    p.denoise.guidance = request.guidance;
    p.denoise.split = request.split;
    p.intermediateEvery = request.intermediateEvery;
    p.fullRender = request.fullRender;
    return p;
}

}  // namespace

void EngineWorker::preview(const PreviewRequest& request) {
    if (request.id < m_latestPreview) return;  // superseded while queued
    runJob(jobs::kPreview, [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        QElapsedTimer timer;
        timer.start();
        const qint64 id = request.id;
        auto onStep = [&, id](int step, int total, const diffii::Image& image) {
            if (id < m_latestPreview) throw diffii::Cancelled();
            if (!image.empty()) Q_EMIT previewIntermediate(id, toQImage(image), step + 1, total);
        };
        const auto r = m_session->preview(previewParams(request), &ctx, onStep);
        PreviewResult result;
        result.id = id;
        result.theta = r.theta;
        result.alpha = r.alpha;
        result.period = r.period;
        result.interpolation = r.interpolation;
        result.fallbackNoise = r.fallbackNoise;
        result.draft = r.draft;
        result.steps = r.steps;
        result.image = toQImage(r.image);
        result.seconds = timer.elapsed() / 1000.0;
        Q_EMIT previewReady(result);
        return QString();
    });
    // Cancelled while it was the latest: the user's cancel (a newer preview supersedes an older one silently).
    if (m_lastJobCancelled && request.id >= m_latestPreview) Q_EMIT previewStopped(request.id);
}

void EngineWorker::previewStrip(const PreviewRequest& request, int count) {
    runJob(jobs::kStrip, [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        m_session->circleStrip(previewParams(request), count, &ctx, [&](int i, const diffii::PreviewImage& image) {
            Q_EMIT stripImage(request.id, i, toQImage(image.image), image.alpha, image.interpolation);
        });
        return QString();
    });
}

void EngineWorker::sweepSplit(const PreviewRequest& request, const QList<double>& splits, int samples) {
    runJob(jobs::kSweep, [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        const std::vector<double> s(splits.begin(), splits.end());
        QList<SweepPoint> points;
        const auto onPoint = [&](int i, const diffii::SplitSweepPoint& p,
                                 const std::vector<diffii::PreviewImage>& images) {
            SweepPoint point{p.split, p.sourceSimilarity, p.diversity};
            if (!images.empty()) {
                point.image = toQImage(images.front().image);
                point.alpha = images.front().alpha;
            }
            points << point;
            Q_EMIT sweepPoint(request.id, i, point);
        };
        m_session->splitSweep(previewParams(request), s, samples, &ctx, onPoint, true);
        Q_EMIT sweepReady(points);
        return QString();
    });
}

void EngineWorker::generate() {
    runJob(jobs::kGeneration, [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto r = m_session->generate(&ctx);
        loadSynthetic();
        // Counts of the whole set after the run, by curation mark (a finished image is pending until curated).
        int64_t accepted = 0, rejected = 0, pending = 0;
        const auto set = m_session->syntheticSet();
        for (const auto& rec : set) {
            if (rec.curation == diffii::Curation::Accepted)
                ++accepted;
            else if (rec.curation == diffii::Curation::Rejected)
                ++rejected;
            else
                ++pending;
        }
        return tr("%1 new images (%2 already made); the set holds %3: %4 accepted, %5 rejected, %6 pending")
            .arg(r.generated)
            .arg(r.skipped)
            .arg(set.size())
            .arg(accepted)
            .arg(rejected)
            .arg(pending);
    });
}

void EngineWorker::loadSynthetic() {
    if (!m_session) return;
    const auto dir = m_session->project().syntheticDir();
    QList<SyntheticItem> items;
    {
        for (const auto& r : m_session->syntheticSet()) {
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
    runJob(jobs::kCurate, [&](diffii::JobContext&) {
        if (!m_session) throw diffii::Error("no project is open");
        std::vector<std::string> t;
        for (const auto& tag : tags) t.push_back(tag.toStdString());
        m_session->setCuration(outputPath.toStdString(), static_cast<diffii::Curation>(curation), t);
        return QString();
    });
}

void EngineWorker::setCurations(const QStringList& outputPaths, const QList<int>& curations,
                                const QList<QStringList>& tags) {
    runJob(jobs::kCurate, [&](diffii::JobContext&) {
        if (!m_session) throw diffii::Error("no project is open");
        std::vector<diffii::ProjectSession::CurationMark> marks;
        for (int i = 0; i < outputPaths.size() && i < curations.size() && i < tags.size(); ++i) {
            diffii::ProjectSession::CurationMark m;
            m.outputPath = outputPaths[i].toStdString();
            m.curation = static_cast<diffii::Curation>(curations[i]);
            for (const auto& tag : tags[i]) m.tags.push_back(tag.toStdString());
            marks.push_back(std::move(m));
        }
        m_session->setCurations(marks);
        return QString();
    });
}

void EngineWorker::exportSet(const QString& dir, bool force) {
    runJob(jobs::kExport, [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto n = m_session->exportSet(dir.toStdString(), &ctx, force);
        return tr("%1 images exported to %2").arg(n).arg(dir);
    });
}

void EngineWorker::slurmSubmit(const diffii::SlurmSubmitOptions& options) {
    runJob(jobs::kSlurm, [&](diffii::JobContext&) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto status = m_session->submitToSlurm(options);
        Q_EMIT slurmRunChanged(status, QString());
        return tr("job %1 submitted: %2 shards").arg(qs(status.jobIds.back())).arg(status.shards);
    });
}

void EngineWorker::slurmResume() {
    runJob(jobs::kSlurm, [&](diffii::JobContext&) {
        if (!m_session) throw diffii::Error("no project is open");
        const auto status = m_session->resumeSlurm();
        Q_EMIT slurmRunChanged(status, QString());
        return tr("job %1 submitted: shards %2 again").arg(qs(status.jobIds.back())).arg([&] {
            QStringList shards;
            for (const auto& s : status.shardStates)
                if (s.jobId.rfind(status.jobIds.back() + "_", 0) == 0) shards << QString::number(s.shard);
            return shards.join(QStringLiteral(", "));
        }());
    });
}

void EngineWorker::slurmStatus() {
    if (!m_session) return;
    const auto dir = m_session->project().dir();
    if (diffii::latestSlurmRun(dir).empty()) {
        Q_EMIT slurmRunChanged(diffii::SlurmRunStatus(), QString());
        return;
    }
    try {
        Q_EMIT slurmRunChanged(diffii::slurmRunStatus(dir), QString());
    } catch (const std::exception& e) {
        Q_EMIT slurmRunChanged(diffii::SlurmRunStatus(), QString::fromUtf8(e.what()));
    }
}

void EngineWorker::evaluate(const EvaluationRequest& request) {
    runJob(jobs::kEvaluate, [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        diffii::EvaluationSettings e;
        e.strategies.clear();
        for (const auto& s : request.strategies) e.strategies.push_back(s.toStdString());
        e.seeds = request.seeds;
        e.expansionRate = request.expansion;
        e.recipe.epochs = request.epochs;
        e.recipe.weights = diffii::embeddedBackboneFile();
        if (e.recipe.weights.empty()) {
            // No shipped backbone: a narrow network from scratch, sized for 2 cores.
            e.recipe.width = 16;
            e.recipe.batchSize = 16;
        }
        const auto outDir = m_session->project().dir() + "/evaluation";
        const auto report = diffii::runEvaluation(*m_session, e, outDir, &ctx);
        QList<EvaluationRow> rows;
        QStringList classNames;
        for (const auto& s : report.strategies) {
            EvaluationRow row;
            row.strategy = qs(s.strategy);
            row.mean = s.mean;
            row.std = s.std;
            for (const double a : s.accuracies) row.runs << a;
            row.diversity = s.diversity.value_or(-1.0);
            row.diversityMeasure = qs(s.diversityMeasure);
            row.faithfulness = s.faithfulness.value_or(-1.0);
            // The first seed's confusion matrix and per-class accuracy, from its result.json.
            const auto j = diffii::readJsonFile(outDir + "/" + s.strategy + "/seed-0/result.json");
            for (const auto& r : j.at("confusion")) {
                QList<int> line;
                for (const auto& v : r) line << v.get<int>();
                row.confusion << line;
            }
            if (classNames.isEmpty())
                for (const auto& c : j.at("classes")) classNames << qs(c.get<std::string>());
            for (const auto& c : classNames) row.perClass << j.at("per_class").value(c.toStdString(), 0.0);
            rows << row;
        }
        Q_EMIT evaluationReady(rows, classNames, qs(outDir));
        return tr("%1 strategies evaluated").arg(rows.size());
    });
}

void EngineWorker::renderGrid(const GridRequest& request) {
    runJob(jobs::kGrid, [&](diffii::JobContext& ctx) {
        if (!m_session) throw diffii::Error("no project is open");
        const GridAxis& cols = request.columns;
        const GridAxis& rows = request.rows;
        const int nr = rows.size(), nc = cols.size();
        const bool byTurn = cols.kind == GridAxisKind::Turn || rows.kind == GridAxisKind::Turn;
        const bool bySeed = cols.kind == GridAxisKind::Seed || rows.kind == GridAxisKind::Seed;
        double theta = request.theta;  // ≤ 0: learnt from the first image of the pair
        // s varies fastest when it is an axis: the renders of one α then share their trajectory's prefix.
        const bool columnMajor = rows.kind == GridAxisKind::Split && cols.kind != GridAxisKind::Split;
        const int total = nr * nc;
        for (int k = 0; k < total; ++k) {
            const int r = columnMajor ? k % nr : k / nc;
            const int c = columnMajor ? k / nr : k % nc;
            ctx.throwIfCancelled();
            if (request.abandoned && request.abandoned->load()) throw diffii::Cancelled();
            diffii::PreviewParams p = previewParams(request.base);
            p.intermediateEvery = 0;
            double turn = -1.0;
            bool seeded = false;
            for (const auto& [axis, i] : {std::pair<const GridAxis&, int>{cols, c}, {rows, r}}) {
                switch (axis.kind) {
                    case GridAxisKind::Turn:
                        turn = axis.numbers[i];
                        break;
                    case GridAxisKind::Split:
                        p.denoise.split = axis.numbers[i];
                        break;
                    case GridAxisKind::Suffix:
                        p.suffix = axis.suffixes[i].toStdString();
                        break;
                    case GridAxisKind::Seed:
                        p.seed = static_cast<uint64_t>(std::llround(std::max(0.0, axis.numbers[i])));
                        seeded = true;
                        break;
                    case GridAxisKind::Guidance:
                        p.denoise.guidance = axis.numbers[i];
                        break;
                }
            }
            // α from the turn (or drawn from the seed) needs the pair's θ: a first guess is rendered again once the
            // image tells the true θ.
            auto aim = [&] {
                if (byTurn && turn >= 0.0)
                    p.alpha = diffii::alphaForPosition(theta, turn);
                else if (bySeed && seeded)
                    p.alpha = diffii::sampleCircleAlpha(theta, p.seed);
            };
            const bool needsTheta = (byTurn && turn != 0.0) || (bySeed && !byTurn);
            if (theta <= 0.0 && needsTheta) theta = 1.0;
            aim();
            auto image = m_session->preview(p, &ctx);
            if (needsTheta && !image.fallbackNoise && image.theta > 0.0 && image.theta != theta) {
                theta = image.theta;
                aim();
                image = m_session->preview(p, &ctx);
            }
            if (!image.fallbackNoise && image.theta > 0.0) theta = image.theta;
            Q_EMIT gridCell(request.id, r, c, toQImage(image.image), image.alpha);
            ctx.report(jobs::kGrid.toStdString(), k + 1, total);
        }
        return tr("X/Y grid: %1 images").arg(total);
    });
}
}  // namespace diffii::ui
