#!/usr/bin/env python3
"""mproc's Python binding against CPython's multiprocessing, side by side in one run.

Usage (the library and the package as the tests find them):
    PYTHONPATH=bindings/python MPROC_LIBRARY=build-release/capi/libmproc.so \\
        python3 bench/python/mproc_vs_multiprocessing.py [--quick]

One line per comparison, in the format of the C++ benches:
    python queue 64 B bytes 1->1: mproc 812 k/s | multiprocessing 101 k/s
        -> mproc/multiprocessing = 8.03x (target >= 5x: met)
Every figure is a rate (higher is better), the best of 3 repetitions (the machine is noisy);
the ratio is mproc's rate over multiprocessing's. The comparisons:
- Queue, 64-byte bytes messages, one producer process -> one consumer process:
  mproc put_bytes/get_bytes vs multiprocessing put/get of a bytes object (target >= 5x).
- Queue of small pickled objects ``(i, "abc", 1.5)``, put/get on both (target >= 1x).
- Lock acquire + release, uncontended in one process, and contended by two processes
  looping on the same lock (target >= 1x).
- Event ping-pong: two processes wake each other through two Events, round trips per
  second (target >= 1x).
- Pool(4).map of a cheap module-level function over range(200000) with the default
  chunksize and over range(20000) with chunksize=1 (target >= 1x); the pool is started and warmed before the clock runs.
- Dict: two processes each set and get their own key (``d[tag] = i; d[tag]``), 100000
  pairs in all on an mproc.Dict against 20000 on a multiprocessing Manager().dict()
  (started before the clock runs; it is slow enough that fewer pairs measure it well);
  pairs per second (target >= 50x).
Children of both libraries are forked by multiprocessing's "fork" context, so only the
object under test differs. ``--quick``: one repetition of smaller runs (a smoke test of a
few seconds; its figures are not meant to be quoted). ``--only WORD``: only the figures
whose label contains WORD (``--only dict``). Standard library only. Exit status:
0 when every figure was measured (a missed target is reported, not fatal), 1 otherwise.
"""

import argparse
import multiprocessing
import os
import sys
import time

try:
    import mproc
except ImportError as exc:  # the library or the package is not where we look
    sys.exit("mproc_vs_multiprocessing: cannot import mproc (%s).\nRun with "
             "PYTHONPATH=<repo>/bindings/python MPROC_LIBRARY=<build>/capi/libmproc.so"
             % exc)

CTX = multiprocessing.get_context("fork")
JOIN_TIMEOUT = 120  # seconds: a child that takes longer is killed and the figure fails
PAYLOAD = b"x" * 64


# ---- formatting (as bench/bench_report.hpp) ---------------------------------------------

def fmt(v):
    """Three significant digits or so: 8.03, 81.2, 812."""
    if v < 10:
        return "%.2f" % v
    if v < 1000:
        return "%.1f" % v
    return "%.0f" % v


def fmt_rate(per_second):
    if per_second >= 1e6:
        return fmt(per_second / 1e6) + " M/s"
    return fmt(per_second / 1e3) + " k/s"


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return fmt(float(f.read().split()[0]))
    except (OSError, ValueError, IndexError):
        return "?"


def report(label, mine, theirs, target):
    """Prints one comparison line; mine/theirs: best rates, or a str saying why none."""
    def value(v):
        return fmt_rate(v) if isinstance(v, float) else v
    line = "python %s: mproc %s | multiprocessing %s -> " % (label, value(mine), value(theirs))
    if isinstance(mine, float) and isinstance(theirs, float):
        ratio = mine / theirs
        line += "mproc/multiprocessing = %sx (target >= %gx: %s)" % (
            fmt(ratio), target, "met" if ratio >= target else "MISSED")
    else:
        line += "mproc/multiprocessing = n/a"
    print(line, flush=True)


def best_of(reps, run):
    """The highest rate of `reps` calls of run() (each returns a rate), or the error."""
    try:
        return max(run() for _ in range(reps))
    except Exception as exc:  # one failed figure must not stop the others
        return "failed (%s: %s)" % (type(exc).__name__, exc)


# ---- children ----------------------------------------------------------------------------

