// The Evaluate page on the demo project, driven as a user would: two strategies (Original, Diff-Gen), one seed, one
// epoch, a small expansion; the run fills the table and the plots, writes results.json / table.md / table.csv into
// <project>/evaluation, and Save plots adds the PNGs. Screenshots of the page with results in English and Chinese
// land in <build>/screenshots/<language>/evaluate_results.png.
#include <QCheckBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTranslator>
#include <QtTest>

#include "tests/test_registry.h"
#include "tests/ui_test_window.h"
#include "ui/evaluate_page.h"
#include "ui/main_window.h"
#include "ui/studio_controller.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::EvaluatePage;
using diffii::ui::MainWindow;
using diffii::ui::StudioController;

constexpr int kLongMs = 300000;

class TestUiEvaluate : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tinyRunFillsTableAndFiles_data() {
        QTest::addColumn<QString>("language");
        QTest::newRow("en") << QStringLiteral("en");
        QTest::newRow("zh_CN") << QStringLiteral("zh_CN");
    }

    void tinyRunFillsTableAndFiles() {
        QFETCH(QString, language);
        QTranslator translator;
        QVERIFY(translator.load(QLocale(language), QStringLiteral("diffii_studio"), QStringLiteral("_"),
                                QStringLiteral(":/i18n")));
        QCoreApplication::installTranslator(&translator);
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        {
            StudioController controller;
            MainWindow window(&controller);
            QVERIFY(diffii::test::showForTest(window));
            window.openDemo(tmp.path() + QStringLiteral("/demo"));
            QTRY_VERIFY_WITH_TIMEOUT(controller.hasProject() && !controller.busy(), kLongMs);
            auto* page = window.findChild<EvaluatePage*>();
            QVERIFY(page);
            for (int i = 0; i < window.pageCount(); ++i)
                if (window.page(i) == page) window.showPage(i);
            for (auto* box : page->findChildren<QCheckBox*>())
                box->setChecked(box->objectName() == QLatin1String("evaluate_original") ||
                                box->objectName() == QLatin1String("evaluate_diff-gen"));
            page->findChild<QSpinBox*>(QStringLiteral("evaluateSeeds"))->setValue(1);
            page->findChild<QSpinBox*>(QStringLiteral("evaluateEpochs"))->setValue(1);
            page->findChild<QDoubleSpinBox*>(QStringLiteral("evaluateExpansion"))->setValue(0.2);
            const auto request = page->request();
            QCOMPARE(request.strategies, (QStringList{QStringLiteral("original"), QStringLiteral("diff-gen")}));
            auto* run = page->findChild<QPushButton*>(QStringLiteral("evaluateRun"));
            QVERIFY(run->isEnabled());
            // A split list that is not one ("0,3": two entries, neither in (0, 1]) is named; nothing runs.
            auto* splits = page->findChild<QLineEdit*>(QStringLiteral("evaluateDiffIiSplits"));
            splits->setText(QStringLiteral("0,3"));
            run->click();
            QVERIFY(!controller.busy());
            QVERIFY2(
                page->findChild<QLabel*>(QStringLiteral("evaluateStatus"))->text().contains(QStringLiteral("0, 3")) ||
                    language != QLatin1String("en"),
                qPrintable(page->findChild<QLabel*>(QStringLiteral("evaluateStatus"))->text()));
            splits->clear();
            run->click();
            auto* table = page->findChild<QTableWidget*>(QStringLiteral("evaluateTable"));
            auto* status = page->findChild<QLabel*>(QStringLiteral("evaluateStatus"));
            QElapsedTimer clock;
            clock.start();
            while (!(table->rowCount() == 2 && !controller.busy()) && clock.elapsed() < 200000) QTest::qWait(200);
            QVERIFY2(table->rowCount() == 2, qPrintable(status->text() + QStringLiteral(" | ") + window.lastError()));
            QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
            QCOMPARE(table->item(0, 0)->data(Qt::UserRole).toString(), QStringLiteral("original"));
            QCOMPARE(table->item(1, 0)->data(Qt::UserRole).toString(), QStringLiteral("diff-gen"));
            // Shown by name, not by the engine's id.
            if (language == QLatin1String("en")) {
                QCOMPARE(table->item(0, 0)->text(), QStringLiteral("Original"));
                QCOMPARE(table->item(1, 0)->text(), QStringLiteral("Diff-Gen"));
            }
            // One seed: the accuracy alone (a spread of one run is not 0), a number.
            bool isNumber = false;
            table->item(0, 1)->text().toDouble(&isNumber);
            QVERIFY2(isNumber && !table->item(0, 1)->text().contains(QStringLiteral("±")),
                     qPrintable(table->item(0, 1)->text()));
            QVERIFY(table->item(1, 4)->text() != QStringLiteral("—"));  // faithfulness of the synthetic set
            const QDir out(controller.project().dir + QStringLiteral("/evaluation"));
            for (const char* f : {"results.json", "table.md", "table.csv"})
                QVERIFY2(QFile::exists(out.filePath(QLatin1String(f))), f);
            page->findChild<QPushButton*>(QStringLiteral("evaluateSave"))->click();
            for (const char* f : {"accuracy.png", "diversity_faithfulness.png", "confusion.png"})
                QVERIFY2(QFileInfo(out.filePath(QLatin1String(f))).size() > 1000, f);
            // The status (a long path, wrapped) gets the height its lines need once the layout has run (the screenshot
            // below was taken before, with the path's two lines clipped into one line's height).
            QTRY_VERIFY2(status->height() >= status->heightForWidth(status->width()),
                         qPrintable(QStringLiteral("%1 px for %2 px of text")
                                        .arg(status->height())
                                        .arg(status->heightForWidth(status->width()))));
            const QString shots = QStringLiteral(DIFFII_BINARY_DIR "/screenshots/") + language;
            QVERIFY(QDir().mkpath(shots));
            QVERIFY(window.grab().toImage().save(shots + QStringLiteral("/evaluate_results.png")));
        }
        QCoreApplication::removeTranslator(&translator);
    }
};

DIFFII_TEST_MAIN(TestUiEvaluate, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_evaluate.moc"
