#include "pool/thread_pool.hpp"

#include <cxxabi.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "sync/spin.hpp"

namespace mproc::core::pool {

namespace {

struct Item {
    task::Task task;
    FuturePtr future;
};

std::string incomplete(const task::Task &task) {
    return "thread pool: task '" + task.name() + "' is incomplete: its signature '" +
           task.signature() + "' has more arguments than were given";
}

}  // namespace

struct ThreadPool::State {
    std::mutex mutex;
    std::condition_variable work;  // workers sleep here
    std::deque<Item> queue;        // under mutex
    std::size_t sleeping = 0;      // under mutex: workers waiting on `work`
    // Under mutex: signals sent to sleepers that have not woken yet, so that a burst of
    // submits does not signal the same sleeper again and again (a spurious wake-up only
    // makes this low, which costs a surplus signal, never a lost one).
    std::size_t signalled = 0;
    bool closed = false;  // under mutex: no more submits; workers leave when idle
    // Mirrors of queue.size() and closed, for the spinning worker to watch without the lock.
    std::atomic<std::size_t> queued{0};
    std::atomic<bool> stopping{false};
    // True while a worker spins for work: submit then wakes a sleeper only for the work
    // beyond what the spinner takes.
    std::atomic<bool> spinning{false};

    // Which pool the calling thread works for (is_pool_thread, and no waiting for itself).
    static thread_local const State *current;

    void run() {
        current = this;
        for (;;) {
            std::optional<Item> item;  // (a Task has no empty state)
            if (!next(item)) return;
            execute(*item);
        }
    }

    // Takes the next task, waiting for one: false when the pool is shut down and the queue
    // is empty.
    bool next(std::optional<Item> &item) {
        std::unique_lock<std::mutex> lock(mutex);
        bool spun = false;
        while (queue.empty()) {
            if (closed) return false;
            if (!spun && !spinning.exchange(true, std::memory_order_acquire)) {
                spun = true;
                lock.unlock();
                sync::spin_until([this] {
                    return queued.load(std::memory_order_relaxed) > 0 ||
                           stopping.load(std::memory_order_relaxed);
                });
                spinning.store(false, std::memory_order_release);
                lock.lock();
                continue;  // the queue is looked at again under the lock
            }
            ++sleeping;
            work.wait(lock);
            --sleeping;
            if (signalled > 0) --signalled;
        }
        item.emplace(std::move(queue.front()));
        queue.pop_front();
        queued.store(queue.size(), std::memory_order_relaxed);
        // More work and idle workers: pass the wake-up on, so that a burst queued while
        // the workers slept spreads over all of them.
        const std::size_t wake = to_wake(queue.size());
        lock.unlock();
        if (wake > 0) work.notify_one();
        return true;
    }

    // Not noexcept: a forced unwind (pthread_exit in a task) must pass through.
    static void execute(Item &item) {
        if (!item.future->set_running()) return;  // cancelled while queued
        try {
            item.future->set_result(item.task.call());
        } catch (const Error &e) {
            // The task's own message names it: "task 'libm.so.6:cos': no symbol ...".
            item.future->set_error(e.status(), e.what());
        } catch (const std::bad_alloc &) {
            item.future->set_error(kNoMemory, "task '" + item.task.name() + "': out of memory");
        } catch (const abi::__forced_unwind &) {
            item.future->set_error(
                kSystem, "task '" + item.task.name() + "': the thread was exited in the task");
            throw;
        } catch (const std::exception &e) {
            item.future->set_error(kSystem, "task '" + item.task.name() + "': " + e.what());
        } catch (...) {
            item.future->set_error(kSystem, "task '" + item.task.name() + "': unknown error");
        }
    }

