"""Tests of mproc.Pool: multiprocessing.Pool's API and behaviour, plus surviving workers
that die (SIGKILL, os._exit), maxtasksperchild, start methods and mproc.Task targets.

Run: PYTHONPATH=bindings/python MPROC_LIBRARY=.../libmproc.so python3 -m unittest test_pool
"""

import multiprocessing
import os
import pickle
import random
import signal
import sys
import tempfile
import threading
import time
import unittest

import mproc
from mproc import _pool_worker
from mproc.pool import Pool, WorkerLostError
import support

LONG = 60.0  # seconds: for things that must happen (the machine is slow and noisy)
SHORT = 0.1  # seconds: for things that must time out

# ---- task functions (module level: they are pickled by name) -------------------------


def square(x):
    return x * x


def add(a, b):
    return a + b


def identity(x):
    return x


def getpid(_=None):
    return os.getpid()


def sleep_then(x, seconds):
    time.sleep(seconds)
    return x


def sleep_and_pid(seconds):
    time.sleep(seconds)
    return os.getpid()


class CustomError(Exception):
    pass


def fail_with(x):
    if x == 3:
        raise CustomError("three")
    return x


def raise_key_error(key):
    raise KeyError(key)


def kill_self_if(x, bad=3):
    """SIGKILLs the worker running it when x == bad; returns x otherwise."""
    if x == bad:
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(LONG)  # never reached
    return x


def exit_worker(status):
    os._exit(status)


def unpicklable_result(_):
    return threading.Lock()


def big_echo(data):
    return data + data


_initialized = None


def initializer(value):
    global _initialized
    _initialized = value


def get_initialized(_=None):
    return _initialized


def failing_iterable():
    yield 1
    yield 2
    raise CustomError("iterable broke")


def pid_alive(pid):
    """Whether pid runs (a zombie does not)."""
    return not support.dead(pid)


def wait_until(predicate, timeout=LONG):
    """support.wait_until with this file's longer default timeout."""
    return support.wait_until(predicate, timeout, interval=0.02)


class PoolTestCase(unittest.TestCase):
    """A 2-worker pool (fork, the default) per test, terminated afterwards."""

    processes = 2
    context = None

    def setUp(self):
        self.pool = Pool(self.processes, context=self.context)
        self.addCleanup(self.pool.terminate)


