#include "sync/robust_mutex.hpp"

#include "sync/futex.hpp"
#include "sync/owner_liveness.hpp"
#include "sync/process_identity.hpp"
#include "sync/spin.hpp"

namespace mproc::core::sync {

namespace {

// How often a sleeping waiter checks that the owner lives: the bound on how long a dead
// owner goes unnoticed (the contract says 100 ms).
constexpr std::int64_t kLivenessPeriodNs = 20 * 1000 * 1000;

}  // namespace

Status RobustMutex::acquire(const Deadline &deadline, const WaitGate *gate) noexcept {
    const std::uint32_t me = current_pid();
    if (try_take(0, me)) return kOk;

    // A try-once call does not spin; a blocking one spins briefly before it sleeps.
    if (!deadline.expired() && spin_until([&] {
            return state_->word.load(std::memory_order_relaxed) == 0 && try_take(0, me);
        })) {
        return kOk;
    }

    std::int64_t next_liveness_check = 0;  // check before the first sleep
    for (;;) {
        std::uint32_t v = state_->word.load(std::memory_order_relaxed);
        if (v == 0) {
            // We cannot know whether others sleep, so keep the waiters bit: at worst one
            // unneeded wake system call at release.
            if (try_take(0, me | kWaitersBit)) return kOk;
            continue;
        }
        if (gate != nullptr && gate->closed()) return kClosed;

        const std::uint32_t owner = v & kPidMask;
        std::int64_t now = Deadline::now_ns();
        if (owner != me && now >= next_liveness_check) {
            if (!process_is_alive(owner)) {
                // Only one waiter's compare-and-swap from this exact value succeeds.
                if (try_take(v, me | kWaitersBit)) return kOwnerDead;
                continue;
            }
            next_liveness_check = now + kLivenessPeriodNs;
        }
        if (deadline.expired()) return kTimedOut;

        if ((v & kWaitersBit) == 0) {
            if (!state_->word.compare_exchange_weak(v, v | kWaitersBit,
                                                    std::memory_order_relaxed)) {
                continue;
            }
            v |= kWaitersBit;
        }
        std::int64_t until = deadline.is_forever()
                                 ? next_liveness_check
                                 : std::min(deadline.at_ns(), next_liveness_check);
        if (owner == me) until = deadline.is_forever() ? -1 : deadline.at_ns();
        futex_wait(state_->word, v, until);
    }
}

bool RobustMutex::held_by_caller() const noexcept {
    std::uint32_t v = state_->word.load(std::memory_order_relaxed);
    return (v & kPidMask) == current_pid() &&
           state_->owner_tid.load(std::memory_order_relaxed) == current_tid();
}

void RobustMutex::wake_all() noexcept {
    futex_wake(state_->word, kWakeAll);
}

}  // namespace mproc::core::sync
