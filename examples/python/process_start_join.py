"""process_start_join.py -- start one child process and wait for it, on mproc.

Tutorial sample (seed 003, "multiprocessing"): run_proc(name) prints "Run child process
test (<pid>)..."; the parent prints its pid, starts ``Process(target=run_proc,
args=('test',))``, joins it and prints "Child process end.". The same start/join sample
appears in seed 001 (``run(i)``) and seed 002 (``f('world')`` printing "hello world" then
"done"). Checks that the child ran in another process and exited with status 0.
"""
import os
import sys

import mproc


def run_proc(name, parent):
    print("Run child process %s (%s)..." % (name, os.getpid()), flush=True)
    if os.getpid() == parent:
        sys.exit(1)  # ran in the parent: not a child process at all


if __name__ == "__main__":
    print("Parent process %s." % os.getpid())
    p = mproc.Process(target=run_proc, args=("test", os.getpid()))
    print("Child process will start.", flush=True)
    p.start()
    p.join(30)
    print("Child process end.")
    if p.exitcode != 0:
        sys.exit("process_start_join: child exit code %r, expected 0" % (p.exitcode,))