class TestMethods(PoolTestCase):

    def test_apply(self):
        self.assertEqual(self.pool.apply(add, (2, 3)), 5)
        self.assertEqual(self.pool.apply(add, (), {"a": 1, "b": 2}), 3)

    def test_apply_async(self):
        results = [self.pool.apply_async(square, (i,)) for i in range(20)]
        self.assertEqual([r.get(LONG) for r in results], [i * i for i in range(20)])
        self.assertTrue(all(r.ready() and r.successful() for r in results))

    def test_map_in_order(self):
        self.assertEqual(self.pool.map(square, range(100)), [i * i for i in range(100)])
        self.assertEqual(self.pool.map(square, range(100), chunksize=1),
                         [i * i for i in range(100)])
        self.assertEqual(self.pool.map(square, range(100), 7), [i * i for i in range(100)])
        self.assertEqual(self.pool.map(square, iter(range(10))), [i * i for i in range(10)])
        self.assertEqual(self.pool.map(square, []), [])

    def test_map_async(self):
        result = self.pool.map_async(square, range(50))
        self.assertEqual(result.get(LONG), [i * i for i in range(50)])
        self.assertTrue(result.successful())

    def test_starmap(self):
        pairs = [(i, 10 * i) for i in range(30)]
        self.assertEqual(self.pool.starmap(add, pairs), [11 * i for i in range(30)])
        self.assertEqual(self.pool.starmap_async(add, pairs, 4).get(LONG),
                         [11 * i for i in range(30)])

    def test_imap_in_order(self):
        self.assertEqual(list(self.pool.imap(square, range(50))), [i * i for i in range(50)])
        self.assertEqual(list(self.pool.imap(square, range(50), chunksize=7)),
                         [i * i for i in range(50)])
        self.assertEqual(list(self.pool.imap(square, [])), [])

    def test_imap_order_with_uneven_tasks(self):
        # The first items take longest: imap must still yield them first.
        delays = [(i, 0.2 if i < 2 else 0.0) for i in range(8)]
        it = self.pool.imap(_sleep_pair, delays)
        self.assertEqual([it.next(LONG) for _ in range(8)], list(range(8)))
        with self.assertRaises(StopIteration):
            it.next(LONG)

    def test_imap_unordered(self):
        self.assertEqual(sorted(self.pool.imap_unordered(square, range(50))),
                         [i * i for i in range(50)])
        self.assertEqual(sorted(self.pool.imap_unordered(square, range(50), chunksize=6)),
                         [i * i for i in range(50)])

    def test_imap_next_timeout(self):
        it = self.pool.imap(_sleep_pair, [(1, 1.0)])
        with self.assertRaises(multiprocessing.TimeoutError):
            it.next(SHORT)
        self.assertEqual(it.next(LONG), 1)

    def test_imap_iterable_raises(self):
        it = self.pool.imap(square, failing_iterable())
        self.assertEqual(it.next(LONG), 1)
        self.assertEqual(it.next(LONG), 4)
        with self.assertRaises(CustomError):
            it.next(LONG)
        with self.assertRaises(StopIteration):
            it.next(LONG)

    def test_imap_bad_chunksize(self):
        with self.assertRaises(ValueError):
            self.pool.imap(square, range(3), chunksize=0)

    def test_callbacks(self):
        got, errors, done = [], [], threading.Event()
        self.pool.apply_async(square, (4,), callback=got.append).get(LONG)
        self.assertEqual(got, [16])
        r = self.pool.apply_async(raise_key_error, ("k",), error_callback=errors.append)
        with self.assertRaises(KeyError):
            r.get(LONG)
        self.assertEqual(len(errors), 1)
        self.assertIsInstance(errors[0], KeyError)

        def on_map(value):
            got.append(value)
            done.set()
        self.pool.map_async(square, range(5), callback=on_map)
        self.assertTrue(done.wait(LONG))
        self.assertEqual(got[-1], [0, 1, 4, 9, 16])
        r = self.pool.starmap_async(add, [(1, 2), (None, 1)], error_callback=errors.append)
        with self.assertRaises(TypeError):
            r.get(LONG)
        self.assertIsInstance(errors[-1], TypeError)

    def test_callback_that_raises_does_not_break_the_pool(self):
        def bad_callback(_):
            raise RuntimeError("callback failed (expected in this test)")
        stderr = sys.stderr
        try:
            sys.stderr = open(os.devnull, "w")
            r = self.pool.apply_async(square, (3,), callback=bad_callback)
            r.wait(LONG)
        finally:
            sys.stderr.close()
            sys.stderr = stderr
        self.assertEqual(r.get(LONG), 9)
        self.assertEqual(self.pool.apply(square, (5,)), 25)

    def test_exceptions_keep_their_type(self):
        with self.assertRaises(KeyError) as caught:
            self.pool.apply(raise_key_error, ("x",))
        self.assertEqual(caught.exception.args, ("x",))
        self.assertIn("raise_key_error", str(caught.exception.__cause__))  # remote traceback
        with self.assertRaises(CustomError):
            self.pool.map(fail_with, range(10))
        with self.assertRaises(CustomError):
            self.pool.map(fail_with, range(10), chunksize=1)
        with self.assertRaises(CustomError):
            list(self.pool.imap(fail_with, range(10)))
        r = self.pool.apply_async(fail_with, (3,))
        r.wait(LONG)
        self.assertFalse(r.successful())
        # The pool still works.
        self.assertEqual(self.pool.map(square, range(4)), [0, 1, 4, 9])

    def test_unpicklable_result(self):
        with self.assertRaises(Exception) as caught:
            self.pool.apply(unpicklable_result, (1,))
        self.assertEqual(type(caught.exception).__name__, "MaybeEncodingError")
        self.assertEqual(self.pool.apply(square, (2,)), 4)

    def test_unpicklable_function_fails_at_submit(self):
        for call in (lambda: self.pool.apply_async(lambda: 1),
                     lambda: self.pool.map_async(lambda x: x, [1]),
                     lambda: self.pool.imap(lambda x: x, [1])):
            with self.assertRaises(pickle.PicklingError) as caught:
                call()
            self.assertIn("cannot be pickled", str(caught.exception))

    def test_unpicklable_argument_fails_through_the_result(self):
        r = self.pool.apply_async(identity, (threading.Lock(),))
        with self.assertRaises(TypeError):
            r.get(LONG)
        self.assertEqual(self.pool.apply(square, (3,)), 9)

    def test_large_messages(self):
        # Over a queue message (64 KiB) each way: they travel through spill files.
        data = os.urandom(200 * 1024)
        self.assertEqual(self.pool.apply(big_echo, (data,)), data + data)
        self.assertEqual(self.pool.map(square, range(100000))[-1], 99999 ** 2)
        self.assertEqual(os.listdir(self.pool._core.spill_dir), [])


