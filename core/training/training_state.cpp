#include "core/training/training_state.h"

#include <sstream>
#include <string>
#include <type_traits>

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "core/io/error.h"
#include "core/io/safetensors.h"

namespace diffii {

namespace {

// The optimizer's state is keyed by the parameter's TensorImpl: its address as text in LibTorch 1.13, the address
// itself in 2.x.
using StateKey = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;

template <class Key>
Key stateKeyOf(c10::TensorImpl* impl) {
    if constexpr (std::is_same_v<Key, std::string>) {
        std::ostringstream text;
        text << impl;
        return text.str();
    } else {
        return impl;
    }
}

StateKey adamKey(const torch::Tensor& p) { return stateKeyOf<StateKey>(p.unsafeGetTensorImpl()); }

// A checkpoint tensor of the parameter's shape, in its dtype; a missing key or another shape names the file.
torch::Tensor expectTensor(const SafeTensorsFile& checkpoint, const std::string& key, const torch::Tensor& like) {
    if (!checkpoint.contains(key)) throw Error(checkpoint.path() + ": key '" + key + "' is missing");
    auto t = checkpoint.tensor(key);
    if (!t.sizes().equals(like.sizes()))
        throw Error(checkpoint.path() + ": key '" + key + "' has shape " + c10::str(t.sizes()) + ", expected " +
                    c10::str(like.sizes()));
    return t.to(like.device(), like.scalar_type());  // a checkpoint is read on the CPU; the weights may be on a GPU
}

}  // namespace

void storeTrainingState(const torch::optim::AdamW& optimizer, const NamedTensors& params,
                        std::map<std::string, at::Tensor>& out) {
    auto& state = const_cast<torch::optim::AdamW&>(optimizer).state();
    for (const auto& [name, p] : params) {
        out[name] = p.detach().to(torch::kFloat32).clone();
        const auto it = state.find(adamKey(p));
        if (it == state.end()) continue;
        const auto& st = static_cast<const torch::optim::AdamWParamState&>(*it->second);
        out["adamw." + name + ".exp_avg"] = st.exp_avg().to(torch::kFloat32).clone();
        out["adamw." + name + ".exp_avg_sq"] = st.exp_avg_sq().to(torch::kFloat32).clone();
        out["adamw." + name + ".step"] = torch::tensor({st.step()}, torch::kLong);
    }
}

void restoreTrainingState(torch::optim::AdamW& optimizer, const NamedTensors& params,
                          const SafeTensorsFile& checkpoint) {
    const auto expectTensor = [&](const std::string& key, const torch::Tensor& like) {
        return diffii::expectTensor(checkpoint, key, like);
    };
    torch::NoGradGuard noGrad;
    for (const auto& [name, p] : params) {
        auto param = p;
        param.copy_(expectTensor(name, p));
        const std::string stepKey = "adamw." + name + ".step";
        if (!checkpoint.contains(stepKey)) continue;  // no optimizer step yet
        auto state = std::make_unique<torch::optim::AdamWParamState>();
        state->step(checkpoint.tensor(stepKey).to(torch::kLong).item<int64_t>());
        state->exp_avg(expectTensor("adamw." + name + ".exp_avg", p));
        state->exp_avg_sq(expectTensor("adamw." + name + ".exp_avg_sq", p));
        optimizer.state()[adamKey(p)] = std::move(state);
    }
}

void storeTrainingState(const torch::optim::SGD& optimizer, const NamedTensors& params,
                        std::map<std::string, at::Tensor>& out) {
    auto& state = const_cast<torch::optim::SGD&>(optimizer).state();
    for (const auto& [name, p] : params) {
        out[name] = p.detach().clone();
        const auto it = state.find(adamKey(p));
        if (it == state.end()) continue;
        const auto& st = static_cast<const torch::optim::SGDParamState&>(*it->second);
        if (st.momentum_buffer().defined()) out["sgd." + name + ".momentum_buffer"] = st.momentum_buffer().clone();
    }
}

void restoreTrainingState(torch::optim::SGD& optimizer, const NamedTensors& params, const SafeTensorsFile& checkpoint) {
    torch::NoGradGuard noGrad;
    for (const auto& [name, p] : params) {
        auto param = p;
        param.copy_(expectTensor(checkpoint, name, p));
        const std::string key = "sgd." + name + ".momentum_buffer";
        if (!checkpoint.contains(key)) continue;
        auto state = std::make_unique<torch::optim::SGDParamState>();
        state->momentum_buffer(expectTensor(checkpoint, key, p));
        optimizer.state()[adamKey(p)] = std::move(state);
    }
}

namespace {

// LibTorch 2.4 replaced the CPU-only autocast calls (deprecated there) by ones that take the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool cpuAutocastEnabled() { return at::autocast::is_autocast_enabled(at::kCPU); }
void setCpuAutocast(bool on) {
    at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCPU, on);
}
#else
bool cpuAutocastEnabled() { return at::autocast::is_cpu_enabled(); }
void setCpuAutocast(bool on) {
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(on);
}
#endif

}  // namespace

BFloat16Autocast::BFloat16Autocast(bool enabled) : m_enabled(enabled) {
    if (!m_enabled) return;
    m_previous = cpuAutocastEnabled();
    setCpuAutocast(true);
}

BFloat16Autocast::~BFloat16Autocast() {
    if (!m_enabled) return;
    setCpuAutocast(m_previous);
    if (!m_previous) at::autocast::clear_cache();
}

void storeLossLog(const std::vector<double>& losses, std::map<std::string, at::Tensor>& out) {
    out["log.loss"] = torch::tensor(losses, torch::kFloat64);
}

std::vector<double> restoreLossLog(const SafeTensorsFile& checkpoint) {
    if (!checkpoint.contains("log.loss")) return {};
    const auto log = checkpoint.tensor("log.loss").to(torch::kFloat64).contiguous();
    return std::vector<double>(log.data_ptr<double>(), log.data_ptr<double>() + log.numel());
}

}  // namespace diffii
