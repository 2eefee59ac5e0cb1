// Sections B and C of mproc_sync_bench: cross-process wake-ups. The peers are the two halves
// of a ping-pong (signal and wait, for each side) that run_ping_pong() in bench_pingpong.hpp
// plays between two forked processes, A and B.
#pragma once

#include <atomic>
#include <boost/interprocess/anonymous_shared_memory.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/sync/interprocess_condition.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>
#include <cstdint>
#include <cstdio>
#include <new>
#include <string>

#include "bench_clock.hpp"
#include "bench_pingpong.hpp"
#include "mproc/mproc.h"

namespace mproc_bench {

// Two mproc Events. A sets ping and waits for pong; B waits for ping and sets pong. Each
// side clears the event it waited for right after waking and before it signals the other,
// so the flag is down before the other side can possibly set it again: no set is lost and
// no stale set lets a wait pass early.
class MprocEventPeer final : public PingPongPeer {
  public:
    explicit MprocEventPeer(const std::string &prefix)
        : ping_name_(prefix + "ev-ping"), pong_name_(prefix + "ev-pong") {}
    ~MprocEventPeer() override {
        // Only the parent has these handles (a child leaves with _exit and never gets here).
        if (own_ping_ != nullptr) {
            mproc_event_close(own_ping_);
            mproc_event_unlink(ping_name_.c_str());
        }
        if (own_pong_ != nullptr) {
            mproc_event_close(own_pong_);
            mproc_event_unlink(pong_name_.c_str());
        }
    }
    bool prepare() override {
        return mproc_check(mproc_event_create(ping_name_.c_str(), nullptr, &own_ping_),
                           "mproc_event_create(ping)") &&
               mproc_check(mproc_event_create(pong_name_.c_str(), nullptr, &own_pong_),
                           "mproc_event_create(pong)");
    }
    bool attach() override {
        return mproc_check(mproc_event_open(ping_name_.c_str(), &ping_),
                           "mproc_event_open(ping)") &&
               mproc_check(mproc_event_open(pong_name_.c_str(), &pong_), "mproc_event_open(pong)");
    }
    bool signal(Side side) override {
        return mproc_check(mproc_event_set(side == Side::a ? ping_ : pong_), "event set");
    }
    bool wait(Side side) override {
        mproc_event_t *mine = side == Side::a ? pong_ : ping_;
        return mproc_check(mproc_event_wait(mine, kWaitTimeoutS), "event wait") &&
               mproc_check(mproc_event_clear(mine), "event clear");
    }
    void detach() override {
        if (ping_ != nullptr) mproc_event_close(ping_);
        if (pong_ != nullptr) mproc_event_close(pong_);
    }

  private:
    std::string ping_name_, pong_name_;
    mproc_event_t *own_ping_ = nullptr, *own_pong_ = nullptr;  // the parent's, keep the names
    mproc_event_t *ping_ = nullptr, *pong_ = nullptr;          // a child's, opened by name
};

// Two mproc Semaphores starting at 0: A releases ping and acquires pong; B the reverse. A
// semaphore counts, so there is nothing to clear and no ordering to get right.
class MprocSemaphorePeer final : public PingPongPeer {
  public:
    explicit MprocSemaphorePeer(const std::string &prefix)
        : ping_name_(prefix + "sem-ping"), pong_name_(prefix + "sem-pong") {}
    ~MprocSemaphorePeer() override {
        if (own_ping_ != nullptr) {
            mproc_semaphore_close(own_ping_);
            mproc_semaphore_unlink(ping_name_.c_str());
        }
        if (own_pong_ != nullptr) {
            mproc_semaphore_close(own_pong_);
            mproc_semaphore_unlink(pong_name_.c_str());
        }
    }
    bool prepare() override {
        return mproc_check(mproc_semaphore_create(ping_name_.c_str(), 0, nullptr, &own_ping_),
                           "mproc_semaphore_create(ping)") &&
               mproc_check(mproc_semaphore_create(pong_name_.c_str(), 0, nullptr, &own_pong_),
                           "mproc_semaphore_create(pong)");
    }
    bool attach() override {
        return mproc_check(mproc_semaphore_open(ping_name_.c_str(), &ping_),
                           "mproc_semaphore_open(ping)") &&
               mproc_check(mproc_semaphore_open(pong_name_.c_str(), &pong_),
                           "mproc_semaphore_open(pong)");
    }
    bool signal(Side side) override {
        return mproc_check(mproc_semaphore_release(side == Side::a ? ping_ : pong_, 1),
                           "semaphore release");
    }
    bool wait(Side side) override {
        return mproc_check(mproc_semaphore_acquire(side == Side::a ? pong_ : ping_, kWaitTimeoutS),
                           "semaphore acquire");
    }
    void detach() override {
        if (ping_ != nullptr) mproc_semaphore_close(ping_);
        if (pong_ != nullptr) mproc_semaphore_close(pong_);
    }