def _sleep_pair(pair):
    x, seconds = pair
    time.sleep(seconds)
    return x


class TestAsyncResult(PoolTestCase):

    def test_get_timeout(self):
        r = self.pool.apply_async(sleep_then, (7, 1.0))
        with self.assertRaises(multiprocessing.TimeoutError):
            r.get(SHORT)
        self.assertFalse(r.ready())
        with self.assertRaises(ValueError):
            r.successful()
        self.assertEqual(r.get(LONG), 7)
        self.assertTrue(r.ready())
        self.assertTrue(r.successful())

    def test_wait(self):
        r = self.pool.apply_async(sleep_then, (1, 1.0))
        start = time.monotonic()
        self.assertIsNone(r.wait(SHORT))
        self.assertFalse(r.ready())
        self.assertGreaterEqual(time.monotonic() - start, SHORT * 0.9)
        r.wait(LONG)
        self.assertTrue(r.ready())

    def test_map_result_get_timeout(self):
        r = self.pool.map_async(_sleep_pair, [(1, 1.0), (2, 0.0)], chunksize=1)
        with self.assertRaises(multiprocessing.TimeoutError):
            r.get(SHORT)
        self.assertEqual(r.get(LONG), [1, 2])

    def test_async_result_class(self):
        r = self.pool.apply_async(square, (2,))
        self.assertIsInstance(r, mproc.pool.AsyncResult)
        self.assertEqual(r.get(LONG), 4)


