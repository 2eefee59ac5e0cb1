// The soak's queue messages: a fixed header (producer record, sequence number, payload
// length, checksum of the payload) and a payload that is a pure function of (record,
// sequence), so whoever receives a message can regenerate what was sent and compare every
// byte, not only the checksum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace soak {

inline constexpr std::uint32_t kMessageMagic = 0x4b414f53u;  // "SOAK"
inline constexpr std::size_t kMaxPayload = 4000;

struct MessageHeader {
    std::uint32_t magic;
    std::uint32_t record;  // the producer incarnation's record (ledger.hpp)
    std::uint32_t seq;     // 1, 2, ... per record
    std::uint32_t payload_len;
    std::uint64_t checksum;  // fnv1a64 of the payload
};
static_assert(sizeof(MessageHeader) == 24);

inline constexpr std::size_t kMaxMessage = sizeof(MessageHeader) + kMaxPayload;

inline std::uint64_t splitmix64(std::uint64_t &state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

inline std::uint64_t fnv1a64(const void *data, std::size_t len) {
    const auto *p = static_cast<const unsigned char *>(data);
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (std::size_t k = 0; k < len; ++k) {
        h ^= p[k];
        h *= 0x100000001b3ull;
    }
    return h;
}

// Writes the message for (record, seq) into buf (at least kMaxMessage bytes) and returns
// its length. Mostly small messages, one in four up to kMaxPayload bytes, so that slots
// of every size are written while processes die.
inline std::size_t make_message(std::uint32_t record, std::uint32_t seq, unsigned char *buf) {
    std::uint64_t state = (std::uint64_t{record} << 32) ^ seq ^ 0x5eed5eed00000000ull;
    const std::uint64_t pick = splitmix64(state);
    const std::size_t len = (pick & 3u) == 0 ? (pick >> 8) % (kMaxPayload + 1) : (pick >> 8) % 201;
    unsigned char *payload = buf + sizeof(MessageHeader);
    for (std::size_t k = 0; k < len; k += 8) {
        const std::uint64_t word = splitmix64(state);
        std::memcpy(payload + k, &word, len - k < 8 ? len - k : 8);
    }
    const MessageHeader header{kMessageMagic, record, seq, static_cast<std::uint32_t>(len),
                               fnv1a64(payload, len)};
    std::memcpy(buf, &header, sizeof header);
    return sizeof header + len;
}

// What a received message is.
enum class Verdict { kIntact, kCorrupt };

// Checks `len` bytes received: the header's magic and length, the checksum, and every byte
// against a regenerated copy. *header is filled when the header itself is readable.
inline Verdict verify_message(const unsigned char *msg, std::size_t len, MessageHeader *header) {
    if (len < sizeof(MessageHeader) || len > kMaxMessage) return Verdict::kCorrupt;
    std::memcpy(header, msg, sizeof *header);
    if (header->magic != kMessageMagic || header->payload_len != len - sizeof *header ||
        header->seq == 0) {
        return Verdict::kCorrupt;
    }
    if (fnv1a64(msg + sizeof *header, header->payload_len) != header->checksum) {
        return Verdict::kCorrupt;
    }
    unsigned char expected[kMaxMessage];
    const std::size_t expected_len = make_message(header->record, header->seq, expected);
    if (expected_len != len || std::memcmp(expected, msg, len) != 0) return Verdict::kCorrupt;
    return Verdict::kIntact;
}

}  // namespace soak
