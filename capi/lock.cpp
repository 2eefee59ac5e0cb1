// mproc_lock_*: the C face of core::sync::Lock.
#include "sync/lock.hpp"
#include "handle.hpp"
#include "sync_objects.hpp"

using mproc::core::sync::Deadline;
using mproc::core::sync::Lock;
namespace capi = mproc::capi;

struct mproc_lock : capi::Handle<Lock, 0x4c4f434bu /* LOCK */> {
    using Handle::Handle;
};

extern "C" {

int mproc_lock_create(const char *name, const mproc_options_t *opts, mproc_lock_t **out) {
    return capi::new_handle("mproc_lock_create", out, [&] {
        return Lock::create(capi::create_name(name), capi::to_create_options(opts));
    });
}

int mproc_lock_open(const char *name, mproc_lock_t **out) {
    return capi::open_handle("mproc_lock_open", name, out);
}

int mproc_lock_close(mproc_lock_t *lock) {
    return capi::close_handle("mproc_lock_close", lock);
}

int mproc_lock_unlink(const char *name) {
    return capi::unlink_name<Lock>("mproc_lock_unlink", name);
}

int mproc_lock_name(const mproc_lock_t *lock, char *buf, size_t len) {
    return capi::copy_name("mproc_lock_name", lock, buf, len);
}

int mproc_lock_acquire(mproc_lock_t *lock, double timeout) {
    mproc_lock *h = capi::live(lock);
    if (h == nullptr) return capi::bad_handle("mproc_lock_acquire");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_lock_acquire");
    // The uncontended path: one compare-and-swap, nothing else.
    if (h->rep->mutex().try_acquire_free()) return MPROC_OK;
    return capi::report(h->rep->acquire(Deadline::after(timeout)), "lock", h->name, "acquire");
}

int mproc_lock_release(mproc_lock_t *lock) {
    mproc_lock *h = capi::live(lock);
    if (h == nullptr) return capi::bad_handle("mproc_lock_release");
    return capi::report(h->rep->release(), "lock", h->name, "release of an unlocked lock");
}

int mproc_lock_locked(const mproc_lock_t *lock, int *locked) {
    return capi::get_value("mproc_lock_locked", lock, locked,
                           [](const Lock &l) { return l.locked() ? 1 : 0; });
}

}  // extern "C"

// For Condition's create_with_lock: the core object behind a live handle, or nullptr.
const Lock *mproc::capi::lock_object(const mproc_lock_t *lock) {
    mproc_lock *h = capi::live(lock);
    return h != nullptr ? &*h->rep : nullptr;
}
