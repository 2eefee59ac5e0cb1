"""download_simulation.py -- the tutorials' download simulation, on mproc.

Tutorial sample (seed 000, "多进程实战"): download_task(filename) prints "start downloading",
sleeps randint(5, 10) seconds and prints "done, took N s"; two Processes download two
files at once, so the total is about the longer download, not the sum. Bounded here: the
sleeps are randint(5, 10) tenths of a second. Checks that both children exited with 0; the
times are printed, not checked (the machine may be loaded).
"""
import sys
from random import randint
from time import sleep, time

import mproc


def download_task(filename):
    print("Start downloading: %s..." % filename, flush=True)
    time_to_download = randint(5, 10)
    sleep(time_to_download / 10)
    print("%s downloaded! Took %.1f s" % (filename, time_to_download / 10), flush=True)


def main():
    start = time()
    p1 = mproc.Process(target=download_task, args=("Python-intro.pdf",))
    p1.start()
    p2 = mproc.Process(target=download_task, args=("Programmer-health.pdf",))
    p2.start()
    p1.join(30)
    p2.join(30)
    end = time()
    print("Total: %.2f s (each download alone: 0.5 to 1.0 s)." % (end - start))
    if (p1.exitcode, p2.exitcode) != (0, 0):
        sys.exit("download_simulation: exit codes %r, %r" % (p1.exitcode, p2.exitcode))


if __name__ == "__main__":
    main()
