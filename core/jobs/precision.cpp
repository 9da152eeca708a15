#include "core/jobs/precision.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <cpuid.h>
#include <unistd.h>

#include "core/io/error.h"
#include "core/jobs/log.h"
#include "core/jobs/threads.h"

namespace diffii {

namespace {

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string envOr(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

std::string brandString() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000004u) return "unknown CPU";
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
        __get_cpuid(0x80000002u + i, &a, &b, &c, &d);
        std::memcpy(brand + 16 * i, &a, 4);
        std::memcpy(brand + 16 * i + 4, &b, 4);
        std::memcpy(brand + 16 * i + 8, &c, 4);
        std::memcpy(brand + 16 * i + 12, &d, 4);
    }
    std::string s(brand);
    const auto first = s.find_first_not_of(' ');
    const auto last = s.find_last_not_of(' ');
    return first == std::string::npos ? "unknown CPU" : s.substr(first, last - first + 1);
}

unsigned long long xcr0() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<unsigned long long>(hi) << 32) | lo;
}

// oneDNN's ISA names (dnnl::cpu_isa, as ONEDNN_MAX_CPU_ISA takes them) that include bfloat16 instructions.
bool onednnIsaHasBf16(const std::string& isa) {
    const std::string u = upper(isa);
    return u == "ALL" || u.rfind("AVX512_CORE_BF16", 0) == 0 || u.rfind("AVX512_CORE_AMX", 0) == 0 ||
           u.rfind("AVX512_CORE_FP16", 0) == 0 || u.rfind("AVX10", 0) == 0;
}

// oneDNN's ISA names that include AVX-512 (AVX512_CORE..., the AMX sets, AVX10).
bool onednnIsaHasAvx512(const std::string& isa) {
    const std::string u = upper(isa);
    return u == "ALL" || u.rfind("AVX512", 0) == 0 || u.rfind("AVX10", 0) == 0;
}

std::string vendorString() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return {};
    char v[13] = {};
    std::memcpy(v, &b, 4);
    std::memcpy(v + 4, &d, 4);
    std::memcpy(v + 8, &c, 4);
    return v;
}

// cpu0's hardware threads, from "0", "0-1" or "0,64" in sysfs (0 when unreadable).
int threadsPerCore() {
    std::ifstream in("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list");
    std::string list;
    if (!std::getline(in, list)) return 0;
    int count = 0;
    std::stringstream parts(list);
    for (std::string part; std::getline(parts, part, ',');) {
        const auto dash = part.find('-');
        try {
            count +=
                dash == std::string::npos ? 1 : std::stoi(part.substr(dash + 1)) - std::stoi(part.substr(0, dash)) + 1;
        } catch (const std::exception&) {
            return 0;
        }
    }
    return count;
}

