"""daemon_process.py -- a daemon child ends with its parent, on mproc.

Tutorial sample (seeds 002 and 004, "守护进程": with ``daemon=True`` a child is terminated
when the main process exits; a plain child is waited for). The parent starts a daemon that
would loop forever and a normal child that finishes; it joins only the normal one and
exits: at exit the daemon is terminated, so this script ends. Checks ``daemon`` and the
normal child's exit code; the script ending at all (ctest's timeout) checks the daemon.
"""
import sys
import time

import mproc


def forever():
    while True:
        time.sleep(0.05)


def short():
    print("normal child: done", flush=True)


if __name__ == "__main__":
    d = mproc.Process(target=forever, daemon=True)
    n = mproc.Process(target=short)
    d.start()
    n.start()
    n.join(30)
    print("parent: exiting; the daemon (alive: %r) is terminated with it" % d.is_alive())
    if not d.daemon or n.daemon or n.exitcode != 0:
        sys.exit("daemon_process: daemon flags %r %r, exit code %r"
                 % (d.daemon, n.daemon, n.exitcode))
