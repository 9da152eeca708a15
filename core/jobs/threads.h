// The number of compute threads LibTorch uses for one job. Default: $DIFFII_THREADS when set, else every core the
// process may run on. On a machine where another process competes for the cores, one thread stays steady while
// two busy threads can collapse; DIFFII_THREADS=1 (or --threads 1) is the remedy.
#pragma once

namespace diffii {

// requested <= 0: the default above. Returns the number now in effect. Throws diffii::Error for a malformed
// DIFFII_THREADS.
int configureComputeThreads(int requested = 0);

}  // namespace diffii