CpuFeatures detect() {
    CpuFeatures f;
    f.model = brandString();
    f.vendor = vendorString();
    {
        unsigned a = 0, b = 0, c = 0, d = 0;
        if (__get_cpuid(1, &a, &b, &c, &d)) {
            const int baseFamily = static_cast<int>((a >> 8) & 0xf);
            const int baseModel = static_cast<int>((a >> 4) & 0xf);
            f.family = baseFamily == 0xf ? baseFamily + static_cast<int>((a >> 20) & 0xff) : baseFamily;
            f.modelNumber = baseFamily == 0x6 || baseFamily == 0xf
                                ? baseModel + (static_cast<int>((a >> 16) & 0xf) << 4)
                                : baseModel;
        }
    }
    f.logicalCpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    f.threadsPerCore = threadsPerCore();
    unsigned a = 0, b = 0, c = 0, d = 0;
    const unsigned long long x = xcr0();
    const bool osAvx = (x & 0x6) == 0x6;                // XMM and YMM state
    const bool osAvx512 = osAvx && (x & 0xe0) == 0xe0;  // opmask, ZMM_Hi256, Hi16_ZMM
    const bool osAmx = (x & 0x60000) == 0x60000;        // XTILECFG, XTILEDATA
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        f.avx2 = osAvx && (b & (1u << 5));
        f.avx512f = osAvx512 && (b & (1u << 16));
        f.amxBf16 = osAmx && (d & (1u << 22));
        const unsigned maxSub = a;
        if (maxSub >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512bf16 = f.avx512f && (a & (1u << 5));
    }
    f.atenCapability = envOr("ATEN_CPU_CAPABILITY");
    f.onednnMaxIsa = envOr("ONEDNN_MAX_CPU_ISA");
    if (f.onednnMaxIsa.empty()) f.onednnMaxIsa = envOr("DNNL_MAX_CPU_ISA");

    const std::string aten = lower(f.atenCapability);
    f.onednnAvx512 = f.avx512f && (f.onednnMaxIsa.empty() || onednnIsaHasAvx512(f.onednnMaxIsa));
    const bool onednnLimited = !f.onednnMaxIsa.empty() && !onednnIsaHasBf16(f.onednnMaxIsa);
    if ((f.avx512bf16 || f.amxBf16) && onednnLimited) f.bf16Runs = false;
    if (!f.avx512bf16 && !f.amxBf16) {
        f.bf16Reason =
            "this CPU has no native bfloat16 (no AVX512_BF16 or AMX-BF16): bfloat16 kernels are emulated, "
            "about 12x slower than float32 and far less accurate";
    } else if (aten == "avx2" || aten == "default") {
        f.bf16Reason = "ATEN_CPU_CAPABILITY=" + f.atenCapability +
                       " holds LibTorch's kernels below AVX-512, so bfloat16 is not native in this process";
    } else if (onednnLimited) {
        f.bf16Reason = (std::getenv("ONEDNN_MAX_CPU_ISA") ? "ONEDNN_MAX_CPU_ISA=" : "DNNL_MAX_CPU_ISA=") +
                       f.onednnMaxIsa +
                       " holds oneDNN below AVX512_CORE_BF16, so bfloat16 is not native in this process";
    } else {
        f.nativeBf16 = true;
        f.bf16Reason =
            std::string("this CPU has native bfloat16 (") + (f.avx512bf16 ? "AVX512_BF16" : "AMX-BF16") + ")";
        // See precision.h: without AMX, an Intel CPU's float32 FMA units outrun its AVX512_BF16 dot products.
        f.bf16Faster = f.amxBf16 || f.vendor != "GenuineIntel";
        if (!f.bf16Faster)
            f.bf16Reason +=
                ", but no AMX: on an Intel CPU with AVX-512 float32 is faster (SD 1.5 UNet 14.6 s "
                "against 15.9 s on a Xeon family 6 model 207)";
    }
    return f;
}

std::atomic<bool> g_warned{false};

}  // namespace

std::string CpuFeatures::describe() const {
    std::string s = model + " (family " + std::to_string(family) + ", model " + std::to_string(modelNumber) + "; " +
                    std::to_string(logicalCpus) + (logicalCpus == 1 ? " logical CPU" : " logical CPUs");
    if (threadsPerCore > 0)
        s += ", " + std::to_string(threadsPerCore) + (threadsPerCore == 1 ? " thread per core" : " threads per core");
    return s + ")";
}

std::vector<std::string> CpuFeatures::featureNames() const {
    std::vector<std::string> out;
    if (avx2) out.push_back("AVX2");
    if (avx512f) out.push_back("AVX-512F");
    if (avx512bf16) out.push_back("AVX512_BF16");
    if (amxBf16) out.push_back("AMX-BF16");
    return out;
}

const CpuFeatures& cpuFeatures() {
    static const CpuFeatures features = detect();
    return features;
}

Precision parsePrecision(const std::string& name, const std::string& where) {
    const std::string n = lower(name);
    if (n == "auto") return Precision::Auto;
    if (n == "float32" || n == "fp32") return Precision::Float32;
    if (n == "bfloat16" || n == "bf16") return Precision::BFloat16;
    throw Error(where + ": precision '" + name + "' is not one of auto, float32, bfloat16");
}

