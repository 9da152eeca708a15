// The CPU block cache (core/jobs/block_cache.h): large tensors reuse freed blocks of about their size, small ones
// do not enter it, and a new mapping never leaves the process holding more than its high-water mark of live blocks.
#include <QtTest/QtTest>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <c10/core/CPUAllocator.h>

#include "core/jobs/block_cache.h"
#include "tests/test_registry.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace {

constexpr int64_t kMiB = int64_t(1) << 20;

torch::Tensor bytes(int64_t n) { return torch::empty({n}, torch::kUInt8); }

// The VmFlags line of the mapping in /proc/self/smaps that holds p ("" when none does).
std::string vmFlagsAt(const void* p) {
    std::ifstream smaps("/proc/self/smaps");
    const auto addr = reinterpret_cast<uintptr_t>(p);
    bool inside = false;
    for (std::string line; std::getline(smaps, line);) {
        const auto dash = line.find('-');
        const auto space = line.find(' ');
        if (dash != std::string::npos && space != std::string::npos && dash < space &&
            line.find_first_not_of("0123456789abcdef") == dash) {
            const uintptr_t lo = std::stoull(line.substr(0, dash), nullptr, 16);
            const uintptr_t hi = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
            inside = addr >= lo && addr < hi;
        } else if (inside && line.rfind("VmFlags:", 0) == 0) {
            return line;
        }
    }
    return {};
}

}  // namespace

class TestBlockCache : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        if (const char* env = std::getenv("DIFFII_BLOCK_CACHE"); env && std::string(env) == "0")
            QSKIP("DIFFII_BLOCK_CACHE=0: LibTorch's own allocator is in use");
        QVERIFY2(diffii::blockCacheStats().installed, "prepareProcess() did not install the block cache");
    }

    void reusesAFreedBlock() {
        diffii::releaseCachedBlocks();
        const auto before = diffii::blockCacheStats();
        QCOMPARE(before.cachedBytes, size_t(0));
        auto a = bytes(3 * kMiB + 12345);
        void* p = a.data_ptr();
        a.fill_(7);
        a = torch::Tensor();
        const auto freed = diffii::blockCacheStats();
        QVERIFY(freed.cachedBytes >= size_t(3 * kMiB + 12345));
        QCOMPARE(freed.liveBytes, before.liveBytes);
        // Same size, then a little smaller (within a quarter): the same block both times, and usable.
        auto b = torch::ones({3 * kMiB + 12345}, torch::kUInt8);
        QCOMPARE(b.data_ptr(), p);
        QCOMPARE(b.min().item<int>(), 1);  // (a sum would make an int64 copy: another block)
        QCOMPARE(b.max().item<int>(), 1);
        b = torch::Tensor();
        auto c = bytes(3 * kMiB);
        QCOMPARE(c.data_ptr(), p);
        const auto after = diffii::blockCacheStats();
        QCOMPARE(after.hits, before.hits + 2);
        QCOMPARE(after.misses, before.misses + 1);
        c = torch::Tensor();
        // Much smaller: not that block (it would hold pages the tensor never uses).
        auto d = bytes(kMiB + 1);
        QVERIFY(d.data_ptr() != p);
        QCOMPARE(diffii::blockCacheStats().misses, before.misses + 2);
    }

    void smallTensorsStayOutside() {
        const auto before = diffii::blockCacheStats();
        {
            auto t = bytes(diffii::kMinCachedBlock - 1);
            QCOMPARE(diffii::blockCacheStats().liveBytes, before.liveBytes);
        }
        QCOMPARE(diffii::blockCacheStats().cachedBytes, before.cachedBytes);
        QCOMPARE(diffii::blockCacheStats().misses, before.misses);
    }

    void newBlocksNeverRaiseThePeak() {
        diffii::releaseCachedBlocks();
        { auto a = bytes(8 * kMiB), b = bytes(16 * kMiB); }
        auto s = diffii::blockCacheStats();
        QVERIFY(s.cachedBytes >= size_t(24 * kMiB));
        // A block the cache cannot serve that fits under the high-water mark keeps as much cache as still fits.
        auto c = bytes(2 * kMiB);
        auto t = diffii::blockCacheStats();
        QVERIFY(t.liveBytes + t.cachedBytes <= std::max(s.liveHighWater, t.liveBytes));
        // One that takes the process past its high-water mark: every cached block goes first.
        const int64_t beyond = int64_t(t.liveHighWater - t.liveBytes) + 4 * kMiB;
        auto big = bytes(beyond);  // not touched: no pages
        const auto u = diffii::blockCacheStats();
        QCOMPARE(u.cachedBytes, size_t(0));
        QCOMPARE(u.liveHighWater, u.liveBytes);
    }

    void largeBlocksAskForHugePages() {
        if (const char* env = std::getenv("DIFFII_HUGE_PAGES"); env && std::string(env) == "0")
            QSKIP("DIFFII_HUGE_PAGES=0");
        diffii::releaseCachedBlocks();
        // 2 MiB or more: on a 2 MiB boundary, advised for transparent huge pages (smaps flag "hg"), and usable to
        // its last byte (the tail past the last whole huge page stays mapped).
        auto big = bytes(6 * kMiB + 12345);
        QCOMPARE(reinterpret_cast<uintptr_t>(big.data_ptr()) % uintptr_t(2 * kMiB), uintptr_t(0));
        const auto flags = vmFlagsAt(big.data_ptr());
        QVERIFY2(flags.find(" hg") != std::string::npos, flags.c_str());
        big.fill_(3);
        QCOMPARE(big[big.numel() - 1].item<int>(), 3);
        // Smaller: a plain mapping, no advice.
        auto small = bytes(kMiB + 1);
        const auto smallFlags = vmFlagsAt(small.data_ptr());
        QVERIFY2(!smallFlags.empty() && smallFlags.find(" hg") == std::string::npos, smallFlags.c_str());
    }

    void freesFromAnyThreadAndRawBlocks() {
        diffii::releaseCachedBlocks();
        const auto before = diffii::blockCacheStats();
        auto t = bytes(5 * kMiB);
        std::thread([moved = std::move(t)]() mutable { moved = torch::Tensor(); }).join();
        QCOMPARE(diffii::blockCacheStats().liveBytes, before.liveBytes);
        QVERIFY(diffii::blockCacheStats().cachedBytes >= size_t(5 * kMiB));
        // raw_allocate / raw_deallocate, which some LibTorch kernels use for scratch space.
        auto* alloc = c10::GetCPUAllocator();
        void* raw = alloc->raw_allocate(5 * kMiB);
        QCOMPARE(diffii::blockCacheStats().hits, before.hits + 1);
        alloc->raw_deallocate(raw);
        void* small = alloc->raw_allocate(1000);
        alloc->raw_deallocate(small);
        diffii::releaseCachedBlocks();
        QCOMPARE(diffii::blockCacheStats().cachedBytes, size_t(0));
        QCOMPARE(diffii::blockCacheStats().liveBytes, before.liveBytes);
    }
};

DIFFII_TEST_MAIN(TestBlockCache, Core)
}  // namespace DIFFII_UNIT
#include "test_block_cache.moc"
