"""queue_pipeline.py -- the tutorials' Queue pipeline, with its fix, on mproc.

Tutorial sample (seed 001, "自己遇到的bug" and "解决办法"): three reader processes move
items from q_in[i] to q_out[i], three writer processes append what they get from q_out[i]
to a global list ret[i]; the parent puts 0..999 round-robin into q_in, then None to stop
each stage. The bug: ret stays [[], [], []] in the parent, because each writer appends to
its own copy of the list. The fix: ret[i] becomes a Queue(1024) too, and the parent
collects from it. This is the fixed program, with ``mproc.Queue``. Checks that the parent
collects exactly 0..999.
"""
import sys

import mproc


def read_worker(q_in, q_out):
    while True:
        deq = q_in.get()
        if deq is None:
            break
        q_out.put(deq)


def write_worker(q_out, ret_i):
    more = True
    while more:
        deq = q_out.get()
        ret_i.put(deq)  # the fix: a queue, not a list only this process sees
        more = deq is not None


def fun(ll, ret_i):
    more = True
    while more:
        deq = ret_i.get(timeout=30)
        if deq is not None:
            ll.append(deq)
        else:
            more = False


if __name__ == "__main__":
    ret = [mproc.Queue(1024) for i in range(3)]
    q_in = [mproc.Queue(1024) for i in range(3)]
    q_out = [mproc.Queue(1024) for i in range(3)]
    read_process = [mproc.Process(target=read_worker, args=(q_in[i], q_out[i]))
                    for i in range(3)]
    for p in read_process:
        p.start()
    write_process = [mproc.Process(target=write_worker, args=(q_out[i], ret[i]))
                     for i in range(3)]
    for p in write_process:
        p.start()
    for i in range(1000):
        q_in[i % 3].put(i)
    for q in q_in:
        q.put(None)
    for p in read_process:
        p.join(30)
    for q in q_out:
        q.put(None)
    for p in write_process:
        p.join(30)
    result = []
    for i in range(3):
        fun(result, ret[i])
    print(result[:5], "...", result[-5:], "(%d items)" % len(result))
    if sorted(result) != list(range(1000)):
        sys.exit("queue_pipeline: collected %d items, not 0..999" % len(result))
