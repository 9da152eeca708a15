// Plain Qt value types that cross the thread boundary between the engine worker and the widgets (queued signals).
#pragma once

#include <QImage>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include "core/engine/types.h"

namespace diffii::ui {

struct ClassInfo {
    QString name;
    QStringList images;       // every image of the class (absolute paths)
    QStringList trainImages;  // the split's training images
    QStringList tokens;       // placeholder tokens once concepts are trained
};

struct ProjectInfo {
    QString dir;
    QString name;
    QString datasetDir;
    QString modelDir;
    QString metaclass;
    quint64 seed = 0;
    QList<ClassInfo> classes;
    QStringList warnings;
    bool hasConcepts = false;
    QStringList suffixes;
    diffii::WorkflowSettings workflow;  // the settings, typed: what the pages edit
    QJsonObject settings;               // the same as project.json's "settings" (for display)
    QString modelHash;
    int nativeImageSize = 0;
    diffii::ConceptHistory conceptHistory;  // concepts/: loss log, samples, trained steps (ProjectSession)
};

struct PoolItem {
    QString className;
    QString key;
    QString imagePath;
    QString reconstructionPath;
    QString file;
    double psnr = 0.0;
    bool stale = false;
};

struct PreviewRequest {
    qint64 id = 0;
    QString className;
    int first = 0;  // index into the class's pool entries
    int second = 1;
    double alpha = 0.0;  // rotation parameter of the circle formula
    double split = 0.5;
    QString suffix;
    int steps = 25;
    double guidance = 7.5;
    quint64 seed = 0;           // for the one-image fallback noise
    int intermediateEvery = 5;  // send a decoded intermediate every N steps (0: none)
    bool fullRender = false;    // a large model previews as a draft unless this is set (the "Full render" button)
};

struct PreviewResult {
    qint64 id = 0;
    QImage image;
    double theta = 0.0;
    double alpha = 0.0;
    double period = 0.0;  // 2π/θ
    bool interpolation = false;
    bool fallbackNoise = false;
    double seconds = 0.0;
    bool draft = false;  // fewer steps at a lower resolution than the request's (core PreviewInfo::draft)
    int steps = 0;       // denoising steps run for this image's trajectory
};

struct SweepPoint {
    double split = 0.0;
    double faithfulness = 0.0;  // mean cosine similarity of generated to source images (pixel features)
    double diversity = 0.0;     // mean pairwise distance among generated images
    QImage image;               // the first sample at this s (at the request's α), for the row of images per s
    double alpha = 0.0;         // the first sample's α
};

struct SyntheticItem {
    QString path;        // absolute path of the PNG
    QString outputPath;  // relative path (manifest key)
    QString className;
    qint64 index = 0;
    QString sourceA, sourceB;
    bool fallbackNoise = false;
    double alpha = 0.0, theta = 0.0, split = 0.0;
    QString suffix;
    quint64 seed = 0;
    int curation = 0;  // 0 pending, 1 accepted, 2 rejected
    QStringList tags;
};

// What the Evaluate page asks for (core/eval/evaluation.h): strategies by name, seeds, epochs, expansion.
struct EvaluationRequest {
    QStringList strategies;
    int seeds = 3;
    int epochs = 30;
    double expansion = 5.0;
};

// One strategy's row of the comparison, with the first seed's confusion matrix (rows: true class).
struct EvaluationRow {
    QString strategy;
    double mean = 0.0, std = 0.0;
    QList<double> runs;
    double diversity = -1.0;     // < 0: not measured
    double faithfulness = -1.0;  // < 0: not measured (training-time strategies)
    QString diversityMeasure;
    QList<QList<int>> confusion;
    QList<double> perClass;
};

// project.json's "settings" object for typed settings (core's WorkflowSettings::toJson), e.g. for display.
QJsonObject settingsJson(const diffii::WorkflowSettings& settings);

// The jobs of the engine worker, one name each: the worker's job signals and JobProgress::job carry these.
namespace jobs {
inline const QString kOpen = QStringLiteral("open");
inline const QString kCreate = QStringLiteral("create");
inline const QString kDemo = QStringLiteral("demo");
inline const QString kSplit = QStringLiteral("split");
inline const QString kSettings = QStringLiteral("settings");
inline const QString kSuffixes = QStringLiteral("suffixes");
inline const QString kConcepts = QStringLiteral("concepts");
inline const QString kPool = QStringLiteral("pool");
inline const QString kPoolList = QStringLiteral("pool-list");
inline const QString kPreview = QStringLiteral("preview");
inline const QString kStrip = QStringLiteral("strip");
inline const QString kSweep = QStringLiteral("sweep");
inline const QString kGeneration = QStringLiteral("generation");
inline const QString kCurate = QStringLiteral("curate");
inline const QString kExport = QStringLiteral("export");
inline const QString kSlurm = QStringLiteral("slurm");
inline const QString kEvaluate = QStringLiteral("evaluate");
inline const QString kGrid = QStringLiteral("grid");
}  // namespace jobs

// A job's or stage's name as the user reads it (the worker's job names above and the engine's stage names, e.g.
// "denoising", "inversion pool"), in the current language; an unknown name as it is.
QString jobDisplayName(const QString& name);

struct JobProgress {
    QString job;  // the running job (namespace jobs), or a stage the core reports inside it
    qint64 done = 0;
    qint64 total = 0;
    QString detail;
    double etaSeconds = -1.0;  // < 0: unknown
};

}  // namespace diffii::ui

Q_DECLARE_METATYPE(diffii::ui::ProjectInfo)
Q_DECLARE_METATYPE(diffii::WorkflowSettings)
Q_DECLARE_METATYPE(diffii::ui::EvaluationRequest)
Q_DECLARE_METATYPE(QList<diffii::ui::EvaluationRow>)
Q_DECLARE_METATYPE(diffii::ui::PreviewRequest)
Q_DECLARE_METATYPE(diffii::ui::PreviewResult)
Q_DECLARE_METATYPE(diffii::ui::JobProgress)
Q_DECLARE_METATYPE(QList<diffii::ui::PoolItem>)
Q_DECLARE_METATYPE(diffii::ui::SweepPoint)
Q_DECLARE_METATYPE(QList<diffii::ui::SweepPoint>)
Q_DECLARE_METATYPE(QList<diffii::ui::SyntheticItem>)
