#include "core/jobs/block_cache.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <malloc.h>
#include <sys/mman.h>

#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#include "core/jobs/env_switch.h"

namespace diffii {

namespace {

constexpr size_t kGranule = size_t(64) << 10;  // block sizes are multiples of 64 KiB: near sizes share blocks
constexpr size_t kHugePage = size_t(2) << 20;  // x86-64's transparent huge page

bool hugePagesWanted() {
    static const bool wanted = !switchedOffByEnv("DIFFII_HUGE_PAGES");
    return wanted;
}

// A new block of `size` bytes (a multiple of 64 KiB). One of 2 MiB or more starts on a 2 MiB boundary and asks for
// transparent huge pages (madvise mode, Debian's default): its first touch then costs one fault per 2 MiB instead of
// one per 4 KiB. The kernel falls back to small pages by itself, and a tail short of 2 MiB gets small pages; the
// resident size is the same for a block written whole (no measured peak grew). MAP_FAILED when the system has no
// memory for it.
void* mapBlock(size_t size) {
    if (size < kHugePage || !hugePagesWanted())
        return mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const size_t span = size + kHugePage - 4096;
    void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return raw;
    const auto base = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t start = (base + kHugePage - 1) & ~(kHugePage - 1);
    if (start > base) munmap(raw, start - base);
    if (base + span > start + size) munmap(reinterpret_cast<void*>(start + size), base + span - (start + size));
    void* p = reinterpret_cast<void*>(start);
    madvise(p, size, MADV_HUGEPAGE);  // a hint: where the kernel refuses, small pages as before
    return p;
}

class BlockCache final : public c10::Allocator {
public:
    explicit BlockCache(c10::Allocator* fallback) : m_fallback(fallback) {}

    // LibTorch 2.3 made allocate() non-const and added copy_data(); 1.13 has the const one and no copy_data.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
    c10::DataPtr allocate(size_t n) override { return allocateBlock(n); }
    void copy_data(void* dest, const void* src, size_t count) const override { std::memcpy(dest, src, count); }
#else
    c10::DataPtr allocate(size_t n) const override { return allocateBlock(n); }
#endif

    c10::DeleterFnPtr raw_deleter() const override { return &BlockCache::deleteBlock; }

    BlockCacheStats stats() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        BlockCacheStats s = m_stats;
        s.installed = true;
        s.hugePages = hugePagesWanted();
        return s;
    }

    void releaseAll() const {
        std::vector<Free> drop;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            drop.swap(m_free);
            m_stats.cachedBytes = 0;
        }
        for (const auto& f : drop) munmap(f.ptr, f.size);
    }

    static BlockCache* instance;

private:
    struct Free {
        void* ptr;
        size_t size;
        uint64_t tick;  // when it was freed: the oldest go first
    };

    c10::DataPtr allocateBlock(size_t n) const {
        if (n < kMinCachedBlock) return m_fallback->allocate(n);
        void* p = take(n);
        return {p, p, &BlockCache::deleteBlock, c10::Device(c10::DeviceType::CPU)};
    }

    static void deleteBlock(void* p) {
        if (p && !instance->give(p)) instance->m_fallback->raw_deleter()(p);
    }

