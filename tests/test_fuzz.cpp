// A deterministic fuzz corpus over the readers of untrusted files: safetensors (byte flips in the length and the
// header, truncation in every region, header length ±1..8, BOM, NUL padding, trailing bytes, gaps, overlaps,
// duplicate keys, huge shapes, bad offsets and dtypes, deep nesting), the CLIP tokenizer's vocab.json and
// merges.txt, JSON configs and image headers. Every case must end in a diffii::Error whose message names the file,
// or in a correct load: a mutated safetensors file that loads must hold the same tensors (dtype, shape and bytes,
// in offset order) as the original, or be a valid file by construction. Never a crash, a hang (a watchdog aborts
// after two minutes, naming the case) or another exception type. The corpus is seeded: the same cases every run.
// Longer, coverage-guided runs: the libFuzzer harnesses in tests/fuzz/.
#include <QtTest/QtTest>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/json_config.h"
#include "core/io/safetensors.h"
#include "core/models/clip_tokenizer.h"
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

constexpr uint32_t kSeed = 20261213;

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

void writeAll(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

// 8-byte little-endian length + header (padded with spaces to a multiple of 8 when `pad`) + data.
std::string stFile(std::string header, const std::string& data, bool pad = true) {
    while (pad && header.size() % 8 != 0) header.push_back(' ');
    std::string out;
    for (int i = 0; i < 8; ++i) out.push_back(char((uint64_t(header.size()) >> (8 * i)) & 0xff));
    return out + header + data;
}

std::string entry(const std::string& name, const std::string& dtype, const std::string& shape, uint64_t begin,
                  uint64_t end) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
           std::to_string(begin) + "," + std::to_string(end) + "]}";
}

// What a loaded file holds, in offset order: dtype, shape and raw bytes of each tensor (names left out, so that a
// flipped letter in a name still compares equal: the data it labels is the same).
std::vector<std::string> signatureOf(const diffii::SafeTensorsFile& f) {
    std::vector<std::pair<uint64_t, std::string>> parts;
    for (const auto& k : f.keys()) {
        const auto& info = f.info(k);
        const auto t = f.tensor(k).contiguous();
        std::string s = std::string(diffii::stDtypeName(info.dtype)) + "[";
        for (auto d : info.shape) s += std::to_string(d) + ",";
        s += "]";
        if (t.numel() > 0) s.append(static_cast<const char*>(t.data_ptr()), size_t(t.numel() * t.element_size()));
        parts.emplace_back(info.begin, s);
    }
    std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (auto& p : parts) out.push_back(std::move(p.second));
    return out;
}

}  // namespace

// Aborts the process, naming the case, when a case runs for too long: a hang is a failure, not a stuck CI job.
class Watchdog {
public:
    Watchdog() : m_thread([this] { run(); }) {}
    ~Watchdog() {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        m_thread.join();
    }
    void begin(const std::string& name) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_case = name;
        m_started = std::chrono::steady_clock::now();
    }

private:
    void run() {
        std::unique_lock<std::mutex> lock(m_mutex);
        while (!m_stop) {
            m_cv.wait_for(lock, std::chrono::seconds(1));
            if (!m_case.empty() && std::chrono::steady_clock::now() - m_started > std::chrono::seconds(120)) {
                std::fprintf(stderr, "fuzz: case '%s' has run for two minutes (a hang): aborting\n", m_case.c_str());
                std::abort();
            }
        }
    }
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stop = false;
    std::string m_case;
    std::chrono::steady_clock::time_point m_started;
    std::thread m_thread;
};

enum class Expect { Error, Same, ErrorOrSame, LoadsSameLayout };

