#include "sync/barrier.hpp"

#include <string>

#include "shm/object_counters.hpp"
#include "sync/futex.hpp"
#include "sync/owner_liveness.hpp"
#include "sync/process_identity.hpp"
#include "sync/spin.hpp"

namespace mproc::core::sync {

namespace {

constexpr std::int64_t kActionLivenessPeriodNs = 20 * 1000 * 1000;

std::uint64_t generation_bit(std::uint32_t generation) {
    return 1ull << (generation % 64);
}

}  // namespace

Barrier Barrier::create(std::string_view name, std::uint32_t parties,
                        const shm::CreateOptions &options) {
    if (parties == 0) throw Error(kInvalid, "barrier: parties must be at least 1");
    if (parties > kBarrierMaxParties) {
        throw Error(kTooBig, "barrier: " + std::to_string(parties) + " parties, at most " +
                                 std::to_string(kBarrierMaxParties));
    }
    return Barrier(
        create_segment(name, options, [&](BarrierLayout &layout) { layout.parties = parties; }));
}

Barrier Barrier::open(std::string_view name) {
    return Barrier(open_segment(name));
}

Barrier::Barrier(shm::Segment segment)
    : SharedObject(std::move(segment)), parties_(layout_->parties) {
    if (parties_ == 0 || parties_ > kBarrierMaxParties) {
        throw Error(kCorrupt, "barrier '" + name() + "': open: " + std::to_string(parties_) +
                                  " parties recorded (1 to " + std::to_string(kBarrierMaxParties) +
                                  " are possible)");
    }
}

bool Barrier::lock_guard() noexcept {
    // The guard is held only for a few stores; kOwnerDead means its holder died between
    // them, which leaves the state consistent (see BarrierLayout::guard). A guard held for
    // longer names a stopped process or is garbage (our own pid, say): give up rather than
    // wait for ever, whatever the caller's timeout.
    const Status s = guard().acquire(Deadline::after(kGuardPatienceSeconds), nullptr);
    if (s == kOwnerDead) shm::count_owner_dead(layout_->header);
    return s == kOk || s == kOwnerDead;
}

void Barrier::wake_all() noexcept {
    layout_->epoch.fetch_add(1, std::memory_order_release);
    futex_wake(layout_->epoch, kWakeAll);
}

void Barrier::trip_locked(std::uint32_t generation) noexcept {
    if (layout_->generation.load(std::memory_order_relaxed) != generation) return;
    layout_->ended_broken.fetch_and(~generation_bit(generation), std::memory_order_relaxed);
    layout_->arrived.store(0, std::memory_order_relaxed);
    layout_->action_pid.store(0, std::memory_order_relaxed);
    layout_->generation.store(generation + 1, std::memory_order_release);
    wake_all();
}

void Barrier::break_locked(std::uint32_t generation) noexcept {
    if (layout_->generation.load(std::memory_order_relaxed) != generation) return;
    layout_->broken.store(1, std::memory_order_release);
    wake_all();
}

Status Barrier::outcome_of(std::uint32_t generation) const noexcept {
    return (layout_->ended_broken.load(std::memory_order_acquire) & generation_bit(generation))
               ? kBroken
               : kOk;
}

Status Barrier::wait(const Deadline &deadline, std::uint32_t *index) noexcept {
    WaitGate::Pass pass(gate_);
    if (!lock_guard()) return kCorrupt;
    if (layout_->broken.load(std::memory_order_relaxed)) {
        unlock_guard();
        return kBroken;
    }
    const std::uint32_t generation = layout_->generation.load(std::memory_order_relaxed);
    const std::uint32_t arrival = layout_->arrived.load(std::memory_order_relaxed);
    if (arrival >= parties_) {
        // More arrivals than parties: no process counts so. Break it, so that reset
        // makes it usable again.
        break_locked(generation);
        unlock_guard();
        return kCorrupt;
    }
    if (index != nullptr) *index = arrival;

    if (arrival + 1 == parties_) {
        // Last to arrive: run the action (outside the guard), then release everybody.
        layout_->arrived.store(arrival + 1, std::memory_order_relaxed);
        if (action_ != nullptr) {
            layout_->action_pid.store(current_pid(), std::memory_order_relaxed);
            unlock_guard();
            int failed = action_(action_arg_);
            if (!lock_guard()) return kCorrupt;
            layout_->action_pid.store(0, std::memory_order_relaxed);
            if (failed != 0) {
                break_locked(generation);
                unlock_guard();
                return kBroken;
            }
        }
        bool still_ours = layout_->generation.load(std::memory_order_relaxed) == generation &&
                          !layout_->broken.load(std::memory_order_relaxed);
        if (still_ours) trip_locked(generation);
        unlock_guard();
        return still_ours ? kOk : kBroken;
    }
    layout_->arrived.store(arrival + 1, std::memory_order_relaxed);
    unlock_guard();
    shm::count_wait(layout_->header);

    std::int64_t next_action_check = Deadline::now_ns() + kActionLivenessPeriodNs;
    auto released = [&] {
        return layout_->generation.load(std::memory_order_acquire) != generation ||
               layout_->broken.load(std::memory_order_acquire) != 0;
    };
    spin_until(released);
    for (;;) {
        const std::uint32_t epoch = layout_->epoch.load(std::memory_order_acquire);
        if (layout_->generation.load(std::memory_order_acquire) != generation) {
            return outcome_of(generation);
        }
        if (layout_->broken.load(std::memory_order_acquire)) return kBroken;
        if (gate_.closed()) return kClosed;
        if (deadline.expired()) {
            // As in Python: a timeout breaks the barrier for everyone.
            if (!lock_guard()) return kCorrupt;
            bool ours = layout_->generation.load(std::memory_order_relaxed) == generation &&
                        !layout_->broken.load(std::memory_order_relaxed);
            if (ours) break_locked(generation);
            unlock_guard();
            if (ours) {
                shm::count_timeout(layout_->header);
                return kTimedOut;
            }
            continue;
        }
        std::int64_t now = Deadline::now_ns();
        if (now >= next_action_check) {
            std::uint32_t runner = layout_->action_pid.load(std::memory_order_relaxed);
            if (runner != 0 && !process_is_alive(runner)) {
                if (!lock_guard()) return kCorrupt;
                if (layout_->action_pid.load(std::memory_order_relaxed) == runner) {
                    layout_->action_pid.store(0, std::memory_order_relaxed);
                    shm::count_owner_dead(layout_->header);
                    break_locked(generation);
                }
                unlock_guard();
                continue;
            }
            next_action_check = now + kActionLivenessPeriodNs;
        }
        std::int64_t until = deadline.is_forever() ? next_action_check
                                                   : std::min(deadline.at_ns(), next_action_check);
        futex_wait(layout_->epoch, epoch, until);
    }
}

Status Barrier::reset() noexcept {
    if (!lock_guard()) return kCorrupt;
    const std::uint32_t generation = layout_->generation.load(std::memory_order_relaxed);
    // Whoever waits in this generation learns it ended broken; the next starts clean.
    layout_->ended_broken.fetch_or(generation_bit(generation), std::memory_order_relaxed);
    layout_->ended_broken.fetch_and(~generation_bit(generation + 1), std::memory_order_relaxed);
    layout_->arrived.store(0, std::memory_order_relaxed);
    layout_->action_pid.store(0, std::memory_order_relaxed);
    layout_->broken.store(0, std::memory_order_relaxed);
    layout_->generation.store(generation + 1, std::memory_order_release);
    wake_all();
    unlock_guard();
    return kOk;
}

Status Barrier::abort() noexcept {
    if (!lock_guard()) return kCorrupt;
    layout_->broken.store(1, std::memory_order_release);
    wake_all();
    unlock_guard();
    return kOk;
}

std::uint32_t Barrier::n_waiting() const noexcept {
    if (broken()) return 0;
    return layout_->arrived.load(std::memory_order_relaxed);
}

void Barrier::close() noexcept {
    gate_.close([this] { futex_wake(layout_->epoch, kWakeAll); });
}

}  // namespace mproc::core::sync
