// Stable, platform-independent hashes for fingerprints and seeds (never std::hash, whose values are unspecified).
//
// StableHasher is a small 128-bit streaming hash of our own: bytes are read as little-endian 64-bit words
// (assembled byte by byte, so the result is the same on every CPU), each word is folded into two lanes with
// multiply-rotate steps, and the lanes are finished with the splitmix64 finaliser. It exists to notice accidental
// change (a re-downloaded or edited model, different settings); it is not cryptographic and gives no protection
// against a crafted collision. 128 bits keep accidental collisions out of the question even across many artifacts,
// and word-at-a-time mixing runs at several GB/s, so hashing the sampled megabytes of a model costs milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace diffii {

// The splitmix64 output function (Steele, Lea, Flood 2014) applied to x + golden ratio: a bijective 64-bit mixer.
uint64_t splitmix64(uint64_t x);

// 64-bit FNV-1a of the bytes (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
uint64_t fnv1a64(const std::string& bytes);

class StableHasher {
public:
    StableHasher();

    void update(const void* data, size_t size);
    // Length-prefixed, so that ("ab", "c") and ("a", "bc") hash differently.
    void updateString(const std::string& text);
    void updateU64(uint64_t value);

    // 32 lowercase hex digits; does not change the state, so more data may follow.
    std::string hex() const;
    uint64_t digest64() const;

private:
    void absorb(uint64_t word);
    void finish(uint64_t* hi, uint64_t* lo) const;

    uint64_t m_a;
    uint64_t m_b;
    uint64_t m_length = 0;
    uint64_t m_pending = 0;  // bytes of a partial word, little-endian
    int m_pendingBytes = 0;
};

}  // namespace diffii