class TestLifecycle(unittest.TestCase):

    def test_arguments(self):
        with self.assertRaises(ValueError):
            Pool(0)
        with self.assertRaises(ValueError):
            Pool(1, maxtasksperchild=0)
        with self.assertRaises(ValueError):
            Pool(1, maxtasksperchild=1.5)
        with self.assertRaises(TypeError):
            Pool(1, initializer=3)
        with self.assertRaises(TypeError):
            Pool(1, context=42)

    def test_default_processes(self):
        with Pool() as pool:
            self.assertEqual(len(pool.worker_pids), os.cpu_count())
            self.assertEqual(pool.map(square, range(5)), [0, 1, 4, 9, 16])

    def test_close_join(self):
        pool = Pool(2)
        results = [pool.apply_async(sleep_then, (i, 0.05)) for i in range(10)]
        pids = pool.worker_pids
        names = [pool._core.inqueue.name, pool._core.outqueue.name]
        pool.close()
        with self.assertRaises(ValueError):
            pool.apply_async(square, (1,))
        pool.join()
        self.assertEqual([r.get(0) for r in results], list(range(10)))
        self.assertFalse(any(pid_alive(pid) for pid in pids))
        for name in names:  # the automatic names were unlinked
            with self.assertRaises(FileNotFoundError):
                mproc.Queue.open(name)

    def test_close_join_stops_every_worker_by_message(self):
        # Any worker takes any stop message: join must still stop them all by message,
        # never by the 10 s kill that ends a worker that got none (a stall, then -9).
        for _ in range(15):
            pool = Pool(5)
            results = [pool.apply_async(identity, (i,)) for i in range(20)]
            pool.close()
            started = time.monotonic()
            pool.join()
            self.assertLess(time.monotonic() - started, 8.0, "a worker got no stop message")
            self.assertEqual([r.get(0) for r in results], list(range(20)))

    def test_join_while_running(self):
        with Pool(1) as pool:
            with self.assertRaises(ValueError):
                pool.join()

    def test_terminate_with_tasks_pending(self):
        pool = Pool(2)
        pids = pool.worker_pids
        results = [pool.apply_async(sleep_then, (i, 5.0)) for i in range(20)]
        time.sleep(0.2)
        pool.terminate()
        self.assertFalse(any(pid_alive(pid) for pid in pids))
        self.assertFalse(results[-1].ready())
        with self.assertRaises(ValueError):
            pool.apply(square, (1,))
        pool.join()  # allowed after terminate
        pool.terminate()  # idempotent

    def test_context_manager_terminates(self):
        with Pool(2) as pool:
            pids = pool.worker_pids
            r = pool.apply_async(sleep_then, (1, 30.0))
        self.assertFalse(any(pid_alive(pid) for pid in pids))
        self.assertFalse(r.ready())
        with self.assertRaises(ValueError):
            pool.map(square, [1])
        with self.assertRaises(ValueError):
            with pool:
                pass

    def test_garbage_collected_pool_is_terminated(self):
        pool = Pool(1)
        pids = pool.worker_pids
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            del pool
            import gc
            gc.collect()
        self.assertTrue(wait_until(lambda: not any(pid_alive(p) for p in pids)))

    def test_forked_child_does_not_tear_the_pool_down(self):
        # A child forked from the pool's process inherits the Pool object; terminating
        # it there (as its exit would, through the finalizer) must leave the parent's
        # pool, names and spill folder alone.
        with Pool(2) as pool:
            pid = os.fork()
            if pid == 0:
                try:
                    pool.terminate()
                    pool.join()
                finally:
                    os._exit(0)
            _, status = os.waitpid(pid, 0)
            self.assertEqual(status, 0)
            self.assertTrue(os.path.isdir(pool._core.spill_dir))
            self.assertEqual(pool.map(square, range(10)), [i * i for i in range(10)])
            data = os.urandom(100 * 1024)
            self.assertEqual(pool.apply(big_echo, (data,)), data + data)

    def test_initializer(self):
        with Pool(2, initializer=initializer, initargs=("ready",)) as pool:
            self.assertEqual(pool.map(get_initialized, range(4)), ["ready"] * 4)

    def test_maxtasksperchild(self):
        with Pool(2, maxtasksperchild=2) as pool:
            pids = [pool.apply(getpid) for _ in range(10)]
            self.assertGreaterEqual(len(set(pids)), 5)
            for pid in set(pids):
                self.assertLessEqual(pids.count(pid), 2)
            # map chunks count as tasks too; the pool keeps its size.
            self.assertEqual(pool.map(square, range(40), chunksize=1),
                             [i * i for i in range(40)])
            self.assertTrue(wait_until(lambda: len(pool.worker_pids) == 2))

    def test_worker_pids(self):
        with Pool(3) as pool:
            pids = pool.worker_pids
            self.assertEqual(len(pids), 3)
            self.assertTrue(all(pid_alive(p) for p in pids))
            seen = set(pool.map(sleep_and_pid, [0.2] * 6, chunksize=1))
            self.assertTrue(seen <= set(pids))


