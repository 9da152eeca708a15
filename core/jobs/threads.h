// The number of compute threads LibTorch uses for one job. Default: $DIFFII_THREADS when set, else every core the
// process may run on. On a machine where another process competes for the cores, one thread stays steady while
// two busy threads can collapse; DIFFII_THREADS=1 (or --threads 1) is the remedy.
#pragma once

#include <cstdint>
#include <string>

namespace diffii {

// requested <= 0: the default above. Returns the number now in effect. Throws diffii::Error for a malformed
// DIFFII_THREADS.
int configureComputeThreads(int requested = 0);

// Called on the thread that computes, once a model is loaded. Unless the number of threads was chosen (DIFFII_THREADS
// or a request to configureComputeThreads), a small model (a UNet under kSmallModelParameters: the embedded default,
// test models) computes on one thread. On a quiet 2-core machine two threads run its previews 1.3x faster (0.22 s
// against 0.29 s for 25 steps), but with one core taken by another process they collapse to 0.7 s while one thread
// stays at 0.29 s: for an interactive preview, the steady figure wins. Full-size models keep every core (SD 1.5
// bfloat16 UNet call 3.9 s on two threads, 6.7 s on one). LibTorch's thread count is per thread, so this affects
// the calling thread only. Returns the number now in effect there. OpenBLAS always runs on the calling thread
// (see threads.cpp).
// Denormal floats made a training step 47x slower on this machine class. Flushing them is a flag of each thread's
// MXCSR register, so this sets it on the calling thread and on every thread of LibTorch's intra-op pool (one chunk
// per thread). Called by configureComputeThreads and configureThreadsForModel.
void flushDenormalsOnComputeThreads();

// One line for `diffii info --system`: the threads a full-size and a small model get, and why.
std::string describeThreadPlan();

// OpenBLAS chooses its kernels from the CPU model when it is loaded. Debian 12's OpenBLAS 0.3.21 does not know
// newer CPUs and falls back to its Prescott (SSE3) kernels: on an Intel Xeon family 6 model 207 (AVX-512, AVX512_BF16)
// every matrix product LibTorch sends to OpenBLAS (small convolutions, linears, attention products, training's
// backward) ran on them; the demo's six preview moves took 4.8 s against 3.5 s with its SkylakeX kernels. Called
// first thing in main(), before any thread starts: when the kernels in use lack AVX2 on a CPU that has AVX2 and FMA,
// this sets OPENBLAS_CORETYPE (SkylakeX with AVX-512F/BW/VL/DQ/CD, else Haswell) and executes the program again with
// the same arguments. OPENBLAS_CORETYPE set by the user is kept, so is every CPU OpenBLAS recognises. Returns normally
// when nothing needs doing, when the BLAS is not OpenBLAS, or when the new execution fails (the program then runs on
// with the kernels it has).
void selectBlasKernels(char** argv);

// What every main() of the project calls first: selectBlasKernels(argv), then the heap's rule for large blocks.
// glibc serves a block of 128 KiB or more from its own mapping, but raises that threshold (up to 32 MiB) each time
// such a block is freed, after which large tensors come from the heap and their pages stay with the process when
// freed: a whole SD 1.5 image at 512x512 peaked at 5,309 MiB that way, 4,774 MiB with the threshold held at 1 MiB
// (M_MMAP_THRESHOLD, which also turns the raising off; Xeon f6 m207, same run time). MALLOC_MMAP_THRESHOLD_ set by
// the user is kept. Then LibTorch's CPU tensors of 1 MiB or more go to the block cache (core/jobs/block_cache.h).
void prepareProcess(char** argv);

// "OpenBLAS SkylakeX kernels (OpenBLAS took Prescott on this CPU; restarted with OPENBLAS_CORETYPE=SkylakeX)",
// "OpenBLAS Haswell kernels", or "not OpenBLAS" — for `diffii info --system` and the benchmarks.
std::string describeBlasKernels();

// The kernel set OpenBLAS uses ("SkylakeX", "Haswell", "Zen", "Prescott"), "" when the BLAS is not OpenBLAS.
std::string blasCoreName();

constexpr int64_t kSmallModelParameters = 50'000'000;
int configureThreadsForModel(int64_t unetParameters);

// Whether a UNet call of this model without autograd computes its batch (a guidance batch: unconditional and
// conditional halves) as two halves: for every small model (under kSmallModelParameters) unless DIFFII_SPLIT_BATCH
// is 0. A small model's call is mostly per-operation overhead, which a second LibTorch thread does not share out but
// a second half on its own thread does (halvesOnTwoThreads). The halves are computed whether or not a second thread
// is there, so that an image does not depend on the machine: a one-CPU cluster task and a two-core desktop write the
// same bytes. Embedded model, CFG call (batch 2, 16x16 latents; Xeon f6 m207): 24.2 ms batched, 16.7 ms as two
// halves on two threads, 14-17 ms for one half alone.
bool splitGuidanceBatch(int64_t unetParameters);

// Whether the two halves run at once, the second on a helper thread: the calling thread computes on one LibTorch
// thread (configureThreadsForModel: a small model, threads not chosen) and the process may use two cores or more.
// With the second core taken by another process the halves take turns on one core, slower than one batched call
// but without the collapse of two LibTorch threads waiting on each other (the caller blocks on the helper's result).
bool halvesOnTwoThreads();

// Prepares a helper thread that computes beside the calling one (halvesOnTwoThreads): one LibTorch thread,
// denormals flushed.
void prepareHelperComputeThread();

// The same rule for a cluster task (core/jobs/slurm.h), which asks the scheduler for its CPUs and computes on as
// many threads: one for a small model; kFullSizeTaskCpus for a full-size one, whose UNet call gains from a second
// thread (3.9 s against 6.7 s) but whose task should stay small enough to be scheduled beside others.
constexpr int kFullSizeTaskCpus = 4;
inline int defaultTaskCpus(int64_t unetParameters) {
    return unetParameters < kSmallModelParameters ? 1 : kFullSizeTaskCpus;
}

}  // namespace diffii
