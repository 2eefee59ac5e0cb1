// mproc/queue.hpp -- mproc::Queue, mproc::SimpleQueue and mproc::JoinableQueue, bounded
// queues of byte messages in shared memory, like multiprocessing.Queue, SimpleQueue and
// JoinableQueue.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// Which create call made a queue: Queue::create, SimpleQueue::create or
// JoinableQueue::create (and their create_or_open). It is stored in the shared object, so a
// queue opened by name reports the flavour its creator gave it.
enum class queue_flavor {
    plain = MPROC_QUEUE_PLAIN,
    simple = MPROC_QUEUE_SIMPLE,
    joinable = MPROC_QUEUE_JOINABLE,
};

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
//
// Zero copy: reserve() lends a slot inside the queue to write a message in place, borrow()
// lends the oldest message to read in place. A loan is a move-only object that ends the C
// call pair for you (commit / cancel, return), and it refers to the queue's handle, not to
// the Queue object: moving the Queue is fine, but every loan must end before the Queue is
// closed or destroyed, since its data() points into the queue's mapping. A loan belongs to
// the thread and process that took it (a forked child's copy cannot end it).
class Queue {
  public:
    class write_loan;
    class read_loan;

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

    // Opens an existing queue of any of the three flavours (flavor() says which). Throws
    // not_found_error, kind_error (the name holds another kind of object), version_error;
    // never blocks.
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

    // Zero-copy put: lends room for a message of exactly `len` bytes (0 allowed) inside the
    // queue, blocking up to `limit` while the queue is full. Write the message through
    // data(), then commit() it; a loan destroyed without commit() or cancel() is cancelled,
    // so an exception between reserve and commit never publishes a half-written message.
    // Consumers behind a reserved slot wait for it, so commit promptly. Throws full_error if
    // the queue is still full at the timeout, too_big_error if len > max_message_size(),
    // closed_error, invalid_argument_error.
    write_loan reserve(std::size_t len, timeout limit = forever);

    // As reserve(), but returns an empty optional instead of throwing full_error. The
    // default timeout of 0 never blocks.
    std::optional<write_loan> try_reserve(std::size_t len, timeout limit = std::chrono::seconds(0));

    // Zero-copy get: takes the oldest message and lends it in place, blocking up to `limit`
    // while the queue is empty. Read it through data() / size(), then release() it (or let
    // the loan's destructor do so); the slot stays in use, so the queue holds one message
    // less, until then. Throws empty_error if the queue is still empty at the timeout,
    // closed_error, invalid_argument_error.
    read_loan borrow(timeout limit = forever);

    // As borrow(), but returns an empty optional instead of throwing empty_error. The
    // default timeout of 0 never blocks.
    std::optional<read_loan> try_borrow(timeout limit = std::chrono::seconds(0));

