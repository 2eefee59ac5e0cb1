// mproc_queue_*, mproc_simple_queue_create, mproc_joinable_queue_create: the C face of
// core::queue::Queue.
#include "queue/queue.hpp"
#include "handle.hpp"

using mproc::core::queue::Queue;
using mproc::core::queue::QueueFlavor;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;

static_assert(MPROC_QUEUE_MAX_SIZE == mproc::core::queue::kMaxSize);
static_assert(MPROC_QUEUE_MAX_MESSAGE == mproc::core::queue::kMaxMessage);
static_assert(MPROC_QUEUE_PLAIN == static_cast<int>(QueueFlavor::kQueue));
static_assert(MPROC_QUEUE_SIMPLE == static_cast<int>(QueueFlavor::kSimple));
static_assert(MPROC_QUEUE_JOINABLE == static_cast<int>(QueueFlavor::kJoinable));

struct mproc_queue : capi::Handle<Queue, 0x51554555u /* QUEU */> {
    using Handle::Handle;
};

namespace {

int create_queue(const char *function, const char *name, size_t maxsize, size_t max_message,
                 QueueFlavor flavor, const mproc_options_t *opts, mproc_queue_t **out) {
    return capi::new_handle(function, out, [&] {
        return Queue::create(capi::create_name(name), maxsize, max_message, flavor,
                             capi::to_create_options(opts));
    });
}

// The checks every call on a queue handle starts with.
mproc_queue *live_queue(const mproc_queue_t *queue) {
    return capi::live(queue);
}

}  // namespace

