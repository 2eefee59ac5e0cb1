// mproc_condition_*: the C face of core::sync::Condition.
#include "sync/condition.hpp"
#include "handle.hpp"
#include "sync_objects.hpp"

using mproc::core::sync::Condition;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;

static_assert(MPROC_CONDITION_MAX_WAITERS == mproc::core::sync::kConditionMaxWaiters);

struct mproc_condition : capi::Handle<Condition, 0x434f4e44u /* COND */> {
    using Handle::Handle;
};

extern "C" {

int mproc_condition_create(const char *name, const mproc_options_t *opts, mproc_condition_t **out) {
    return capi::new_handle("mproc_condition_create", out, [&] {
        return Condition::create(capi::create_name(name), capi::to_create_options(opts));
    });
}

int mproc_condition_create_with_lock(const char *name, mproc_lock_t *lock,
                                     const mproc_options_t *opts, mproc_condition_t **out) {
    const auto *object = capi::lock_object(lock);
    if (object == nullptr) return capi::bad_handle("mproc_condition_create_with_lock");
    return capi::new_handle("mproc_condition_create_with_lock", out, [&] {
        return Condition::create_with(capi::create_name(name), *object,
                                      capi::to_create_options(opts));
    });
}

int mproc_condition_create_with_rlock(const char *name, mproc_rlock_t *rlock,
                                      const mproc_options_t *opts, mproc_condition_t **out) {
    const auto *object = capi::rlock_object(rlock);
    if (object == nullptr) return capi::bad_handle("mproc_condition_create_with_rlock");
    return capi::new_handle("mproc_condition_create_with_rlock", out, [&] {
        return Condition::create_with(capi::create_name(name), *object,
                                      capi::to_create_options(opts));
    });
}

int mproc_condition_open(const char *name, mproc_condition_t **out) {
    return capi::open_handle("mproc_condition_open", name, out);
}

int mproc_condition_close(mproc_condition_t *cond) {
    return capi::close_handle("mproc_condition_close", cond);
}

int mproc_condition_unlink(const char *name) {
    return capi::unlink_name<Condition>("mproc_condition_unlink", name);
}

int mproc_condition_name(const mproc_condition_t *cond, char *buf, size_t len) {
    return capi::copy_name("mproc_condition_name", cond, buf, len);
}

int mproc_condition_acquire(mproc_condition_t *cond, double timeout) {
    mproc_condition *h = capi::live(cond);
    if (h == nullptr) return capi::bad_handle("mproc_condition_acquire");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_condition_acquire");
    return capi::report(h->rep->acquire(Deadline::after(timeout)), "condition", h->name, "acquire");
}

int mproc_condition_release(mproc_condition_t *cond) {
    mproc_condition *h = capi::live(cond);
    if (h == nullptr) return capi::bad_handle("mproc_condition_release");
    return capi::report(h->rep->release(), "condition", h->name, "release");
}

int mproc_condition_wait(mproc_condition_t *cond, double timeout) {
    mproc_condition *h = capi::live(cond);
    if (h == nullptr) return capi::bad_handle("mproc_condition_wait");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_condition_wait");
    return capi::report(h->rep->wait(Deadline::after(timeout)), "condition", h->name, "wait");
}

int mproc_condition_wait_for(mproc_condition_t *cond, mproc_predicate_fn predicate, void *arg,
                             double timeout) {
    mproc_condition *h = capi::live(cond);
    if (h == nullptr) return capi::bad_handle("mproc_condition_wait_for");
    if (predicate == nullptr) return capi::null_argument("mproc_condition_wait_for", "predicate");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_condition_wait_for");
    return capi::report(h->rep->wait_for(predicate, arg, Deadline::after(timeout)), "condition",
                        h->name, "wait_for");
}

int mproc_condition_notify(mproc_condition_t *cond, unsigned int n) {
    mproc_condition *h = capi::live(cond);
    if (h == nullptr) return capi::bad_handle("mproc_condition_notify");
    return capi::report(h->rep->notify(n), "condition", h->name, "notify");
}

int mproc_condition_notify_all(mproc_condition_t *cond) {
    mproc_condition *h = capi::live(cond);
    if (h == nullptr) return capi::bad_handle("mproc_condition_notify_all");
    return capi::report(h->rep->notify(UINT32_MAX), "condition", h->name, "notify_all");
}

}  // extern "C"
