"""mproc.Event: set, clear, wait with and without timeout, between threads and processes."""

import pickle
import time
import unittest

from support import LONG, SHORT, MprocTestCase, spawn_context
import mproc


def _spawn_set(event):
    event.set()


class EventTest(MprocTestCase):

    def make(self):
        return self.named(mproc.Event)

    def test_flag(self):
        event = self.make()
        self.assertIs(event.is_set(), False)
        self.assertIs(event.wait(SHORT), False)
        self.assertIs(event.wait(0), False)
        self.assertIs(event.wait(-1), False)
        event.set()
        self.assertIs(event.is_set(), True)
        self.assertIs(event.wait(), True)
        self.assertIs(event.wait(0), True)
        event.set()
        event.clear()
        self.assertIs(event.is_set(), False)

    def test_wakes_every_thread(self):
        event = self.make()
        runs = [self.thread(lambda: event.wait(LONG)) for _ in range(3)]
        forever = self.thread(event.wait)  # sliced forever wait
        time.sleep(0.6)
        self.assertEqual([r for _, r in runs] + [forever[1]], [[], [], [], []])
        event.set()
        for t, res in runs + [forever]:
            self.join_thread(t)
            self.assertEqual(res, [True])

    def test_between_processes(self):
        event = self.make()
        pids = [self.fork(lambda: event.wait(LONG)) for _ in range(2)]
        time.sleep(SHORT)
        event.set()
        for pid in pids:
            self.assertChildOk(pid)
        event.clear()
        pid = self.fork(lambda: not event.wait(SHORT))
        self.assertChildOk(pid)

    def test_spawn_child_sets_by_name(self):
        event = self.make()
        p = spawn_context().Process(target=_spawn_set, args=(event,))
        p.start()
        self.assertTrue(event.wait(LONG))
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)

    def test_unlink_keeps_handles_working(self):
        event = self.make()
        event.unlink()
        with self.assertRaises(FileNotFoundError):
            mproc.Event.open(event.name)
        event.set()
        self.assertTrue(event.wait(0))
        with self.assertRaises(FileNotFoundError):
            mproc.Event.unlink_name(event.name)

    def test_open_pickle_errors(self):
        event = self.make()
        copy = pickle.loads(pickle.dumps(event))
        self.addCleanup(copy.close)
        opened = mproc.Event.open(event.name)
        self.addCleanup(opened.close)
        copy.set()
        self.assertTrue(opened.is_set())
        with self.assertRaises(FileNotFoundError):
            mproc.Event.open(self.name(mproc.Event))
        lock = self.named(mproc.Lock)
        with self.assertRaises(TypeError):
            mproc.Event.open(lock.name)
        with self.assertRaises(TypeError):
            event.wait("1")
        event.close()
        for call in (event.set, event.clear, event.is_set, event.wait):
            with self.assertRaises(ValueError):
                call()


if __name__ == "__main__":
    unittest.main()
