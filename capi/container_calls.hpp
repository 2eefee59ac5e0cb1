// The calls that mproc_dict_* and mproc_list_* share: create, the checks that start a call
// on a container handle, and len, acquire, release and memory, which do the same on a dict
// as on a list. A container's handle struct names its kind for the messages, as
//     static constexpr const char *kKind = "dict";
#pragma once

#include <cstddef>
#include <utility>

#include "container/mirrored_heap.hpp"
#include "handle.hpp"
#include "mproc/mproc.h"
#include "sync/deadline.hpp"

namespace mproc::capi {

// mproc_<kind>_create. Sizes of 0 pass through: the core gives them the defaults, and
// checks the ranges.
template <typename H>
int create_container(const char *function, const char *name, std::size_t initial_size,
                     std::size_t max_size, const mproc_options_t *opts, H **out) noexcept {
    using Rep = typename decltype(std::declval<H>().rep)::value_type;
    return new_handle(function, out, [&] {
        return Rep::create(create_name(name), core::container::HeapSizes{initial_size, max_size},
                           to_create_options(opts));
    });
}

// The checks of every call that takes a handle and a timeout: sets *h to the live handle.
template <typename H>
int start_call(const char *function, const H *handle, double timeout, H **h) noexcept {
    *h = live(handle);
    if (*h == nullptr) return bad_handle(function);
    if (!valid_timeout(timeout)) return bad_timeout(function);
    return MPROC_OK;
}

// mproc_<kind>_len.
template <typename H>
int container_len(const char *function, H *handle, std::size_t *n, double timeout) noexcept {
    H *h = nullptr;
    const int rc = start_call(function, handle, timeout, &h);
    if (rc != MPROC_OK) return rc;
    if (n == nullptr) return null_argument(function, "n");
    return guarded([&] {
        std::size_t size = 0;
        const int status = h->rep->size(&size, core::sync::Deadline::after(timeout));
        if (status == MPROC_OK) *n = size;
        return report(status, H::kKind, h->name, "len");
    });
}

// mproc_<kind>_acquire.
template <typename H>
int container_acquire(const char *function, H *handle, double timeout) noexcept {
    H *h = nullptr;
    const int rc = start_call(function, handle, timeout, &h);
    if (rc != MPROC_OK) return rc;
    return report(h->rep->acquire(core::sync::Deadline::after(timeout)), H::kKind, h->name,
                  "acquire");
}

// mproc_<kind>_release.
template <typename H>
int container_release(const char *function, H *handle) noexcept {
    H *h = live(handle);
    if (h == nullptr) return bad_handle(function);
    return report(h->rep->release(), H::kKind, h->name,
                  "release by a thread that does not own its lock");
}

// mproc_<kind>_memory: each out-parameter may be NULL.
template <typename H>
int container_memory(const char *function, H *handle, std::size_t *capacity, std::size_t *max_size,
                     std::size_t *free, double timeout) noexcept {
    H *h = nullptr;
    const int rc = start_call(function, handle, timeout, &h);
    if (rc != MPROC_OK) return rc;
    return guarded([&] {
        core::container::HeapMemory m;
        const int status = h->rep->memory(core::sync::Deadline::after(timeout), &m);
        if (status == MPROC_OK) {
            if (capacity != nullptr) *capacity = m.capacity;
            if (max_size != nullptr) *max_size = m.max_size;
            if (free != nullptr) *free = m.free;
        }
        return report(status, H::kKind, h->name, "memory");
    });
}

}  // namespace mproc::capi
