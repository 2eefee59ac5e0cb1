// Barrier: threading.Barrier across processes. A party that dies after arriving still
// counts as arrived; a process that dies while running the action breaks the barrier.
#pragma once

#include <cstdint>
#include <string_view>

#include "error.hpp"
#include "sync/barrier_layout.hpp"
#include "sync/deadline.hpp"
#include "sync/robust_mutex.hpp"
#include "sync/shared_object.hpp"

namespace mproc::core::sync {

class Barrier : public SharedObject<BarrierLayout> {
  public:
    // Throws kInvalid for 0 parties, kTooBig over kBarrierMaxParties.
    static Barrier create(std::string_view name, std::uint32_t parties,
                          const shm::CreateOptions &options);
    static Barrier open(std::string_view name);

    Barrier(Barrier &&) noexcept = default;

    // Runs in the last arriving party, if this handle has one; non-zero breaks the barrier.
    using Action = int (*)(void *arg);
    void set_action(Action action, void *arg) noexcept {
        action_ = action;
        action_arg_ = arg;
    }

    // kOk with *index = arrival order; kBroken, kTimedOut (the barrier is now broken),
    // kClosed. Each call below may also return kCorrupt: the guard stayed held for over
    // kGuardPatienceSeconds (its holder is stopped, or the word is garbage), or an
    // arrival count no process wrote.
    Status wait(const Deadline &deadline, std::uint32_t *index) noexcept;
    Status reset() noexcept;
    Status abort() noexcept;

    // The guard is held for a few stores at a time: waiting longer than this for it is
    // never contention.
    static constexpr double kGuardPatienceSeconds = 1.0;

    std::uint32_t parties() const noexcept { return parties_; }
    std::uint32_t n_waiting() const noexcept;
    bool broken() const noexcept { return layout_->broken.load(std::memory_order_acquire) != 0; }

    void close() noexcept;

  private:
    // Throws kCorrupt if the number of parties is not one create accepts.
    explicit Barrier(shm::Segment segment);

    RobustMutex guard() const noexcept { return RobustMutex(layout_->guard); }
    // False if the guard could not be taken within kGuardPatienceSeconds.
    [[nodiscard]] bool lock_guard() noexcept;
    void unlock_guard() noexcept { guard().release(); }
    // With the guard held: ends generation `generation` (if still current) and wakes all.
    void trip_locked(std::uint32_t generation) noexcept;
    void break_locked(std::uint32_t generation) noexcept;
    void wake_all() noexcept;
    Status outcome_of(std::uint32_t generation) const noexcept;

    Action action_ = nullptr;
    void *action_arg_ = nullptr;
    // Copied at open once checked: an index handed out is always below it.
    std::uint32_t parties_ = 0;
};

}  // namespace mproc::core::sync
