"""global_list_not_shared.py -- a global list is not shared between processes (mproc).

Tutorial sample (seed 000, "进程间数据共享"): five Processes each append their i to a
global list and print it; each child sees only its own element and the parent's list stays
empty -- processes do not share memory, hence Queue, Array and Value. Checks that the
parent's list is still [] and that every child saw exactly [i].
"""
import sys

import mproc

lis = []


def foo(i):
    lis.append(i)
    print("lis is: {0}, id(lis) is: {1}".format(lis, id(lis)), flush=True)
    sys.exit(0 if lis == [i] else 1)


if __name__ == "__main__":
    children = [mproc.Process(target=foo, args=(i,)) for i in range(5)]
    for p in children:
        p.start()
    print("The global list is:", lis, flush=True)
    for p in children:
        p.join(30)
    if lis != [] or any(p.exitcode != 0 for p in children):
        sys.exit("global_list_not_shared: parent list %r, exit codes %r"
                 % (lis, [p.exitcode for p in children]))
