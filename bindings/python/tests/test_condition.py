"""mproc.Condition: wait / notify / wait_for over its own RLock, an mproc Lock or RLock,
between threads and processes, opened by name and pickled, with multiprocessing's errors."""

import os
import pickle
import signal
import time
import unittest

from support import LONG, SHORT, MprocTestCase, spawn_context, wait_until
import mproc


def _spawn_wait(cond, ready):
    """In a spawned child: signal readiness while holding the lock, then wait."""
    with cond:
        ready.release()
        ok = cond.wait(LONG)
    raise SystemExit(0 if ok else 3)


class ConditionTest(MprocTestCase):

    def make(self, lock=None):
        return self.named(mproc.Condition, lock)

    def sem(self, value=0):
        return self.named(mproc.Semaphore, value)

    def test_default_lock_is_recursive(self):
        cond = self.make()
        self.assertTrue(cond.acquire())
        self.assertTrue(cond.acquire(False))
        self.assertIs(cond.wait(SHORT), False)  # releases both levels, restores both
        cond.release()
        cond.release()
        with self.assertRaises(AssertionError):
            cond.release()

    def test_over_a_lock(self):
        lock = self.named(mproc.Lock)
        cond = self.make(lock)
        with cond:
            self.assertFalse(lock.acquire(False))  # the condition's lock is that lock
            self.assertFalse(cond.acquire(False))  # not recursive
            self.assertIs(cond.wait(SHORT), False)
            self.assertFalse(lock.acquire(False))  # re-acquired after the wait
        self.assertTrue(lock.acquire(False))
        lock.release()
        with self.assertRaisesRegex(ValueError, "released too many times"):
            cond.release()

    def test_over_an_rlock(self):
        rlock = self.named(mproc.RLock)
        cond = self.make(rlock)
        with rlock:
            with cond:
                self.assertEqual(rlock._count(), 2)
                self.assertFalse(cond.wait(SHORT))
                self.assertEqual(rlock._count(), 2)

    def test_bad_lock(self):
        import threading
        for bad in (threading.Lock(), "lock", mproc.Semaphore()):
            with self.assertRaises(TypeError):
                mproc.Condition(bad)

    def test_not_holding_the_lock(self):
        cond = self.make()
        with self.assertRaisesRegex(AssertionError, "must acquire"):
            cond.wait(SHORT)
        with self.assertRaisesRegex(AssertionError, "lock is not owned"):
            cond.notify()
        with self.assertRaisesRegex(AssertionError, "lock is not owned"):
            cond.notify_all()
        with self.assertRaises(AssertionError):
            cond.wait_for(lambda: False, SHORT)

    def test_notify_between_threads(self):
        cond = self.make()
        waiting = [0]

        def waiter():
            with cond:
                waiting[0] += 1
                return cond.wait(LONG)
        runs = [self.thread(waiter) for _ in range(2)]
        self.assertTrue(self._wait_for_count(cond, waiting, 2))
        with cond:
            cond.notify()  # wakes exactly one
        time.sleep(SHORT * 3)
        self.assertEqual(sorted(len(r) for _, r in runs), [0, 1])
        with cond:
            cond.notify(5)
        for t, res in runs:
            self.join_thread(t)
            self.assertEqual(res, [True])

    def _wait_for_count(self, cond, box, n):
        end = time.monotonic() + LONG
        while time.monotonic() < end:
            with cond:
                if box[0] == n:
                    return True
            time.sleep(0.01)
        return False

    def test_notify_all_between_threads_and_nothing_to_notify(self):
        cond = self.make()
        with cond:
            cond.notify()  # no waiter: fine
            cond.notify(0)
            cond.notify(-1)
            cond.notify_all()
        waiting = [0]

        def waiter():
            with cond:
                waiting[0] += 1
                return cond.wait(LONG)
        runs = [self.thread(waiter) for _ in range(4)]
        self.assertTrue(self._wait_for_count(cond, waiting, 4))
        with cond:
            cond.notify(2)
        self.assertTrue(wait_until(lambda: sum(len(r) for _, r in runs) == 2))
        time.sleep(SHORT * 3)
        self.assertEqual(sum(len(r) for _, r in runs), 2)
        with cond:
            cond.notify_all()
        for t, res in runs:
            self.join_thread(t)
            self.assertEqual(res, [True])

    def test_wait_for(self):
        cond = self.make()
        state = [0]
        with cond:
            self.assertEqual(cond.wait_for(lambda: 7), 7)  # true at once: no wait
            start = time.monotonic()
            self.assertEqual(cond.wait_for(lambda: state[0], 0.2), 0)
            self.assertGreaterEqual(time.monotonic() - start, 0.15)

        def setter():
            for i in range(1, 4):
                time.sleep(0.02)
                with cond:
                    state[0] = i
                    cond.notify_all()
        t, _ = self.thread(setter)
        with cond:
            self.assertTrue(cond.wait_for(lambda: state[0] == 3, LONG))
        self.join_thread(t)

    def test_notify_across_processes(self):
        cond = self.make()
        ready = self.sem()

        def child():
            with cond:
                ready.release()
                return cond.wait(LONG)
        pid = self.fork(child)
        self.assertTrue(ready.acquire(timeout=LONG))
        with cond:  # the child holds the lock until its wait releases it
            cond.notify()
        self.assertChildOk(pid)

    def test_notify_all_across_processes_and_wait_for(self):
        cond = self.make()
        ready = self.sem()
        state = self.sem()  # its value is the shared state the predicate reads

        def child():
            with cond:
                ready.release()
                return cond.wait_for(lambda: state.get_value() >= 1, LONG)
        pids = [self.fork(child) for _ in range(3)]
        for _ in pids:
            self.assertTrue(ready.acquire(timeout=LONG))
        with cond:
            cond.notify_all()  # a wake-up with the predicate still false: they wait again
        time.sleep(SHORT)
        with cond:
            state.release()
            cond.notify_all()
        for pid in pids:
            self.assertChildOk(pid)

    def test_spawn_child_opens_condition_and_lock_by_name(self):
        lock = self.named(mproc.Lock)
        cond = self.make(lock)
        ready = self.sem()
        p = spawn_context().Process(target=_spawn_wait, args=(cond, ready))
        p.start()
        self.assertTrue(ready.acquire(timeout=LONG))
        with cond:
            cond.notify()
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)

    def test_open_by_name(self):
        lock = self.named(mproc.Lock)
        cond = self.make(lock)
        opened = mproc.Condition.open(cond.name)
        self.addCleanup(opened.close)
        with opened:
            self.assertFalse(lock.acquire(False))  # the opened condition has the lock too
            self.assertFalse(opened.wait(SHORT))
        self.assertTrue(lock.acquire(False))
        lock.release()
        copy = pickle.loads(pickle.dumps(cond))
        self.addCleanup(copy.close)
        self.assertEqual(copy._lock_kind, "Lock")
        with self.assertRaisesRegex(ValueError, "released too many times"):
            copy.release()

    def test_notified_waiter_killed_does_not_swallow_notify(self):
        cond = self.make()
        ready = self.sem()

        def child():
            with cond:
                ready.release()
                cond.wait(LONG * 4)
            return True
        pid = self.fork(child)
        self.assertTrue(ready.acquire(timeout=LONG))
        with cond:
            pass  # the child is waiting now
        waiting = [0]

        def waiter():
            with cond:
                waiting[0] += 1
                return cond.wait(LONG)
        t, res = self.thread(waiter)
        self.assertTrue(self._wait_for_count(cond, waiting, 1))
        os.kill(pid, signal.SIGKILL)
        self.join(pid)
        with cond:
            cond.notify()  # the dead, older waiter is skipped
        self.join_thread(t)
        self.assertEqual(res, [True])

    def test_owner_death(self):
        cond = self.make()
        pid = self.fork_holder(cond.acquire)
        os.kill(pid, signal.SIGKILL)
        self.join(pid)
        self.assertTrue(cond.acquire(timeout=LONG))
        self.assertTrue(cond.owner_died)
        cond.release()

    def test_wait_reacquires_from_a_dead_notifier(self):
        cond = self.make()
        cond.acquire()

        def child():
            cond.acquire()  # free once the parent waits
            cond.notify()
            os.kill(os.getpid(), signal.SIGKILL)  # dies holding the lock
        pid = self.fork(child)
        self.assertIs(cond.wait(LONG), True)
        self.assertIs(cond.owner_died, True)
        self.assertEqual(self.join(pid), -signal.SIGKILL)
        cond.release()
        with self.assertRaises(AssertionError):
            cond.release()  # held once, not at the dead owner's level

    def test_errors(self):
        with self.assertRaises(FileNotFoundError):
            mproc.Condition.open(self.name(mproc.Condition))
        lock = self.named(mproc.Lock)
        with self.assertRaises(TypeError):
            mproc.Condition.open(lock.name)
        cond = self.make()
        cond.close()
        for call in (cond.acquire, cond.release, cond.wait, cond.notify, cond.notify_all):
            with self.assertRaises(ValueError):
                call()


if __name__ == "__main__":
    unittest.main()
