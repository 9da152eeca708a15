#include "core/data/stable_hash.h"

namespace diffii {

namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ull;  // xxHash64 primes: odd, well spread bits
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ull;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

}  // namespace

uint64_t splitmix64(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t fnv1a64(const std::string& bytes) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

StableHasher::StableHasher() : m_a(0x243F6A8885A308D3ull), m_b(0x13198A2E03707344ull) {}

void StableHasher::absorb(uint64_t word) {
    m_a = rotl(m_a ^ (word * kPrime2), 31) * kPrime1;
    m_b = rotl(m_b + word * kPrime3, 27) * kPrime2 ^ m_a;
}

void StableHasher::update(const void* data, size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    m_length += size;
    size_t i = 0;
    while (i < size && m_pendingBytes != 0) {
        m_pending |= static_cast<uint64_t>(p[i++]) << (8 * m_pendingBytes);
        if (++m_pendingBytes == 8) {
            absorb(m_pending);
            m_pending = 0;
            m_pendingBytes = 0;
        }
    }
    for (; i + 8 <= size; i += 8) {
        uint64_t w = 0;
        for (int b = 7; b >= 0; --b) w = (w << 8) | p[i + b];
        absorb(w);
    }
    for (; i < size; ++i) {
        m_pending |= static_cast<uint64_t>(p[i]) << (8 * m_pendingBytes);
        ++m_pendingBytes;
    }
}

void StableHasher::updateString(const std::string& text) {
    updateU64(text.size());
    update(text.data(), text.size());
}

void StableHasher::updateU64(uint64_t value) {
    unsigned char bytes[8];
    for (int b = 0; b < 8; ++b) bytes[b] = static_cast<unsigned char>(value >> (8 * b));
    update(bytes, 8);
}

void StableHasher::finish(uint64_t* hi, uint64_t* lo) const {
    uint64_t a = m_a;
    uint64_t b = m_b;
    // The partial word and the total length close the stream, so trailing zero bytes still count.
    const uint64_t tail = m_pending ^ (static_cast<uint64_t>(m_pendingBytes) << 59);
    a = rotl(a ^ (tail * kPrime2), 31) * kPrime1;
    b = rotl(b + tail * kPrime3, 27) * kPrime2 ^ a;
    a = splitmix64(a ^ m_length);
    b = splitmix64(b ^ rotl(m_length, 32) ^ a);
    *hi = a;
    *lo = b;
}

std::string StableHasher::hex() const {
    uint64_t hi = 0, lo = 0;
    finish(&hi, &lo);
    static const char* digits = "0123456789abcdef";
    std::string out(32, '0');
    for (int i = 0; i < 16; ++i) {
        out[15 - i] = digits[(hi >> (4 * i)) & 0xf];
        out[31 - i] = digits[(lo >> (4 * i)) & 0xf];
    }
    return out;
}

uint64_t StableHasher::digest64() const {
    uint64_t hi = 0, lo = 0;
    finish(&hi, &lo);
    return hi ^ rotl(lo, 17);
}

}  // namespace diffii
