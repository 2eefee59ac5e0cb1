// The short spin before a futex sleep. Most waits between two busy processes end within
// a few microseconds; spinning that long saves the sleep and the wake system calls, and a
// waiter that never sleeps lets the waker skip its futex_wake entirely.
#pragma once

#include <unistd.h>

#include <cstdint>

#include "sync/deadline.hpp"
#include "sync/futex.hpp"

namespace mproc::core::sync {

// How long a waiter spins before it sleeps.
inline constexpr std::int64_t kSpinNs = 20000;

// Whether spinning can pay at all: on a machine with one CPU online, the process we wait
// for cannot run while we spin, so every spin is wasted (we go straight to the futex).
inline bool spinning_pays() noexcept {
    static const bool pays = ::sysconf(_SC_NPROCESSORS_ONLN) > 1;
    return pays;
}

// Calls done() until it returns true or about `budget_ns` have passed; returns its last
// answer. The clock is read every 64 iterations only.
template <typename Done>
bool spin_until(Done &&done, std::int64_t budget_ns = kSpinNs) {
    if (!spinning_pays()) return done();
    std::int64_t end = -1;
    for (unsigned i = 1;; ++i) {
        if (done()) return true;
        cpu_relax();
        if ((i & 63) == 0) {
            std::int64_t now = Deadline::now_ns();
            if (end < 0) {
                end = now + budget_ns;
            } else if (now >= end) {
                return done();
            }
        }
    }
}

}  // namespace mproc::core::sync
