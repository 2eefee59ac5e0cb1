"""queue_reader_writer.py -- a writer and a reader process share a Queue, on mproc.

Tutorial sample (seed 003, "进程间通信"): write(q) puts 'A', 'B', 'C' with a random sleep
of up to 1 s between them; read(q) loops forever on ``q.get(True)``; the parent starts
both, joins the writer and terminates the reader (it never ends by itself). Bounded here:
the sleeps are up to 0.2 s, and the parent waits (at most 10 s) for the reader to drain the
queue before terminating it -- the sample could kill it before it read 'C'. Checks that
the queue was drained and that the reader died of SIGTERM.
"""
import os
import random
import signal
import sys
import time

import mproc


def write(q):
    print("Process to write: %s" % os.getpid(), flush=True)
    for value in ["A", "B", "C"]:
        print("Put %s to queue..." % value, flush=True)
        q.put(value)
        time.sleep(random.random() * 0.2)


def read(q):
    print("Process to read: %s" % os.getpid(), flush=True)
    while True:
        value = q.get(True)
        print("Get %s from queue." % value, flush=True)


if __name__ == "__main__":
    q = mproc.Queue()
    pw = mproc.Process(target=write, args=(q,))
    pr = mproc.Process(target=read, args=(q,))
    pw.start()
    pr.start()
    pw.join(30)
    deadline = time.monotonic() + 10
    while not q.empty() and time.monotonic() < deadline:
        time.sleep(0.01)
    drained = q.empty()
    time.sleep(0.1)  # let the reader print what it took last
    pr.terminate()  # the reader loops forever: it can only be stopped
    pr.join(30)
    if pw.exitcode != 0 or not drained or pr.exitcode != -signal.SIGTERM:
        sys.exit("queue_reader_writer: writer %r, drained %r, reader %r"
                 % (pw.exitcode, drained, pr.exitcode))
