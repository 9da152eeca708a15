// Inversion pool and generation at scale on the tiny fixture model: provenance and staleness, PSNR, the one-image
// fallback, byte-identical determinism, shards equal to the unsharded run, cancel + resume equal to an
// uninterrupted run, manifests, export without rejected images, and bad output folders.
#include <QtTest/QtTest>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "core/data/synthetic_manifest.h"
#include "core/diffii/generator.h"
#include "core/diffii/inversion_pool.h"
#include "core/diffii/suffixes.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/image_probe.h"
#include "core/models/stable_diffusion.h"
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

std::string readBytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Every PNG under dir, by relative path -> bytes.
std::map<std::string, std::string> pngs(const std::string& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.path().extension() == ".png") out[fs::relative(e.path(), dir).string()] = readBytes(e.path());
    return out;
}

}  // namespace

class TestGeneration : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<diffii::StableDiffusion> m_sd;
    std::string m_tmp;
    std::vector<diffii::PoolSource> m_sources;
    diffii::PoolSettings m_poolSettings;
    std::vector<diffii::GenerationClass> m_classes;
    diffii::GenerationSettings m_settings;

    std::string poolDir() const { return m_tmp + "/inversions"; }

private slots:
    void initTestCase() {
        DIFFII_REQUIRE_FIXTURES();
        m_sd = diffii::StableDiffusion::load(fixture("tiny-sd1"));
        m_tmp = diffii::test::makeTempDir("generation");
        const std::string a = fixture("tiny-sd1-diffii/input_0.png"), b = fixture("tiny-sd1-diffii/input_1.png");
        m_sources = {{"finch", a, "input_0", "a photo of a finch bird"},
                     {"finch", b, "input_1", "a photo of a finch bird"},
                     {"dodo", b, "input_1", "a photo of a dodo bird"}};
        m_poolSettings.steps = 5;
        m_settings.denoise.steps = 4;
        m_settings.denoise.split = 0.5;
        m_settings.inversionSteps = 5;
        m_settings.expansionRate = 2.0;
        m_settings.suffixes = diffii::defaultSuffixes("bird");
        m_settings.modelHash = "model-x";
        m_settings.conceptsHash = "concepts-y";
    }
    void cleanupTestCase() { fs::remove_all(m_tmp); }

    void buildsPoolWithProvenance() {
        std::vector<diffii::Progress> seen;
        diffii::JobContext job;
        job.onProgress = [&](const diffii::Progress& p) { seen.push_back(p); };
        const auto entries =
            diffii::buildInversionPool(*m_sd, m_sources, m_poolSettings, poolDir(), "model-x", "concepts-y", &job);
        QCOMPARE(entries.size(), size_t(3));
        for (const auto& e : entries) {
            QVERIFY(fs::exists(e.file));
            QVERIFY(fs::exists(e.reconstruction));
            QVERIFY2(e.psnr > 5.0 && e.psnr < 99.0, std::to_string(e.psnr).c_str());
            QCOMPARE(diffii::loadInversion(e.file).sizes().vec(), (std::vector<int64_t>{1, 4, 16, 16}));
        }
        QVERIFY(!seen.empty());
        QCOMPARE(seen.back().stage, std::string("inversion pool"));
        // One count over every phase of every image: never backwards, ending at its total.
        int64_t last = 0;
        for (const auto& p : seen) {
            QCOMPARE(p.stage, std::string("inversion pool"));
            QVERIFY2(p.done >= last, p.detail.c_str());
            last = p.done;
        }
        QCOMPARE(seen.back().done, seen.back().total);
        QVERIFY(seen.size() > 3 * 2);  // inner steps are reported, not only whole images
        QVERIFY2(seen.back().detail.rfind("3 of 3 inverted", 0) == 0, seen.back().detail.c_str());
        // A second build keeps every entry (resume), byte for byte.
        const auto before = readBytes(entries[0].file);
        std::vector<std::string> announced;
        const auto again =
            diffii::buildInversionPool(*m_sd, m_sources, m_poolSettings, poolDir(), "model-x", "concepts-y", nullptr,
                                       [&](const diffii::PoolEntry& e) { announced.push_back(e.key); });
        QCOMPARE(announced.size(), size_t(3));  // kept entries are announced too, one by one
        QCOMPARE(readBytes(again[0].file), before);
        // Other concepts: every entry is stale, none is silently reused.
        const auto listed = diffii::listInversionPool(poolDir(), m_sources, m_poolSettings, "model-x", "concepts-z");
        QCOMPARE(listed.size(), size_t(3));
        for (const auto& e : listed) QVERIFY(e.stale);
        const auto fresh = diffii::listInversionPool(poolDir(), m_sources, m_poolSettings, "model-x", "concepts-y");
        for (const auto& e : fresh) QVERIFY(!e.stale);
        {
            // Entries are matched by the images' content, not their paths: a moved copy of the dataset keeps the
            // pool, an edited image makes its entry (only) stale.
            const auto moved = m_tmp + "/moved-images";
            fs::create_directories(moved);
            auto sources = m_sources;
            for (auto& s : sources) {
                const auto to = moved + "/" + fs::path(s.imagePath).filename().string();
                if (!fs::exists(to)) fs::copy_file(s.imagePath, to);
                s.imagePath = to;
            }
            for (const auto& e : diffii::listInversionPool(poolDir(), sources, m_poolSettings, "model-x", "concepts-y"))
                QVERIFY(!e.stale);
            auto bytes = readBytes(sources[0].imagePath);
            bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
            {
                std::ofstream(sources[0].imagePath, std::ios::binary)
                    .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
            }
            const auto edited = diffii::listInversionPool(poolDir(), sources, m_poolSettings, "model-x", "concepts-y");
            QVERIFY(edited[0].stale);
            QVERIFY(!edited[1].stale);  // input_1, untouched
            fs::remove(sources[1].imagePath);
            QVERIFY(diffii::listInversionPool(poolDir(), sources, m_poolSettings, "model-x", "concepts-y")[1].stale);
        }

        m_classes.clear();
        diffii::GenerationClass finch{"finch", 0, "a photo of a finch bird", {entries[0], entries[1]}, 2};
        diffii::GenerationClass dodo{"dodo", 1, "a photo of a dodo bird", {entries[2]}, 1};
        m_classes = {finch, dodo};
    }

    void planIsDeterministic() {
        const auto p1 = diffii::planGeneration(m_classes, m_settings, 1234);
        const auto p2 = diffii::planGeneration(m_classes, m_settings, 1234);
        QCOMPARE(p1.size(), size_t(4 + 2));
        QVERIFY(p1 == p2);
        const auto p3 = diffii::planGeneration(m_classes, m_settings, 999);
        QVERIFY(p1[0].seed != p3[0].seed);
        QVERIFY(p1[4].fallbackNoise);  // the one-image class
        QVERIFY(!p1[0].fallbackNoise);
        QVERIFY(p1[0].sourceA != p1[0].sourceB);
    }

    void generatesDeterministicallyAndShards() {
        const auto full = m_tmp + "/full";
        const auto report = diffii::runGeneration(*m_sd, m_classes, m_settings, 1234, full);
        QCOMPARE(report.generated, int64_t(6));
        const auto records = diffii::readManifestJsonl(full + "/manifest.jsonl");
        QCOMPARE(records.size(), size_t(6));
        QCOMPARE(diffii::readManifestCsv(full + "/manifest.csv").size(), size_t(6));
        for (const auto& r : records) {
            if (r.className == "dodo") {
                QVERIFY(r.fallbackNoise);
                QVERIFY(r.sourceB.empty());
            } else {
                QVERIFY(!r.fallbackNoise);
                QVERIFY(r.theta > 0);
                QVERIFY(r.alpha >= 0 && r.alpha < 2 * M_PI / r.theta);
            }
            QCOMPARE(r.modelHash, std::string("model-x"));
        }
        // The same settings again, in a fresh folder: byte-identical PNGs.
        const auto again = m_tmp + "/again";
        diffii::runGeneration(*m_sd, m_classes, m_settings, 1234, again);
        QVERIFY(pngs(full) == pngs(again));
        // Shards 0/2 + 1/2 into one folder equal the unsharded run, and are disjoint.
        const auto sharded = m_tmp + "/sharded";
        const auto r0 = diffii::runGeneration(*m_sd, m_classes, m_settings, 1234, sharded, 0, 2);
        const auto r1 = diffii::runGeneration(*m_sd, m_classes, m_settings, 1234, sharded, 1, 2);
        QCOMPARE(r0.generated + r1.generated, int64_t(6));
        QCOMPARE(r1.skipped, int64_t(0));
        QVERIFY(pngs(full) == pngs(sharded));
        QCOMPARE(diffii::readManifestJsonl(sharded + "/manifest.jsonl"), records);
    }

    void cancelAndResumeEqualsUninterrupted() {
        const auto dir = m_tmp + "/resumed";
        std::atomic<bool> cancel{false};
        diffii::JobContext job;
        job.cancelFlag = &cancel;
        int images = 0;
        bool freedDuringRun = false;
        job.onProgress = [&](const diffii::Progress& p) {
            if (p.stage == "generation" && ++images == 2) cancel = true;
            freedDuringRun = freedDuringRun || !m_sd->hasTextEncoder();
        };
        bool cancelled = false;
        try {
            diffii::runGeneration(*m_sd, m_classes, m_settings, 1234, dir, 0, 1, &job);
        } catch (const diffii::Cancelled&) {
            cancelled = true;
        }
        QVERIFY(cancelled);
        QVERIFY(freedDuringRun);
        QVERIFY(m_sd->hasTextEncoder());  // freed for the run, read again when it stopped
        QCOMPARE(pngs(dir).size(), size_t(2));
        for (const auto& e : fs::recursive_directory_iterator(dir))
            QVERIFY2(e.path().string().find(".tmp.") == std::string::npos, "temporary file left behind");
        const auto report = diffii::runGeneration(*m_sd, m_classes, m_settings, 1234, dir);
        QCOMPARE(report.skipped, int64_t(2));
        QCOMPARE(report.generated, int64_t(4));
        QVERIFY(pngs(dir) == pngs(m_tmp + "/full"));
    }

    // A resumed run keeps only what its plan would make: a PNG cut short, or an image from another pool (inversion
    // steps), is made again; images of a larger earlier plan stay on disk but out of the manifest (and the export).
    void resumeKeepsOnlyThePlan() {
        const auto dir = m_tmp + "/replanned";
        fs::create_directories(dir);
        fs::copy(m_tmp + "/full", dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
        const auto plan = diffii::planGeneration(m_classes, m_settings, 1234);
        QCOMPARE(plan.size(), size_t(6));
        const auto cut = fs::path(dir) / plan[1].outputPath;
        fs::resize_file(cut, fs::file_size(cut) / 2);
        QVERIFY(!diffii::pngFileComplete(cut.string()));
        auto report = diffii::runGeneration(*m_sd, m_classes, m_settings, 1234, dir);
        QCOMPARE(report.generated, int64_t(1));
        QCOMPARE(report.skipped, int64_t(5));
        QCOMPARE(report.leftOut, int64_t(0));
        QVERIFY(diffii::pngFileComplete(cut.string()));
        QVERIFY(pngs(dir) == pngs(m_tmp + "/full"));

        // Half the expansion rate: three images planned, the other three left out of the manifest, not deleted.
        auto smaller = m_settings;
        smaller.expansionRate = 1.0;
        report = diffii::runGeneration(*m_sd, m_classes, smaller, 1234, dir);
        QCOMPARE(report.total, int64_t(3));
        QCOMPARE(report.generated + report.skipped, int64_t(3));
        QCOMPARE(report.leftOut, int64_t(3));
        QCOMPARE(pngs(dir).size(), size_t(6));
        const auto listed = diffii::readManifestJsonl(dir + "/manifest.jsonl");
        QCOMPARE(listed.size(), size_t(3));
        const auto exported = diffii::exportSyntheticSet(dir, m_tmp + "/replanned-export");
        QCOMPARE(exported, int64_t(3));

        // Another pool (other inversion steps): nothing made from the old one is kept.
        auto repooled = smaller;
        repooled.inversionSteps = m_settings.inversionSteps + 1;
        report = diffii::runGeneration(*m_sd, m_classes, repooled, 1234, dir);
        QCOMPARE(report.skipped, int64_t(0));
        QCOMPARE(report.generated, int64_t(3));
        for (const auto& r : diffii::readManifestJsonl(dir + "/manifest.jsonl"))
            QCOMPARE(r.inversionSteps, repooled.inversionSteps);
    }

    void oneImageRegeneratesAlone() {
        auto plan = diffii::planGeneration(m_classes, m_settings, 1234);
        auto record = plan[3];
        const auto image = diffii::generateImage(*m_sd, m_classes[0], record, m_settings);
        const auto path = m_tmp + "/single.png";
        diffii::saveImagePng(path, image);
        QCOMPARE(readBytes(path), readBytes(m_tmp + "/full/" + record.outputPath));
    }

    // A renderer that previews this model as drafts (as the Preview page's does for SD 1.5) still generates the
    // full image: the same bytes as without it, at the model's size, with the planned steps.
    void generationIsNeverADraft() {
        auto plan = diffii::planGeneration(m_classes, m_settings, 1234);
        auto record = plan[3];
        diffii::PreviewRenderer drafting(*m_sd);
        diffii::DraftPolicy everything;
        everything.minParameters = 0;
        everything.maxLatentSide = everything.minLatentSide = 4;  // a draft would be a quarter of the size
        everything.maxSteps = 1;
        drafting.setDraftPolicy(everything);
        diffii::PreviewParams asPreview;
        asPreview.denoise.steps = record.steps;
        QVERIFY(drafting.draftSteps(asPreview) > 0);  // the policy does draft this model's previews
        const auto image = diffii::generateImage(*m_sd, m_classes[0], record, m_settings, nullptr, &drafting);
        const auto path = m_tmp + "/undrafted.png";
        diffii::saveImagePng(path, image);
        QCOMPARE(readBytes(path), readBytes(m_tmp + "/full/" + record.outputPath));
    }

    // releaseUNetForDecode (a full-size model on the CPU): the UNet is freed for each decode and read again for the
    // next image; the same bytes, and the UNet is back when the run ends.
    void unetFreedForEachDecode() {
        auto settings = m_settings;
        settings.releaseUNetForDecode = true;
        diffii::JobContext job;
        int freed = 0;
        job.onProgress = [&](const diffii::Progress& p) {
            if (p.stage == "generation" && !m_sd->hasUNet()) ++freed;
        };
        const auto dir = m_tmp + "/lean";
        const auto report = diffii::runGeneration(*m_sd, m_classes, settings, 1234, dir, 0, 1, &job);
        QCOMPARE(report.generated, int64_t(6));
        QCOMPARE(freed, 6);
        QVERIFY(m_sd->hasUNet());
        QVERIFY(m_sd->hasTextEncoder());
        QVERIFY(pngs(dir) == pngs(m_tmp + "/full"));
    }

    void exportLeavesOutRejected() {
        const auto dir = m_tmp + "/full";
        auto records = diffii::readManifestJsonl(dir + "/manifest.jsonl");
        records[1].curation = diffii::Curation::Rejected;
        records[2].tags = {"blurry"};
        diffii::writeManifest(dir, records);
        // Regenerating keeps the curation marks.
        diffii::runGeneration(*m_sd, m_classes, m_settings, 1234, dir);
        const auto kept = diffii::readManifestJsonl(dir + "/manifest.jsonl");
        QCOMPARE(kept[1].curation, diffii::Curation::Rejected);
        QCOMPARE(kept[2].tags, std::vector<std::string>{"blurry"});
        const auto out = m_tmp + "/export";
        QCOMPARE(diffii::exportSyntheticSet(dir, out), int64_t(5));
        QVERIFY(!fs::exists(fs::path(out) / kept[1].outputPath));
        QVERIFY(fs::exists(fs::path(out) / kept[0].outputPath));
        QCOMPARE(diffii::readManifestCsv(out + "/manifest.csv").size(), size_t(5));
        // An image replaced by one of the same size is copied again (the export compared sizes only).
        const auto src = fs::path(dir) / kept[0].outputPath;
        auto bytes = readBytes(src);
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
        std::ofstream(src, std::ios::binary) << bytes;
        QCOMPARE(diffii::exportSyntheticSet(dir, out), int64_t(5));
        QCOMPARE(readBytes(fs::path(out) / kept[0].outputPath), bytes);
    }

    void unwritableOutputFolder() {
        const auto ro = m_tmp + "/readonly";
        fs::create_directories(ro);
        fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
        const bool enforced = ::access(ro.c_str(), W_OK) != 0;  // root ignores permissions
        const std::string target = enforced ? ro : "/proc/diffii-not-writable";
        try {
            diffii::runGeneration(*m_sd, m_classes, m_settings, 1234, target);
            QFAIL("no error for an unwritable folder");
        } catch (const diffii::Error& e) {
            QVERIFY2(std::string(e.what()).find(target) != std::string::npos, e.what());
        }
        fs::permissions(ro, fs::perms::owner_all);
    }

    void emptyPoolIsAnError() {
        auto classes = m_classes;
        classes[0].pool.clear();
        try {
            diffii::planGeneration(classes, m_settings, 1);
            QFAIL("no error");
        } catch (const diffii::Error& e) {
            QVERIFY(std::string(e.what()).find("finch") != std::string::npos);
        }
    }

    void suffixesFromCaptions() {
        const std::vector<std::string> captions = {"a small bird standing on a tree branch",
                                                   "a bird standing on a tree branch", "A Bird flying in the blue sky.",
                                                   "a photo of a red bird standing on a tree branch",
                                                   "two birds swimming in a lake"};
        const auto s = diffii::summariseCaptions(captions, "bird", 2);
        QCOMPARE(s.size(), size_t(2));
        QCOMPARE(s[0], std::string("standing on a tree branch"));
        QCOMPARE(s[1], std::string("flying in the blue sky"));
        const auto path = m_tmp + "/suffixes.txt";
        diffii::saveSuffixes(path, {"on a branch", "in the sky"});
        QCOMPARE(diffii::loadSuffixes(path), (std::vector<std::string>{"on a branch", "in the sky"}));
        QCOMPARE(diffii::parseSuffixes("# comment\n a \n\na\nb\n"), (std::vector<std::string>{"a", "b"}));
        QCOMPARE(diffii::defaultSuffixes("bird").size(), size_t(10));
        QVERIFY(!diffii::defaultSuffixes("spaceship").empty());
    }
};

DIFFII_TEST_MAIN(TestGeneration, None)
}  // namespace DIFFII_UNIT
#include "test_generation.moc"
