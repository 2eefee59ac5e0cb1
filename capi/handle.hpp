// What every C handle is, and the create / open / close / unlink / name calls that are
// the same for every kind. Each capi/<kind>.cpp declares its struct as
//     struct mproc_lock : mproc::capi::Handle<core::sync::Lock, tag> { using Handle::Handle; };
// and keeps only what is particular to its kind.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "options.hpp"
#include "status.hpp"

namespace mproc::capi {

template <typename Rep, std::uint32_t Tag>
struct Handle {
    static constexpr std::uint32_t kTag = Tag;
    explicit Handle(Rep object) : rep(std::move(object)), name(rep->name()) {}

    // Checked on every call: a closed or foreign pointer gives MPROC_EBADHANDLE.
    std::atomic<std::uint32_t> tag{Tag};
    std::optional<Rep> rep;  // empty once closed
    // A copy of the object's name for error messages: a call that close() woke writes its
    // message after the object is gone, and the handle shell outlives it (quarantine).
    const std::string name;
};

// Closed handles are kept (their objects destroyed) for the last few hundred closes, so a
// use after close finds a dead tag instead of freed memory. Older ones are freed.
void quarantine(void *shell, void (*free_shell)(void *)) noexcept;

// The handle, or nullptr if it is NULL, closed or of another kind.
template <typename H>
H *live(const H *handle) noexcept {
    if (handle == nullptr || handle->tag.load(std::memory_order_acquire) != H::kTag) {
        return nullptr;
    }
    return const_cast<H *>(handle);
}

inline int bad_handle(const char *function) noexcept {
    return fail(MPROC_EBADHANDLE, std::string(function) + ": NULL, closed or wrong-kind handle");
}

inline int null_argument(const char *function, const char *argument) noexcept {
    return fail(MPROC_EINVAL, std::string(function) + ": " + argument + " is NULL");
}

inline int bad_timeout(const char *function) noexcept {
    return fail(MPROC_EINVAL, std::string(function) + ": timeout is NaN");
}

// *out = a new handle over make()'s object.
template <typename H, typename Make>
int new_handle(const char *function, H **out, Make &&make) noexcept {
    if (out == nullptr) return null_argument(function, "out");
    return guarded([&] {
        *out = new H(make());
        return MPROC_OK;
    });
}

// The name for a create call: NULL means anonymous (the core's empty name); "" is a bad
// name, not a request for an anonymous object. Throws core::Error(kInvalid) for "".
inline std::string_view create_name(const char *name) {
    if (name == nullptr) return std::string_view();
    if (name[0] == '\0') throw core::Error(core::kInvalid, "invalid name: empty");
    return std::string_view(name);
}

template <typename H>
int open_handle(const char *function, const char *name, H **out) noexcept {
    if (name == nullptr) return null_argument(function, "name");
    using Rep = typename decltype(std::declval<H>().rep)::value_type;
    return new_handle(function, out, [&] { return Rep::open(name); });
}

template <typename H>
int close_handle(const char *function, H *handle) noexcept {
    H *h = live(handle);
    if (h == nullptr) return bad_handle(function);
    std::uint32_t expected = H::kTag;
    if (!h->tag.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
        return bad_handle(function);  // closed by another thread just now
    }
    h->rep->close();  // wakes and waits out the calls blocked on this handle
    h->rep.reset();
    quarantine(h, [](void *shell) { delete static_cast<H *>(shell); });
    return MPROC_OK;
}

template <typename Rep>
int unlink_name(const char *function, const char *name) noexcept {
    if (name == nullptr) return null_argument(function, "name");
    return guarded([&] {
        Rep::unlink(name);
        return MPROC_OK;
    });
}

template <typename H>
int copy_name(const char *function, const H *handle, char *buf, std::size_t len) noexcept {
    H *h = live(handle);
    if (h == nullptr) return bad_handle(function);
    if (buf == nullptr) return null_argument(function, "buf");
    const std::string &name = h->rep->name();
    if (len < name.size() + 1) {
        return fail(MPROC_ETOOBIG, std::string(function) + ": buffer of " + std::to_string(len) +
                                       " bytes, the name needs " + std::to_string(name.size() + 1));
    }
    std::memcpy(buf, name.c_str(), name.size() + 1);
    return MPROC_OK;
}

// Writes *out = value after the usual handle and out-pointer checks.
template <typename H, typename T, typename Get>
int get_value(const char *function, const H *handle, T *out, Get &&get) noexcept {
    H *h = live(handle);
    if (h == nullptr) return bad_handle(function);
    if (out == nullptr) return null_argument(function, "out");
    *out = static_cast<T>(get(*h->rep));
    return MPROC_OK;
}

}  // namespace mproc::capi
