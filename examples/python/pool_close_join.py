"""pool_close_join.py -- a Pool of 5 runs 30 tasks; close() then join(), on mproc.

Tutorial sample (seed 000, "进程池 Pool 类"): ``p = Pool(5)``; 30 times
``p.apply_async(func=func, args=(i,))`` where func sleeps 1 s and prints "running task i";
then ``p.close()`` (no more tasks) and ``p.join()`` (wait for the workers). Bounded here:
each task sleeps 0.1 s. Checks that every task ran and succeeded.
"""
import sys
import time

import mproc


def func(args):
    time.sleep(0.1)
    print("Running task", args, flush=True)
    return args


if __name__ == "__main__":
    p = mproc.Pool(5)  # a pool of 5 processes
    results = [p.apply_async(func=func, args=(i,)) for i in range(30)]
    p.close()  # no more tasks; the workers exit when the queue is drained
    p.join()
    if [r.get(timeout=10) for r in results] != list(range(30)):
        sys.exit("pool_close_join: some task did not run")
    print("All 30 tasks done.")
