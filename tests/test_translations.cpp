// The translations: both catalogues are built into the :/i18n resource of the executables that link the ui
// library, and with zh_CN installed no visible text of the main window (menus, the step list, every page's labels,
// buttons, group boxes, tabs and column headers) is left in English.
#include <QAbstractButton>
#include <QAction>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDirIterator>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLibraryInfo>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QRegularExpression>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTranslator>
#include <QtTest>

#include "tests/test_registry.h"
#include "tests/ui_test_window.h"
#include "ui/main_window.h"
#include "ui/preferences_dialog.h"
#include "ui/studio_controller.h"
#include "ui/studio_page.h"
#include "ui/studio_types.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::MainWindow;
using diffii::ui::StudioController;

namespace {

// Words that stay as they are in Chinese UI text: symbols, acronyms, product and format names.
const QStringList kAllowed = {QStringLiteral("Diff-II Studio"),
                              QStringLiteral("Diff-II"),
                              QStringLiteral("Stable Diffusion"),
                              QStringLiteral("diffusers"),
                              QStringLiteral("ImageFolder"),
                              QStringLiteral("manifest.csv"),
                              QStringLiteral("manifest.jsonl"),
                              QStringLiteral("safetensors"),
                              QStringLiteral("PSNR"),
                              QStringLiteral("LoRA"),
                              QStringLiteral("CFG"),
                              QStringLiteral("ETA"),
                              QStringLiteral("DDIM"),
                              QStringLiteral("RGB"),
                              QStringLiteral("RMS"),
                              QStringLiteral("CLIP"),
                              QStringLiteral("UNet"),
                              QStringLiteral("VAE"),
                              QStringLiteral("SD"),
                              QStringLiteral("GPU"),
                              QStringLiteral("CPU"),
                              QStringLiteral("PNG"),
                              QStringLiteral("JSON"),
                              QStringLiteral("CSV"),
                              QStringLiteral("k-shot"),
                              QStringLiteral("rad"),
                              QStringLiteral("α"),
                              QStringLiteral("θ"),
                              QStringLiteral("s"),
                              QStringLiteral("k"),
                              QStringLiteral("K"),
                              QStringLiteral("N"),
                              QStringLiteral("A"),
                              QStringLiteral("R"),
                              QStringLiteral("U"),
                              QStringLiteral("T"),
                              QStringLiteral("Esc"),
                              QStringLiteral("Enter"),
                              QStringLiteral("Ctrl"),
                              QStringLiteral("x"),
                              QStringLiteral("English"),
                              QStringLiteral("z1"),
                              QStringLiteral("z2")};

bool s_qtbaseLoaded = false;

bool hasCjk(const QString& text) {
    for (const QChar c : text)
        if (c.unicode() >= 0x3400 && c.unicode() <= 0x9fff) return true;
    return false;
}

// Translated: it has Chinese characters, or nothing Latin is left once allowed words and accelerators are gone.
bool looksTranslated(const QString& text) {
    if (hasCjk(text)) return true;
    QString rest = text;
    rest.remove(QRegularExpression(QStringLiteral("&(?=\\S)")));
    rest.remove(QRegularExpression(QStringLiteral("%\\d+")));
    for (const QString& word : kAllowed)
        rest.remove(QRegularExpression(QStringLiteral("(?<![A-Za-z])") + QRegularExpression::escape(word) +
                                       QStringLiteral("(?![A-Za-z])")));
    return !rest.contains(QRegularExpression(QStringLiteral("[A-Za-z]")));
}

void collectMenu(QMenu* menu, const QString& where, QStringList* bad) {
    for (QAction* a : menu->actions()) {
        if (a->isSeparator() || !a->isVisible()) continue;
        if (a->menu()) collectMenu(a->menu(), where + QStringLiteral(" > ") + a->text(), bad);
        // The recent-projects menu lists folder paths, which are data.
        if (menu->objectName() == QLatin1String("recentMenu")) continue;
        if (!a->text().isEmpty() && !looksTranslated(a->text())) *bad << where + QStringLiteral(": ") + a->text();
    }
}

void collectWidgets(QWidget* root, const QString& where, QStringList* bad) {
    auto check = [&](const QString& text, QObject* o) {
        if (text.isEmpty() || looksTranslated(text)) return;
        *bad << QStringLiteral("%1 [%2 %3]: %4")
                    .arg(where, QLatin1String(o->metaObject()->className()), o->objectName(), text);
    };
    for (QLabel* l : root->findChildren<QLabel*>()) {
        if (!l->isVisibleTo(root)) continue;
        // Rich text is checked on its visible words only.
        QString text = l->text();
        if (Qt::mightBeRichText(text)) text.remove(QRegularExpression(QStringLiteral("<[^>]*>")));
        check(text, l);
    }
    for (QAbstractButton* b : root->findChildren<QAbstractButton*>()) {
        // OK / Cancel of a QDialogButtonBox come from Qt's own catalogue (qtbase_zh_CN.qm, loaded by the app too).
        if (!s_qtbaseLoaded && qobject_cast<QDialogButtonBox*>(b->parentWidget())) continue;
        if (b->isVisibleTo(root)) check(b->text(), b);
    }
    for (QGroupBox* g : root->findChildren<QGroupBox*>())
        if (g->isVisibleTo(root)) check(g->title(), g);
    for (QTabWidget* t : root->findChildren<QTabWidget*>())
        if (t->isVisibleTo(root))
            for (int i = 0; i < t->count(); ++i) check(t->tabText(i), t);
    for (QTabBar* t : root->findChildren<QTabBar*>())
        if (t->isVisibleTo(root))
            for (int i = 0; i < t->count(); ++i) check(t->tabText(i), t);
    // Column headers come from the views' models (a table widget's labels or a model's headerData), which lupdate
    // missed once (the pool's table, its strings nested in a helper call): every visible column's title.
    for (QHeaderView* h : root->findChildren<QHeaderView*>()) {
        if (!h->isVisibleTo(root) || !h->model()) continue;
        const int n = h->orientation() == Qt::Horizontal ? h->model()->columnCount() : h->model()->rowCount();
        for (int i = 0; i < n; ++i)
            if (!h->isSectionHidden(i))
                check(h->model()->headerData(i, h->orientation(), Qt::DisplayRole).toString(), h);
    }
}

}  // namespace

