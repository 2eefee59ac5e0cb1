// mproc_semaphore_* and mproc_bounded_semaphore_create: the C face of core::sync::Semaphore.
#include "sync/semaphore.hpp"
#include "handle.hpp"

using mproc::core::sync::Deadline;
using mproc::core::sync::Semaphore;
namespace capi = mproc::capi;

static_assert(MPROC_SEMAPHORE_VALUE_MAX == mproc::core::sync::kSemaphoreValueMax);

struct mproc_semaphore : capi::Handle<Semaphore, 0x53454d41u /* SEMA */> {
    using Handle::Handle;
};

extern "C" {

int mproc_semaphore_create(const char *name, unsigned int value, const mproc_options_t *opts,
                           mproc_semaphore_t **out) {
    return capi::new_handle("mproc_semaphore_create", out, [&] {
        return Semaphore::create(capi::create_name(name), value, false,
                                 capi::to_create_options(opts));
    });
}

int mproc_bounded_semaphore_create(const char *name, unsigned int value,
                                   const mproc_options_t *opts, mproc_semaphore_t **out) {
    return capi::new_handle("mproc_bounded_semaphore_create", out, [&] {
        return Semaphore::create(capi::create_name(name), value, true,
                                 capi::to_create_options(opts));
    });
}

int mproc_semaphore_open(const char *name, mproc_semaphore_t **out) {
    return capi::open_handle("mproc_semaphore_open", name, out);
}

int mproc_semaphore_close(mproc_semaphore_t *sem) {
    return capi::close_handle("mproc_semaphore_close", sem);
}

int mproc_semaphore_unlink(const char *name) {
    return capi::unlink_name<Semaphore>("mproc_semaphore_unlink", name);
}

int mproc_semaphore_name(const mproc_semaphore_t *sem, char *buf, size_t len) {
    return capi::copy_name("mproc_semaphore_name", sem, buf, len);
}

int mproc_semaphore_acquire(mproc_semaphore_t *sem, double timeout) {
    mproc_semaphore *h = capi::live(sem);
    if (h == nullptr) return capi::bad_handle("mproc_semaphore_acquire");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_semaphore_acquire");
    return capi::report(h->rep->acquire(Deadline::after(timeout)), "semaphore", h->name, "acquire");
}

int mproc_semaphore_release(mproc_semaphore_t *sem, unsigned int n) {
    mproc_semaphore *h = capi::live(sem);
    if (h == nullptr) return capi::bad_handle("mproc_semaphore_release");
    return capi::report(h->rep->release(n), "semaphore", h->name,
                        n == 0 ? "release of 0" : "release");
}

int mproc_semaphore_value(const mproc_semaphore_t *sem, unsigned int *value) {
    return capi::get_value("mproc_semaphore_value", sem, value,
                           [](const Semaphore &s) { return s.value(); });
}

int mproc_semaphore_bound(const mproc_semaphore_t *sem, unsigned int *bound) {
    return capi::get_value("mproc_semaphore_bound", sem, bound,
                           [](const Semaphore &s) { return s.bound(); });
}

}  // extern "C"
