"""mproc.Task: task references called in this process (C ABI section "Tasks").

The fixture library libmproc_test_tasks.so (tests/task_fixtures) is found next to the
build's libmproc (<build>/tests/); tests that need it are skipped if it is not built.
"""

import os
import pickle
import threading
import unittest

import mproc


def fixture_library():
    """The path of libmproc_test_tasks.so in the build tree, or None."""
    candidates = []
    lib = os.environ.get("MPROC_LIBRARY")
    if lib:
        candidates.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(lib))),
                                       "tests", "libmproc_test_tasks.so"))
    bin_dir = os.environ.get("MPROC_TEST_BIN_DIR")
    if bin_dir:  # <build>/bindings/python/peers
        candidates.append(os.path.join(bin_dir, "..", "..", "..", "tests",
                                       "libmproc_test_tasks.so"))
    for path in candidates:
        if os.path.exists(path):
            return os.path.abspath(path)
    return None


FIXTURES = fixture_library()
needs_fixtures = unittest.skipIf(FIXTURES is None, "libmproc_test_tasks.so not built")


class TaskLibcTest(unittest.TestCase):
    def test_abs(self):
        task = mproc.Task("libc.so.6", "abs", "i(i)")
        self.assertEqual(task(-42), 42)
        self.assertEqual(task(7), 7)

    def test_running_program(self):
        # library None: the running program and its global scope (libc is there).
        self.assertEqual(mproc.Task(None, "getpid", "i()")(), os.getpid())

    def test_attributes_repr_eq_hash(self):
        task = mproc.Task("libc.so.6", "abs", "i(i)")
        self.assertEqual((task.library, task.symbol, task.signature),
                         ("libc.so.6", "abs", "i(i)"))
        self.assertIn("abs", repr(task))
        same = mproc.Task("libc.so.6", "abs", "i(i)")
        self.assertEqual(task, same)
        self.assertEqual(hash(task), hash(same))
        self.assertNotEqual(task, mproc.Task("libc.so.6", "labs", "l(l)"))

    def test_pickle(self):
        task = mproc.Task("libc.so.6", "abs", "i(i)")
        copy = pickle.loads(pickle.dumps(task))
        self.assertEqual(copy, task)
        self.assertEqual(copy(-3), 3)

    def test_bad_signature(self):
        with self.assertRaises(ValueError) as cm:
            mproc.Task("libc.so.6", "abs", "i(i")
        self.assertIsInstance(cm.exception, mproc.InvalidArgumentError)
        with self.assertRaises(ValueError):
            mproc.Task("libc.so.6", "abs", "z(i)")

    def test_bad_types_at_construction(self):
        with self.assertRaises(TypeError):
            mproc.Task("libc.so.6", b"abs", "i(i)")
        with self.assertRaises(TypeError):
            mproc.Task("libc.so.6", "abs", None)
        with self.assertRaises(TypeError):
            mproc.Task(42, "abs", "i(i)")

    def test_missing_symbol_and_library(self):
        with self.assertRaises(FileNotFoundError):
            mproc.Task("libc.so.6", "no_such_symbol_xyz", "i()").check()
        with self.assertRaises(FileNotFoundError):
            mproc.Task("libc.so.6", "no_such_symbol_xyz", "i()")()
        with self.assertRaises(FileNotFoundError):
            mproc.Task("/nonexistent/libnothing.so", "f", "i()")()
        mproc.Task("libc.so.6", "abs", "i(i)").check()  # passes

    def test_wrong_arguments(self):
        task = mproc.Task("libc.so.6", "abs", "i(i)")
        with self.assertRaises(TypeError):
            task()
        with self.assertRaises(TypeError):
            task(1, 2)
        with self.assertRaises(TypeError):
            task("1")
        with self.assertRaises(TypeError):
            task(1.5)
        with self.assertRaises(OverflowError):
            task(1 << 40)  # beyond int

    def test_threads_call_concurrently(self):
        task = mproc.Task("libc.so.6", "abs", "i(i)")
        results = []
        lock = threading.Lock()

        def worker(k):
            for j in range(200):
                value = task(-(k * 1000 + j))
                with lock:
                    results.append(value == k * 1000 + j)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(results), 800)
        self.assertTrue(all(results))


@needs_fixtures
class TaskFixtureTest(unittest.TestCase):
    def task(self, symbol, signature):
        return mproc.Task(FIXTURES, symbol, signature)

    def test_integers(self):
        self.assertEqual(self.task("add", "i(ii)")(2, 3), 5)
        self.assertEqual(self.task("ui_not", "I(I)")(0), 4294967295)
        self.assertEqual(self.task("neg", "q(q)")(-(1 << 62)), 1 << 62)
        self.assertEqual(self.task("ull_max", "Q()")(), (1 << 64) - 1)
        self.assertEqual(self.task("minus_one_b", "b()")(), -1)
        self.assertEqual(self.task("max_H", "H()")(), 65535)
        with self.assertRaises(OverflowError):
            self.task("ui_not", "I(I)")(-1)
        with self.assertRaises(OverflowError):
            self.task("sb_neg", "b(b)")(300)

    def test_floats(self):
        self.assertEqual(self.task("scale", "d(di)")(1.5, 3), 4.5)
        self.assertEqual(self.task("halve", "f(f)")(3), 1.5)
        with self.assertRaises(TypeError):
            self.task("halve", "f(f)")("3")

    def test_strings_and_bytes(self):
        self.assertEqual(self.task("greet", "s(s)")("bob"), "hello, bob")
        self.assertEqual(self.task("greet", "s(s)")(b"b\xc3\xa9"), "hello, b\u00e9")
        self.assertEqual(self.task("greet_new", "S(s)")("ann"), "hi ann")
        self.assertIsNone(self.task("null_string", "s()")())
        self.assertEqual(self.task("len_of", "N(s)")("abcd"), 4)
        self.assertEqual(self.task("reverse", "y(y)")(b"abc"), b"cba")
        self.assertEqual(self.task("reverse", "y(y)")(bytearray(b"xy")), b"yx")
        self.assertEqual(self.task("echo_new", "Y(y)")(memoryview(b"ab")), b"ab\xff")
        self.assertEqual(self.task("null_bytes", "y()")(), b"")
        self.assertEqual(self.task("bytes_sum", "q(iyi)")(1, b"\x01\x02", 3), 1002006)
        with self.assertRaises(ValueError):
            self.task("len_of", "N(s)")("a\0b")
        with self.assertRaises(TypeError):
            self.task("reverse", "y(y)")("text")

    def test_void(self):
        self.assertIsNone(self.task("bump", "v(i)")(1))

    def test_blocking_call_releases_the_gil(self):
        sleeper = self.task("pool_sleep_ms", "i(i)")
        ticks = []
        stop = threading.Event()

        def ticker():
            while not stop.is_set():
                ticks.append(1)
                stop.wait(0.005)

        t = threading.Thread(target=ticker)
        t.start()
        try:
            self.assertEqual(sleeper(300), 300)
        finally:
            stop.set()
            t.join()
        self.assertGreater(len(ticks), 3)


if __name__ == "__main__":
    unittest.main()
