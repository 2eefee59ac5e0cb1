#include "pool/future.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "sync/spin.hpp"

namespace mproc::core::pool {

namespace {

bool is_done(Future::Phase p) noexcept {
    return p == Future::Phase::kFinished || p == Future::Phase::kCancelled;
}

std::chrono::steady_clock::time_point time_point_of(const sync::Deadline &deadline) {
    // CLOCK_MONOTONIC, as steady_clock is on Linux.
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline.at_ns()));
}

// Spins for done() up to the spin budget, but never past the deadline: a pool's trivial
// task finishes in a microsecond or two, much less than a sleep and a wake cost.
template <typename Done>
bool spin_within(const sync::Deadline &deadline, Done &&done) {
    std::int64_t budget = sync::kSpinNs;
    if (!deadline.is_forever()) {
        budget = std::min(budget, deadline.at_ns() - sync::Deadline::now_ns());
        if (budget <= 0) return done();
    }
    return sync::spin_until(done, budget);
}

}  // namespace

// One wait over several futures: each future notifies it when it becomes done.
struct Future::Waiter {
    std::mutex mutex;
    std::condition_variable changed;
    unsigned long generation = 0;  // under mutex: bumped by every notification

    void notify() {
        {
            std::lock_guard<std::mutex> guard(mutex);
            ++generation;
        }
        changed.notify_all();
    }
    // Waits for a notification after `seen`, or the deadline: false at the deadline.
    bool wait_after(unsigned long seen, const sync::Deadline &deadline) {
        std::unique_lock<std::mutex> lock(mutex);
        while (generation == seen) {
            if (deadline.is_forever()) {
                changed.wait(lock);
            } else {
                if (deadline.expired()) return false;
                changed.wait_until(lock, time_point_of(deadline));
            }
        }
        return true;
    }
    unsigned long seen() {
        std::lock_guard<std::mutex> guard(mutex);
        return generation;
    }
};

FuturePtr Future::make() {
    return std::make_shared<Future>(MakeKey());  // one allocation for object and count
}

bool Future::set_running() {
    std::lock_guard<std::mutex> guard(mutex_);
    if (phase_.load(std::memory_order_relaxed) != Phase::kPending) return false;
    phase_.store(Phase::kRunning, std::memory_order_release);
    return true;
}

void Future::set_result(task::Result result) {
    Outcome outcome;
    outcome.result = std::move(result);
    complete(Phase::kFinished, &outcome);
}

void Future::set_error(Status status, std::string message) {
    Outcome outcome;
    outcome.status = status;
    outcome.message = std::move(message);
    complete(Phase::kFinished, &outcome);
}

void Future::set_outcome(Outcome outcome) {
    complete(Phase::kFinished, &outcome);
}

bool Future::cancel() {
    const Phase p = phase();
    if (p == Phase::kCancelled) return true;
    if (p != Phase::kPending) return false;
    // A racing set_running or cancel may get there first: the phase says who won.
    return complete(Phase::kCancelled, nullptr) || phase() == Phase::kCancelled;
}

// The caller holds a FuturePtr to this future (every user reaches it through one), so
// it outlives the notifications below even if a woken waiter drops its own reference.
bool Future::complete(Phase phase, Outcome *outcome) {
    std::vector<Callback> callbacks;
    std::vector<std::shared_ptr<Waiter>> waiters;
    bool wake;
    {
        std::lock_guard<std::mutex> guard(mutex_);
        const Phase now = phase_.load(std::memory_order_relaxed);
        if (is_done(now)) return false;
        // Cancel only a pending future: a racing set_running won.
        if (phase == Phase::kCancelled && now != Phase::kPending) return false;
        if (outcome != nullptr) outcome_ = std::move(*outcome);
        phase_.store(phase, std::memory_order_release);
        callbacks.swap(callbacks_);
        if (!waiters_.empty()) waiters = waiters_;
        wake = sleepers_ > 0;
    }
    if (wake) done_cv_.notify_all();
    for (const auto &waiter : waiters)
        waiter->notify();
    if (!callbacks.empty()) {
        FuturePtr self = shared_from_this();
        for (auto &callback : callbacks) {
            try {
                callback(self);
            } catch (...) {
                // Python logs and ignores a callback's exception; a pool thread must go on.
            }
        }
    }
    return true;
}

bool Future::done() const noexcept {
    return is_done(phase());
}

