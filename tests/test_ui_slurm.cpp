// "Run on Slurm" on the Export page against a real one-node cluster (tests/slurm_test_cluster.h): a bad partition
// shows sbatch's message and records no run; a 2-shard submission fills the shard table and ends with both shards
// done and every planned image on disk, through the same engine calls as `diffii slurm`. Skipped with the reason
// when Slurm is not installed or the test does not run as root.
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

#include "core/jobs/slurm.h"
#include "tests/slurm_test_cluster.h"
#include "tests/test_registry.h"
#include "tests/ui_test_project.h"
#include "tests/ui_test_window.h"
#include "ui/export_page.h"
#include "ui/main_window.h"
#include "ui/slurm_panel.h"
#include "ui/studio_controller.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::ui::MainWindow;
using diffii::ui::SlurmPanel;
using diffii::ui::StudioController;

class TestUiSlurm : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        if (diffii::test::findProgram("slurmctld").empty() || diffii::test::findProgram("sbatch").empty())
            QSKIP("slurmctld or sbatch is not installed (packaging/install-deps.sh installs them)");
        if (::geteuid() != 0) QSKIP("the throwaway cluster runs its daemons as root (SlurmUser=root), as CI does");
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("Diff-II Studio tests"));
        QVERIFY(m_tmp.isValid());
        m_cluster = std::make_unique<diffii::test::LocalSlurm>(m_tmp.filePath(QStringLiteral("cluster")).toStdString());
        m_savedConf = qgetenv("SLURM_CONF");
        qputenv("SLURM_CONF", QByteArray::fromStdString(m_cluster->conf()));
        const auto error = m_cluster->start();
        QVERIFY2(error.empty(), error.c_str());
        QString message;
        m_project = diffii::test::prepareUiProject(m_tmp.path(), &message);
        QVERIFY2(!m_project.isEmpty(), qPrintable(message));
        m_controller = new StudioController();
        m_window = new MainWindow(m_controller);
        QVERIFY(diffii::test::showForTest(*m_window));
        m_controller->openProject(m_project);
        QTRY_VERIFY_WITH_TIMEOUT(m_controller->hasProject() && !m_controller->busy(), 120000);
        m_panel = m_window->findChild<SlurmPanel*>();
        QVERIFY(m_panel);
    }

    void badPartitionShowsSbatchMessage() {
        m_window->showPage(5);
        m_panel->findChild<QLineEdit*>(QStringLiteral("slurmPartition"))->setText(QStringLiteral("nopart"));
        auto* submit = m_panel->findChild<QPushButton*>(QStringLiteral("slurmSubmit"));
        QTRY_VERIFY(submit->isEnabled());
        QTest::mouseClick(submit, Qt::LeftButton);
        auto* summary = m_panel->findChild<QLabel*>(QStringLiteral("slurmSummary"));
        QTRY_VERIFY_WITH_TIMEOUT(summary->text().contains(QStringLiteral("invalid partition")), 60000);
        QVERIFY(diffii::latestSlurmRun(m_project.toStdString()).empty());
        QVERIFY(!m_panel->findChild<QPushButton*>(QStringLiteral("slurmResume"))->isEnabled());
    }

    void submitTwoShardsUntilDone() {
        m_panel->findChild<QLineEdit*>(QStringLiteral("slurmPartition"))->clear();
        m_panel->findChild<QLineEdit*>(QStringLiteral("slurmExtraArgs"))->setText(QStringLiteral("--job-name=ui-test"));
        m_panel->findChild<QSpinBox*>(QStringLiteral("slurmShards"))->setValue(2);
        auto* submit = m_panel->findChild<QPushButton*>(QStringLiteral("slurmSubmit"));
        QTRY_VERIFY(submit->isEnabled());
        QTest::mouseClick(submit, Qt::LeftButton);
        auto* table = m_panel->findChild<QTableWidget*>(QStringLiteral("slurmShardTable"));
        QTRY_COMPARE_WITH_TIMEOUT(table->rowCount(), 2, 60000);
        const auto run = diffii::latestSlurmRun(m_project.toStdString());
        QVERIFY(!run.empty());
        const auto script = diffii::test::readText(m_project.toStdString() + "/runs/slurm/" + run + "/job.sh");
        QVERIFY2(script.find("#SBATCH --job-name=ui-test") != std::string::npos, script.c_str());
        // The panel polls until both shards are done.
        auto state = [&](int row) {
            auto* item = table->item(row, 1);
            return item ? item->data(Qt::UserRole).toString() : QString();
        };
        QTRY_VERIFY_WITH_TIMEOUT(state(0) == QLatin1String("done") && state(1) == QLatin1String("done"), 120000);
        const auto status = diffii::slurmRunStatus(m_project.toStdString());
        QVERIFY(status.complete());
        for (const auto& s : status.shardStates) QCOMPARE(s.done, s.planned);
        QCOMPARE(table->item(0, 2)->text(),
                 QStringLiteral("%1 of %2").arg(status.shardStates[0].done).arg(status.shardStates[0].planned));
        QVERIFY(m_panel->findChild<QLabel*>(QStringLiteral("slurmSummary"))->text().contains(QStringLiteral("2 of 2")));
        QVERIFY(!m_panel->findChild<QPushButton*>(QStringLiteral("slurmResume"))->isEnabled());
    }

    void cleanupTestCase() {
        delete m_window;
        delete m_controller;
        if (m_cluster) {
            const auto conf = m_cluster->conf();
            m_cluster.reset();
            QVERIFY2(diffii::test::processesOf(conf).empty(), "a process of the test cluster survived its teardown");
        }
        if (m_savedConf.isNull())
            qunsetenv("SLURM_CONF");
        else
            qputenv("SLURM_CONF", m_savedConf);
    }

private:
    QTemporaryDir m_tmp;
    QString m_project;
    std::unique_ptr<diffii::test::LocalSlurm> m_cluster;
    QByteArray m_savedConf;
    StudioController* m_controller = nullptr;
    MainWindow* m_window = nullptr;
    SlurmPanel* m_panel = nullptr;
};

DIFFII_TEST_MAIN(TestUiSlurm, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_slurm.moc"
