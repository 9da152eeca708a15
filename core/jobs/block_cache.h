// Reuse of large CPU tensor blocks. LibTorch's CPU allocator hands every tensor to malloc; glibc serves the large ones
// (activations of megabytes to hundreds of megabytes) from fresh mappings, so every UNet or VAE call touches its
// activations' pages for the first time again: the kernel zeroes each 4 KiB page on its first write. On the 2-core
// machine class (Xeon f6 m207) a whole SD 1.5 image at 512x512 spent 20-30% of its run time in the kernel doing
// that (perf: clear_page_erms, page faults, memory-cgroup charging).
//
// The block cache keeps freed blocks of kMinCachedBlock bytes or more mapped and hands them to the next request of
// (about) the same size; smaller ones go to LibTorch's own allocator. Memory stays where it was without the cache:
// before a new block is mapped, cached blocks are unmapped (oldest first) until the process holds no more than the
// most it has ever held in live large blocks, so the peak resident size does not grow. releaseCachedBlocks() hands
// the free blocks back (the GUI's engine after 15 s idle), so an idle application does not sit on a decode's worth
// of free memory.
//
// Blocks of 2 MiB or more start on a 2 MiB boundary and are advised for transparent huge pages (MADV_HUGEPAGE; the
// kernel's "madvise" mode, Debian's default): the first touch of a block, and every load of the weights, costs one
// page fault per 2 MiB instead of one per 4 KiB, and the TLB covers more. `diffii pair`, SD 1.5 at 256x256, 3 + 3
// steps: 34.5 -> 21.2 s, 2.15 M -> 0.17 M page faults, 20.6 -> 9.4 s of system time, same peak (AMD EPYC family 26
// model 2). DIFFII_HUGE_PAGES=0 maps them with small pages (for comparisons).
#pragma once

#include <cstddef>
#include <cstdint>

namespace diffii {

constexpr size_t kMinCachedBlock = size_t(1) << 20;

// Makes the block cache LibTorch's CPU allocator. Called by prepareProcess (core/jobs/threads.h) before any tensor
// is made; DIFFII_BLOCK_CACHE=0 leaves LibTorch's allocator in place (for comparisons). Returns whether it is in use.
bool installBlockCache();

struct BlockCacheStats {
    bool installed = false;
    bool hugePages = false;    // blocks of 2 MiB or more are advised for transparent huge pages
    uint64_t hits = 0;         // large requests served from the cache
    uint64_t misses = 0;       // large requests that mapped a new block
    size_t liveBytes = 0;      // large blocks in tensors now
    size_t cachedBytes = 0;    // free large blocks kept mapped
    size_t liveHighWater = 0;  // the most liveBytes has been
};
BlockCacheStats blockCacheStats();

// Unmaps every cached block and returns the heap's free pages to the system (end of a job, or before a
// measurement).
void releaseCachedBlocks();

// Large blocks that are not tensors: oneDNN reorders each convolution's weights into its own layout on every call,
// into a buffer it mallocs and frees (56 MiB for one of SD 1.5's 1280-channel 3x3 convolutions), and glibc maps and
// unmaps each of those, so every call faults all of their pages in again. prepareProcess therefore has glibc serve
// every block from its heap (M_MMAP_MAX 0, a 512 MiB trim threshold), where a freed buffer is reused: SD 1.5 float32
// UNet call 13.8 -> 12.6 s median (system time of three calls and the load 22 -> 9 s), SD 1.5 draft previews 3-5
// steps instead of 2-3 in the same budget; a whole 512x512 image peaks at the same resident size (Xeon f6 m207).
// Training is the exception: autograd keeps activations of many sizes alive across the step, the heap fragments (SD 1.5
// at 512x512: 12.8 GB peak against 9.6 GB) — so a training job holds a LargeBlocksMapped for its duration, which maps
// large blocks again and returns the heap's free pages when it starts. MALLOC_MMAP_MAX_ set by the user is kept.
void serveLargeBlocksFromHeap();

class LargeBlocksMapped {
public:
    LargeBlocksMapped();
    ~LargeBlocksMapped();
    LargeBlocksMapped(const LargeBlocksMapped&) = delete;
    LargeBlocksMapped& operator=(const LargeBlocksMapped&) = delete;
};

}  // namespace diffii
