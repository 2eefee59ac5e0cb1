"""Tests of mproc.Pipe and mproc.Connection: semantics and exceptions as CPython's
multiprocessing.connection.Connection, between threads and processes, and wire
compatibility with CPython's Connection over the same descriptor, both ways."""

import array
import multiprocessing
import multiprocessing.connection
import os
import pickle
import threading
import time
import unittest

import mproc

from support import LONG, SHORT, MprocTestCase, fork, interrupted_status, wait_child as wait


def spawn_echo(conn):
    """Spawn child: receives an mproc Connection by pickling and echoes until EOF."""
    try:
        while True:
            conn.send(("echo", conn.recv()))
    except EOFError:
        pass
    conn.close()


def mp_wrap(mp_conn):
    """An mproc Connection on a duplicate of a CPython Connection's descriptor."""
    return mproc.Connection.from_fd(os.dup(mp_conn.fileno()))


class PipeSemantics(MprocTestCase):
    def pipe(self, duplex=True):
        a, b = mproc.Pipe(duplex)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        return a, b

    def test_send_recv_objects_both_ways(self):
        a, b = self.pipe()
        items = [None, 1, "s", b"b", [1, (2, 3)], {"k": {4}}, 10 ** 40]
        for item in items:
            a.send(item)
        self.assertEqual([b.recv() for _ in items], items)
        b.send("back")
        self.assertEqual(a.recv(), "back")

    def test_flags_fileno_repr(self):
        a, b = self.pipe()
        self.assertTrue(a.readable and a.writable and not a.closed)
        self.assertIsInstance(a.fileno(), int)
        self.assertNotEqual(a.fileno(), b.fileno())
        self.assertIn("fd=", repr(a))
        r, w = self.pipe(False)
        self.assertTrue(r.readable)
        self.assertFalse(r.writable)
        self.assertFalse(w.readable)
        self.assertTrue(w.writable)

    def test_send_bytes_offset_size(self):
        a, b = self.pipe()
        a.send_bytes(b"hello world")
        a.send_bytes(b"hello world", 6)
        a.send_bytes(b"hello world", 2, 3)
        a.send_bytes(bytearray(b"ba"))
        a.send_bytes(b"")
        a.send_bytes(array.array("i", [1, 2]), 4, 4)  # offsets count bytes
        self.assertEqual(b.recv_bytes(), b"hello world")
        self.assertEqual(b.recv_bytes(), b"world")
        self.assertEqual(b.recv_bytes(), b"llo")
        self.assertEqual(b.recv_bytes(), b"ba")
        self.assertEqual(b.recv_bytes(), b"")
        self.assertEqual(b.recv_bytes(), array.array("i", [2]).tobytes())
        for offset, size in ((-1, None), (12, None), (0, -1), (5, 10)):
            with self.assertRaises(ValueError):
                a.send_bytes(b"hello world", offset, size)

    def test_large_messages(self):
        a, b = self.pipe()
        big = os.urandom(3 * 1024 * 1024)
        t = threading.Thread(target=a.send_bytes, args=(big,))
        t.start()
        self.assertEqual(b.recv_bytes(), big)
        t.join(LONG)
        t = threading.Thread(target=a.send, args=(list(range(100000)),))
        t.start()
        self.assertEqual(b.recv(), list(range(100000)))
        t.join(LONG)

    def test_recv_bytes_maxlength(self):
        a, b = self.pipe()
        a.send_bytes(b"12345")
        self.assertEqual(b.recv_bytes(5), b"12345")
        with self.assertRaises(ValueError):
            b.recv_bytes(-1)
        a.send_bytes(b"123456")
        with self.assertRaises(OSError) as cm:
            b.recv_bytes(5)
        self.assertEqual(str(cm.exception), "bad message length")
        # As CPython: a duplex end stops receiving; a receive-only end is closed.
        self.assertFalse(b.readable)
        self.assertFalse(b.closed)
        with self.assertRaises(OSError):
            b.recv_bytes()
        r, w = self.pipe(False)
        w.send_bytes(b"too long")
        with self.assertRaises(OSError):
            r.recv_bytes(2)
        self.assertTrue(r.closed)

    def test_recv_bytes_into(self):
        a, b = self.pipe()
        buf = bytearray(10)
        a.send_bytes(b"abc")
        self.assertEqual(b.recv_bytes_into(buf), 3)
        a.send_bytes(b"xyz")
        self.assertEqual(b.recv_bytes_into(buf, 7), 3)
        self.assertEqual(bytes(buf), b"abc\0\0\0\0xyz")
        arr = array.array("i", [0, 0, 0])
        a.send_bytes(array.array("i", [7, 8]))
        self.assertEqual(b.recv_bytes_into(arr, 4), 8)
        self.assertEqual(list(arr), [0, 7, 8])
        a.send_bytes(b"0123456789A")
        with self.assertRaises(multiprocessing.BufferTooShort) as cm:
            b.recv_bytes_into(buf)
        self.assertEqual(cm.exception.args[0], b"0123456789A")  # the message is kept
        with self.assertRaises(ValueError):
            b.recv_bytes_into(buf, -1)
        with self.assertRaises(ValueError):
            b.recv_bytes_into(buf, 11)
        a.send_bytes(b"")
        self.assertEqual(b.recv_bytes_into(buf, 10), 0)
        a.send_bytes(b"next")  # the stream is still in step
        self.assertEqual(b.recv_bytes(), b"next")

    def test_poll(self):
        a, b = self.pipe()
        self.assertFalse(b.poll())
        start = time.monotonic()
        self.assertFalse(b.poll(SHORT))
        self.assertGreaterEqual(time.monotonic() - start, SHORT * 0.9)
        self.assertFalse(b.poll(-1))  # negative: do not wait
        a.send(1)
        self.assertTrue(b.poll())
        self.assertTrue(b.poll(None))
        self.assertEqual(b.recv(), 1)
        timer = threading.Timer(SHORT, a.send, args=(2,))
        timer.start()
        self.assertTrue(b.poll(None))
        timer.join()
        self.assertEqual(b.recv(), 2)

    def test_eof(self):
        a, b = self.pipe()
        a.send("last")
        a.close()
        self.assertEqual(b.recv(), "last")
        self.assertTrue(b.poll())  # EOF counts as readable
        with self.assertRaises(EOFError):
            b.recv()
        with self.assertRaises(EOFError):
            b.recv_bytes()
        with self.assertRaises(EOFError):
            b.recv_bytes_into(bytearray(4))
        with self.assertRaises(BrokenPipeError):
            b.send("nobody")

    def test_closed_and_directions(self):
        a, b = self.pipe()
        a.close()
        a.close()  # idempotent
        self.assertTrue(a.closed)
        for call in (lambda: a.send(1), a.recv, a.recv_bytes, a.poll, a.fileno,
                     lambda: a.send_bytes(b"x"), lambda: a.recv_bytes_into(bytearray(1))):
            with self.assertRaises(OSError) as cm:
                call()
            self.assertEqual(str(cm.exception), "handle is closed")
        r, w = self.pipe(False)
        for call in (lambda: r.send(1), lambda: r.send_bytes(b"x")):
            with self.assertRaises(OSError) as cm:
                call()
            self.assertEqual(str(cm.exception), "connection is read-only")
        for call in (w.recv, w.recv_bytes, w.poll, lambda: w.recv_bytes_into(bytearray(1))):
            with self.assertRaises(OSError) as cm:
                call()
            self.assertEqual(str(cm.exception), "connection is write-only")

    def test_context_manager(self):
        a, b = mproc.Pipe()
        with a, b:
            a.send(1)
            self.assertEqual(b.recv(), 1)
        self.assertTrue(a.closed and b.closed)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            mproc.Connection.from_fd(-1)
        with self.assertRaises(TypeError):
            mproc.Connection.from_fd("3")
        r, w = os.pipe()
        self.addCleanup(os.close, w)
        with self.assertRaises(ValueError):
            mproc.Connection(r, readable=False, writable=False)
        with self.assertRaises(ValueError):  # the read end of a pipe cannot write
            mproc.Connection.from_fd(r, readable=False, writable=True)
        conn = mproc.Connection.from_fd(r, readable=True, writable=False)
        conn.close()
        a, _ = self.pipe()
        with self.assertRaises(TypeError):
            a.send_bytes("str is not bytes")

    def test_close_wakes_blocked_recv(self):
        a, b = self.pipe()
        self.assertCloseWakes(b.recv, b.close, OSError)