class TestDeadWorkers(unittest.TestCase):
    """What CPython cannot do: a worker that dies fails its own task only."""

    context = None

    def make_pool(self, processes=2):
        pool = Pool(processes, context=self.context)
        self.addCleanup(pool.terminate)
        return pool

    def test_sigkill_fails_that_task_only(self):
        pool = self.make_pool()
        before = set(pool.worker_pids)
        results = [pool.apply_async(kill_self_if, (i,)) for i in range(8)]
        for i, r in enumerate(results):
            if i == 3:
                with self.assertRaises(WorkerLostError) as caught:
                    r.get(LONG)
                exc = caught.exception
                self.assertIsInstance(exc, mproc.BrokenError)
                self.assertIn("SIGKILL", str(exc))
                self.assertIn(str(exc.pid), str(exc))
                self.assertIn(exc.pid, before)
                self.assertEqual(exc.exitcode, -signal.SIGKILL)
            else:
                self.assertEqual(r.get(LONG), i)
        # A replacement worker exists and the pool keeps its size.
        self.assertTrue(wait_until(
            lambda: len(pool.worker_pids) == 2 and caught.exception.pid not in pool.worker_pids))
        after = set(pool.worker_pids)
        self.assertEqual(len(after - before), 1)
        self.assertTrue(all(pid_alive(p) for p in after))
        self.assertEqual(pool.map(square, range(20), chunksize=1),
                         [i * i for i in range(20)])

    def test_os_exit_in_task(self):
        pool = self.make_pool()
        with self.assertRaises(WorkerLostError) as caught:
            pool.apply(exit_worker, (7,))
        self.assertIn("exited with status 7", str(caught.exception))
        self.assertEqual(pool.apply(square, (6,)), 36)

    def test_kill_inside_map(self):
        pool = self.make_pool()
        with self.assertRaises(WorkerLostError):
            pool.map(kill_self_if, range(10), chunksize=2)
        self.assertEqual(pool.map(square, range(10)), [i * i for i in range(10)])
        it = pool.imap(kill_self_if, range(6))
        got = []
        for i in range(6):
            try:
                got.append(it.next(LONG))
            except WorkerLostError:
                got.append("lost")
        self.assertEqual(got, [0, 1, 2, "lost", 4, 5])

    def test_idle_worker_killed_from_outside(self):
        pool = self.make_pool()
        victim = pool.worker_pids[0]
        os.kill(victim, signal.SIGKILL)
        self.assertTrue(wait_until(
            lambda: victim not in pool.worker_pids and len(pool.worker_pids) == 2))
        self.assertEqual(pool.map(square, range(10), chunksize=1),
                         [i * i for i in range(10)])

    def test_busy_worker_killed_from_outside(self):
        pool = self.make_pool(1)
        victim = pool.worker_pids[0]
        slow = pool.apply_async(sleep_then, (1, 30.0))
        queued = pool.apply_async(square, (9,))
        # Wait until the worker has started the slow task (it records it in its slot).
        self.assertTrue(wait_until(lambda: pool._core.slots.view[0] > 0))
        os.kill(victim, signal.SIGKILL)
        with self.assertRaises(WorkerLostError) as caught:
            slow.get(LONG)
        self.assertIn(str(victim), str(caught.exception))
        self.assertEqual(queued.get(LONG), 81)

    def pool_with_a_worker_dying_after_get(self, n):
        """A 2-worker pool in which the first worker to take its n-th task message dies
        (os._exit(9)) right then, before recording it (the test hook of _pool_worker);
        and the hook's token file, which exists once that worker has died."""
        token = os.path.join(tempfile.gettempdir(), "mproc-test-die-%d-%d" % (
            os.getpid(), random.randrange(1 << 30)))
        self.addCleanup(lambda: os.path.exists(token) and os.unlink(token))
        variable = _pool_worker.TEST_DIE_AFTER_GET
        os.environ[variable] = "%d:%s" % (n, token)
        try:
            pool = self.make_pool()  # the workers inherit the environment now
        finally:
            del os.environ[variable]
        return pool, token

    def check_lost_error(self, exc):
        self.assertIsInstance(exc, mproc.BrokenError)
        self.assertIn("taking a task", str(exc))
        self.assertIn("(pid %d)" % exc.pid, str(exc))
        self.assertEqual(exc.exitcode, 9)

    def test_death_between_get_and_record_in_map(self):
        pool, token = self.pool_with_a_worker_dying_after_get(3)
        start = time.monotonic()
        result = pool.map_async(square, range(20), chunksize=1)
        with self.assertRaises(WorkerLostError) as caught:
            result.get(LONG)  # without the fix: multiprocessing.TimeoutError
        self.assertLess(time.monotonic() - start, 30.0)
        self.assertTrue(os.path.exists(token))  # the hook did kill a worker
        self.check_lost_error(caught.exception)
        self.assertEqual(pool.map(square, range(20)), [i * i for i in range(20)])
        self.assertTrue(wait_until(lambda: len(pool.worker_pids) == 2))

    def test_death_between_get_and_record_in_imap(self):
        pool, token = self.pool_with_a_worker_dying_after_get(4)
        it = pool.imap(square, range(20))
        got = []
        for _ in range(20):
            try:
                got.append(it.next(LONG))
            except WorkerLostError as exc:
                self.check_lost_error(exc)
                got.append("lost")
        self.assertTrue(os.path.exists(token))
        self.assertEqual(got.count("lost"), 1)
        self.assertEqual([x for x in got if x != "lost"],
                         [i * i for i in range(20) if got[i] != "lost"])
        self.assertEqual(pool.map(square, range(20), chunksize=1),
                         [i * i for i in range(20)])

    def test_close_join_after_a_death(self):
        pool = self.make_pool()
        results = [pool.apply_async(kill_self_if, (i, 1)) for i in range(4)]
        pool.close()
        pool.join()
        self.assertEqual(results[0].get(0), 0)
        with self.assertRaises(WorkerLostError):
            results[1].get(0)
        self.assertEqual([r.get(0) for r in results[2:]], [2, 3])


