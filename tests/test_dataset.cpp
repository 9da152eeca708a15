// core/data/dataset + splits: ImageFolder scanning rules (sorting, extensions, hidden and unknown files, empty and
// one-image classes), validation that collects every undecodable file, and the seeded k-shot / long-tail / all
// splits with their split.json round trip.
#include <QtTest/QtTest>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/dataset.h"
#include "core/data/splits.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/jobs/progress.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace fs = std::filesystem;
using diffii::ImageFolderDataset;
using diffii::Split;

using diffii::test::errorOf;

namespace {

// A PNG whose every sample of a width x height image with `channels` (1, 3 or 4) is `value` at `bits` (8 or 16).
std::string flatPng(int width, int height, int channels, int bits, uint16_t value) {
    return diffii::test::encodePng(width, height, channels, bits,
                                   std::vector<uint16_t>(static_cast<size_t>(width * height * channels), value));
}

void writeBytes(const std::string& path, const std::string& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A real 8-bit RGB PNG (content decides the format for OpenCV, so it may carry a .jpg/.bmp/.webp name).
void writeImage(const std::string& path, float shade = 0.5f) {
    fs::create_directories(fs::path(path).parent_path());
    diffii::saveImagePng(path, torch::full({3, 4, 4}, shade));
}

void makeClass(const std::string& dir, int count) {
    for (int i = 0; i < count; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "img_%03d.png", i);
        writeImage(dir + "/" + name, static_cast<float>(i % 7) / 7.0f);
    }
}

std::vector<std::string> names(const ImageFolderDataset& ds) {
    std::vector<std::string> out;
    for (const auto& c : ds.classes()) out.push_back(c.name);
    return out;
}

bool sameSplit(const Split& a, const Split& b) {
    if (a.classes.size() != b.classes.size()) return false;
    for (size_t i = 0; i < a.classes.size(); ++i)
        if (a.classes[i].name != b.classes[i].name || a.classes[i].train != b.classes[i].train ||
            a.classes[i].heldOut != b.classes[i].heldOut)
            return false;
    return a.method == b.method && a.parameters == b.parameters && a.seed == b.seed && a.notes == b.notes;
}

// Every class: train and held-out are disjoint, ordered, and together are the class's images.
void checkPartition(const ImageFolderDataset& ds, const Split& split) {
    QCOMPARE(split.classes.size(), ds.classes().size());
    for (size_t i = 0; i < split.classes.size(); ++i) {
        const auto& cs = split.classes[i];
        QCOMPARE(cs.name, ds.classes()[i].name);
        std::vector<std::string> merged = cs.train;
        merged.insert(merged.end(), cs.heldOut.begin(), cs.heldOut.end());
        std::sort(merged.begin(), merged.end());
        QCOMPARE(merged, ds.classes()[i].images);
        QVERIFY(std::is_sorted(cs.train.begin(), cs.train.end()));
        QVERIFY(std::is_sorted(cs.heldOut.begin(), cs.heldOut.end()));
    }
}

}  // namespace

