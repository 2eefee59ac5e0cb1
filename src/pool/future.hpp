// Future: the outcome of a task handed to a pool, shared by the pool that completes it and
// the callers that wait for it (concurrent.futures.Future). It lives in this process only:
// a process pool completes its futures from its result thread, in the pool's process.
//
// Life: pending -> running -> finished, or pending -> cancelled. A pool calls
// set_running() before it runs (or hands over) the task, and skips the task if that
// returns false (cancelled meanwhile); then exactly one of set_result / set_error. The
// outcome is written once, before `done` is published, and never changes: readers take a
// pointer to it without a lock.
//
// Done-callbacks run once, outside the future's mutex, in the thread that completes or
// cancels it, or at once in the thread that adds one to a future already done. Waiting for
// several futures (wait_some, wait_any) registers one Waiter with each of them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "error.hpp"
#include "sync/deadline.hpp"
#include "task/task.hpp"

namespace mproc::core::pool {

// How a finished task ended: its result (status kOk), or the error that failed it.
struct Outcome {
    Status status = kOk;
    task::Result result;
    std::string message;
};

class Future;
using FuturePtr = std::shared_ptr<Future>;

// concurrent.futures.wait's return_when.
enum class ReturnWhen { kFirstCompleted = 1, kFirstException = 2, kAllCompleted = 3 };

class Future : public std::enable_shared_from_this<Future> {
  public:
    enum class Phase { kPending, kRunning, kFinished, kCancelled };
    using Callback = std::function<void(const FuturePtr &)>;

    static FuturePtr make();
    // For make() only (std::make_shared needs a public constructor; the key is private).
    struct MakeKey {
      private:
        friend class Future;
        MakeKey() = default;
    };
    explicit Future(MakeKey) {}
    Future(const Future &) = delete;
    Future &operator=(const Future &) = delete;

    // ---- the pool's side
    // pending -> running: true. False if it was cancelled (the pool drops the task).
    bool set_running();
    // -> finished (from pending or running; ignored once done): publishes the outcome,
    // wakes waiters, runs callbacks.
    void set_result(task::Result result);
    void set_error(Status status, std::string message);
    void set_outcome(Outcome outcome);

    // ---- the caller's side
    // pending -> cancelled (wakes waiters, runs callbacks): true; true again if cancelled
    // before; false once running or finished.
    bool cancel();
    Phase phase() const noexcept { return phase_.load(std::memory_order_acquire); }
    bool done() const noexcept;
    bool cancelled() const { return phase() == Phase::kCancelled; }
    bool running() const { return phase() == Phase::kRunning; }
    // Waits up to the deadline for done(): true when done.
    bool wait(const sync::Deadline &deadline) const;
    // The outcome once finished; nullptr while pending or running and when cancelled.
    const Outcome *outcome() const noexcept;
    // Finished with an error, or cancelled (what kFirstException looks for).
    bool failed() const noexcept;
    // Runs callback(this future) once done: at once in this thread if done already, else
    // in the thread that completes or cancels it, in the order added. Exceptions from a
    // callback are swallowed (Python logs them). Throws std::bad_alloc only.
    void add_done_callback(Callback callback);

    // Waits until `when` holds over futures (none null): kOk, or kTimedOut. *ndone (may
    // be null) = how many are done when it returns.
    static Status wait_some(const std::vector<FuturePtr> &futures, ReturnWhen when,
                            const sync::Deadline &deadline, std::size_t *ndone);
    // Waits for any to be done: kOk with *index = the lowest done index, or kTimedOut.
    static Status wait_any(const std::vector<FuturePtr> &futures, const sync::Deadline &deadline,
                           std::size_t *index);

  private:
    struct Waiter;
    // Moves to `phase` (kFinished or kCancelled) under the mutex; runs callbacks after.
    // False if it was done already (or, for kCancelled, no longer pending).
    bool complete(Phase phase, Outcome *outcome);
    void add_waiter(const std::shared_ptr<Waiter> &waiter);
    void remove_waiter(const std::shared_ptr<Waiter> &waiter);

    mutable std::mutex mutex_;
    // Changed under mutex_ only; read without it. Release on the change to kFinished
    // publishes outcome_, written just before.
    std::atomic<Phase> phase_{Phase::kPending};
    Outcome outcome_;                               // written under mutex_, then read-only
    std::vector<Callback> callbacks_;               // under mutex_, until done
    std::vector<std::shared_ptr<Waiter>> waiters_;  // under mutex_: wait_some's
    mutable std::condition_variable done_cv_;       // wait()'s sleepers
    mutable int sleepers_ = 0;                      // under mutex_: sleeping in wait()
};

}  // namespace mproc::core::pool