bool Future::failed() const noexcept {
    const Phase p = phase();
    return p == Phase::kCancelled || (p == Phase::kFinished && outcome_.status != kOk);
}

const Outcome *Future::outcome() const noexcept {
    return phase() == Phase::kFinished ? &outcome_ : nullptr;
}

bool Future::wait(const sync::Deadline &deadline) const {
    if (done()) return true;
    if (deadline.expired()) return done();
    if (spin_within(deadline, [this] { return done(); })) return true;
    std::unique_lock<std::mutex> lock(mutex_);
    ++sleepers_;
    while (!done()) {
        if (deadline.is_forever()) {
            done_cv_.wait(lock);
        } else {
            if (deadline.expired()) break;
            done_cv_.wait_until(lock, time_point_of(deadline));
        }
    }
    --sleepers_;
    return done();
}

void Future::add_done_callback(Callback callback) {
    {
        std::lock_guard<std::mutex> guard(mutex_);
        if (!is_done(phase_.load(std::memory_order_relaxed))) {
            callbacks_.push_back(std::move(callback));
            return;
        }
    }
    try {
        callback(shared_from_this());
    } catch (...) {
    }
}

void Future::add_waiter(const std::shared_ptr<Waiter> &waiter) {
    std::lock_guard<std::mutex> guard(mutex_);
    waiters_.push_back(waiter);
}

void Future::remove_waiter(const std::shared_ptr<Waiter> &waiter) {
    std::lock_guard<std::mutex> guard(mutex_);
    waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), waiter), waiters_.end());
}

namespace {

// Whether `when` holds; *ndone = how many are done.
bool condition_holds(const std::vector<FuturePtr> &futures, ReturnWhen when, std::size_t *ndone) {
    std::size_t done = 0;
    bool any_failed = false;
    for (const auto &future : futures) {
        if (!future->done()) continue;
        ++done;
        if (future->failed()) any_failed = true;
    }
    *ndone = done;
    if (done == futures.size()) return true;
    switch (when) {
        case ReturnWhen::kFirstCompleted:
            return done > 0;
        case ReturnWhen::kFirstException:
            return any_failed;
        case ReturnWhen::kAllCompleted:
            return false;
    }
    return false;
}

}  // namespace

Status Future::wait_some(const std::vector<FuturePtr> &futures, ReturnWhen when,
                         const sync::Deadline &deadline, std::size_t *ndone) {
    std::size_t done = 0;
    if (when == ReturnWhen::kAllCompleted) {
        // All done is each one done: waiting for them in turn costs O(n) in all, where a
        // Waiter would be notified (and rescan all n) once per completion.
        Status status = kOk;
        for (const auto &future : futures) {
            if (!future->wait(deadline)) {
                status = kTimedOut;
                break;
            }
        }
        if (ndone != nullptr) {
            if (status == kOk) {
                *ndone = futures.size();
            } else {
                condition_holds(futures, when, ndone);
            }
        }
        return status;
    }
    auto holds = [&] { return condition_holds(futures, when, &done); };
    if (holds() || deadline.expired() || spin_within(deadline, holds)) {
        if (ndone != nullptr) *ndone = done;
        return holds() ? kOk : kTimedOut;
    }
    // Registered with every future before the next look, so a future done after that look
    // notifies it: no completion falls between the look and the sleep.
    auto waiter = std::make_shared<Waiter>();
    for (const auto &future : futures)
        future->add_waiter(waiter);
    Status status = kTimedOut;
    for (;;) {
        unsigned long seen = waiter->seen();
        if (holds()) {
            status = kOk;
            break;
        }
        if (!waiter->wait_after(seen, deadline)) {
            status = holds() ? kOk : kTimedOut;
            break;
        }
    }
    for (const auto &future : futures)
        future->remove_waiter(waiter);
    if (ndone != nullptr) *ndone = done;
    return status;
}

Status Future::wait_any(const std::vector<FuturePtr> &futures, const sync::Deadline &deadline,
                        std::size_t *index) {
    Status status = wait_some(futures, ReturnWhen::kFirstCompleted, deadline, nullptr);
    if (status != kOk) return status;
    for (std::size_t i = 0; i < futures.size(); ++i) {
        if (futures[i]->done()) {
            *index = i;
            return kOk;
        }
    }
    return kTimedOut;  // unreachable: one was done
}

}  // namespace mproc::core::pool
