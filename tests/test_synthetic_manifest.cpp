// core/data/synthetic_manifest: CSV quoting (commas, quotes, newlines), CSV and JSONL round trips, the Diff-Mix
// meta.csv columns, read errors that name file, row and column, stable per-sample seeds and shard assignment.
#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "core/data/stable_hash.h"
#include "core/data/synthetic_manifest.h"
#include "core/io/error.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace fs = std::filesystem;
using diffii::SyntheticRecord;

using diffii::test::errorOf;

namespace {

std::vector<SyntheticRecord> sampleRecords() {
    std::vector<SyntheticRecord> out;
    SyntheticRecord a;
    a.className = "Black_footed_Albatross";
    a.classIndex = 0;
    a.index = 0;
    a.sourceA = "Black_footed_Albatross/img_001.jpg";
    a.sourceB = "Black_footed_Albatross/img_007.jpg";
    a.alpha = 0.1;  // not exactly representable: must still round-trip bit for bit
    a.theta = 1.2345678901234567;
    a.split = 0.5;
    a.suffix = "in the snow, at night, \"photorealistic\"\nsecond line";
    a.seed = 18446744073709551615ull;
    a.steps = 25;
    a.inversionSteps = 50;
    a.guidance = 7.5;
    a.modelHash = "f5dedf7ae68682fbccb9f3a17120705f";
    a.conceptsHash = "0123456789abcdef0123456789abcdef";
    a.outputPath = "Black_footed_Albatross/000000.png";
    a.curation = diffii::Curation::Accepted;
    a.tags = {"good", "sharp edges", "tag, with comma"};
    out.push_back(a);

    SyntheticRecord b;  // one-image class: noise fallback, empty sourceB and suffix, rejected
    b.className = "Laysan Albatross";
    b.classIndex = 1;
    b.index = 3;
    b.sourceA = "Laysan Albatross/only.png";
    b.fallbackNoise = true;
    b.alpha = 1.0 / 3.0;
    b.theta = 0.0;
    b.split = 0.7;
    b.seed = 42;
    b.steps = 50;
    b.inversionSteps = 100;
    b.guidance = 1.0;
    b.outputPath = "Laysan Albatross/000003.png";
    b.curation = diffii::Curation::Rejected;
    out.push_back(b);

    SyntheticRecord c = a;  // pending, CRLF and a lone CR in the suffix
    c.index = 1;
    c.suffix = "carriage\r\nreturn\rand \"\"double\"\" quotes";
    c.curation = diffii::Curation::Pending;
    c.tags.clear();
    c.alpha = -0.0;
    c.guidance = 1e-300;
    out.push_back(c);
    return out;
}

void writeText(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary).write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

class TestSyntheticManifest : public QObject {
    Q_OBJECT

private:
    std::string m_dir;

private slots:
    void initTestCase() { m_dir = diffii::test::makeTempDir("manifest"); }
    void cleanupTestCase() { fs::remove_all(m_dir); }

