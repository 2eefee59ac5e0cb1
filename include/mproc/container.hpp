// mproc/container.hpp -- what mproc::Dict and mproc::List share: their sizes, their memory
// report, and (in detail::) the byte strings and snapshots passed to and from the C ABI.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/mproc.h"

namespace mproc {

// The memory of a new Dict or List: each of its two copies starts with `initial` bytes and
// grows, doubling, up to `max` (both rounded up to 4 KiB; 0 = MPROC_CONTAINER_DEFAULT_SIZE,
// 256 KiB, and MPROC_CONTAINER_DEFAULT_MAX, 256 MiB). A change that does not fit at `max`
// throws full_error and changes nothing.
struct container_sizes {
    std::size_t initial = 0;
    std::size_t max = 0;
};

// What memory() reports, in bytes per copy.
struct container_memory {
    std::size_t capacity = 0;  // now
    std::size_t max_size = 0;  // the most it may grow to
    std::size_t free = 0;      // free in the current capacity
};

namespace detail {

// Memory the library allocated for the caller, freed with mproc_free.
class c_memory {
  public:
    c_memory() noexcept = default;
    c_memory(const c_memory &) = delete;
    c_memory &operator=(const c_memory &) = delete;
    ~c_memory() { (void)mproc_free(p_); }

    void **out() noexcept { return &p_; }
    const void *get() const noexcept { return p_; }

    // The `len` bytes as a string.
    std::string str(std::size_t len) const {
        return len == 0 ? std::string() : std::string(static_cast<const char *>(p_), len);
    }

  private:
    void *p_ = nullptr;
};

inline mproc_bytes_t c_bytes(std::string_view s) noexcept {
    return mproc_bytes_t{s.data(), s.size()};
}

// Any range of things a std::string_view is made from, as mproc_bytes_t for the C ABI (the
// range must outlive the result).
template <class Range>
std::vector<mproc_bytes_t> c_bytes_of(const Range &items) {
    std::vector<mproc_bytes_t> out;
    for (const auto &item : items)
        out.push_back(c_bytes(std::string_view(item)));
    return out;
}

// Calls f(item) for each record of a snapshot (keys, items, slice), which it then frees.
template <class F>
void for_each_record(c_memory &data, std::size_t len, F &&f) {
    std::size_t offset = 0;
    const void *item = nullptr;
    std::size_t item_len = 0;
    for (;;) {
        const int rc = mproc_records_next(data.get(), len, &offset, &item, &item_len);
        if (rc == MPROC_EEMPTY) return;
        check(rc);
        f(std::string_view(static_cast<const char *>(item), item_len));
    }
}

// A snapshot's records as strings.
inline std::vector<std::string> records(c_memory &data, std::size_t len, std::size_t count) {
    std::vector<std::string> out;
    out.reserve(count);
    for_each_record(data, len, [&](std::string_view item) { out.emplace_back(item); });
    return out;
}

}  // namespace detail
}  // namespace mproc
