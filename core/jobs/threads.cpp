#include "core/jobs/threads.h"

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include <dlfcn.h>
#include <sched.h>

#include <ATen/Parallel.h>

#include "core/io/error.h"

namespace diffii {

namespace {
std::atomic<bool> g_chosen{false};  // threads set by DIFFII_THREADS or an explicit request
std::atomic<int> g_default{0};      // what configureComputeThreads settled on

// LibTorch sets OpenMP's (and MKL's) threads but not OpenBLAS's, whose pthread pool (Debian's libopenblas0-pthread)
// splits every large enough matrix product over all cores and then busy-waits between calls: with LibTorch on one
// thread, one core stayed 100% busy spinning. Found by name, so a build against another BLAS runs unchanged.
void setBlasThreads(int n) {
    using SetThreads = void (*)(int);
    static const auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (set) set(n);
}

}  // namespace

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
    setBlasThreads(n);
    return at::get_num_threads();
}

int configureThreadsForModel(int64_t unetParameters) {
    if (g_default.load() == 0) configureComputeThreads();
    const int n = !g_chosen.load() && unetParameters < kSmallModelParameters ? 1 : g_default.load();
    if (at::get_num_threads() != n) at::set_num_threads(n);
    setBlasThreads(n);
    return at::get_num_threads();
}

}  // namespace diffii
