// Fuzz programs for the synchronisation objects: Lock, RLock, Semaphore (bounded or
// not), Event, Condition (with its own RLock, over a Lock, over an RLock) and Barrier.
#include <unistd.h>

#include "program.hpp"

namespace mproc_fuzz {

namespace {

// The calls every kind has in common: nothing to learn or forget.
struct NoLocal {
    template <typename H>
    static void learn(H *, Local &) {}
    template <typename H>
    static void forget(H *, Local &) {}
};

struct LockKind : NoLocal {
    using Handle = mproc_lock_t;
    static int create(const std::string &name, Input &, Handle **out) {
        return mproc_lock_create(name.c_str(), nullptr, out);
    }
    static int open(const std::string &name, Handle **out) {
        return mproc_lock_open(name.c_str(), out);
    }
    static int close(Handle *h) { return mproc_lock_close(h); }
    static void remove(const std::string &name) { peer_unlink(name); }
    static void op(Handle *h, Local &, Input &in) {
        int locked = 0;
        switch (in.below(3)) {
            case 0:
                MPROC_FUZZ_CALL(mproc_lock_acquire, h, in.timeout());
                break;
            case 1:
                MPROC_FUZZ_CALL(mproc_lock_release, h);
                break;
            default:
                if (MPROC_FUZZ_CALL(mproc_lock_locked, h, &locked) == MPROC_OK) {
                    require(locked == 0 || locked == 1, "mproc_lock_locked", "not 0 or 1", locked);
                }
                break;
        }
    }
};

struct RLockKind : NoLocal {
    using Handle = mproc_rlock_t;
    static int create(const std::string &name, Input &, Handle **out) {
        return mproc_rlock_create(name.c_str(), nullptr, out);
    }
    static int open(const std::string &name, Handle **out) {
        return mproc_rlock_open(name.c_str(), out);
    }
    static int close(Handle *h) { return mproc_rlock_close(h); }
    static void remove(const std::string &name) { peer_unlink(name); }
    static void op(Handle *h, Local &, Input &in) {
        unsigned count = 0;
        int owned = 0;
        switch (in.below(4)) {
            case 0:
                MPROC_FUZZ_CALL(mproc_rlock_acquire, h, in.timeout());
                break;
            case 1:
                MPROC_FUZZ_CALL(mproc_rlock_release, h);
                break;
            case 2:
                MPROC_FUZZ_CALL(mproc_rlock_count, h, &count);
                break;
            default:
                MPROC_FUZZ_CALL(mproc_rlock_is_owned, h, &owned);
                break;
        }
    }
};

template <bool Bounded>
struct SemaphoreKind : NoLocal {
    using Handle = mproc_semaphore_t;
    static int create(const std::string &name, Input &in, Handle **out) {
        const unsigned value = in.below(4);
        return Bounded ? mproc_bounded_semaphore_create(name.c_str(), value, nullptr, out)
                       : mproc_semaphore_create(name.c_str(), value, nullptr, out);
    }
    static int open(const std::string &name, Handle **out) {
        return mproc_semaphore_open(name.c_str(), out);
    }
    static int close(Handle *h) { return mproc_semaphore_close(h); }
    static void remove(const std::string &name) { peer_unlink(name); }
    static void op(Handle *h, Local &, Input &in) {
        unsigned value = 0;
        switch (in.below(4)) {
            case 0:
                MPROC_FUZZ_CALL(mproc_semaphore_acquire, h, in.timeout());
                break;
            case 1:
                MPROC_FUZZ_CALL(mproc_semaphore_release, h, in.below(4));
                break;
            case 2:
                // A peer's garbage may be any value: only the call itself is checked.
                MPROC_FUZZ_CALL(mproc_semaphore_value, h, &value);
                break;
            default:
                MPROC_FUZZ_CALL(mproc_semaphore_bound, h, &value);
                break;
        }
    }
};

struct EventKind : NoLocal {
    using Handle = mproc_event_t;
    static int create(const std::string &name, Input &, Handle **out) {
        return mproc_event_create(name.c_str(), nullptr, out);
    }
    static int open(const std::string &name, Handle **out) {
        return mproc_event_open(name.c_str(), out);
    }
    static int close(Handle *h) { return mproc_event_close(h); }
    static void remove(const std::string &name) { peer_unlink(name); }
    static void op(Handle *h, Local &, Input &in) {
        int is_set = 0;
        switch (in.below(4)) {
            case 0:
                MPROC_FUZZ_CALL(mproc_event_set, h);
                break;
            case 1:
                MPROC_FUZZ_CALL(mproc_event_clear, h);
                break;
            case 2:
                MPROC_FUZZ_CALL(mproc_event_is_set, h, &is_set);
                break;
            default:
                MPROC_FUZZ_CALL(mproc_event_wait, h, in.timeout());
                break;
        }
    }
};

// A predicate true after a number of calls taken from the input.
int countdown(void *arg) {
    auto *left = static_cast<unsigned *>(arg);
    if (*left == 0) return 1;
    --*left;
    return 0;
}

// over: 0 its own RLock, 1 a Lock, 2 an RLock (named <name>-l, removed at the end).
template <int Over>
struct ConditionKind : NoLocal {
    using Handle = mproc_condition_t;
    static std::string lock_name(const std::string &name) { return name + "-l"; }
    static int create(const std::string &name, Input &, Handle **out) {
        if (Over == 0) return mproc_condition_create(name.c_str(), nullptr, out);
        int rc;
        if (Over == 1) {
            mproc_lock_t *lock = nullptr;
            rc = mproc_lock_create(lock_name(name).c_str(), nullptr, &lock);
            if (rc != MPROC_OK) return rc;
            rc = mproc_condition_create_with_lock(name.c_str(), lock, nullptr, out);
            check("mproc_lock_close", mproc_lock_close(lock));
        } else {
            mproc_rlock_t *rlock = nullptr;
            rc = mproc_rlock_create(lock_name(name).c_str(), nullptr, &rlock);
            if (rc != MPROC_OK) return rc;
            rc = mproc_condition_create_with_rlock(name.c_str(), rlock, nullptr, out);
            check("mproc_rlock_close", mproc_rlock_close(rlock));
        }
        return rc;
    }
    static int open(const std::string &name, Handle **out) {
        return mproc_condition_open(name.c_str(), out);
    }
    static int close(Handle *h) { return mproc_condition_close(h); }
    static void remove(const std::string &name) {
        peer_unlink(name);
        if (Over != 0) peer_unlink(lock_name(name));
    }
    static void op(Handle *h, Local &, Input &in) {
        unsigned left = 0;
        switch (in.below(6)) {
            case 0:
                MPROC_FUZZ_CALL(mproc_condition_acquire, h, in.timeout());
                break;
            case 1:
                MPROC_FUZZ_CALL(mproc_condition_release, h);
                break;
            case 2:
                MPROC_FUZZ_CALL(mproc_condition_wait, h, in.timeout());
                break;
            case 3:
                left = in.below(3);
                MPROC_FUZZ_CALL(mproc_condition_wait_for, h, countdown, &left, in.timeout());
                break;
            case 4:
                MPROC_FUZZ_CALL(mproc_condition_notify, h, in.below(3));
                break;
            default:
                MPROC_FUZZ_CALL(mproc_condition_notify_all, h);
                break;
        }
    }
};

int action_ok(void *) {
    return 0;
}
int action_fails(void *) {
    return 1;
}

struct BarrierKind : NoLocal {
    using Handle = mproc_barrier_t;
    static int create(const std::string &name, Input &in, Handle **out) {
        return mproc_barrier_create(name.c_str(), 1 + in.below(3), nullptr, out);
    }
    static int open(const std::string &name, Handle **out) {
        return mproc_barrier_open(name.c_str(), out);
    }
    static int close(Handle *h) { return mproc_barrier_close(h); }
    static void remove(const std::string &name) { peer_unlink(name); }
    static void op(Handle *h, Local &local, Input &in) {
        unsigned n = 0;
        int broken = 0;
        int rc = MPROC_OK;
        const unsigned which = in.below(7);
        if (which <= 3 && local.stuck) return;
        switch (which) {
            case 0:
            case 1:
                rc = MPROC_FUZZ_CALL(mproc_barrier_wait, h, in.timeout(), &n);
                if (rc == MPROC_OK) {
                    unsigned parties = 0;
                    if (mproc_barrier_parties(h, &parties) == MPROC_OK) {
                        require(n < parties, "mproc_barrier_wait", "index past the parties", n);
                    }
                }
                break;
            case 2:
                rc = MPROC_FUZZ_CALL(mproc_barrier_reset, h);
                break;
            case 3:
                rc = MPROC_FUZZ_CALL(mproc_barrier_abort, h);
                break;
            case 4:
                MPROC_FUZZ_CALL(mproc_barrier_set_action, h,
                                in.flag() ? action_ok : (in.flag() ? action_fails : nullptr),
                                nullptr);
                break;
            case 5:
                MPROC_FUZZ_CALL(mproc_barrier_n_waiting, h, &n);
                break;
            default:
                MPROC_FUZZ_CALL(mproc_barrier_parties, h, &n);
                MPROC_FUZZ_CALL(mproc_barrier_broken, h, &broken);
                break;
        }
        if (rc == MPROC_ECORRUPT) local.stuck = true;
    }
};

}  // namespace

void run_sync_program(unsigned kind, const std::string &name, Input &in) {
    switch (kind) {
        case 0:
            return run_program<LockKind>(name, in, 0);
        case 1:
            return run_program<RLockKind>(name, in, 0);
        case 2:
            return run_program<SemaphoreKind<false>>(name, in, 0);
        case 3:
            return run_program<SemaphoreKind<true>>(name, in, 0);
        case 4:
            return run_program<EventKind>(name, in, 0);
        case 5:
            return run_program<ConditionKind<0>>(name, in, 0);
        case 6:
            return run_program<ConditionKind<1>>(name, in, 0);
        case 7:
            return run_program<ConditionKind<2>>(name, in, 0);
        default:
            return run_program<BarrierKind>(name, in, 0);
    }
}

}  // namespace mproc_fuzz
