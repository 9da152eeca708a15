// The headless CLI over a whole project on the tiny fixture model: create -> split -> train -> pool -> generate ->
// export, with resume, sharding through the CLI, and the bad inputs a user meets (no images, newer schema, a
// model folder that changed under trained concepts, an unwritable export folder, bad options).
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "core/data/synthetic_manifest.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace fs = std::filesystem;
using diffii::test::fixture;

namespace {

using Run = diffii::test::CliRun;

Run diffiiRun(const QStringList& args) { return diffii::test::runDiffii(args); }

std::string readBytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A linked copy of tiny-sd1 whose files can be replaced one by one.
std::string linkedModelCopy(const std::string& dst) {
    const fs::path src = fixture("tiny-sd1");
    for (const auto& e : fs::recursive_directory_iterator(src)) {
        const auto rel = fs::relative(e.path(), src);
        if (e.is_directory())
            fs::create_directories(fs::path(dst) / rel);
        else
            fs::create_symlink(e.path(), fs::path(dst) / rel);
    }
    return dst;
}

}  // namespace

#define RUN_OK(...)                                                   \
    [&] {                                                             \
        const Run r_ = diffiiRun(__VA_ARGS__);                        \
        if (r_.code != 0) qWarning("stderr: %s", qPrintable(r_.err)); \
        return r_;                                                    \
    }()

class TestCliWorkflow : public QObject {
    Q_OBJECT

private:
    std::string m_tmp, m_data, m_model, m_project;

