// Precompiled header for core and tests: LibTorch is by far the most expensive include.
#pragma once
#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <map>
#include <memory>
