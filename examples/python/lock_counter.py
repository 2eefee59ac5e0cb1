"""lock_counter.py -- a Lock keeps a shared counter exact, on mproc.

Tutorial sample (seed 001, "线程锁"; seed 002's ``update_counter`` is the same idea):
change(n) does ``ret = ret + n; ret = ret - n``; two workers run it 10000 times with n = 5
and n = 8. Unprotected, the two read-modify-writes interleave and ret ends up non-zero; the
fix takes a Lock around each change. The tutorial uses threads on a global; here the
workers are two Processes and ret is a shared ``RawValue`` guarded by an ``mproc.Lock``.
Checks that ret is 0 at the end.
"""
import sys

import mproc


def change(ret, n):
    ret.value = ret.value + n
    ret.value = ret.value - n


def run(ret, lock, n):
    for _ in range(10000):
        lock.acquire()  # take the lock first
        try:
            change(ret, n)
        finally:
            lock.release()  # then let the other worker in


if __name__ == "__main__":
    ret = mproc.RawValue("i", 0)
    lock = mproc.Lock()
    t1 = mproc.Process(target=run, args=(ret, lock, 5))
    t2 = mproc.Process(target=run, args=(ret, lock, 8))
    t1.start()
    t2.start()
    t1.join(60)
    t2.join(60)
    print(ret.value)
    if ret.value != 0 or (t1.exitcode, t2.exitcode) != (0, 0):
        sys.exit("lock_counter: expected 0, got %d" % ret.value)