    QString q(const std::string& s) const { return QString::fromStdString(s); }

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_tmp = diffii::test::makeTempDir("cli");
        m_data = m_tmp + "/data";
        fs::create_directories(m_data + "/finch");
        fs::create_directories(m_data + "/dodo");
        fs::create_directories(m_data + "/empty");
        fs::copy_file(fixture("tiny-sd1-diffii/input_0.png"), m_data + "/finch/a.png");
        fs::copy_file(fixture("tiny-sd1-diffii/input_1.png"), m_data + "/finch/b.png");
        fs::copy_file(fixture("tiny-sd1-diffii/input_1.png"), m_data + "/finch/c.png");
        fs::copy_file(fixture("tiny-sd1-diffii/input_0.png"), m_data + "/dodo/d.png");
        m_model = linkedModelCopy(m_tmp + "/model");
        m_project = m_tmp + "/project";
    }
    void cleanupTestCase() { fs::remove_all(m_tmp); }

    void fullFlow() {
        Run r = RUN_OK({"create", q(m_project), "--dataset", q(m_data), "--model", q(m_model), "--metaclass", "bird",
                        "--seed", "11"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("single image"), qPrintable(r.out));  // dodo
        QVERIFY(r.out.contains("empty"));
        QVERIFY(fs::exists(m_project + "/project.json"));

        r = RUN_OK({"split", q(m_project), "--k-shot", "2", "--seed", "3"});
        QCOMPARE(r.code, 0);
        QVERIFY(fs::exists(m_project + "/split.json"));

        r = RUN_OK({"train", q(m_project), "--train-steps", "4", "--checkpoint-every", "2", "--rank", "4"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.err.contains("concepts 4/4"));  // the progress line
        for (const char* f : {"embeddings.safetensors", "lora.safetensors", "loss.csv", "concepts.json"})
            QVERIFY2(fs::exists(m_project + "/concepts/" + f), f);
        diffii::SafeTensorsFile emb(m_project + "/concepts/embeddings.safetensors");
        QCOMPARE(emb.keys().size(), size_t(2));  // one token per class
        // Resuming with an option the checkpoint was not trained with is refused, and the option is not kept: a
        // plain `train` afterwards is not refused forever.
        const auto rankOf = [&] {
            return diffii::readJsonFile(m_project + "/project.json")["settings"]["concepts"]["lora_rank"].get<int>();
        };
        r = diffiiRun({"train", q(m_project), "--train-steps", "6", "--rank", "8"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("lora_rank") && r.err.contains("--restart") && r.err.contains("not saved"),
                 qPrintable(r.err));
        QCOMPARE(rankOf(), 4);
        r = RUN_OK({"train", q(m_project)});
        QCOMPARE(r.code, 0);

        r = RUN_OK({"pool", q(m_project), "--invert-steps", "4"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("pool: 3 inversions"));

        r = RUN_OK({"generate", q(m_project), "--expansion", "1", "--steps", "3", "--shard", "0/2"});
        QCOMPARE(r.code, 0);
        r = RUN_OK({"generate", q(m_project), "--expansion", "1", "--steps", "3", "--shard", "1/2"});
        QCOMPARE(r.code, 0);
        // Everything done: a third run keeps all 3 images.
        r = RUN_OK({"generate", q(m_project), "--expansion", "1", "--steps", "3"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("generated 0, kept 3 of 3"), qPrintable(r.out));
        const auto records = diffii::readManifestJsonl(m_project + "/synthetic/manifest.jsonl");
        QCOMPARE(records.size(), size_t(3));
        for (const auto& rec : records) {
            QVERIFY(fs::exists(m_project + "/synthetic/" + rec.outputPath));
            QCOMPARE(rec.steps, 3);
            QCOMPARE(rec.fallbackNoise, rec.className == "dodo");
        }

        r = RUN_OK({"export", q(m_project), "--out", q(m_tmp + "/export")});
        QCOMPARE(r.code, 0);
        QCOMPARE(diffii::readManifestCsv(m_tmp + "/export/manifest.csv").size(), size_t(3));

        r = RUN_OK({"suffixes", q(m_project)});
        QVERIFY(r.out.contains("standing on a tree branch"));
    }

    // Progress to a log (QProcess reads a pipe): a stage's first and last report and one line per tenth, not one
    // per image; the last line gives the stage's time.
    void progressLinesInALog() {
        const std::string data = m_tmp + "/many";
        for (const char* cls : {"wren", "kite"}) {
            fs::create_directories(data + "/" + cls);
            for (int i = 0; i < 30; ++i)
                fs::copy_file(fixture("tiny-sd1-diffii/input_0.png"),
                              data + "/" + cls + "/" + std::to_string(i) + ".png");
        }
        const Run r = RUN_OK(
            {"create", q(m_tmp + "/many-project"), "--dataset", q(data), "--model", q(m_model), "--metaclass", "bird"});
        QCOMPARE(r.code, 0);
        QStringList lines;
        for (const QString& line : r.err.split(QLatin1Char('\n')))
            if (line.startsWith(QLatin1String("validate "))) lines << line;
        QVERIFY2(lines.size() >= 2 && lines.size() <= 12, qPrintable(lines.join(QLatin1Char('\n'))));
        QVERIFY2(lines.first().startsWith(QLatin1String("validate 0/60 ")), qPrintable(lines.first()));
        QVERIFY2(QRegularExpression(QStringLiteral("^validate 60/60, [0-9.]+ s$")).match(lines.last()).hasMatch(),
                 qPrintable(lines.last()));
    }

    // Every command's --help names the command as it is typed, not the executable's path.
    void helpNamesTheCommand() {
        for (const char* command : {"create", "pair", "generate", "slurm submit"}) {
            QStringList args = QString::fromLatin1(command).split(QLatin1Char(' '));
            args << "--help";
            const Run r = diffiiRun(args);
            QCOMPARE(r.code, 0);
            QVERIFY2(r.out.startsWith(QStringLiteral("Usage: diffii %1 [options]").arg(QLatin1String(command))),
                     qPrintable(r.out.left(120)));
        }
    }

    void changedModelIsDetected() {
        // Change one config value of the model under the trained concepts: its fingerprint changes.
        const fs::path cfg = fs::path(m_model) / "scheduler" / "scheduler_config.json";
        auto j = diffii::readJsonFile(fs::read_symlink(cfg).string());
        j["steps_offset"] = 0;
        fs::remove(cfg);
        std::ofstream(cfg) << j.dump(2);
        const Run r = diffiiRun({"pool", q(m_project)});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("fingerprint") && r.err.contains("retrain"), qPrintable(r.err));
    }

    void badInputs() {
        fs::create_directories(m_tmp + "/nodata/cls");
        Run r = diffiiRun({"create", q(m_tmp + "/p2"), "--dataset", q(m_tmp + "/nodata"), "--model", q(m_model),
                           "--metaclass", "bird"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(q(m_tmp + "/nodata")), qPrintable(r.err));
        QVERIFY(!fs::exists(m_tmp + "/p2/project.json"));  // nothing written

        // A project written by a newer schema.
        fs::create_directories(m_tmp + "/newer");
        auto j = diffii::readJsonFile(m_project + "/project.json");
        j["schemaVersion"] = 99;
        std::ofstream(m_tmp + "/newer/project.json") << j.dump();
        r = diffiiRun({"pool", q(m_tmp + "/newer")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("99") && r.err.contains("project.json"), qPrintable(r.err));

        r = diffiiRun({"export", q(m_project), "--out", "/proc/diffii-cannot-write-here"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("/proc/diffii-cannot-write-here"), qPrintable(r.err));

        r = diffiiRun({"generate", q(m_project), "--shard", "3/2"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("3/2"), qPrintable(r.err));

        r = diffiiRun(
            {"pair", "--model", q(m_model), "--image", "x.png", "--prompt", "p", "--out", "o.png", "--seed", "1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--image"), qPrintable(r.err));

        // A folder given as the suffix list is refused by name; the project's list is kept.
        const auto slurp = [](const std::string& path) {
            std::ifstream in(path);
            return std::string(std::istreambuf_iterator<char>(in), {});
        };
        std::ofstream(m_tmp + "/suffixes-in.txt") << "on a fence\nin the rain\n";
        r = RUN_OK({"suffixes", q(m_project), "--set", q(m_tmp + "/suffixes-in.txt")});
        const std::string suffixesBefore = slurp(m_project + "/suffixes.txt");
        QVERIFY2(suffixesBefore.find("on a fence") != std::string::npos, suffixesBefore.c_str());
        r = diffiiRun({"suffixes", q(m_project), "--set", q(m_tmp)});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(q(m_tmp)) && r.err.contains("directory"), qPrintable(r.err));
        QCOMPARE(slurp(m_project + "/suffixes.txt"), suffixesBefore);

        // Options named in their errors, before any work: a negative seed (it wrapped around), a blank metaclass (it
        // failed only at training), a number that is not finite, a folder as the output image, an output folder
        // under a file (std::filesystem's own message leaked).
        r = diffiiRun({"create", q(m_tmp + "/p3"), "--dataset", q(m_data), "--model", q(m_model), "--metaclass", "bird",
                       "--seed", "-5"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--seed") && r.err.contains("-5"), qPrintable(r.err));
        r = diffiiRun({"create", q(m_tmp + "/p3"), "--dataset", q(m_data), "--model", q(m_model), "--metaclass", " "});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--metaclass"), qPrintable(r.err));
        QVERIFY(!fs::exists(m_tmp + "/p3"));
        const std::string image = fixture("tiny-sd1-diffii/input_0.png");
        r = diffiiRun({"pair", "--model", q(m_model), "--image", q(image), "--image", q(image), "--prompt", "p",
                       "--out", q(m_tmp), "--seed", "1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--out") && r.err.contains("folder"), qPrintable(r.err));
        r = diffiiRun({"pair", "--model", q(m_model), "--image", q(image), "--image", q(image), "--prompt", "p",
                       "--out", q(m_tmp + "/o.jpg"), "--seed", "1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--out") && r.err.contains("PNG"), qPrintable(r.err));
        r = diffiiRun({"pair", "--model", q(m_model), "--image", q(image), "--image", q(image), "--prompt", "p",
                       "--out", q(m_tmp + "/o.png"), "--seed", "1", "--lora", "a.safetensors", "--lora",
                       "b.safetensors"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--lora is given 2 times"), qPrintable(r.err));
        r = diffiiRun({"pair", "--model", q(m_model), "--image", q(image), "--image", q(image), "--prompt", "p",
                       "--out", q(m_tmp + "/o.png"), "--alpha", "nan"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--alpha") && r.err.contains("finite"), qPrintable(r.err));
        std::ofstream(m_tmp + "/a-file") << "x";
        r = diffiiRun({"convert", q(m_model), "--to-single-file", "--out", q(m_tmp + "/a-file/x.safetensors")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("a-file is a file, not a folder") && !r.err.contains("filesystem error"),
                 qPrintable(r.err));
        for (const char* name : {"/x.bin", "/y.safetensors/"}) {
            r = diffiiRun({"convert", q(m_model), "--to-single-file", "--out", q(m_tmp + name)});
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.contains(".safetensors") && !fs::exists(m_tmp + name), qPrintable(r.err));
        }

        // A training image deleted after the split chose it: named, with what to do.
        fs::copy(m_data, m_tmp + "/data4", fs::copy_options::recursive);
        RUN_OK({"create", q(m_tmp + "/p4"), "--dataset", q(m_tmp + "/data4"), "--model", q(m_model), "--metaclass",
                "bird"});
        RUN_OK({"split", q(m_tmp + "/p4"), "--all"});
        fs::remove(m_tmp + "/data4/finch/b.png");
        r = diffiiRun({"pool", q(m_tmp + "/p4"), "--invert-steps", "2"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("finch/b.png") && r.err.contains("split"), qPrintable(r.err));

        // Two images of a class with one stem (x.png, x.PNG) get pool entries of their own (they overwrote each
        // other's, and the pool never became current); a class named as a file of the synthetic set is refused.
        fs::create_directories(m_tmp + "/data5/finch");
        fs::create_directories(m_tmp + "/data5/overview");
        fs::copy_file(m_data + "/finch/a.png", m_tmp + "/data5/finch/x.png");
        fs::copy_file(m_data + "/finch/b.png", m_tmp + "/data5/finch/x.PNG");
        fs::copy_file(m_data + "/finch/c.png", m_tmp + "/data5/overview/y.png");
        fs::copy_file(m_data + "/finch/a.png", m_tmp + "/data5/overview/z.png");
        RUN_OK({"create", q(m_tmp + "/p5"), "--dataset", q(m_tmp + "/data5"), "--model", q(m_model), "--metaclass",
                "bird"});
        RUN_OK({"split", q(m_tmp + "/p5"), "--all"});
        r = RUN_OK({"pool", q(m_tmp + "/p5"), "--invert-steps", "2"});
        QVERIFY2(r.out.contains("pool: 4 inversions"), qPrintable(r.out));
        int poolFiles = 0;
        for (const auto& e : fs::recursive_directory_iterator(m_tmp + "/p5/inversions"))
            poolFiles += e.path().extension() == ".safetensors" ? 1 : 0;
        QCOMPARE(poolFiles, 4);
        r = RUN_OK({"generate", q(m_tmp + "/p5"), "--expansion", "0.5", "--steps", "1"});
        // A class named "overview" keeps its contact sheet: the overview of all classes takes another name.
        r = RUN_OK(
            {"contact-sheet", q(m_tmp + "/p5"), "--out", q(m_tmp + "/sheets5"), "--alphas", "0", "--splits", "0.5"});
        for (const char* f : {"finch.png", "overview.png", "_overview.png"})
            QVERIFY2(fs::exists(m_tmp + "/sheets5/" + f), f);
        fs::create_directories(m_tmp + "/data5/manifest.csv");
        fs::copy_file(m_data + "/finch/a.png", m_tmp + "/data5/manifest.csv/a.png");
        r = diffiiRun({"create", q(m_tmp + "/p6"), "--dataset", q(m_tmp + "/data5"), "--model", q(m_model),
                       "--metaclass", "bird"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("manifest.csv") && r.err.contains("rename"), qPrintable(r.err));

        // Options that exclude each other are refused, not resolved silently.
        r = diffiiRun({"split", q(m_project), "--all", "--k-shot", "2"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--k-shot and --all exclude each other"), qPrintable(r.err));
        r = diffiiRun({"concepts", "list", q(m_project)});
        QVERIFY2(!r.err.contains("not defined"), qPrintable(r.err));

        r = diffiiRun({"train", "--help"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("--train-steps"));
    }
};

DIFFII_TEST_MAIN(TestCliWorkflow, Core)
}  // namespace DIFFII_UNIT
#include "test_cli_workflow.moc"
