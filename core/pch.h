// Precompiled header for core and tests: LibTorch is by far the most expensive include.
#pragma once
#include <torch/torch.h>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
