// Lockers: read-modify-write a two-word counter (value, ~value) under the named Lock. The
// two stores are apart on purpose (a spin between them), so that a SIGKILL often lands in
// the middle and leaves a torn counter for the next owner, who gets the lock with
// owner-died and must repair it.
#include <mproc/lock.hpp>
#include <mproc/shared_value.hpp>

#include <chrono>
#include <exception>
#include <random>

#include "roles.hpp"

namespace soak {

namespace {

void spin(std::uint64_t iterations) {
    for (std::uint64_t k = 0; k < iterations; ++k)
        asm volatile("" ::: "memory");
}

}  // namespace

std::uint64_t check_counter(std::uint64_t *counter, bool owner_died, LockerSlot &me) {
    const std::uint64_t value = __atomic_load_n(&counter[0], __ATOMIC_ACQUIRE);
    const std::uint64_t check = __atomic_load_n(&counter[1], __ATOMIC_ACQUIRE);
    if (value == ~check) return value;
    // Torn: the owner died between its two stores. Roll back to the last committed value
    // (the check word is stored last, so it is the commit); the dead owner never recorded
    // that increment.
    (owner_died ? me.torn_repaired : me.torn_unexplained).fetch_add(1, std::memory_order_relaxed);
    __atomic_store_n(&counter[0], ~check, __ATOMIC_RELEASE);
    return ~check;
}

int run_locker(const SharedLedger &shared, const Names &names, int slot, std::uint64_t seed) {
    Ledger &ledger = shared.ledger();
    LockerSlot &me = ledger.lockers[slot];
    try {
        mproc::Lock lock = mproc::Lock::open(names.lock);
        auto counter_array = mproc::Array<std::uint64_t>::open(names.counter);
        std::uint64_t *counter = counter_array.data();
        std::mt19937_64 rng(seed);
        while (!stopped(ledger)) {
            // Generous: a holder keeps the lock for microseconds, and a dead one is seen
            // within 100 ms, so only a wedged lock takes this long.
            const mproc::acquire_result got = lock.acquire(std::chrono::seconds(10));
            if (got == mproc::acquire_result::timed_out) {
                me.timeouts.fetch_add(1, std::memory_order_relaxed);
                log_error(ledger, "locker %d: acquire timed out after 10 s", slot);
                continue;
            }
            const bool owner_died = got == mproc::acquire_result::owner_died;
            if (owner_died) me.recoveries.fetch_add(1, std::memory_order_relaxed);
            const std::uint64_t value = check_counter(counter, owner_died, me);
            __atomic_store_n(&counter[0], value + 1, __ATOMIC_RELAXED);
            spin(rng() % 20000);
            __atomic_store_n(&counter[1], ~(value + 1), __ATOMIC_RELEASE);
            me.increments.fetch_add(1, std::memory_order_relaxed);
            lock.release();
            spin(rng() % 20000);
        }
        return 0;
    } catch (const std::exception &e) {
        log_error(ledger, "locker %d: %s", slot, e.what());
        return 2;
    }
}

}  // namespace soak