class TestTranslations : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio tests"));
    }
    void catalogueInResource();
    void allowlistRule();
    void noUntranslatedVisibleText();
    void preferencesStoresLanguage();
};

void TestTranslations::catalogueInResource() {
    QStringList found;
    QDirIterator it(QStringLiteral(":/i18n"), QDirIterator::Subdirectories);
    while (it.hasNext()) found << it.next();
    QVERIFY2(found.contains(QStringLiteral(":/i18n/diffii_studio_zh_CN.qm")), qPrintable(found.join(QLatin1Char(' '))));
    QVERIFY2(found.contains(QStringLiteral(":/i18n/diffii_studio_en.qm")), qPrintable(found.join(QLatin1Char(' '))));

    // As the application loads it (gui_main.cpp): locale, base name, prefix, directory.
    QTranslator zh;
    QVERIFY(zh.load(QLocale(QStringLiteral("zh_CN")), QStringLiteral("diffii_studio"), QStringLiteral("_"),
                    QStringLiteral(":/i18n")));
    QVERIFY(!zh.isEmpty());
    QCOMPARE(zh.language(), QStringLiteral("zh_CN"));
    QCOMPARE(zh.translate("diffii::ui::MainWindow", "&Project"), QStringLiteral("项目(&P)"));
    QTranslator en;
    QVERIFY(en.load(QLocale(QStringLiteral("en")), QStringLiteral("diffii_studio"), QStringLiteral("_"),
                    QStringLiteral(":/i18n")));
}

void TestTranslations::allowlistRule() {
    QVERIFY(looksTranslated(QStringLiteral("项目(&P)")));
    QVERIFY(looksTranslated(QStringLiteral("PSNR")));
    QVERIFY(looksTranslated(QStringLiteral("α")));
    QVERIFY(looksTranslated(QStringLiteral("12 s")));
    QVERIFY(!looksTranslated(QStringLiteral("&Project")));
    QVERIFY(!looksTranslated(QStringLiteral("Reject")));
    QVERIFY(!looksTranslated(QStringLiteral("Steps of DDIM")));
}

