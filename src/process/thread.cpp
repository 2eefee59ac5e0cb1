#include "process/thread.hpp"

#include <cxxabi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <utility>

#include "process/current_process.hpp"
#include "sync/process_identity.hpp"

namespace mproc::core::process {

namespace {

// Counts the unnamed Threads, as Python's _newname: a named one takes no number.
std::atomic<unsigned> thread_counter{0};

enum Phase : int { kNew, kStarting, kRunning, kDone };

std::string label_of(const std::string &name) {
    return "thread '" + name + "'";
}

}  // namespace

struct Thread::State {
    State(task::Task t, std::string n) : task(std::move(t)), name(std::move(n)) {}

    const task::Task task;
    const std::string name;

    mutable std::mutex mutex;
    std::condition_variable changed;  // tid published, task done
    int phase = kNew;                 // under mutex
    std::uint64_t tid = 0;            // under mutex
    // Written once, under mutex, before done becomes true (release); read-only after.
    Outcome outcome;
    std::atomic<bool> done{false};

    std::mutex join_mutex;  // serialises the one std::thread::join
    std::thread thread;     // under join_mutex

    // Not noexcept: a forced unwind must pass through. The runtime gives a forced unwind's
    // handler no exception object, so UBSan's null check flags the (unused) reference
    // bound in that catch clause; it is exempt here.
    __attribute__((no_sanitize("null"))) void run() {
        {
            std::lock_guard<std::mutex> guard(mutex);
            tid = sync::current_tid();
            phase = kRunning;
        }
        changed.notify_all();
        Outcome out;
        try {
            out.result = task.call();
        } catch (const Error &e) {
            out.status = e.status();
            out.message = e.what();
        } catch (const std::bad_alloc &) {
            out.status = kNoMemory;
            out.message = label_of(name) + ": out of memory";
        } catch (const abi::__forced_unwind &) {
            // pthread_exit() or cancellation inside the task: the unwinding must go on,
            // but joiners must not wait for ever.
            out.status = kSystem;
            out.message = label_of(name) + ": the thread was exited or cancelled in its task";
            finish(std::move(out));
            throw;
        } catch (const std::exception &e) {
            out.status = kSystem;
            out.message = label_of(name) + ": " + e.what();
        } catch (...) {
            out.status = kSystem;
            out.message = label_of(name) + ": unknown error";
        }
        finish(std::move(out));
    }

    void finish(Outcome &&out) noexcept {
        {
            std::lock_guard<std::mutex> guard(mutex);
            outcome = std::move(out);
            phase = kDone;
            done.store(true, std::memory_order_release);
        }
        changed.notify_all();
    }
};

Thread::Thread(task::Task target, std::optional<std::string> name) {
    std::string chosen =
        name ? std::move(*name)
             : "Thread-" +
                   std::to_string(thread_counter.fetch_add(1, std::memory_order_relaxed) + 1);
    if (chosen.size() > kNameMax) {
        throw Error(kInvalid, "thread: name of " + std::to_string(chosen.size()) +
                                  " bytes is over the limit of " + std::to_string(kNameMax));
    }
    if (!target.complete()) {
        throw Error(kInvalid, label_of(chosen) + ": the task is incomplete: its signature '" +
                                  target.signature() + "' has more arguments than were given");
    }
    state_ = std::make_shared<State>(std::move(target), std::move(chosen));
}

Thread::Thread(Thread &&) noexcept = default;

Thread::~Thread() {
    if (state_ == nullptr) return;
    std::lock_guard<std::mutex> guard(state_->join_mutex);
    if (!state_->thread.joinable()) return;
    if (state_->done.load(std::memory_order_acquire) &&
        state_->thread.get_id() != std::this_thread::get_id()) {
        state_->thread.join();  // its task is over: it is leaving, or gone
    } else {
        state_->thread.detach();  // it holds its own reference to the state
    }
}

const std::string &Thread::name() const noexcept {
    return state_->name;
}

void Thread::start() {
    State &s = *state_;
    {
        std::lock_guard<std::mutex> guard(s.mutex);
        if (s.phase != kNew) throw Error(kInvalid, label_of(s.name) + ": started already");
        s.phase = kStarting;
    }
    try {
        std::lock_guard<std::mutex> guard(s.join_mutex);
        s.thread = std::thread([state = state_] { state->run(); });
    } catch (...) {
        {
            std::lock_guard<std::mutex> guard(s.mutex);
            s.phase = kNew;
        }
        try {
            throw;
        } catch (const std::system_error &e) {
            throw Error(kSystem, label_of(s.name) + ": pthread_create: " + e.what());
        }
    }
    // Python's start() returns once the thread runs, so ident is known from then on.
    std::unique_lock<std::mutex> lock(s.mutex);
    s.changed.wait(lock, [&] { return s.tid != 0; });
}

Status Thread::join(const sync::Deadline &deadline) {
    State &s = *state_;
    {
        std::unique_lock<std::mutex> lock(s.mutex);
        if (s.phase == kNew || s.phase == kStarting) {
            throw Error(kInvalid, label_of(s.name) + ": join: not started");
        }
        if (s.tid == sync::current_tid()) {
            throw Error(kInvalid, label_of(s.name) + ": join: a thread cannot join itself");
        }
        while (s.phase != kDone) {
            if (deadline.expired()) return kTimedOut;
            if (deadline.is_forever()) {
                s.changed.wait(lock);
            } else {
                // CLOCK_MONOTONIC, as steady_clock is on Linux.
                s.changed.wait_until(lock, std::chrono::steady_clock::time_point(
                                               std::chrono::nanoseconds(deadline.at_ns())));
            }
        }
    }
    std::lock_guard<std::mutex> guard(s.join_mutex);
    if (s.thread.joinable()) s.thread.join();
    return kOk;
}

bool Thread::is_alive() const noexcept {
    std::lock_guard<std::mutex> guard(state_->mutex);
    return state_->phase == kRunning;
}

std::uint64_t Thread::ident() const noexcept {
    std::lock_guard<std::mutex> guard(state_->mutex);
    return state_->tid;
}

const Thread::Outcome *Thread::outcome() const noexcept {
    return state_->done.load(std::memory_order_acquire) ? &state_->outcome : nullptr;
}

}  // namespace mproc::core::process
