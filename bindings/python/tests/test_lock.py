"""mproc.Lock and mproc.RLock: multiprocessing's semantics between threads and processes,
naming, pickling by name, errors, and the death of the owner."""

import os
import pickle
import signal
import tempfile
import threading
import time
import unittest

from support import LONG, SHORT, MprocTestCase, spawn_context
import mproc


def _spawn_try_lock(lock, expect_held):
    """In a spawned child: the lock arrived by name; exit 0 if it is in the expected state."""
    got = lock.acquire(False)
    if got:
        lock.release()
    raise SystemExit(0 if got != expect_held else 3)


def _spawn_release(lock):
    lock.release()


class LockTest(MprocTestCase):

    def make(self, **kw):
        return self.named(mproc.Lock, **kw)

    def test_acquire_release(self):
        lock = self.make()
        self.assertIs(lock.acquire(), True)
        self.assertIs(lock.acquire(False), False)
        self.assertIs(lock.acquire(timeout=SHORT), False)
        self.assertIs(lock.acquire(True, -1), False)  # negative timeout: try once
        self.assertIs(lock.acquire(block=False, timeout=LONG), False)
        lock.release()
        self.assertIs(lock.acquire(timeout=0), True)
        lock.release()
        self.assertFalse(lock.owner_died)

    def test_context_manager(self):
        lock = self.make()
        with lock as got:
            self.assertIs(got, True)
            self.assertFalse(lock.acquire(False))
        self.assertTrue(lock.acquire(False))
        lock.release()

    def test_release_unlocked_raises_like_multiprocessing(self):
        lock = self.make()
        with self.assertRaisesRegex(ValueError, "semaphore or lock released too many times"):
            lock.release()

    def test_release_from_another_thread(self):
        lock = self.make()
        lock.acquire()
        t, res = self.thread(lock.release)
        self.join_thread(t)
        self.assertEqual(res, [None])
        self.assertTrue(lock.acquire(False))
        lock.release()

    def test_blocks_between_threads(self):
        lock = self.make()
        lock.acquire()
        t, res = self.thread(lambda: lock.acquire(timeout=LONG))
        time.sleep(SHORT)
        self.assertEqual(res, [])  # still waiting
        lock.release()
        self.join_thread(t)
        self.assertEqual(res, [True])
        lock.release()

    def test_mutual_exclusion_threads(self):
        lock = self.make()
        counter = [0]

        def work():
            for _ in range(2000):
                with lock:
                    v = counter[0]
                    counter[0] = v + 1
        threads = [self.thread(work)[0] for _ in range(4)]
        for t in threads:
            self.join_thread(t)
        self.assertEqual(counter[0], 8000)

    def test_forever_acquire_is_interruptible(self):
        lock = self.make()
        lock.acquire()
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        self.addCleanup(timer.cancel)
        start = time.monotonic()
        with self.assertRaises(KeyboardInterrupt):
            lock.acquire()
        self.assertLess(time.monotonic() - start, LONG)
        lock.release()

    def test_mutual_exclusion_processes(self):
        lock = self.make()
        fd, path = tempfile.mkstemp(prefix="mproc-lock-")
        os.write(fd, b"0")
        os.close(fd)
        self.addCleanup(os.unlink, path)

        def work():
            for _ in range(300):  # a read-modify-write of a file, under the lock
                with lock:
                    with open(path, "r+") as f:
                        v = int(f.read())
                        f.seek(0)
                        f.write(str(v + 1))
            return True
        pids = [self.fork(work) for _ in range(2)]
        work()
        for pid in pids:
            self.assertChildOk(pid)
        with open(path) as f:
            self.assertEqual(int(f.read()), 900)

    def test_bad_timeouts(self):
        lock = self.make()
        with self.assertRaises(TypeError):
            lock.acquire(timeout="1")
        with self.assertRaises(ValueError):
            lock.acquire(timeout=float("nan"))

    def test_between_processes_fork(self):
        lock = self.make()
        lock.acquire()

        def child():
            if lock.acquire(False):
                return False
            return lock.acquire(timeout=LONG)  # the parent releases
        pid = self.fork(child)
        time.sleep(SHORT)
        lock.release()
        self.assertChildOk(pid)
        # The child exited holding the lock: the next acquire takes it over from the dead.
        self.assertTrue(lock.acquire(timeout=LONG))
        self.assertTrue(lock.owner_died)
        lock.release()

    def test_open_by_name_and_pickle(self):
        lock = self.make()
        other = mproc.Lock.open(lock.name)
        self.addCleanup(other.close)
        self.assertEqual(other.name, lock.name)
        lock.acquire()
        self.assertFalse(other.acquire(False))
        other.release()  # a Lock may be released through any handle
        copy = pickle.loads(pickle.dumps(lock))
        self.addCleanup(copy.close)
        self.assertTrue(copy.acquire(False))
        self.assertFalse(lock.acquire(False))
        copy.release()

    def test_spawn_child_gets_lock_by_name(self):
        lock = self.make()
        ctx = spawn_context()
        lock.acquire()
        p = ctx.Process(target=_spawn_try_lock, args=(lock, True))
        p.start()
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)
        p = ctx.Process(target=_spawn_release, args=(lock,))
        p.start()
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)
        self.assertTrue(lock.acquire(False))
        lock.release()

    def test_anonymous_lock_has_a_name_and_is_unlinked_on_close(self):
        lock = mproc.Lock()
        name = lock.name
        self.assertTrue(name)
        mproc.Lock.open(name).close()
        lock.close()
        with self.assertRaises(FileNotFoundError):
            mproc.Lock.open(name)

    def test_open_existing_and_exists(self):
        name = self.name(mproc.Lock)
        a = mproc.Lock(name=name)
        self.addCleanup(a.close)
        with self.assertRaises(FileExistsError):
            mproc.Lock(name=name)
        b = mproc.Lock(name=name, open_existing=True)
        self.addCleanup(b.close)
        a.acquire()
        self.assertFalse(b.acquire(False))
        a.release()

    def test_mode(self):
        lock = self.make(mode=0o640)
        self.assertEqual(os.stat("/dev/shm/mproc." + lock.name).st_mode & 0o777, 0o640)

    def test_open_missing_and_wrong_kind(self):
        with self.assertRaises(FileNotFoundError):
            mproc.Lock.open(self.name(mproc.Lock))
        rlock = self.named(mproc.RLock)
        with self.assertRaises(TypeError):
            mproc.Lock.open(rlock.name)
        with self.assertRaises(ValueError):
            mproc.Lock(name="bad/name")
        with self.assertRaises(TypeError):
            mproc.Lock(name=3)

    def test_closed(self):
        lock = self.make()
        lock.close()
        lock.close()  # idempotent
        self.assertTrue(lock.closed)
        with self.assertRaises(ValueError):
            lock.acquire()
        with self.assertRaises(ValueError):
            lock.release()

    def test_close_wakes_blocked_acquire(self):
        lock = self.make()
        opened = mproc.Lock.open(lock.name)
        lock.acquire()
        self.assertCloseWakes(lambda: opened.acquire(timeout=LONG), opened.close, ValueError)
        lock.release()

    def test_owner_death(self):
        lock = self.make()
        pid = self.fork_holder(lock.acquire)
        self.assertFalse(lock.acquire(False))
        os.kill(pid, signal.SIGKILL)
        self.assertEqual(self.join(pid), -signal.SIGKILL)
        self.assertIs(lock.acquire(timeout=LONG), True)
        self.assertIs(lock.owner_died, True)
        self.assertFalse(lock.acquire(False))  # now held by us
        lock.release()
        self.assertTrue(lock.acquire(False))
        self.assertIs(lock.owner_died, False)
        lock.release()

    def test_owner_death_wakes_a_blocked_acquire(self):
        lock = self.make()
        pid = self.fork_holder(lock.acquire)
        t, res = self.thread(lambda: lock.acquire(timeout=LONG))
        time.sleep(SHORT)
        os.kill(pid, signal.SIGKILL)
        self.join(pid)
        self.join_thread(t)
        self.assertEqual(res, [True])
        self.assertTrue(lock.owner_died)
        lock.release()


