#include "core/jobs/threads.h"

#include <cstdlib>
#include <string>
#include <thread>

#include <sched.h>

#include <ATen/Parallel.h>

#include "core/io/error.h"

namespace diffii {

int configureComputeThreads(int requested) {
    int n = requested;
    if (n <= 0) {
        if (const char* env = std::getenv("DIFFII_THREADS"); env && *env) {
            char* end = nullptr;
            const long v = std::strtol(env, &end, 10);
            if (*end != '\0' || v <= 0 || v > 1024)
                throw Error(std::string("DIFFII_THREADS='") + env + "' is not a positive number of threads");
            n = static_cast<int>(v);
        }
    }
    if (n <= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
        if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
        if (n <= 0) n = 1;
    }
    at::set_num_threads(n);
    return at::get_num_threads();
}

}  // namespace diffii
