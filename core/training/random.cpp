#include "core/training/random.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/data/stable_hash.h"

namespace diffii {

at::Generator derivedGenerator(uint64_t seed, uint64_t stream, uint64_t index) {
    return at::detail::createCPUGenerator(splitmix64(splitmix64(seed ^ splitmix64(stream)) + index));
}

}  // namespace diffii
