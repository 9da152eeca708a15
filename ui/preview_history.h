// The Preview page's history and its newest sweep of s, kept with the project so that they are there on reopening:
//   PROJECT/preview/history/history.json   the entries, newest first, with their settings; one PNG each beside it
//   PROJECT/preview/sweep/sweep.json        the sweep's settings and points; the image per s beside it
// Each file is written atomically (QSaveFile: a temporary file renamed over the old one), images before the JSON that
// names them, so a crash leaves the previous state readable. A missing or unreadable image drops its entry on load.
#pragma once

#include <QImage>
#include <QList>
#include <QString>

#include "ui/studio_types.h"

namespace diffii::ui {

// A preview rendered in this session (or an earlier one, read back), with everything needed to show it again or
// restore its settings.
struct PreviewHistoryEntry {
    PreviewRequest request;  // α included (the engine's α)
    double theta = 0.0;      // 0: a one-image class (Gaussian noise)
    double turn = 0.0;       // the slider position, in turns from z1
    bool interpolation = false;
    double seconds = 0.0;
    QImage image;
    QString file;  // the image's file name in the history folder ("" until written)
};

namespace preview_store {

QString historyDir(const QString& projectDir);
QString sweepDir(const QString& projectDir);

// Names the entries' images that have no file yet (entries is updated), writes those images and history.json, and
// removes the images of the folder that no entry names any more. False with *error (file and reason) on failure.
bool saveHistory(const QString& projectDir, QList<PreviewHistoryEntry>* entries, QString* error);
// The saved entries, newest first; an empty list when nothing was saved. *error names what could not be read.
QList<PreviewHistoryEntry> loadHistory(const QString& projectDir, QString* error);

bool saveSweep(const QString& projectDir, const PreviewRequest& request, const QList<SweepPoint>& points,
               QString* error);
// False (and nothing changed) when no sweep was saved or it cannot be read (*error says which).
bool loadSweep(const QString& projectDir, PreviewRequest* request, QList<SweepPoint>* points, QString* error);

}  // namespace preview_store
}  // namespace diffii::ui