const char* precisionName(Precision p) {
    switch (p) {
        case Precision::Auto:
            return "auto";
        case Precision::Float32:
            return "float32";
        case Precision::BFloat16:
            return "bfloat16";
    }
    return "?";
}

PrecisionChoice choosePrecision(Precision requested, int64_t unetParameters) {
    const auto& cpu = cpuFeatures();
    PrecisionChoice c;
    switch (requested) {
        case Precision::Float32:
            c.reason = "float32: asked for";
            break;
        case Precision::BFloat16:
            c.bfloat16 = true;
            c.reason = "bfloat16: asked for";
            if (!cpu.bf16Runs)
                throw Error("bfloat16 cannot run in this process: " + cpu.onednnMaxIsa +
                            " as the oneDNN ISA limit "
                            "(ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA) leaves no bfloat16 kernel, while LibTorch sends "
                            "bfloat16 to oneDNN on this CPU; unset the variable or use precision float32 or auto");
            if (!cpu.nativeBf16) {
                c.warning = "bfloat16 was asked for, but " + cpu.bf16Reason +
                            "; it will be slower and less accurate "
                            "than float32 here (precision auto chooses float32 on this CPU)";
                if (!g_warned.exchange(true)) logWarning(c.warning);
            }
            break;
        case Precision::Auto:
            if (!cpu.bf16Faster) {
                c.reason = "float32: auto, and " + cpu.bf16Reason;
            } else if (unetParameters >= 0 && unetParameters < kSmallModelParameters) {
                char size[32];
                std::snprintf(size, sizeof size, "%.1f M", static_cast<double>(unetParameters) / 1e6);
                c.reason = std::string("float32: auto, and the model is small (UNet ") + size +
                           " parameters, under 50 M): float32 gives the same results on every CPU";
            } else {
                c.bfloat16 = true;
                c.reason = "bfloat16: auto, and " + cpu.bf16Reason;
            }
            break;
    }
    return c;
}

PrecisionChoice choosePrecisionOn(const std::string& device, Precision requested, int64_t unetParameters) {
    if (device.empty() || device == "cpu") return choosePrecision(requested, unetParameters);
    PrecisionChoice c;
    switch (requested) {
        case Precision::Float32:
            c.reason = "float32: asked for, on " + device;
            break;
        case Precision::BFloat16:
            c.bfloat16 = true;
            c.reason = "bfloat16: asked for, on " + device;
            break;
        case Precision::Auto:
            c.reason = "float32: auto on " + device + " (bfloat16 only when asked for: precision bfloat16)";
            break;
    }
    return c;
}

std::string systemReport() {
    const auto& cpu = cpuFeatures();
    std::ostringstream out;
    out << "cpu: " << cpu.describe() << "\n";
    std::string features;
    for (const auto& f : cpu.featureNames()) features += (features.empty() ? "" : " ") + f;
    out << "features: " << (features.empty() ? "(none of AVX2, AVX-512F, AVX512_BF16, AMX-BF16)" : features) << "\n";
    out << "ATEN_CPU_CAPABILITY: " << (cpu.atenCapability.empty() ? "(unset)" : cpu.atenCapability) << "\n";
    out << "ONEDNN_MAX_CPU_ISA: " << (cpu.onednnMaxIsa.empty() ? "(unset)" : cpu.onednnMaxIsa) << "\n";
    out << "native bfloat16: " << (cpu.nativeBf16 ? "yes" : "no") << " (" << cpu.bf16Reason << ")\n";
    if (!cpu.bf16Runs)
        out << "bfloat16 runs: no (oneDNN is held below bfloat16 while LibTorch sends bfloat16 to it: an explicit "
               "bfloat16 request is refused)\n";
    out << "threads: " << describeThreadPlan() << "\n";
    out << "BLAS: " << describeBlasKernels() << "\n";
    out << "precision (auto, full-size model): " << choosePrecision(Precision::Auto, kSmallModelParameters).reason
        << "\n";
    out << "precision (auto, UNet under 50 M parameters, such as the demo model): float32\n";
    return out.str();
}

}  // namespace diffii
