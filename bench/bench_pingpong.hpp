// Cross-process ping-pong. Two forked processes, A and B, play ping-pong: A signals B and
// waits for B's answer; B waits, then answers. Each peer provides the two halves, signal and
// wait, for each side; run_ping_pong() decides whether B answers at once (the round trip) or
// only after the waiter has surely gone to sleep. A signal may be a bare wake-up
// (peers_wakeup.hpp) or a message (peers_queue_latency.hpp).
//
// Each peer is prepared in the parent (objects created, by name where the peer has names);
// each child then attaches (mproc objects are opened by name, as an unrelated process would;
// the others are inherited through fork in their MAP_SHARED mapping) and plays its side.
#pragma once

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <new>
#include <string>
#include <vector>

#include "bench_clock.hpp"
#include "bench_process.hpp"
#include "mproc/mproc.h"

namespace mproc_bench {

enum class Side { a, b };

// How long one blocking wait may take before a round counts as failed. Rounds take
// microseconds; only a bug or a dead peer gets near this, and then the run fails instead of
// hanging (the parent's deadline covers waits that have no timeout).
constexpr double kWaitTimeoutS = 5.0;

class PingPongPeer {
  public:
    virtual ~PingPongPeer() = default;
    // Parent: creates the shared objects. False (message on stderr) if the peer cannot run.
    virtual bool prepare() = 0;
    // Child: attaches to the objects. False (message on stderr) on failure.
    virtual bool attach() { return true; }
    // Child: wakes the other side (A wakes B, B wakes A). False (message on stderr) on
    // failure.
    virtual bool signal(Side side) = 0;
    // Child: waits until the other side has signalled `side`, and consumes that signal.
    // False (message on stderr) on failure or timeout.
    virtual bool wait(Side side) = 0;
    // Child: releases what attach() took.
    virtual void detach() {}
};

inline bool mproc_check(int rc, const char *what) {
    if (rc == MPROC_OK) return true;
    std::fprintf(stderr, "%s: %s: %s\n", what, mproc_errname(rc), mproc_last_error());
    return false;
}

// An anonymous MAP_SHARED mapping: inherited by forked children at the same address, so it
// holds the state the two sides share when that state is not an mproc object.
class SharedMapping {
  public:
    SharedMapping() = default;
    SharedMapping(const SharedMapping &) = delete;
    SharedMapping &operator=(const SharedMapping &) = delete;
    ~SharedMapping() {
        if (addr_ != nullptr) munmap(addr_, size_);
    }
    bool map(size_t size) {
        void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            std::perror("mmap");
            return false;
        }
        addr_ = p;
        size_ = size;
        return true;
    }
    void *get() const { return addr_; }

  private:
    void *addr_ = nullptr;
    size_t size_ = 0;
};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    asm volatile("yield");
#endif
}

// Busy-waits until `word` holds `want`, for at most kWaitTimeoutS (then false, with a message
// on stderr): every spin in the benchmarks is bounded, so that a missing peer fails the run
// instead of hanging it.
inline bool spin_until_equal(const std::atomic<uint64_t> &word, uint64_t want) {
    int64_t deadline = 0;
    for (uint32_t i = 1;; ++i) {
        if (word.load(std::memory_order_acquire) == want) return true;
        cpu_relax();
        // Reading the clock every few thousand spins keeps it off the fast path.
        if ((i & 0xfff) == 0) {
            const int64_t now = now_ns();
            if (deadline == 0) {
                deadline = now + static_cast<int64_t>(kWaitTimeoutS * 1e9);
            } else if (now > deadline) {
                std::fprintf(stderr, "spin ping-pong: no answer within %.0f s\n", kWaitTimeoutS);
                return false;
            }
        }
    }
}

enum class Mode {
    // B answers as soon as it is woken: the round trip a tight producer/consumer pair sees.
    // A waiter that spins before it sleeps (mproc: about 20 us, src/sync/spin.hpp) is then
    // usually answered while still spinning and never enters the kernel.
    round_trip,
    // B waits kSleeperDelayNs before it answers, so that A has surely stopped spinning and
    // sleeps in the kernel; A measures from B's clock reading just before its signal to its
    // own return from wait: the one-way cost of waking a sleeping process.
    sleeping_waiter,
};

