// Per-handle bookkeeping that lets close() wake the calls blocked on a handle and wait
// until they have left, so the handle can be freed under nobody's feet. It lives in the
// process (not in shared memory): closing one process's handle never disturbs another's.
//
// The count of calls inside is tagged with the pid that made it: a fork() child inherits
// the parent's memory, counts included, but none of the parent's blocked threads; its first
// call, or its close(), sees another pid and knows those counts are not its own (else a
// child closing an inherited handle would wait for ever for a call that does not exist).
#pragma once

#include <time.h>

#include <atomic>
#include <cstdint>

#include "sync/process_identity.hpp"

namespace mproc::core::sync {

class WaitGate {
  public:
    WaitGate() = default;
    // Moving is for factories, before any call can be inside.
    WaitGate(WaitGate &&other) noexcept : closed_(other.closed_.load()) {}
    WaitGate &operator=(WaitGate &&) = delete;

    bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

    // Counts a blocking call while it is inside.
    class Pass {
      public:
        explicit Pass(WaitGate &gate) noexcept : gate_(gate) { gate_.enter(); }
        ~Pass() { gate_.inside_.fetch_sub(1, std::memory_order_acq_rel); }
        Pass(const Pass &) = delete;
        Pass &operator=(const Pass &) = delete;

      private:
        WaitGate &gate_;
    };

    // Marks the gate closed, then wakes the sleepers with `wake` until every call of this
    // process inside has left. Waking again each millisecond covers a caller that checked
    // closed() just before the flag was set and went to sleep just after the previous wake.
    template <typename Wake>
    void close(Wake &&wake) noexcept {
        closed_.store(true, std::memory_order_release);
        const std::uint64_t me = current_pid();
        for (;;) {
            wake();
            const std::uint64_t state = inside_.load(std::memory_order_acquire);
            if ((state >> 32) != me || (state & 0xffffffffu) == 0) return;
            timespec pause{0, 1000000};
            nanosleep(&pause, nullptr);
        }
    }

  private:
    // One more call inside, counted for this process (restarting the count from 1 if it
    // was another process's, i.e. inherited across fork).
    void enter() noexcept {
        const std::uint64_t me = current_pid();
        std::uint64_t state = inside_.load(std::memory_order_relaxed);
        std::uint64_t next;
        do {
            next = (state >> 32) == me ? state + 1 : (me << 32 | 1);
        } while (!inside_.compare_exchange_weak(state, next, std::memory_order_acq_rel,
                                                std::memory_order_relaxed));
    }

    std::atomic<bool> closed_{false};
    std::atomic<std::uint64_t> inside_{0};  // pid << 32 | calls inside
};

}  // namespace mproc::core::sync
