"""pool_apply_async.py -- a Pool(4) runs 5 tasks of random length, on mproc.

Tutorial sample (seed 003, "Pool"): long_time_task(name) prints "Run task name (pid)",
sleeps random() * 3 s and prints how long it ran; ``p = Pool(4)`` gets five
``apply_async`` calls, so task 4 waits for a free worker; the parent prints "Waiting for
all subprocesses done...", closes and joins the pool. Seed 001's ``Pool(4)`` /
``apply_async(run, args=(i,))`` sample is the same. Bounded here: sleeps are random() *
0.3 s. Checks that every task succeeded and that at most 4 worker pids were used.
"""
import os
import random
import sys
import time

import mproc


def long_time_task(name):
    print("Run task %s (%s)..." % (name, os.getpid()), flush=True)
    start = time.time()
    time.sleep(random.random() * 0.3)
    end = time.time()
    print("Task %s runs %0.2f seconds." % (name, (end - start)), flush=True)
    return os.getpid()


if __name__ == "__main__":
    print("Parent process %s." % os.getpid())
    p = mproc.Pool(4)
    results = [p.apply_async(long_time_task, args=(i,)) for i in range(5)]
    print("Waiting for all subprocesses done...", flush=True)
    p.close()
    p.join()
    print("All subprocesses done.")
    pids = {r.get(timeout=10) for r in results}
    if not all(r.successful() for r in results) or len(pids) > 4 or os.getpid() in pids:
        sys.exit("pool_apply_async: worker pids %r" % (pids,))
