// mproc_rlock_*: the C face of core::sync::RLock.
#include "sync/rlock.hpp"
#include "handle.hpp"
#include "sync_objects.hpp"

using mproc::core::sync::Deadline;
using mproc::core::sync::RLock;
namespace capi = mproc::capi;

struct mproc_rlock : capi::Handle<RLock, 0x524c434bu /* RLCK */> {
    using Handle::Handle;
};

extern "C" {

int mproc_rlock_create(const char *name, const mproc_options_t *opts, mproc_rlock_t **out) {
    return capi::new_handle("mproc_rlock_create", out, [&] {
        return RLock::create(capi::create_name(name), capi::to_create_options(opts));
    });
}

int mproc_rlock_open(const char *name, mproc_rlock_t **out) {
    return capi::open_handle("mproc_rlock_open", name, out);
}

int mproc_rlock_close(mproc_rlock_t *rlock) {
    return capi::close_handle("mproc_rlock_close", rlock);
}

int mproc_rlock_unlink(const char *name) {
    return capi::unlink_name<RLock>("mproc_rlock_unlink", name);
}

int mproc_rlock_name(const mproc_rlock_t *rlock, char *buf, size_t len) {
    return capi::copy_name("mproc_rlock_name", rlock, buf, len);
}

int mproc_rlock_acquire(mproc_rlock_t *rlock, double timeout) {
    mproc_rlock *h = capi::live(rlock);
    if (h == nullptr) return capi::bad_handle("mproc_rlock_acquire");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_rlock_acquire");
    return capi::report(h->rep->acquire(Deadline::after(timeout)), "rlock", h->name, "acquire");
}

int mproc_rlock_release(mproc_rlock_t *rlock) {
    mproc_rlock *h = capi::live(rlock);
    if (h == nullptr) return capi::bad_handle("mproc_rlock_release");
    return capi::report(h->rep->release(), "rlock", h->name,
                        "release by a thread that does not own it");
}

int mproc_rlock_count(const mproc_rlock_t *rlock, unsigned int *count) {
    return capi::get_value("mproc_rlock_count", rlock, count,
                           [](const RLock &l) { return l.count(); });
}

int mproc_rlock_is_owned(const mproc_rlock_t *rlock, int *owned) {
    return capi::get_value("mproc_rlock_is_owned", rlock, owned,
                           [](const RLock &l) { return l.is_owned() ? 1 : 0; });
}

}  // extern "C"

// For Condition's create_with_rlock: the core object behind a live handle, or nullptr.
const RLock *mproc::capi::rlock_object(const mproc_rlock_t *rlock) {
    mproc_rlock *h = capi::live(rlock);
    return h != nullptr ? &*h->rep : nullptr;
}
