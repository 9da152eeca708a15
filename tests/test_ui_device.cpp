// The compute device in the app (issue 15): Preferences lists the CPU and the GPUs this LibTorch sees, keeps a stored
// GPU that is not visible now, stores the choice in QSettings "engine/device", and the engine opens projects there:
// on this machine without a GPU a stored cuda:0 makes opening a project fail with the device's clear error, cpu
// opens it. QSettings live in a temporary folder.
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "core/jobs/device.h"
#include "tests/test_registry.h"
#include "tests/ui_test_project.h"
#include "tests/ui_test_window.h"
#include "ui/main_window.h"
#include "ui/preferences_dialog.h"
#include "ui/studio_controller.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::PreferencesDialog;

class TestUiDevice : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_tmp.isValid());
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_tmp.filePath(QStringLiteral("settings")));
        QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio device tests"));
        QCoreApplication::setApplicationName(QStringLiteral("diffii-studio-device-test"));
        QVERIFY(QSettings().fileName().startsWith(m_tmp.path()));
    }

    void preferencesListAndStoreTheDevice() {
        QSettings().remove(PreferencesDialog::deviceKey());
        QCOMPARE(PreferencesDialog::device(), QStringLiteral("cpu"));
        {
            PreferencesDialog dialog;
            auto* combo = dialog.findChild<QComboBox*>(QStringLiteral("deviceCombo"));
            QVERIFY(combo);
            QCOMPARE(combo->count(), 1 + diffii::cudaDeviceCount());
            QCOMPARE(combo->itemData(0).toString(), QStringLiteral("cpu"));
            QCOMPARE(combo->currentData().toString(), QStringLiteral("cpu"));
            auto* info = dialog.findChild<QLabel*>(QStringLiteral("deviceInfo"));
            QVERIFY(info);
            QVERIFY2(diffii::cudaDeviceCount() > 0 ? info->text().endsWith(QString::number(diffii::cudaDeviceCount()))
                                                   : info->text().contains(QStringLiteral("CPU")),
                     qPrintable(info->text()));
        }
        // A GPU stored on another machine stays listed and selected; accepting keeps it.
        QSettings().setValue(PreferencesDialog::deviceKey(), QStringLiteral("cuda:3"));
        QCOMPARE(PreferencesDialog::device(), QStringLiteral("cuda:3"));
        {
            PreferencesDialog dialog;
            auto* combo = dialog.findChild<QComboBox*>(QStringLiteral("deviceCombo"));
            QCOMPARE(combo->currentData().toString(), QStringLiteral("cuda:3"));
            if (diffii::cudaDeviceCount() < 4) QVERIFY(combo->currentText().contains(QStringLiteral("cuda:3")));
            dialog.accept();
        }
        QCOMPARE(QSettings().value(PreferencesDialog::deviceKey()).toString(), QStringLiteral("cuda:3"));
        {
            PreferencesDialog dialog;
            auto* combo = dialog.findChild<QComboBox*>(QStringLiteral("deviceCombo"));
            combo->setCurrentIndex(combo->findData(QStringLiteral("cpu")));
            dialog.accept();
        }
        QCOMPARE(QSettings().value(PreferencesDialog::deviceKey()).toString(), QStringLiteral("cpu"));
        // Something malformed in the settings file reads as the CPU.
        QSettings().setValue(PreferencesDialog::deviceKey(), QStringLiteral("gpu please"));
        QCOMPARE(PreferencesDialog::device(), QStringLiteral("cpu"));
        QSettings().setValue(PreferencesDialog::deviceKey(), QStringLiteral("CUDA"));
        QCOMPARE(PreferencesDialog::device(), QStringLiteral("cuda:0"));
    }

    void projectsOpenOnTheStoredDevice() {
        const QString fixtures = QStringLiteral(DIFFII_SHARED_DIR "/fixtures");
        if (!QFile::exists(fixtures + QStringLiteral("/tiny-sd1/model_index.json")))
            QSKIP("reference fixtures not found");
        const QString data = m_tmp.filePath(QStringLiteral("data/finch"));
        QVERIFY(QDir().mkpath(data));
        for (const char* name : {"input_0.png", "input_1.png"})
            QVERIFY(QFile::copy(fixtures + QStringLiteral("/tiny-sd1-diffii/") + QLatin1String(name),
                                data + QLatin1Char('/') + QLatin1String(name)));
        const QString project = m_tmp.filePath(QStringLiteral("project"));
        QString output;
        QVERIFY2(diffii::test::runDiffii(
                     {QStringLiteral("create"), project, QStringLiteral("--dataset"),
                      m_tmp.filePath(QStringLiteral("data")), QStringLiteral("--model"),
                      fixtures + QStringLiteral("/tiny-sd1"), QStringLiteral("--metaclass"), QStringLiteral("bird")},
                     &output),
                 qPrintable(output));

        diffii::ui::StudioController controller;
        diffii::ui::MainWindow window(&controller);
        QVERIFY(diffii::test::showForTest(window, QSize(1200, 780)));
        if (diffii::cudaDeviceCount() == 0) {
            QSettings().setValue(PreferencesDialog::deviceKey(), QStringLiteral("cuda:0"));
            window.openProjectDir(project);
            QTRY_VERIFY_WITH_TIMEOUT(!window.lastError().isEmpty(), 60000);
            QVERIFY2(window.lastError().contains(QStringLiteral("device cuda:0: ")), qPrintable(window.lastError()));
            QVERIFY(!controller.hasProject());
            QTRY_VERIFY_WITH_TIMEOUT(!controller.busy(), 60000);
        }
        QSettings().setValue(PreferencesDialog::deviceKey(), QStringLiteral("cpu"));
        window.openProjectDir(project);
        QTRY_VERIFY_WITH_TIMEOUT(controller.hasProject() && !controller.busy(), 120000);
        QCOMPARE(QDir(controller.project().dir).canonicalPath(), QDir(project).canonicalPath());
    }

private:
    QTemporaryDir m_tmp;
};

DIFFII_TEST_MAIN(TestUiDevice, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_device.moc"
