// mproc_future_* and mproc_futures_*: the C face of core::pool::Future. The handle struct
// is in future_handle.hpp, because the pools (capi/thread_pool.cpp, capi/pool.cpp) make them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "future_handle.hpp"

using mproc::core::pool::Future;
using mproc::core::pool::FuturePtr;
using mproc::core::pool::Outcome;
using mproc::core::pool::ReturnWhen;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;
namespace core = mproc::core;

namespace {

// "future of task 'libm.so.6:cos'", for messages.
std::string what(const mproc_future *h) {
    return "future of " + h->name;
}

bool is_text_result(char type) noexcept {
    return type == 's' || type == 'S' || type == 'y' || type == 'Y';
}

int timed_out(const mproc_future *h, const char *verb) noexcept {
    return capi::guarded(
        [&] { return capi::fail(MPROC_ETIMEDOUT, what(h) + ": " + verb + ": timed out"); });
}

// The status of a done future: MPROC_OK, its task's error, or MPROC_ECANCELLED, with the
// message recorded for mproc_last_error(). *outcome = the outcome of a successful one.
int settled(const mproc_future *h, const Outcome **outcome) noexcept {
    const Outcome *o = h->rep->future->outcome();
    if (o == nullptr) {
        return capi::guarded(
            [&] { return capi::fail(MPROC_ECANCELLED, what(h) + ": cancelled before it ran"); });
    }
    if (o->status != core::kOk) return capi::fail(o->status, o->message);
    *outcome = o;
    return MPROC_OK;
}

// Checks a list of futures as mproc_futures_wait and _wait_any take it, into `out`.
int collect(const char *function, mproc_future_t *const *futures, std::size_t n,
            std::vector<FuturePtr> &out) noexcept {
    if (futures == nullptr && n > 0) return capi::null_argument(function, "futures");
    return capi::guarded([&] {
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            if (futures[i] == nullptr) {
                return capi::fail(MPROC_EINVAL, std::string(function) + ": futures[" +
                                                    std::to_string(i) + "] is NULL");
            }
            const mproc_future *h = capi::live(futures[i]);
            if (h == nullptr) return capi::bad_handle(function);
            out.push_back(h->rep->future);
        }
        return MPROC_OK;
    });
}

}  // namespace

