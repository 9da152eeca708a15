#include "core/jobs/threads.h"

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include <dlfcn.h>
#include <sched.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include "core/io/error.h"

namespace diffii {

namespace {
std::atomic<bool> g_chosen{false};  // threads set by DIFFII_THREADS or an explicit request
std::atomic<int> g_default{0};      // what configureComputeThreads settled on

// LibTorch sets OpenMP's (and MKL's) threads but not OpenBLAS's. Debian's libopenblas0-pthread has a pool of its
// own that splits large enough matrix products over every core on top of LibTorch's OpenMP threads, and busy-waits
// between calls: the cores are oversubscribed. Measured on the 2-core machine class with LibTorch on two threads:
// SD 1.5 UNet call in float32 12.0 s with OpenBLAS on one thread against 15.8 s on two (bfloat16: 3.7 / 3.9 s); the
// tiny UNet's preview 0.22 s against 0.57 s. So OpenBLAS runs on the calling thread, always. Found by name, so a
// build against another BLAS runs unchanged.
void setBlasThreads(int n) {
    using SetThreads = void (*)(int);
    static const auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (set) set(n);
}

}  // namespace

void flushDenormalsOnComputeThreads() {
    at::globalContext().setFlushDenormal(true);
    at::parallel_for(0, at::get_num_threads(), 1, [](int64_t, int64_t) { at::globalContext().setFlushDenormal(true); });
}

int configureComputeThreads(int requested) {
    int n = requested;
    bool chosen = requested > 0;
    if (n <= 0) {
        if (const char* env = std::getenv("DIFFII_THREADS"); env && *env) {
            char* end = nullptr;
            const long v = std::strtol(env, &end, 10);
            if (*end != '\0' || v <= 0 || v > 1024)
                throw Error(std::string("DIFFII_THREADS='") + env + "' is not a positive number of threads");
            n = static_cast<int>(v);
            chosen = true;
        }
    }
    if (n <= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
        if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
        if (n <= 0) n = 1;
    }
    g_chosen = chosen;
    g_default = n;
    at::set_num_threads(n);
    setBlasThreads(1);
    flushDenormalsOnComputeThreads();
    return at::get_num_threads();
}

int configureThreadsForModel(int64_t unetParameters) {
    if (g_default.load() == 0) configureComputeThreads();
    const int n = !g_chosen.load() && unetParameters < kSmallModelParameters ? 1 : g_default.load();
    if (at::get_num_threads() != n) at::set_num_threads(n);
    flushDenormalsOnComputeThreads();
    return at::get_num_threads();
}

std::string describeThreadPlan() {
    if (g_default.load() == 0) configureComputeThreads();
    const int n = g_default.load();
    std::string plan = std::to_string(n) + " LibTorch thread" + (n == 1 ? "" : "s");
    if (g_chosen.load()) return plan + " for every model (DIFFII_THREADS or --threads); OpenBLAS on the calling thread";
    return plan +
           " for full-size models, 1 for a UNet under 50 M parameters (steadier when another process "
           "competes); OpenBLAS on the calling thread; DIFFII_THREADS overrides";
}

}  // namespace diffii
