"""mproc.TaskPool / TaskFuture: the C process pool (C ABI "Futures and pools") driven
from Python, with the local backend and, when mproc was built with MPI, the MPI one.

The tasks are C functions of the fixture library libmproc_test_tasks.so
(tests/task_fixtures/test_tasks.c), found next to the build's libmproc.
"""

import concurrent.futures
import gc
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mproc  # noqa: E402
from test_task import fixture_library  # noqa: E402

# Open MPI as root, on a 2-core machine: before any MPI pool is made (MPI reads them at init).
os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
os.environ.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")

LONG = 120.0  # seconds: for what must happen (a noisy 2-core machine)
FIXTURES = fixture_library()
MISSING_LIBRARY = "/nonexistent/libmproc_no_such_lib.so"


def task(symbol, signature):
    return mproc.Task(FIXTURES, symbol, signature)


def wait_until(predicate, timeout=LONG):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@unittest.skipIf(FIXTURES is None, "libmproc_test_tasks.so not built")
class LocalTaskPoolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.neg = task("neg", "q(q)")
        cls.add = task("add", "i(ii)")
        cls.pool = mproc.TaskPool(2)

    @classmethod
    def tearDownClass(cls):
        cls.pool.terminate()
        cls.pool.join(LONG)

    def test_map_chunksizes(self):
        expected = [-x for x in range(1000)]
        for chunksize in (1, 7, None):
            with self.subTest(chunksize=chunksize):
                result = self.pool.map_async(self.neg, range(1000), chunksize).get(LONG)
                self.assertEqual(result, expected)
        self.assertEqual(self.pool.map(self.neg, range(1000), 7), expected)
        self.assertEqual(self.pool.map(self.neg, []), [])

    def test_starmap(self):
        pairs = [(i, 2 * i) for i in range(100)]
        self.assertEqual(self.pool.starmap(self.add, pairs, 3), [3 * i for i in range(100)])
        r = self.pool.starmap_async(self.add, pairs)
        self.assertEqual(r.get(LONG), [3 * i for i in range(100)])
        self.assertTrue(r.ready())
        self.assertTrue(r.successful())

    def test_result_types(self):
        self.assertEqual(self.pool.apply(task("greet", "s(s)"), ("ann",)), "hello, ann")
        self.assertEqual(self.pool.apply(task("null_string", "s()")), None)
        self.assertEqual(self.pool.apply(task("reverse", "y(y)"), (b"abc",)), b"cba")
        self.assertAlmostEqual(self.pool.apply(task("scale", "d(di)"), (1.5, 4)), 6.0)
        self.assertEqual(self.pool.apply(task("bump", "v(i)"), (1,)), None)

    def test_apply_and_apply_async(self):
        self.assertEqual(self.pool.apply(self.add, (2, 3)), 5)
        r = self.pool.apply_async(self.add, (4, 5))
        self.assertEqual(r.get(LONG), 9)
        self.assertTrue(r.ready())
        self.assertTrue(r.successful())
        self.assertEqual(len(r.futures), 1)

    def test_apply_async_callbacks(self):
        got, errors = [], []
        r = self.pool.apply_async(self.add, (1, 1), callback=got.append,
                                  error_callback=errors.append)
        r.wait(LONG)
        self.assertTrue(r.ready())
        self.assertEqual(got, [2])  # the callback ran before wait returned
        self.assertEqual(errors, [])
        bad = task("no_such_symbol_xyz", "i(ii)")
        r = self.pool.apply_async(bad, (1, 1), callback=got.append, error_callback=errors.append)
        r.wait(LONG)
        self.assertEqual(got, [2])
        self.assertEqual(len(errors), 1)
        self.assertIsInstance(errors[0], mproc.NotFoundError)
        self.assertFalse(r.successful())
        done = []
        r = self.pool.map_async(self.neg, range(50), 5, callback=done.append)
        self.assertEqual(r.get(LONG), [-x for x in range(50)])
        self.assertEqual(done, [[-x for x in range(50)]])

    def test_async_get_timeout(self):
        r = self.pool.apply_async(task("pool_sleep_ms", "i(i)"), (300,))
        with self.assertRaises(multiprocessing.TimeoutError):
            r.get(0.01)
        self.assertFalse(r.ready())
        with self.assertRaises(ValueError):
            r.successful()
        self.assertEqual(r.get(LONG), 300)

    def test_imap(self):
        it = self.pool.imap(self.neg, range(200), 9)
        self.assertEqual(len(it), 200)
        self.assertEqual(list(it), [-x for x in range(200)])
        self.assertEqual(list(self.pool.imap(self.neg, [])), [])
        it = self.pool.imap(self.neg, range(3))
        self.assertEqual(it.next(LONG), 0)

    def test_imap_unordered(self):
        got = list(self.pool.imap_unordered(self.neg, range(300), 4))
        self.assertEqual(len(got), 300)
        self.assertEqual(set(got), {-x for x in range(300)})

    def test_imap_failed_item_then_more(self):
        it = self.pool.imap(task("pool_big_result", "Y(i)"), [10, 100000, 20])
        self.assertEqual(next(it), b"x" * 10)
        with self.assertRaises(mproc.TooBigError):
            next(it)
        self.assertEqual(next(it), b"x" * 20)
        with self.assertRaises(StopIteration):
            next(it)

    def test_missing_library(self):
        missing = mproc.Task(MISSING_LIBRARY, "f", "i(i)")
        with self.assertRaises(mproc.NotFoundError) as cm:
            self.pool.apply(missing, (1,))
        self.assertIn("libmproc_no_such_lib", str(cm.exception))
        self.assertIsInstance(cm.exception, FileNotFoundError)
        with self.assertRaises(mproc.NotFoundError):
            self.pool.map(missing, range(5))

    def test_error_result_fails_only_its_item(self):
        r = self.pool.map_async(task("pool_big_result", "Y(i)"), [10, 100000, 20], 1)
        with self.assertRaises(mproc.TooBigError):
            r.get(LONG)
        futures = r.futures
        self.assertEqual(futures[0].result(LONG), b"x" * 10)
        self.assertIsInstance(futures[1].exception(LONG), mproc.TooBigError)
        self.assertEqual(futures[2].result(LONG), b"x" * 20)
        self.assertFalse(r.successful())
        bad = self.pool.submit(task("no_such_symbol_xyz", "i()"))
        good = self.pool.submit(self.add, 20, 22)
        with self.assertRaises(mproc.NotFoundError) as cm:
            bad.result(LONG)
        self.assertIn("no_such_symbol_xyz", str(cm.exception))
        self.assertEqual(good.result(LONG), 42)

    def test_worker_crash_is_broken_error(self):
        with mproc.TaskPool(2) as pool:
            sleeps = pool.map_async(task("pool_sleep_ms", "i(i)"), [20] * 20, 1)
            killed = pool.submit(task("pool_kill_self", "i()"))
            exited = pool.submit(task("pool_exit", "i(i)"), 3)
            with self.assertRaises(mproc.BrokenError) as cm:
                killed.result(LONG)
            message = str(cm.exception)
            self.assertIn("worker", message.lower())
            self.assertTrue("SIGKILL" in message or "signal 9" in message, message)
            with self.assertRaises(mproc.BrokenError) as cm:
                exited.result(LONG)
            self.assertIn("3", str(cm.exception))
            self.assertEqual(sleeps.get(LONG), [20] * 20)
            # The pool replaced its workers and goes on.
            self.assertEqual(pool.map(self.neg, range(100)), [-x for x in range(100)])

    def test_futures(self):
        sleep = task("pool_sleep_ms", "i(i)")
        with mproc.TaskPool(1) as pool:
            first = pool.submit(sleep, 400)
            # Queued behind it (the pool hands a worker a few tasks ahead): the last of
            # these has surely not gone to the worker yet.
            queued = [pool.submit(sleep, 1) for _ in range(20)]
            second = queued[-1]
            with self.assertRaises(TimeoutError):
                first.result(0.01)
            self.assertFalse(second.done())
            self.assertTrue(second.cancel())
            self.assertTrue(second.cancelled())
            self.assertTrue(second.done())
            with self.assertRaises(concurrent.futures.CancelledError):
                second.result(LONG)
            self.assertTrue(wait_until(first.running) or first.done())
            self.assertEqual(first.result(LONG), 400)
            self.assertTrue(first.done())
            self.assertFalse(first.cancel())
            self.assertIsNone(first.exception(LONG))
            self.assertTrue(first.wait(0))
            seen = threading.Event()
            third = pool.submit(sleep, 50)
            third.add_done_callback(lambda f: seen.set() if f.result(0) == 50 else None)
            self.assertTrue(seen.wait(LONG))
            late = []
            third.add_done_callback(late.append)  # done already: called at once
            self.assertEqual(late, [third])
            third.close()
            third.close()
            with self.assertRaises(ValueError):
                third.done()
            self.assertIn("closed", repr(third))

    def test_initializer(self):
        with mproc.TaskPool(1, initializer=task("pool_init_mark", "i()")) as pool:
            self.assertEqual(pool.apply(task("pool_init_runs_here", "i()")), 1)
        with mproc.TaskPool(1, initializer=task("pool_init_fail", "i()")) as pool:
            with self.assertRaises(mproc.BrokenError):
                pool.apply_async(self.neg, (1,)).get(LONG)

    def test_spawn_start_method(self):
        with mproc.TaskPool(2, start_method="spawn", maxtasksperchild=10) as pool:
            self.assertEqual(pool.map(self.neg, range(100), 3), [-x for x in range(100)])
            self.assertEqual(pool.processes, 2)
            self.assertEqual(pool.backend, "local")

    def test_close_join(self):
        pool = mproc.TaskPool(2)
        r = pool.map_async(task("pool_sleep_ms", "i(i)"), [10] * 10)
        with self.assertRaises(ValueError):
            pool.join()  # still running
        pool.close()
        with self.assertRaises(ValueError):
            pool.apply(self.neg, (1,))
        pool.join(LONG)
        self.assertEqual(r.get(0), [10] * 10)  # queued tasks ran before the workers left

    def test_terminate(self):
        pool = mproc.TaskPool(2)
        futures = [pool.submit(task("pool_sleep_ms", "i(i)"), 10000) for _ in range(4)]
        self.assertTrue(wait_until(lambda: any(f.running() for f in futures)))
        start = time.monotonic()
        pool.terminate()
        pool.join(LONG)
        self.assertLess(time.monotonic() - start, 9.0)
        for f in futures:
            self.assertTrue(f.done())
            exc = None
            try:
                f.result(0)
            except (mproc.BrokenError, concurrent.futures.CancelledError) as e:
                exc = e
            self.assertIsNotNone(exc)
        with self.assertRaises(ValueError):
            pool.submit(self.neg, 1)

    def test_context_manager_terminates(self):
        with mproc.TaskPool(1) as pool:
            f = pool.submit(task("pool_sleep_ms", "i(i)"), 10000)
            self.assertTrue(wait_until(f.running))
        self.assertIsInstance(f.exception(LONG), mproc.BrokenError)

    def test_abandoned_pool_is_terminated_and_freed(self):
        pool = mproc.TaskPool(1)
        f = pool.submit(task("pool_sleep_ms", "i(i)"), 10000)
        self.assertTrue(wait_until(f.running))
        del pool
        gc.collect()
        # The future outlives its pool: the running task failed when the pool went.
        self.assertIsInstance(f.exception(LONG), mproc.BrokenError)

    def test_pool_backend_dispatch(self):
        self.assertTrue(mproc.pool_backend_available("local"))
        self.assertIsInstance(mproc.pool_backend_available("mpi"), bool)
        with self.assertRaises(ValueError):
            mproc.pool_backend_available("nope")
        with mproc.Pool(1, backend="local") as pool:
            self.assertIsInstance(pool, mproc.TaskPool)
            self.assertEqual(pool.apply(self.add, (1, 2)), 3)
        with mproc.Pool(1) as pool:  # unchanged: the Python pool
            self.assertNotIsInstance(pool, mproc.TaskPool)
            self.assertIsInstance(pool, mproc.Pool)

    def test_bad_arguments(self):
        with self.assertRaises(TypeError) as cm:
            self.pool.apply(abs, (-1,))
        self.assertIn("mproc.Task", str(cm.exception))
        for call in (lambda: self.pool.map(abs, [1]), lambda: self.pool.submit(len, "x"),
                     lambda: self.pool.imap_unordered(abs, [1]),
                     lambda: self.pool.apply(self.add, (1, 2), {"x": 1}),
                     lambda: self.pool.apply(self.add, (1,)),
                     lambda: self.pool.map(self.add, [1, 2])):
            with self.assertRaises(TypeError):
                call()
        with self.assertRaises(ValueError):
            self.pool.map(self.neg, [1], chunksize=0)
        with self.assertRaises(ValueError):
            mproc.TaskPool(1, backend="nope")
        with self.assertRaises(ValueError):
            mproc.Pool(1, backend="nope")
        with self.assertRaises(ValueError):
            mproc.TaskPool(0)
        with self.assertRaises(ValueError):
            mproc.TaskPool(1, start_method="teleport")
        with self.assertRaises(TypeError):
            mproc.TaskPool(1, initializer=print)
        with self.assertRaises(ValueError):
            mproc.TaskPool(1, max_message=1)  # the C library's check
        with self.assertRaises(ValueError):
            mproc.TaskPool(1, backend="mpi", mpi_info={"a;b": "c"})


