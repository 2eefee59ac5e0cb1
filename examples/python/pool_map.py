"""pool_map.py -- Pool.map returns the results in order, on mproc.

Tutorial sample (seed 001, the end): run(i) writes i*i to TEXT/<i>.txt and returns i**3;
``workers = Pool(processes=6)``; ``results = workers.map(run, range(1, 20))`` is in the
order of the inputs. Here the files go to a temporary directory instead of ./TEXT. Checks
the results and the files' contents.
"""
import functools
import os
import sys
import tempfile

import mproc


def run(folder, i):
    with open(os.path.join(folder, "%d.txt" % i), "w") as w:
        w.write("%d\n" % (i * i))
    return i * i * i


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        with mproc.Pool(processes=6) as workers:
            results = workers.map(functools.partial(run, folder), range(1, 20))
        print(results)
        for i in range(1, 20):
            with open(os.path.join(folder, "%d.txt" % i)) as f:
                if f.read() != "%d\n" % (i * i):
                    sys.exit("pool_map: wrong content in %d.txt" % i)
    if results != [i ** 3 for i in range(1, 20)]:
        sys.exit("pool_map: wrong results %r" % (results,))
