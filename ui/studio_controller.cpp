#include "ui/studio_controller.h"

namespace diffii::ui {

StudioController::StudioController(QObject* parent) : QObject(parent) {
    registerStudioTypes();
    m_worker = new EngineWorker();
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.setObjectName(QStringLiteral("diffii-engine"));
    m_thread.start();
    connect(m_worker, &EngineWorker::projectOpened, this, [this](const ProjectInfo& info) {
        m_project = info;
        Q_EMIT projectChanged(info);
    });
    connect(m_worker, &EngineWorker::jobStarted, this, [this](const QString& job) {
        m_runningJob = job;
        Q_EMIT busyChanged(true, job);
    });
    auto done = [this](const QString& job) {
        if (job == m_runningJob) m_runningJob.clear();
        Q_EMIT busyChanged(false, job);
    };
    connect(m_worker, &EngineWorker::jobFinished, this, [done](const QString& job, const QString&) { done(job); });
    connect(m_worker, &EngineWorker::jobFailed, this, [done](const QString& job, const QString&) { done(job); });
    connect(m_worker, &EngineWorker::jobCancelled, this, done);
}

StudioController::~StudioController() {
    m_worker->cancel();
    m_worker->supersedePreviews(std::numeric_limits<qint64>::max());
    m_thread.quit();
    m_thread.wait();
}

void StudioController::openProject(const QString& dir) {
    post([dir](EngineWorker* w) { w->openProject(dir); });
}

void StudioController::openDemo(const QString& dir) {
    post([dir](EngineWorker* w) { w->openDemo(dir); });
}

void StudioController::createProject(const QString& dir, const QString& dataset, const QString& model,
                                     const QString& metaclass, quint64 seed) {
    post([=](EngineWorker* w) { w->createProject(dir, dataset, model, metaclass, seed); });
}

void StudioController::cancel() { m_worker->cancel(); }

qint64 StudioController::requestPreview(PreviewRequest request) {
    request.id = ++m_previewId;
    m_worker->supersedePreviews(request.id);
    post([request](EngineWorker* w) { w->preview(request); });
    return request.id;
}

}  // namespace diffii::ui
