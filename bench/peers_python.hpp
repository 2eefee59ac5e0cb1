// CPython's multiprocessing as a peer of mproc's synchronisation objects: the scripts that
// mproc_sync_bench runs with run_python() (bench_python.hpp).
#pragma once

#include "bench_python.hpp"

namespace mproc_bench {

// argv: pairs, repetitions. Prints ns per acquire + release pair of multiprocessing.Lock
// (a POSIX semaphore, SemLock, underneath).
constexpr const char *kPythonLockScript = R"PY(
import multiprocessing as mp, sys, time
pairs, reps = int(sys.argv[1]), int(sys.argv[2])
lock = mp.Lock()
acquire, release = lock.acquire, lock.release
for _ in range(pairs // 10):
    acquire(); release()
out = []
for _ in range(reps):
    t0 = time.perf_counter_ns()
    for _ in range(pairs):
        acquire(); release()
    out.append((time.perf_counter_ns() - t0) / pairs)
print("RESULT", *out)
)PY";

// argv: rounds, repetitions, warm-up rounds, cpu of A, cpu of B (-1: do not pin). Prints us
// per round trip of a multiprocessing.Event ping-pong between this process (A) and a forked
// child (B), with the same clear-before-signal protocol as the mproc Event peer. Every wait
// has a timeout and the child is always joined or killed, so a failure cannot hang.
constexpr const char *kPythonEventScript = R"PY(
import multiprocessing as mp, os, sys, time
rounds, reps, warm, cpu_a, cpu_b = (int(a) for a in sys.argv[1:6])
ctx = mp.get_context("fork")  # "spawn" cannot re-import a `python -c` main module

def pin(cpu):
    if cpu >= 0 and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {cpu})
        except OSError:
            pass

def side_b(ping, pong, total):
    pin(cpu_b)
    for _ in range(total):
        if not ping.wait(5.0):
            sys.exit(1)
        ping.clear()
        pong.set()

def side_a(ping, pong, n):
    for _ in range(n):
        ping.set()
        if not pong.wait(5.0):
            raise SystemExit("python event ping-pong: no answer within 5 s")
        pong.clear()

ping, pong = ctx.Event(), ctx.Event()
child = ctx.Process(target=side_b, args=(ping, pong, warm + rounds * reps))
child.start()
try:
    pin(cpu_a)
    side_a(ping, pong, warm)
    out = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        side_a(ping, pong, rounds)
        out.append((time.perf_counter_ns() - t0) / rounds / 1000.0)
finally:
    child.join(10)
    if child.is_alive():
        child.kill()
        child.join()
if child.exitcode != 0:
    raise SystemExit("python event ping-pong: child failed")
print("RESULT", *out)
)PY";

}  // namespace mproc_bench
