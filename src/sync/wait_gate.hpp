// Per-handle bookkeeping that lets close() wake the calls blocked on a handle and wait
// until they have left, so the handle can be freed under nobody's feet. It lives in the
// process (not in shared memory): closing one process's handle never disturbs another's.
#pragma once

#include <time.h>

#include <atomic>

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
        explicit Pass(WaitGate &gate) noexcept : gate_(gate) {
            gate_.inside_.fetch_add(1, std::memory_order_acq_rel);
        }
        ~Pass() { gate_.inside_.fetch_sub(1, std::memory_order_acq_rel); }
        Pass(const Pass &) = delete;
        Pass &operator=(const Pass &) = delete;

      private:
        WaitGate &gate_;
    };

    // Marks the gate closed, then wakes the sleepers with `wake` until every call inside
    // has left. Waking again each millisecond covers a caller that checked closed() just
    // before the flag was set and went to sleep just after the previous wake.
    template <typename Wake>
    void close(Wake &&wake) noexcept {
        closed_.store(true, std::memory_order_release);
        for (;;) {
            wake();
            if (inside_.load(std::memory_order_acquire) == 0) return;
            timespec pause{0, 1000000};
            nanosleep(&pause, nullptr);
        }
    }

  private:
    std::atomic<bool> closed_{false};
    std::atomic<int> inside_{0};
};

}  // namespace mproc::core::sync