extern "C" {

int mproc_queue_create(const char *name, size_t maxsize, size_t max_message_size,
                       const mproc_options_t *opts, mproc_queue_t **out) {
    return create_queue("mproc_queue_create", name, maxsize, max_message_size, QueueFlavor::kQueue,
                        opts, out);
}

int mproc_simple_queue_create(const char *name, size_t maxsize, size_t max_message_size,
                              const mproc_options_t *opts, mproc_queue_t **out) {
    return create_queue("mproc_simple_queue_create", name, maxsize, max_message_size,
                        QueueFlavor::kSimple, opts, out);
}

int mproc_joinable_queue_create(const char *name, size_t maxsize, size_t max_message_size,
                                const mproc_options_t *opts, mproc_queue_t **out) {
    return create_queue("mproc_joinable_queue_create", name, maxsize, max_message_size,
                        QueueFlavor::kJoinable, opts, out);
}

int mproc_queue_open(const char *name, mproc_queue_t **out) {
    return capi::open_handle("mproc_queue_open", name, out);
}

int mproc_queue_close(mproc_queue_t *queue) {
    return capi::close_handle("mproc_queue_close", queue);
}

int mproc_queue_unlink(const char *name) {
    return capi::unlink_name<Queue>("mproc_queue_unlink", name);
}

int mproc_queue_name(const mproc_queue_t *queue, char *buf, size_t len) {
    return capi::copy_name("mproc_queue_name", queue, buf, len);
}

int mproc_queue_put(mproc_queue_t *queue, const void *data, size_t len, double timeout) {
    mproc_queue *h = live_queue(queue);
    if (h == nullptr) return capi::bad_handle("mproc_queue_put");
    if (data == nullptr && len > 0) return capi::null_argument("mproc_queue_put", "data");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_queue_put");
    int status = h->rep->put(data, len, Deadline::after(timeout));
    if (status == MPROC_ETOOBIG) {
        return capi::fail(status, "queue '" + h->name + "': put: message of " +
                                      std::to_string(len) + " bytes is over max_message_size " +
                                      std::to_string(h->rep->max_message()));
    }
    return capi::report(status, "queue", h->name, "put");
}

int mproc_queue_get(mproc_queue_t *queue, void *buf, size_t cap, size_t *len, double timeout) {
    mproc_queue *h = live_queue(queue);
    if (h == nullptr) return capi::bad_handle("mproc_queue_get");
    if (len == nullptr) return capi::null_argument("mproc_queue_get", "len");
    if (buf == nullptr && cap > 0) return capi::null_argument("mproc_queue_get", "buf");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_queue_get");
    size_t size = 0;
    int status = h->rep->get(buf, cap, &size, Deadline::after(timeout));
    if (status == MPROC_OK || status == MPROC_ETOOBIG) *len = size;
    if (status == MPROC_ETOOBIG) {
        return capi::fail(status, "queue '" + h->name + "': get: the next message is " +
                                      std::to_string(size) + " bytes, the buffer " +
                                      std::to_string(cap) + " (the message stays queued)");
    }
    return capi::report(status, "queue", h->name, "get");
}

int mproc_queue_next_size(mproc_queue_t *queue, size_t *len) {
    mproc_queue *h = live_queue(queue);
    if (h == nullptr) return capi::bad_handle("mproc_queue_next_size");
    if (len == nullptr) return capi::null_argument("mproc_queue_next_size", "len");
    return capi::report(h->rep->next_size(len), "queue", h->name, "next_size");
}

int mproc_queue_reserve(mproc_queue_t *queue, size_t len, double timeout, void **slot) {
    mproc_queue *h = live_queue(queue);
    if (h == nullptr) return capi::bad_handle("mproc_queue_reserve");
    if (slot == nullptr) return capi::null_argument("mproc_queue_reserve", "slot");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_queue_reserve");
    return capi::report(h->rep->reserve(len, Deadline::after(timeout), slot), "queue", h->name,
                        "reserve");
}

int mproc_queue_commit(mproc_queue_t *queue, void *slot) {
    mproc_queue *h = live_queue(queue);
    if (h == nullptr) return capi::bad_handle("mproc_queue_commit");
    return capi::report(h->rep->commit(slot), "queue", h->name,
                        "commit of a slot this process did not reserve");
}

int mproc_queue_cancel(mproc_queue_t *queue, void *slot) {
    mproc_queue *h = live_queue(queue);
    if (h == nullptr) return capi::bad_handle("mproc_queue_cancel");
    return capi::report(h->rep->cancel(slot), "queue", h->name,
                        "cancel of a slot this process did not reserve");
}

int mproc_queue_borrow(mproc_queue_t *queue, double timeout, const void **data, size_t *len) {
    mproc_queue *h = live_queue(queue);
    if (h == nullptr) return capi::bad_handle("mproc_queue_borrow");
    if (data == nullptr) return capi::null_argument("mproc_queue_borrow", "data");
    if (len == nullptr) return capi::null_argument("mproc_queue_borrow", "len");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_queue_borrow");
    return capi::report(h->rep->borrow(Deadline::after(timeout), data, len), "queue", h->name,
                        "borrow");
}

int mproc_queue_return(mproc_queue_t *queue, const void *data) {
    mproc_queue *h = live_queue(queue);
    if (h == nullptr) return capi::bad_handle("mproc_queue_return");
    return capi::report(h->rep->give_back(data), "queue", h->name,
                        "return of a slot this process did not borrow");
}

int mproc_queue_flavor(const mproc_queue_t *queue, int *flavor) {
    return capi::get_value("mproc_queue_flavor", queue, flavor,
                           [](const Queue &q) { return static_cast<int>(q.flavor()); });
}

int mproc_queue_qsize(const mproc_queue_t *queue, size_t *n) {
    return capi::get_value("mproc_queue_qsize", queue, n, [](const Queue &q) { return q.qsize(); });
}

int mproc_queue_empty(const mproc_queue_t *queue, int *empty) {
    return capi::get_value("mproc_queue_empty", queue, empty,
                           [](const Queue &q) { return q.qsize() == 0 ? 1 : 0; });
}

int mproc_queue_full(const mproc_queue_t *queue, int *full) {
    return capi::get_value("mproc_queue_full", queue, full,
                           [](const Queue &q) { return q.qsize() >= q.maxsize() ? 1 : 0; });
}

int mproc_queue_maxsize(const mproc_queue_t *queue, size_t *maxsize, size_t *max_message_size) {
    mproc_queue *h = live_queue(queue);
    if (h == nullptr) return capi::bad_handle("mproc_queue_maxsize");
    if (maxsize == nullptr && max_message_size == nullptr) {
        return capi::null_argument("mproc_queue_maxsize", "maxsize and max_message_size");
    }
    if (maxsize != nullptr) *maxsize = h->rep->maxsize();
    if (max_message_size != nullptr) *max_message_size = h->rep->max_message();
    return MPROC_OK;
}

int mproc_queue_task_done(mproc_queue_t *queue) {
    mproc_queue *h = live_queue(queue);
    if (h == nullptr) return capi::bad_handle("mproc_queue_task_done");
    int status = h->rep->task_done();
    if (status == MPROC_EKIND) {
        return capi::fail(status, "queue '" + h->name + "': task_done: not a JoinableQueue");
    }
    return capi::report(status, "queue", h->name, "task_done called more times than put");
}

int mproc_queue_join(mproc_queue_t *queue, double timeout) {
    mproc_queue *h = live_queue(queue);
    if (h == nullptr) return capi::bad_handle("mproc_queue_join");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_queue_join");
    int status = h->rep->join(Deadline::after(timeout));
    if (status == MPROC_EKIND) {
        return capi::fail(status, "queue '" + h->name + "': join: not a JoinableQueue");
    }
    return capi::report(status, "queue", h->name, "join");
}

}  // extern "C"
