// mproc_barrier_*: the C face of core::sync::Barrier.
#include "sync/barrier.hpp"
#include "handle.hpp"

using mproc::core::sync::Barrier;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;

static_assert(MPROC_BARRIER_MAX_PARTIES == mproc::core::sync::kBarrierMaxParties);

struct mproc_barrier : capi::Handle<Barrier, 0x42415252u /* BARR */> {
    using Handle::Handle;
};

extern "C" {

int mproc_barrier_create(const char *name, unsigned int parties, const mproc_options_t *opts,
                         mproc_barrier_t **out) {
    return capi::new_handle("mproc_barrier_create", out, [&] {
        return Barrier::create(capi::create_name(name), parties, capi::to_create_options(opts));
    });
}

int mproc_barrier_open(const char *name, mproc_barrier_t **out) {
    return capi::open_handle("mproc_barrier_open", name, out);
}

int mproc_barrier_close(mproc_barrier_t *barrier) {
    return capi::close_handle("mproc_barrier_close", barrier);
}

int mproc_barrier_unlink(const char *name) {
    return capi::unlink_name<Barrier>("mproc_barrier_unlink", name);
}

int mproc_barrier_name(const mproc_barrier_t *barrier, char *buf, size_t len) {
    return capi::copy_name("mproc_barrier_name", barrier, buf, len);
}

int mproc_barrier_set_action(mproc_barrier_t *barrier, mproc_barrier_action_fn action, void *arg) {
    mproc_barrier *h = capi::live(barrier);
    if (h == nullptr) return capi::bad_handle("mproc_barrier_set_action");
    h->rep->set_action(action, arg);
    return MPROC_OK;
}

int mproc_barrier_wait(mproc_barrier_t *barrier, double timeout, unsigned int *index) {
    mproc_barrier *h = capi::live(barrier);
    if (h == nullptr) return capi::bad_handle("mproc_barrier_wait");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_barrier_wait");
    std::uint32_t arrival = 0;
    int status = h->rep->wait(Deadline::after(timeout), &arrival);
    if (status == MPROC_OK && index != nullptr) *index = arrival;
    return capi::report(status, "barrier", h->name, "wait");
}

int mproc_barrier_reset(mproc_barrier_t *barrier) {
    mproc_barrier *h = capi::live(barrier);
    if (h == nullptr) return capi::bad_handle("mproc_barrier_reset");
    return capi::report(h->rep->reset(), "barrier", h->name, "reset");
}

int mproc_barrier_abort(mproc_barrier_t *barrier) {
    mproc_barrier *h = capi::live(barrier);
    if (h == nullptr) return capi::bad_handle("mproc_barrier_abort");
    return capi::report(h->rep->abort(), "barrier", h->name, "abort");
}

int mproc_barrier_parties(const mproc_barrier_t *barrier, unsigned int *parties) {
    return capi::get_value("mproc_barrier_parties", barrier, parties,
                           [](const Barrier &b) { return b.parties(); });
}

int mproc_barrier_n_waiting(const mproc_barrier_t *barrier, unsigned int *n) {
    return capi::get_value("mproc_barrier_n_waiting", barrier, n,
                           [](const Barrier &b) { return b.n_waiting(); });
}

int mproc_barrier_broken(const mproc_barrier_t *barrier, int *broken) {
    return capi::get_value("mproc_barrier_broken", barrier, broken,
                           [](const Barrier &b) { return b.broken() ? 1 : 0; });
}

}  // extern "C"