class TestStartMethods(unittest.TestCase):

    def check_pool(self, context):
        with Pool(2, context=context, initializer=initializer, initargs=(5,)) as pool:
            self.assertEqual(pool.map(square, range(30)), [i * i for i in range(30)])
            self.assertEqual(pool.apply(get_initialized), 5)
            with self.assertRaises(CustomError):
                pool.apply(fail_with, (3,))
            with self.assertRaises(pickle.PicklingError):
                pool.apply_async(lambda: 0)
            with self.assertRaises(WorkerLostError):
                pool.apply(kill_self_if, (3,))
            self.assertEqual(sorted(pool.imap_unordered(square, range(10))),
                             [i * i for i in range(10)])

    def test_fork_by_name(self):
        self.check_pool("fork")

    def test_spawn_by_name(self):
        self.check_pool("spawn")

    def test_mproc_contexts(self):
        for method in ("fork", "spawn"):
            with self.subTest(method=method):
                self.check_pool(mproc.get_context(method))

    def test_cpython_context(self):
        # Workers started by CPython's multiprocessing still use mproc's queues.
        self.check_pool(multiprocessing.get_context("spawn"))

    def test_task_reference(self):
        task = mproc.Task("libc.so.6", "abs", "i(i)")
        cos = mproc.Task("libm.so.6", "cos", "d(d)")
        for method in ("fork", "spawn", "forkserver"):
            with self.subTest(method=method):
                with Pool(2, context=method) as pool:
                    self.assertEqual(pool.map(task, [-3, 4, -5]), [3, 4, 5])
                    self.assertEqual(pool.apply(task, (-7,)), 7)
                    self.assertEqual(pool.map(cos, [0.0]), [1.0])
                    self.assertEqual(list(pool.imap(task, [-1, -2])), [1, 2])


class TestSpawnDeadWorkers(TestDeadWorkers):
    context = "spawn"


if __name__ == "__main__":
    unittest.main()
