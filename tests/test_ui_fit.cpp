// The window fits a small screen: over the demo project (with a few generated images for the Curate page), in
// English and in Simplified Chinese, the main window's minimum size is at most 1024×700; at 1024×700 every page
// shows every visible control (button, combo box, spin box, line edit, slider, tab bar, plot) inside the page or
// inside a scroll area that reaches it, none squeezed below its minimum size, and no side panel needs a horizontal
// scroll bar; the Preview page passes this on its first show, with the first preview rendered. The New-project
// dialog fits as well. Screenshots of every page at 1024×700, at 1600×1000 and at the window's minimum size land in
// <build>/screenshots/fit/<language>-<W>x<H>-<n>_<page>.png.
#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAbstractSpinBox>
#include <QComboBox>
#include <QDir>
#include <QFontDatabase>
#include <QImage>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSet>
#include <QSlider>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabBar>
#include <QTemporaryDir>
#include <QTranslator>
#include <QtTest>

#include "tests/test_registry.h"
#include "tests/test_support.h"
#include "tests/ui_test_window.h"
#include "ui/fit_widgets.h"
#include "ui/main_window.h"
#include "ui/new_project_dialog.h"
#include "ui/preview_page.h"
#include "ui/qcustomplot_compat.h"
#include "ui/studio_controller.h"
#include "ui/studio_page.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::ImageLabel;
using diffii::ui::MainWindow;
using diffii::ui::NewProjectDialog;
using diffii::ui::PreviewPage;
using diffii::ui::StudioController;

using diffii::test::pageSlug;

namespace {

constexpr int kLongMs = 300000;
const QSize kSmall(1024, 700);
const QSize kLarge(1600, 1000);

QString describe(const QWidget* w) {
    QString text;
    if (const auto* b = qobject_cast<const QAbstractButton*>(w)) text = b->text();
    return QStringLiteral("%1 '%2' \"%3\"")
        .arg(QString::fromLatin1(w->metaObject()->className()), w->objectName(), text.left(30));
}

bool isControl(const QWidget* w) {
    return qobject_cast<const QAbstractButton*>(w) || qobject_cast<const QComboBox*>(w) ||
           qobject_cast<const QAbstractSpinBox*>(w) || qobject_cast<const QLineEdit*>(w) ||
           qobject_cast<const QSlider*>(w) || qobject_cast<const QTabBar*>(w) || qobject_cast<const QCustomPlot*>(w);
}

// Parts of a control that its owner lays out (a spin box's editor, a combo box's line edit, a tab bar's scroll
// buttons), and editors inside item views: checked through their owner, if at all.
bool isPart(const QWidget* w, const QWidget* page) {
    for (const QWidget* p = w->parentWidget(); p && p != page; p = p->parentWidget()) {
        if (qobject_cast<const QAbstractSpinBox*>(p) || qobject_cast<const QComboBox*>(p) ||
            qobject_cast<const QTabBar*>(p) || qobject_cast<const QAbstractItemView*>(p))
            return true;
    }
    return false;
}

// The smallest width and height the control can show itself in, as a layout reads it (qSmartMinSize).
QSize smallestSize(const QWidget* w) {
    const QSize hint = w->minimumSizeHint();
    const QSizePolicy policy = w->sizePolicy();
    int width = w->minimumWidth(), height = w->minimumHeight();
    if (width == 0 && !(policy.horizontalPolicy() & QSizePolicy::IgnoreFlag)) width = std::max(0, hint.width());
    if (height == 0 && !(policy.verticalPolicy() & QSizePolicy::IgnoreFlag)) height = std::max(0, hint.height());
    // A tab bar's minimum counts its scroll buttons: with short (Chinese) tab titles all its tabs together can be
    // narrower than that, and shown whole it is not squeezed.
    if (qobject_cast<const QTabBar*>(w)) width = std::min(width, w->sizeHint().width());
    return {width, height};
}

// Whether the whole control can be seen: inside each parent up to the page, where the content of a scroll area
// counts as inside when a scroll bar can bring it into view.
bool reachable(const QWidget* w, const QWidget* page, QString* why) {
    QRect r = w->rect();
    const QWidget* cur = w;
    while (cur != page) {
        const QWidget* parent = cur->parentWidget();
        if (!parent) {
            *why = QStringLiteral("not on the page");
            return false;
        }
        r.translate(cur->pos());
        const auto* area = parent->parentWidget() ? qobject_cast<const QScrollArea*>(parent->parentWidget()) : nullptr;
        if (area && area->viewport() == parent && area->widget() == cur) {
            // Content that is wider (taller) than the viewport is reachable only with a scroll bar in that direction.
            const QSize view = area->viewport()->size();
            if (cur->width() > view.width() && area->horizontalScrollBarPolicy() == Qt::ScrollBarAlwaysOff) {
                *why = QStringLiteral("wider than its scroll area, which does not scroll sideways");
                return false;
            }
            if (cur->height() > view.height() && area->verticalScrollBarPolicy() == Qt::ScrollBarAlwaysOff) {
                *why = QStringLiteral("taller than its scroll area, which does not scroll");
                return false;
            }
            r = area->rect();
            cur = area;
            continue;
        }
        if (!parent->rect().contains(r)) {
            *why = QStringLiteral("%1,%2 %3×%4 outside %5 (%6×%7)")
                       .arg(r.x())
                       .arg(r.y())
                       .arg(r.width())
                       .arg(r.height())
                       .arg(QString::fromLatin1(parent->metaObject()->className()) + QLatin1Char(' ') +
                            parent->objectName())
                       .arg(parent->width())
                       .arg(parent->height());
            return false;
        }
        cur = parent;
    }
    return true;
}

// Every problem of fit on one page (empty: none), and how many controls were checked.
QStringList fitProblems(QWidget* page, int* checked) {
    QStringList problems;
    *checked = 0;
    for (QWidget* w : page->findChildren<QWidget*>()) {
        if (!w->isVisible() || w->isWindow()) continue;
        if (const auto* area = qobject_cast<QScrollArea*>(w)) {
            // A side panel is never squeezed sideways (the Preview page's controls on the first preview).
            if (area->horizontalScrollBar()->isVisible())
                problems << QStringLiteral("%1 scrolls sideways").arg(describe(w));
        }
        if (!isControl(w) || isPart(w, page)) continue;
        ++*checked;
        const QSize smallest = smallestSize(w);
        if (w->width() < smallest.width() || w->height() < smallest.height())
            problems << QStringLiteral("%1 squeezed to %2×%3 (minimum %4×%5)")
                            .arg(describe(w))
                            .arg(w->width())
                            .arg(w->height())
                            .arg(smallest.width())
                            .arg(smallest.height());
        QString why;
        if (!reachable(w, page, &why)) problems << QStringLiteral("%1 cut off: %2").arg(describe(w), why);
    }
    return problems;
}

bool fits(const QSize& size, const QSize& box) { return size.width() <= box.width() && size.height() <= box.height(); }

QString sizeText(const QSize& s) { return QStringLiteral("%1×%2").arg(s.width()).arg(s.height()); }

}  // namespace

