#include "core/models/attention_kernels.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include <immintrin.h>

namespace diffii {

namespace {

// exp(x) for x <= 0 (softmax's range; larger x is not clamped). Range reduction x = n ln2 + r with n rounded by the
// 1.5 * 2^23 trick, ln2 split in two (Cephes' C1, C2), then Cephes' degree-6 polynomial for exp(r) and 2^n from the
// exponent bits. x below -87 returns exp(-87) ~ 1.6e-38: a softmax term that small is 0 next to the row maximum's 1.
// NaN stays NaN. Written once per instruction set with the same operations in the same order: scalar, AVX2, AVX-512.
constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
constexpr float kLog2e = 1.44269504088896341f, kC1 = 0.693359375f, kC2 = -2.12194440e-4f;
constexpr float kP[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                         4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

// GELU's Gaussian CDF through erfc (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7 in erf): Phi(g) = q / 2 for
// g <= 0 and 1 - q / 2 above, q = (a1 t + ... + a5 t^5) exp(-g^2 / 2), t = 1 / (1 + p |g| / sqrt 2). The tail is
// computed directly, so a large negative g keeps its small relative value instead of 1 + erf's cancellation.
constexpr float kErfP = 0.3275911f, kInvSqrt2 = 0.70710678118654752f;
constexpr float kErfA[5] = {0.254829592f, -0.284496736f, 1.421413741f, -1.453152027f, 1.061405429f};

float expScalar(float x);

float geluScalar(float g) {
    const float negAbs = g < 0 ? g : -g;
    const float t = 1.0f / (1.0f - negAbs * (kErfP * kInvSqrt2));
    float poly = kErfA[4];
    for (int i = 3; i >= 0; --i) poly = poly * t + kErfA[i];
    poly = poly * t;
    const float half = poly * expScalar(negAbs * negAbs * -0.5f) * 0.5f;
    return g * (g > 0 ? 1.0f - half : half);
}

float expScalar(float x) {
    x = x < -87.0f ? -87.0f : x;
    const float shifted = x * kLog2e + kMagic;
    const float n = shifted - kMagic;
    int32_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    float r = x - n * kC1;
    r = r - n * kC2;
    float p = kP[0];
    for (int i = 1; i < 6; ++i) p = p * r + kP[i];
    p = p * r * r + r + 1.0f;
    const int32_t scaleBits = (bits - (0x4B400000 - 127)) << 23;
    float scale;
    std::memcpy(&scale, &scaleBits, sizeof scale);
    return p * scale;
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx2,fma")
// GCC 12's _mm512_max_ps passes an undefined vector as its unused mask source: a false -Wmaybe-uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
namespace avx512 {
struct Ops {
    using V = __m512;
    static constexpr int kLanes = 16;
    static inline V set(float x) { return _mm512_set1_ps(x); }
    static inline V load(const float* p) { return _mm512_loadu_ps(p); }
    static inline void store(float* p, V v) { _mm512_storeu_ps(p, v); }
    static inline V max(V a, V b) { return _mm512_max_ps(a, b); }  // MAXPS: b where either is NaN
    static inline V add(V a, V b) { return _mm512_add_ps(a, b); }
    static inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static inline float reduceMax(V v) { return _mm512_reduce_max_ps(v); }
    static inline float reduceAdd(V v) { return _mm512_reduce_add_ps(v); }
    static inline V sub(V a, V b) { return _mm512_sub_ps(a, b); }
    static inline V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    static inline V fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a b
    static inline V div(V a, V b) { return _mm512_div_ps(a, b); }
    static inline V negAbs(V a) { return _mm512_or_ps(a, _mm512_set1_ps(-0.0f)); }  // -|a|
    // a > 0 ? yes : no
    static inline V select(V a, V yes, V no) {
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_GT_OQ), no, yes);
    }
    // 2^n from x n-rounded by the magic number (its low mantissa bits hold n): (n + 127) << 23 as a float.
    static inline V pow2(V shifted) {
        const __m512i n = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000 - 127));
        return _mm512_castsi512_ps(_mm512_slli_epi32(n, 23));
    }
};
#include "core/models/attention_kernels_rows.inc"
}  // namespace avx512
#pragma GCC diagnostic pop
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
struct Ops {
    using V = __m256;
    static constexpr int kLanes = 8;
    static inline V set(float x) { return _mm256_set1_ps(x); }
    static inline V load(const float* p) { return _mm256_loadu_ps(p); }
    static inline void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    static inline V max(V a, V b) { return _mm256_max_ps(a, b); }
    static inline V add(V a, V b) { return _mm256_add_ps(a, b); }
    static inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static inline float reduceMax(V v) {
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
        return _mm_cvtss_f32(m);
    }
    static inline float reduceAdd(V v) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        return _mm_cvtss_f32(s);
    }
    static inline V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    static inline V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    static inline V fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
    static inline V div(V a, V b) { return _mm256_div_ps(a, b); }
    static inline V negAbs(V a) { return _mm256_or_ps(a, _mm256_set1_ps(-0.0f)); }
    static inline V select(V a, V yes, V no) {
        return _mm256_blendv_ps(no, yes, _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_GT_OQ));
    }
    static inline V pow2(V shifted) {
        const __m256i n = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000 - 127));
        return _mm256_castsi256_ps(_mm256_slli_epi32(n, 23));
    }
};
#include "core/models/attention_kernels_rows.inc"
}  // namespace avx2
#pragma GCC pop_options