class TestDataset : public QObject {
    Q_OBJECT

private:
    std::string m_dir;
    std::string m_mixed;    // a dataset with every kind of file
    std::string m_uniform;  // five classes of 20 images

private slots:
    void initTestCase() {
        m_dir = diffii::test::makeTempDir("dataset");
        m_mixed = m_dir + "/mixed";
        // Classes in non-sorted creation order; names sort as "Zebra" < "apple" < "cat" < "empty" < "one".
        makeClass(m_mixed + "/cat", 3);
        writeImage(m_mixed + "/cat/b.JPG");
        writeImage(m_mixed + "/cat/a.jpeg");
        writeImage(m_mixed + "/cat/C.Png");
        writeImage(m_mixed + "/cat/d.bmp");
        writeImage(m_mixed + "/cat/e.WebP");
        writeBytes(m_mixed + "/cat/notes.txt", "not an image");
        writeBytes(m_mixed + "/cat/scan.tiff", "ignored extension");
        writeBytes(m_mixed + "/cat/anim.gif", "ignored extension");
        writeBytes(m_mixed + "/cat/noext", "no extension");
        writeImage(m_mixed + "/cat/.hidden.png");
        writeBytes(m_mixed + "/cat/._b.JPG", "macOS resource fork");
        fs::create_directories(m_mixed + "/cat/sub.png");  // a folder with an image-like name is not an image
        makeClass(m_mixed + "/apple", 2);
        writeBytes(m_mixed + "/apple/grey.png", flatPng(3, 3, 1, 8, 128));
        writeBytes(m_mixed + "/apple/deep.png", flatPng(3, 3, 3, 16, 40000));
        writeBytes(m_mixed + "/apple/alpha.png", flatPng(3, 3, 4, 8, 200));
        std::string junk;
        std::mt19937 rng(7);
        for (int i = 0; i < 2048; ++i) junk.push_back(static_cast<char>(rng() & 0xff));
        writeBytes(m_mixed + "/apple/corrupt.png", junk);
        makeClass(m_mixed + "/Zebra", 2);
        fs::create_directories(m_mixed + "/empty");
        writeBytes(m_mixed + "/empty/readme.txt", "no images here");
        makeClass(m_mixed + "/one", 1);
        makeClass(m_mixed + "/.cache", 4);   // hidden folder
        writeImage(m_mixed + "/stray.png");  // files in the root are not a class

        m_uniform = m_dir + "/uniform";
        for (const char* c : {"c0", "c1", "c2", "c3", "c4"}) makeClass(m_uniform + "/" + c, 20);
    }
    void cleanupTestCase() { fs::remove_all(m_dir); }

    void scansSortedClassesAndImages() {
        ImageFolderDataset ds(m_mixed);
        QCOMPARE(names(ds), (std::vector<std::string>{"Zebra", "apple", "cat", "one"}));
        QCOMPARE(ds.root(), fs::absolute(m_mixed).lexically_normal().generic_string());
        const auto& cat = ds.classes()[2];
        std::vector<std::string> files;
        for (const auto& p : cat.images) {
            QVERIFY2(p.rfind(ds.root() + "/cat/", 0) == 0, p.c_str());
            files.push_back(fs::path(p).filename().string());
        }
        QCOMPARE(files, (std::vector<std::string>{"C.Png", "a.jpeg", "b.JPG", "d.bmp", "e.WebP", "img_000.png",
                                                  "img_001.png", "img_002.png"}));
        // 2 + grey + deep + alpha; corrupt.png is left out by the scan (its header is not an image's: skipped()).
        QCOMPARE(ds.classes()[1].images.size(), size_t(5));
        QCOMPARE(ds.imageCount(), int64_t(2 + 5 + 8 + 1));
        QCOMPARE(ds.classIndex("cat"), 2);
        QCOMPARE(ds.classIndex("empty"), -1);
        QCOMPARE(ds.classIndex("nope"), -1);
        // Trailing slashes and relative spellings give the same dataset.
        ImageFolderDataset again(m_mixed + "/");
        QCOMPARE(again.root(), ds.root());
        QCOMPARE(again.classes()[2].images, cat.images);
    }

    void extensionRules() {
        for (const char* ok : {"a.jpg", "a.JPG", "a.jpeg", "a.JpEg", "a.png", "a.PNG", "a.bmp", "a.webp", "x.y.png"})
            QVERIFY2(ImageFolderDataset::isImageFileName(ok), ok);
        for (const char* no : {".png", ".a.png", "a.gif", "a.tif", "a.tiff", "a.txt", "png", "a.png.bak", "a."})
            QVERIFY2(!ImageFolderDataset::isImageFileName(no), no);
    }

    void flagsEmptyAndSingleImageClasses() {
        ImageFolderDataset ds(m_mixed);
        QCOMPARE(ds.emptyClasses(), (std::vector<std::string>{"empty"}));
        QCOMPARE(ds.singleImageClasses(), (std::vector<int>{3}));
        // The two class notes, then the skipped files: apple/corrupt.png, cat/anim.gif, cat/scan.tiff and the folder
        // cat/sub.png (notes.txt and noext are not images and go unmentioned).
        QCOMPARE(ds.warnings().size(), size_t(6));
        const std::string all = ds.warnings()[0] + "\n" + ds.warnings()[1];
        QVERIFY2(all.find("'empty'") != std::string::npos, all.c_str());
        QVERIFY2(all.find("'one'") != std::string::npos, all.c_str());
        QVERIFY2(all.find("noise") != std::string::npos, all.c_str());
        ImageFolderDataset clean(m_uniform);
        QVERIFY(clean.warnings().empty());
        QVERIFY(clean.singleImageClasses().empty());
    }

