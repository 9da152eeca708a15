// Preferences switches the language at run time, pages included: with a project open, every page's visible texts
// (buttons, labels, group boxes, tabs, table headers, placeholders, tooltips) turn to the Chinese catalogue's strings
// when zh_CN is applied, and back to English when en is applied — no restart, no English left over.
#include <QAbstractButton>
#include <QAbstractItemView>
#include <QDir>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "tests/test_registry.h"
#include "tests/ui_test_project.h"
#include "tests/ui_test_window.h"
#include "ui/main_window.h"
#include "ui/preferences_dialog.h"
#include "ui/studio_controller.h"
#include "ui/studio_page.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::MainWindow;
using diffii::ui::PreferencesDialog;
using diffii::ui::StudioController;

namespace {
constexpr int kLongMs = 300000;

// One visible text of a page: where it is (for messages) and what it says.
struct ShownText {
    QString where;
    QString text;
};

bool isVisibleIn(QWidget* w, QWidget* page) { return w->isVisibleTo(page) && w->window() == page->window(); }

QList<ShownText> shownTexts(QWidget* page) {
    QList<ShownText> out;
    auto add = [&out](QObject* o, const QString& what, const QString& text) {
        if (!text.trimmed().isEmpty())
            out.append({QStringLiteral("%1 %2 (%3)")
                            .arg(QString::fromLatin1(o->metaObject()->className()), o->objectName(), what),
                        text});
    };
    for (QWidget* w : page->findChildren<QWidget*>()) {
        if (!isVisibleIn(w, page)) continue;
        add(w, QStringLiteral("tooltip"), w->toolTip());
        if (auto* l = qobject_cast<QLabel*>(w))
            add(l, QStringLiteral("label"), l->text());
        else if (auto* b = qobject_cast<QAbstractButton*>(w))
            add(b, QStringLiteral("button"), b->text());
        else if (auto* g = qobject_cast<QGroupBox*>(w))
            add(g, QStringLiteral("group"), g->title());
        else if (auto* e = qobject_cast<QLineEdit*>(w); e && e->text().isEmpty())
            add(e, QStringLiteral("placeholder"), e->placeholderText());
        else if (auto* t = qobject_cast<QTabWidget*>(w))
            for (int i = 0; i < t->count(); ++i) add(t, QStringLiteral("tab %1").arg(i), t->tabText(i));
        else if (auto* h = qobject_cast<QHeaderView*>(w); h && h->orientation() == Qt::Horizontal && h->model())
            for (int i = 0; i < h->count(); ++i)
                if (!h->isSectionHidden(i))
                    add(h, QStringLiteral("header %1").arg(i),
                        h->model()->headerData(i, Qt::Horizontal, Qt::DisplayRole).toString());
    }
    return out;
}

bool hasCjk(const QString& s) {
    for (const QChar c : s)
        if (c.unicode() >= 0x3400 && c.unicode() <= 0x9fff) return true;
    return false;
}

// English words a Chinese interface keeps: names, units, data of the test project.
bool isKeptWord(const QString& word) {
    static const QStringList kept = {
        QStringLiteral("PSNR"),     QStringLiteral("LPIPS"), QStringLiteral("CLIP"),   QStringLiteral("DDIM"),
        QStringLiteral("LoRA"),     QStringLiteral("CFG"),   QStringLiteral("PNG"),    QStringLiteral("JSON"),
        QStringLiteral("finch"),    QStringLiteral("bird"),  QStringLiteral("input"),  QStringLiteral("png"),
        QStringLiteral("project"),  QStringLiteral("data"),  QStringLiteral("tiny"),   QStringLiteral("sd1"),
        QStringLiteral("Diff"),     QStringLiteral("II"),    QStringLiteral("Studio"), QStringLiteral("ETA"),
        QStringLiteral("ResNet"),   QStringLiteral("FID"),   QStringLiteral("KID"),    QStringLiteral("px"),
        QStringLiteral("ms"),       QStringLiteral("min"),   QStringLiteral("sks"),    QStringLiteral("ImageFolder"),
        QStringLiteral("diffii"),   QStringLiteral("of"),    QStringLiteral("photo"),  QStringLiteral("a"),
        QStringLiteral("an"),       QStringLiteral("in"),    QStringLiteral("the"),    QStringLiteral("on"),
        QStringLiteral("with"),     QStringLiteral("and"),   QStringLiteral("at"),     QStringLiteral("csv"),
        QStringLiteral("manifest"), QStringLiteral("jsonl")};
    return kept.contains(word, Qt::CaseInsensitive);
}

// An English text a Chinese interface should not show: a word of three letters or more that is neither kept nor
// inside a path, with no Chinese around.
bool looksEnglish(const QString& text) {
    if (hasCjk(text)) return false;
    QString plain = text;
    plain.remove(QRegularExpression(QStringLiteral("<[^>]*>")));             // rich-text tags
    plain.remove(QRegularExpression(QStringLiteral("\\S*[/\\\\]\\S*")));     // paths
    plain.remove(QRegularExpression(QStringLiteral("<[^>]*>|&[a-z]+;|&")));  // entities, mnemonics
    static const QRegularExpression word(QStringLiteral("[A-Za-z]{3,}"));
    for (auto it = word.globalMatch(plain); it.hasNext();)
        if (!isKeptWord(it.next().captured(0))) return true;
    return false;
}

}  // namespace

