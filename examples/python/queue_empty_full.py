"""queue_empty_full.py -- a Queue raises queue.Empty and queue.Full, on mproc.

Tutorial sample (seed 004, "Queue 共享队列": "有空异常和满异常", the queue has an Empty
and a Full exception; seed 002: get/put block by default, ``block``/``timeout`` make them
non-blocking). A Queue(2) between the parent and a child: the child fills it, a third
``put(block=False)`` raises queue.Full; the parent drains it, then ``get(timeout=0.1)``
raises queue.Empty. Checks both exceptions and the values.
"""
import queue
import sys

import mproc


def producer(q, done):
    q.put("first")
    q.put("second")
    try:
        q.put("third", block=False)
    except queue.Full:
        print("child: the queue is full (queue.Full)", flush=True)
        done.put("full")
    else:
        done.put("no exception")


if __name__ == "__main__":
    q = mproc.Queue(2)
    done = mproc.Queue()
    p = mproc.Process(target=producer, args=(q, done))
    p.start()
    verdict = done.get(timeout=30)
    got = [q.get(timeout=10), q.get(timeout=10)]
    try:
        q.get(timeout=0.1)
        empty = False
    except queue.Empty:
        print("parent: the queue is empty (queue.Empty)")
        empty = True
    p.join(30)
    if verdict != "full" or not empty or got != ["first", "second"]:
        sys.exit("queue_empty_full: %r, empty %r, got %r" % (verdict, empty, got))
