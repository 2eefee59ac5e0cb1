"""mproc.Semaphore and mproc.BoundedSemaphore: counting, bounds, timeouts, errors, between
threads and processes, by name."""

import os
import pickle
import time
import unittest

from support import LONG, SHORT, MprocTestCase, spawn_context
import mproc


def _spawn_release_n(sem, n):
    for _ in range(n):
        sem.release()


class SemaphoreTest(MprocTestCase):

    def make(self, value=1, kind=mproc.Semaphore):
        return self.named(kind, value)

    def test_counting(self):
        sem = self.make(2)
        self.assertEqual(sem.get_value(), 2)
        self.assertTrue(sem.acquire())
        self.assertTrue(sem.acquire(False))
        self.assertFalse(sem.acquire(False))
        self.assertFalse(sem.acquire(timeout=SHORT))
        self.assertEqual(sem.get_value(), 0)
        sem.release()
        sem.release()
        sem.release()  # unbounded: above the initial value
        self.assertEqual(sem.get_value(), 3)
        with sem as got:
            self.assertIs(got, True)
            self.assertEqual(sem.get_value(), 2)
        self.assertEqual(sem.get_value(), 3)

    def test_default_value_is_one(self):
        sem = mproc.Semaphore()
        self.addCleanup(sem.close)
        self.assertEqual(sem.get_value(), 1)

    def test_bounded(self):
        sem = self.make(1, mproc.BoundedSemaphore)
        self.assertIsInstance(sem, mproc.Semaphore)
        with self.assertRaisesRegex(ValueError, "released too many times"):
            sem.release()
        sem.acquire()
        sem.release()
        self.assertEqual(sem.get_value(), 1)

    def test_bad_values(self):
        with self.assertRaises(ValueError):
            mproc.Semaphore(-1)
        with self.assertRaises(OverflowError):
            mproc.Semaphore(2 ** 31)
        with self.assertRaises(TypeError):
            mproc.Semaphore(1.5)
        with self.assertRaises(TypeError):
            mproc.Semaphore("1")
        top = self.make(2 ** 31 - 1)
        with self.assertRaises(OverflowError):
            top.release()

    def test_blocks_between_threads(self):
        sem = self.make(0)
        t, res = self.thread(lambda: sem.acquire(timeout=LONG))
        time.sleep(SHORT)
        self.assertEqual(res, [])
        sem.release()
        self.join_thread(t)
        self.assertEqual(res, [True])
        self.assertEqual(sem.get_value(), 0)

    def test_wait_forever_in_slices(self):
        sem = self.make(0)
        t, res = self.thread(sem.acquire)
        time.sleep(0.6)  # longer than one slice: the loop must keep waiting
        self.assertEqual(res, [])
        sem.release()
        self.join_thread(t)
        self.assertEqual(res, [True])

    def test_between_processes(self):
        sem = self.make(0)
        done = self.make(0)

        def child():
            ok = sem.acquire(timeout=LONG)
            done.release()
            return ok
        pids = [self.fork(child) for _ in range(3)]
        time.sleep(SHORT)
        self.assertEqual(done.get_value(), 0)
        for _ in range(3):
            sem.release()
        for pid in pids:
            self.assertChildOk(pid)
        self.assertEqual(done.get_value(), 3)

    def test_spawn_child_releases_by_name(self):
        sem = self.make(0)
        p = spawn_context().Process(target=_spawn_release_n, args=(sem, 2))
        p.start()
        self.assertTrue(sem.acquire(timeout=LONG))
        self.assertTrue(sem.acquire(timeout=LONG))
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)

    def test_open_keeps_the_kind(self):
        bounded = self.make(2, mproc.BoundedSemaphore)
        opened = mproc.Semaphore.open(bounded.name)
        self.addCleanup(opened.close)
        self.assertIsInstance(opened, mproc.BoundedSemaphore)
        copy = pickle.loads(pickle.dumps(bounded))
        self.addCleanup(copy.close)
        self.assertIsInstance(copy, mproc.BoundedSemaphore)
        copy.acquire()
        self.assertEqual(bounded.get_value(), 1)
        plain = self.make(3)
        with self.assertRaises(TypeError):
            mproc.BoundedSemaphore.open(plain.name)
        copy = pickle.loads(pickle.dumps(plain))
        self.addCleanup(copy.close)
        self.assertIs(type(copy), mproc.Semaphore)

    def test_errors(self):
        with self.assertRaises(FileNotFoundError):
            mproc.Semaphore.open(self.name(mproc.Semaphore))
        event = self.named(mproc.Event)
        with self.assertRaises(TypeError):
            mproc.Semaphore.open(event.name)
        sem = self.make()
        with self.assertRaises(FileExistsError):
            mproc.Semaphore(name=sem.name)
        again = mproc.Semaphore(5, name=sem.name, open_existing=True)
        self.addCleanup(again.close)
        self.assertEqual(again.get_value(), 1)  # the existing value is kept
        sem.close()
        for call in (sem.acquire, sem.release, sem.get_value):
            with self.assertRaises(ValueError):
                call()

    def test_mode(self):
        sem = self.named(mproc.Semaphore, mode=0o600)
        self.assertEqual(os.stat("/dev/shm/mproc." + sem.name).st_mode & 0o777, 0o600)


if __name__ == "__main__":
    unittest.main()
