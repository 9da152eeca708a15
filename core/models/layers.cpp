#include "core/models/layers.h"

namespace diffii {

void toComputeDtype(torch::nn::Module& module, torch::Dtype dtype) {
    module.to(dtype);
    for (auto& child : module.modules(true)) {
        if (child->as<torch::nn::GroupNormImpl>() || child->as<torch::nn::LayerNormImpl>()) child->to(torch::kFloat32);
    }
}

}  // namespace diffii
