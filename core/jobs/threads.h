// The number of compute threads LibTorch uses for one job. Default: $DIFFII_THREADS when set, else every core the
// process may run on. On a machine where another process competes for the cores, one thread stays steady while
// two busy threads can collapse; DIFFII_THREADS=1 (or --threads 1) is the remedy.
#pragma once

#include <cstdint>

namespace diffii {

// requested <= 0: the default above. Returns the number now in effect. Throws diffii::Error for a malformed
// DIFFII_THREADS.
int configureComputeThreads(int requested = 0);

// Called on the thread that computes, once a model is loaded. Unless the number of threads was chosen (DIFFII_THREADS
// or a request to configureComputeThreads), a small model (a UNet under kSmallModelParameters: the embedded default,
// test models) computes on one thread: its operations are too small to pay for splitting them, and measured on the
// 2-core machine class one thread ran the tiny UNet 3x faster than two (10.5 vs 34 ms a batch-2 call) and concept
// training 2.5x faster. Larger models keep the default. LibTorch's thread count is per thread, so this affects the
// calling thread only. Returns the number now in effect there.
constexpr int64_t kSmallModelParameters = 50'000'000;
int configureThreadsForModel(int64_t unetParameters);

}  // namespace diffii
