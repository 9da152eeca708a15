// The engine on its own thread. Every LibTorch call of the application happens in this object, which lives on a
// worker QThread; widgets talk to it only through queued slots and signals (the GUI thread never blocks). cancel()
// and supersedePreviews() are the only calls made directly from the GUI thread: they set atomics the running job
// polls between steps.
#pragma once

#include <QObject>
#include <QTimer>

#include <atomic>
#include <memory>

#include "core/jobs/slurm.h"
#include "ui/studio_types.h"
#include "ui/xy_grid.h"

namespace diffii {
class ProjectSession;
}

namespace diffii::ui {

class EngineWorker : public QObject {
    Q_OBJECT

public:
    explicit EngineWorker(QObject* parent = nullptr);
    ~EngineWorker() override;

    // Thread-safe: asks the running job to stop at its next step (it saves what resumes it first).
    void cancel() { m_cancel = true; }
    // Thread-safe: previews with an id below this are abandoned (a newer slider position arrived).
    void supersedePreviews(qint64 latestId) { m_latestPreview = latestId; }

public Q_SLOTS:
    // Checks everything, creates the project folder atomically and opens it; a project that does not open (its
    // model does not load) is removed again. Ends with projectCreated, whatever happened.
    void createProject(const QString& dir, const QString& datasetDir, const QString& modelDir, const QString& metaclass,
                       quint64 seed);
    void openProject(const QString& dir);
    // Creates (or reuses) the embedded emoji-birds demo project in dir ("" : the default place), opens it and
    // builds its inversion pool, so that previews work as soon as it finishes.
    void openDemo(const QString& dir);
    void setSplit(const QString& method, int k, double imbalanceFactor, int maxPerClass, quint64 seed);
    void saveSettings(const diffii::WorkflowSettings& settings);
    void setSuffixes(const QStringList& suffixes);
    void importCaptions(const QString& captionsFile);
    void trainConcepts(bool resume);
    void buildPool();
    void refreshPool();
    void preview(const diffii::ui::PreviewRequest& request);
    void previewStrip(const diffii::ui::PreviewRequest& request, int count);
    void sweepSplit(const diffii::ui::PreviewRequest& request, const QList<double>& splits, int samples);
    void generate();
    void loadSynthetic();
    void setCuration(const QString& outputPath, int curation, const QStringList& tags);
    // Several marks in one manifest rewrite (multi-selection, undo / redo): outputPaths[i] gets curations[i] and
    // tags[i]; all or nothing.
    void setCurations(const QStringList& outputPaths, const QList<int>& curations, const QList<QStringList>& tags);
    // force: merge into a folder that is not empty and not an earlier export of this set (the user agreed).
    void exportSet(const QString& dir, bool force = false);
    // The comparison of strategies (core/eval/evaluation.h) into <project>/evaluation: emits evaluationReady.
    void evaluate(const diffii::ui::EvaluationRequest& request);
    // The X/Y grid of the pair in request.base, cell by cell (gridCell for each as it is done).
    void renderGrid(const diffii::ui::GridRequest& request);
    // Generation on a Slurm cluster (core/jobs/slurm.h, the same engine calls as `diffii slurm`): submit the set as
    // a job array, resubmit the latest run's incomplete shards, or read its state. Each ends with slurmRunChanged.
    void slurmSubmit(const diffii::SlurmSubmitOptions& options);
    void slurmResume();
    void slurmStatus();  // no job (quick, for polling): slurmRunChanged, or slurmRunChanged with an empty run

Q_SIGNALS:
    void progress(const diffii::ui::JobProgress& progress);
    void jobStarted(const QString& job);
    void jobFinished(const QString& job, const QString& summary);
    void jobFailed(const QString& job, const QString& message);
    void jobCancelled(const QString& job);
    void projectOpened(const diffii::ui::ProjectInfo& info);
    // The end of createProject: error is empty when the project was created and opened, else nothing was left.
    void projectCreated(const QString& dir, const QString& error);
    void poolChanged(const QList<diffii::ui::PoolItem>& items);
    // One entry of a running pool build, as soon as it is on disk (kept or built).
    void poolEntryReady(const diffii::ui::PoolItem& item);
    void lossPoint(qint64 step, double loss, double smoothed);
    // A sample image rendered during concept training (every ~1/8 of the steps).
    void conceptSample(qint64 step, const QString& className, const QImage& image);
    void previewIntermediate(qint64 id, const QImage& image, int step, int total);
    void previewReady(const diffii::ui::PreviewResult& result);
    // The preview `id` stopped by a cancel (the user's, not a newer preview's): nothing more comes for it.
    void previewStopped(qint64 id);
    void stripImage(qint64 id, int index, const QImage& image, double alpha, bool interpolation);
    void sweepReady(const QList<diffii::ui::SweepPoint>& points);
    // One s of a sweep as soon as its samples are rendered (id: the request's; index: into the splits asked for).
    void sweepPoint(qint64 id, int index, const diffii::ui::SweepPoint& point);
    void syntheticChanged(const QList<diffii::ui::SyntheticItem>& items);
    // The rows of a finished comparison, the class names of its confusion matrices and the folder of its files.
    void evaluationReady(const QList<diffii::ui::EvaluationRow>& rows, const QStringList& classNames,
                         const QString& outDir);
    // One cell of the X/Y grid request id, with the α it was rendered at.
    void gridCell(qint64 id, int row, int column, const QImage& image, double alpha);
    // The latest Slurm run's shards (runId empty: the project has none; error: why the state could not be read).
    void slurmRunChanged(const diffii::SlurmRunStatus& status, const QString& error);

private:
    template <typename F>
    void runJob(const QString& job, F&& body);
    ProjectInfo makeProjectInfo() const;
    void emitPool();

    std::unique_ptr<diffii::ProjectSession> m_session;
    std::atomic<bool> m_cancel{false};
    std::atomic<qint64> m_latestPreview{0};
    bool m_lastJobCancelled = false;  // how the last runJob ended (worker thread only)
    // Hands the block cache's free blocks back once the engine has been idle for a while (not after every job: a
    // run of previews would map and fault in its activations again each time). A child: it moves to the worker
    // thread with this object.
    QTimer* m_releaseWhenIdle;
};

}  // namespace diffii::ui

Q_DECLARE_METATYPE(diffii::SlurmRunStatus)
Q_DECLARE_METATYPE(diffii::SlurmSubmitOptions)

namespace diffii::ui {

// Registers the value types for queued connections; call once before connecting.
void registerStudioTypes();

}  // namespace diffii::ui
