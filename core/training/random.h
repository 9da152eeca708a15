// The one seeded-generator rule of the training jobs: every random draw of step (or epoch, or batch) i in stream s
// comes from a generator seeded by (seed, s, i), so a resumed run draws exactly what an uninterrupted one would
// without saving generator states. The mixer is core/data/stable_hash.h's splitmix64.
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>

namespace diffii {

// A CPU generator seeded by splitmix64(splitmix64(seed ^ splitmix64(stream)) + index).
at::Generator derivedGenerator(uint64_t seed, uint64_t stream, uint64_t index);

}  // namespace diffii
