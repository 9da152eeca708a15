// The one place that decides the compute precision from the CPU. Machines of this class differ: a Zen 4 CPU has
// AVX512_BF16, where oneDNN's bfloat16 convolutions and matrix products are 3-4x faster than float32 and accurate
// to bfloat16 rounding; a Zen 3 CPU (AVX2 only) has no bfloat16 instructions, and LibTorch 1.13 falls back to kernels
// that accumulate in bfloat16: a 320->320 3x3 convolution 12x slower than float32 and with a max error of 0.68
// against float64 (0.011 from rounding the inputs alone). So bfloat16 pays only where it is native.
//
// Native means: the CPU reports AVX512_BF16 or AMX-BF16 (CPUID leaf 7; AVX-512 state enabled by the OS), and neither
// of the documented ISA limits holds the kernels below it: ATEN_CPU_CAPABILITY (default, avx2, avx512) for ATen's
// own kernels, ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA (SSE41, AVX, AVX2, AVX2_VNNI, AVX512_CORE, AVX512_CORE_VNNI,
// AVX512_CORE_BF16, AVX512_CORE_AMX, ALL, ...) for oneDNN's. Setting ATEN_CPU_CAPABILITY=avx2 and
// ONEDNN_MAX_CPU_ISA=AVX2 on a Zen 4 reproduces a Zen 3 for every decision made here.
//
// Native is not always faster. An Intel CPU with AVX-512 has two full-width float32 FMA units, and without AMX its
// AVX512_BF16 dot products do not beat them: on a Xeon family 6 model 207 (AMX not exposed by the VM) a 2048^3 product
// ran at 238 GFLOP/s in float32 and 145 in bfloat16, an SD 1.5 UNet call took 14.6 s in float32 and 15.9 s in
// bfloat16 (2 threads). So auto chooses bfloat16 where it is native *and* faster (bf16Faster): with AMX-BF16, or on
// an AMD CPU (Zen 4: 3.4-3.7 s against 12.0 s). Everywhere else bfloat16 stays available when asked for (it halves
// the weights' memory).
//
// No LibTorch here: the fronts include this header to name and report precisions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/jobs/threads.h"

namespace diffii {

struct CpuFeatures {
    std::string model;  // "AMD EPYC 9R14 96-Core Processor", from the CPUID brand string
    bool avx2 = false;
    bool avx512f = false;
    bool avx512bf16 = false;
    bool amxBf16 = false;
    std::string atenCapability;  // ATEN_CPU_CAPABILITY as set ("" when unset)
    std::string onednnMaxIsa;    // ONEDNN_MAX_CPU_ISA, else DNNL_MAX_CPU_ISA ("" when unset)
    bool onednnAvx512 = false;   // oneDNN runs AVX-512 kernels: the CPU has them, onednnMaxIsa allows them
    bool nativeBf16 = false;     // the decision: see above
    std::string bf16Reason;      // why nativeBf16 is what it is, in one sentence
    bool bf16Faster = false;     // native and faster than float32 here: what auto follows (see above)
    std::string vendor;          // the CPUID vendor string ("GenuineIntel", "AuthenticAMD")
    // False when oneDNN is held below bfloat16 on a CPU that has it: LibTorch 1.13 decides from the hardware
    // (cpuinfo) to send bfloat16 convolutions and matrix products to oneDNN, which then has no kernel for them and
    // throws dnnl::error. On a CPU that really lacks bfloat16, LibTorch uses its own (slow) kernels instead.
    bool bf16Runs = true;

    // CPUID's family and model (display values, as lscpu prints them): a VM's brand string is often just "AMD EPYC"
    // for Zen 3 and Zen 5 alike.
    int family = 0;
    int modelNumber = 0;
    int logicalCpus = 0;     // online
    int threadsPerCore = 0;  // as the OS sees cpu0's siblings (0: unknown); a VM may hide SMT
    // "AMD EPYC (family 26, model 2; 2 logical CPUs, 1 thread per core)": what every benchmark prints beside its
    // figures.
    std::string describe() const;

    std::vector<std::string> featureNames() const;  // {"AVX2", "AVX-512F", "AVX512_BF16"} as present
};

// Detected once per process (the environment variables are read then too).
const CpuFeatures& cpuFeatures();

// What a user asks for. Auto is the default of every front (GUI, CLI, the pretraining recipe, the benchmarks).
enum class Precision { Auto, Float32, BFloat16 };

// "auto", "float32" (also "fp32"), "bfloat16" (also "bf16"); throws diffii::Error naming `where` and the value.
Precision parsePrecision(const std::string& name, const std::string& where);
const char* precisionName(Precision p);  // "auto", "float32", "bfloat16"

// A small model (a UNet under kSmallModelParameters, core/jobs/threads.h: the demo model, the test models)
// computes in float32 under Auto even where bfloat16 is native, so that its results (the demo's shipped pool, the
// tests) are the same on every CPU. Whether bfloat16 would be faster for it has not been measured.

struct PrecisionChoice {
    bool bfloat16 = false;
    std::string reason;   // "float32: auto, and this CPU has no native bfloat16 (no AVX512_BF16 or AMX-BF16)"
    std::string warning;  // non-empty when bfloat16 was asked for where it is not native
};

// Resolves a request. unetParameters < 0: the model size is unknown or does not matter (training autocast of the
// pretraining recipe), so only the CPU decides. An explicit bfloat16 request on a CPU without native bfloat16 is
// honoured, and its warning is printed to stderr once per process; where bfloat16 cannot run at all (bf16Runs)
// it throws diffii::Error naming the variable.
PrecisionChoice choosePrecision(Precision requested, int64_t unetParameters = -1);

// The same for a model on `device` (core/jobs/device.h: "cpu", "cuda:N"). On the CPU it is choosePrecision; on a GPU
// auto is float32 (whether bfloat16 pays there, and how far it moves the results, has not been measured here), and
// an explicit float32 or bfloat16 is honoured without the CPU's warning.
PrecisionChoice choosePrecisionOn(const std::string& device, Precision requested, int64_t unetParameters = -1);

// `diffii info --system` and the GUI's About box: CPU model, features, ISA limits, the thread plan and the
// precision choice with its reason, one "key: value" line each.
std::string systemReport();

}  // namespace diffii