    // Under mutex, after `added` items joined the queue: how many sleepers to signal (and
    // counts them as signalled). The queued work not yet claimed is what the spinning
    // worker (it takes one without a signal) and the signalled sleepers will not take.
    std::size_t to_wake(std::size_t added) {
        std::size_t claimed = signalled + (spinning.load(std::memory_order_acquire) ? 1 : 0);
        const std::size_t unclaimed = queue.size() > claimed ? queue.size() - claimed : 0;
        const std::size_t idle = sleeping > signalled ? sleeping - signalled : 0;
        std::size_t wake = added < unclaimed ? added : unclaimed;
        if (wake > idle) wake = idle;
        signalled += wake;
        return wake;
    }
};

thread_local const ThreadPool::State *ThreadPool::State::current = nullptr;

ThreadPool::ThreadPool(int workers) : state_(std::make_shared<State>()) {
    if (workers < 1 || workers > kMaxWorkers) {
        throw Error(kInvalid, "thread pool: " + std::to_string(workers) + " workers (from 1 to " +
                                  std::to_string(kMaxWorkers) + ")");
    }
    threads_.reserve(static_cast<std::size_t>(workers));
    try {
        for (int i = 0; i < workers; ++i) {
            threads_.emplace_back([state = state_] { state->run(); });
        }
    } catch (const std::system_error &e) {
        shutdown(true, false);
        throw Error(kSystem, std::string("thread pool: pthread_create: ") + e.what());
    }
}

ThreadPool::~ThreadPool() {
    if (is_pool_thread()) {
        shutdown(false, false);
        std::lock_guard<std::mutex> guard(join_mutex_);
        for (std::thread &t : threads_) {
            if (t.joinable()) t.detach();  // each holds its own reference to the state
        }
        return;
    }
    shutdown(true, false);
}

bool ThreadPool::is_pool_thread() const noexcept {
    return State::current == state_.get();
}

FuturePtr ThreadPool::submit(task::Task task) {
    if (!task.complete()) throw Error(kInvalid, incomplete(task));
    FuturePtr future = Future::make();
    State &s = *state_;
    std::size_t wake;
    {
        std::lock_guard<std::mutex> guard(s.mutex);
        if (s.closed) throw Error(kClosed, "thread pool: submit after shutdown");
        s.queue.push_back(Item{std::move(task), future});
        s.queued.store(s.queue.size(), std::memory_order_relaxed);
        wake = s.to_wake(1);
    }
    if (wake > 0) s.work.notify_one();
    return future;
}

std::vector<FuturePtr> ThreadPool::submit_all(std::vector<task::Task> tasks) {
    for (const task::Task &task : tasks) {
        if (!task.complete()) throw Error(kInvalid, incomplete(task));
    }
    std::vector<FuturePtr> futures;
    futures.reserve(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i)
        futures.push_back(Future::make());
    State &s = *state_;
    std::size_t wake;
    {
        std::lock_guard<std::mutex> guard(s.mutex);
        if (s.closed) throw Error(kClosed, "thread pool: submit after shutdown");
        // A failed push_back (bad_alloc) leaves earlier items queued: cancel those first so
        // that nothing of a failed call runs.
        try {
            for (std::size_t i = 0; i < tasks.size(); ++i) {
                s.queue.push_back(Item{std::move(tasks[i]), futures[i]});
            }
        } catch (...) {
            for (FuturePtr &f : futures)
                f->cancel();
            throw;
        }
        s.queued.store(s.queue.size(), std::memory_order_relaxed);
        wake = s.to_wake(tasks.size());
    }
    for (std::size_t i = 0; i < wake; ++i)
        s.work.notify_one();
    return futures;
}

void ThreadPool::shutdown(bool wait, bool cancel_pending) {
    if (wait && is_pool_thread()) {
        throw Error(kInvalid, "thread pool: shutdown: a pool's thread cannot wait for the pool");
    }
    State &s = *state_;
    std::deque<Item> dropped;
    {
        std::lock_guard<std::mutex> guard(s.mutex);
        s.closed = true;
        s.stopping.store(true, std::memory_order_relaxed);
        if (cancel_pending) {
            dropped.swap(s.queue);
            s.queued.store(0, std::memory_order_relaxed);
        }
    }
    s.work.notify_all();
    // Outside the pool's lock: cancelling runs the futures' callbacks.
    for (Item &item : dropped)
        item.future->cancel();
    if (!wait) return;
    std::lock_guard<std::mutex> guard(join_mutex_);
    for (std::thread &t : threads_) {
        if (t.joinable()) t.join();
    }
}

}  // namespace mproc::core::pool