def run_children(targets):
    """Forks one process per (function, args), lets them all go at once (a start Event),
    joins them (bounded) and returns when each started and ended (perf_counter lists)."""
    go = CTX.Event()
    starts = CTX.Array("d", len(targets), lock=False)
    ends = CTX.Array("d", len(targets), lock=False)
    procs = [CTX.Process(target=_child, args=(i, fn, args, go, starts, ends))
             for i, (fn, args) in enumerate(targets)]
    for p in procs:
        p.start()
    go.set()
    failed = []
    for p in procs:
        p.join(JOIN_TIMEOUT)
        if p.is_alive():
            p.kill()
            p.join()
        if p.exitcode != 0:
            failed.append(p.exitcode)
    if failed:
        raise RuntimeError("a child process failed (exit codes %r)" % (failed,))
    return list(starts), list(ends)


def _child(i, fn, args, go, starts, ends):
    if not go.wait(30):
        sys.exit(3)
    starts[i] = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
    fn(*args)
    ends[i] = time.perf_counter()


def produce(put, n, item):
    for _ in range(n):
        put(item)


def consume(get, n, expected):
    last = None
    for _ in range(n):
        last = get()
    if last != expected:
        sys.exit(4)


def lock_loop(lock, n):
    acquire, release = lock.acquire, lock.release
    for _ in range(n):
        acquire()
        release()


def ping(ping_event, pong_event, n):
    """One side of the Event ping-pong: set ping, wait for pong, n times."""
    for _ in range(n):
        ping_event.set()
        pong_event.wait()
        pong_event.clear()


def pong(ping_event, pong_event, n):
    for _ in range(n):
        ping_event.wait()
        ping_event.clear()
        pong_event.set()


def dict_pairs(d, n, tag):
    """n set+get pairs on the key `tag` of a shared dict."""
    for i in range(n):
        d[tag] = i
        d[tag]
    if d[tag] != n - 1:
        sys.exit(5)


def square(x):
    """The cheap function of the Pool figures."""
    return x * x


# ---- the figures -------------------------------------------------------------------------

def queue_stream(make_queue, put_name, get_name, n, item):
    """Messages per second from one producer process to one consumer process: n messages,
    from the producer leaving the start Event to the consumer taking the last one."""
    def run():
        q = make_queue()
        try:
            starts, ends = run_children([
                (produce, (getattr(q, put_name), n, item)),
                (consume, (getattr(q, get_name), n, item))])
        finally:
            q.close()
        return n / (ends[1] - starts[0])
    return run


def lock_uncontended(make_lock, n):
    def run():
        lock = make_lock()
        t0 = time.perf_counter()
        lock_loop(lock, n)
        return n / (time.perf_counter() - t0)
    return run


def lock_contended(make_lock, n):
    """acquire + release pairs per second, two processes looping on the same lock."""
    def run():
        lock = make_lock()
        starts, ends = run_children([(lock_loop, (lock, n)), (lock_loop, (lock, n))])
        return 2 * n / (max(ends) - min(starts))
    return run


def event_ping_pong(make_event, n):
    """Round trips per second between two processes that wake each other with two Events
    (the wake-up latency of a blocked process, which uncontended figures do not show)."""
    def run():
        ping_event, pong_event = make_event(), make_event()
        starts, ends = run_children([(ping, (ping_event, pong_event, n)),
                                     (pong, (ping_event, pong_event, n))])
        return n / (max(ends) - min(starts))
    return run