class TestUiFit : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void checkerSeesClipping();
    void window_data();
    void window();
    void newProjectDialog();
    void firstSizeFitsTheScreen();

private:
    void checkPage(MainWindow& window, int index, const QString& where);
    void shootPages(MainWindow& window, StudioController& controller, const QString& language, const QSize& size);

    QTemporaryDir m_tmp;
    QString m_project;
};

void TestUiFit::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio tests"));
    QVERIFY(m_tmp.isValid());
    // The demo project as Open demo project makes it, with a few generated images for the Curate page.
    m_project = m_tmp.path() + QStringLiteral("/demo");
    // (test_support.h's runDiffii; called with the arguments alone, it stays unambiguous in any unity batch.)
    const auto demo = diffii::test::runDiffii(
        {QStringLiteral("demo"), QStringLiteral("--dir"), m_project, QStringLiteral("--no-generate")});
    QVERIFY2(demo.code == 0, qPrintable(demo.out + demo.err));
    const auto generate =
        diffii::test::runDiffii({QStringLiteral("generate"), m_project, QStringLiteral("--expansion"),
                                 QStringLiteral("0.1"), QStringLiteral("--steps"), QStringLiteral("2")});
    QVERIFY2(generate.code == 0, qPrintable(generate.out + generate.err));
    QVERIFY2(!QFontDatabase::families(QFontDatabase::SimplifiedChinese).isEmpty(),
             "no font for Simplified Chinese: install fonts-noto-cjk");
    QVERIFY(QDir().mkpath(QStringLiteral(DIFFII_BINARY_DIR "/screenshots/fit")));
}

