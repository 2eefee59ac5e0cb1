#include "final.hpp"

#include <dlfcn.h>

#include <mproc/lock.hpp>
#include <mproc/queue.hpp>
#include <mproc/shared_value.hpp>

#include <chrono>
#include <cstring>
#include <exception>

#include "message.hpp"

namespace soak {

namespace {

using namespace std::chrono_literals;

// The parent's slots in the ledger, after the participants'.
constexpr int kParentSlot = kMaxRole;

void drain_and_round_trip(const SharedLedger &shared, const Names &names, FinalState &state) {
    try {
        mproc::Queue queue = mproc::Queue::open(names.queue);
        ConsumerSlot &me = shared.ledger().consumers[kParentSlot];
        unsigned char buf[kMaxMessage];
        // A waiting get (not a try-once one) skips the slot of a producer that was killed
        // in the middle of its put, and that may hide messages behind it.
        for (;;) {
            std::size_t len = 0;
            const int rc = mproc_queue_get(queue.handle(), buf, sizeof buf, &len, 1.0);
            if (rc == MPROC_EEMPTY) break;
            mproc::detail::check(rc);
            ++state.drained;
            take_message(shared, me, buf, len);
        }
        const std::string probe = "soak: the queue still works";
        queue.put(probe, 10s);
        state.queue_ok = queue.get(10s) == probe && queue.empty();
        if (!state.queue_ok) state.problems += "queue: the round trip gave another message; ";
    } catch (const std::exception &e) {
        state.problems += std::string("queue: ") + e.what() + "; ";
    }
}

void check_lock(const SharedLedger &shared, const Names &names, FinalState &state) {
    try {
        mproc::Lock lock = mproc::Lock::open(names.lock);
        auto counter = mproc::Array<std::uint64_t>::open(names.counter);
        LockerSlot &me = shared.ledger().lockers[kParentSlot];
        const mproc::acquire_result got = lock.acquire(10s);
        if (got == mproc::acquire_result::timed_out) {
            state.problems += "lock: the final acquire timed out; ";
            return;
        }
        // A locker killed last (a straggler) may have held it.
        const bool owner_died = got == mproc::acquire_result::owner_died;
        if (owner_died) me.recoveries.fetch_add(1, std::memory_order_relaxed);
        state.counter = check_counter(counter.data(), owner_died, me);
        lock.release();
        state.lock_ok = !lock.locked();
        if (!state.lock_ok) state.problems += "lock: still locked after release; ";
    } catch (const std::exception &e) {
        state.problems += std::string("lock: ") + e.what() + "; ";
    }
}

// mproc_object_inspect is looked up at run time rather than linked, so that the soak also
// runs against a library without it (the counter checks are then reported as skipped).
void inspect_objects(const Names &names, FinalState &state) {
    using init_fn = int (*)(mproc_object_info_t *);
    using inspect_fn = int (*)(const char *, mproc_object_info_t *);
    const auto init = reinterpret_cast<init_fn>(dlsym(RTLD_DEFAULT, "mproc_object_info_init"));
    const auto inspect = reinterpret_cast<inspect_fn>(dlsym(RTLD_DEFAULT, "mproc_object_inspect"));
    state.inspect_available = init != nullptr && inspect != nullptr;
    if (!state.inspect_available) return;
    init(&state.queue_info);
    init(&state.lock_info);
    state.queue_inspected = inspect(names.queue.c_str(), &state.queue_info) == MPROC_OK &&
                            state.queue_info.status == MPROC_OK;
    state.lock_inspected = inspect(names.lock.c_str(), &state.lock_info) == MPROC_OK &&
                           state.lock_info.status == MPROC_OK;
    if (!state.queue_inspected) state.problems += "inspect: the queue could not be read; ";
    if (!state.lock_inspected) state.problems += "inspect: the lock could not be read; ";
}

}  // namespace

FinalState final_operations(const SharedLedger &shared, const Names &names) {
    FinalState state;
    drain_and_round_trip(shared, names, state);
    check_lock(shared, names, state);
    inspect_objects(names, state);
    return state;
}

}  // namespace soak
