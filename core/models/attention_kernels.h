// The hand-written compute kernels of the attention blocks (core/models/attention.cpp): the softmax of a block of
// float32 attention scores, fused with the scale and without its normalising pass; and the feed-forward's GEGLU gate.
//
// LibTorch 1.13's softmax reads and writes a block three times (max, exp and sum, divide) after a separate pass that
// scales the scores; on SD 1.5 at 64x64 latents those passes over 1.4 G scores took 1.2 s of a 14.6 s float32 UNet
// call on one thread of two (Xeon family 6 model 207). Here each row, 16 KiB at 4,096 keys, stays in the L1 cache
// for two passes (max; exp and sum), and the division moves to the product's output: softmax(s) v = (e v) / sum(e),
// a [queries, head dim] block instead of [queries, keys].
//
// Compiled three times (AVX-512, AVX2+FMA, baseline x86-64) and chosen once from the CPU. The exponential is a
// degree-6 polynomial on [-ln2/2, ln2/2] after the usual range reduction (Cephes' coefficients; < 2 ulp on the
// range softmax uses, measured against std::exp in the attention test).
#pragma once

#include <cstdint>

namespace diffii {

// For each of `rows` rows of `scores` (row r at scores + r * stride, `cols` values): e_j = exp(scale * (s_j - max s)),
// written in place, and invSum[r] = 1 / sum_j e_j. scale > 0. Rows with a non-finite maximum produce NaN, as
// softmax does.
void expRowsInPlace(float* scores, int64_t rows, int64_t cols, int64_t stride, float scale, float* invSum);

// The exponential used above, one value at a time (for the test).
float kernelExp(float x);

// Which compiled version runs here: "avx512", "avx2" or "baseline". ATEN_CPU_CAPABILITY=avx2 (or default) holds it
// to avx2 (baseline), as it holds LibTorch's kernels (core/jobs/precision.h).
const char* attentionKernelIsa();
// Whether this CPU runs the version named `isa` (for the tests of every version).
bool attentionKernelRunsHere(const char* isa);

// GEGLU's gate (diffusers' GEGLU with exact, erf-based GELU): proj holds `rows` rows of [hidden | gate], each half
// `inner` values; out[r, j] = hidden[r, j] * gelu(gate[r, j]). One pass instead of LibTorch's chunk, gelu and
// product, and an erfc of 1.5e-7 accuracy (Abramowitz and Stegun 7.1.26) in place of Sleef's erf, which was 7-10% of
// the embedded model's UNet call in perf (AMD EPYC family 26 model 2). Single-threaded: callers split rows.
void gegluRows(const float* proj, int64_t rows, int64_t inner, float* out);
bool gegluRowsWith(const char* isa, const float* proj, int64_t rows, int64_t inner, float* out);  // for the tests

// expRowsInPlace with the version named `isa`; false (nothing done) where this CPU lacks it. For the tests.
bool expRowsInPlaceWith(const char* isa, float* scores, int64_t rows, int64_t cols, int64_t stride, float scale,
                        float* invSum);

}  // namespace diffii