class TestFuzz : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    std::string m_dir;
    int m_cases = 0;
    int m_errors = 0;
    int m_loads = 0;
    std::mt19937 m_rng{kSeed};
    std::unique_ptr<Watchdog> m_watchdog;
    QElapsedTimer m_timer;

    // safetensors
    std::string m_stHeader, m_stData, m_stBase;
    std::vector<std::string> m_stSignature;

    size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(m_rng); }

    // A diffii::Error must name the file and stay short (nothing echoed whole).
    bool checkError(const std::string& label, const std::string& path, const std::string& msg, bool count = true) {
        m_errors += count ? 1 : 0;
        if (msg.find(path) == std::string::npos) {
            QTest::qFail(("case " + label + ": message does not name " + path + ": " + msg).c_str(), __FILE__,
                         __LINE__);
            return false;
        }
        if (msg.size() > 2000) {
            QTest::qFail(("case " + label + ": message of " + std::to_string(msg.size()) + " bytes").c_str(), __FILE__,
                         __LINE__);
            return false;
        }
        return true;
    }

    bool stCase(const std::string& label, const std::string& bytes, Expect expect) {
        ++m_cases;
        m_watchdog->begin("safetensors " + label);
        const std::string path = m_dir + "/st/" + std::to_string(m_cases) + ".safetensors";
        writeAll(path, bytes);
        std::string failure;
        try {
            diffii::SafeTensorsFile f(path);
            const auto sig = signatureOf(f);
            ++m_loads;
            if (expect == Expect::Error) failure = "loaded a file that must be refused";
            if ((expect == Expect::Same || expect == Expect::ErrorOrSame) && sig != m_stSignature)
                failure = "loaded, but not the original's tensors (a silent success on a broken file)";
            if (expect == Expect::LoadsSameLayout && sig.size() != m_stSignature.size()) failure = "other tensors";
        } catch (const diffii::Error& e) {
            if (!checkError(label, path, e.what())) return false;
            if (expect == Expect::Same || expect == Expect::LoadsSameLayout)
                failure = std::string("a valid file was refused: ") + e.what();
        } catch (const std::exception& e) {
            failure = std::string("not a diffii::Error: ") + e.what();
        }
        if (!failure.empty()) {
            QTest::qFail(("safetensors case " + label + ": " + failure).c_str(), __FILE__, __LINE__);
            return false;
        }
        std::filesystem::remove(path);
        return true;
    }

    // The base header with its tensors' entries in the given order, metadata first.
    std::string stHeader(const std::vector<std::string>& entries, const std::string& metadata = "") {
        std::string h = "{";
        if (!metadata.empty()) h += "\"__metadata__\":" + metadata;
        for (const auto& e : entries) h += (h.size() > 1 ? "," : "") + e;
        return h + "}";
    }
    std::vector<std::string> baseEntries(uint64_t shift = 0) {
        return {entry("alpha", "F32", "[2,3]", shift + 0, shift + 24),
                entry("beta", "I16", "[5]", shift + 24, shift + 34),
                entry("gamma", "U8", "[7]", shift + 34, shift + 41),
                entry("delta", "BF16", "[3]", shift + 41, shift + 47),
                entry("empty", "F32", "[0]", shift + 47, shift + 47),
                entry("omega", "I64", "[1]", shift + 47, shift + 55)};
    }
    const std::string kMeta = R"({"format":"pt","note":"fuzz"})";