def mpi_available():
    return FIXTURES is not None and mproc.pool_backend_available("mpi")


@unittest.skipUnless(mpi_available(), "mproc built without MPI, or fixtures missing")
class MpiTaskPoolTest(unittest.TestCase):
    """One MPI pool for the class (MPI is initialised once per process; pools one after
    the other are fine, but each spawn costs seconds)."""

    @classmethod
    def setUpClass(cls):
        cls.neg = task("neg", "q(q)")
        cls.pool = mproc.Pool(2, backend="mpi", heartbeat_timeout=30)  # -> a TaskPool

    @classmethod
    def tearDownClass(cls):
        cls.pool.close()
        cls.pool.join(LONG)

    def test_is_task_pool(self):
        self.assertIsInstance(self.pool, mproc.TaskPool)
        self.assertEqual(self.pool.backend, "mpi")
        self.assertEqual(self.pool.processes, 2)

    def test_map_10000_equals_local(self):
        items = range(-5000, 5000)
        with mproc.TaskPool(2) as local:
            expected = local.map(self.neg, items)
        self.assertEqual(expected, [-x for x in items])
        self.assertEqual(self.pool.map_async(self.neg, items).get(LONG), expected)
        self.assertEqual(self.pool.map_async(self.neg, items, 1).get(LONG), expected)
        self.assertEqual(sorted(self.pool.imap_unordered(self.neg, range(500), 10)),
                         sorted(-x for x in range(500)))

    def test_missing_library(self):
        missing = mproc.Task(MISSING_LIBRARY, "f", "i(i)")
        with self.assertRaises(mproc.NotFoundError) as cm:
            self.pool.apply_async(missing, (1,)).get(LONG)
        self.assertIn("libmproc_no_such_lib", str(cm.exception))
        self.assertEqual(self.pool.apply(task("add", "i(ii)"), (2, 3)), 5)

    def test_crashing_task(self):
        f = self.pool.submit(task("pool_kill_self", "i()"))
        with self.assertRaises(mproc.BrokenError) as cm:
            f.result(LONG)
        self.assertIn("rank", str(cm.exception).lower())
        self.assertEqual(self.pool.map(self.neg, range(100)), [-x for x in range(100)])

    @unittest.skipUnless(shutil.which("mpiexec"), "no mpiexec")
    def test_static_start_under_mpiexec(self):
        # Rank 0 is the pool; ranks 1 and 2 serve tasks inside TaskPool() and exit 0.
        script = (
            "import sys, mproc\n"
            "pool = mproc.TaskPool(backend='mpi', heartbeat_timeout=30)\n"
            "neg = mproc.Task(sys.argv[1], 'neg', 'q(q)')\n"
            "assert pool.map(neg, range(1000)) == [-x for x in range(1000)]\n"
            "print('STATIC-OK', pool.processes, flush=True)\n"
            "pool.close()\n"
            "pool.join(60)\n")
        # env: os.environ as Python sees it, without what MPI_Init of this process's own
        # pool put in the C environment (an mpiexec that inherits that fails).
        run = subprocess.run(
            ["mpiexec", "--oversubscribe", "-n", "3", sys.executable, "-c", script, FIXTURES],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=LONG * 2, text=True,
            env=dict(os.environ))
        self.assertEqual(run.returncode, 0, run.stdout)
        self.assertIn("STATIC-OK 2", run.stdout)

    def test_function_arguments_rejected(self):
        with self.assertRaises(TypeError):
            self.pool.apply(abs, (1,))

    def test_bad_mpi_options(self):
        with self.assertRaises(ValueError):  # MPI takes no start method (C: EINVAL)
            mproc.TaskPool(2, backend="mpi", start_method="spawn")
        with self.assertRaises(ValueError):  # a malformed mpi_info (C: EINVAL)
            mproc.TaskPool(2, backend="mpi", mpi_info="no-equals-sign")
        with self.assertRaises(ValueError):
            mproc.TaskPool(2, backend="mpi", heartbeat_timeout=-1)


if __name__ == "__main__":
    unittest.main()
