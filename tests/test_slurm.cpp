// Generation on a real single-node Slurm (slurmctld + slurmd started here from a throwaway config, auth/none, no
// cgroups): a tiny project's set as a 4-shard job array, one task cancelled mid-run with scancel, `diffii slurm
// status` naming it cancelled, `diffii slurm resume`, the export refused while a shard is missing and then
// byte-identical to a local unsharded run; bad input refused before anything is submitted. The daemons and every
// process of the cluster (found by our SLURM_CONF in /proc/*/environ) are killed by PID when the class ends, pass or
// fail. Skipped with the reason when slurmctld is not installed.
#include <QtTest/QtTest>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/data/project_lock.h"
#include "core/demo/demo.h"
#include "core/io/json_config.h"
#include "core/jobs/slurm.h"
#include "tests/slurm_test_cluster.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace fs = std::filesystem;
using diffii::test::findProgram;
using diffii::test::LocalSlurm;
using diffii::test::processesOf;
using diffii::test::readText;

namespace {

using Run = diffii::test::CliRun;

std::map<std::string, std::string> filesUnder(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file() && e.path().filename() != ".diffii-export.json")
            out[fs::relative(e.path(), root).generic_string()] = readText(e.path());
    return out;
}

}  // namespace

class TestSlurm : public QObject {
    Q_OBJECT

private:
    std::string m_tmp, m_project;
    std::unique_ptr<LocalSlurm> m_cluster;
    QByteArray m_savedConf;

    Run diffii(const QStringList& args, const QProcessEnvironment* env = nullptr) {
        return diffii::test::runDiffii(args, env, 120000);
    }
    QString q(const std::string& s) const { return QString::fromStdString(s); }

    diffii::SlurmShardStatus shardStatus(int shard) {
        return diffii::slurmRunStatus(m_project).shardStates.at(static_cast<size_t>(shard));
    }

    // Polls the latest run until no shard is pending or running (at most 150 s).
    diffii::SlurmRunStatus waitFinished() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(150);
        auto s = diffii::slurmRunStatus(m_project);
        while (!s.finished() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            s = diffii::slurmRunStatus(m_project);
        }
        return s;
    }

