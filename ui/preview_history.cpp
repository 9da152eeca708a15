#include "ui/preview_history.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QSet>

namespace diffii::ui::preview_store {

namespace {

constexpr int kFormatVersion = 1;
const char* const kHistoryJson = "history.json";
const char* const kSweepJson = "sweep.json";

bool writeAtomically(const QString& file, const QByteArray& bytes, QString* error) {
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit()) {
        if (error) *error = QStringLiteral("%1: cannot write: %2").arg(file, out.errorString());
        return false;
    }
    return true;
}

bool writeImage(const QString& file, const QImage& image, QString* error) {
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly) || !image.save(&out, "PNG") || !out.commit()) {
        if (error) *error = QStringLiteral("%1: cannot write the image: %2").arg(file, out.errorString());
        return false;
    }
    return true;
}

QJsonObject requestJson(const PreviewRequest& r) {
    return QJsonObject{{QStringLiteral("class"), r.className},
                       {QStringLiteral("first"), r.first},
                       {QStringLiteral("second"), r.second},
                       {QStringLiteral("alpha"), r.alpha},
                       {QStringLiteral("split"), r.split},
                       {QStringLiteral("suffix"), r.suffix},
                       {QStringLiteral("steps"), r.steps},
                       {QStringLiteral("guidance"), r.guidance},
                       {QStringLiteral("seed"), QString::number(r.seed)}};
}

PreviewRequest requestFrom(const QJsonObject& o) {
    PreviewRequest r;
    r.className = o.value(QStringLiteral("class")).toString();
    r.first = o.value(QStringLiteral("first")).toInt();
    r.second = o.value(QStringLiteral("second")).toInt(1);
    r.alpha = o.value(QStringLiteral("alpha")).toDouble();
    r.split = o.value(QStringLiteral("split")).toDouble(0.5);
    r.suffix = o.value(QStringLiteral("suffix")).toString();
    r.steps = o.value(QStringLiteral("steps")).toInt(25);
    r.guidance = o.value(QStringLiteral("guidance")).toDouble(7.5);
    r.seed = o.value(QStringLiteral("seed")).toString().toULongLong();
    return r;
}

// The JSON object of file, or an empty one with *error set (a missing file is no error).
QJsonObject readJson(const QString& file, QString* error) {
    QFile in(file);
    if (!in.exists()) return {};
    if (!in.open(QIODevice::ReadOnly)) {
        if (error) *error = QStringLiteral("%1: cannot read: %2").arg(file, in.errorString());
        return {};
    }
    QJsonParseError parse;
    const QJsonDocument doc = QJsonDocument::fromJson(in.readAll(), &parse);
    if (!doc.isObject()) {
        if (error) *error = QStringLiteral("%1: not a JSON object: %2").arg(file, parse.errorString());
        return {};
    }
    const int version = doc.object().value(QStringLiteral("version")).toInt();
    if (version != kFormatVersion) {
        if (error)
            *error = QStringLiteral("%1: \"version\" is %2, expected %3").arg(file).arg(version).arg(kFormatVersion);
        return {};
    }
    return doc.object();
}

}  // namespace

QString historyDir(const QString& projectDir) { return QDir(projectDir).filePath(QStringLiteral("preview/history")); }
QString sweepDir(const QString& projectDir) { return QDir(projectDir).filePath(QStringLiteral("preview/sweep")); }

bool saveHistory(const QString& projectDir, QList<PreviewHistoryEntry>* entries, QString* error) {
    const QDir dir(historyDir(projectDir));
    if (!QDir().mkpath(dir.path())) {
        if (error) *error = dir.path() + QStringLiteral(": cannot create the folder");
        return false;
    }
    static int counter = 0;
    QJsonArray list;
    QSet<QString> named;
    for (PreviewHistoryEntry& e : *entries) {
        if (e.file.isEmpty() || !dir.exists(e.file)) {
            if (e.file.isEmpty())
                e.file = QStringLiteral("preview-%1-%2.png").arg(QDateTime::currentMSecsSinceEpoch()).arg(++counter);
            if (!writeImage(dir.filePath(e.file), e.image, error)) return false;
        }
        named.insert(e.file);
        QJsonObject o = requestJson(e.request);
        o.insert(QStringLiteral("file"), e.file);
        o.insert(QStringLiteral("theta"), e.theta);
        o.insert(QStringLiteral("turn"), e.turn);
        o.insert(QStringLiteral("interpolation"), e.interpolation);
        o.insert(QStringLiteral("seconds"), e.seconds);
        list.append(o);
    }
    const QJsonObject doc{{QStringLiteral("version"), kFormatVersion}, {QStringLiteral("entries"), list}};
    if (!writeAtomically(dir.filePath(QLatin1String(kHistoryJson)), QJsonDocument(doc).toJson(), error)) return false;
    // Images no entry names any more (dropped from the end of the list).
    for (const QString& name : dir.entryList({QStringLiteral("preview-*.png")}, QDir::Files))
        if (!named.contains(name)) QFile::remove(dir.filePath(name));
    return true;
}

