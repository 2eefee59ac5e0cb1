"""semaphore_downloads.py -- a Semaphore limits concurrent downloads, on mproc.

Tutorial sample (seed 004, "Semaphore 信号量": controls how many processes use a resource
at once; seed 000's download simulation supplies the task). Five processes "download" a
file each, but a Semaphore(2) lets at most two run at once. Bounded: downloads take 0.2 to
0.4 s. Checks, with a shared counter under a Lock, that no more than two ever overlapped.
"""
import random
import sys
import time

import mproc


def download(filename, sem, lock, active, peak):
    with sem:
        with lock:
            active.value += 1
            peak.value = max(peak.value, active.value)
        print("Start downloading %s (%d at once)" % (filename, active.value), flush=True)
        time.sleep(random.randint(2, 4) / 10)
        with lock:
            active.value -= 1
        print("%s done" % filename, flush=True)


if __name__ == "__main__":
    sem = mproc.Semaphore(2)
    lock = mproc.Lock()
    active = mproc.RawValue("i", 0)
    peak = mproc.RawValue("i", 0)
    children = [mproc.Process(target=download, args=("file-%d.pdf" % i, sem, lock, active,
                                                     peak)) for i in range(5)]
    for p in children:
        p.start()
    for p in children:
        p.join(30)
    print("At most %d downloads ran at once." % peak.value)
    if not 1 <= peak.value <= 2 or any(p.exitcode != 0 for p in children):
        sys.exit("semaphore_downloads: peak %d, exit codes %r"
                 % (peak.value, [p.exitcode for p in children]))