// The checker itself: each way a control can be lost is reported.
void TestUiFit::checkerSeesClipping() {
    QWidget page;
    page.resize(300, 200);
    // A button half outside the page.
    auto* outside = new QPushButton(QStringLiteral("outside"), &page);
    outside->setGeometry(250, 10, 100, 30);
    // A button narrower than its text.
    auto* squeezed = new QPushButton(QStringLiteral("a long button text"), &page);
    squeezed->setGeometry(10, 10, 20, 30);
    // A panel that cannot scroll sideways, with a button beyond its right edge.
    auto* noScroll = new QScrollArea(&page);
    noScroll->setGeometry(10, 50, 120, 60);
    noScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* wide = new QWidget;
    wide->setFixedSize(400, 40);
    auto* beyond = new QPushButton(QStringLiteral("beyond"), wide);
    beyond->setGeometry(300, 5, 90, 30);
    noScroll->setWidget(wide);
    // A panel squeezed sideways: reachable, but with a horizontal scroll bar.
    auto* sideways = new QScrollArea(&page);
    sideways->setObjectName(QStringLiteral("sideways"));
    sideways->setGeometry(10, 120, 120, 70);
    auto* wide2 = new QWidget;
    wide2->setFixedSize(400, 30);
    auto* reachableButton = new QPushButton(QStringLiteral("reachable"), wide2);
    reachableButton->setGeometry(300, 0, 90, 30);
    sideways->setWidget(wide2);
    // A button that fits.
    auto* fine = new QPushButton(QStringLiteral("ok"), &page);
    fine->setGeometry(150, 60, 80, 30);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    int checked = 0;
    const QString problems = fitProblems(&page, &checked).join(QLatin1Char('\n'));
    QCOMPARE(checked, 5);
    QVERIFY2(problems.contains(QStringLiteral("\"outside\" cut off")), qPrintable(problems));
    QVERIFY2(problems.contains(QStringLiteral("\"a long button text\" squeezed")), qPrintable(problems));
    QVERIFY2(problems.contains(QStringLiteral("\"beyond\" cut off: wider than its scroll area")), qPrintable(problems));
    QVERIFY2(problems.contains(QStringLiteral("'sideways' \"\" scrolls sideways")), qPrintable(problems));
    QVERIFY2(!problems.contains(QStringLiteral("\"reachable\"")), qPrintable(problems));
    QVERIFY2(!problems.contains(QStringLiteral("\"ok\"")), qPrintable(problems));
}

void TestUiFit::window_data() {
    QTest::addColumn<QString>("language");
    QTest::newRow("en") << QStringLiteral("en");
    QTest::newRow("zh_CN") << QStringLiteral("zh_CN");
}

void TestUiFit::checkPage(MainWindow& window, int index, const QString& where) {
    QWidget* page = window.page(index);
    int checked = 0;
    const QStringList problems = fitProblems(page, &checked);
    QVERIFY2(checked >= 3, qPrintable(QStringLiteral("%1: only %2 controls").arg(where).arg(checked)));
    QVERIFY2(problems.isEmpty(), qPrintable(where + QStringLiteral(":\n  ") + problems.join(QStringLiteral("\n  "))));
}

void TestUiFit::shootPages(MainWindow& window, StudioController& controller, const QString& language,
                           const QSize& size) {
    window.resize(size);
    QTRY_COMPARE(window.size(), size);
    for (int i = 0; i < window.pageCount(); ++i) {
        window.showPage(i);
        // Thumbnails and detail images decode off the GUI thread.
        QTest::qWait(250);
        QTRY_VERIFY_WITH_TIMEOUT(!controller.busy(), kLongMs);
        const QString where =
            QStringLiteral("%1 %2 page %3 (%4)").arg(language, sizeText(size)).arg(i + 1).arg(pageSlug(window.page(i)));
        checkPage(window, i, where);
        const QString file = QStringLiteral(DIFFII_BINARY_DIR "/screenshots/fit/%1-%2x%3-%4_%5.png")
                                 .arg(language)
                                 .arg(size.width())
                                 .arg(size.height())
                                 .arg(i + 1)
                                 .arg(pageSlug(window.page(i)));
        QFile::remove(file);
        QVERIFY2(window.grab().toImage().save(file), qPrintable(file));
        const QImage shot(file);
        QCOMPARE(shot.size(), size);
        QVERIFY(QFileInfo(file).size() > 10 * 1024);
    }
}