QList<PreviewHistoryEntry> loadHistory(const QString& projectDir, QString* error) {
    const QDir dir(historyDir(projectDir));
    const QJsonObject doc = readJson(dir.filePath(QLatin1String(kHistoryJson)), error);
    QList<PreviewHistoryEntry> out;
    for (const QJsonValue& v : doc.value(QStringLiteral("entries")).toArray()) {
        const QJsonObject o = v.toObject();
        PreviewHistoryEntry e;
        e.request = requestFrom(o);
        e.theta = o.value(QStringLiteral("theta")).toDouble();
        e.turn = o.value(QStringLiteral("turn")).toDouble();
        e.interpolation = o.value(QStringLiteral("interpolation")).toBool();
        e.seconds = o.value(QStringLiteral("seconds")).toDouble();
        e.file = QFileInfo(o.value(QStringLiteral("file")).toString()).fileName();  // never outside the folder
        e.image = QImage(dir.filePath(e.file));
        if (e.file.isEmpty() || e.image.isNull()) {
            if (error) *error = QStringLiteral("%1: cannot read the image").arg(dir.filePath(e.file));
            continue;
        }
        out.append(e);
    }
    return out;
}

bool saveSweep(const QString& projectDir, const PreviewRequest& request, const QList<SweepPoint>& points,
               QString* error) {
    const QDir dir(sweepDir(projectDir));
    if (!QDir().mkpath(dir.path())) {
        if (error) *error = dir.path() + QStringLiteral(": cannot create the folder");
        return false;
    }
    QJsonArray list;
    for (int i = 0; i < points.size(); ++i) {
        const SweepPoint& p = points[i];
        const QString file = QStringLiteral("s-%1.png").arg(i);
        if (!p.image.isNull() && !writeImage(dir.filePath(file), p.image, error)) return false;
        list.append(QJsonObject{{QStringLiteral("split"), p.split},
                                {QStringLiteral("faithfulness"), p.faithfulness},
                                {QStringLiteral("diversity"), p.diversity},
                                {QStringLiteral("alpha"), p.alpha},
                                {QStringLiteral("file"), p.image.isNull() ? QString() : file}});
    }
    const QJsonObject doc{{QStringLiteral("version"), kFormatVersion},
                          {QStringLiteral("request"), requestJson(request)},
                          {QStringLiteral("points"), list}};
    return writeAtomically(dir.filePath(QLatin1String(kSweepJson)), QJsonDocument(doc).toJson(), error);
}

bool loadSweep(const QString& projectDir, PreviewRequest* request, QList<SweepPoint>* points, QString* error) {
    const QDir dir(sweepDir(projectDir));
    const QJsonObject doc = readJson(dir.filePath(QLatin1String(kSweepJson)), error);
    if (doc.isEmpty()) return false;
    QList<SweepPoint> out;
    for (const QJsonValue& v : doc.value(QStringLiteral("points")).toArray()) {
        const QJsonObject o = v.toObject();
        SweepPoint p;
        p.split = o.value(QStringLiteral("split")).toDouble();
        p.faithfulness = o.value(QStringLiteral("faithfulness")).toDouble();
        p.diversity = o.value(QStringLiteral("diversity")).toDouble();
        p.alpha = o.value(QStringLiteral("alpha")).toDouble();
        const QString file = QFileInfo(o.value(QStringLiteral("file")).toString()).fileName();
        if (!file.isEmpty()) p.image = QImage(dir.filePath(file));
        out.append(p);
    }
    *request = requestFrom(doc.value(QStringLiteral("request")).toObject());
    *points = out;
    return true;
}

}  // namespace diffii::ui::preview_store
