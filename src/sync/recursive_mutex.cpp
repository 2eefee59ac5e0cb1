#include "sync/recursive_mutex.hpp"

namespace mproc::core::sync {

Status RecursiveMutex::try_enter() noexcept {
    if (held_by_caller()) {
        std::uint32_t level = state_->count.load(std::memory_order_relaxed);
        if (level == UINT32_MAX) return kOverflow;
        state_->count.store(level + 1, std::memory_order_relaxed);
        return kOk;
    }
    if (!mutex().try_acquire_free()) return kTimedOut;
    state_->count.store(1, std::memory_order_relaxed);
    return kOk;
}

Status RecursiveMutex::acquire(const Deadline &deadline, const WaitGate *gate) noexcept {
    Status entered = try_enter();
    if (entered != kTimedOut) return entered;
    Status status = mutex().acquire(deadline, gate);
    if (status == kOk || status == kOwnerDead) {
        // A dead owner's level means nothing to us: we hold it once.
        state_->count.store(1, std::memory_order_relaxed);
    }
    return status;
}

Status RecursiveMutex::release() noexcept {
    if (!held_by_caller()) return kNotOwner;
    std::uint32_t level = state_->count.load(std::memory_order_relaxed);
    if (level > 1) {
        state_->count.store(level - 1, std::memory_order_relaxed);
        return kOk;
    }
    state_->count.store(0, std::memory_order_relaxed);
    return mutex().release();
}

std::uint32_t RecursiveMutex::release_all() noexcept {
    if (!held_by_caller()) return 0;
    std::uint32_t level = state_->count.load(std::memory_order_relaxed);
    state_->count.store(0, std::memory_order_relaxed);
    mutex().release();
    return level == 0 ? 1 : level;
}

Status RecursiveMutex::restore(std::uint32_t level, const WaitGate *gate) noexcept {
    Status status = mutex().acquire(Deadline::forever(), gate);
    if (status == kOk || status == kOwnerDead) {
        state_->count.store(level, std::memory_order_relaxed);
    }
    return status;
}

std::uint32_t RecursiveMutex::level_of_caller() const noexcept {
    return held_by_caller() ? state_->count.load(std::memory_order_relaxed) : 0;
}

}  // namespace mproc::core::sync
