// Thumbnails for the image grids (dataset, inversion pool). A grid asks for a thumbnail while painting an item, so
// only visible items are ever requested; the first request queues a decode on a small thread pool (QImageReader with
// a scaled size, so a 4000 px photo is never fully decoded) and later requests hit the cache. A model listens to
// thumbnailReady() and repaints the item. The newest request runs first, so after fast scrolling the thumbnails on
// screen arrive before the ones scrolled past.
#pragma once

#include <QCache>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QSize>
#include <QString>
#include <QThreadPool>

namespace diffii::ui {

class ThumbnailCache : public QObject {
    Q_OBJECT

public:
    // size: the box a thumbnail fits in (aspect ratio kept); cacheMiB: memory held by decoded thumbnails.
    explicit ThumbnailCache(QSize size, int cacheMiB = 96, QObject* parent = nullptr);
    ~ThumbnailCache() override;

    QSize thumbnailSize() const { return m_size; }

    // The cached thumbnail, or a null image after queueing its decode (thumbnailReady follows). A file that could
    // not be read stays null without being retried until invalidate()/clear().
    QImage thumbnail(const QString& path);
    bool contains(const QString& path) const { return m_cache.contains(path); }
    bool failed(const QString& path) const { return m_failed.contains(path); }

    // A file was rewritten (a rebuilt reconstruction): drop its thumbnail so the next request decodes it again.
    void invalidate(const QString& path);
    // Drops every queued decode that has not started (the grid now shows something else); the cache is kept.
    void cancelPending();
    void clear();

    // Decodes one thumbnail on the calling thread; used by the pool workers, public for tests.
    static QImage load(const QString& path, QSize box);

Q_SIGNALS:
    void thumbnailReady(const QString& path);

private:
    void onLoaded(const QString& path, const QImage& image, quint64 generation);

    QSize m_size;
    QCache<QString, QImage> m_cache;  // cost: KiB
    QSet<QString> m_pending;
    QSet<QString> m_failed;
    QThreadPool m_pool;
    int m_priority = 0;        // grows with every request: the newest runs first
    quint64 m_generation = 0;  // results of decodes queued before clear()/invalidate are dropped
};

}  // namespace diffii::ui
