// The fuzz input read as a little program: bytes taken in order, zeros once it runs out,
// so every input, however short, is a complete program.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mproc_fuzz {

class Input {
  public:
    Input(const std::uint8_t *data, std::size_t size) : data_(data), size_(size) {}

    bool done() const { return pos_ >= size_; }
    std::uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
    std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | u8() << 8); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(u16()) | std::uint32_t{u16()} << 16; }
    std::uint64_t u64() { return static_cast<std::uint64_t>(u32()) | std::uint64_t{u32()} << 32; }
    // A number in [0, n), n > 0.
    std::uint32_t below(std::uint32_t n) { return u8() % n; }
    bool flag() { return (u8() & 1) != 0; }
    // 0 (try once) or 1 ms: every call that can block returns at once or nearly.
    double timeout() { return flag() ? 0.001 : 0.0; }

  private:
    const std::uint8_t *data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

}  // namespace mproc_fuzz
