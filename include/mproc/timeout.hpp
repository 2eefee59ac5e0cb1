// mproc/timeout.hpp -- how long a blocking call of the C++ API may wait.
#pragma once

#include <chrono>

namespace mproc {

// The type of mproc::forever.
struct forever_t {
    explicit constexpr forever_t() = default;
};

// "Wait as long as it takes": the default of every call that takes an mproc::timeout.
inline constexpr forever_t forever{};

// A time limit for one blocking call: mproc::forever or any std::chrono::duration, converted
// to the C ABI's double seconds. Functions take it by value, so callers write
// `sem.acquire(250ms)`, `sem.acquire(std::chrono::seconds(2))` or `sem.acquire()`.
//
// Unlike the C ABI, where a negative number means forever, a zero or negative duration
// means "try once", as in std::timed_mutex::try_lock_for; only mproc::forever waits without
// limit. A duration of kMaxSeconds or more (std::chrono::hours::max(), an infinite double
// duration) also means forever, so that "a very long time" never overflows a deadline. A NaN
// duration reaches the library, which rejects it with invalid_argument_error.
class timeout {
  public:
    // About 31 years: longer waits are forever for every practical purpose.
    static constexpr double kMaxSeconds = 1e9;

    constexpr timeout(forever_t) noexcept : seconds_(-1.0) {}

    template <class Rep, class Period>
    constexpr timeout(std::chrono::duration<Rep, Period> d) noexcept
        : seconds_(from_duration(std::chrono::duration<double>(d).count())) {}

    // The value for the C ABI: -1 for forever, else >= 0.
    constexpr double seconds() const noexcept { return seconds_; }
    constexpr bool is_forever() const noexcept { return seconds_ < 0; }

  private:
    static constexpr double from_duration(double s) noexcept {
        if (s <= 0) return 0.0;
        if (s >= kMaxSeconds) return -1.0;
        return s;  // NaN falls through both tests and stays NaN
    }

    double seconds_;
};

namespace detail {

// The time left until `tp` on its own clock, for the *_until members.
template <class Clock, class Duration>
auto until(const std::chrono::time_point<Clock, Duration> &tp) {
    return tp - Clock::now();
}

}  // namespace detail
}  // namespace mproc
