// mproc/event.hpp -- mproc::Event, a flag in shared memory that processes wait for, like
// multiprocessing.Event.
#pragma once

#include <string>
#include <string_view>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// A flag in POSIX shared memory, attachable by name from any process, like
// multiprocessing.Event: set() wakes every waiter, clear() resets it, wait() blocks until it
// is set. A set() that happens while a thread waits is never missed, even if the flag is
// cleared again at once. Move-only; the destructor closes the handle; safe to use from many
// threads at once.
class Event {
  public:
    // Creates a new, unset event. Throws exists_error, invalid_argument_error,
    // permission_error, system_error.
    static Event create(std::string_view name, permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), 0, perms);
    }

    // Creates an anonymous event (generated name, inherited by fork(), name removed when this
    // process closes it).
    static Event create() { return make(nullptr, 0, permissions()); }

    // Opens the event named `name`, creating it (unset) if there is none.
    static Event create_or_open(std::string_view name, permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), MPROC_OPEN_EXISTING, perms);
    }

    // Opens an existing event. Throws not_found_error, kind_error, version_error.
    static Event open(std::string_view name) {
        mproc_event_t *h = nullptr;
        detail::check(mproc_event_open(detail::c_name(name).c_str(), &h));
        return Event(h);
    }

    // Removes the name. Throws not_found_error, kind_error.
    static void unlink(std::string_view name) {
        detail::check(mproc_event_unlink(detail::c_name(name).c_str()));
    }

    Event(Event &&) noexcept = default;
    Event &operator=(Event &&) noexcept = default;
    ~Event() = default;

    // Sets the flag and wakes every waiter; never blocks.
    void set() { detail::check(mproc_event_set(h_.get())); }

    // Clears the flag; never blocks.
    void clear() { detail::check(mproc_event_clear(h_.get())); }

    // Whether the flag is set now (a snapshot).
    bool is_set() const {
        int flag = 0;
        detail::check(mproc_event_is_set(h_.get(), &flag));
        return flag != 0;
    }

    // Blocks up to `limit` (default forever) until the flag is set; returns at once if it is.
    // Returns false on timeout, as Python's wait(). Throws closed_error,
    // invalid_argument_error.
    bool wait(timeout limit = forever) {
        const int rc = mproc_event_wait(h_.get(), limit.seconds());
        if (rc == MPROC_ETIMEDOUT) return false;
        detail::check(rc);
        return true;
    }

    std::string name() const { return detail::read_name(mproc_event_name, h_.get()); }
    mproc_event_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the handle now; calls blocked on it in other threads throw closed_error.
    void close() { h_.close(); }

  private:
    explicit Event(mproc_event_t *h) noexcept : h_(h) {}

    static Event make(const char *name, unsigned int flags, permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_event_t *h = nullptr;
        detail::check(mproc_event_create(name, &opts, &h));
        return Event(h);
    }

    detail::unique_handle<mproc_event_t, mproc_event_close> h_;
};

}  // namespace mproc
