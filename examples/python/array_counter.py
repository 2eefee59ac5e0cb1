"""array_counter.py -- the tutorials' shared Array counter, on mproc.

Tutorial sample (seed 000, "使用 Array 共享数据"): ``temp = Array('i', [1, 2, 3, 4])``; five
Processes each do ``temp[0] += 100`` and print the new first element: 101, 201, ... 501.
``+=`` is a read then a write, so the sample could lose an update; here each child holds
the array's own lock (``temp.get_lock()``) around it. Checks that the final value is 501
and the other elements are untouched.
"""
import sys

import mproc


def func(i, temp):
    with temp.get_lock():
        temp[0] += 100
        value = temp[0]
    pname = mproc.current_process().name
    print("This is: {0}, first element after the change: {1}".format(pname, value),
          flush=True)


if __name__ == "__main__":
    temp = mproc.Array("i", [1, 2, 3, 4])
    children = [mproc.Process(target=func, args=(i, temp)) for i in range(5)]
    for p in children:
        p.start()
    for p in children:
        p.join(30)
    print("Final array:", temp[:])
    if temp[:] != [501, 2, 3, 4]:
        sys.exit("array_counter: expected [501, 2, 3, 4], got %r" % (temp[:],))