private Q_SLOTS:
    void initTestCase() {
        if (findProgram("slurmctld").empty() || findProgram("slurmd").empty() || findProgram("sbatch").empty())
            QSKIP(
                "slurmctld, slurmd or sbatch is not installed (Debian: slurmctld slurmd slurm-client; "
                "packaging/install-deps.sh installs them)");
        if (::geteuid() != 0) QSKIP("the throwaway cluster runs its daemons as root (SlurmUser=root), as CI does");
        m_tmp = diffii::test::makeTempDir("slurm");
        m_cluster = std::make_unique<LocalSlurm>(m_tmp + "/cluster");
        m_savedConf = qgetenv("SLURM_CONF");
        qputenv("SLURM_CONF", QByteArray::fromStdString(m_cluster->conf()));  // for sbatch & co. in diffii
        const auto error = m_cluster->start();
        QVERIFY2(error.empty(), error.c_str());

        // A tiny project: 2 classes x 3 images of the demo, its model, a 3-step pool, 24 images in 4 shards.
        const auto res = diffii::locateDemoResources();
        for (const char* cls : {"penguin", "owl"}) {
            fs::create_directories(m_tmp + "/data/" + cls);
            for (const char* img : {"fluent-color.png", "fluent-flat.png", "openmoji-color.png"})
                fs::copy_file(fs::path(res.trainImages) / cls / img, fs::path(m_tmp) / "data" / cls / img);
        }
        m_project = m_tmp + "/project";
        Run r = diffii({"create", q(m_project), "--dataset", q(m_tmp + "/data"), "--model", q(res.model), "--metaclass",
                        "bird", "--seed", "5"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        r = diffii({"pool", q(m_project), "--invert-steps", "3"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto project = diffii::readJsonFile(m_project + "/project.json");
        project["settings"]["generation"]["expansion_rate"] = 4.0;
        project["settings"]["generation"]["steps"] = 20;
        std::ofstream(m_project + "/project.json") << project.dump(2);
    }

    void cleanupTestCase() {
        if (m_cluster) {
            const auto conf = m_cluster->conf();
            m_cluster.reset();  // kills by PID, then whatever carries our SLURM_CONF
            QVERIFY2(processesOf(conf).empty(), "a process of the test cluster survived its teardown");
        }
        if (m_savedConf.isNull())
            qunsetenv("SLURM_CONF");
        else
            qputenv("SLURM_CONF", m_savedConf);
        if (!m_tmp.empty()) fs::remove_all(m_tmp);
    }

    void shardFromSlurmEnvironment() {
        qputenv("SLURM_ARRAY_TASK_ID", "3");
        qputenv("SLURM_ARRAY_TASK_COUNT", "4");
        qputenv("SLURM_ARRAY_TASK_MIN", "1");
        auto s = diffii::shardFromSlurmEnvironment();
        QCOMPARE(s.index, 2);
        QCOMPARE(s.count, 4);
        qunsetenv("SLURM_ARRAY_TASK_MIN");
        s = diffii::shardFromSlurmEnvironment();
        QCOMPARE(s.index, 3);
        qunsetenv("SLURM_ARRAY_TASK_COUNT");
        diffii::test::expectError([] { diffii::shardFromSlurmEnvironment(); }, {"SLURM_ARRAY_TASK_COUNT"});
        qunsetenv("SLURM_ARRAY_TASK_ID");
    }

    void shardLocksShareTheProject() {
        // Shards of one set hold the project together; the same shard twice, or a job that needs it alone, is refused.
        const auto p = m_project;
        diffii::ProjectLock a(p, "generate", "synthetic", 0, 2);
        diffii::ProjectLock b(p, "generate", "synthetic", 1, 2);
        diffii::test::expectError([&] { diffii::ProjectLock alone(p, "export"); },
                                  {"shard", "needs the project alone"});
        // Another process: a sharded generate of another shard is welcome, an export is refused naming the shards.
        const Run r = diffii({"export", q(p), "--out", q(m_tmp + "/never")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("2 shards of a sharded generation") && r.err.contains("synthetic.0-of-2"),
                 qPrintable(r.err));
    }

    void badInputIsRefusedBeforeSubmitting() {
        // sbatch missing
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("PATH", QString::fromStdString(m_tmp + "/no-such-folder"));
        Run r = diffii({"slurm", "submit", q(m_project), "--shards", "4"}, &env);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("sbatch: not found on PATH") && r.err.contains("slurm-client"), qPrintable(r.err));
        // a partition the cluster does not have: sbatch's own message, and no run recorded
        r = diffii({"slurm", "submit", q(m_project), "--shards", "4", "--partition", "nopart"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("sbatch rejected the submission") && r.err.contains("invalid partition"),
                 qPrintable(r.err));
        QVERIFY(diffii::latestSlurmRun(m_project).empty());
        QVERIFY(!fs::exists(m_project + "/runs/slurm/latest"));
        // no run yet: status says so
        r = diffii({"slurm", "status", q(m_project)});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("no Slurm run"), qPrintable(r.err));
    }

    void arrayCancelResumeExport() {
        const auto started = std::chrono::steady_clock::now();
        Run r = diffii({"slurm", "submit", q(m_project), "--shards", "4"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QRegularExpression idLine(QStringLiteral("^Submitted batch job (\\d+)$"),
                                        QRegularExpression::MultilineOption);
        const auto match = idLine.match(r.out);
        QVERIFY2(match.hasMatch(), qPrintable(r.out));
        const std::string job = match.captured(1).toStdString();
        QCOMPARE(diffii::latestSlurmRun(m_project), job);
        const fs::path runDir = fs::path(m_project) / "runs/slurm" / job;
        const auto script = readText(runDir / "job.sh");
        QVERIFY2(script.find("--shard \"$SLURM_ARRAY_TASK_ID/4\"") != std::string::npos, script.c_str());
        QVERIFY2(script.find("#SBATCH --cpus-per-task=1") != std::string::npos, script.c_str());  // small model

        // Cancel task 1 once it has written an image and before it is done.
        bool cancelled = false;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (!cancelled && std::chrono::steady_clock::now() < deadline) {
            const auto s = shardStatus(1);
            QVERIFY2(s.state != diffii::ShardState::Done, "shard 1 finished before it could be cancelled");
            if (s.state == diffii::ShardState::Running && s.done >= 1) {
                QProcess scancel;
                scancel.start(QString::fromStdString(findProgram("scancel")), {q(job + "_1")});
                QVERIFY(scancel.waitForFinished(10000));
                QCOMPARE(scancel.exitCode(), 0);
                cancelled = true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        QVERIFY(cancelled);
        auto status = waitFinished();
        QVERIFY(status.finished());
        QCOMPARE(int(status.shardStates.size()), 4);
        const auto& s1 = status.shardStates[1];
        QCOMPARE(s1.state, diffii::ShardState::Cancelled);
        QVERIFY2(s1.done >= 1 && s1.done < s1.planned,
                 qPrintable(QStringLiteral("%1 of %2").arg(s1.done).arg(s1.planned)));
        const int64_t doneBeforeResume = s1.done;
        for (int i : {0, 2, 3}) {
            QCOMPARE(status.shardStates[static_cast<size_t>(i)].state, diffii::ShardState::Done);
            QCOMPARE(status.shardStates[static_cast<size_t>(i)].exitCode, std::string("0:0"));
        }
        // The shard's own record agrees once the task has exited: Slurm reports the cancellation at once, the task
        // writes its record when it has stopped at its next check (within the test cluster's KillWait of 30 s, or
        // SIGKILL; on a loaded two-core machine 10 s were not always enough).
        std::string recorded;
        const auto waitStart = std::chrono::steady_clock::now();
        for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(35);
             std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(std::chrono::milliseconds(100))) {
            recorded = diffii::readJsonFile((runDir / "shard-1.json").string()).value("state", std::string());
            if (recorded != "running") break;
        }
        qInfo("shard 1's record: '%s' after %.1f s", recorded.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - waitStart).count());
        QCOMPARE(recorded, std::string("cancelled"));
        // The CLI's status names it.
        r = diffii({"slurm", "status", q(m_project)});
        QCOMPARE(r.code, 0);
        QVERIFY2(QRegularExpression(QStringLiteral("\\n1\\s+cancelled\\s+%1/6").arg(doneBeforeResume))
                     .match(r.out)
                     .hasMatch(),
                 qPrintable(r.out));
        QVERIFY2(QRegularExpression(QStringLiteral("\\n0\\s+done\\s+6/6\\s+0:0")).match(r.out).hasMatch(),
                 qPrintable(r.out));

        // An export now is an error naming the missing shard.
        r = diffii({"export", q(m_project), "--out", q(m_tmp + "/export-early")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("shard 1 of 4") && r.err.contains("slurm resume"), qPrintable(r.err));

        // Resume: only shard 1 goes again, and continues from its last image.
        r = diffii({"slurm", "resume", q(m_project), "--wait"});
        QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
        const auto run = diffii::readJsonFile((runDir / "run.json").string());
        QCOMPARE(run["submissions"].size(), size_t(2));
        QCOMPARE(run["submissions"][1]["tasks"].get<std::vector<int>>(), std::vector<int>{1});
        status = diffii::slurmRunStatus(m_project);
        QVERIFY(status.complete());
        const std::string resumedLog = readText(status.shardStates[1].log);
        QVERIFY2(resumedLog.find("kept " + std::to_string(doneBeforeResume) + " of 6 (shard 1/4)") != std::string::npos,
                 resumedLog.c_str());
        r = diffii({"slurm", "resume", q(m_project)});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("nothing to resume"), qPrintable(r.err));

        r = diffii({"export", q(m_project), "--out", q(m_tmp + "/export-cluster")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const double clusterSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

        // The same project generated locally, unsharded: the same files, byte for byte.
        fs::rename(m_project + "/synthetic", m_tmp + "/synthetic-cluster");
        fs::create_directories(m_project + "/synthetic");
        r = diffii({"generate", q(m_project)});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        r = diffii({"export", q(m_project), "--out", q(m_tmp + "/export-local")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const auto cluster = filesUnder(m_tmp + "/export-cluster");
        const auto local = filesUnder(m_tmp + "/export-local");
        QCOMPARE(cluster.size(), size_t(24 + 2));  // 24 images + manifest.csv + manifest.jsonl
        QVERIFY(cluster == local);
        qInfo("cluster run: submit, cancel, resume and export of 24 images in %.1f s", clusterSeconds);
    }

    void staleProjectIsRefusedBeforeSubmitting() {
        const auto before = diffii::latestSlurmRun(m_project);
        auto project = diffii::readJsonFile(m_project + "/project.json");
        project["settings"]["pool"]["steps"] = 4;  // the pool was built with 3: stale
        std::ofstream(m_project + "/project.json") << project.dump(2);
        const Run r = diffii({"slurm", "submit", q(m_project), "--shards", "2"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("stale"), qPrintable(r.err));
        QCOMPARE(diffii::latestSlurmRun(m_project), before);
    }
};

DIFFII_TEST_MAIN(TestSlurm, Core)
}  // namespace DIFFII_UNIT
#include "test_slurm.moc"
