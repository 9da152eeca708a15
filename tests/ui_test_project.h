// A tiny project for the GUI tests, prepared with the CLI binary: an ImageFolder with the two fixture images in
// class "finch", the tiny-sd1 model, metaclass bird, and the inversion pool (3 steps). Header-only: each test
// executable builds it into its own temporary folder.
#pragma once

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace diffii::test {

inline bool runDiffii(const QStringList& args, QString* output, int timeoutMs = 300000) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral(DIFFII_BINARY_DIR "/app/diffii"), args);
    const bool finished = p.waitForFinished(timeoutMs);
    *output = QString::fromUtf8(p.readAll());
    return finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

// Creates the ImageFolder <root>/data with class "finch" holding the two fixture images; returns <root>/data, or ""
// with *error set.
inline QString prepareUiDataset(const QString& root, QString* error) {
    const QString fixtures = QStringLiteral(DIFFII_SHARED_DIR "/fixtures");
    const QString dataset = QDir(root).filePath(QStringLiteral("data"));
    if (!QDir().mkpath(dataset + QStringLiteral("/finch"))) {
        *error = dataset + QStringLiteral(": cannot create");
        return QString();
    }
    for (const char* name : {"input_0.png", "input_1.png"}) {
        const QString dst = dataset + QStringLiteral("/finch/") + QLatin1String(name);
        if (!QFile::exists(dst) &&
            !QFile::copy(fixtures + QStringLiteral("/tiny-sd1-diffii/") + QLatin1String(name), dst)) {
            *error = dst + QStringLiteral(": cannot copy the fixture image");
            return QString();
        }
    }
    return dataset;
}

// Creates <root>/data and <root>/project and builds the pool; returns the project folder, or "" with *error set.
inline QString prepareUiProject(const QString& root, QString* error) {
    const QString fixtures = QStringLiteral(DIFFII_SHARED_DIR "/fixtures");
    const QString dataset = prepareUiDataset(root, error);
    if (dataset.isEmpty()) return QString();
    const QString project = QDir(root).filePath(QStringLiteral("project"));
    if (!runDiffii({QStringLiteral("create"), project, QStringLiteral("--dataset"), dataset, QStringLiteral("--model"),
                    fixtures + QStringLiteral("/tiny-sd1"), QStringLiteral("--metaclass"), QStringLiteral("bird")},
                   error))
        return QString();
    if (!runDiffii({QStringLiteral("pool"), project, QStringLiteral("--invert-steps"), QStringLiteral("3")}, error))
        return QString();
    return project;
}

}  // namespace diffii::test