    // Which create call made the queue; never blocks. Throws bad_handle_error.
    queue_flavor flavor() const {
        int f = MPROC_QUEUE_PLAIN;
        detail::check(mproc_queue_flavor(h_.get(), &f));
        return static_cast<queue_flavor>(f);
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

// Room for one message inside a queue, from Queue::reserve(): write the message through
// data() (size() bytes, exactly the length reserved), then commit() publishes it or cancel()
// drops it. The destructor cancels a loan that was neither committed nor cancelled.
// Move-only; a moved-from loan is empty (valid() is false). Not for use from several threads
// at once.
class Queue::write_loan {
  public:
    write_loan(write_loan &&other) noexcept
        : h_(std::exchange(other.h_, nullptr)),
          slot_(std::exchange(other.slot_, nullptr)),
          len_(std::exchange(other.len_, 0)) {}
    write_loan &operator=(write_loan &&other) noexcept {
        if (this != &other) {
            end_quietly();
            h_ = std::exchange(other.h_, nullptr);
            slot_ = std::exchange(other.slot_, nullptr);
            len_ = std::exchange(other.len_, 0);
        }
        return *this;
    }
    write_loan(const write_loan &) = delete;
    write_loan &operator=(const write_loan &) = delete;
    ~write_loan() { end_quietly(); }

    // Where to write the message, and its length; nullptr and 0 once the loan has ended.
    void *data() const noexcept { return slot_; }
    std::size_t size() const noexcept { return len_; }

    // Whether the loan still holds a slot (not yet committed, cancelled or moved from).
    bool valid() const noexcept { return slot_ != nullptr; }

    // Publishes the message to consumers; never blocks. The loan ends whatever the outcome.
    // Throws invalid_argument_error if the loan has already ended (or was taken in another
    // process), bad_handle_error if the queue was closed first.
    void commit() { end(mproc_queue_commit, "commit"); }

    // Drops the message: consumers skip its slot, and the place is free again; never blocks.
    // The loan ends whatever the outcome. Throws as commit().
    void cancel() { end(mproc_queue_cancel, "cancel"); }

  private:
    friend class Queue;
    write_loan(mproc_queue_t *h, void *slot, std::size_t len) noexcept
        : h_(h), slot_(slot), len_(len) {}

    void end(int (*fn)(mproc_queue_t *, void *), const char *verb) {
        if (slot_ == nullptr) {
            detail::throw_error(MPROC_EINVAL, std::string("queue write_loan: ") + verb +
                                                  ": the loan was already committed or "
                                                  "cancelled");
        }
        mproc_queue_t *h = std::exchange(h_, nullptr);
        void *slot = std::exchange(slot_, nullptr);
        len_ = 0;
        detail::check(fn(h, slot));
    }

    // For the destructor and move assignment, which must not throw: a failure (the queue was
    // closed first, a forked child's copy) is dropped.
    void end_quietly() noexcept {
        if (slot_ != nullptr) (void)mproc_queue_cancel(h_, slot_);
        h_ = nullptr;
        slot_ = nullptr;
        len_ = 0;
    }

    mproc_queue_t *h_;
    void *slot_;
    std::size_t len_;
};

// The oldest message of a queue, lent in place by Queue::borrow(): read it through data() /
// size() (or view()), then release() gives the slot back to producers. The message has left
// the queue when borrow() returns, whether or not it is released; the destructor releases a
// loan that was not released. Move-only; a moved-from loan is empty (valid() is false). Not
// for use from several threads at once.
class Queue::read_loan {
  public:
    read_loan(read_loan &&other) noexcept
        : h_(std::exchange(other.h_, nullptr)),
          data_(std::exchange(other.data_, nullptr)),
          len_(std::exchange(other.len_, 0)) {}
    read_loan &operator=(read_loan &&other) noexcept {
        if (this != &other) {
            end_quietly();
            h_ = std::exchange(other.h_, nullptr);
            data_ = std::exchange(other.data_, nullptr);
            len_ = std::exchange(other.len_, 0);
        }
        return *this;
    }
    read_loan(const read_loan &) = delete;
    read_loan &operator=(const read_loan &) = delete;
    ~read_loan() { end_quietly(); }

    // The message's bytes and length; nullptr and 0 once the loan has ended. The bytes are
    // valid until release().
    const void *data() const noexcept { return data_; }
    std::size_t size() const noexcept { return len_; }
    std::string_view view() const noexcept {
        return data_ == nullptr ? std::string_view()
                                : std::string_view(static_cast<const char *>(data_), len_);
    }

    // Whether the loan still holds a slot (not yet released or moved from).
    bool valid() const noexcept { return data_ != nullptr; }

    // Gives the slot back to producers; never blocks. The loan ends whatever the outcome.
    // Throws invalid_argument_error if the loan has already ended (or was taken in another
    // process), bad_handle_error if the queue was closed first.
    void release() {
        if (data_ == nullptr) {
            detail::throw_error(MPROC_EINVAL,
                                "queue read_loan: release: the loan was already released");
        }
        mproc_queue_t *h = std::exchange(h_, nullptr);
        const void *data = std::exchange(data_, nullptr);
        len_ = 0;
        detail::check(mproc_queue_return(h, data));
    }

  private:
    friend class Queue;
    read_loan(mproc_queue_t *h, const void *data, std::size_t len) noexcept
        : h_(h), data_(data), len_(len) {}

    // For the destructor and move assignment, which must not throw: a failure is dropped.
    void end_quietly() noexcept {
        if (data_ != nullptr) (void)mproc_queue_return(h_, data_);
        h_ = nullptr;
        data_ = nullptr;
        len_ = 0;
    }

    mproc_queue_t *h_;
    const void *data_;
    std::size_t len_;
};

inline Queue::write_loan Queue::reserve(std::size_t len, timeout limit) {
    std::optional<write_loan> loan = try_reserve(len, limit);
    if (!loan) detail::throw_error(MPROC_EFULL);
    return std::move(*loan);
}

inline std::optional<Queue::write_loan> Queue::try_reserve(std::size_t len, timeout limit) {
    void *slot = nullptr;
    const int rc = mproc_queue_reserve(h_.get(), len, limit.seconds(), &slot);
    if (rc == MPROC_EFULL) return std::nullopt;
    detail::check(rc);
    return write_loan(h_.get(), slot, len);
}

inline Queue::read_loan Queue::borrow(timeout limit) {
    std::optional<read_loan> loan = try_borrow(limit);
    if (!loan) detail::throw_error(MPROC_EEMPTY);
    return std::move(*loan);
}

inline std::optional<Queue::read_loan> Queue::try_borrow(timeout limit) {
    const void *data = nullptr;
    std::size_t len = 0;
    const int rc = mproc_queue_borrow(h_.get(), limit.seconds(), &data, &len);
    if (rc == MPROC_EEMPTY) return std::nullopt;
    detail::check(rc);
    return read_loan(h_.get(), data, len);
}

// A queue for callers that use only put / get / empty / close, like
// multiprocessing.SimpleQueue. The same object as a Queue (and a Queue in C++), so all of
// Queue's members work on it. open() and create_or_open() accept a queue of any flavour:
// what a SimpleQueue offers is a subset of what every queue does (flavor() still reports the
// creator's flavour).
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
// are. A JoinableQueue object always holds a joinable queue: open() and create_or_open() of
// a name that holds a plain queue or a SimpleQueue throw kind_error (open it as a Queue to
// use it anyway). A commit() counts as a put, and a message taken by borrow() needs its
// task_done() as one taken by get().
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
    // Opens the queue named `name`, creating it if there is none. Throws kind_error if the
    // name holds a queue of another flavour (or another kind of object), and as
    // Queue::create_or_open.
    static JoinableQueue create_or_open(std::string_view name, std::size_t maxsize,
                                        std::size_t max_message_size,
                                        permissions perms = permissions()) {
        JoinableQueue q(make(mproc_joinable_queue_create, detail::c_name(name).c_str(), maxsize,
                             max_message_size, MPROC_OPEN_EXISTING, perms));
        q.require_joinable(name, "create_or_open");
        return q;
    }

    // Opens an existing JoinableQueue; never blocks. Throws kind_error if the name holds a
    // plain queue or a SimpleQueue (or another kind of object), not_found_error,
    // version_error.
    static JoinableQueue open(std::string_view name) {
        JoinableQueue q(open_handle(name));
        q.require_joinable(name, "open");
        return q;
    }

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

    // Throws kind_error unless the queue is joinable (the handle is then closed by the
    // caller's JoinableQueue as the exception unwinds).
    void require_joinable(std::string_view name, const char *verb) const {
        const queue_flavor f = flavor();
        if (f == queue_flavor::joinable) return;
        detail::throw_error(MPROC_EKIND,
                            "queue '" + std::string(name) + "': " + verb +
                                " as a JoinableQueue: it is " +
                                (f == queue_flavor::simple ? "a SimpleQueue" : "a plain Queue") +
                                ", which counts no tasks");
    }
};

}  // namespace mproc
