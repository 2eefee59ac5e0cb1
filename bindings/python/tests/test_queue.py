"""Tests of mproc.Queue, SimpleQueue and JoinableQueue: between threads, fork children and
a CPython spawn child; timeouts, Full/Empty, exactly-once delivery, raw byte messages,
errors."""

import multiprocessing
import os
import pickle
import queue
import threading
import time
import unittest
import zlib

import mproc

from support import (
    LONG, SHORT, MprocTestCase, fork, interrupted_status, unique, wait_child as wait,
)


def spawn_child(name, reply_name):
    """Spawn child: gets the queue both by unpickling (argument) and by name."""
    q = mproc.Queue.open(name)
    reply = mproc.Queue.open(reply_name)
    item = q.get(timeout=LONG)
    reply.put(("got", item, os.getpid()))


def spawn_child_pickled(q, reply):
    reply.put(("pickled", q.get(timeout=LONG), type(q).__name__))


class QueueBasics(MprocTestCase):
    def make(self, cls=None, *args, **kw):
        q = (cls or mproc.Queue)(*args, **kw)
        self.addCleanup(q.close)
        return q

    def named(self, cls=None, *args, **kw):
        """A queue of class `cls` (default Queue) under a unique name, unlinked at the end."""
        return super().named(cls or mproc.Queue, *args, tag="q", **kw)

    def test_defaults(self):
        q = self.make()
        self.assertEqual(q.maxsize, mproc.DEFAULT_MAXSIZE)
        self.assertEqual(q.maxsize, 8192)
        self.assertEqual(q.max_message_size, 64 * 1024)
        self.assertTrue(q.empty())
        self.assertFalse(q.full())
        self.assertEqual(q.qsize(), 0)
        self.assertTrue(q.name)

    def test_put_get_objects_in_order(self):
        q = self.make()
        items = [None, 1, "two", b"three", [4, {"five": 5.0}], (6,), {7, 8}, 10 ** 30]
        for item in items:
            q.put(item)
        self.assertEqual(q.qsize(), len(items))
        self.assertFalse(q.empty())
        self.assertEqual([q.get() for _ in items], items)
        self.assertTrue(q.empty())

    def test_get_nowait_empty(self):
        q = self.make()
        with self.assertRaises(queue.Empty):
            q.get_nowait()
        with self.assertRaises(queue.Empty):
            q.get(False)
        with self.assertRaises(queue.Empty):
            q.get(block=False, timeout=10)  # block=False ignores timeout

    def test_get_timeout(self):
        q = self.make()
        start = time.monotonic()
        with self.assertRaises(queue.Empty):
            q.get(timeout=SHORT)
        self.assertGreaterEqual(time.monotonic() - start, SHORT * 0.9)
        with self.assertRaises(queue.Empty):
            q.get(timeout=-1)  # negative: do not wait, as multiprocessing

    def test_full_and_put_timeout(self):
        q = self.make(mproc.Queue, 2)
        self.assertEqual(q.maxsize, 2)
        q.put(1)
        q.put_nowait(2)
        self.assertTrue(q.full())
        with self.assertRaises(queue.Full):
            q.put_nowait(3)
        with self.assertRaises(queue.Full):
            q.put(3, False)
        start = time.monotonic()
        with self.assertRaises(queue.Full):
            q.put(3, timeout=SHORT)
        self.assertGreaterEqual(time.monotonic() - start, SHORT * 0.9)
        with self.assertRaises(queue.Full):
            q.put_bytes(b"x", timeout=SHORT)
        self.assertEqual(q.get(), 1)
        q.put(3)
        self.assertEqual([q.get(), q.get()], [2, 3])

    def test_blocked_put_wakes_when_room(self):
        q = self.make(mproc.Queue, 1)
        q.put("a")
        done = threading.Event()

        def producer():
            q.put("b", timeout=LONG)
            done.set()
        t = threading.Thread(target=producer)
        t.start()
        self.assertFalse(done.wait(SHORT))
        self.assertEqual(q.get(timeout=LONG), "a")
        self.assertTrue(done.wait(LONG))
        self.assertEqual(q.get(timeout=LONG), "b")
        t.join(LONG)

    def test_blocked_get_wakes_between_threads(self):
        q = self.make()
        got = []
        t = threading.Thread(target=lambda: got.append(q.get()))
        t.start()
        time.sleep(SHORT)
        q.put({"k": "v"})
        t.join(LONG)
        self.assertFalse(t.is_alive())
        self.assertEqual(got, [{"k": "v"}])

    def test_bytes_cross_unchanged(self):
        q = self.make()
        raw = bytes(range(256)) * 3
        q.put_bytes(raw)
        q.put_bytes(b"")
        q.put_bytes(bytearray(b"ba"))
        q.put_bytes(memoryview(b"abcdef")[1:4])
        self.assertEqual(q.get_bytes(), raw)
        self.assertEqual(q.get_bytes(), b"")
        self.assertEqual(q.get_bytes(timeout=LONG), b"ba")
        self.assertEqual(q.get_bytes(block=False), b"bcd")
        with self.assertRaises(queue.Empty):
            q.get_bytes(False)
        with self.assertRaises(queue.Empty):
            q.get_bytes(timeout=SHORT)
        with self.assertRaises(TypeError):
            q.put_bytes("not bytes")

    def test_put_is_a_pickle_readable_with_get_bytes(self):
        q = self.make()
        q.put(("t", 1))
        self.assertEqual(pickle.loads(q.get_bytes()), ("t", 1))
        q.put_bytes(pickle.dumps([1, 2]))
        self.assertEqual(q.get(), [1, 2])

    def test_c_style_message_is_not_lost_by_get(self):
        q = self.make()
        q.put_bytes(b"C struct \x00\x01\x02")
        with self.assertRaises(mproc.NotAPickleError) as cm:
            q.get()
        self.assertEqual(cm.exception.data, b"C struct \x00\x01\x02")
        self.assertIn("get_bytes", str(cm.exception))
        self.assertIsInstance(cm.exception, pickle.UnpicklingError)
        # A message that starts like a pickle but is not one keeps its bytes too.
        q.put_bytes(b"\x80\x05garbage")
        with self.assertRaises(Exception) as cm:
            q.get()
        self.assertEqual(cm.exception.data, b"\x80\x05garbage")

    def test_too_big(self):
        q = self.make(mproc.Queue, 4, max_message_size=100)
        self.assertEqual(q.max_message_size, 100)
        with self.assertRaises(mproc.TooBigError) as cm:
            q.put(b"x" * 200)
        self.assertIsInstance(cm.exception, ValueError)
        self.assertIn("max_message_size", str(cm.exception))
        with self.assertRaises(ValueError):
            q.put_bytes(b"x" * 101)
        q.put_bytes(b"x" * 100)  # exactly the limit fits
        self.assertEqual(q.get_bytes(), b"x" * 100)
        self.assertTrue(q.empty())  # nothing half-put

    def test_messages_bigger_than_the_receive_buffer(self):
        # Over 1 MiB the per-thread buffer is not big enough: the get allocates.
        q = self.make(mproc.Queue, 2, max_message_size=3 * 1024 * 1024)
        big = os.urandom(2 * 1024 * 1024 + 3)
        q.put_bytes(big)
        self.assertEqual(q.get_bytes(), big)
        q.put({"big": big})
        self.assertEqual(q.get(timeout=LONG), {"big": big})
        got = []
        t = threading.Thread(target=lambda: got.append(q.get_bytes(timeout=LONG)))
        t.start()
        time.sleep(SHORT)  # the consumer now waits inside the C call
        q.put_bytes(big)
        t.join(LONG)
        self.assertEqual(got, [big])

    def test_bad_arguments(self):
        with self.assertRaises(TypeError):
            mproc.Queue("3")
        with self.assertRaises(TypeError):
            mproc.Queue(2.5)
        with self.assertRaises(ValueError):
            mproc.Queue(max_message_size=0)
        with self.assertRaises(ValueError):
            mproc.Queue(2 ** 21)
        with self.assertRaises(ValueError):
            mproc.Queue(max_message_size=2 ** 31)
        with self.assertRaises(ValueError):
            mproc.Queue(name="bad/name")
        with self.assertRaises(TypeError):
            mproc.Queue(name=5)
        q = self.make()
        with self.assertRaises(ValueError):
            q.get(timeout=float("nan"))
        with self.assertRaises(TypeError):
            q.get(timeout=object())

    def test_closed(self):
        q = self.make()
        q.put(1)
        q.close()
        q.close()  # idempotent
        self.assertTrue(q.closed)
        for call in (lambda: q.put(1), lambda: q.get(), lambda: q.get_nowait(),
                     lambda: q.put_bytes(b"x"), lambda: q.get_bytes(), q.qsize, q.empty,
                     q.full):
            with self.assertRaises(ValueError):
                call()
        q.join_thread()  # allowed once closed
        q.cancel_join_thread()

    def test_join_thread_requires_close(self):
        q = self.make()
        with self.assertRaises(AssertionError):
            q.join_thread()
        q.cancel_join_thread()

    def test_close_wakes_blocked_get(self):
        q = self.make()
        self.assertCloseWakes(lambda: q.get(timeout=LONG), q.close, ValueError)

    def test_open_missing(self):
        with self.assertRaises(FileNotFoundError):
            mproc.Queue.open(unique("missing"))
        with self.assertRaises(mproc.NotFoundError):
            mproc.JoinableQueue.open(unique("missing"))

    def test_open_by_name_and_flavours(self):
        q = self.named(mproc.Queue, 3)
        s = self.named(mproc.SimpleQueue)
        j = self.named(mproc.JoinableQueue)
        for original, cls in ((q, mproc.Queue), (s, mproc.SimpleQueue),
                              (j, mproc.JoinableQueue)):
            other = mproc.Queue.open(original.name)
            self.addCleanup(other.close)
            self.assertIs(type(other), cls)
            self.assertEqual(other.name, original.name)
            original.put_bytes(b"m")
            self.assertEqual(other.get_bytes(timeout=LONG), b"m")
        self.assertEqual(mproc.Queue.open(q.name).maxsize, 3)
        with self.assertRaises(TypeError):
            mproc.JoinableQueue.open(q.name)

    def test_exists_and_open_existing(self):
        q = self.named(mproc.Queue, 4)
        with self.assertRaises(FileExistsError):
            mproc.Queue(4, name=q.name)
        again = mproc.Queue(4, name=q.name, open_existing=True)
        self.addCleanup(again.close)
        q.put("shared")
        self.assertEqual(again.get(timeout=LONG), "shared")

    def test_unlink(self):
        name = unique("unlink")
        q = mproc.Queue(name=name)
        self.addCleanup(q.close)
        mproc.Queue.unlink_name(name)
        with self.assertRaises(FileNotFoundError):
            mproc.Queue.open(name)
        q.put(1)  # the handle still works
        self.assertEqual(q.get(), 1)

    def test_automatic_name_unlinked_on_close(self):
        q = mproc.Queue()
        name = q.name
        mproc.Queue.open(name).close()
        q.close()
        with self.assertRaises(FileNotFoundError):
            mproc.Queue.open(name)

    def test_pickle_by_name(self):
        q = self.make()
        other = pickle.loads(pickle.dumps(q))
        self.addCleanup(other.close)
        self.assertEqual(other.name, q.name)
        q.put("via pickle")
        self.assertEqual(other.get(timeout=LONG), "via pickle")


