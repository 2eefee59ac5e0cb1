// mproc/named_object.hpp -- what every C++ object over a named shared-memory object shares:
// the permissions of a new name, and (in detail::) the owner of a C handle, the name and
// option conversions that each class's factories use.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>

#include "mproc/error.hpp"
#include "mproc/mproc.h"

namespace mproc {

// Mode bits of a named object's file in /dev/shm; 0600 (owner only) unless given. A type of
// its own so that it is never mistaken for a semaphore's value or a barrier's parties:
// `Semaphore::create("slots", 4, mproc::permissions{0660})`.
struct permissions {
    unsigned int mode = 0600;

    constexpr permissions() noexcept = default;
    constexpr explicit permissions(unsigned int m) noexcept : mode(m) {}
};

namespace detail {

// Owns one C handle and closes it when destroyed. The pointer is atomic because close()
// may run in one thread while another is blocked in a call on the same object: that is the
// C ABI's way to wake it (the blocked call then throws closed_error).
template <class T, int (*Close)(T *)>
class unique_handle {
  public:
    unique_handle() noexcept = default;
    explicit unique_handle(T *h) noexcept : h_(h) {}
    unique_handle(unique_handle &&other) noexcept : h_(other.release()) {}
    unique_handle &operator=(unique_handle &&other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    unique_handle(const unique_handle &) = delete;
    unique_handle &operator=(const unique_handle &) = delete;
    // The close result is dropped: a destructor must not throw, and the only failure
    // (MPROC_EBADHANDLE) cannot happen for a handle we own.
    ~unique_handle() { reset(); }

    T *get() const noexcept { return h_.load(std::memory_order_acquire); }

    T *release() noexcept { return h_.exchange(nullptr, std::memory_order_acq_rel); }

    void reset(T *h = nullptr) noexcept {
        if (T *old = h_.exchange(h, std::memory_order_acq_rel)) (void)Close(old);
    }

    // Closes now and reports a failure; does nothing if there is no handle.
    void close() {
        if (T *old = release()) check(Close(old));
    }

  private:
    std::atomic<T *> h_{nullptr};
};

// The NUL-terminated name for the C ABI. An embedded NUL would silently cut the name short,
// so it is refused here; everything else is checked by the library.
inline std::string c_name(std::string_view name) {
    if (name.find('\0') != std::string_view::npos) {
        throw_error(MPROC_EINVAL, "name contains a NUL character");
    }
    return std::string(name);
}

// A NUL-terminated copy of the string `s` for the C ABI. An embedded NUL would silently cut
// it short, so it is refused: invalid_argument_error, "<what> contains a NUL character".
inline std::string c_string(const char *what, std::string_view s) {
    if (s.find('\0') != std::string_view::npos) {
        throw_error(MPROC_EINVAL, std::string(what) + " contains a NUL character");
    }
    return std::string(s);
}

// The name of the object behind `h`, through its mproc_<kind>_name function.
template <class T>
std::string read_name(int (*name_fn)(const T *, char *, std::size_t), const T *h) {
    char buf[MPROC_NAME_MAX + 1];
    check(name_fn(h, buf, sizeof buf));
    return std::string(buf);
}

// Creation options: `flags` is 0 or MPROC_OPEN_EXISTING.
inline mproc_options_t make_options(unsigned int flags, permissions perms) {
    mproc_options_t opts;
    check(mproc_options_init(&opts));
    opts.flags = flags;
    opts.permissions = perms.mode;
    return opts;
}

}  // namespace detail
}  // namespace mproc