  private:
    std::string ping_name_, pong_name_;
    mproc_semaphore_t *own_ping_ = nullptr, *own_pong_ = nullptr;
    mproc_semaphore_t *ping_ = nullptr, *pong_ = nullptr;
};

// The same protocol as the Boost peer below, with mproc's Condition (and its own RLock): a
// turn variable under the lock, one condition both sides wait on. With only two parties,
// notify(1) can only wake the other side (or nobody, if it is not waiting yet).
class MprocConditionPeer final : public PingPongPeer {
  public:
    explicit MprocConditionPeer(const std::string &prefix) : name_(prefix + "cond") {}
    ~MprocConditionPeer() override {
        if (own_ != nullptr) {
            mproc_condition_close(own_);
            mproc_condition_unlink(name_.c_str());
        }
    }
    bool prepare() override {
        if (!turn_mapping_.map(sizeof(int))) return false;
        turn_ = new (turn_mapping_.get()) int(0);
        return mproc_check(mproc_condition_create(name_.c_str(), nullptr, &own_),
                           "mproc_condition_create");
    }
    bool attach() override {
        return mproc_check(mproc_condition_open(name_.c_str(), &cond_), "mproc_condition_open");
    }
    // The turn is 1 when it is B's, 0 when it is A's: signal hands it over under the lock and
    // notifies; wait sleeps until it comes back.
    bool signal(Side side) override {
        if (!mproc_check(mproc_condition_acquire(cond_, kWaitTimeoutS), "condition acquire"))
            return false;
        *turn_ = side == Side::a ? 1 : 0;
        const bool ok = mproc_check(mproc_condition_notify(cond_, 1), "condition notify");
        return mproc_check(mproc_condition_release(cond_), "condition release") && ok;
    }
    bool wait(Side side) override {
        const int mine = side == Side::a ? 0 : 1;
        if (!mproc_check(mproc_condition_acquire(cond_, kWaitTimeoutS), "condition acquire"))
            return false;
        bool ok = true;
        while (ok && *turn_ != mine)
            ok = mproc_check(mproc_condition_wait(cond_, kWaitTimeoutS), "condition wait");
        return mproc_check(mproc_condition_release(cond_), "condition release") && ok;
    }
    void detach() override {
        if (cond_ != nullptr) mproc_condition_close(cond_);
    }

  private:
    std::string name_;
    SharedMapping turn_mapping_;
    int *turn_ = nullptr;  // only read or written with the condition's lock held
    mproc_condition_t *own_ = nullptr;
    mproc_condition_t *cond_ = nullptr;
};

// Boost.Interprocess interprocess_condition + interprocess_mutex in an anonymous shared
// mapped_region, the same turn protocol as MprocConditionPeer. What this really measures: on
// Linux, Boost 1.74 defines BOOST_INTERPROCESS_POSIX_PROCESS_SHARED, so interprocess_condition
// is ipcdetail::posix_condition, a glibc pthread_cond_t with PTHREAD_PROCESS_SHARED, and the
// mutex a PTHREAD_PROCESS_SHARED pthread_mutex_t (sync/posix/condition.hpp, mutex.hpp) --
// futex-based, not Boost's spin-and-yield emulation (sync/spin/), which Boost uses only where
// process-shared pthreads are missing or broken (macOS, Cygwin).
class BoostConditionPeer final : public PingPongPeer {
  public:
    ~BoostConditionPeer() override {
        if (state_ != nullptr) state_->~State();
    }
    bool prepare() override {
        try {
            region_ = boost::interprocess::anonymous_shared_memory(sizeof(State));
            state_ = new (region_.get_address()) State;
        } catch (const std::exception &e) {
            std::fprintf(stderr, "boost interprocess_condition: %s\n", e.what());
            return false;
        }
        return true;
    }
    // Plain untimed waits, as Boost is normally used; the parent's deadline bounds them.
    bool signal(Side side) override {
        boost::interprocess::scoped_lock<boost::interprocess::interprocess_mutex> lock(
            state_->mutex);
        state_->turn = side == Side::a ? 1 : 0;
        state_->cond.notify_one();
        return true;
    }
    bool wait(Side side) override {
        const int mine = side == Side::a ? 0 : 1;
        boost::interprocess::scoped_lock<boost::interprocess::interprocess_mutex> lock(
            state_->mutex);
        while (state_->turn != mine)
            state_->cond.wait(lock);
        return true;
    }

  private:
    struct State {
        boost::interprocess::interprocess_mutex mutex;
        boost::interprocess::interprocess_condition cond;
        int turn = 0;  // guarded by mutex
    };
    boost::interprocess::mapped_region region_;
    State *state_ = nullptr;
};

class SpinPeer final : public PingPongPeer {
  public:
    bool prepare() override {
        if (!mapping_.map(sizeof(State))) return false;
        state_ = new (mapping_.get()) State;
        return true;
    }
    // seq_ counts rounds; each child has its own copy, both start at 0 and advance in step:
    // A at its signal, B at its wait, so that both use the round's number for both halves.
    bool signal(Side side) override {
        if (side == Side::a) {
            state_->ping.store(++seq_, std::memory_order_release);
        } else {
            state_->pong.store(seq_, std::memory_order_release);
        }
        return true;
    }
    bool wait(Side side) override {
        if (side == Side::a) return spin_until_equal(state_->pong, seq_);
        return spin_until_equal(state_->ping, ++seq_);
    }

  private:
    struct State {
        alignas(64) std::atomic<uint64_t> ping{0};
        alignas(64) std::atomic<uint64_t> pong{0};
    };
    static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared counters need lock-free");

    SharedMapping mapping_;
    State *state_ = nullptr;
    uint64_t seq_ = 0;
};

}  // namespace mproc_bench
