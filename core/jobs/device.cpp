#include "core/jobs/device.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <dlfcn.h>

#include <torch/cuda.h>
#include <torch/torch.h>

#include "core/io/error.h"

namespace diffii {

namespace {

std::string trimmedLower(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    std::string out = s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// libtorch_cuda is linked into (and so loaded with) every binary built against a CUDA LibTorch; a CPU-only
// LibTorch has none. is_available() alone cannot tell "no CUDA in this build" from "no GPU visible".
bool cudaBuiltIn() {
    for (const char* lib : {"libtorch_cuda.so", "libc10_cuda.so"}) {
        if (void* h = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD)) {
            dlclose(h);
            return true;
        }
    }
    return torch::cuda::is_available();
}

std::string visibleDevicesNote() {
    const char* v = std::getenv("CUDA_VISIBLE_DEVICES");
    return v ? std::string(" (CUDA_VISIBLE_DEVICES='") + v + "')" : std::string();
}

}  // namespace

std::string parseDevice(const std::string& name, const std::string& where) {
    const std::string s = trimmedLower(name);
    if (s == "cpu") return "cpu";
    if (s == "cuda") return "cuda:0";
    if (s.rfind("cuda:", 0) == 0 && s.size() > 5 && s.size() <= 8 &&
        std::all_of(s.begin() + 5, s.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
        return "cuda:" + std::to_string(std::stoi(s.substr(5)));
    throw Error(where + ": '" + name + "' is not a device: use cpu, cuda or cuda:N (N = 0, 1, ...)");
}

bool isCudaDevice(const std::string& device) { return device.rfind("cuda", 0) == 0; }

void requireDeviceAvailable(const std::string& device, const std::string& where) {
    const std::string d = parseDevice(device, where);
    if (!isCudaDevice(d)) return;
    const std::string at = where + " " + d + ": ";
    if (!cudaBuiltIn())
        throw Error(at +
                    "this LibTorch has no CUDA support (a CPU-only build); build Diff-II Studio against a CUDA "
                    "LibTorch (README, section CUDA) or use --device cpu");
    if (!torch::cuda::is_available())
        throw Error(at + "no GPU visible" + visibleDevicesNote() +
                    ": this LibTorch has CUDA support, but the driver reports no usable GPU");
    const int64_t index = std::stoll(d.substr(5));
    const auto count = static_cast<int64_t>(torch::cuda::device_count());
    if (index >= count)
        throw Error(at + "only " + std::to_string(count) + (count == 1 ? " GPU is" : " GPUs are") + " visible" +
                    visibleDevicesNote() + " (cuda:0" + (count > 1 ? " .. cuda:" + std::to_string(count - 1) : "") +
                    ")");
}

void configureDeviceMath(const std::string& device) {
    if (!isCudaDevice(device)) return;
    const char* tf32 = std::getenv("DIFFII_CUDA_TF32");
    const bool allow = tf32 && std::string(tf32) == "1";
    at::globalContext().setAllowTF32CuDNN(allow);
    at::globalContext().setAllowTF32CuBLAS(allow);
}

int cudaDeviceCount() { return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0; }

std::string deviceReport() {
    if (!cudaBuiltIn()) return "cuda: not built into this LibTorch (CPU only)";
    const auto count = static_cast<int64_t>(torch::cuda::device_count());
    if (count == 0) return "cuda: built in, no GPU visible" + visibleDevicesNote();
    return "cuda: " + std::to_string(count) + (count == 1 ? " GPU" : " GPUs") + " (cuda:0" +
           (count > 1 ? " .. cuda:" + std::to_string(count - 1) : "") + ")";
}

}  // namespace diffii