private slots:
    void initTestCase() {
        QVERIFY(m_tmp.isValid());
        m_dir = m_tmp.path().toStdString();
        fs::create_directories(m_dir + "/st");
        m_watchdog = std::make_unique<Watchdog>();
        m_timer.start();
        for (int i = 0; i < 55; ++i) m_stData.push_back(char(pick(256)));
        m_stHeader = stHeader(baseEntries(), kMeta);
        m_stBase = stFile(m_stHeader, m_stData);
        const std::string path = m_dir + "/base.safetensors";
        writeAll(path, m_stBase);
        diffii::SafeTensorsFile f(path);
        m_stSignature = signatureOf(f);
        QCOMPARE(m_stSignature.size(), size_t(6));
        QCOMPARE(f.metadata().at("note"), std::string("fuzz"));
    }

    void safetensorsLengthField() {
        const uint64_t n = m_stBase.size() - 8 - m_stData.size();
        for (int d = -8; d <= 8; ++d) {
            if (d == 0) continue;
            std::string b = m_stBase;
            const uint64_t m = n + uint64_t(int64_t(d));
            for (int i = 0; i < 8; ++i) b[i] = char((m >> (8 * i)) & 0xff);
            QVERIFY(stCase("length" + std::to_string(d), b, Expect::Error));
        }
        for (int byte = 0; byte < 8; ++byte)
            for (int bit : {0, 3, 7}) {
                std::string b = m_stBase;
                b[byte] = char(b[byte] ^ (1 << bit));
                QVERIFY(stCase("length-flip-" + std::to_string(byte) + "." + std::to_string(bit), b, Expect::Error));
            }
    }

    void safetensorsHeaderMutations() {
        const size_t n = m_stBase.size() - 8 - m_stData.size();
        for (int i = 0; i < 160; ++i) {  // single bit flips anywhere in the header text or its padding
            std::string b = m_stBase;
            const size_t pos = 8 + pick(n);
            b[pos] = char(b[pos] ^ (1 << pick(8)));
            QVERIFY(stCase("header-flip-" + std::to_string(pos), b, Expect::ErrorOrSame));
        }
        for (int i = 0; i < 60; ++i) {  // a random byte
            std::string b = m_stBase;
            const size_t pos = 8 + pick(n);
            b[pos] = char(pick(256));
            QVERIFY(stCase("header-byte-" + std::to_string(pos), b, Expect::ErrorOrSame));
        }
        for (int i = 0; i < 20; ++i) {  // a byte deleted or inserted (the length field no longer matches)
            std::string b = m_stBase;
            const size_t pos = 8 + pick(n);
            if (i % 2) {
                b.erase(pos, 1);
            } else {
                b.insert(pos, 1, char(pick(256)));
            }
            QVERIFY(stCase("header-indel-" + std::to_string(pos), b, Expect::Error));
        }
        for (int i = 0; i < 10; ++i) {  // the data may hold anything
            std::string b = m_stBase;
            const size_t pos = 8 + n + pick(m_stData.size());
            b[pos] = char(b[pos] ^ 0x80);
            QVERIFY(stCase("data-flip-" + std::to_string(pos), b, Expect::LoadsSameLayout));
        }
    }

    void safetensorsTruncation() {
        const size_t n = m_stBase.size() - 8 - m_stData.size();
        const std::vector<size_t> cuts = {0,
                                          1,
                                          4,
                                          7,
                                          8,
                                          9,
                                          8 + n / 2,
                                          8 + n - 1,
                                          8 + n,
                                          8 + n + 1,
                                          8 + n + 24,
                                          8 + n + 30,
                                          m_stBase.size() - 8,
                                          m_stBase.size() - 1};
        for (size_t cut : cuts) QVERIFY(stCase("cut-" + std::to_string(cut), m_stBase.substr(0, cut), Expect::Error));
    }

    void safetensorsStructure() {
        const auto base = baseEntries();
        // Valid variants: they must load the same tensors.
        std::vector<std::string> reversed(base.rbegin(), base.rend());
        QVERIFY(stCase("reversed-keys", stFile(stHeader(reversed, kMeta), m_stData), Expect::Same));
        QVERIFY(stCase("no-metadata", stFile(stHeader(base), m_stData), Expect::Same));
        QVERIFY(stCase("null-metadata", stFile(stHeader(base, "null"), m_stData), Expect::Same));
        QVERIFY(stCase("unpadded", stFile(m_stHeader, m_stData, false), Expect::Same));
        QVERIFY(stCase("long-padding", stFile(m_stHeader + std::string(4096, ' '), m_stData), Expect::Same));
        std::string pretty = m_stHeader;
        for (size_t p = 0; (p = pretty.find(',', p)) != std::string::npos; p += 3) pretty.replace(p, 1, ",\n ");
        QVERIFY(stCase("inner-whitespace", stFile(pretty, m_stData), Expect::Same));
        auto escaped = base;
        escaped[0] = entry("\\u0061lpha", "F32", "[2,3]", 0, 24);
        QVERIFY(stCase("escaped-name", stFile(stHeader(escaped), m_stData), Expect::Same));
        auto longName = base;
        longName[0] = entry(std::string(1 << 20, 'L'), "F32", "[2,3]", 0, 24);
        QVERIFY(stCase("long-name", stFile(stHeader(longName), m_stData), Expect::Same));
        auto extraField = base;
        extraField[1].insert(extraField[1].size() - 1, ",\"extra\":[1,2]");
        QVERIFY(stCase("extra-field", stFile(stHeader(extraField), m_stData), Expect::Same));

        // Header text.
        QVERIFY(stCase("bom", stFile("\xef\xbb\xbf" + m_stHeader, m_stData), Expect::Error));
        QVERIFY(stCase("leading-space", stFile(" " + m_stHeader, m_stData), Expect::Error));
        for (const char pad : {'\0', '\n', '\t', '\r', 'x'}) {
            std::string h = m_stHeader + std::string(3, pad);
            QVERIFY(stCase("padding-" + std::to_string(int(pad)), stFile(h, m_stData, false), Expect::Error));
            QVERIFY(stCase("padding-mixed-" + std::to_string(int(pad)), stFile(m_stHeader + " " + pad + " ", m_stData),
                           Expect::Error));
        }
        QVERIFY(stCase("empty-header", stFile("", m_stData, false), Expect::Error));
        for (const char* notObject : {"[]", "\"x\"", "1", "null", "{", "}", "{}}", "{\"a\"}"})
            QVERIFY(stCase(std::string("not-object-") + notObject, stFile(notObject, m_stData), Expect::Error));
        QVERIFY(stCase("invalid-utf8", stFile("{\"\xff\xfe\":1}", m_stData), Expect::Error));
        QVERIFY(stCase("overlong-utf8", stFile("{\"\xc0\xaf\":1}", m_stData), Expect::Error));
        QVERIFY(stCase("surrogate-utf8", stFile("{\"\xed\xa0\x80\":1}", m_stData), Expect::Error));
        QVERIFY(stCase("comment", stFile("/*x*/" + m_stHeader, m_stData), Expect::Error));
        // A NUL ends the JSON parser's input: what follows it must not go unread.
        const std::string afterNul = m_stHeader + std::string("\0,\"zzz\":1}", 10);
        QVERIFY(stCase("nul-inside", stFile(afterNul, m_stData), Expect::Error));

        // The data region.
        for (size_t extra : {1, 7, 8, 100})
            QVERIFY(stCase("trailing-" + std::to_string(extra), m_stBase + std::string(extra, '\0'), Expect::Error));
        for (uint64_t gap : {1, 4, 8})
            QVERIFY(stCase("gap-first-" + std::to_string(gap),
                           stFile(stHeader(baseEntries(gap), kMeta), std::string(gap, '\0') + m_stData),
                           Expect::Error));
        auto middleGap = base;
        middleGap[1] = entry("beta", "I16", "[5]", 25, 35);
        QVERIFY(stCase("gap-middle", stFile(stHeader(middleGap), m_stData), Expect::Error));
        auto overlap = base;
        overlap[1] = entry("beta", "I16", "[5]", 23, 33);
        QVERIFY(stCase("overlap", stFile(stHeader(overlap), m_stData), Expect::Error));
        auto alias = base;
        alias.push_back(entry("alias", "F32", "[2,3]", 0, 24));
        QVERIFY(stCase("alias", stFile(stHeader(alias), m_stData), Expect::Error));
        auto past = base;
        past[5] = entry("omega", "I64", "[2]", 47, 63);
        QVERIFY(stCase("past-end", stFile(stHeader(past), m_stData), Expect::Error));

        // Duplicate keys, even with identical values.
        auto dup = base;
        dup.push_back(base[2]);
        QVERIFY(stCase("duplicate-tensor", stFile(stHeader(dup), m_stData), Expect::Error));
        QVERIFY(stCase("duplicate-metadata", stFile(stHeader(base, R"({"a":"1","a":"1"})"), m_stData), Expect::Error));
        QVERIFY(stCase("duplicate-metadata-key",
                       stFile("{\"__metadata__\":{},\"__metadata__\":{}," + m_stHeader.substr(1), m_stData),
                       Expect::Error));
        auto dupField = base;
        dupField[0] = R"("alpha":{"dtype":"F32","dtype":"F32","shape":[2,3],"data_offsets":[0,24]})";
        QVERIFY(stCase("duplicate-field", stFile(stHeader(dupField), m_stData), Expect::Error));

        // Shapes, offsets, dtypes.
        const std::vector<std::string> badShapes = {"[4294967296,4294967296]",
                                                    "[9223372036854775807,2]",
                                                    "[18446744073709551615]",
                                                    "[18446744073709551616]",
                                                    "[-1]",
                                                    "[1.5]",
                                                    "[\"6\"]",
                                                    "[[6]]",
                                                    "6",
                                                    "null",
                                                    "[6,1e400]",
                                                    "[3]",
                                                    "[2,3,0]",
                                                    "[]"};
        for (const auto& shape : badShapes) {
            auto e = base;
            e[0] = entry("alpha", "F32", shape, 0, 24);
            QVERIFY(stCase("shape-" + shape, stFile(stHeader(e), m_stData), Expect::Error));
        }
        const std::vector<std::string> badOffsets = {"[-1,23]",
                                                     "[0,-24]",
                                                     "[0]",
                                                     "[0,24,48]",
                                                     "[\"0\",24]",
                                                     "[0,24.0]",
                                                     "{}",
                                                     "null",
                                                     "[24,0]",
                                                     "[0,18446744073709551615]",
                                                     "[0,18446744073709551616]"};
        for (const auto& off : badOffsets) {
            auto e = base;
            e[0] = "\"alpha\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":" + off + "}";
            QVERIFY(stCase("offsets-" + off, stFile(stHeader(e), m_stData), Expect::Error));
        }
        auto lacking = base;
        lacking[0] = R"("alpha":{"dtype":"F32","shape":[2,3]})";
        QVERIFY(stCase("lacks-offsets", stFile(stHeader(lacking), m_stData), Expect::Error));
        for (const std::string& dtype :
             std::vector<std::string>{"f32", "F8_E4M3", "", "U16", "I4", std::string(1 << 20, 'D')}) {
            auto e = base;
            e[0] = entry("alpha", dtype, "[2,3]", 0, 24);
            QVERIFY(stCase("dtype-" + dtype.substr(0, 10), stFile(stHeader(e), m_stData), Expect::Error));
        }
        for (const std::string dtype : {"7", "null", "[\"F32\"]"}) {
            auto e = base;
            e[0] = "\"alpha\":{\"dtype\":" + dtype + ",\"shape\":[2,3],\"data_offsets\":[0,24]}";
            QVERIFY(stCase("dtype-type-" + dtype, stFile(stHeader(e), m_stData), Expect::Error));
        }
        for (const std::string meta :
             {R"({"a":1})", R"({"a":null})", R"({"a":["x"]})", R"({"a":{"b":"c"}})", "[]", "\"text\"", "7"})
            QVERIFY(stCase("metadata-" + meta, stFile(stHeader(base, meta), m_stData), Expect::Error));
        auto notEntry = base;
        notEntry[0] = R"("alpha":[0,24])";
        QVERIFY(stCase("entry-not-object", stFile(stHeader(notEntry), m_stData), Expect::Error));

        // Deep nesting, in a tensor entry and in the metadata.
        for (size_t depth : {10, 1000, 100000}) {
            const std::string deep = std::string(depth, '[') + std::string(depth, ']');
            auto e = base;
            e.push_back("\"deep\":" + deep);
            QVERIFY(stCase("deep-" + std::to_string(depth), stFile(stHeader(e), m_stData), Expect::Error));
            const std::string deepObj = [&] {
                std::string s;
                for (size_t i = 0; i < depth; ++i) s += "{\"a\":";
                return s + "1" + std::string(depth, '}');
            }();
            QVERIFY(
                stCase("deep-meta-" + std::to_string(depth), stFile(stHeader(base, deepObj), m_stData), Expect::Error));
        }
    }

    void safetensorsNotRegularFiles() {
        const std::string fifo = m_dir + "/fifo.safetensors";
        QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
        for (const std::string& path : {fifo, m_dir, m_dir + "/missing.safetensors"}) {
            ++m_cases;
            m_watchdog->begin("safetensors " + path);
            const std::string msg = diffii::test::errorOf([&] { diffii::SafeTensorsFile f(path); });
            QVERIFY2(!msg.empty(), path.c_str());
            QVERIFY(checkError(path, path, msg));
        }
    }

    void tokenizerFiles() {
        const std::string source = std::string(DIFFII_SOURCE_DIR) + "/resources/models/emoji-sd-tiny/tokenizer";
        const std::string vocab = readAll(source + "/vocab.json");
        const std::string merges = readAll(source + "/merges.txt");
        QVERIFY(!vocab.empty() && !merges.empty());
        const std::string text = "a photo of a bird emoji";
        const auto reference = diffii::ClipTokenizer::fromFolder(source).encode(text);
        int caseNo = 0;
        // Returns false after reporting a failure. `mustFail`: the files are broken for sure.
        auto check = [&](const std::string& label, const std::string& v, const std::string& m, bool mustFail) {
            ++m_cases;
            m_watchdog->begin("tokenizer " + label);
            const std::string dir = m_dir + "/tok" + std::to_string(caseNo++);
            fs::create_directories(dir);
            writeAll(dir + "/vocab.json", v);
            writeAll(dir + "/merges.txt", m);
            std::string failure;
            try {
                const auto tok = diffii::ClipTokenizer::fromFolder(dir);
                const auto ids = tok.encode(text);
                ++m_loads;
                if (mustFail) failure = "loaded broken files";
                if (v == vocab && m == merges && ids != reference) failure = "other ids from the same files";
            } catch (const diffii::Error& e) {
                if (!checkError(label, dir, e.what())) return false;
            } catch (const std::exception& e) {
                failure = std::string("not a diffii::Error: ") + e.what();
            }
            fs::remove_all(dir);
            if (!failure.empty())
                QTest::qFail(("tokenizer case " + label + ": " + failure).c_str(), __FILE__, __LINE__);
            return failure.empty();
        };
        QVERIFY(check("original", vocab, merges, false));
        for (int i = 0; i < 40; ++i) {
            std::string v = vocab;
            const size_t pos = pick(v.size());
            v[pos] = char(v[pos] ^ (1 << pick(8)));
            QVERIFY(check("vocab-flip-" + std::to_string(pos), v, merges, false));
        }
        for (int i = 0; i < 30; ++i) {
            std::string m = merges;
            const size_t pos = pick(m.size());
            m[pos] = char(m[pos] ^ (1 << pick(8)));
            QVERIFY(check("merges-flip-" + std::to_string(pos), vocab, m, false));
        }
        const size_t lastBrace = vocab.rfind('}');
        for (size_t cut : {size_t(0), size_t(1), vocab.size() / 2, lastBrace})
            QVERIFY(check("vocab-cut-" + std::to_string(cut), vocab.substr(0, cut), merges, true));
        for (size_t cut : {size_t(0), size_t(5), merges.size() / 3, merges.size() - 1})
            QVERIFY(check("merges-cut-" + std::to_string(cut), vocab, merges.substr(0, cut), cut < 20));
        QVERIFY(check("vocab-bom", "\xef\xbb\xbf" + vocab, merges, false));  // JSON readers may skip a BOM
        QVERIFY(check("vocab-array", "[1,2,3]", merges, true));
        QVERIFY(check("vocab-empty-object", "{}", merges, true));
        QVERIFY(check("vocab-deep", std::string(100000, '[') + std::string(100000, ']'), merges, true));
        const std::string head = vocab.substr(0, lastBrace);
        for (const std::string value : {"-1", "1.5", "\"7\"", "null", "18446744073709551615", "[1]"})
            QVERIFY(check("vocab-id-" + value, head + ",\"zz\":" + value + "}", merges, true));
        QVERIFY(check("vocab-long-key", head + ",\"" + std::string(1 << 20, 'k') + "\":-1}", merges, true));
        QVERIFY(check("merges-three-symbols", vocab, merges + "\na b c", true));
        QVERIFY(check("merges-long-line", vocab, merges + "\n" + std::string(1 << 20, 'x'), true));
        QVERIFY(check("merges-nul", vocab, merges + std::string("\na\0b c", 6), false));
        QVERIFY(check("merges-header-only", vocab, "#version: 0.2\n", true));
        std::string crlf;
        for (char c : merges) c == '\n' ? crlf += "\r\n" : crlf += c;
        QVERIFY(check("merges-crlf", vocab, crlf, false));
        // Not regular files.
        const std::string dir = m_dir + "/tok-special";
        fs::create_directories(dir + "/vocab.json");
        writeAll(dir + "/merges.txt", merges);
        ++m_cases;
        std::string msg = diffii::test::errorOf([&] { diffii::ClipTokenizer::fromFolder(dir); });
        QVERIFY2(msg.find("is a directory") != std::string::npos, msg.c_str());
        fs::remove_all(dir + "/vocab.json");
        writeAll(dir + "/vocab.json", vocab);
        fs::remove(dir + "/merges.txt");
        QCOMPARE(::mkfifo((dir + "/merges.txt").c_str(), 0600), 0);
        ++m_cases;
        m_watchdog->begin("tokenizer merges FIFO");
        msg = diffii::test::errorOf([&] { diffii::ClipTokenizer::fromFolder(dir); });
        QVERIFY2(msg.find("FIFO") != std::string::npos, msg.c_str());
    }

    void jsonConfigs() {
        const std::string source =
            std::string(DIFFII_SOURCE_DIR) + "/resources/models/emoji-sd-tiny/scheduler/scheduler_config.json";
        const std::string config = readAll(source);
        QVERIFY(!config.empty());
        auto check = [&](const std::string& label, const std::string& bytes, bool mustFail) {
            ++m_cases;
            m_watchdog->begin("json " + label);
            const std::string path = m_dir + "/config-" + std::to_string(m_cases) + ".json";
            writeAll(path, bytes);
            try {
                const auto j = diffii::readJsonFile(path);
                ++m_loads;
                if (mustFail) {
                    QTest::qFail(("json case " + label + ": loaded a broken file").c_str(), __FILE__, __LINE__);
                    return false;
                }
                // Typed access must fail cleanly, whatever the value's type.
                for (auto it = j.begin(); j.is_object() && it != j.end(); ++it) {
                    for (int kind = 0; kind < 3; ++kind) {
                        try {
                            if (kind == 0) diffii::jsonValue<int64_t>(j, it.key(), 0, path);
                            if (kind == 1) diffii::jsonValue<std::string>(j, it.key(), "", path);
                            if (kind == 2) diffii::jsonRequire<std::vector<double>>(j, it.key(), path);
                        } catch (const diffii::Error& e) {
                            if (!checkError(label, path, e.what(), false)) return false;
                        }
                    }
                }
            } catch (const diffii::Error& e) {
                if (!checkError(label, path, e.what())) return false;
            } catch (const std::exception& e) {
                QTest::qFail(("json case " + label + ": not a diffii::Error: " + e.what()).c_str(), __FILE__, __LINE__);
                return false;
            }
            return true;
        };
        QVERIFY(check("original", config, false));
        for (int i = 0; i < 40; ++i) {
            std::string c = config;
            const size_t pos = pick(c.size());
            c[pos] = char(c[pos] ^ (1 << pick(8)));
            QVERIFY(check("flip-" + std::to_string(pos), c, false));
        }
        for (size_t cut : {size_t(0), size_t(1), config.size() / 2, config.rfind('}')})
            QVERIFY(check("cut-" + std::to_string(cut), config.substr(0, cut), true));
        QVERIFY(check("deep", std::string(100000, '[') + std::string(100000, ']'), true));
        QVERIFY(check("deep-value", "{\"a\":" + std::string(300, '[') + std::string(300, ']') + "}", true));
        QVERIFY(check("long-string", "{\"a\":\"" + std::string(1 << 20, 's') + "\"", true));
        QVERIFY(check("nul", std::string("{\"a\":1}\0", 8), true));
        QVERIFY(check("nul-then-text", std::string("{\"a\":1}\0{\"b\":[", 13), true));
        QVERIFY(check("huge-number", "{\"a\":1e999999}", true));
    }

    void imageHeaders() {
        const std::vector<std::string> formats = {"png", "jpeg", "bmp", "gif", "webp", "tiff", "pnm"};
        auto check = [&](const std::string& label, const std::string& bytes) {
            ++m_cases;
            m_watchdog->begin("image " + label);
            const std::string path = m_dir + "/image-" + std::to_string(m_cases);
            writeAll(path, bytes);
            QElapsedTimer timer;
            timer.start();
            diffii::ImageProbe probe;
            try {
                probe = diffii::probeImageFile(path);  // a regular file: never throws
                const auto image = diffii::loadImageRgb(path);
                ++m_loads;
                if (probe.width != image.size(2) || probe.height != image.size(1)) {
                    QTest::qFail(("image case " + label + ": the header says " + std::to_string(probe.width) + "x" +
                                  std::to_string(probe.height) + " but the decoder read another size")
                                     .c_str(),
                                 __FILE__, __LINE__);
                    return false;
                }
            } catch (const diffii::Error& e) {
                if (!checkError(label, path, e.what())) return false;
            } catch (const std::exception& e) {
                QTest::qFail(("image case " + label + ": not a diffii::Error: " + e.what()).c_str(), __FILE__,
                             __LINE__);
                return false;
            }
            if (timer.elapsed() > 5000) {
                QTest::qFail(("image case " + label + ": took " + std::to_string(timer.elapsed()) + " ms").c_str(),
                             __FILE__, __LINE__);
                return false;
            }
            std::filesystem::remove(path);
            return true;
        };
        const std::vector<std::pair<uint32_t, uint32_t>> sizes = {
            {37, 21}, {0, 5}, {5, 0}, {1, 1}, {20000, 20000}, {65535, 65535}, {100000, 1}, {16384, 4097}};
        for (const auto& format : formats) {
            for (const auto& [w, h] : sizes) {
                const std::string header = diffii::test::imageHeader(format, w, h);
                QVERIFY(check(format + "-" + std::to_string(w) + "x" + std::to_string(h), header));
                QVERIFY(check(format + "-data-" + std::to_string(w) + "x" + std::to_string(h),
                              header + std::string(256, '\x5a')));
            }
            const std::string header = diffii::test::imageHeader(format, 37, 21);
            for (size_t cut = 0; cut < header.size(); cut += 3)
                QVERIFY(check(format + "-cut-" + std::to_string(cut), header.substr(0, cut)));
        }
        // Whole PNG files with flipped bits: an error, or an image of the size its header gives.
        const std::string png = diffii::test::encodePng(4, 3, 3, 8, std::vector<uint16_t>(4 * 3 * 3, 200));
        QVERIFY(check("png-original", png));
        for (int i = 0; i < 40; ++i) {
            std::string b = png;
            const size_t pos = pick(b.size());
            b[pos] = char(b[pos] ^ (1 << pick(8)));
            QVERIFY(check("png-flip-" + std::to_string(pos), b));
        }
    }

    void cleanupTestCase() {
        const double seconds = m_timer.elapsed() / 1000.0;
        qInfo("fuzz corpus: %d cases (%d clean errors, %d loads) in %.1f s, seed %u", m_cases, m_errors, m_loads,
              seconds, kSeed);
        m_watchdog.reset();
        QVERIFY(m_cases >= 300);
        QVERIFY2(seconds < 60, "the fuzz corpus must run in under a minute");
    }
};

DIFFII_TEST_MAIN(TestFuzz, None)
}  // namespace DIFFII_UNIT
#include "test_fuzz.moc"