    void* take(size_t n) const {
        const size_t size = (n + kGranule - 1) / kGranule * kGranule;
        std::vector<Free> drop;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            // Best fit among the cached blocks no more than a quarter larger than asked.
            auto best = m_free.end();
            for (auto it = m_free.begin(); it != m_free.end(); ++it)
                if (it->size >= size && it->size <= size + size / 4 && (best == m_free.end() || it->size < best->size))
                    best = it;
            if (best != m_free.end()) {
                void* p = best->ptr;
                const size_t got = best->size;
                m_free.erase(best);
                m_stats.cachedBytes -= got;
                m_stats.liveBytes += got;
                m_stats.liveHighWater = std::max(m_stats.liveHighWater, m_stats.liveBytes);
                m_live.emplace(p, got);
                ++m_stats.hits;
                return p;
            }
            // A new mapping: first unmap cached blocks until live + new + cached fits under the high-water mark
            // (which the new block may raise), so the process never holds more than it would without the cache.
            const size_t liveAfter = m_stats.liveBytes + size;
            const size_t bound = std::max(m_stats.liveHighWater, liveAfter) - liveAfter;
            std::sort(m_free.begin(), m_free.end(), [](const Free& a, const Free& b) { return a.tick < b.tick; });
            size_t cut = 0;
            while (m_stats.cachedBytes > bound && cut < m_free.size()) m_stats.cachedBytes -= m_free[cut++].size;
            drop.assign(m_free.begin(), m_free.begin() + cut);
            m_free.erase(m_free.begin(), m_free.begin() + cut);
            ++m_stats.misses;
        }
        for (const auto& f : drop) munmap(f.ptr, f.size);
        void* p = mapBlock(size);
        if (p == MAP_FAILED) {
            const int err = errno;
            std::lock_guard<std::mutex> lock(m_mutex);
            --m_stats.misses;
            C10_THROW_ERROR(Error, "DefaultCPUAllocator: not enough memory: you tried to allocate " +
                                       std::to_string(n) + " bytes (" + std::strerror(err) + ")");
        }
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stats.liveBytes += size;
        m_stats.liveHighWater = std::max(m_stats.liveHighWater, m_stats.liveBytes);
        m_live.emplace(p, size);
        return p;
    }

    // False when p is not one of the cache's blocks.
    bool give(void* p) const {
        std::lock_guard<std::mutex> lock(m_mutex);
        const auto it = m_live.find(p);
        if (it == m_live.end()) return false;
        const size_t size = it->second;
        m_live.erase(it);
        m_stats.liveBytes -= size;
        m_stats.cachedBytes += size;
        m_free.push_back({p, size, ++m_tick});
        return true;
    }

    c10::Allocator* m_fallback;
    mutable std::mutex m_mutex;
    mutable std::unordered_map<void*, size_t> m_live;
    mutable std::vector<Free> m_free;
    mutable BlockCacheStats m_stats;
    mutable uint64_t m_tick = 0;
};

BlockCache* BlockCache::instance = nullptr;

}  // namespace

bool installBlockCache() {
    if (BlockCache::instance) return true;
    if (switchedOffByEnv("DIFFII_BLOCK_CACHE")) return false;
    // Never destroyed: tensors may be freed during static destruction.
    BlockCache::instance = new BlockCache(c10::GetDefaultCPUAllocator());
    c10::SetCPUAllocator(BlockCache::instance, /*priority=*/1);
    return true;
}

BlockCacheStats blockCacheStats() { return BlockCache::instance ? BlockCache::instance->stats() : BlockCacheStats{}; }

void releaseCachedBlocks() {
    if (BlockCache::instance) BlockCache::instance->releaseAll();
    malloc_trim(0);
}

namespace {
std::mutex g_policyMutex;
int g_mappedScopes = 0;
bool g_heapPolicy = false;  // serveLargeBlocksFromHeap() took effect
constexpr int kGlibcDefaultMmapMax = 65536;
}  // namespace

void serveLargeBlocksFromHeap() {
    if (std::getenv("MALLOC_MMAP_MAX_")) return;
    std::lock_guard<std::mutex> lock(g_policyMutex);
    g_heapPolicy = true;
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    if (g_mappedScopes == 0) mallopt(M_MMAP_MAX, 0);
}

LargeBlocksMapped::LargeBlocksMapped() {
    std::lock_guard<std::mutex> lock(g_policyMutex);
    if (g_mappedScopes++ == 0 && g_heapPolicy) {
        mallopt(M_MMAP_MAX, kGlibcDefaultMmapMax);
        malloc_trim(0);
    }
}

LargeBlocksMapped::~LargeBlocksMapped() {
    std::lock_guard<std::mutex> lock(g_policyMutex);
    if (--g_mappedScopes == 0 && g_heapPolicy) mallopt(M_MMAP_MAX, 0);
}

}  // namespace diffii
