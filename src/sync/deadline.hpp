// A point in CLOCK_MONOTONIC time that a blocking call gives up at, built from the ABI's
// timeout convention: seconds as a double, negative = forever, 0 = try once.
#pragma once

#include <time.h>

#include <cmath>
#include <cstdint>

namespace mproc::core::sync {

// The clock is read only when a call first has to know the time (to wait, or to see
// whether its time is up): a call that succeeds at once reads no clock, and a zero timeout
// never does. So the timeout counts from that first look, a few instructions after the call
// began. A Deadline belongs to one call on one thread.
class Deadline {
  public:
    // timeout_seconds must not be NaN (the C shim rejects it).
    static Deadline after(double timeout_seconds) noexcept {
        Deadline d;
        if (timeout_seconds < 0 || std::isinf(timeout_seconds)) return d;  // forever
        d.forever_ = false;
        // Clamp absurdly long timeouts (a year) so the arithmetic cannot overflow.
        double clamped = timeout_seconds > 3.2e7 ? 3.2e7 : timeout_seconds;
        d.relative_ns_ = static_cast<std::int64_t>(clamped * 1e9);
        return d;
    }
    static Deadline forever() noexcept { return Deadline(); }

    static std::int64_t now_ns() noexcept {
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
    }

    bool is_forever() const noexcept { return forever_; }
    bool expired() const noexcept {
        if (forever_) return false;
        if (relative_ns_ == 0) return true;  // try once
        return now_ns() >= at_ns();
    }
    // Absolute monotonic nanoseconds; meaningful only if !is_forever().
    std::int64_t at_ns() const noexcept {
        if (!started_) {
            at_ns_ = now_ns() + relative_ns_;
            started_ = true;
        }
        return at_ns_;
    }

    // The earlier of this deadline and `ns` from now: waits are cut into slices so that a
    // waiter re-checks things no futex wake tells it about (a dead owner, a closed handle).
    std::int64_t slice_end_ns(std::int64_t slice_ns) const noexcept {
        std::int64_t slice = now_ns() + slice_ns;
        return (!forever_ && at_ns() < slice) ? at_ns() : slice;
    }

  private:
    Deadline() = default;
    bool forever_ = true;
    std::int64_t relative_ns_ = 0;
    mutable bool started_ = false;
    mutable std::int64_t at_ns_ = 0;
};

}  // namespace mproc::core::sync