void TestUiFit::window() {
    QFETCH(QString, language);
    QTranslator translator;
    QVERIFY(translator.load(QLocale(language), QStringLiteral("diffii_studio"), QStringLiteral("_"),
                            QStringLiteral(":/i18n")));
    QCoreApplication::installTranslator(&translator);
    {
        StudioController controller;
        MainWindow window(&controller);
        window.setQuietErrors(true);
        for (int i = 0; i < window.pageCount(); ++i)
            qInfo("%s page %d (%s): minimum %s", qPrintable(language), i + 1, qPrintable(pageSlug(window.page(i))),
                  qPrintable(sizeText(window.page(i)->minimumSizeHint())));
        qInfo("%s main window: minimum %s", qPrintable(language), qPrintable(sizeText(window.minimumSizeHint())));
        QVERIFY2(fits(window.minimumSizeHint(), kSmall), qPrintable(sizeText(window.minimumSizeHint())));

        // The first show at 1024×700 is on the Preview page, with the demo's first preview.
        window.resize(kSmall);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.openDemo(m_project);
        auto* preview = window.findChild<PreviewPage*>();
        QVERIFY(preview);
        QTRY_VERIFY_WITH_TIMEOUT(controller.hasProject() && !preview->previewImage().isNull() &&
                                     !preview->previewBusy() && !controller.busy(),
                                 kLongMs);
        QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
        QCOMPARE(window.size(), kSmall);
        const int previewIndex = window.pages()->indexOf(preview);
        checkPage(window, previewIndex, language + QStringLiteral(" first preview"));
        {
            // Until their first request the circle and sweep strips are hidden, and the sweep plot has the lower
            // view's room (with both empty strips shown its axes were a few pixels tall here).
            for (const char* name : {"stripList", "sweepStrip"}) {
                auto* strip = preview->findChild<QListWidget*>(QLatin1String(name));
                QVERIFY2(strip && !strip->isVisibleTo(preview), name);
            }
            auto* plot = preview->findChild<QCustomPlot*>(QStringLiteral("sweepPlot"));
            QVERIFY(plot);
            plot->replot();
            qInfo("%s sweep plot at %s: axes %d px tall", qPrintable(language), qPrintable(sizeText(kSmall)),
                  plot->axisRect()->height());
            QVERIFY2(plot->axisRect()->height() >= 120, qPrintable(QString::number(plot->axisRect()->height())));
        }

        shootPages(window, controller, language, kSmall);
        shootPages(window, controller, language, kLarge);
        {
            // At 1600×1000 the preview grows into its room (up from its 320 px preferred side), aspect kept.
            window.showPage(previewIndex);
            QCoreApplication::processEvents();
            auto* label = preview->findChild<ImageLabel*>(QStringLiteral("previewImage"));
            QVERIFY(label);
            const QRect shown = label->imageRect();
            const QSize image = preview->previewImage().size();
            qInfo("%s preview at %s: drawn %dx%d of a %dx%d image", qPrintable(language), qPrintable(sizeText(kLarge)),
                  shown.width(), shown.height(), image.width(), image.height());
            QVERIFY2(std::max(shown.width(), shown.height()) > 360, qPrintable(QString::number(shown.width())));
            QVERIFY(label->contentsRect().contains(shown));
            QVERIFY(qAbs(shown.width() * image.height() - shown.height() * image.width()) <=
                    std::max(image.width(), image.height()));
        }
        // Every page has now been shown with the project's content (a hidden page's layout keeps the minimum of
        // its last show): this is the window's real minimum, and every page works there too.
        for (int i = 0; i < window.pageCount(); ++i)
            qInfo("%s page %d (%s) with the project: minimum %s", qPrintable(language), i + 1,
                  qPrintable(pageSlug(window.page(i))), qPrintable(sizeText(window.page(i)->minimumSizeHint())));
        const QSize minimum = window.minimumSizeHint();
        qInfo("%s main window with the project: minimum %s", qPrintable(language), qPrintable(sizeText(minimum)));
        QVERIFY2(fits(minimum, kSmall), qPrintable(sizeText(minimum)));
        QVERIFY2(fits(window.minimumSize(), kSmall), qPrintable(sizeText(window.minimumSize())));
        shootPages(window, controller, language, minimum);
    }
    QCoreApplication::removeTranslator(&translator);
}

void TestUiFit::newProjectDialog() {
    StudioController controller;
    MainWindow window(&controller);
    QVERIFY(diffii::test::showForTest(window, kSmall));
    window.newProject();
    NewProjectDialog* dialog = window.newProjectDialog();
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    qInfo("new-project dialog: minimum %s, size %s", qPrintable(sizeText(dialog->minimumSizeHint())),
          qPrintable(sizeText(dialog->size())));
    QVERIFY2(fits(dialog->minimumSizeHint(), kSmall), qPrintable(sizeText(dialog->minimumSizeHint())));
    QVERIFY2(fits(dialog->size(), kSmall), qPrintable(sizeText(dialog->size())));
    int checked = 0;
    const QStringList problems = fitProblems(dialog, &checked);
    QVERIFY(checked >= 5);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    dialog->reject();
}

// A first start opens a window that fits the screen (offscreen: 800×800), title bar included.
void TestUiFit::firstSizeFitsTheScreen() {
    StudioController controller;
    MainWindow window(&controller);
    QVERIFY(window.screen());
    const QSize available = window.screen()->availableGeometry().size();
    qInfo("screen %s, first window size %s", qPrintable(sizeText(available)), qPrintable(sizeText(window.size())));
    QVERIFY2(fits(window.size() + QSize(16, 48), available) || window.size() == window.minimumSizeHint(),
             qPrintable(sizeText(window.size())));
    QVERIFY(fits(window.minimumSizeHint(), window.size()));
}

DIFFII_TEST_MAIN(TestUiFit, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_fit.moc"