void expRowsBaseline(float* scores, int64_t rows, int64_t cols, int64_t stride, float scale, float* invSum) {
    for (int64_t r = 0; r < rows; ++r) {
        float* row = scores + r * stride;
        float mx = -__builtin_inff();
        for (int64_t j = 0; j < cols; ++j) mx = row[j] > mx ? row[j] : mx;
        const float offset = -mx * scale;
        float sum = 0.0f;
        for (int64_t j = 0; j < cols; ++j) {
            row[j] = expScalar(row[j] * scale + offset);
            sum += row[j];
        }
        invSum[r] = 1.0f / sum;
    }
}

void gegluRowBaseline(const float* hidden, const float* gate, float* out, int64_t n) {
    for (int64_t j = 0; j < n; ++j) out[j] = hidden[j] * geluScalar(gate[j]);
}

using ExpRows = void (*)(float*, int64_t, int64_t, int64_t, float, float*);
using GegluRow = void (*)(const float*, const float*, float*, int64_t);

struct Chosen {
    ExpRows fn;
    const char* isa;
    GegluRow geglu;
};

bool supports(const std::string& isa) {
    __builtin_cpu_init();
    if (isa == "avx512")
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return isa == "baseline";
}

Chosen byName(const std::string& isa) {
    if (isa == "avx512") return {avx512::expRows, "avx512", avx512::gegluRow};
    if (isa == "avx2") return {avx2::expRows, "avx2", avx2::gegluRow};
    return {expRowsBaseline, "baseline", gegluRowBaseline};
}

Chosen choose() {
    const char* capability = std::getenv("ATEN_CPU_CAPABILITY");
    const std::string cap = capability ? capability : "";
    for (const char* isa : {"avx512", "avx2"}) {
        if (std::string(isa) == "avx512" && (cap == "avx2" || cap == "default")) continue;
        if (std::string(isa) == "avx2" && cap == "default") continue;
        if (supports(isa)) return byName(isa);
    }
    return byName("baseline");
}

const Chosen& chosen() {
    static const Chosen c = choose();
    return c;
}

}  // namespace

void expRowsInPlace(float* scores, int64_t rows, int64_t cols, int64_t stride, float scale, float* invSum) {
    chosen().fn(scores, rows, cols, stride, scale, invSum);
}

float kernelExp(float x) {
    // The vector form the CPU runs (its FMAs round differently from the scalar tail's separate products).
    alignas(64) float lanes[16];
    for (float& l : lanes) l = x;
    float inv;
    if (std::strcmp(chosen().isa, "baseline") == 0) return expScalar(x);
    lanes[0] = 0.0f;  // the row maximum: exp(1 * (x - 0)) in lanes 1..15
    chosen().fn(lanes, 1, 16, 16, 1.0f, &inv);
    return lanes[1];
}

const char* attentionKernelIsa() { return chosen().isa; }

bool attentionKernelRunsHere(const char* isa) { return supports(isa); }

namespace {
void gegluRowsBy(GegluRow fn, const float* proj, int64_t rows, int64_t inner, float* out) {
    for (int64_t r = 0; r < rows; ++r) fn(proj + r * 2 * inner, proj + r * 2 * inner + inner, out + r * inner, inner);
}
}  // namespace

void gegluRows(const float* proj, int64_t rows, int64_t inner, float* out) {
    gegluRowsBy(chosen().geglu, proj, rows, inner, out);
}

bool gegluRowsWith(const char* isa, const float* proj, int64_t rows, int64_t inner, float* out) {
    if (!supports(isa)) return false;
    gegluRowsBy(byName(isa).geglu, proj, rows, inner, out);
    return true;
}

bool expRowsInPlaceWith(const char* isa, float* scores, int64_t rows, int64_t cols, int64_t stride, float scale,
                        float* invSum) {
    if (!supports(isa)) return false;
    byName(isa).fn(scores, rows, cols, stride, scale, invSum);
    return true;
}

}  // namespace diffii
