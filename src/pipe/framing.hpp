// The wire format of a Connection, byte for byte CPython's multiprocessing.connection
// (Connection._send_bytes / _recv_bytes in Lib/multiprocessing/connection.py): a message
// is a 4-byte big-endian *signed* length and then the bytes. A message longer than
// 0x7fffffff bytes is the length -1 (ff ff ff ff) and then an 8-byte big-endian unsigned
// length. Any other negative length is not a header CPython writes: the stream is corrupt.
// This file is the whole shared format; keep it in step with CPython, never the reverse.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mproc::core::pipe {

inline constexpr std::size_t kShortHeaderSize = 4;
inline constexpr std::size_t kLongLengthSize = 8;
inline constexpr std::size_t kMaxHeaderSize = kShortHeaderSize + kLongLengthSize;
// The longest message that a short header can say; longer ones use the long form.
inline constexpr std::uint64_t kMaxShortLength = 0x7fffffff;
// The short header's marker that an 8-byte length follows.
inline constexpr std::int32_t kLongFormMarker = -1;

// Writes the header of a message of `length` bytes into out[0..12) and returns its size:
// 4, or 12 for the long form.
inline std::size_t encode_header(std::uint64_t length, unsigned char *out) noexcept {
    if (length <= kMaxShortLength) {
        for (int i = 0; i < 4; ++i)
            out[i] = static_cast<unsigned char>(length >> (8 * (3 - i)));
        return kShortHeaderSize;
    }
    out[0] = out[1] = out[2] = out[3] = 0xff;  // -1 as a big-endian int32
    for (int i = 0; i < 8; ++i)
        out[4 + i] = static_cast<unsigned char>(length >> (8 * (7 - i)));
    return kMaxHeaderSize;
}

// The signed length in a 4-byte header: >= 0 the message's length, kLongFormMarker when
// an 8-byte length follows, anything else a corrupt stream.
inline std::int32_t decode_short_header(const unsigned char *in) noexcept {
    const std::uint32_t u = (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) |
                            (std::uint32_t{in[2]} << 8) | std::uint32_t{in[3]};
    return static_cast<std::int32_t>(u);  // two's complement, as struct.unpack("!i")
}

// The length in the 8 bytes after a long-form marker (struct.unpack("!Q")).
inline std::uint64_t decode_long_length(const unsigned char *in) noexcept {
    std::uint64_t length = 0;
    for (int i = 0; i < 8; ++i)
        length = (length << 8) | in[i];
    return length;
}

}  // namespace mproc::core::pipe