def dict_set_get(make_dict, n):
    """set+get pairs per second, two processes on one shared dict (n pairs in all)."""
    def run():
        d = make_dict()
        try:
            starts, ends = run_children([(dict_pairs, (d, n // 2, "a")),
                                         (dict_pairs, (d, n // 2, "b"))])
        finally:
            getattr(d, "close", lambda: None)()  # a DictProxy has no close
        return n / (max(ends) - min(starts))
    return run


def compare_dicts(reps, scale):
    """mproc.Dict against a Manager().dict() of a manager started beforehand."""
    mine = best_of(reps, dict_set_get(mproc.Dict, 100000 // scale))
    try:
        manager = CTX.Manager()
    except Exception as exc:
        return mine, "failed (%s: %s)" % (type(exc).__name__, exc)
    try:
        return mine, best_of(reps, dict_set_get(manager.dict, 20000 // scale))
    finally:
        manager.shutdown()


def pool_map(pool, items, chunksize):
    def run():
        t0 = time.perf_counter()
        out = pool.map(square, items, chunksize)
        rate = len(items) / (time.perf_counter() - t0)
        if out[-1] != items[-1] * items[-1] or len(out) != len(items):
            raise RuntimeError("wrong map result")
        return rate
    return run


def compare_pools(reps, items_by_chunksize, results):
    """Both Pool.map figures, on one started and warmed pool per library. The default
    chunksize maps 10x more items: at millions of items per second a shorter map lasts a
    few milliseconds, which this VM's noise swamps."""
    pools = {}
    for lib, make in (("mproc", lambda: mproc.Pool(4)), ("mp", lambda: CTX.Pool(4))):
        try:
            pool = make()
            pool.map(square, range(100))  # the workers are up and have run something
            pools[lib] = pool
        except Exception as exc:
            pools[lib] = "failed (%s: %s)" % (type(exc).__name__, exc)
    try:
        for chunksize, label in ((None, "default chunksize"), (1, "chunksize=1")):
            items = items_by_chunksize[chunksize]
            figures = []
            for lib in ("mproc", "mp"):
                pool = pools[lib]
                figures.append(pool if isinstance(pool, str)
                               else best_of(reps, pool_map(pool, items, chunksize)))
            results.append(("Pool(4).map %d items, %s" % (len(items), label),
                            figures[0], figures[1], 1))
    finally:
        for pool in pools.values():
            if not isinstance(pool, str):
                pool.terminate()
                pool.join()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one repetition of small runs: a smoke test of a few seconds")
    parser.add_argument("--only", metavar="WORD",
                        help="only the figures whose label contains WORD (say: dict)")
    args = parser.parse_args()
    quick, only = args.quick, args.only
    reps = 1 if quick else 3
    scale = 10 if quick else 1
    print("mproc %s (%s) vs multiprocessing, Python %s; best of %d; load average %s%s"
          % (mproc.__version__, mproc.library_path, sys.version.split()[0], reps,
             load_average(), " [--quick: small runs, not for quoting]" if quick else ""),
          flush=True)

    results = []  # (label, mproc figure, multiprocessing figure, target)
    obj = (12345, "abc", 1.5)
    figures = [
        ("queue 64 B bytes 1->1", lambda: (
            best_of(reps, queue_stream(mproc.Queue, "put_bytes", "get_bytes",
                                       400000 // scale, PAYLOAD)),
            best_of(reps, queue_stream(CTX.Queue, "put", "get", 100000 // scale, PAYLOAD))),
         5),
        ("queue pickled (i, 'abc', 1.5) 1->1", lambda: (
            best_of(reps, queue_stream(mproc.Queue, "put", "get", 200000 // scale, obj)),
            best_of(reps, queue_stream(CTX.Queue, "put", "get", 100000 // scale, obj))), 1),
        ("lock acquire+release uncontended", lambda: (
            best_of(reps, lock_uncontended(mproc.Lock, 1000000 // scale)),
            best_of(reps, lock_uncontended(CTX.Lock, 1000000 // scale))), 1),
        ("lock acquire+release contended, 2 processes", lambda: (
            best_of(reps, lock_contended(mproc.Lock, 200000 // scale)),
            best_of(reps, lock_contended(CTX.Lock, 200000 // scale))), 1),
        ("event ping-pong round trips, 2 processes", lambda: (
            best_of(reps, event_ping_pong(mproc.Event, 20000 // scale)),
            best_of(reps, event_ping_pong(CTX.Event, 20000 // scale))), 1),
        ("dict %d set+get pairs, 2 processes (multiprocessing: Manager().dict(), %d pairs)"
         % (100000 // scale, 20000 // scale), lambda: compare_dicts(reps, scale), 50),
    ]
    for label, measure, target in figures:
        if only is None or only in label:
            results.append((label,) + measure() + (target,))
            report(*results[-1])
    if only is None or only in "Pool(4).map items, default chunksize, chunksize=1":
        before = len(results)
        compare_pools(reps, {None: list(range(200000 // scale)),
                             1: list(range(20000 // scale))}, results)
        for r in results[before:]:
            report(*r)
    print("load average at the end: %s" % load_average())
    return 0 if all(isinstance(r[1], float) and isinstance(r[2], float)
                    for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
