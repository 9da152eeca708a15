#include "core/jobs/threads.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <dlfcn.h>
#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include "core/io/error.h"
#include "core/jobs/block_cache.h"
#include "core/jobs/env_switch.h"

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

constexpr const char* kBlasRestartVariable = "DIFFII_BLAS_DETECTED";  // what OpenBLAS took before the restart

// OpenBLAS kernel sets with AVX2 and FMA (or better) in 0.3.21's x86_64 DYNAMIC_ARCH list; anything else on a CPU
// with AVX2 is a fallback of its detection.
bool hasAvx2Kernels(std::string core) {
    std::transform(core.begin(), core.end(), core.begin(), [](unsigned char ch) { return std::tolower(ch); });
    for (const char* good : {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids", "excavator"})
        if (core == good) return true;
    return false;
}

}  // namespace

std::string blasCoreName() {
    using CoreName = char* (*)();
    static const auto corename = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    if (!corename) return {};
    const char* name = corename();
    return name ? name : "";
}

void selectBlasKernels(char** argv) {
    if (const char* set = std::getenv("OPENBLAS_CORETYPE"); set && *set) return;  // the user's, or ours: done
    const std::string core = blasCoreName();
    if (core.empty() || hasAvx2Kernels(core)) return;
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return;
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                        __builtin_cpu_supports("avx512cd");
    setenv("OPENBLAS_CORETYPE", avx512 ? "SkylakeX" : "Haswell", 1);
    setenv(kBlasRestartVariable, core.c_str(), 1);
    std::fflush(nullptr);
    execv("/proc/self/exe", argv);
    // Still here: the restart failed. Run on with the kernels OpenBLAS has, and say nothing was changed.
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv(kBlasRestartVariable);
}

void prepareProcess(char** argv) {
    selectBlasKernels(argv);
    if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 1 << 20);
    installBlockCache();
    serveLargeBlocksFromHeap();
}

std::string describeBlasKernels() {
    const std::string core = blasCoreName();
    if (core.empty()) return "not OpenBLAS";
    std::string text = "OpenBLAS " + core + " kernels";
    const char* detected = std::getenv(kBlasRestartVariable);
    const char* forced = std::getenv("OPENBLAS_CORETYPE");
    if (detected && *detected && forced && *forced)
        text += std::string(" (OpenBLAS took ") + detected +
                " on this CPU; restarted with OPENBLAS_CORETYPE=" + forced + ")";
    else if (forced && *forced)
        text += std::string(" (OPENBLAS_CORETYPE=") + forced + " set by the user)";
    else if (!hasAvx2Kernels(core))
        text += " (no AVX2 kernels)";
    return text;
}

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

bool splitGuidanceBatch(int64_t unetParameters) {
    static const bool allowed = !switchedOffByEnv("DIFFII_SPLIT_BATCH");
    return allowed && unetParameters < kSmallModelParameters;
}

bool halvesOnTwoThreads() { return !g_chosen.load() && g_default.load() >= 2 && at::get_num_threads() == 1; }

void prepareHelperComputeThread() {
    if (at::get_num_threads() != 1) at::set_num_threads(1);
    at::globalContext().setFlushDenormal(true);
}

std::string describeThreadPlan() {
    if (g_default.load() == 0) configureComputeThreads();
    const int n = g_default.load();
    std::string plan = std::to_string(n) + " LibTorch thread" + (n == 1 ? "" : "s");
    if (g_chosen.load()) return plan + " for every model (DIFFII_THREADS or --threads); OpenBLAS on the calling thread";
    return plan +
           " for full-size models, 1 for a UNet under 50 M parameters (steadier when another process "
           "competes), with the two halves of its guidance batch on two threads" +
           (n >= 2 ? std::string() : std::string(" (not here: one core)")) +
           "; OpenBLAS on the calling thread; DIFFII_THREADS overrides";
}

}  // namespace diffii
