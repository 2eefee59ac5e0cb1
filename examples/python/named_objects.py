"""named_objects.py -- what multiprocessing cannot do: open a Lock and a Queue by name.

Not a tutorial sample: multiprocessing's objects reach only the children it starts (by
inheritance or pickling). An mproc object created with ``name=...`` can be opened by that
name from any process -- here an independent ``python3`` started with ``subprocess`` (a
fresh interpreter that inherited nothing); a C or C++ program could open it the same way
(``mproc_queue_open("<name>", &q)``).

The parent creates ``mproc.Lock(name=...)`` and ``mproc.Queue(8, name=...)`` and holds the
lock. The other program opens both by name, sees the lock taken (``acquire(timeout=0.1)``
returns False), reports through the queue (a pickled tuple and raw bytes), then blocks on
the lock until the parent releases it. Named objects live until unlinked, so the parent
unlinks both names at the end, even on failure. Checks every message and the exit code.
"""
import os
import secrets
import subprocess
import sys

import mproc


def other_program(lock_name, queue_name):
    """Runs in the independent interpreter: attaches to both objects by name only."""
    lock = mproc.Lock.open(lock_name)
    q = mproc.Queue.open(queue_name)
    got_it = lock.acquire(timeout=0.1)  # the parent holds it: False
    q.put(("opened by name", os.getpid(), got_it))
    q.put_bytes(b"raw bytes, readable from C as they are")
    if not lock.acquire(timeout=30):  # blocks until the parent releases
        sys.exit(2)
    q.put("took the lock after the parent released it")
    lock.release()
    q.close()
    lock.close()


def main():
    unique = "%d-%s" % (os.getpid(), secrets.token_hex(4))
    lock_name, queue_name = "example-lock-" + unique, "example-queue-" + unique
    lock = mproc.Lock(name=lock_name)
    try:
        q = mproc.Queue(8, name=queue_name)
    except BaseException:
        lock.unlink()
        raise
    try:
        lock.acquire()
        other = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--other",
                                  lock_name, queue_name])
        first = q.get(timeout=30)
        raw = q.get_bytes(timeout=30)
        print("parent got:", first)
        print("parent got:", raw)
        lock.release()
        last = q.get(timeout=30)
        print("parent got:", last)
        code = other.wait(30)
    finally:
        q.unlink()  # named objects outlive their creator until unlinked
        lock.unlink()
        q.close()
        lock.close()
    try:
        mproc.Queue.open(queue_name)
        gone = False
    except FileNotFoundError:  # mproc.NotFoundError
        gone = True
    ok = (first[0] == "opened by name" and first[1] == other.pid and first[2] is False
          and raw == b"raw bytes, readable from C as they are"
          and last == "took the lock after the parent released it" and code == 0 and gone)
    if not ok:
        sys.exit("named_objects: got %r, %r, %r, exit code %r, name gone %r"
                 % (first, raw, last, code, gone))
    print("both names unlinked")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--other":
        other_program(sys.argv[2], sys.argv[3])
    else:
        main()
