#include "ui/retranslate.h"

#include <QAbstractButton>
#include <QAbstractItemModel>
#include <QAbstractSpinBox>
#include <QAction>
#include <QComboBox>
#include <QCoreApplication>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QHash>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMutex>
#include <QPlainTextEdit>
#include <QPointer>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextEdit>
#include <QToolBox>
#include <QTranslator>
#include <QTreeWidget>

#include <memory>
#include <optional>

namespace diffii::ui {

namespace {

struct SourceKey {
    QByteArray context;
    QByteArray source;
    QByteArray disambiguation;
    bool operator==(const SourceKey& o) const {
        return context == o.context && source == o.source && disambiguation == o.disambiguation;
    }
};

// Asks the catalogue of the current language and remembers, for each text it returns (or the source itself when
// the catalogue has none), where the text came from.
class RecordingTranslator : public QTranslator {
public:
    explicit RecordingTranslator(QObject* parent) : QTranslator(parent) {}

    void setCatalogue(QTranslator* catalogue) {
        const QMutexLocker lock(&m_mutex);
        m_catalogue.reset(catalogue);
    }

    bool isEmpty() const override { return false; }

    QString translate(const char* context, const char* sourceText, const char* disambiguation, int n) const override {
        const QMutexLocker lock(&m_mutex);
        QString result = m_catalogue ? m_catalogue->translate(context, sourceText, disambiguation, n) : QString();
        if (context && sourceText && *sourceText) {
            const QString shown = result.isEmpty() ? QString::fromUtf8(sourceText) : result;
            QList<SourceKey>& keys = m_sources[shown];
            const SourceKey key{context, sourceText, disambiguation ? QByteArray(disambiguation) : QByteArray()};
            // A few contexts share a text ("Cancel"); the newest comes first, the list stays short.
            if (!keys.contains(key)) {
                keys.prepend(key);
                if (keys.size() > 6) keys.removeLast();
            }
        }
        return result;
    }