    void validateCollectsEveryFailure() {
        // A second corrupt file in another class: both must be reported, not only the first.
        const std::string root = m_dir + "/two-bad";
        makeClass(root + "/a", 2);
        makeClass(root + "/b", 2);
        // Headers that read as images (the scan keeps them), bodies that do not decode (only validate finds them).
        writeBytes(root + "/a/bad1.png", flatPng(2, 2, 3, 8, 7).substr(0, 40));
        writeBytes(root + "/b/bad2.png", flatPng(3, 3, 3, 8, 9).substr(0, 45));
        writeBytes(root + "/b/good.png", flatPng(2, 2, 4, 16, 1000));
        ImageFolderDataset ds(root);
        std::vector<diffii::Progress> seen;
        diffii::JobContext job;
        job.onProgress = [&](const diffii::Progress& p) { seen.push_back(p); };
        const auto failures = ds.validate(&job);
        QCOMPARE(failures.size(), size_t(2));
        QCOMPARE(fs::path(failures[0].path).filename().string(), std::string("bad1.png"));
        QCOMPARE(fs::path(failures[1].path).filename().string(), std::string("bad2.png"));
        for (const auto& f : failures)
            QVERIFY2(f.message.find(f.path) != std::string::npos,
                     ("message does not name the file: " + f.message).c_str());
        QVERIFY(!seen.empty());
        QCOMPARE(seen.back().stage, std::string("validate"));
        QCOMPARE(seen.back().done, ds.imageCount());
        QCOMPARE(seen.back().total, ds.imageCount());
    }

    void validateAcceptsGreyDeepAndAlphaImages() {
        ImageFolderDataset ds(m_mixed);
        QVERIFY(ds.validate().empty());  // corrupt.png was left out by the scan
        // The loader's size limit is passed through.
        diffii::ImageLoadOptions tiny;
        tiny.maxPixels = 4;
        const auto tooBig = ds.validate(nullptr, tiny);
        QCOMPARE(tooBig.size(), size_t(ds.imageCount()));  // every image is 3x3 or 4x4, or corrupt
    }

    void scanReportsEveryProblemAtOnce() {
        // Unsupported formats, broken or oversized headers, dangling links and symlink loops are all listed with
        // their reasons by the scan itself, and left out of the classes; captions are ignored without a word.
        const std::string root = m_dir + "/hostile";
        makeClass(root + "/a", 2);
        makeClass(root + "/b", 2);
        writeBytes(root + "/a/anim.gif", std::string("GIF89a") + std::string(20, '\0'));
        writeBytes(root + "/a/notes.txt", "a caption");
        writeBytes(root + "/a/junk.png", "definitely not a png");
        std::string huge = flatPng(2, 2, 3, 8, 1).substr(0, 33);
        huge[16] = huge[20] = 0x00;
        huge[17] = huge[21] = 0x00;
        huge[18] = huge[22] = 0x4e;  // 20000 x 20000 in the IHDR (0x00004e20)
        huge[19] = huge[23] = 0x20;
        writeBytes(root + "/b/huge.png", huge);
        fs::create_symlink("missing.png", root + "/b/dangling.png");
        fs::create_symlink("loop2.png", root + "/b/loop1.png");
        fs::create_symlink("loop1.png", root + "/b/loop2.png");
        ImageFolderDataset ds(root);
        QCOMPARE(ds.imageCount(), int64_t(4));
        std::map<std::string, std::string> reasons;
        for (const auto& f : ds.skipped()) reasons[fs::path(f.path).filename().string()] = f.message;
        QCOMPARE(reasons.size(), size_t(6));
        QVERIFY2(reasons["anim.gif"].find("gif") != std::string::npos, reasons["anim.gif"].c_str());
        QVERIFY2(!reasons["junk.png"].empty(), "junk.png not reported");
        QVERIFY2(reasons["huge.png"].find("20000") != std::string::npos, reasons["huge.png"].c_str());
        for (const char* link : {"dangling.png", "loop1.png", "loop2.png"}) QVERIFY2(reasons.count(link), link);
        QVERIFY(!reasons.count("notes.txt"));
        // Each is a warning line naming the file, for the CLI and the GUI.
        std::string all;
        for (const auto& w : ds.warnings()) all += w + "\n";
        for (const auto& [name, why] : reasons) QVERIFY2(all.find(name) != std::string::npos, all.c_str());
    }