// Ten times mproc's spin budget, so that the waiter is asleep whatever the spin is tuned to.
constexpr int64_t kSleeperDelayNs = 200000;

// What the two children of one run share besides the peer's own objects.
struct PingPongControl {
    std::atomic<uint32_t> b_ready{0};
    std::atomic<int64_t> signal_ns{0};  // B's clock just before it signals (sleeping_waiter)
    double us_per_round = -1;           // written by A before it exits, read by the parent after
};

inline void sleep_ns(int64_t ns) {
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

// One run of `peer`: A and B in two forked children, A on cpu_a and B on cpu_b (-1: not
// pinned). A waits until B has attached (opening by name is not part of a wake-up), plays
// `rounds / 10` untimed rounds, then times `rounds` rounds. Returns us per round trip
// (round_trip) or per wake-up (sleeping_waiter), or a negative value with `why` set.
inline double run_ping_pong(PingPongPeer &peer, Mode mode, long rounds, int cpu_a, int cpu_b,
                            double deadline_s, std::string &why) {
    SharedMapping mapping;
    if (!mapping.map(sizeof(PingPongControl))) {
        why = "mmap failed";
        return -1;
    }
    PingPongControl *ctl = new (mapping.get()) PingPongControl;
    const long warm = rounds / 10;

    auto side_a = [&]() -> int {
        if (!peer.attach()) return 1;
        const int64_t ready_deadline = now_ns() + 5000000000LL;
        while (ctl->b_ready.load(std::memory_order_acquire) == 0 && now_ns() < ready_deadline)
            usleep(100);
        bool ok = ctl->b_ready.load(std::memory_order_acquire) != 0;
        if (!ok) std::fprintf(stderr, "ping-pong: the other side never attached\n");
        for (long i = 0; ok && i < warm; ++i) {
            ok = peer.signal(Side::a) && peer.wait(Side::a);
        }
        int64_t total_ns = 0;
        if (mode == Mode::round_trip) {
            const int64_t t0 = now_ns();
            for (long i = 0; ok && i < rounds; ++i) {
                ok = peer.signal(Side::a) && peer.wait(Side::a);
            }
            total_ns = now_ns() - t0;
        } else {
            for (long i = 0; ok && i < rounds; ++i) {
                ok = peer.signal(Side::a) && peer.wait(Side::a);
                total_ns += now_ns() - ctl->signal_ns.load(std::memory_order_acquire);
            }
        }
        if (ok) ctl->us_per_round = static_cast<double>(total_ns) / 1000.0 / rounds;
        peer.detach();
        return ok ? 0 : 1;
    };
    auto side_b = [&]() -> int {
        if (!peer.attach()) return 1;
        ctl->b_ready.store(1, std::memory_order_release);
        bool ok = true;
        for (long i = 0; ok && i < warm + rounds; ++i) {
            ok = peer.wait(Side::b);
            if (ok && mode == Mode::sleeping_waiter) {
                sleep_ns(kSleeperDelayNs);
                ctl->signal_ns.store(now_ns(), std::memory_order_release);
            }
            ok = ok && peer.signal(Side::b);
        }
        peer.detach();
        return ok ? 0 : 1;
    };

    std::vector<Child> children(2);
    if (!start_child(children[0], side_a, cpu_a)) {
        why = "fork failed";
        return -1;
    }
    if (!start_child(children[1], side_b, cpu_b)) {
        kill(children[0].pid, SIGKILL);  // it waits for a B that will never come
        reap(children[0]);
        why = "fork failed";
        return -1;
    }
    if (!wait_children(children, deadline_s, why)) return -1;
    if (ctl->us_per_round < 0) {
        why = "no result";
        return -1;
    }
    return ctl->us_per_round;
}

}  // namespace mproc_bench
