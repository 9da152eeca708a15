// safetensors reader/writer: the fixtures read back, round trips in every dtype, and every kind of corrupt file
// gives a diffii::Error that names the file and the tensor at fault.
#include <QtTest/QtTest>

#include <sys/stat.h>

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
        // One tensor's offsets far outside the file: named as such, not as a gap before the next tensor.
        writeRaw(path, rawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[1000000000000,1000000000008]},)"
                               R"("c":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}})",
                               std::string(24, '\0')));
        expectError(path, {"'b'", "1000000000000", "outside the file"});
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

    // The case found by fuzzing: a header length one byte short, pointing into the header's space padding, used to
    // load every tensor one byte shifted and report nothing.
    void rejectsHeaderLengthIntoPadding() {
        const std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        const std::string data = std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
        const std::string good = m_dir + "/padded.safetensors";
        writeRaw(good, rawFile(header + "   ", data));
        QCOMPARE(SafeTensorsFile(good).tensor("w").numel(), int64_t(2));
        for (int shortBy = 1; shortBy <= 3; ++shortBy) {
            std::string bytes = rawFile(header + "   ", data);
            bytes[0] = static_cast<char>(bytes[0] - shortBy);
            const std::string path = m_dir + "/short-length.safetensors";
            writeRaw(path, bytes);
            expectError(path, {"belong to no tensor", "header length"});
        }
        // One byte longer: the header eats the first data byte.
        std::string longer = rawFile(header + "   ", data);
        longer[0] = static_cast<char>(longer[0] + 1);
        const std::string path = m_dir + "/long-length.safetensors";
        writeRaw(path, longer);
        expectError(path, {});
    }

    void rejectsTrailingBytesAndGaps() {
        const std::string header = R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})";
        const std::string trailing = m_dir + "/trailing.safetensors";
        writeRaw(trailing, rawFile(header, "abcdX"));
        expectError(trailing, {"1 bytes at the end", "belong to no tensor"});
        const std::string gapFirst = m_dir + "/gap-first.safetensors";
        writeRaw(gapFirst, rawFile(R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})", "..abcd"));
        expectError(gapFirst, {"'w'", "gap", "begin at 0"});
        const std::string gapMiddle = m_dir + "/gap-middle.safetensors";
        writeRaw(gapMiddle, rawFile(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                                    R"("b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}})",
                                    "ab.cd"));
        expectError(gapMiddle, {"'b'", "'a'", "gap"});
    }

    void acceptsAnyOrderAndEmptyTensors() {
        // Offsets need not follow the keys' order; zero-size tensors may share an offset.
        const std::string path = m_dir + "/order.safetensors";
        writeRaw(path, rawFile(R"({"z":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                               R"("a":{"dtype":"I16","shape":[1],"data_offsets":[2,4]},)"
                               R"("e":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]},)"
                               R"("f":{"dtype":"F32","shape":[3,0],"data_offsets":[4,4]},)"
                               R"("__metadata__":{"k":"v"}}     )",
                               std::string("\x07\x09\x01\x02", 4)));
        SafeTensorsFile f(path);
        QCOMPARE(f.keys(), (std::vector<std::string>{"a", "e", "f", "z"}));
        QCOMPARE(f.tensor("z")[1].item<int64_t>(), int64_t(9));
        QCOMPARE(f.tensor("a")[0].item<int64_t>(), int64_t(0x0201));
        QCOMPARE(f.tensor("e").numel(), int64_t(0));
        QCOMPARE(f.metadata().at("k"), std::string("v"));
    }

    void headerTextMustBeStrict() {
        const std::string header = R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
        const std::string bom = m_dir + "/bom.safetensors";
        writeRaw(bom, rawFile("\xef\xbb\xbf" + header, "x"));
        expectError(bom, {"byte-order mark"});
        const std::string lead = m_dir + "/leading-space.safetensors";
        writeRaw(lead, rawFile(" " + header, "x"));
        expectError(lead, {"must start with '{'"});
        const std::string nul = m_dir + "/nul.safetensors";
        writeRaw(nul, rawFile(header + std::string(3, '\0'), "x"));
        expectError(nul, {"padded with spaces only", "0x00"});
        const std::string newline = m_dir + "/newline.safetensors";
        writeRaw(newline, rawFile(header + "\n", "x"));
        expectError(newline, {"padded with spaces only", "0x0a"});
        // A NUL ended the JSON parser's input, so anything after it went unread.
        const std::string nulInside = m_dir + "/nul-inside.safetensors";
        writeRaw(nulInside, rawFile(header + std::string("\0garbage}", 9), "x"));
        const std::string where = "NUL byte at header offset " + std::to_string(header.size());
        expectError(nulInside, {where.c_str()});
        const std::string utf8 = m_dir + "/utf8.safetensors";
        writeRaw(utf8, rawFile("{\"w\xc3\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", "x"));
        expectError(utf8, {"not valid UTF-8"});
        const std::string array = m_dir + "/array.safetensors";
        writeRaw(array, rawFile("[1]", ""));
        expectError(array, {"must start with '{'"});
        // Valid UTF-8 in a name is fine.
        const std::string accent = m_dir + "/accent.safetensors";
        writeRaw(accent, rawFile("{\"caf\xc3\xa9\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", "x"));
        QVERIFY(SafeTensorsFile(accent).contains("caf\xc3\xa9"));
    }

    void rejectsDuplicateKeysAtEveryLevel() {
        const std::string top = m_dir + "/dup-top.safetensors";
        writeRaw(top, rawFile(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                              R"("w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                              "xy"));
        expectError(top, {"'w' twice"});
        const std::string inner = m_dir + "/dup-inner.safetensors";
        writeRaw(inner, rawFile(R"({"w":{"dtype":"U8","dtype":"I8","shape":[1],"data_offsets":[0,1]}})", "x"));
        expectError(inner, {"'dtype' twice"});
        const std::string meta = m_dir + "/dup-meta.safetensors";
        writeRaw(meta, rawFile(R"({"__metadata__":{"a":"1","a":"2"}})", ""));
        expectError(meta, {"'a' twice"});
        // The same key in two different objects is not a duplicate.
        const std::string ok = m_dir + "/dup-ok.safetensors";
        writeRaw(
            ok,
            rawFile(R"({"__metadata__":{"dtype":"x"},"dtype":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", "x"));
        QVERIFY(SafeTensorsFile(ok).contains("dtype"));
    }

    void rejectsBadMetadataShapesAndOffsets() {
        const std::string meta = m_dir + "/meta.safetensors";
        writeRaw(meta, rawFile(R"({"__metadata__":{"a":1}})", ""));
        expectError(meta, {"metadata key 'a'", "not a string"});
        const std::string overflow = m_dir + "/overflow.safetensors";
        writeRaw(overflow,
                 rawFile(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", ""));
        expectError(overflow, {"'w'", "overflows"});
        const std::string bytesOverflow = m_dir + "/bytes-overflow.safetensors";
        writeRaw(bytesOverflow,
                 rawFile(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})", ""));
        expectError(bytesOverflow, {"'w'", "overflows"});
        const std::string negative = m_dir + "/negative.safetensors";
        writeRaw(negative, rawFile(R"({"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}})", "x"));
        expectError(negative, {"'w'", "shape entry -1"});
        const std::string negOffset = m_dir + "/neg-offset.safetensors";
        writeRaw(negOffset, rawFile(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}})", "x"));
        expectError(negOffset, {"'w'", "data_offsets"});
        const std::string reversed = m_dir + "/reversed.safetensors";
        writeRaw(reversed, rawFile(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}})", "x"));
        expectError(reversed, {"'w'", "< begin"});
        const std::string deep = m_dir + "/deep.safetensors";
        writeRaw(deep, rawFile("{\"w\":" + std::string(100000, '[') + std::string(100000, ']') + "}", ""));
        expectError(deep, {"nests deeper"});
    }

    void echoedNamesAreBounded() {
        const std::string name(1 << 20, 'n');
        const std::string path = m_dir + "/longname.safetensors";
        writeRaw(path, rawFile("{\"" + name + "\":{\"dtype\":\"Q8\",\"shape\":[1],\"data_offsets\":[0,1]}}", "x"));
        try {
            SafeTensorsFile f(path);
            QFAIL("no error");
        } catch (const diffii::Error& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.size() < 1000, ("message of " + std::to_string(msg.size()) + " bytes").c_str());
            QVERIFY2(msg.find("(1048576 bytes)") != std::string::npos, msg.c_str());
            QVERIFY2(msg.find("unknown dtype") != std::string::npos, msg.c_str());
        }
        // A long name in a valid file is stored whole.
        const std::string valid = m_dir + "/longname-ok.safetensors";
        writeRaw(valid, rawFile("{\"" + name + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", "x"));
        QVERIFY(SafeTensorsFile(valid).contains(name));
    }

    void opensOnlyRegularFiles() {
        const std::string fifo = m_dir + "/fifo.safetensors";
        QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
        QElapsedTimer timer;
        timer.start();
        expectError(fifo, {"FIFO"});
        QVERIFY(timer.elapsed() < 5000);
        const std::string dir = m_dir + "/dir.safetensors";
        std::filesystem::create_directories(dir);
        expectError(dir, {"is a directory"});
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