extern "C" {

int mproc_future_wait(mproc_future_t *future, double timeout) {
    const char *function = "mproc_future_wait";
    mproc_future *h = capi::live(future);
    if (h == nullptr) return capi::bad_handle(function);
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    if (h->rep->future->wait(Deadline::after(timeout))) return MPROC_OK;
    return timed_out(h, "wait");
}

int mproc_future_done(const mproc_future_t *future, int *done) {
    return capi::get_value("mproc_future_done", future, done,
                           [](const capi::FutureRef &f) { return f.future->done() ? 1 : 0; });
}

int mproc_future_running(const mproc_future_t *future, int *running) {
    return capi::get_value("mproc_future_running", future, running,
                           [](const capi::FutureRef &f) { return f.future->running() ? 1 : 0; });
}

int mproc_future_cancelled(const mproc_future_t *future, int *cancelled) {
    return capi::get_value("mproc_future_cancelled", future, cancelled,
                           [](const capi::FutureRef &f) { return f.future->cancelled() ? 1 : 0; });
}

int mproc_future_cancel(mproc_future_t *future, int *cancelled) {
    mproc_future *h = capi::live(future);
    if (h == nullptr) return capi::bad_handle("mproc_future_cancel");
    return capi::guarded([&] {
        const bool did = h->rep->future->cancel();  // runs the callbacks here if it did
        if (cancelled != nullptr) *cancelled = did ? 1 : 0;
        return MPROC_OK;
    });
}

int mproc_future_result(mproc_future_t *future, double timeout, mproc_result_t *result) {
    const char *function = "mproc_future_result";
    mproc_future *h = capi::live(future);
    if (h == nullptr) return capi::bad_handle(function);
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    if (!h->rep->future->wait(Deadline::after(timeout))) return timed_out(h, "result");
    const Outcome *outcome = nullptr;
    const int rc = settled(h, &outcome);
    if (rc != MPROC_OK || result == nullptr) return rc;
    // The outcome is written once before the future is done and never changes, and the
    // handle keeps the future alive: data points into it (a std::string keeps a NUL after
    // its bytes).
    const core::task::Result &r = outcome->result;
    const bool text = is_text_result(r.type) && !r.null;
    result->type = r.type;
    result->i = r.i;
    result->u = r.u;
    result->d = r.d;
    result->data = text ? r.bytes.c_str() : nullptr;
    result->len = text ? r.bytes.size() : 0;
    return MPROC_OK;
}

int mproc_future_exception(mproc_future_t *future, double timeout, int *code) {
    const char *function = "mproc_future_exception";
    mproc_future *h = capi::live(future);
    if (h == nullptr) return capi::bad_handle(function);
    if (code == nullptr) return capi::null_argument(function, "code");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    if (!h->rep->future->wait(Deadline::after(timeout))) return timed_out(h, "exception");
    const Outcome *outcome = nullptr;
    *code = settled(h, &outcome);
    return MPROC_OK;
}

int mproc_future_add_done_callback(mproc_future_t *future, mproc_future_callback_fn fn, void *arg) {
    const char *function = "mproc_future_add_done_callback";
    mproc_future *h = capi::live(future);
    if (h == nullptr) return capi::bad_handle(function);
    if (fn == nullptr) return capi::null_argument(function, "fn");
    return capi::guarded([&] {
        h->rep->future->add_done_callback([fn, arg, label = h->name](const FuturePtr &done) {
            // A handle for the length of the call: the caller's may be closed already, or
            // being closed by another thread. Never quarantined, so it must not be closed.
            mproc_future call_handle(capi::FutureRef{done, label});
            fn(&call_handle, arg);
        });
        return MPROC_OK;
    });
}

int mproc_future_close(mproc_future_t *future) {
    if (future == nullptr) return MPROC_OK;
    return capi::close_handle("mproc_future_close", future);
}

int mproc_futures_wait(mproc_future_t *const *futures, size_t n, int return_when, double timeout,
                       size_t *ndone) {
    const char *function = "mproc_futures_wait";
    if (return_when != MPROC_FIRST_COMPLETED && return_when != MPROC_FIRST_EXCEPTION &&
        return_when != MPROC_ALL_COMPLETED) {
        return capi::fail(MPROC_EINVAL, std::string(function) + ": return_when " +
                                            std::to_string(return_when) +
                                            " is none of MPROC_FIRST_COMPLETED, "
                                            "MPROC_FIRST_EXCEPTION, MPROC_ALL_COMPLETED");
    }
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    std::vector<FuturePtr> list;
    int rc = collect(function, futures, n, list);
    if (rc != MPROC_OK) return rc;
    if (ndone != nullptr) *ndone = 0;
    if (n == 0) return MPROC_OK;
    return capi::guarded([&] {
        std::size_t done = 0;
        const core::Status status = Future::wait_some(list, static_cast<ReturnWhen>(return_when),
                                                      Deadline::after(timeout), &done);
        if (ndone != nullptr) *ndone = done;
        if (status == core::kOk) return MPROC_OK;
        return capi::fail(MPROC_ETIMEDOUT, std::string(function) + ": timed out with " +
                                               std::to_string(done) + " of " + std::to_string(n) +
                                               " futures done");
    });
}

int mproc_futures_wait_any(mproc_future_t *const *futures, size_t n, double timeout,
                           size_t *index) {
    const char *function = "mproc_futures_wait_any";
    if (index == nullptr) return capi::null_argument(function, "index");
    if (n == 0) return capi::fail(MPROC_EINVAL, std::string(function) + ": no futures (n is 0)");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    std::vector<FuturePtr> list;
    int rc = collect(function, futures, n, list);
    if (rc != MPROC_OK) return rc;
    return capi::guarded([&] {
        std::size_t at = 0;
        if (Future::wait_any(list, Deadline::after(timeout), &at) == core::kOk) {
            *index = at;
            return MPROC_OK;
        }
        return capi::fail(MPROC_ETIMEDOUT, std::string(function) + ": none of " +
                                               std::to_string(n) + " futures done: timed out");
    });
}

int mproc_futures_close(mproc_future_t **futures, size_t n) {
    if (futures == nullptr) {
        return n == 0 ? MPROC_OK : capi::null_argument("mproc_futures_close", "futures");
    }
    int first = MPROC_OK;
    for (std::size_t i = 0; i < n; ++i) {
        if (futures[i] == nullptr) continue;
        const int rc = capi::close_handle("mproc_futures_close", futures[i]);
        if (rc != MPROC_OK && first == MPROC_OK) first = rc;
        futures[i] = nullptr;
    }
    return first;
}

}  // extern "C"
