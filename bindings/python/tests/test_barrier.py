"""mproc.Barrier: indices, breaking by abort / timeout / reset, the action (where it runs
across processes), between threads and processes, by name."""

import functools
import os
import pickle
import tempfile
import threading
import unittest

from support import LONG, SHORT, MprocTestCase, spawn_context, wait_until
import mproc


def record_pid(path):
    """A picklable action: appends this process's pid to `path`."""
    with open(path, "a") as f:
        f.write("%d\n" % os.getpid())


def _spawn_wait_last(barrier):
    """In a spawned child: arrive (last, the parent made sure) and exit 0 if passed."""
    barrier.wait(LONG)


class BarrierTest(MprocTestCase):

    def make(self, parties, **kw):
        return self.named(mproc.Barrier, parties, **kw)

    def pids_file(self):
        fd, path = tempfile.mkstemp(prefix="mproc-barrier-")
        os.close(fd)
        self.addCleanup(os.unlink, path)
        return path

    @staticmethod
    def pids_in(path):
        with open(path) as f:
            return [int(line) for line in f.read().split()]

    def test_threads_indices_and_reuse(self):
        barrier = self.make(3)
        self.assertEqual(barrier.parties, 3)
        for _ in range(2):  # the barrier is reusable
            runs = [self.thread(lambda: barrier.wait(LONG)) for _ in range(2)]
            self.assertTrue(wait_until(lambda: barrier.n_waiting == 2))
            last = barrier.wait(LONG)
            for t, _ in runs:
                self.join_thread(t)
            self.assertEqual(sorted([last] + [r[0] for _, r in runs]), [0, 1, 2])
            self.assertEqual(last, 2)
        self.assertFalse(barrier.broken)
        self.assertEqual(barrier.n_waiting, 0)

    def test_processes(self):
        barrier = self.make(3)
        pids = [self.fork(lambda: barrier.wait(LONG) in (0, 1, 2)) for _ in range(2)]
        self.assertIn(barrier.wait(LONG), (0, 1, 2))
        for pid in pids:
            self.assertChildOk(pid)

    def test_abort(self):
        barrier = self.make(2)
        t, res = self.thread(lambda: barrier.wait(LONG))
        self.assertTrue(wait_until(lambda: barrier.n_waiting == 1))
        barrier.abort()
        self.join_thread(t)
        self.assertIsInstance(res[0], threading.BrokenBarrierError)
        self.assertTrue(barrier.broken)
        with self.assertRaises(threading.BrokenBarrierError):
            barrier.wait(LONG)
        barrier.reset()
        self.assertFalse(barrier.broken)

    def test_timeout_breaks(self):
        barrier = self.make(2)
        with self.assertRaises(threading.BrokenBarrierError):
            barrier.wait(SHORT)
        self.assertTrue(barrier.broken)
        barrier.reset()
        default = self.make(2, timeout=SHORT)
        with self.assertRaises(threading.BrokenBarrierError):
            default.wait()  # the constructor's timeout
        self.assertTrue(default.broken)

    def test_timeout_of_another_process_breaks(self):
        barrier = self.make(3)
        def child():
            try:
                barrier.wait(LONG)
            except threading.BrokenBarrierError:
                return True
            return False
        pid = self.fork(child)
        self.assertTrue(wait_until(lambda: barrier.n_waiting == 1))
        with self.assertRaises(threading.BrokenBarrierError):
            barrier.wait(SHORT)
        self.assertChildOk(pid)  # the child's wait raised BrokenBarrierError

    def test_reset_while_waiting(self):
        barrier = self.make(2)
        t, res = self.thread(lambda: barrier.wait(LONG))
        self.assertTrue(wait_until(lambda: barrier.n_waiting == 1))
        barrier.reset()
        self.join_thread(t)
        self.assertIsInstance(res[0], threading.BrokenBarrierError)
        self.assertFalse(barrier.broken)

    def test_action_in_threads(self):
        calls = []
        barrier = self.make(2, action=lambda: calls.append(threading.get_ident()))
        t, res = self.thread(lambda: barrier.wait(LONG))
        self.assertTrue(wait_until(lambda: barrier.n_waiting == 1))
        barrier.wait(LONG)
        self.join_thread(t)
        self.assertEqual(calls, [threading.get_ident()])  # run by the last to arrive

    def test_action_exception(self):
        def boom():
            raise KeyError("boom")
        barrier = self.make(2, action=boom)
        t, res = self.thread(lambda: barrier.wait(LONG))
        self.assertTrue(wait_until(lambda: barrier.n_waiting == 1))
        with self.assertRaises(KeyError):
            barrier.wait(LONG)
        self.join_thread(t)
        self.assertIsInstance(res[0], threading.BrokenBarrierError)
        self.assertTrue(barrier.broken)
        with self.assertRaises(threading.BrokenBarrierError):
            barrier.wait(LONG)  # not the action's exception again

    def test_action_runs_only_where_the_last_object_has_one(self):
        path = self.pids_file()
        barrier = self.make(2, action=functools.partial(record_pid, path))

        # Round 1: a child that opened the name without an action arrives last: no action.
        def child_opened():
            b = mproc.Barrier.open(barrier.name)
            b.wait(LONG)
            return True
        pid = self.fork(lambda: wait_until(lambda: barrier.n_waiting == 1) and child_opened())
        barrier.wait(LONG)
        self.assertChildOk(pid)
        self.assertEqual(self.pids_in(path), [])

        # Round 2: the same, the parent arriving last: the action runs in the parent.
        pid = self.fork(child_opened)
        self.assertTrue(wait_until(lambda: barrier.n_waiting == 1))
        barrier.wait(LONG)
        self.assertChildOk(pid)
        self.assertEqual(self.pids_in(path), [os.getpid()])

        # Round 3: a fork child inherits the object and its action, and arrives last.
        pid = self.fork(lambda: wait_until(lambda: barrier.n_waiting == 1)
                        and barrier.wait(LONG) == 1)
        barrier.wait(LONG)
        self.assertChildOk(pid)
        self.assertEqual(self.pids_in(path), [os.getpid(), pid])

    def test_action_pickled_to_a_spawned_child(self):
        path = self.pids_file()
        barrier = self.make(2, action=functools.partial(record_pid, path))
        p = spawn_context().Process(target=_spawn_wait_last, args=(barrier,))
        t, res = self.thread(lambda: barrier.wait(LONG))
        self.assertTrue(wait_until(lambda: barrier.n_waiting == 1))
        p.start()
        p.join(LONG)
        self.join_thread(t)
        self.assertEqual(p.exitcode, 0)
        self.assertEqual(res, [0])
        self.assertEqual(self.pids_in(path), [p.pid])

    def test_unpicklable_action(self):
        barrier = self.make(2, action=lambda: None)
        with self.assertRaises(Exception):
            pickle.dumps(barrier)
        plain = self.make(2, timeout=3.5)
        copy = pickle.loads(pickle.dumps(plain))
        self.addCleanup(copy.close)
        self.assertEqual(copy._timeout, 3.5)
        self.assertEqual(copy.parties, 2)

    def test_errors(self):
        for bad in (0, -1, 0x10000):
            with self.assertRaises(ValueError):
                mproc.Barrier(bad)
        with self.assertRaises(TypeError):
            mproc.Barrier(2.0)
        with self.assertRaises(TypeError):
            mproc.Barrier(2, action=5)
        with self.assertRaises(FileNotFoundError):
            mproc.Barrier.open(self.name(mproc.Barrier))
        event = self.named(mproc.Event)
        with self.assertRaises(TypeError):
            mproc.Barrier.open(event.name)
        barrier = self.make(2)
        with self.assertRaises(FileExistsError):
            mproc.Barrier(2, name=barrier.name)
        barrier.close()
        for call in (barrier.wait, barrier.reset, barrier.abort):
            with self.assertRaises(ValueError):
                call()
        with self.assertRaises(ValueError):
            barrier.parties


if __name__ == "__main__":
    unittest.main()
