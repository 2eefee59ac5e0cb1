"""process_subclass.py -- a Process subclass that overrides run(), on mproc.

Tutorial sample (seed 002, ``class MyThread(Thread)`` with ``run`` printing
"hello {name}"; seed 004 lists "subclass Process and override run" as the second way to
create a process). The same class, derived from ``mproc.Process``: the child prints
"hello world" and reports through its exit code; the parent prints "done".
"""
import sys

import mproc


class MyProcess(mproc.Process):
    def __init__(self, who):
        super().__init__()
        self.who = who

    def run(self):
        print(f"hello {self.who}", flush=True)
        sys.exit(7 if self.who == "world" else 1)  # 7: proves run() saw the attribute


if __name__ == "__main__":
    p = MyProcess("world")
    p.start()
    p.join(30)
    print("done")
    if p.exitcode != 7:
        sys.exit("process_subclass: child exit code %r, expected 7" % (p.exitcode,))
