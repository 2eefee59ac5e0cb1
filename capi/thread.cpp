// mproc_thread_*: the C face of core::process::Thread.
#include <cstdint>
#include <optional>
#include <string>

#include "handle.hpp"
#include "process/thread.hpp"
#include "task_handle.hpp"

using mproc::core::process::Thread;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;

struct mproc_thread : capi::Handle<Thread, 0x54485244u /* THRD */> {
    using Handle::Handle;
};

namespace {

bool is_bytes_result(char type) noexcept {
    return type == 's' || type == 'S' || type == 'y' || type == 'Y';
}

}  // namespace

extern "C" {

int mproc_thread_create(const mproc_task_t *target, const char *name, mproc_thread_t **out) {
    const char *function = "mproc_thread_create";
    if (out == nullptr) return capi::null_argument(function, "out");
    const mproc_task *task = capi::live(target);
    if (task == nullptr) return capi::bad_handle(function);
    return capi::new_handle(function, out, [&] {
        std::optional<std::string> chosen;
        if (name != nullptr) chosen = std::string(name);
        return Thread(*task->rep, std::move(chosen));
    });
}

int mproc_thread_start(mproc_thread_t *thread) {
    mproc_thread *h = capi::live(thread);
    if (h == nullptr) return capi::bad_handle("mproc_thread_start");
    return capi::guarded([&] {
        h->rep->start();
        return MPROC_OK;
    });
}

int mproc_thread_join(mproc_thread_t *thread, double timeout) {
    mproc_thread *h = capi::live(thread);
    if (h == nullptr) return capi::bad_handle("mproc_thread_join");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_thread_join");
    return capi::guarded([&] {
        return capi::report(h->rep->join(Deadline::after(timeout)), "thread", h->name, "join");
    });
}

int mproc_thread_is_alive(const mproc_thread_t *thread, int *alive) {
    return capi::get_value("mproc_thread_is_alive", thread, alive,
                           [](const Thread &t) { return t.is_alive() ? 1 : 0; });
}

int mproc_thread_ident(const mproc_thread_t *thread, unsigned long long *ident) {
    mproc_thread *h = capi::live(thread);
    if (h == nullptr) return capi::bad_handle("mproc_thread_ident");
    if (ident == nullptr) return capi::null_argument("mproc_thread_ident", "ident");
    const std::uint64_t id = h->rep->ident();
    if (id == 0) return capi::fail(MPROC_EEMPTY, "thread '" + h->name + "': not started");
    *ident = id;
    return MPROC_OK;
}

int mproc_thread_name(const mproc_thread_t *thread, char *buf, size_t len) {
    return capi::copy_name("mproc_thread_name", thread, buf, len);
}

int mproc_thread_result(const mproc_thread_t *thread, mproc_result_t *result) {
    mproc_thread *h = capi::live(thread);
    if (h == nullptr) return capi::bad_handle("mproc_thread_result");
    if (result == nullptr) return capi::null_argument("mproc_thread_result", "result");
    const Thread::Outcome *outcome = h->rep->outcome();
    if (outcome == nullptr) {
        return capi::fail(MPROC_EEMPTY, "thread '" + h->name + "': its task has not finished");
    }
    if (outcome->status != mproc::core::kOk) return capi::fail(outcome->status, outcome->message);
    // The outcome is written once and then only read, and it lives as long as the handle:
    // data points into it (a std::string keeps a NUL after its bytes).
    const mproc::core::task::Result &r = outcome->result;
    const bool bytes = is_bytes_result(r.type) && !r.null;
    result->type = r.type;
    result->i = r.i;
    result->u = r.u;
    result->d = r.d;
    result->data = bytes ? r.bytes.c_str() : nullptr;
    result->len = bytes ? r.bytes.size() : 0;
    return MPROC_OK;
}

// Not capi::close_handle: a running thread makes close fail and frees nothing.
int mproc_thread_close(mproc_thread_t *thread) {
    const char *function = "mproc_thread_close";
    mproc_thread *h = capi::live(thread);
    if (h == nullptr) return capi::bad_handle(function);
    if (h->rep->is_alive()) {
        return capi::fail(MPROC_EINVAL,
                          "thread '" + h->name + "': close: it is still running; join it first");
    }
    std::uint32_t expected = mproc_thread::kTag;
    if (!h->tag.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
        return capi::bad_handle(function);  // closed by another thread just now
    }
    h->rep.reset();  // joins the system thread, whose task is over
    capi::quarantine(h, [](void *shell) { delete static_cast<mproc_thread *>(shell); });
    return MPROC_OK;
}

}  // extern "C"
