// mproc/queue.hpp -- mproc::Queue, mproc::SimpleQueue and mproc::JoinableQueue, bounded
// queues of byte messages in shared memory, like multiprocessing.Queue, SimpleQueue and
// JoinableQueue.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// A bounded multi-producer / multi-consumer queue of byte messages in POSIX shared memory,
// attachable by name from any process (and from C or Python), like multiprocessing.Queue.
// It holds up to maxsize() messages of up to max_message_size() bytes each; messages are
// never truncated.
//
// Blocking calls follow Python's queue module: put() throws full_error when the queue is
// still full at the timeout, get() throws empty_error when it is still empty; try_put() and
// try_get() say so with false instead (with a zero timeout by default: put_nowait /
// get_nowait). Move-only; the destructor closes the handle; safe to use from many threads
// at once.
class Queue {
  public:
    // Creates a queue for `maxsize` messages of at most `max_message_size` bytes (its memory
    // is reserved now). Throws invalid_argument_error for a zero size, too_big_error over
    // MPROC_QUEUE_MAX_SIZE / MPROC_QUEUE_MAX_MESSAGE, exists_error, permission_error,
    // system_error.
    static Queue create(std::string_view name, std::size_t maxsize, std::size_t max_message_size,
                        permissions perms = permissions()) {
        return Queue(make(mproc_queue_create, detail::c_name(name).c_str(), maxsize,
                          max_message_size, 0, perms));
    }

    // Creates an anonymous queue (generated name, inherited by fork(), name removed when this
    // process closes it).
    static Queue create(std::size_t maxsize, std::size_t max_message_size) {
        return Queue(
            make(mproc_queue_create, nullptr, maxsize, max_message_size, 0, permissions()));
    }

    // Opens the queue named `name`, creating it with these sizes if there is none (an
    // existing queue keeps its own sizes). Throws kind_error, version_error.
    static Queue create_or_open(std::string_view name, std::size_t maxsize,
                                std::size_t max_message_size, permissions perms = permissions()) {
        return Queue(make(mproc_queue_create, detail::c_name(name).c_str(), maxsize,
                          max_message_size, MPROC_OPEN_EXISTING, perms));
    }

    // Opens an existing queue of any of the three kinds. Throws not_found_error, kind_error,
    // version_error; never blocks.
    static Queue open(std::string_view name) { return Queue(open_handle(name)); }

    // Removes the name; processes that have the queue open keep using it. Throws
    // not_found_error, kind_error.
    static void unlink(std::string_view name) {
        detail::check(mproc_queue_unlink(detail::c_name(name).c_str()));
    }

    Queue(Queue &&) noexcept = default;
    Queue &operator=(Queue &&) noexcept = default;
    ~Queue() = default;

    // Copies `len` bytes (0 allowed) into the queue as one message, blocking up to `limit`
    // while it is full. Throws full_error if it is still full at the timeout, too_big_error
    // if len > max_message_size(), closed_error, invalid_argument_error.
    void put(const void *data, std::size_t len, timeout limit = forever) {
        detail::check(mproc_queue_put(h_.get(), data, len, limit.seconds()));
    }
    void put(std::string_view message, timeout limit = forever) {
        put(message.data(), message.size(), limit);
    }

    // As put(), but returns false instead of throwing full_error. The default timeout of 0
    // is Python's put_nowait.
    bool try_put(const void *data, std::size_t len, timeout limit = std::chrono::seconds(0)) {
        const int rc = mproc_queue_put(h_.get(), data, len, limit.seconds());
        if (rc == MPROC_EFULL) return false;
        detail::check(rc);
        return true;
    }
    bool try_put(std::string_view message, timeout limit = std::chrono::seconds(0)) {
        return try_put(message.data(), message.size(), limit);
    }

    // Takes the oldest message, blocking up to `limit` while the queue is empty. Throws
    // empty_error if it is still empty at the timeout, closed_error, invalid_argument_error.
    std::string get(timeout limit = forever) {
        std::string message;
        if (!receive(message, limit)) detail::throw_error(MPROC_EEMPTY);
        return message;
    }

    // As get(), into `message`; returns false instead of throwing empty_error (`message` is
    // then unchanged). The default timeout of 0 is Python's get_nowait.
    bool try_get(std::string &message, timeout limit = std::chrono::seconds(0)) {
        return receive(message, limit);
    }

    // Takes the oldest message into `buf` (capacity `cap`) and returns its size. Throws
    // too_big_error if cap is smaller than the message (the message stays in the queue),
    // empty_error at the timeout, closed_error, invalid_argument_error.
    std::size_t get_into(void *buf, std::size_t cap, timeout limit = forever) {
        std::size_t len = 0;
        detail::check(mproc_queue_get(h_.get(), buf, cap, &len, limit.seconds()));
        return len;
    }

    // Snapshots: other processes may change them at once.
    std::size_t qsize() const {
        std::size_t n = 0;
        detail::check(mproc_queue_qsize(h_.get(), &n));
        return n;
    }
    bool empty() const {
        int e = 0;
        detail::check(mproc_queue_empty(h_.get(), &e));
        return e != 0;
    }
    bool full() const {
        int f = 0;
        detail::check(mproc_queue_full(h_.get(), &f));
        return f != 0;
    }

    // The most messages the queue holds, and the largest message it takes.
    std::size_t maxsize() const { return sizes().first; }
    std::size_t max_message_size() const { return sizes().second; }

    std::string name() const { return detail::read_name(mproc_queue_name, h_.get()); }
    mproc_queue_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the handle now; calls blocked on it in other threads throw closed_error.
    void close() { h_.close(); }

  protected:
    explicit Queue(mproc_queue_t *h) noexcept : h_(h) {}

