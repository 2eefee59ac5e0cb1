// A read-only window on a mapped object file in which every read is checked against the
// mapping's size: the only way object_info.cpp looks at shared memory. Every field may be
// hostile, and a peer may change it while we read, so each value is loaded once (an
// atomic load where the field is aligned, as every mproc field is) into a local that the
// caller checks; nothing here ever follows an offset it has not bounds-checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mproc::core::inspect {

class BoundedView {
  public:
    BoundedView(const void *base, std::uint64_t size) noexcept
        : base_(static_cast<const unsigned char *>(base)), size_(base != nullptr ? size : 0) {}

    std::uint64_t size() const noexcept { return size_; }

    // [offset, offset + len) lies inside the mapping (written so that nothing can wrap).
    bool contains(std::uint64_t offset, std::uint64_t len) const noexcept {
        return offset <= size_ && len <= size_ - offset;
    }

    // The address of [offset, offset + len), or nullptr if it is not inside the mapping.
    const void *at(std::uint64_t offset, std::uint64_t len) const noexcept {
        return contains(offset, len) ? base_ + offset : nullptr;
    }

    // *out = the integer at `offset`; false (and *out untouched) if it is out of bounds.
    template <typename T>
    bool read(std::uint64_t offset, T *out) const noexcept {
        static_assert(sizeof(T) <= 8, "one load: integers only");
        const void *p = at(offset, sizeof(T));
        if (p == nullptr) return false;
        if (reinterpret_cast<std::uintptr_t>(p) % sizeof(T) == 0) {
            // One load that a concurrent writer cannot tear (the fields are atomics).
            *out = __atomic_load_n(static_cast<const T *>(p), __ATOMIC_RELAXED);
        } else {
            std::memcpy(out, p, sizeof(T));
        }
        return true;
    }

    // As read, 0 when out of bounds: for fields at a fixed offset inside a size the
    // caller has verified.
    template <typename T>
    T get(std::uint64_t offset) const noexcept {
        T value = 0;
        read(offset, &value);
        return value;
    }

  private:
    const unsigned char *base_;
    std::uint64_t size_;
};

}  // namespace mproc::core::inspect
