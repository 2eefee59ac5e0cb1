"""value_counter.py -- a shared Value counter, on mproc.

Tutorial sample (seed 002, "Value对象"): ``counter = Value(ctypes.c_int, 0)``, an int in
shared memory. Here four Processes each add 1 to it 1000 times under the value's own lock
(``counter.get_lock()``). Checks that the final value is 4000.
"""
import ctypes
import sys

import mproc


def work(counter, n):
    for _ in range(n):
        with counter.get_lock():
            counter.value += 1


if __name__ == "__main__":
    counter = mproc.Value(ctypes.c_int, 0)
    children = [mproc.Process(target=work, args=(counter, 1000)) for _ in range(4)]
    for p in children:
        p.start()
    for p in children:
        p.join(30)
    print("counter.value =", counter.value)
    if counter.value != 4000:
        sys.exit("value_counter: expected 4000, got %d" % counter.value)
