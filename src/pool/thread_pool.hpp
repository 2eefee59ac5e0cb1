// ThreadPool: threads of this process that run tasks, like
// concurrent.futures.ThreadPoolExecutor. Tasks run in the order submitted; each has a Future.
//
// The submit -> run -> result path takes the pool's mutex once on each side. An idle worker
// spins for a short while before it sleeps (one worker at a time, so an idle pool burns at
// most one CPU, and only for kSpinNs), and submit signals the condition variable only when
// the queued work outnumbers the spinning worker and a worker sleeps: back-to-back tasks
// pass from thread to thread without a system call.
#pragma once

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "error.hpp"
#include "pool/future.hpp"
#include "task/task.hpp"

namespace mproc::core::pool {

class ThreadPool {
  public:
    static constexpr int kMaxWorkers = 4096;

    // Starts `workers` threads. Throws Error(kInvalid) for fewer than 1 or more than
    // kMaxWorkers, Error(kSystem) if a thread cannot be created (the ones started are
    // stopped again).
    explicit ThreadPool(int workers);
    ThreadPool(const ThreadPool &) = delete;
    ThreadPool &operator=(const ThreadPool &) = delete;
    // shutdown(wait, no cancel). From one of its own threads it cannot wait for itself:
    // it shuts down without waiting and lets the threads finish on their own.
    ~ThreadPool();

    int workers() const noexcept { return static_cast<int>(threads_.size()); }

    // Queues the task and returns its future. Throws Error(kClosed) after shutdown,
    // Error(kInvalid) for an incomplete task.
    FuturePtr submit(task::Task task);
    // Queues all of them at once (all or none: an error queues nothing), futures in order.
    // Throws as submit().
    std::vector<FuturePtr> submit_all(std::vector<task::Task> tasks);

    // Stops accepting tasks. cancel_pending cancels the queued ones; wait waits for the
    // running and remaining tasks and for the threads to end. Calling it again is fine.
    // Throws Error(kInvalid) for wait from one of the pool's own threads (nothing changes).
    void shutdown(bool wait, bool cancel_pending);

    // Whether the calling thread is one of this pool's workers.
    bool is_pool_thread() const noexcept;

  private:
    struct State;
    std::shared_ptr<State> state_;  // shared with the workers, which may outlive the pool
    std::vector<std::thread> threads_;
    std::mutex join_mutex_;  // serialises the joins of threads_
};

}  // namespace mproc::core::pool
