// safetensors reader/writer: the fixtures read back, round trips in every dtype, and every kind of corrupt file
// gives a diffii::Error that names the file and the tensor at fault.
#include <QtTest/QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/io/safetensors.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using diffii::SafeTensorsFile;

namespace {

std::string rawFile(const std::string& header, const std::string& data) {
    std::string bytes;
    const uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    return bytes + header + data;
}

void writeRaw(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Expects the constructor to throw a diffii::Error whose message contains every given fragment.
void expectError(const std::string& path, std::initializer_list<const char*> fragments) {
    try {
        SafeTensorsFile f(path);
        QFAIL(("no error for " + path).c_str());
    } catch (const diffii::Error& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find(path) != std::string::npos, ("message does not name the file: " + msg).c_str());
        for (const char* frag : fragments)
            QVERIFY2(msg.find(frag) != std::string::npos,
                     ("message lacks '" + std::string(frag) + "': " + msg).c_str());
    }
}

}  // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

private:
    std::string m_dir;

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_dir = diffii::test::makeTempDir("safetensors");
    }
    void cleanupTestCase() { std::filesystem::remove_all(m_dir); }

    void readsFixture() {
        SafeTensorsFile f(diffii::test::fixture("tiny-sd1-io/unet_square_b2.safetensors"));
        QVERIFY(f.contains("out"));
        QCOMPARE(f.info("sample").shape, (std::vector<int64_t>{2, 4, 16, 16}));
        QCOMPARE(f.info("timestep").dtype, diffii::StDtype::I64);
        const auto t = f.tensor("timestep");
        QCOMPARE(t[0].item<int64_t>(), int64_t(981));
        QCOMPARE(t[1].item<int64_t>(), int64_t(17));
        QVERIFY(f.metadata().count("family"));
        // view and copy agree
        QVERIFY(torch::equal(f.view("sample"), f.tensor("sample")));
    }

    void roundTripsAllDtypes() {
        std::map<std::string, torch::Tensor> t;
        t["f32"] = torch::randn({3, 5});
        t["f16"] = torch::randn({7}).to(torch::kFloat16);
        t["bf16"] = torch::randn({2, 2, 2}).to(torch::kBFloat16);
        t["i64"] = torch::arange(10, torch::kInt64);
        t["i32"] = torch::arange(6, torch::kInt32).reshape({2, 3});
        t["u8"] = torch::arange(255, torch::kUInt8);
        t["bool"] = torch::tensor({true, false, true});
        t["scalar"] = torch::tensor(4.0f);
        t["empty"] = torch::empty({0, 3});
        const std::string path = m_dir + "/all.safetensors";
        diffii::saveSafetensors(path, t, {{"case", "round-trip"}});
        SafeTensorsFile f(path);
        QCOMPARE(f.keys().size(), t.size());
        for (const auto& kv : t) {
            const auto back = f.tensor(kv.first);
            QCOMPARE(back.scalar_type(), kv.second.scalar_type());
            QVERIFY2(back.sizes().equals(kv.second.sizes()), kv.first.c_str());
            QVERIFY2(torch::equal(back, kv.second), kv.first.c_str());
        }
        QCOMPARE(f.metadata().at("case"), std::string("round-trip"));
        // no temporary file left behind
        int files = 0;
        for (const auto& e : std::filesystem::directory_iterator(m_dir))
            files +=
                e.path().filename() == "all.safetensors" ? 0 : (e.path().string().find(".tmp.") != std::string::npos);
        QCOMPARE(files, 0);
    }

    void rejectsTruncatedFile() {
        const std::string path = m_dir + "/short.safetensors";
        writeRaw(path, std::string("\x10\x00\x00", 3));
        expectError(path, {"truncated"});
        // A real file cut in the middle of its data.
        const std::string good = diffii::test::fixture("tiny-sd1-io/vae_dec_other.safetensors");
        std::ifstream in(good, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        const std::string cut = m_dir + "/cut.safetensors";
        writeRaw(cut, bytes.substr(0, bytes.size() - 100));
        expectError(cut, {"past the end"});
    }

    void rejectsHeaderLongerThanFile() {
        const std::string path = m_dir + "/longheader.safetensors";
        std::string bytes = rawFile("{}", "");
        bytes[0] = 100;  // claims 100 header bytes, has 2
        writeRaw(path, bytes);
        expectError(path, {"longer than the file"});
        const std::string huge = m_dir + "/hugeheader.safetensors";
        std::string b2 = rawFile("{}", "");
        b2[7] = 0x7f;
        writeRaw(huge, b2);
        expectError(huge, {"exceeds"});
    }

    void rejectsSpanPastEnd() {
        const std::string path = m_dir + "/span.safetensors";
        writeRaw(path, rawFile(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0')));
        expectError(path, {"'w'", "past the end"});
    }

    void rejectsOverlappingSpans() {
        const std::string path = m_dir + "/overlap.safetensors";
        writeRaw(path, rawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                               std::string(12, '\0')));
        expectError(path, {"'a'", "'b'", "overlapping"});
    }

    void rejectsUnknownDtype() {
        const std::string path = m_dir + "/dtype.safetensors";
        writeRaw(path, rawFile(R"({"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", std::string(2, '\0')));
        expectError(path, {"'w'", "unknown dtype", "F8_E4M3"});
    }

    void rejectsSizeMismatch() {
        const std::string path = m_dir + "/size.safetensors";
        writeRaw(path, rawFile(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')));
        expectError(path, {"'w'", "12", "8"});
    }

    void rejectsMalformedJson() {
        const std::string path = m_dir + "/json.safetensors";
        writeRaw(path, rawFile(R"({"w":{"dtype":"F32",)", ""));
        expectError(path, {"JSON"});
        const std::string missing = m_dir + "/nonexistent.safetensors";
        expectError(missing, {"cannot open"});
    }

    void writerReportsUnwritableFolder() {
        try {
            diffii::saveSafetensors("/proc/definitely/not/here.safetensors", {{"a", torch::ones({1})}});
            QFAIL("no error");
        } catch (const diffii::Error& e) {
            QVERIFY(std::string(e.what()).find("/proc/definitely/not/here.safetensors") != std::string::npos);
        }
    }
};

DIFFII_TEST_MAIN(TestSafetensors, None)
}  // namespace DIFFII_UNIT
#include "test_safetensors.moc"