    void csvFieldQuoting() {
        QCOMPARE(diffii::csvField("plain text"), std::string("plain text"));
        QCOMPARE(diffii::csvField(""), std::string(""));
        QCOMPARE(diffii::csvField("a,b"), std::string("\"a,b\""));
        QCOMPARE(diffii::csvField("say \"hi\""), std::string("\"say \"\"hi\"\"\""));
        QCOMPARE(diffii::csvField("two\nlines"), std::string("\"two\nlines\""));
        QCOMPARE(diffii::csvField("cr\r"), std::string("\"cr\r\""));
        const auto rows = diffii::parseCsv("a,\"b,c\",\"d\"\"e\"\r\n\"multi\nline\",,x\n\n\"\",last", "t.csv");
        QCOMPARE(rows.size(), size_t(3));
        QCOMPARE(rows[0], (std::vector<std::string>{"a", "b,c", "d\"e"}));
        QCOMPARE(rows[1], (std::vector<std::string>{"multi\nline", "", "x"}));
        QCOMPARE(rows[2], (std::vector<std::string>{"", "last"}));
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::parseCsv("a,\"open", "t.csv"));
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::parseCsv("a,b\"c\n", "t.csv"));
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::parseCsv("\"a\"b\n", "t.csv"));
    }

    void csvHeaderHasOurAndDiffMixColumns() {
        const auto& cols = diffii::manifestCsvColumns();
        for (const char* name :
             {"className", "classIndex",   "index",      "sourceA",  "sourceB", "fallbackNoise",   "alpha",
              "theta",     "split",        "suffix",     "seed",     "steps",   "inversionSteps",  "guidance",
              "modelHash", "conceptsHash", "outputPath", "curation", "tags",    "First Directory", "Second Directory",
              "Number",    "Strength",     "Path"})
            QVERIFY2(std::find(cols.begin(), cols.end(), name) != cols.end(), name);
        QCOMPARE(std::set<std::string>(cols.begin(), cols.end()).size(), cols.size());

        const std::string csv = diffii::manifestToCsv(sampleRecords());
        const auto rows = diffii::parseCsv(csv, "m.csv");
        QCOMPARE(rows.size(), size_t(4));
        QCOMPARE(rows[0], cols);
        auto col = [&](const std::string& name) {
            return static_cast<size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin());
        };
        // Diff-Mix reads First/Second Directory as labels, Strength as the mix, Path under its data folder.
        QCOMPARE(rows[2][col("First Directory")], std::string("Laysan Albatross"));
        QCOMPARE(rows[2][col("Second Directory")], std::string("Laysan Albatross"));
        QCOMPARE(rows[2][col("Number")], std::string("3"));
        QCOMPARE(rows[2][col("Strength")], std::string("0.7"));
        QCOMPARE(rows[2][col("Path")], std::string("Laysan Albatross/000003.png"));
        QCOMPARE(rows[2][col("fallbackNoise")], std::string("1"));
        QCOMPARE(rows[2][col("sourceB")], std::string(""));
        QCOMPARE(rows[2][col("curation")], std::string("rejected"));
        QCOMPARE(rows[1][col("tags")], std::string("good;sharp edges;tag, with comma"));
        QCOMPARE(rows[1][col("seed")], std::string("18446744073709551615"));
        QCOMPARE(rows[1][col("alpha")], std::string("0.1"));  // shortest round-trip form
        QCOMPARE(rows[1][col("suffix")], sampleRecords()[0].suffix);
        // The quoted suffix is written with doubled quotes, and the file uses CRLF line ends.
        QVERIFY(csv.find("\"in the snow, at night, \"\"photorealistic\"\"\nsecond line\"") != std::string::npos);
        QVERIFY(csv.find("\r\n") == csv.find('\n') - 1);
    }

    void csvRoundTrip() {
        const auto records = sampleRecords();
        const std::string path = m_dir + "/manifest.csv";
        diffii::writeManifestCsv(path, records);
        const auto back = diffii::readManifestCsv(path);
        QCOMPARE(back.size(), records.size());
        for (size_t i = 0; i < records.size(); ++i) QVERIFY2(back[i] == records[i], std::to_string(i).c_str());
        QCOMPARE(std::signbit(back[2].alpha), true);  // -0.0 survives
        QCOMPARE(back[2].guidance, 1e-300);
        // Empty manifest: header only.
        diffii::writeManifestCsv(path, {});
        QVERIFY(diffii::readManifestCsv(path).empty());
    }

    void jsonlRoundTrip() {
        const auto records = sampleRecords();
        diffii::writeManifest(m_dir, records);
        QVERIFY(fs::exists(m_dir + "/manifest.csv"));
        const auto back = diffii::readManifestJsonl(m_dir + "/manifest.jsonl");
        QCOMPARE(back.size(), records.size());
        for (size_t i = 0; i < records.size(); ++i) QVERIFY2(back[i] == records[i], std::to_string(i).c_str());
        QCOMPARE(diffii::readManifestCsv(m_dir + "/manifest.csv").size(), records.size());
        // One object a line, even with newlines in the suffix.
        const std::string text = diffii::manifestToJsonl(records);
        QCOMPARE(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')), records.size());
        // No temporary files left by the atomic writes.
        int files = 0;
        for (const auto& e : fs::directory_iterator(m_dir)) files += e.is_regular_file() ? 1 : 0;
        QCOMPARE(files, 2);
    }

    void readersAcceptOtherColumnOrdersAndExtras() {
        // A spreadsheet that reordered columns, added its own and saved with LF line ends and a BOM.
        const auto& cols = diffii::manifestCsvColumns();
        const auto rows = diffii::parseCsv(diffii::manifestToCsv(sampleRecords()), "m.csv");
        std::string text = std::string("\xEF\xBB\xBF") + "note";
        for (auto it = cols.rbegin(); it != cols.rend(); ++it) text += "," + diffii::csvField(*it);
        text += "\n";
        for (size_t r = 1; r < rows.size(); ++r) {
            text += "hand-written";
            for (auto it = rows[r].rbegin(); it != rows[r].rend(); ++it) text += "," + diffii::csvField(*it);
            text += "\n";
        }
        const auto back = diffii::manifestFromCsv(text, "edited.csv");
        QCOMPARE(back.size(), size_t(3));
        QVERIFY(back[0] == sampleRecords()[0]);
        QVERIFY(back[1] == sampleRecords()[1]);
    }

    void readErrorsNameFileRowAndColumn() {
        const std::string path = m_dir + "/bad.csv";
        const std::string good = diffii::manifestToCsv(sampleRecords());
        // A missing column.
        std::string text = good;
        text.replace(text.find("inversionSteps"), 14, "inversion_steps");
        writeText(path, text);
        std::string msg = errorOf([&] { diffii::readManifestCsv(path); });
        QVERIFY2(msg.find(path) != std::string::npos && msg.find("'inversionSteps'") != std::string::npos, msg.c_str());
        // A bad number.
        auto rows = diffii::parseCsv(good, "m.csv");
        const auto& cols = diffii::manifestCsvColumns();
        const size_t stepsCol = static_cast<size_t>(std::find(cols.begin(), cols.end(), "steps") - cols.begin());
        rows[2][stepsCol] = "25x";
        text.clear();
        for (const auto& row : rows) {
            for (size_t i = 0; i < row.size(); ++i) text += (i ? "," : "") + diffii::csvField(row[i]);
            text += "\n";
        }
        writeText(path, text);
        msg = errorOf([&] { diffii::readManifestCsv(path); });
        QVERIFY2(msg.find(path) != std::string::npos && msg.find("row 2") != std::string::npos &&
                     msg.find("'steps'") != std::string::npos && msg.find("'25x'") != std::string::npos,
                 msg.c_str());
        // A bad curation value and a short row.
        QVERIFY(!errorOf([&] {
                     diffii::manifestFromCsv(good.substr(0, good.find("accepted")) + "maybe" +
                                             good.substr(good.find("accepted") + 8));
                 }).empty());
        msg = errorOf([&] { diffii::manifestFromCsv(good + "a,b,c\r\n", "short.csv"); });
        QVERIFY2(msg.find("short.csv") != std::string::npos && msg.find("row 4") != std::string::npos, msg.c_str());
        // JSONL: a missing key names the line.
        writeText(path, "{\"className\": \"x\"}\n");
        msg = errorOf([&] { diffii::readManifestJsonl(path); });
        QVERIFY2(msg.find(path) != std::string::npos && msg.find("line 1") != std::string::npos &&
                     msg.find("'classIndex'") != std::string::npos,
                 msg.c_str());
        msg = errorOf([&] { diffii::readManifestCsv(m_dir + "/nope.csv"); });
        QVERIFY2(msg.find("nope.csv") != std::string::npos, msg.c_str());
        // Tags that cannot be written unambiguously.
        auto records = sampleRecords();
        records[0].tags.push_back("a;b");
        msg = errorOf([&] { diffii::writeManifestCsv(path, records); });
        QVERIFY2(msg.find(path) != std::string::npos && msg.find("a;b") != std::string::npos, msg.c_str());
    }

    void deriveSeedIsStable() {
        // Values this implementation yields (checked against an independent Python transcription of
        // splitmix64(splitmix64(seed ^ splitmix64(fnv1a64(class))) ^ splitmix64(index))); they must never change,
        // since regenerating one sample relies on them.
        const uint64_t s0 = diffii::deriveSeed(0, "bird", 0);
        const uint64_t s1 = diffii::deriveSeed(1234, "Black_footed_Albatross", 17);
        QCOMPARE(s0, uint64_t(10019037850616854980ull));
        QCOMPARE(s1, uint64_t(4880366024426819202ull));
        QCOMPARE(diffii::splitmix64(0), uint64_t(0xE220A8397B1DCDAFull));  // the reference splitmix64's first output
        QCOMPARE(diffii::fnv1a64("a"), uint64_t(0xAF63DC4C8601EC8Cull));   // FNV-1a 64 test vector
        QCOMPARE(diffii::deriveSeed(0, "bird", 0), s0);
        QCOMPARE(diffii::deriveSeed(1234, "Black_footed_Albatross", 17), s1);
        // Different class, index or project seed give different seeds; no collisions over a small grid.
        std::set<uint64_t> seen;
        for (uint64_t project : {0ull, 1ull, 1234ull})
            for (const char* cls : {"bird", "Bird", "bird ", "cat", ""})
                for (int64_t i = 0; i < 50; ++i) seen.insert(diffii::deriveSeed(project, cls, i));
        QCOMPARE(seen.size(), size_t(3 * 5 * 50));
    }

    void shardsAreDisjointAndCovering() {
        for (int count : {1, 2, 3, 7}) {
            std::vector<int> owners(100, 0);
            for (int shard = 0; shard < count; ++shard)
                for (int64_t i = 0; i < 100; ++i)
                    if (diffii::inShard(i, shard, count)) ++owners[static_cast<size_t>(i)];
            for (int64_t i = 0; i < 100; ++i) QCOMPARE(owners[static_cast<size_t>(i)], 1);
        }
        // Balanced: 100 samples over 3 shards -> 34, 33, 33.
        int first = 0;
        for (int64_t i = 0; i < 100; ++i) first += diffii::inShard(i, 0, 3) ? 1 : 0;
        QCOMPARE(first, 34);
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::inShard(0, 3, 3));
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::inShard(0, -1, 3));
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::inShard(0, 0, 0));
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::inShard(-5, 0, 2));
    }

    void parseShardValues() {
        auto s = diffii::parseShard("0/4");
        QCOMPARE(s.index, 0);
        QCOMPARE(s.count, 4);
        s = diffii::parseShard("3/4");
        QCOMPARE(s.index, 3);
        s = diffii::parseShard("0/1");
        QCOMPARE(s.count, 1);
        for (const char* bad : {"4/4", "5/4", "-1/4", "1/0", "0/-2", "a/4", "1/b", "1", "", "/", "1/4/5", " 1/4",
                                "1 /4", "1/4x", "99999999999/100000000000"}) {
            const std::string msg = errorOf([&] { diffii::parseShard(bad); });
            QVERIFY2(!msg.empty(), bad);
            QVERIFY2(msg.find("'" + std::string(bad) + "'") != std::string::npos, msg.c_str());
        }
    }
};

DIFFII_TEST_MAIN(TestSyntheticManifest, None)
}  // namespace DIFFII_UNIT
#include "test_synthetic_manifest.moc"
