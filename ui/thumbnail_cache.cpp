#include "ui/thumbnail_cache.h"

#include <QImageReader>
#include <QMetaObject>
#include <QPointer>

#include <climits>

namespace diffii::ui {

ThumbnailCache::ThumbnailCache(QSize size, int cacheMiB, QObject* parent) : QObject(parent), m_size(size) {
    m_cache.setMaxCost(cacheMiB * 1024);
    // Two decoders keep the grid fed without competing with the engine thread for the CPU.
    m_pool.setMaxThreadCount(2);
    m_pool.setObjectName(QStringLiteral("diffii-thumbnails"));
}

ThumbnailCache::~ThumbnailCache() {
    // A decode still running posts its result to this object: wait for it before the object goes away.
    m_pool.clear();
    m_pool.waitForDone();
}

QImage ThumbnailCache::load(const QString& path, QSize box) {
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QSize full = reader.size();
    if (full.isValid() && (full.width() > box.width() || full.height() > box.height())) {
        // Formats with scaled decoding (JPEG) then skip most of the work; the rest scale after reading.
        reader.setScaledSize(full.scaled(box, Qt::KeepAspectRatio));
    }
    QImage image = reader.read();
    if (image.isNull()) return image;
    if (image.width() > box.width() || image.height() > box.height())
        image = image.scaled(box, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    return image;
}

QImage ThumbnailCache::thumbnail(const QString& path) {
    if (path.isEmpty()) return QImage();
    if (const QImage* cached = m_cache.object(path)) return *cached;
    if (m_failed.contains(path) || m_pending.contains(path)) return QImage();
    m_pending.insert(path);
    const QSize box = m_size;
    const quint64 generation = m_generation;
    QPointer<ThumbnailCache> self(this);
    m_pool.start(
        [self, path, box, generation] {
            const QImage image = load(path, box);
            // The destructor waits for running decodes, so `self` cannot vanish between the check and the post.
            if (self)
                QMetaObject::invokeMethod(
                    self.data(),
                    [self, path, image, generation] {
                        if (self) self->onLoaded(path, image, generation);
                    },
                    Qt::QueuedConnection);
        },
        m_priority < INT_MAX ? ++m_priority : m_priority);
    return QImage();
}

void ThumbnailCache::onLoaded(const QString& path, const QImage& image, quint64 generation) {
    if (generation != m_generation) return;  // cleared meanwhile: the file may have changed
    m_pending.remove(path);
    if (image.isNull()) {
        m_failed.insert(path);
    } else {
        const int cost = std::max<int>(1, static_cast<int>(image.sizeInBytes() / 1024));
        m_cache.insert(path, new QImage(image), cost);
    }
    Q_EMIT thumbnailReady(path);
}

void ThumbnailCache::invalidate(const QString& path) {
    m_cache.remove(path);
    m_failed.remove(path);
    if (m_pending.contains(path)) {
        // The queued or running decode may have read the old file; forget every pending result rather than track
        // one path's generation.
        cancelPending();
        ++m_generation;
    }
}

void ThumbnailCache::cancelPending() {
    m_pool.clear();
    // Decodes already running still deliver (same generation), which is harmless; queued ones are gone, so their
    // paths must be requestable again.
    m_pending.clear();
}

void ThumbnailCache::clear() {
    cancelPending();
    ++m_generation;
    m_cache.clear();
    m_failed.clear();
}

}  // namespace diffii::ui