class RLockTest(MprocTestCase):

    def make(self):
        return self.named(mproc.RLock)

    def test_recursion(self):
        lock = self.make()
        self.assertTrue(lock.acquire())
        self.assertTrue(lock.acquire(False))
        with lock:
            self.assertEqual(lock._count(), 3)
        self.assertTrue(lock._is_mine())
        lock.release()
        lock.release()
        self.assertFalse(lock._is_mine())
        with self.assertRaisesRegex(AssertionError,
                                    "attempt to release recursive lock not owned by thread"):
            lock.release()

    def test_other_thread_cannot_acquire_or_release(self):
        lock = self.make()
        lock.acquire()
        t, res = self.thread(lambda: lock.acquire(timeout=SHORT))
        self.join_thread(t)
        self.assertEqual(res, [False])
        t, res = self.thread(lock.release)
        self.join_thread(t)
        self.assertIsInstance(res[0], AssertionError)
        t, res = self.thread(lambda: lock.acquire(timeout=LONG))
        time.sleep(SHORT)
        lock.release()
        self.join_thread(t)
        self.assertEqual(res, [True])

    def test_between_processes_and_owner_death(self):
        lock = self.make()
        pid = self.fork_holder(lambda: (lock.acquire(), lock.acquire()))
        self.assertFalse(lock.acquire(timeout=SHORT))
        os.kill(pid, signal.SIGKILL)
        self.join(pid)
        self.assertTrue(lock.acquire(timeout=LONG))
        self.assertTrue(lock.owner_died)
        self.assertEqual(lock._count(), 1)
        lock.release()
        self.assertFalse(lock._is_mine())

    def test_spawn_child_gets_rlock_by_name(self):
        lock = self.make()
        lock.acquire()
        p = spawn_context().Process(target=_spawn_try_lock, args=(lock, True))
        p.start()
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)
        lock.release()
        p = spawn_context().Process(target=_spawn_try_lock, args=(lock, False))
        p.start()
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)

    def test_pickle_and_wrong_kind(self):
        lock = self.make()
        copy = pickle.loads(pickle.dumps(lock))
        self.addCleanup(copy.close)
        self.assertIsInstance(copy, mproc.RLock)
        with copy:
            self.assertTrue(lock._is_mine())  # same thread, same lock
        with self.assertRaises(TypeError):
            mproc.RLock.open(mproc.Lock(name=self.name(mproc.Lock)).name)


if __name__ == "__main__":
    unittest.main()
