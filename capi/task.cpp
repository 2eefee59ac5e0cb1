// mproc_task_*: the C face of core::task::Task. The handle struct is in task_handle.hpp,
// because capi/process.cpp and capi/thread.cpp read the task inside it.
#include <cstddef>
#include <string>
#include <thread>

#include "task/ffi_call.hpp"
#include "task/signature.hpp"
#include "task/task.hpp"
#include "task_handle.hpp"

using mproc::core::task::Result;
using mproc::core::task::Task;
namespace capi = mproc::capi;
namespace task = mproc::core::task;

static_assert(MPROC_TASK_MAX_ARGS == task::kMaxArgs);
// A 'y' / 'Y' function returns mproc_bytes_t; the core builds the libffi struct type from
// its own copy of it.
static_assert(sizeof(mproc_bytes_t) == sizeof(task::Bytes) &&
              offsetof(mproc_bytes_t, data) == offsetof(task::Bytes, data) &&
              offsetof(mproc_bytes_t, len) == offsetof(task::Bytes, len));

namespace {

// Runs `change` on the live task (the add_* calls and clear_args).
template <typename Change>
int change_task(const char *function, mproc_task *handle, Change &&change) noexcept {
    mproc_task *h = capi::live(handle);
    if (h == nullptr) return capi::bad_handle(function);
    return capi::guarded([&] {
        change(*h->rep);
        return MPROC_OK;
    });
}

bool is_bytes_result(char type) noexcept {
    return type == 's' || type == 'S' || type == 'y' || type == 'Y';
}

}  // namespace

extern "C" {

int mproc_task_create(const char *library, const char *symbol, const char *signature,
                      mproc_task_t **out) {
    if (symbol == nullptr) return capi::null_argument("mproc_task_create", "symbol");
    if (signature == nullptr) return capi::null_argument("mproc_task_create", "signature");
    return capi::new_handle("mproc_task_create", out, [&] {
        return Task::reference(library != nullptr ? library : "", symbol, signature);
    });
}

int mproc_task_from_function(mproc_task_fn fn, void *arg, mproc_task_t **out) {
    if (fn == nullptr) return capi::null_argument("mproc_task_from_function", "fn");
    return capi::new_handle("mproc_task_from_function", out,
                            [&] { return Task::function(fn, arg); });
}

// Not capi::close_handle: a task has nothing to wake, so there is no close() to call.
int mproc_task_close(mproc_task_t *task) {
    mproc_task *h = capi::live(task);
    if (h == nullptr) return capi::bad_handle("mproc_task_close");
    std::uint32_t expected = mproc_task::kTag;
    if (!h->tag.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
        return capi::bad_handle("mproc_task_close");  // closed by another thread just now
    }
    h->rep.reset();
    {
        std::lock_guard<std::mutex> guard(h->results_mutex);
        h->results.clear();
    }
    capi::quarantine(h, [](void *shell) { delete static_cast<mproc_task *>(shell); });
    return MPROC_OK;
}

int mproc_task_arg_int(mproc_task_t *task, long long value) {
    return change_task("mproc_task_arg_int", task, [&](Task &t) { t.add_int(value); });
}

int mproc_task_arg_uint(mproc_task_t *task, unsigned long long value) {
    return change_task("mproc_task_arg_uint", task, [&](Task &t) { t.add_uint(value); });
}

int mproc_task_arg_double(mproc_task_t *task, double value) {
    return change_task("mproc_task_arg_double", task, [&](Task &t) { t.add_double(value); });
}

int mproc_task_arg_string(mproc_task_t *task, const char *value) {
    if (capi::live(task) == nullptr) return capi::bad_handle("mproc_task_arg_string");
    if (value == nullptr) return capi::null_argument("mproc_task_arg_string", "value");
    return change_task("mproc_task_arg_string", task, [&](Task &t) { t.add_string(value); });
}

int mproc_task_arg_bytes(mproc_task_t *task, const void *data, size_t len) {
    if (capi::live(task) == nullptr) return capi::bad_handle("mproc_task_arg_bytes");
    if (data == nullptr && len > 0) {
        return capi::fail(MPROC_EINVAL,
                          "mproc_task_arg_bytes: data is NULL and len is " + std::to_string(len));
    }
    return change_task("mproc_task_arg_bytes", task, [&](Task &t) { t.add_bytes(data, len); });
}

int mproc_task_clear_args(mproc_task_t *task) {
    return change_task("mproc_task_clear_args", task, [](Task &t) { t.clear_args(); });
}

int mproc_task_check(mproc_task_t *task) {
    mproc_task *h = capi::live(task);
    if (h == nullptr) return capi::bad_handle("mproc_task_check");
    return capi::guarded([&] {
        h->rep->check();
        return MPROC_OK;
    });
}

int mproc_task_call(mproc_task_t *task, mproc_result_t *result) {
    mproc_task *h = capi::live(task);
    if (h == nullptr) return capi::bad_handle("mproc_task_call");
    if (result == nullptr) return capi::null_argument("mproc_task_call", "result");
    return capi::guarded([&] {
        Result r = h->rep->call();
        // This thread's buffer: node-based map, so the reference stays valid while other
        // threads add theirs, and only this thread writes it.
        std::string *storage;
        {
            std::lock_guard<std::mutex> guard(h->results_mutex);
            storage = &h->results[std::this_thread::get_id()];
        }
        const bool bytes = is_bytes_result(r.type);
        if (bytes) {
            *storage = std::move(r.bytes);
            storage->push_back('\0');  // a string result is NUL-terminated; bytes too
        } else {
            storage->clear();
        }
        result->type = r.type;
        result->i = r.i;
        result->u = r.u;
        result->d = r.d;
        result->data = bytes && !r.null ? storage->data() : nullptr;
        result->len = bytes && !r.null ? storage->size() - 1 : 0;
        return MPROC_OK;
    });
}

}  // extern "C"