    using create_fn = int (*)(const char *, std::size_t, std::size_t, const mproc_options_t *,
                              mproc_queue_t **);

    static mproc_queue_t *make(create_fn create, const char *name, std::size_t maxsize,
                               std::size_t max_message_size, unsigned int flags,
                               permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_queue_t *h = nullptr;
        detail::check(create(name, maxsize, max_message_size, &opts, &h));
        return h;
    }

    static mproc_queue_t *open_handle(std::string_view name) {
        mproc_queue_t *h = nullptr;
        detail::check(mproc_queue_open(detail::c_name(name).c_str(), &h));
        return h;
    }

  private:
    std::pair<std::size_t, std::size_t> sizes() const {
        std::size_t maxsize = 0, max_message_size = 0;
        detail::check(mproc_queue_maxsize(h_.get(), &maxsize, &max_message_size));
        return {maxsize, max_message_size};
    }

    // One get into a string sized to the message: the buffer starts at next_size() (or
    // small if the queue is empty) and grows when the get reports MPROC_ETOOBIG; it is then
    // retried with the time that is left, since another consumer may have taken that
    // message meanwhile. false if the queue was still empty at the timeout.
    bool receive(std::string &out, timeout limit) {
        const auto start = std::chrono::steady_clock::now();
        std::size_t len = 0;
        if (mproc_queue_next_size(h_.get(), &len) != MPROC_OK) len = 256;
        std::string buf(len, '\0');
        double seconds = limit.seconds();
        for (;;) {
            const int rc = mproc_queue_get(h_.get(), &buf[0], buf.size(), &len, seconds);
            if (rc == MPROC_OK) {
                buf.resize(len);
                out = std::move(buf);
                return true;
            }
            if (rc == MPROC_EEMPTY) return false;
            if (rc != MPROC_ETOOBIG) detail::throw_error(rc);
            buf.resize(len);
            if (!limit.is_forever()) {
                const double spent =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                seconds = limit.seconds() > spent ? limit.seconds() - spent : 0.0;
            }
        }
    }

    detail::unique_handle<mproc_queue_t, mproc_queue_close> h_;
};

// A queue for callers that use only put / get / empty / close, like
// multiprocessing.SimpleQueue. The same object as a Queue (and a Queue in C++), so all of
// Queue's members work on it.
class SimpleQueue : public Queue {
  public:
    static SimpleQueue create(std::string_view name, std::size_t maxsize,
                              std::size_t max_message_size, permissions perms = permissions()) {
        return SimpleQueue(make(mproc_simple_queue_create, detail::c_name(name).c_str(), maxsize,
                                max_message_size, 0, perms));
    }
    static SimpleQueue create(std::size_t maxsize, std::size_t max_message_size) {
        return SimpleQueue(
            make(mproc_simple_queue_create, nullptr, maxsize, max_message_size, 0, permissions()));
    }
    static SimpleQueue create_or_open(std::string_view name, std::size_t maxsize,
                                      std::size_t max_message_size,
                                      permissions perms = permissions()) {
        return SimpleQueue(make(mproc_simple_queue_create, detail::c_name(name).c_str(), maxsize,
                                max_message_size, MPROC_OPEN_EXISTING, perms));
    }
    static SimpleQueue open(std::string_view name) { return SimpleQueue(open_handle(name)); }

    SimpleQueue(SimpleQueue &&) noexcept = default;
    SimpleQueue &operator=(SimpleQueue &&) noexcept = default;
    ~SimpleQueue() = default;

  private:
    explicit SimpleQueue(mproc_queue_t *h) noexcept : Queue(h) {}
};

// A queue that also counts unfinished tasks, like multiprocessing.JoinableQueue: every put
// adds one, task_done() marks one message taken by get as processed, join() waits until all
// are. open() of a name that holds a plain queue succeeds; task_done() and join() on it
// throw kind_error.
class JoinableQueue : public Queue {
  public:
    static JoinableQueue create(std::string_view name, std::size_t maxsize,
                                std::size_t max_message_size, permissions perms = permissions()) {
        return JoinableQueue(make(mproc_joinable_queue_create, detail::c_name(name).c_str(),
                                  maxsize, max_message_size, 0, perms));
    }
    static JoinableQueue create(std::size_t maxsize, std::size_t max_message_size) {
        return JoinableQueue(make(mproc_joinable_queue_create, nullptr, maxsize, max_message_size,
                                  0, permissions()));
    }
    static JoinableQueue create_or_open(std::string_view name, std::size_t maxsize,
                                        std::size_t max_message_size,
                                        permissions perms = permissions()) {
        return JoinableQueue(make(mproc_joinable_queue_create, detail::c_name(name).c_str(),
                                  maxsize, max_message_size, MPROC_OPEN_EXISTING, perms));
    }
    static JoinableQueue open(std::string_view name) { return JoinableQueue(open_handle(name)); }

    JoinableQueue(JoinableQueue &&) noexcept = default;
    JoinableQueue &operator=(JoinableQueue &&) noexcept = default;
    ~JoinableQueue() = default;

    // Marks one message taken by get as processed. Throws overflow_error if called more
    // times than messages were put, kind_error on a queue that is not joinable.
    void task_done() { detail::check(mproc_queue_task_done(handle())); }

    // Blocks up to `limit` (default forever) until every message put has been marked done.
    // Returns false on timeout. Throws kind_error, closed_error.
    bool join(timeout limit = forever) {
        const int rc = mproc_queue_join(handle(), limit.seconds());
        if (rc == MPROC_ETIMEDOUT) return false;
        detail::check(rc);
        return true;
    }

  private:
    explicit JoinableQueue(mproc_queue_t *h) noexcept : Queue(h) {}
};

}  // namespace mproc
