"""manager_dict.py -- sharing a dict through Manager(), on mproc.

Tutorial samples: seed 000 ("使用 Manager 共享数据"): ``dic = Manager().dict()``, then ten
Processes, one after the other, each set ``dic["num"] = 100 + i`` and print
``dic.items()``; seed 002 ("Manager对象"): ``with Manager() as manager:`` a
``manager.Value('i', 0)`` counter and a ``manager.dict()``.

multiprocessing's manager runs a server process that holds the dict; mproc's dict lives
in shared memory itself, and every process reads and writes it directly. Checks that each
child saw its own write, that the parent sees the last one, and that four concurrent
children counted to 4000 under the counter's lock.
"""
import sys

import mproc
from mproc import Manager, Process


def func(i, dic):
    dic["num"] = 100 + i
    print(dic.items(), flush=True)
    sys.exit(0 if dic["num"] == 100 + i else 1)


def count(counter, dict_, n, name):
    for _ in range(n):
        with counter.get_lock():
            counter.value += 1
    dict_[name] = n


if __name__ == "__main__":
    dic = Manager().dict()
    for i in range(10):
        p = Process(target=func, args=(i, dic))
        p.start()
        p.join(30)
        if p.exitcode != 0:
            sys.exit("manager_dict: child %d failed (exit code %r)" % (i, p.exitcode))
    if dic.items() != [("num", 109)]:
        sys.exit("manager_dict: expected [('num', 109)], got %r" % (dic.items(),))

    with Manager() as manager:
        counter = manager.Value("i", 0)
        dict_ = manager.dict()
        workers = [Process(target=count, args=(counter, dict_, 1000, "p%d" % k))
                   for k in range(4)]
        for p in workers:
            p.start()
        for p in workers:
            p.join(30)
        print("counter.value =", counter.value, "dict_ =", dict_)
        if counter.value != 4000 or dict_.copy() != {"p%d" % k: 1000 for k in range(4)}:
            sys.exit("manager_dict: expected 4000 and four entries, got %d and %r"
                     % (counter.value, dict_.copy()))
    if not dict_.closed:
        sys.exit("manager_dict: leaving `with Manager()` did not close its objects")
    print("mproc", mproc.__version__, "ok")
