#include "core/models/winograd_kernels.h"

#include <cstring>

#include "core/models/attention_kernels.h"

namespace diffii {

namespace {

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx2,fma")
namespace avx512 {
#include "core/models/winograd_rows.inc"
}  // namespace avx512
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
#include "core/models/winograd_rows.inc"
}  // namespace avx2
#pragma GCC pop_options

namespace baseline {
#include "core/models/winograd_rows.inc"
}  // namespace baseline

using InputRows = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float*,
                           int64_t, float*);
using OutputRows = void (*)(const float*, int64_t, float, float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                            int64_t, int64_t, float*);

using KernelRows = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, float*, float*);

struct Transforms {
    const char* isa;
    InputRows input;
    OutputRows output;
    KernelRows kernel;
};

Transforms byIsa(const char* isa) {
    if (std::strcmp(isa, "avx512") == 0)
        return Transforms{"avx512", avx512::inputRows, avx512::outputRows, avx512::kernelRows};
    if (std::strcmp(isa, "avx2") == 0) return Transforms{"avx2", avx2::inputRows, avx2::outputRows, avx2::kernelRows};
    return Transforms{"baseline", baseline::inputRows, baseline::outputRows, baseline::kernelRows};
}

Transforms& transforms() {
    static Transforms t = byIsa(attentionKernelIsa());
    return t;
}

}  // namespace

void winogradInputRows(const float* x, int64_t cin, int64_t c, int64_t h, int64_t w, int64_t th, int64_t tw, int64_t g0,
                       int64_t g1, float* v, int64_t pStride, float* buf) {
    transforms().input(x, cin, c, h, w, th, tw, g0, g1, v, pStride, buf);
}

int64_t winogradInputBufferFloats(int64_t tw) { return 4 * (2 * tw + 2); }

void winogradOutputRows(const float* m, int64_t pStride, float bias, float* y, int64_t cout, int64_t co, int64_t h,
                        int64_t w, int64_t th, int64_t tw, int64_t g0, int64_t g1, float* buf) {
    transforms().output(m, pStride, bias, y, cout, co, h, w, th, tw, g0, g1, buf);
}

int64_t winogradOutputBufferFloats(int64_t tw) { return 4 * tw; }

void winogradKernelRows(const float* g, int64_t co0, int64_t co1, int64_t cout, int64_t cin, float* u, float* buf) {
    transforms().kernel(g, co0, co1, cout, cin, u, buf);
}

const char* winogradUseIsaForTest(const char* isa) {
    const char* before = transforms().isa;
    transforms() = byIsa(isa);
    return before;
}

}  // namespace diffii
