"""queue_pass_along.py -- processes pass a value along one Queue, on mproc.

Tutorial sample (seed 000, "使用 queues 的 Queue 类共享数据"): ``lis = queues.Queue(20,
ctx=multiprocessing)``; the parent puts 0; five Processes each get a value, print "process
i got x, then put i" and put their own i. Here the queue is ``mproc.Queue(20)`` and the
parent joins the children. Checks that the five gets plus the one value left equal the six
values put: {0 (the parent's), 0, 1, 2, 3, 4}.
"""
import sys

import mproc


def func(i, q, got):
    ret = q.get(timeout=30)
    print("Process {0} got {1} from the queue, then put {2} into it".format(i, ret, i),
          flush=True)
    got.put(ret)
    q.put(i)


if __name__ == "__main__":
    lis = mproc.Queue(20)
    got = mproc.Queue(20)  # what each child took, for the check
    lis.put(0)
    children = [mproc.Process(target=func, args=(i, lis, got)) for i in range(5)]
    for p in children:
        p.start()
    for p in children:
        p.join(30)
    taken = sorted(got.get(timeout=10) for _ in range(5))
    left = lis.get(timeout=10)
    if sorted(taken + [left]) != [0, 0, 1, 2, 3, 4] or not lis.empty():
        sys.exit("queue_pass_along: taken %r, left %r" % (taken, left))
    print("Left in the queue:", left)
