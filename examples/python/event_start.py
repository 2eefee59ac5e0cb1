"""event_start.py -- processes wait on an Event until it is set, on mproc.

Tutorial sample (seed 004, "Event 事件": a flag that one process sets and the others wait
for; seed 002: ``set()``, ``clear()``, ``wait()`` blocks until the flag is true). Three
workers ``wait()``; the parent shows that ``wait(0.1)`` gives up (returns False) while the
flag is clear, then sets it and every worker goes. Checks the return values.
"""
import sys

import mproc


def worker(i, event, started):
    flag = event.wait(30)
    print("worker %d: the event is set (%r), starting" % (i, flag), flush=True)
    started.put((i, flag))


if __name__ == "__main__":
    event = mproc.Event()
    started = mproc.Queue()
    workers = [mproc.Process(target=worker, args=(i, event, started)) for i in range(3)]
    for p in workers:
        p.start()
    timed_out = event.wait(0.1)
    print("parent: wait(0.1) with nobody setting the flag returned", timed_out)
    event.set()
    got = sorted(started.get(timeout=30) for _ in range(3))
    for p in workers:
        p.join(30)
    if timed_out is not False or got != [(0, True), (1, True), (2, True)]:
        sys.exit("event_start: wait(0.1) -> %r, workers %r" % (timed_out, got))