class TestUiRetranslate : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void pagesFollowTheLanguage();

private:
    QTemporaryDir m_tmp;
    QString m_project;
};

void TestUiRetranslate::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_tmp.isValid());
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_tmp.filePath(QStringLiteral("settings")));
    QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio retranslate tests"));
    QString error;
    m_project = diffii::test::prepareUiProject(m_tmp.path(), &error);
    QVERIFY2(!m_project.isEmpty(), qPrintable(error));
}

void TestUiRetranslate::cleanupTestCase() { PreferencesDialog::applyLanguage(QStringLiteral("en")); }

void TestUiRetranslate::pagesFollowTheLanguage() {
    QVERIFY(PreferencesDialog::applyLanguage(QStringLiteral("en")));
    StudioController controller;
    MainWindow window(&controller);
    QVERIFY(diffii::test::showForTest(window, QSize(1400, 900)));
    window.openProjectDir(m_project);
    QTRY_VERIFY_WITH_TIMEOUT(controller.hasProject() && !controller.busy(), kLongMs);
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));

    auto check = [&window](const QString& language, bool wantChinese, int* changed) {
        QStringList wrong;
        int chinese = 0;
        for (int i = 0; i < window.pageCount(); ++i) {
            window.showPage(i);
            QCoreApplication::processEvents();
            const QString slug = diffii::test::pageSlug(window.page(i));
            for (const ShownText& t : shownTexts(window.page(i))) {
                chinese += hasCjk(t.text) ? 1 : 0;
                const bool bad = wantChinese ? looksEnglish(t.text) : hasCjk(t.text);
                if (bad) wrong << QStringLiteral("%1: %2: \"%3\"").arg(slug, t.where, t.text);
            }
        }
        if (changed) *changed = chinese;
        if (!wrong.isEmpty()) qWarning("%s:\n%s", qPrintable(language), qPrintable(wrong.join(QLatin1Char('\n'))));
        return wrong.size();
    };

    int chineseBefore = -1;
    QCOMPARE(check(QStringLiteral("en (start)"), false, &chineseBefore), 0);
    QCOMPARE(chineseBefore, 0);

    QVERIFY(PreferencesDialog::applyLanguage(QStringLiteral("zh_CN")));
    QCoreApplication::processEvents();
    int chinese = 0;
    QCOMPARE(check(QStringLiteral("zh_CN"), true, &chinese), 0);
    QVERIFY2(chinese > 60, qPrintable(QString::number(chinese)));
    // A few named ones, to be sure the catalogue's strings (not just any Chinese) are shown.
    auto* historyExport = window.findChild<QAbstractButton*>(QStringLiteral("historyExportButton"));
    QVERIFY(historyExport);
    QCOMPARE(historyExport->text(),
             QCoreApplication::translate("diffii::ui::PreviewPage", "Use these settings for export"));
    QVERIFY(hasCjk(historyExport->text()));
    QCOMPARE(window.page(3)->title(), QCoreApplication::translate("diffii::ui::PreviewPage", "Preview"));
    QVERIFY(hasCjk(window.page(3)->title()));

    QVERIFY(PreferencesDialog::applyLanguage(QStringLiteral("en")));
    QCoreApplication::processEvents();
    int left = -1;
    QCOMPARE(check(QStringLiteral("en (back)"), false, &left), 0);
    QCOMPARE(left, 0);
    QCOMPARE(historyExport->text(), QStringLiteral("Use these settings for export"));
}

DIFFII_TEST_MAIN(TestUiRetranslate, Gui)
}  // namespace DIFFII_UNIT

#include "test_ui_retranslate.moc"