void TestTranslations::noUntranslatedVisibleText() {
    QTranslator zh;
    QVERIFY(zh.load(QStringLiteral(":/i18n/diffii_studio_zh_CN.qm")));
    QVERIFY(QCoreApplication::installTranslator(&zh));
    // As gui_main.cpp does: Qt's own strings (standard dialog buttons) from Qt's catalogue when it is installed.
    QTranslator qtbase;
    s_qtbaseLoaded = qtbase.load(QLocale(QStringLiteral("zh_CN")), QStringLiteral("qtbase"), QStringLiteral("_"),
                                 QLibraryInfo::path(QLibraryInfo::TranslationsPath));
    if (s_qtbaseLoaded) QCoreApplication::installTranslator(&qtbase);
    QStringList bad;
    {
        StudioController controller;
        MainWindow window(&controller);
        QVERIFY(diffii::test::showForTest(window));
        if (!looksTranslated(window.windowTitle())) bad << QStringLiteral("window title: ") + window.windowTitle();
        for (QAction* a : window.menuBar()->actions()) {
            if (!looksTranslated(a->text())) bad << QStringLiteral("menu bar: ") + a->text();
            if (a->menu()) collectMenu(a->menu(), a->text(), &bad);
        }
        auto* steps = window.findChild<QListWidget*>(QStringLiteral("steps"));
        QVERIFY(steps);
        for (int i = 0; i < steps->count(); ++i)
            if (!looksTranslated(steps->item(i)->text())) bad << QStringLiteral("steps: ") + steps->item(i)->text();
        QCOMPARE(window.pageCount(), 7);  // the six steps of the flow and Evaluate
        for (int i = 0; i < window.pageCount(); ++i) {
            window.showPage(i);
            QCoreApplication::processEvents();
            QWidget* page = window.page(i);
            QVERIFY(page);
            collectWidgets(
                page, QStringLiteral("page %1 (%2)").arg(i).arg(QLatin1String(page->metaObject()->className())), &bad);
        }
        collectWidgets(window.statusBar(), QStringLiteral("status bar"), &bad);
        diffii::ui::PreferencesDialog preferences(&window);
        collectWidgets(&preferences, QStringLiteral("preferences"), &bad);
        // Job and stage names as the status bar, the log and error titles show them ("正在运行：generation" before).
        for (const char* name : {"generation", "denoising", "inversion pool", "reading images", "concepts", "export"})
            if (!looksTranslated(diffii::ui::jobDisplayName(QString::fromLatin1(name))))
                bad << QStringLiteral("job name: ") + QString::fromLatin1(name);
    }
    QCoreApplication::removeTranslator(&zh);
    if (s_qtbaseLoaded) QCoreApplication::removeTranslator(&qtbase);
    QVERIFY2(bad.isEmpty(),
             qPrintable(QStringLiteral("untranslated visible text:\n  ") + bad.join(QStringLiteral("\n  "))));
}

void TestTranslations::preferencesStoresLanguage() {
    QSettings().remove(diffii::ui::PreferencesDialog::settingsKey());
    diffii::ui::PreferencesDialog dialog;
    auto* combo = dialog.findChild<QComboBox*>(QStringLiteral("languageCombo"));
    QVERIFY(combo);
    QCOMPARE(combo->count(), 3);
    QCOMPARE(dialog.language(), QString());
    combo->setCurrentIndex(combo->findData(QStringLiteral("zh_CN")));
    dialog.accept();
    QCOMPARE(QSettings().value(QStringLiteral("ui/language")).toString(), QStringLiteral("zh_CN"));
    diffii::ui::PreferencesDialog again;
    QCOMPARE(again.language(), QStringLiteral("zh_CN"));
    again.findChild<QComboBox*>(QStringLiteral("languageCombo"))->setCurrentIndex(0);
    again.accept();
    QVERIFY(!QSettings().contains(QStringLiteral("ui/language")));
}

DIFFII_TEST_MAIN(TestTranslations, Gui)
}  // namespace DIFFII_UNIT
#include "test_translations.moc"
