"""process_args.py -- the tutorials' first Process sample, on mproc.

Tutorial sample (seed 000, "一般用法"): foo(i) prints the process name
(``current_process().name``), its parent's pid and its own pid; the main process starts
five ``Process(target=foo, args=(i,))``. Here the main process also joins them (the
sample did not) and checks that every child exited with status 0.
"""
import os
import sys

import mproc


def foo(i):
    ppid = os.getppid()
    pid = os.getpid()
    pname = mproc.current_process().name
    print("This is: {0} (arg {1}), parent pid: {2}, child pid: {3}".format(
        pname, i, ppid, pid), flush=True)


if __name__ == "__main__":
    children = []
    for i in range(5):
        p = mproc.Process(target=foo, args=(i,))
        p.start()
        children.append(p)
    for p in children:
        p.join(30)
    codes = [p.exitcode for p in children]
    if codes != [0] * 5:
        sys.exit("process_args: expected five exit codes 0, got %r" % (codes,))