    void validateCanBeCancelled() {
        ImageFolderDataset ds(m_uniform);
        std::atomic<bool> cancel{true};
        diffii::JobContext job;
        job.cancelFlag = &cancel;
        QVERIFY_THROWS_EXCEPTION(diffii::Cancelled, ds.validate(&job));
    }

    void missingOrImagelessRootIsAnError() {
        const std::string missing = m_dir + "/does-not-exist";
        std::string msg = errorOf([&] { ImageFolderDataset ds(missing); });
        QVERIFY2(msg.find(missing) != std::string::npos, msg.c_str());
        QVERIFY2(msg.find("does not exist") != std::string::npos, msg.c_str());

        const std::string noImages = m_dir + "/no-images";
        fs::create_directories(noImages + "/a");
        fs::create_directories(noImages + "/b");
        writeBytes(noImages + "/a/x.txt", "text");
        writeImage(noImages + "/root-level.png");
        writeImage(noImages + "/.hidden/y.png");
        msg = errorOf([&] { ImageFolderDataset ds(noImages); });
        QVERIFY2(msg.find(fs::absolute(noImages).lexically_normal().generic_string()) != std::string::npos,
                 msg.c_str());
        QVERIFY2(msg.find("no images") != std::string::npos, msg.c_str());

        const std::string file = m_dir + "/a-file.png";
        writeImage(file);
        msg = errorOf([&] { ImageFolderDataset ds(file); });
        QVERIFY2(msg.find(file) != std::string::npos, msg.c_str());
    }

    void portableShuffleIsPinned() {
        // mt19937_64 is fixed by the standard: its 10000th output from the default seed is 9981545732273789042.
        std::mt19937_64 ref;
        ref.discard(9999);
        QCOMPARE(ref(), uint64_t(9981545732273789042ull));
        // The shuffle built on it is ours, so its result is the same everywhere; pin it.
        std::mt19937_64 rng(42);
        const auto p = diffii::portablePermutation(10, rng);
        std::vector<size_t> sorted = p;
        std::sort(sorted.begin(), sorted.end());
        for (size_t i = 0; i < 10; ++i) QCOMPARE(sorted[i], i);
        QCOMPARE(p, (std::vector<size_t>{1, 7, 9, 0, 3, 8, 4, 2, 5, 6}));
        std::mt19937_64 r2(1);
        for (int i = 0; i < 1000; ++i) QVERIFY(diffii::uniformBelow(r2, 3) < 3);
        QCOMPARE(diffii::uniformBelow(r2, 1), uint64_t(0));
        QVERIFY(diffii::portablePermutation(0, r2).empty());
    }

    void kShotIsSeededAndCounted() {
        ImageFolderDataset ds(m_uniform);
        const Split a = diffii::kShot(ds, 5, 123);
        const Split b = diffii::kShot(ds, 5, 123);
        const Split c = diffii::kShot(ds, 5, 124);
        QVERIFY(sameSplit(a, b));
        QVERIFY(!sameSplit(a, c));
        QCOMPARE(a.method, std::string("k-shot"));
        QCOMPARE(a.parameters["k"].get<int>(), 5);
        QCOMPARE(a.seed, uint64_t(123));
        QVERIFY(a.notes.empty());
        checkPartition(ds, a);
        for (const auto& cs : a.classes) {
            QCOMPARE(cs.train.size(), size_t(5));
            QCOMPARE(cs.heldOut.size(), size_t(15));
        }
        QCOMPARE(a.trainCount(), int64_t(25));
        QCOMPARE(a.heldOutCount(), int64_t(75));
        // Classes draw independently: different classes do not pick the same positions.
        bool anyDifferent = false;
        for (size_t i = 1; i < a.classes.size(); ++i) {
            for (size_t j = 0; j < 5; ++j)
                if (fs::path(a.classes[i].train[j]).filename() != fs::path(a.classes[0].train[j]).filename())
                    anyDifferent = true;
        }
        QVERIFY(anyDifferent);
    }

