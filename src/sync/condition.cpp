#include "sync/condition.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "shm/object_counters.hpp"
#include "sync/futex.hpp"
#include "sync/owner_liveness.hpp"
#include "sync/process_identity.hpp"
#include "sync/spin.hpp"

namespace mproc::core::sync {

Condition::Condition(shm::Segment segment) : SharedObject(std::move(segment)) {
    kind_ = static_cast<ConditionLockKind>(layout_->lock_kind);
    // The name must end inside its field: a peer's garbage there is no name to open.
    const std::size_t length = ::strnlen(layout_->lock_name, sizeof layout_->lock_name);
    if (length == sizeof layout_->lock_name) {
        throw Error(kCorrupt,
                    "condition '" + name() + "': open: its lock's name is not terminated");
    }
    const std::string lock_name(layout_->lock_name, length);
    switch (kind_) {
        case ConditionLockKind::kOwnRLock:
            break;
        case ConditionLockKind::kLock:
            lock_.emplace(Lock::open(lock_name));
            break;
        case ConditionLockKind::kRLock:
            rlock_.emplace(RLock::open(lock_name));
            break;
        default:
            throw Error(kVersion, "condition '" + name() + "': unknown lock kind");
    }
}

Condition Condition::create_over(std::string_view name, ConditionLockKind kind,
                                 const std::string &lock_name, const shm::CreateOptions &options) {
    return Condition(create_segment(name, options, [&](ConditionLayout &layout) {
        layout.lock_kind = static_cast<std::uint32_t>(kind);
        std::memcpy(layout.lock_name, lock_name.data(), lock_name.size());
    }));
}

Condition Condition::create(std::string_view name, const shm::CreateOptions &options) {
    return create_over(name, ConditionLockKind::kOwnRLock, "", options);
}

Condition Condition::create_with(std::string_view name, const Lock &lock,
                                 const shm::CreateOptions &options) {
    return create_over(name, ConditionLockKind::kLock, lock.name(), options);
}

Condition Condition::create_with(std::string_view name, const RLock &rlock,
                                 const shm::CreateOptions &options) {
    return create_over(name, ConditionLockKind::kRLock, rlock.name(), options);
}

Condition Condition::open(std::string_view name) {
    return Condition(open_segment(name));
}

Status Condition::acquire(const Deadline &deadline) noexcept {
    // As for Lock and RLock: the uncontended (and recursive) acquire makes no trip through
    // the gate; only a call that may block registers with the gate close() drains.
    switch (kind_) {
        case ConditionLockKind::kLock: {
            if (lock_->mutex().try_acquire_free()) return kOk;
            WaitGate::Pass pass(gate_);
            return shm::count_waited(layout_->header, lock_->mutex().acquire(deadline, &gate_));
        }
        case ConditionLockKind::kRLock: {
            const Status entered = rlock_->mutex().try_enter();
            if (entered != kTimedOut) return entered;
            WaitGate::Pass pass(gate_);
            return shm::count_waited(layout_->header, rlock_->mutex().acquire(deadline, &gate_));
        }
        default: {
            RecursiveMutex own(layout_->own_lock);
            const Status entered = own.try_enter();
            if (entered != kTimedOut) return entered;
            WaitGate::Pass pass(gate_);
            return shm::count_waited(layout_->header, own.acquire(deadline, &gate_));
        }
    }
}

Status Condition::release() noexcept {
    switch (kind_) {
        case ConditionLockKind::kLock:
            // Condition.release, unlike Lock.release, insists on the caller holding it.
            if (!lock_->mutex().held_by_caller()) return kNotOwner;
            return lock_->release();
        case ConditionLockKind::kRLock:
            return rlock_->release();
        default:
            return RecursiveMutex(layout_->own_lock).release();
    }
}

bool Condition::lock_held_by_caller() const noexcept {
    switch (kind_) {
        case ConditionLockKind::kLock:
            return lock_->mutex().held_by_caller();
        case ConditionLockKind::kRLock:
            return rlock_->is_owned();
        default:
            return RecursiveMutex(layout_->own_lock).held_by_caller();
    }
}

std::uint32_t Condition::release_for_wait() noexcept {
    switch (kind_) {
        case ConditionLockKind::kLock:
            return lock_->release() == kOk ? 1 : 0;
        case ConditionLockKind::kRLock:
            return rlock_->mutex().release_all();
        default:
            return RecursiveMutex(layout_->own_lock).release_all();
    }
}

Status Condition::reacquire_after_wait(std::uint32_t level) noexcept {
    switch (kind_) {
        case ConditionLockKind::kLock:
            return lock_->mutex().acquire(Deadline::forever(), &gate_);
        case ConditionLockKind::kRLock:
            return rlock_->mutex().restore(level, &gate_);
        default:
            return RecursiveMutex(layout_->own_lock).restore(level, &gate_);
    }
}

std::uint32_t Condition::slots_in_use() const noexcept {
    // Never past the array, whatever a peer wrote there.
    return std::min(layout_->slots_in_use.load(std::memory_order_acquire), kConditionMaxWaiters);
}

int Condition::claim_slot() noexcept {
    ConditionWaiter *slots = layout_->waiters;
    for (std::uint32_t i = 0; i < kConditionMaxWaiters; ++i) {
        std::uint32_t expected = kSlotFree;
        if (slots[i].state.load(std::memory_order_relaxed) == kSlotFree &&
            slots[i].state.compare_exchange_strong(expected, kSlotClaimed,
                                                   std::memory_order_acquire)) {
            std::uint32_t used = layout_->slots_in_use.load(std::memory_order_relaxed);
            while (used < i + 1 && !layout_->slots_in_use.compare_exchange_weak(
                                       used, i + 1, std::memory_order_release)) {
            }
            return static_cast<int>(i);
        }
    }
    // Full: take over a slot whose waiter died (killed in wait, never to free it).
    for (std::uint32_t i = 0; i < kConditionMaxWaiters; ++i) {
        std::uint32_t state = slots[i].state.load(std::memory_order_acquire);
        if (state != kSlotFree && !process_is_alive(slots[i].pid.load(std::memory_order_relaxed)) &&
            slots[i].state.compare_exchange_strong(state, kSlotClaimed,
                                                   std::memory_order_acquire)) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

Status Condition::wait(const Deadline &deadline) noexcept {
    WaitGate::Pass pass(gate_);
    if (!lock_held_by_caller()) return kNotOwner;
    int index = claim_slot();
    if (index < 0) return kFull;
    ConditionWaiter &slot = layout_->waiters[index];
    slot.pid.store(current_pid(), std::memory_order_relaxed);
    // Tickets are handed out under the lock, so they order the waiters as they arrived.
    slot.ticket.store(layout_->next_ticket.fetch_add(1, std::memory_order_relaxed),
                      std::memory_order_relaxed);
    slot.state.store(kSlotWaiting, std::memory_order_release);

    const std::uint32_t level = release_for_wait();
    spin_until([&] { return slot.state.load(std::memory_order_acquire) == kSlotNotified; });

    bool notified = false;
    for (;;) {
        std::uint32_t state = slot.state.load(std::memory_order_acquire);
        if (state == kSlotNotified) {
            notified = true;
            break;
        }
        if (gate_.closed() || deadline.expired()) {
            // Leave, unless a notify got there first: then the notification is ours.
            if (slot.state.compare_exchange_strong(state, kSlotFree, std::memory_order_acq_rel)) {
                break;
            }
            continue;
        }
        if (state == kSlotWaiting &&
            !slot.state.compare_exchange_strong(state, kSlotSleeping, std::memory_order_acq_rel)) {
            continue;
        }
        futex_wait(slot.state, kSlotSleeping, deadline.is_forever() ? -1 : deadline.at_ns());
    }
    if (notified) slot.state.store(kSlotFree, std::memory_order_release);
    // A closed handle can never release the lock again: leave without it (a notification
    // that arrived meanwhile goes with the handle).
    if (gate_.closed()) return shm::count_waited(layout_->header, kClosed);

    const Status relock = reacquire_after_wait(level);
    Status result = notified ? kOk : kTimedOut;
    if (relock == kClosed || relock == kOwnerDead) {
        result = relock;
    } else if (!notified && gate_.closed()) {
        result = kClosed;
    }
    return shm::count_waited(layout_->header, result);
}

Status Condition::wait_for(int (*predicate)(void *), void *arg, const Deadline &deadline) noexcept {
    // The predicate reads state the lock guards: calling it unlocked is the caller's bug,
    // reported even when it would be true at once.
    if (!lock_held_by_caller()) return kNotOwner;
    while (predicate(arg) == 0) {
        if (deadline.expired()) return kTimedOut;
        Status status = wait(deadline);
        if (status != kOk && status != kTimedOut) return status;
    }
    return kOk;
}

bool Condition::notify_oldest() noexcept {
    ConditionWaiter *slots = layout_->waiters;
    const std::uint32_t me = current_pid();
    for (;;) {
        const std::uint32_t used = slots_in_use();
        int oldest = -1;
        std::uint64_t oldest_ticket = std::numeric_limits<std::uint64_t>::max();
        for (std::uint32_t i = 0; i < used; ++i) {
            std::uint32_t state = slots[i].state.load(std::memory_order_acquire);
            if (state != kSlotWaiting && state != kSlotSleeping) continue;
            std::uint64_t ticket = slots[i].ticket.load(std::memory_order_relaxed);
            if (ticket < oldest_ticket) {
                oldest_ticket = ticket;
                oldest = static_cast<int>(i);
            }
        }
        if (oldest < 0) return false;

        ConditionWaiter &slot = slots[oldest];
        std::uint32_t state = slot.state.load(std::memory_order_acquire);
        if (state != kSlotWaiting && state != kSlotSleeping) continue;  // timed out meanwhile
        std::uint32_t pid = slot.pid.load(std::memory_order_relaxed);
        if (pid != me && !process_is_alive(pid)) {
            // Its process was killed in wait: free the slot and notify the next one.
            slot.state.compare_exchange_strong(state, kSlotFree, std::memory_order_acq_rel);
            continue;
        }
        if (!slot.state.compare_exchange_strong(state, kSlotNotified, std::memory_order_acq_rel)) {
            continue;  // it timed out or went to sleep meanwhile: look again
        }
        if (state == kSlotSleeping) futex_wake(slot.state, 1);
        return true;
    }
}

Status Condition::notify(std::uint32_t n) noexcept {
    if (!lock_held_by_caller()) return kNotOwner;
    // Waiters register only while holding the lock, which we hold: the set of waiters can
    // only shrink (timeouts) while we notify, so n rounds cannot run forever.
    for (std::uint32_t i = 0; i < n; ++i) {
        if (!notify_oldest()) break;
    }
    return kOk;
}

void Condition::close() noexcept {
    gate_.close([this] {
        const std::uint32_t me = current_pid();
        const std::uint32_t used = slots_in_use();
        for (std::uint32_t i = 0; i < used; ++i) {
            ConditionWaiter &slot = layout_->waiters[i];
            if (slot.pid.load(std::memory_order_relaxed) == me) futex_wake(slot.state, kWakeAll);
        }
        switch (kind_) {
            case ConditionLockKind::kLock:
                lock_->mutex().wake_all();
                break;
            case ConditionLockKind::kRLock:
                rlock_->mutex().wake_all();
                break;
            default:
                RecursiveMutex(layout_->own_lock).wake_all();
                break;
        }
    });
}

}  // namespace mproc::core::sync
