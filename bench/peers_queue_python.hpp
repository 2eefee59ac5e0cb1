// CPython's multiprocessing as a peer of mproc's Queue: the scripts that mproc_queue_bench
// runs with run_python() (bench_python.hpp). The processes are forked by multiprocessing
// itself ("fork" context: "spawn" cannot re-import a `python -c` main module); every wait
// on a child is bounded, and the C++ side kills the whole process group past its deadline.

#pragma once

#include "bench_python.hpp"

namespace mproc_bench {

// argv: kind (0: "queue", 1: "pipe"), pairs, messages in all, size, repetitions, then one cpu
// per participant (producers first; -1: not pinned). Prints messages/s per repetition.
//   queue: one multiprocessing.Queue shared by `pairs` producer and `pairs` consumer
//          processes; put / get of a bytes object of `size` bytes; None is the stop marker.
//   pipe:  1 -> 1 only; multiprocessing.Pipe(duplex=False), send_bytes / recv_bytes; an
//          empty message is the stop marker.
// As in the C++ runs, the clock runs from the first producer leaving the start Event to the
// last consumer taking its stop marker (perf_counter_ns is CLOCK_MONOTONIC, shared by all
// processes); each repetition is a fresh queue or pipe and fresh processes.
constexpr const char *kPythonStreamScript = R"PY(
import multiprocessing as mp, os, sys, time
kind = ("queue", "pipe")[int(sys.argv[1])]
pairs, total, size, reps = (int(a) for a in sys.argv[2:6])
cpus = [int(a) for a in sys.argv[6:]]
ctx = mp.get_context("fork")
per = total // pairs

def pin(i):
    if i < len(cpus) and cpus[i] >= 0 and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {cpus[i]})
        except OSError:
            pass

def producer(i, go, starts, send, stop):
    pin(i)
    if not go.wait(10):
        sys.exit(1)
    starts[i] = time.perf_counter_ns()
    payload = b"x" * size
    for _ in range(per):
        send(payload)
    send(stop)

def consumer(i, go, ends, counts, recv, stop):
    pin(pairs + i)
    if not go.wait(10):
        sys.exit(1)
    got = 0
    while True:
        m = recv()
        if m == stop:
            break
        got += 1
    ends[i] = time.perf_counter_ns()
    counts[i] = got

def one_run():
    go = ctx.Event()
    starts, ends, counts = ctx.Array("q", pairs), ctx.Array("q", pairs), ctx.Array("q", pairs)
    if kind == "queue":
        q = ctx.Queue()
        sends, recvs, stop = [q.put] * pairs, [q.get] * pairs, None
    else:
        r, w = ctx.Pipe(duplex=False)
        sends, recvs, stop = [w.send_bytes], [r.recv_bytes], b""
    procs = [ctx.Process(target=producer, args=(i, go, starts, sends[i], stop))
             for i in range(pairs)]
    procs += [ctx.Process(target=consumer, args=(i, go, ends, counts, recvs[i], stop))
              for i in range(pairs)]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(30)
    failed = False
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join()
        failed = failed or p.exitcode != 0
    if failed or sum(counts) != per * pairs:
        raise SystemExit("python %s stream: a participant failed or messages were lost" % kind)
    return per * pairs * 1e9 / (max(ends) - min(starts))

out = [one_run() for _ in range(reps)]
print("RESULT", *out)
)PY";

// argv: rounds, repetitions, warm-up rounds, size, cpu of A, cpu of B (-1: do not pin).
// Prints us per round trip of `size`-byte messages over a duplex multiprocessing.Pipe
// (send_bytes / recv_bytes) between this process (A) and a forked child (B) that echoes.
constexpr const char *kPythonPipePingPongScript = R"PY(
import multiprocessing as mp, os, sys, time
rounds, reps, warm, size, cpu_a, cpu_b = (int(a) for a in sys.argv[1:7])
ctx = mp.get_context("fork")

def pin(cpu):
    if cpu >= 0 and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {cpu})
        except OSError:
            pass

def side_b(conn, total):
    pin(cpu_b)
    for _ in range(total):
        conn.send_bytes(conn.recv_bytes())

a, b = ctx.Pipe()
child = ctx.Process(target=side_b, args=(b, warm + rounds * reps))
child.start()
b.close()  # so that A's recv_bytes sees EOF, not a hang, if the child dies
payload = b"x" * size
send, recv = a.send_bytes, a.recv_bytes
try:
    pin(cpu_a)
    for _ in range(warm):
        send(payload); recv()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        for _ in range(rounds):
            send(payload); recv()
        out.append((time.perf_counter_ns() - t0) / rounds / 1000.0)
finally:
    child.join(10)
    if child.is_alive():
        child.kill()
        child.join()
if child.exitcode != 0:
    raise SystemExit("python pipe ping-pong: child failed")
print("RESULT", *out)
)PY";

}  // namespace mproc_bench
