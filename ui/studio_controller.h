// Owns the engine thread. Widgets call the controller (GUI thread); it queues the work on the EngineWorker, whose
// signals reach the widgets through queued connections. Tracks the running job for the status bar.
#pragma once

#include <QObject>
#include <QThread>

#include "ui/engine_worker.h"

namespace diffii::ui {

class StudioController : public QObject {
    Q_OBJECT

public:
    explicit StudioController(QObject* parent = nullptr);
    ~StudioController() override;

    EngineWorker* worker() const { return m_worker; }
    const ProjectInfo& project() const { return m_project; }
    bool hasProject() const { return !m_project.dir.isEmpty(); }
    bool busy() const { return !m_runningJob.isEmpty(); }
    QString runningJob() const { return m_runningJob; }

    // Queues a call on the worker thread: post([](EngineWorker* w) { w->buildPool(); }).
    template <typename F>
    void post(F&& f) {
        EngineWorker* w = m_worker;
        QMetaObject::invokeMethod(
            m_worker, [w, f = std::forward<F>(f)]() mutable { f(w); }, Qt::QueuedConnection);
    }

    void openProject(const QString& dir);
    void openDemo(const QString& dir = QString());
    void createProject(const QString& dir, const QString& dataset, const QString& model, const QString& metaclass,
                       quint64 seed);
    void cancel();

    // A preview request with a fresh id; older requests still queued or running are abandoned.
    qint64 requestPreview(PreviewRequest request);

Q_SIGNALS:
    void projectChanged(const diffii::ui::ProjectInfo& info);
    void busyChanged(bool busy, const QString& job);

private:
    QThread m_thread;
    EngineWorker* m_worker = nullptr;
    ProjectInfo m_project;
    QString m_runningJob;
    qint64 m_previewId = 0;
};

}  // namespace diffii::ui