    QList<SourceKey> sources(const QString& text) const {
        const QMutexLocker lock(&m_mutex);
        return m_sources.value(text);
    }

private:
    mutable QMutex m_mutex;
    std::unique_ptr<QTranslator> m_catalogue;
    mutable QHash<QString, QList<SourceKey>> m_sources;
};

QPointer<RecordingTranslator>& recorder() {
    static QPointer<RecordingTranslator> instance;
    return instance;
}

}  // namespace

void installRecordingTranslator() {
    if (recorder() || !QCoreApplication::instance()) return;
    auto* r = new RecordingTranslator(QCoreApplication::instance());
    recorder() = r;
    QCoreApplication::installTranslator(r);
}

void setRecordingCatalogue(QTranslator* catalogue) {
    installRecordingTranslator();
    if (recorder())
        recorder()->setCatalogue(catalogue);
    else
        delete catalogue;
}

namespace {

// The text in the current language when it is one remembered catalogue string; nullopt when it is not one.
std::optional<QString> retranslatedWhole(const QString& text) {
    const QList<SourceKey> keys = recorder()->sources(text);
    if (keys.isEmpty()) return std::nullopt;
    // The first context whose catalogue translates the text; else the source (English).
    for (const SourceKey& k : keys) {
        const QString source = QString::fromUtf8(k.source);
        const QString t =
            QCoreApplication::translate(k.context.constData(), k.source.constData(),
                                        k.disambiguation.isEmpty() ? nullptr : k.disambiguation.constData());
        if (t != source) return t;
    }
    return QString::fromUtf8(keys.first().source);
}

}  // namespace

QString retranslated(const QString& text) {
    if (text.isEmpty() || !recorder()) return text;
    if (auto whole = retranslatedWhole(text)) return *whole;
    // Lines joined from catalogue strings (a tooltip with the lightbox's hint appended): each line on its own; a line
    // that is no catalogue string (a file name) stays as it is.
    if (!text.contains(QLatin1Char('\n'))) return text;
    QStringList lines = text.split(QLatin1Char('\n'));
    for (QString& line : lines)
        if (auto t = retranslatedWhole(line)) line = *t;
    return lines.join(QLatin1Char('\n'));
}

namespace {

template <typename Get, typename Set>
void update(Get get, Set set) {
    const QString before = get();
    const QString after = retranslated(before);
    if (after != before) set(after);
}

void retranslateHeader(QAbstractItemModel* model, Qt::Orientation orientation, int count) {
    if (auto* standard = qobject_cast<QStandardItemModel*>(model)) {
        for (int i = 0; i < count; ++i) {
            QStandardItem* item =
                orientation == Qt::Horizontal ? standard->horizontalHeaderItem(i) : standard->verticalHeaderItem(i);
            if (item) update([&] { return item->text(); }, [&](const QString& t) { item->setText(t); });
        }
    } else if (model && count > 0) {
        // A model of ours answers headerData with tr() at each call: it only needs repainting.
        Q_EMIT model->headerDataChanged(orientation, 0, count - 1);
    }
}

void retranslateWidget(QWidget* w) {
    update([&] { return w->toolTip(); }, [&](const QString& t) { w->setToolTip(t); });
    update([&] { return w->statusTip(); }, [&](const QString& t) { w->setStatusTip(t); });
    update([&] { return w->whatsThis(); }, [&](const QString& t) { w->setWhatsThis(t); });
    if (w->isWindow()) update([&] { return w->windowTitle(); }, [&](const QString& t) { w->setWindowTitle(t); });
    if (auto* label = qobject_cast<QLabel*>(w)) {
        update([&] { return label->text(); }, [&](const QString& t) { label->setText(t); });
    } else if (auto* button = qobject_cast<QAbstractButton*>(w)) {
        update([&] { return button->text(); }, [&](const QString& t) { button->setText(t); });
    } else if (auto* group = qobject_cast<QGroupBox*>(w)) {
        update([&] { return group->title(); }, [&](const QString& t) { group->setTitle(t); });
    } else if (auto* edit = qobject_cast<QLineEdit*>(w)) {
        update([&] { return edit->placeholderText(); }, [&](const QString& t) { edit->setPlaceholderText(t); });
    } else if (auto* plain = qobject_cast<QPlainTextEdit*>(w)) {
        update([&] { return plain->placeholderText(); }, [&](const QString& t) { plain->setPlaceholderText(t); });
    } else if (auto* text = qobject_cast<QTextEdit*>(w)) {
        update([&] { return text->placeholderText(); }, [&](const QString& t) { text->setPlaceholderText(t); });
    } else if (auto* tabs = qobject_cast<QTabWidget*>(w)) {
        for (int i = 0; i < tabs->count(); ++i) {
            update([&] { return tabs->tabText(i); }, [&](const QString& t) { tabs->setTabText(i, t); });
            update([&] { return tabs->tabToolTip(i); }, [&](const QString& t) { tabs->setTabToolTip(i, t); });
        }
    } else if (auto* box = qobject_cast<QToolBox*>(w)) {
        for (int i = 0; i < box->count(); ++i)
            update([&] { return box->itemText(i); }, [&](const QString& t) { box->setItemText(i, t); });
    } else if (auto* combo = qobject_cast<QComboBox*>(w)) {
        for (int i = 0; i < combo->count(); ++i) {
            update([&] { return combo->itemText(i); }, [&](const QString& t) { combo->setItemText(i, t); });
            update([&] { return combo->itemData(i, Qt::ToolTipRole).toString(); },
                   [&](const QString& t) { combo->setItemData(i, t, Qt::ToolTipRole); });
        }
    } else if (auto* spin = qobject_cast<QSpinBox*>(w)) {
        update([&] { return spin->prefix(); }, [&](const QString& t) { spin->setPrefix(t); });
        update([&] { return spin->suffix(); }, [&](const QString& t) { spin->setSuffix(t); });
        update([&] { return spin->specialValueText(); }, [&](const QString& t) { spin->setSpecialValueText(t); });
    } else if (auto* dspin = qobject_cast<QDoubleSpinBox*>(w)) {
        update([&] { return dspin->prefix(); }, [&](const QString& t) { dspin->setPrefix(t); });
        update([&] { return dspin->suffix(); }, [&](const QString& t) { dspin->setSuffix(t); });
        update([&] { return dspin->specialValueText(); }, [&](const QString& t) { dspin->setSpecialValueText(t); });
    } else if (auto* tree = qobject_cast<QTreeWidget*>(w)) {
        if (QTreeWidgetItem* header = tree->headerItem())
            for (int c = 0; c < header->columnCount(); ++c)
                update([&] { return header->text(c); }, [&](const QString& t) { header->setText(c, t); });
    } else if (auto* table = qobject_cast<QTableWidget*>(w)) {
        for (int c = 0; c < table->columnCount(); ++c)
            if (QTableWidgetItem* item = table->horizontalHeaderItem(c))
                update([&] { return item->text(); }, [&](const QString& t) { item->setText(t); });
        for (int r = 0; r < table->rowCount(); ++r)
            if (QTableWidgetItem* item = table->verticalHeaderItem(r))
                update([&] { return item->text(); }, [&](const QString& t) { item->setText(t); });
    } else if (auto* header = qobject_cast<QHeaderView*>(w)) {
        // Views other than the item widgets above: their model's header.
        if (!qobject_cast<QTableWidget*>(header->parentWidget()) && !qobject_cast<QTreeWidget*>(header->parentWidget()))
            retranslateHeader(header->model(), header->orientation(), header->count());
    }
}

void retranslateAction(QAction* a) {
    // An action's tooltip defaults to its text: set only one that was set on its own, so it keeps following.
    const bool ownToolTip = a->toolTip() != QString(a->text()).remove(QLatin1Char('&'));
    update([&] { return a->text(); }, [&](const QString& t) { a->setText(t); });
    if (ownToolTip) update([&] { return a->toolTip(); }, [&](const QString& t) { a->setToolTip(t); });
}

}  // namespace

void retranslateTree(QWidget* root) {
    if (!root) return;
    retranslateWidget(root);
    for (QWidget* w : root->findChildren<QWidget*>()) retranslateWidget(w);
    QList<QAction*> actions = root->findChildren<QAction*>();
    for (QWidget* w : root->findChildren<QWidget*>())
        for (QAction* a : w->actions())
            if (!actions.contains(a)) actions << a;
    for (QAction* a : actions) retranslateAction(a);
}

}  // namespace diffii::ui
