// The tile transforms of core/models/winograd.h on raw float32 arrays, compiled once per instruction set (AVX-512,
// AVX2+FMA, baseline x86-64) and chosen as the attention kernels are (attentionKernelIsa, ATEN_CPU_CAPABILITY).
// Tiles: tile row g of the batch is image g / th, tile row g % th; tile (g, tx) covers output rows 2 (g % th) + {0, 1}
// and columns 2 tx + {0, 1}, and reads the input's rows and columns from one before to two after (zeros outside).
#pragma once

#include <cstdint>

namespace diffii {

// V = B^T d B of every tile of tile rows [g0, g1) of input channel c of x [N, cin, h, w]: position p (0..15) of the
// tile at index t = (g - g0) tw + tx goes to v[p * pStride + t]. buf: winogradInputBufferFloats(tw) floats.
void winogradInputRows(const float* x, int64_t cin, int64_t c, int64_t h, int64_t w, int64_t th, int64_t tw, int64_t g0,
                       int64_t g1, float* v, int64_t pStride, float* buf);
int64_t winogradInputBufferFloats(int64_t tw);

// Y = A^T M A + bias of the same tiles for output channel co of y [N, cout, h, w], M at m[p * pStride + t].
// buf: winogradOutputBufferFloats(tw) floats.
void winogradOutputRows(const float* m, int64_t pStride, float bias, float* y, int64_t cout, int64_t co, int64_t h,
                        int64_t w, int64_t th, int64_t tw, int64_t g0, int64_t g1, float* buf);
int64_t winogradOutputBufferFloats(int64_t tw);

// U[p][co][ci] = (G g G^T)[p] in float32 for output channels [co0, co1) of g [cout][cin][3][3] (the kernel of
// winogradConv3x3 computed per call; winogradKernel computes it in float64). buf: 9 cin floats.
void winogradKernelRows(const float* g, int64_t co0, int64_t co1, int64_t cout, int64_t cin, float* u, float* buf);

// Tests: the transforms of `isa` ("avx512", "avx2", "baseline") from now on, for every thread (the caller checks the
// CPU has them); returns the set used before.
const char* winogradUseIsaForTest(const char* isa);

}  // namespace diffii