class SimpleAndJoinable(unittest.TestCase):
    def test_simple_queue(self):
        q = mproc.SimpleQueue()
        self.addCleanup(q.close)
        self.assertTrue(q.empty())
        q.put([1])
        self.assertFalse(q.empty())
        self.assertEqual(q.get(), [1])
        self.assertFalse(hasattr(q, "get_nowait"))
        with self.assertRaises(TypeError):
            mproc.SimpleQueue(3)  # CPython's SimpleQueue takes no positional argument
        q.close()
        with self.assertRaises(ValueError):
            q.put(1)

    def test_simple_queue_between_processes(self):
        q = mproc.SimpleQueue(maxsize=4)
        self.addCleanup(q.close)
        pid = fork(lambda: [q.put(i) for i in range(100)])
        self.assertEqual([q.get() for _ in range(100)], list(range(100)))
        self.assertEqual(wait(pid), 0)

    def test_joinable(self):
        q = mproc.JoinableQueue()
        self.addCleanup(q.close)
        self.assertTrue(q.join(SHORT))  # nothing put: done at once
        q.put(1)
        q.put(2)
        self.assertFalse(q.join(SHORT))
        q.get()
        q.task_done()
        self.assertFalse(q.join(SHORT))
        q.get()
        q.task_done()
        self.assertTrue(q.join())
        with self.assertRaises(ValueError) as cm:
            q.task_done()
        self.assertIn("too many times", str(cm.exception))
        self.assertIsInstance(q, mproc.Queue)

    def test_joinable_join_across_processes(self):
        q = mproc.JoinableQueue()
        self.addCleanup(q.close)
        for i in range(20):
            q.put(i)

        def worker():
            for _ in range(20):
                q.get(timeout=LONG)
                time.sleep(0.001)
                q.task_done()
        pid = fork(worker)
        self.assertTrue(q.join(LONG))
        self.assertTrue(q.empty())
        self.assertEqual(wait(pid), 0)

    def test_joinable_closed(self):
        q = mproc.JoinableQueue()
        q.close()
        with self.assertRaises(ValueError):
            q.task_done()
        with self.assertRaises(ValueError):
            q.join()