    void kShotTakesAllOfSmallClassesAndNotesThem() {
        ImageFolderDataset ds(m_mixed);
        const Split s = diffii::kShot(ds, 4, 9);
        checkPartition(ds, s);
        QCOMPARE(s.classes[0].train.size(), size_t(2));  // Zebra
        QCOMPARE(s.classes[1].train.size(), size_t(4));  // apple (6)
        QCOMPARE(s.classes[2].train.size(), size_t(4));  // cat (8)
        QCOMPARE(s.classes[3].train.size(), size_t(1));  // one
        QCOMPARE(s.classes[0].heldOut.size(), size_t(0));
        QCOMPARE(s.notes.size(), size_t(2));
        QVERIFY(s.notes[0].find("'Zebra'") != std::string::npos);
        QVERIFY(s.notes[1].find("'one'") != std::string::npos);
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::kShot(ds, 0, 1));
    }

    void kShotOfAClassDoesNotDependOnOtherClasses() {
        // Adding a class leaves the existing classes' choices as they were.
        const std::string root = m_dir + "/grown";
        fs::create_directories(root);
        fs::copy(m_uniform, root, fs::copy_options::recursive);
        makeClass(root + "/c10", 20);
        const Split before = diffii::kShot(ImageFolderDataset(m_uniform), 3, 77);
        const Split after = diffii::kShot(ImageFolderDataset(root), 3, 77);
        QCOMPARE(after.classes.size(), size_t(6));
        for (size_t i = 0; i < before.classes.size(); ++i) {
            const auto& x = before.classes[i];
            const auto it = std::find_if(after.classes.begin(), after.classes.end(),
                                         [&](const diffii::ClassSplit& y) { return y.name == x.name; });
            QVERIFY(it != after.classes.end());
            QCOMPARE(it->train.size(), x.train.size());
            for (size_t j = 0; j < x.train.size(); ++j)
                QCOMPARE(fs::path(it->train[j]).filename(), fs::path(x.train[j]).filename());
        }
    }

    void longTailProfile() {
        QCOMPARE(diffii::longTailCount(0, 10, 100.0, 500), 500);
        QCOMPARE(diffii::longTailCount(9, 10, 100.0, 500), 5);
        QCOMPARE(diffii::longTailCount(1, 10, 100.0, 500), 300);  // 500 * 100^(-1/9) = 299.4
        QCOMPARE(diffii::longTailCount(5, 10, 100.0, 500), 39);   // 500 * 100^(-5/9) = 38.8
        QCOMPARE(diffii::longTailCount(9, 10, 1000.0, 10), 1);    // 0.01 -> at least 1
        QCOMPARE(diffii::longTailCount(0, 1, 50.0, 7), 7);        // one class
        QCOMPARE(diffii::longTailCount(3, 4, 1.0, 7), 7);         // factor 1: balanced

        ImageFolderDataset ds(m_uniform);
        const Split a = diffii::longTail(ds, 10.0, 20, 5);
        checkPartition(ds, a);
        std::vector<size_t> counts;
        for (const auto& cs : a.classes) counts.push_back(cs.train.size());
        // 20 * 10^(-i/4): 20, 11.2, 6.3, 3.6, 2
        QCOMPARE(counts, (std::vector<size_t>{20, 11, 6, 4, 2}));
        QVERIFY(a.notes.empty());
        QCOMPARE(a.method, std::string("long-tail"));
        QCOMPARE(a.parameters["imbalanceFactor"].get<double>(), 10.0);
        QCOMPARE(a.parameters["maxPerClass"].get<int>(), 20);
        QVERIFY(sameSplit(a, diffii::longTail(ds, 10.0, 20, 5)));
        QVERIFY(!sameSplit(a, diffii::longTail(ds, 10.0, 20, 6)));

        // Asking for more than a class holds takes all of it and says so.
        const Split big = diffii::longTail(ds, 2.0, 30, 5);
        QCOMPARE(big.classes[0].train.size(), size_t(20));
        QVERIFY(!big.notes.empty());
        QVERIFY(big.notes[0].find("'c0'") != std::string::npos);

        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::longTail(ds, 0.5, 20, 1));
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::longTail(ds, std::nan(""), 20, 1));
        QVERIFY_THROWS_EXCEPTION(diffii::Error, diffii::longTail(ds, 10.0, 0, 1));
    }

    void allTakesEverything() {
        ImageFolderDataset ds(m_mixed);
        const Split s = diffii::all(ds, 3);
        checkPartition(ds, s);
        QCOMPARE(s.trainCount(), ds.imageCount());
        QCOMPARE(s.heldOutCount(), int64_t(0));
        QCOMPARE(s.method, std::string("all"));
    }

    void splitJsonRoundTrip() {
        ImageFolderDataset ds(m_uniform);
        const Split s = diffii::kShot(ds, 3, 2024);
        const std::string path = m_dir + "/split.json";
        diffii::saveSplit(s, path, ds.root());
        std::ifstream in(path);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        QVERIFY2(text.find(ds.root()) == std::string::npos, "split.json must hold paths relative to the root");
        const auto j = nlohmann::json::parse(text);
        QCOMPARE(j["schemaVersion"].get<int>(), 1);
        QCOMPARE(j["classes"][0]["train"][0].get<std::string>().rfind("c0/img_", 0), size_t(0));
        const Split back = diffii::loadSplit(path, ds.root());
        QVERIFY(sameSplit(s, back));

        // The split follows the dataset when the dataset moves.
        const std::string moved = m_dir + "/moved";
        fs::copy(m_uniform, moved, fs::copy_options::recursive);
        const Split there = diffii::loadSplit(path, moved);
        QCOMPARE(there.classes[1].train.size(), size_t(3));
        QCOMPARE(there.classes[1].train[0].rfind(fs::absolute(moved).generic_string() + "/c1/", 0), size_t(0));
        QVERIFY(fs::exists(there.classes[1].train[0]));

        // A long-tail split with notes round-trips too (double parameter).
        const Split lt = diffii::longTail(ds, 3.5, 25, 11);
        diffii::saveSplit(lt, path, ds.root());
        QVERIFY(sameSplit(lt, diffii::loadSplit(path, ds.root())));
    }

    void splitJsonErrorsNameFileAndKey() {
        ImageFolderDataset ds(m_uniform);
        const std::string path = m_dir + "/bad-split.json";
        auto good = diffii::splitToJson(diffii::kShot(ds, 2, 1), ds.root());

        auto j = good;
        j.erase("seed");
        writeBytes(path, j.dump());
        std::string msg = errorOf([&] { diffii::loadSplit(path, ds.root()); });
        QVERIFY2(msg.find(path) != std::string::npos && msg.find("'seed'") != std::string::npos, msg.c_str());

        j = good;
        j["classes"][1].erase("heldOut");
        writeBytes(path, j.dump());
        msg = errorOf([&] { diffii::loadSplit(path, ds.root()); });
        QVERIFY2(msg.find(path) != std::string::npos && msg.find("classes[1].heldOut") != std::string::npos,
                 msg.c_str());

        j = good;
        j["classes"][0]["train"][0] = "../outside.png";
        writeBytes(path, j.dump());
        msg = errorOf([&] { diffii::loadSplit(path, ds.root()); });
        QVERIFY2(msg.find(path) != std::string::npos && msg.find("../outside.png") != std::string::npos, msg.c_str());

        j = good;
        j["schemaVersion"] = 2;
        writeBytes(path, j.dump());
        msg = errorOf([&] { diffii::loadSplit(path, ds.root()); });
        QVERIFY2(msg.find(path) != std::string::npos && msg.find("version 2") != std::string::npos, msg.c_str());

        // Saving a split whose images are not under the given root.
        msg = errorOf([&] { diffii::saveSplit(diffii::kShot(ds, 2, 1), path, m_mixed); });
        QVERIFY2(msg.find(path) != std::string::npos && msg.find("not inside") != std::string::npos, msg.c_str());
    }
};

DIFFII_TEST_MAIN(TestDataset, None)
}  // namespace DIFFII_UNIT
#include "test_dataset.moc"