class BetweenProcesses(unittest.TestCase):
    def test_fork_child_inherits(self):
        a, b = mproc.Pipe()
        self.addCleanup(a.close)
        self.addCleanup(b.close)

        def child():
            a.close()
            while True:
                item = b.recv()
                if item is None:
                    break
                b.send(item + 1)
            b.send_bytes(b"bye")
        pid = fork(child)
        for i in range(100):
            a.send(i)
            self.assertEqual(a.recv(), i + 1)
        a.send(None)
        self.assertEqual(a.recv_bytes(), b"bye")
        self.assertEqual(wait(pid), 0)

    def test_blocking_recv_and_poll_are_interruptible(self):
        a, b = mproc.Pipe()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        for block in (b.recv, lambda: b.poll(None)):
            self.assertEqual(interrupted_status(block), 7)

    def test_one_way_pipe_and_eof_across_fork(self):
        r, w = mproc.Pipe(duplex=False)
        self.addCleanup(r.close)
        self.addCleanup(w.close)

        def child():
            r.close()
            for i in range(10):
                w.send_bytes(b"%d" % i)
            w.close()
        pid = fork(child)
        w.close()  # our copy of the write end, so that the child's close gives EOF
        self.assertEqual([r.recv_bytes() for _ in range(10)],
                         [b"%d" % i for i in range(10)])
        with self.assertRaises(EOFError):
            r.recv()
        self.assertEqual(wait(pid), 0)

    def test_spawn_child_gets_pickled_connection(self):
        a, b = mproc.Pipe()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        ctx = multiprocessing.get_context("spawn")
        p = ctx.Process(target=spawn_echo, args=(b,))
        p.start()
        b.close()
        a.send({"n": 1})
        self.assertTrue(a.poll(LONG))
        self.assertEqual(a.recv(), ("echo", {"n": 1}))
        a.close()
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)

    def test_closed_connection_cannot_be_pickled(self):
        a, b = mproc.Pipe()
        b.close()
        a.close()
        with self.assertRaises(OSError):
            pickle.dumps(a)


