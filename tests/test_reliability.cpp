// One writer per project, clean recovery and guarded targets (issue 13): the project lock refuses a second writer
// (another process) with the holder's PID and command, is re-entrant within a process and is taken over when its
// holder dies; the temporaries of dead runs are removed; an export refuses foreign non-empty folders and system
// folders unless forced, marks itself unfinished until its manifests are written and removes images it no longer
// exports; out-of-range settings are refused before anything is saved or planned.
#include <QtTest/QtTest>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/data/project.h"
#include "core/data/project_lock.h"
#include "core/data/synthetic_manifest.h"
#include "core/engine/types.h"
#include "core/eval/classifier.h"
#include "core/io/error.h"
#include "core/io/json_config.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace fs = std::filesystem;

namespace {

void writeText(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

std::string readText(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A minimal project folder (project.json only): the lock and the settings need no model.
std::string makeProject(const std::string& dir) {
    diffii::ProjectConfig c;
    c.name = "p";
    c.datasetPath = "/nonexistent";
    c.modelPath = "/nonexistent";
    c.metaclass = "bird";
    c.settings = diffii::WorkflowSettings().toJson();
    diffii::Project::create(dir, c);
    return dir;
}

// A synthetic set of n images in two classes, as the generator leaves it (PNGs + manifest).
std::string makeSyntheticSet(const std::string& dir, int n) {
    std::vector<diffii::SyntheticRecord> records;
    for (int i = 0; i < n; ++i) {
        diffii::SyntheticRecord r;
        r.className = i % 2 ? "dodo" : "finch";
        r.classIndex = i % 2;
        r.index = i / 2;
        r.outputPath = r.className + "/img_" + std::to_string(i) + ".png";
        writeText(fs::path(dir) / r.outputPath,
                  diffii::test::encodePng(2, 2, 3, 8, std::vector<uint16_t>(12, static_cast<uint16_t>(i * 10))));
        records.push_back(r);
    }
    diffii::writeManifest(dir, records);
    return dir;
}

// A child process that takes the project's lock for `what`, says so on a pipe and waits to be killed.
pid_t holdLockInChild(const std::string& project, const char* what) {
    int fds[2];
    if (::pipe(fds) != 0) return -1;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        try {
            diffii::ProjectLock lock(project, what);
            (void)!::write(fds[1], "1", 1);
            for (;;) ::pause();
        } catch (...) {
            (void)!::write(fds[1], "0", 1);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    char c = 0;
    (void)!::read(fds[0], &c, 1);
    ::close(fds[0]);
    return c == '1' ? pid : -1;
}

pid_t deadPid() {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    ::waitpid(pid, nullptr, 0);
    return pid;
}

}  // namespace

class TestReliability : public QObject {
    Q_OBJECT

private:
    std::string m_tmp;

private slots:
    void initTestCase() { m_tmp = diffii::test::makeTempDir("reliability"); }
    void cleanupTestCase() { fs::remove_all(m_tmp); }

    void secondWriterIsRefusedWithTheHolder() {
        const auto project = makeProject(m_tmp + "/locked");
        const pid_t child = holdLockInChild(project, "generate");
        QVERIFY(child > 0);
        diffii::test::expectError([&] { diffii::ProjectLock again(project, "train"); },
                                  {"PID " + std::to_string(child), "generate", "'train'", project});
        // Read-only views keep working while the lock is held.
        QCOMPARE(diffii::Project::open(project).config().metaclass, std::string("bird"));
        // The holder dies (kill -9): its lock goes with it and the next writer takes over.
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        diffii::ProjectLock taken(project, "train");
        QVERIFY(readText(fs::path(project) / diffii::ProjectLock::kFileName).find("\"train\"") != std::string::npos);
    }

    void lockIsReentrantWithinAProcess() {
        const auto project = makeProject(m_tmp + "/reentrant");
        {
            diffii::ProjectLock outer(project, "evaluate");
            diffii::ProjectLock inner(project, "generate");  // the evaluation generating its sets
        }
        // Released: another process can take it now.
        const pid_t child = holdLockInChild(project, "pool");
        QVERIFY2(child > 0, "the lock was not released by its last holder");
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        diffii::test::expectError([&] { diffii::ProjectLock l(m_tmp + "/not-a-project", "generate"); },
                                  {"not-a-project", "no project.json"});
    }

    void deadRunsTemporariesAreRemoved() {
        const auto project = makeProject(m_tmp + "/leftovers");
        const auto dead = std::to_string(deadPid());
        const fs::path a = fs::path(project) / ("synthetic/finch/img_0.png.tmp." + dead + ".77");
        const fs::path b = fs::path(project) / ("concepts/lora.safetensors.tmp." + dead + ".3");
        const fs::path mine = fs::path(project) / ("runs/x.json.tmp." + std::to_string(::getpid()) + ".1");
        const fs::path lookalike = fs::path(project) / "synthetic/finch/notes.tmp.txt";
        for (const auto& p : {a, b, mine, lookalike}) writeText(p, "partial");
        { diffii::ProjectLock lock(project, "generate"); }
        QVERIFY(!fs::exists(a));
        QVERIFY(!fs::exists(b));
        QVERIFY(fs::exists(mine));       // this process's own
        QVERIFY(fs::exists(lookalike));  // not the tool's pattern
        // Outside a lock, only files of dead processes go.
        writeText(a, "partial");
        const auto removed = diffii::removeStaleTemporaries(project);
        QCOMPARE(removed.size(), size_t(1));
        QVERIFY(!fs::exists(a));
    }

    void exportIsGuarded() {
        const auto set = makeSyntheticSet(m_tmp + "/project/synthetic", 6);
        // A foreign non-empty folder: refused, and nothing is written into it.
        const auto foreign = m_tmp + "/foreign";
        writeText(fs::path(foreign) / "thesis.tex", "mine");
        diffii::test::expectError([&] { diffii::exportSyntheticSet(set, foreign); }, {foreign, "not empty", "--force"});
        QVERIFY(!fs::exists(fs::path(foreign) / "manifest.csv"));
        QVERIFY(!fs::exists(fs::path(foreign) / "finch"));
        // System folders and the set itself: refused.
        diffii::test::expectError([&] { diffii::exportSyntheticSet(set, "/"); }, {"system folder"});
        diffii::test::expectError([&] { diffii::exportSyntheticSet(set, "/usr/share/diffii-export"); },
                                  {"system folder"});
        diffii::test::expectError([&] { diffii::exportSyntheticSet(set, set + "/sub"); }, {"outside"});
        // --force merges into the foreign folder.
        QCOMPARE(diffii::exportSyntheticSet(set, foreign, false, nullptr, true), int64_t(6));
        QCOMPARE(readText(fs::path(foreign) / "thesis.tex"), std::string("mine"));
        // An empty folder, then again into the same (an earlier export of this set): allowed, complete.
        const auto out = m_tmp + "/export";
        QCOMPARE(diffii::exportSyntheticSet(set, out), int64_t(6));
        QCOMPARE(diffii::readExportState(out), std::string("complete"));
        // The set shrinks (an image rejected): the re-export removes it.
        auto records = diffii::readManifestJsonl(set + "/manifest.jsonl");
        records[0].curation = diffii::Curation::Rejected;
        diffii::writeManifest(set, records);
        QCOMPARE(diffii::exportSyntheticSet(set, out), int64_t(5));
        QVERIFY(!fs::exists(fs::path(out) / records[0].outputPath));
        QVERIFY(fs::exists(fs::path(out) / records[1].outputPath));
        QCOMPARE(diffii::readManifestCsv(out + "/manifest.csv").size(), size_t(5));
        // A run stopped midway (cancelled at its first image) leaves a folder that says so; a classifier refuses it.
        std::atomic<bool> cancel{true};
        diffii::JobContext job;
        job.cancelFlag = &cancel;
        QVERIFY_THROWS_EXCEPTION(diffii::Cancelled, diffii::exportSyntheticSet(set, out, false, &job));
        QCOMPARE(diffii::readExportState(out), std::string("incomplete"));
        QVERIFY(!fs::exists(fs::path(out) / "manifest.csv"));
        diffii::test::expectError([&] { diffii::syntheticSamples(out, {"dodo", "finch"}); }, {out, "unfinished"});
        // The dead run's temporary file in the export folder goes with the next export.
        const auto tmp = fs::path(out) / ("finch/img_0.png.tmp." + std::to_string(deadPid()) + ".5");
        writeText(tmp, "partial");
        QCOMPARE(diffii::exportSyntheticSet(set, out), int64_t(5));
        QCOMPARE(diffii::readExportState(out), std::string("complete"));
        QVERIFY(!fs::exists(tmp));
    }

    void outOfRangeSettingsAreRefusedBeforeSaving() {
        for (const auto& [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{{"expansion_rate", 1e18},
                                                                                            {"expansion_rate", 0},
                                                                                            {"steps", 0},
                                                                                            {"steps", 100000},
                                                                                            {"guidance", std::nan("")},
                                                                                            {"split", 2.0}}) {
            auto s = diffii::WorkflowSettings().toJson();
            s["generation"][key] = value;
            diffii::test::expectError([&] { diffii::WorkflowSettings::fromJson(s, "p/project.json"); },
                                      {"p/project.json", "'" + key + "'"});
        }
        auto s = diffii::WorkflowSettings().toJson();
        s["concepts"]["batch_size"] = -3;
        diffii::test::expectError([&] { diffii::WorkflowSettings::fromJson(s, "p/project.json"); }, {"batch_size"});
        // The CLI: a huge expansion is refused at once, and project.json keeps what it had.
        const auto project = makeProject(m_tmp + "/bounded");
        const auto before = readText(fs::path(project) / "project.json");
        QElapsedTimer t;
        t.start();
        const auto r = diffii::test::runDiffii({"generate", QString::fromStdString(project), "--expansion", "1e18"},
                                               nullptr, 60000);
        QVERIFY2(r.code != 0 && r.code != -1, qPrintable(r.err));
        QVERIFY(t.elapsed() < 30000);
        QCOMPARE(readText(fs::path(project) / "project.json"), before);
    }

    void cliWriterIsRefusedWhileTheProjectIsLocked() {
        const auto project = makeProject(m_tmp + "/cli-locked");
        diffii::ProjectLock held(project, "generate");  // this process holds it, as the app would
        const auto r = diffii::test::runDiffii({"split", QString::fromStdString(project), "--all"}, nullptr, 60000);
        QVERIFY(r.code != 0 && r.code != -1);
        QVERIFY2(r.err.contains(QStringLiteral("PID %1").arg(::getpid())), qPrintable(r.err));
        QVERIFY(!fs::exists(fs::path(project) / "split.json"));
    }
};

DIFFII_TEST_MAIN(TestReliability, Core)
}  // namespace DIFFII_UNIT
#include "test_reliability.moc"
