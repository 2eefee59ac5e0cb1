"""lock_shared_array.py -- the tutorials' process lock sample, on mproc.

Tutorial sample (seed 000, "进程锁"): ``array = Array('i', 1); array[0] = 10; lock =
RLock()``; ten Processes each take the lock, decrement array[0], sleep 1 s, print "say hi"
and the value, release. The lock serialises the read-sleep-write, so the values printed go
9, 8, ... 0. Bounded here: each sleeps 0.1 s instead of 1 s. Checks the final value is 0.
"""
import sys
import time

import mproc


def func(i, lis, lc):
    lc.acquire()
    lis[0] = lis[0] - 1
    time.sleep(0.1)
    print("say hi", lis[0], flush=True)
    lc.release()


if __name__ == "__main__":
    array = mproc.Array("i", 1)
    array[0] = 10
    lock = mproc.RLock()
    children = [mproc.Process(target=func, args=(i, array, lock)) for i in range(10)]
    for p in children:
        p.start()
    for p in children:
        p.join(30)
    if array[0] != 0 or any(p.exitcode != 0 for p in children):
        sys.exit("lock_shared_array: expected 0, got %d (exit codes %r)"
                 % (array[0], [p.exitcode for p in children]))