class CPythonWireCompatibility(unittest.TestCase):
    """An mproc Connection and a multiprocessing.connection.Connection on one fd pair."""

    def check_pair(self, mp_end, mine):
        mp_end.send({"from": "cpython", "n": [1, 2]})
        self.assertEqual(mine.recv(), {"from": "cpython", "n": [1, 2]})
        mine.send(("from", "mproc"))
        self.assertEqual(mp_end.recv(), ("from", "mproc"))
        mp_end.send_bytes(b"raw")
        self.assertEqual(mine.recv_bytes(), b"raw")
        mine.send_bytes(b"")
        self.assertEqual(mp_end.recv_bytes(), b"")
        big = os.urandom(300000)
        t = threading.Thread(target=mine.send_bytes, args=(big,))
        t.start()
        self.assertEqual(mp_end.recv_bytes(), big)
        t.join(LONG)
        t = threading.Thread(target=mp_end.send_bytes, args=(big,))
        t.start()
        self.assertEqual(mine.recv_bytes(), big)
        t.join(LONG)
        buf = bytearray(8)
        mp_end.send_bytes(b"into")
        self.assertEqual(mine.recv_bytes_into(buf, 1), 4)
        self.assertEqual(bytes(buf[1:5]), b"into")
        mine.send_bytes(b"12345678")
        self.assertEqual(mp_end.recv_bytes_into(buf), 8)
        self.assertTrue(mine.writable and mine.readable)

    def test_duplex_both_ways(self):
        left, right = multiprocessing.Pipe()
        mine = mp_wrap(right)
        right.close()
        self.addCleanup(left.close)
        self.addCleanup(mine.close)
        self.check_pair(left, mine)
        # And the other way round: CPython wraps an mproc end's descriptor.
        a, b = mproc.Pipe()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        theirs = multiprocessing.connection.Connection(os.dup(b.fileno()))
        b.close()
        self.addCleanup(theirs.close)
        self.check_pair(theirs, a)
        theirs.close()
        with self.assertRaises(EOFError):
            a.recv()

    def test_one_way_pipes(self):
        r, w = multiprocessing.Pipe(duplex=False)
        mine = mproc.Connection.from_fd(os.dup(w.fileno()), readable=False, writable=True)
        w.close()
        self.addCleanup(r.close)
        self.addCleanup(mine.close)
        mine.send([1, "two"])
        self.assertEqual(r.recv(), [1, "two"])
        mr, mw = mproc.Pipe(duplex=False)
        self.addCleanup(mr.close)
        self.addCleanup(mw.close)
        theirs = multiprocessing.connection.Connection(os.dup(mw.fileno()), readable=False)
        mw.close()
        theirs.send({"x": 1})
        self.assertEqual(mr.recv(), {"x": 1})
        theirs.close()
        with self.assertRaises(EOFError):
            mr.recv()

    def test_cpython_child_talks_to_mproc_end(self):
        a, b = mproc.Pipe()
        self.addCleanup(a.close)
        self.addCleanup(b.close)

        def child():
            a.close()
            conn = multiprocessing.connection.Connection(b.fileno())
            conn.send(conn.recv() * 2)
            conn.send_bytes(b"cpython child")
        pid = fork(child)
        a.send(21)
        self.assertEqual(a.recv(), 42)
        self.assertEqual(a.recv_bytes(), b"cpython child")
        self.assertEqual(wait(pid), 0)


if __name__ == "__main__":
    unittest.main()