class BetweenProcesses(unittest.TestCase):
    def test_fork_child_get_and_put(self):
        q = mproc.Queue()
        back = mproc.Queue()
        self.addCleanup(q.close)
        self.addCleanup(back.close)

        def child():
            while True:
                item = q.get(timeout=LONG)
                if item is None:
                    break
                back.put(item * 2)
        pid = fork(child)
        for i in range(50):
            q.put(i)
        q.put(None)
        self.assertEqual([back.get(timeout=LONG) for _ in range(50)],
                         [i * 2 for i in range(50)])
        self.assertEqual(wait(pid), 0)

    def test_blocking_get_and_put_are_interruptible(self):
        q = mproc.Queue(1)
        self.addCleanup(q.close)
        def put_two():
            q.put(1)
            q.put(2)  # blocks forever: the queue holds one message
        for block in (q.get, put_two):  # get on the empty queue blocks forever
            self.assertEqual(interrupted_status(block), 7)
            while not q.empty():
                q.get_nowait()

    def test_timeouts_in_child(self):
        q = mproc.Queue(1)
        self.addCleanup(q.close)

        def child():
            try:
                q.get(timeout=SHORT)
            except queue.Empty:
                pass
            else:
                raise AssertionError("no Empty")
            q.put(1)
            try:
                q.put(2, timeout=SHORT)
            except queue.Full:
                pass
            else:
                raise AssertionError("no Full")
        self.assertEqual(wait(fork(child)), 0)
        self.assertEqual(q.get_nowait(), 1)

    def test_exactly_once_two_producers_two_consumers(self):
        per_producer = 2000
        q = mproc.Queue(64)  # small, so that producers block on a full queue too
        results = mproc.Queue()
        self.addCleanup(q.close)
        self.addCleanup(results.close)

        def producer(base):
            for i in range(per_producer):
                q.put(base + i, timeout=LONG)

        def consumer():
            count, total, crc = 0, 0, 0
            while True:
                item = q.get(timeout=LONG)
                if item is None:
                    break
                count += 1
                total += item
                crc ^= zlib.crc32(str(item).encode())
            results.put((count, total, crc))
        consumers = [fork(consumer) for _ in range(2)]
        producers = [fork(producer, base) for base in (0, 10 ** 6)]
        for pid in producers:
            self.assertEqual(wait(pid), 0)
        q.put(None)
        q.put(None)
        stats = [results.get(timeout=LONG) for _ in range(2)]
        for pid in consumers:
            self.assertEqual(wait(pid), 0)
        expected = [b + i for b in (0, 10 ** 6) for i in range(per_producer)]
        crc = 0
        for item in expected:
            crc ^= zlib.crc32(str(item).encode())
        self.assertEqual(sum(s[0] for s in stats), len(expected))
        self.assertEqual(sum(s[1] for s in stats), sum(expected))
        self.assertEqual(stats[0][2] ^ stats[1][2], crc)
        self.assertTrue(q.empty())

    def test_exactly_once_threads_bytes(self):
        q = mproc.Queue(16)
        self.addCleanup(q.close)
        got = [[], []]

        def consume(k):
            while True:
                item = q.get_bytes(timeout=LONG)
                if item == b"end":
                    return
                got[k].append(int(item))
        producers = [threading.Thread(target=lambda b=b: [q.put_bytes(b"%d" % (b + i))
                                                           for i in range(500)])
                     for b in (0, 10000)]
        consumers = [threading.Thread(target=consume, args=(k,)) for k in range(2)]
        for t in consumers + producers:
            t.start()
        for t in producers:
            t.join(LONG)
        q.put_bytes(b"end")
        q.put_bytes(b"end")
        for t in consumers:
            t.join(LONG)
        self.assertFalse(any(t.is_alive() for t in consumers + producers))
        everything = sorted(got[0] + got[1])
        self.assertEqual(everything, sorted(b + i for b in (0, 10000) for i in range(500)))

    def test_spawn_child_by_name_and_by_pickle(self):
        q = mproc.Queue()
        reply = mproc.Queue()
        self.addCleanup(q.close)
        self.addCleanup(reply.close)
        ctx = multiprocessing.get_context("spawn")
        p = ctx.Process(target=spawn_child, args=(q.name, reply.name))
        p.start()
        q.put({"hello": "spawn"})
        kind, item, pid = reply.get(timeout=LONG)
        p.join(LONG)
        self.assertEqual((kind, item, p.exitcode), ("got", {"hello": "spawn"}, 0))
        self.assertEqual(pid, p.pid)

        j = mproc.JoinableQueue()
        self.addCleanup(j.close)
        p = ctx.Process(target=spawn_child_pickled, args=(j, reply))
        p.start()
        j.put([1, 2, 3])
        self.assertEqual(reply.get(timeout=LONG), ("pickled", [1, 2, 3], "JoinableQueue"))
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)


if __name__ == "__main__":
    unittest.main()
