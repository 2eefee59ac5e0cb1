"""Tests of mproc.Value, Array, RawValue and RawArray (mproc/sharedctypes.py): CPython's
behaviour, between threads and between processes, by name and pickled into a spawn child."""

import ctypes
import multiprocessing
import multiprocessing.sharedctypes as mp_sharedctypes
import os
import pickle
import stat
import threading
import unittest

import mproc
from mproc import sharedctypes
from support import MprocTestCase, fork, unique, wait_child

TIMEOUT = 60  # for things that must happen

# One sample per type code, and the ctypes type multiprocessing gives it.
SAMPLES = {
    'c': b'x', 'u': '\u00e9', 'b': -128, 'B': 255, 'h': -32768, 'H': 65535,
    'i': -2 ** 31, 'I': 2 ** 32 - 1, 'l': -2 ** 63, 'L': 2 ** 64 - 1, 'q': -2 ** 63 + 1,
    'Q': 2 ** 64 - 2, 'f': 1.5, 'd': 1 / 3,
}
ARRAY_SAMPLES = {
    'c': b'ab\x00z', 'u': 'h\u00e9!', 'b': [-1, 2, 127], 'B': [0, 200, 255],
    'h': [-300, 300], 'H': [1, 65000], 'i': [-5, 0, 5], 'I': [7, 2 ** 32 - 1],
    'l': [-2 ** 62, 3], 'L': [2 ** 63, 1], 'q': [-9, 9], 'Q': [2 ** 64 - 1, 0],
    'f': [0.5, -2.25], 'd': [1e300, -1e-300, 0.1],
}


# ---- Children (module level: a spawn child imports them) ------------------------------

def spawn_child(counter, arr, rounds):
    """Runs in a CPython spawn child: both objects arrive pickled by name."""
    for _ in range(rounds):
        with counter.get_lock():
            counter.value += 1
        with arr.get_lock():
            arr[1] += 2
    arr[0] = counter.name == arr.name  # 0: the names came through distinct
    arr[2] = os.getpid()


def fork_children(n, body):
    """Runs body() in n forked children; returns their exit statuses."""
    pids = [fork(body) for _ in range(n)]
    return [wait_child(pid) for pid in pids]


# ---- Type codes ----------------------------------------------------------------------

class TypeCodeTest(MprocTestCase):
    def test_every_type_code_round_trips_like_cpython(self):
        for code, sample in SAMPLES.items():
            with self.subTest(code=code):
                ours = self.named(mproc.Value, code, sample)
                theirs = mp_sharedctypes.RawValue(code, sample)
                self.assertEqual(ours.value, theirs.value)
                self.assertEqual(ours.value, sample if code != 'f' else 1.5)
                self.assertEqual(ours.typecode, code)
                # Through a second mapping of the same shared memory.
                other = mproc.RawValue.open(ours.name)
                self.addCleanup(other.close)
                self.assertEqual(other.value, theirs.value)
                ours.value = SAMPLES['c'] if code == 'c' else type(sample)(0)
                self.assertEqual(other.value, ours.value)

    def test_default_is_zero(self):
        for code in SAMPLES:
            with self.subTest(code=code):
                self.assertEqual(self.named(mproc.RawValue, code).value,
                                 mp_sharedctypes.RawValue(code).value)

    def test_every_type_code_array_round_trips_like_cpython(self):
        for code, items in ARRAY_SAMPLES.items():
            with self.subTest(code=code):
                ours = self.named(mproc.Array, code, items)
                theirs = mp_sharedctypes.RawArray(code, items)
                self.assertEqual(ours[:], theirs[:])
                self.assertEqual(list(ours), list(theirs))
                self.assertEqual(len(ours), len(theirs))
                other = mproc.RawArray.open(ours.name)
                self.addCleanup(other.close)
                self.assertEqual(other[:], theirs[:])
                self.assertEqual(other.typecode, code)

    def test_ctypes_types_are_accepted(self):
        for ctype, code in [(ctypes.c_int, 'i'), (ctypes.c_double, 'd'),
                            (ctypes.c_char, 'c'), (ctypes.c_wchar, 'u'),
                            (ctypes.c_ubyte, 'B'), (ctypes.c_int16, 'h'),
                            (ctypes.c_uint32, 'I'), (ctypes.c_int64, 'l'),
                            (ctypes.c_ulonglong, 'L'), (ctypes.c_float, 'f')]:
            with self.subTest(ctype=ctype):
                v = self.named(mproc.Value, ctype)
                self.assertEqual(v.typecode, code)
                self.assertIsInstance(v.get_obj(), typecode_type(code))
                a = self.named(mproc.RawArray, ctype, 2)
                self.assertEqual(a.typecode, code)

    def test_wrapping_and_bad_items_like_ctypes(self):
        v = self.named(mproc.Value, 'B')
        v.value = 300  # ctypes truncates silently
        self.assertEqual(v.value, 300 % 256)
        with self.assertRaises(TypeError):
            v.value = "text"
        c = self.named(mproc.Value, 'c')
        with self.assertRaises(TypeError):
            c.value = b"ab"


def typecode_type(code):
    return sharedctypes.typecode_to_type[code]


# ---- Value ---------------------------------------------------------------------------

class ValueTest(MprocTestCase):
    def test_synchronized_api(self):
        v = self.named(mproc.Value, 'i', 7)
        self.assertIsInstance(v, sharedctypes.Synchronized)
        self.assertEqual(v.value, 7)
        lock = v.get_lock()
        self.assertIs(lock, v.get_lock())
        self.assertTrue(lock.acquire())
        self.assertTrue(lock.acquire(timeout=1))  # recursive
        v.value = 8  # the lock is recursive: no deadlock
        lock.release()
        lock.release()
        with v:
            v.value += 1
        self.assertTrue(v.acquire(block=False))
        v.release()
        obj = v.get_obj()
        self.assertIsInstance(obj, ctypes.c_int)
        obj.value = 42
        self.assertEqual(v.value, 42)
        self.assertIn("c_int(42)", repr(v))

    def test_release_unowned_is_assertion_error(self):
        v = self.named(mproc.Value, 'd')
        with self.assertRaises(AssertionError):
            v.get_lock().release()
        with self.assertRaises(AssertionError):
            v.release()

    def test_raw_has_no_lock(self):
        for v in (self.named(mproc.RawValue, 'i', 3),
                  self.named(mproc.Value, 'i', 3, lock=False)):
            self.assertEqual(v.value, 3)
            with self.assertRaises(AttributeError):
                v.get_lock()
            self.assertFalse(hasattr(v, "acquire"))
            with self.assertRaises(AttributeError):
                mp_sharedctypes.RawValue('i').get_lock()  # as CPython

    def test_lock_argument(self):
        lk = threading.Lock()
        v = self.named(mproc.Value, 'i', lock=lk)
        self.assertIs(v.get_lock(), lk)
        with v:
            self.assertTrue(lk.locked())
        self.assertFalse(lk.locked())
        v.value = 5  # takes and gives back lk
        self.assertFalse(lk.locked())
        shared = self.named(mproc.Value, 'i').get_lock()
        w = self.named(mproc.Value, 'q', lock=shared)
        self.assertIs(w.get_lock(), shared)
        with self.assertRaises(AttributeError):
            mproc.Value('i', lock="not a lock")
        if hasattr(mproc, "RLock"):
            rl = mproc.RLock()
            self.addCleanup(rl.close)
            x = self.named(mproc.Value, 'i', lock=rl)
            self.assertIs(x.get_lock(), rl)
            with x:
                x.value += 1
            self.assertEqual(x.value, 1)
            copy = pickle.loads(pickle.dumps(x))  # the lock travels by name too
            self.addCleanup(copy.close)
            self.assertEqual(copy.get_lock().name, rl.name)
            self.assertEqual(copy.value, 1)

    def test_acquire_timeout_while_another_process_holds_it(self):
        v = self.named(mproc.Value, 'i')
        r, w = os.pipe()
        go_r, go_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            try:
                with v.get_lock():
                    os.write(w, b"1")
                    os.read(go_r, 1)
            finally:
                os._exit(0)
        try:
            os.read(r, 1)
            self.assertFalse(v.acquire(block=False))
            self.assertFalse(v.get_lock().acquire(timeout=0.1))
            self.assertFalse(v.acquire(True, 0.05))
        finally:
            os.write(go_w, b"1")
            os.waitpid(pid, 0)
            for fd in (r, w, go_r, go_w):
                os.close(fd)
        self.assertTrue(v.acquire(timeout=TIMEOUT))
        v.release()

    def test_lock_of_a_dead_process_is_taken_over(self):
        v = self.named(mproc.Value, 'i')
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child: dies holding the lock
            v.get_lock().acquire()
            v.value = 1
            os._exit(0)
        os.waitpid(pid, 0)
        lock = v.get_lock()
        self.assertTrue(lock.acquire(timeout=TIMEOUT))
        self.assertTrue(lock.owner_died)
        self.assertTrue(v.owner_died)
        lock.release()
        self.assertEqual(v.value, 1)
        self.assertFalse(v.owner_died)  # .value's acquire was a normal one


# ---- Array ---------------------------------------------------------------------------

class ArrayTest(MprocTestCase):
    def test_indexing_and_slicing(self):
        a = self.named(mproc.Array, 'i', range(10))
        b = mp_sharedctypes.Array('i', range(10))
        self.assertIsInstance(a, sharedctypes.SynchronizedArray)
        for key in (0, 9, -1, -10, slice(2, 5), slice(None, None, -1), slice(1, 9, 3),
                    slice(-3, None), slice(5, 2), slice(-100, 100)):
            with self.subTest(key=key):
                self.assertEqual(a[key], b[key])
        a[2:5] = [20, 30, 40]
        b[2:5] = [20, 30, 40]
        a[::4] = [-1, -2, -3]
        b[::4] = [-1, -2, -3]
        a[-1] = 99
        b[-1] = 99
        self.assertEqual(a[:], b[:])
        self.assertEqual(list(a), b[:])
        self.assertEqual(len(a), 10)
        self.assertIn(99, a)
        self.assertIsInstance(a.get_obj(), ctypes.c_int * 10)

    def test_index_and_slice_errors_as_cpython(self):
        a = self.named(mproc.Array, 'd', 3)
        raw = self.named(mproc.RawArray, 'd', 3)
        for obj in (a, raw):
            with self.assertRaises(IndexError):
                obj[3]
            with self.assertRaises(IndexError):
                obj[-4] = 1.0
            with self.assertRaises(ValueError):
                obj[0:2] = [1.0]
            with self.assertRaises(ValueError):
                obj[::2] = [1.0, 2.0, 3.0]
            with self.assertRaises(TypeError):
                obj[0] = "x"
            with self.assertRaises(TypeError):
                obj["a"]

    def test_string_arrays(self):
        s = self.named(mproc.Array, 'c', b'hello')
        self.assertIsInstance(s, sharedctypes.SynchronizedString)
        ref = mp_sharedctypes.Array('c', b'hello')
        self.assertEqual((s.value, s.raw, s[1:3], s[0]), (ref.value, ref.raw, ref[1:3], ref[0]))
        s.value = b'hi'
        ref.value = b'hi'
        self.assertEqual((s.value, s.raw), (ref.value, ref.raw))
        s.raw = b'abcde'
        self.assertEqual(s.value, b'abcde')
        with self.assertRaises(ValueError):
            s.value = b'too long!'
        z = self.named(mproc.Array, 'c', 4)
        self.assertEqual(z.raw, b'\0' * 4)
        raw = self.named(mproc.RawArray, 'c', b'xy')
        self.assertEqual((raw.value, raw.raw), (b'xy', b'xy'))
        u = self.named(mproc.RawArray, 'u', 'abc')
        self.assertEqual((u.value, u[:]), ('abc', 'abc'))
        with self.assertRaises(AttributeError):
            u.raw
        su = self.named(mproc.Array, 'u', 'abc')  # a SynchronizedArray, as in CPython
        self.assertFalse(hasattr(su, "value"))
        ints = self.named(mproc.Array, 'i', 2)
        self.assertFalse(hasattr(ints, "value"))
        self.assertFalse(hasattr(self.named(mproc.RawArray, 'i', 2), "raw"))

    def test_raw_array(self):
        for a in (self.named(mproc.RawArray, 'h', [1, 2, 3]),
                  self.named(mproc.Array, 'h', [1, 2, 3], lock=False)):
            self.assertIsInstance(a, sharedctypes.SharedArray)
            self.assertNotIsInstance(a, sharedctypes.SynchronizedArray)
            with self.assertRaises(AttributeError):
                a.get_lock()
            a[0:2] = [5, 6]
            self.assertEqual(list(a), [5, 6, 3])


# ---- Errors --------------------------------------------------------------------------

class ErrorTest(MprocTestCase):
    def test_bad_type(self):
        for bad in ('z', 'ii', '', 'x', ctypes.c_bool, ctypes.c_void_p, int, None, 5):
            with self.subTest(bad=bad):
                with self.assertRaises(TypeError):
                    mproc.Value(bad)
                with self.assertRaises(TypeError):
                    mproc.RawArray(bad, 3)

    def test_bad_arguments(self):
        with self.assertRaises(TypeError):
            mproc.Value('i', 1, 2)
        with self.assertRaises(TypeError):
            mproc.Value('i', "x")
        with self.assertRaises(ValueError):
            mproc.Array('i', -1)
        with self.assertRaises(ValueError):
            mproc.Array('i', 0)  # mproc needs one item (CPython accepts 0)
        with self.assertRaises(TypeError):
            mproc.Array('i', [1, "a"])
        with self.assertRaises(TypeError):
            mproc.Array('i', 3.5)
        with self.assertRaises(TypeError):
            mproc.Value('i', name=5)
        with self.assertRaises(ValueError):
            mproc.Value('i', name="bad/name")

    def test_names(self):
        v = self.named(mproc.Value, 'i', 1, tag="dup")
        with self.assertRaises(FileExistsError):
            mproc.Value('i', name=v.name)
        same = mproc.Value('d', 9.0, name=v.name, open_existing=True)
        self.addCleanup(same.close)
        self.assertEqual((same.value, same.typecode), (1, 'i'))  # the existing object
        with self.assertRaises(FileNotFoundError):
            mproc.Value.open(unique("missing"))
        with self.assertRaises(TypeError):  # a Value is not an Array
            mproc.Array.open(v.name)
        raw = self.named(mproc.RawValue, 'i')
        with self.assertRaises(ValueError):  # asked for a lock, exists without one
            mproc.Value('i', name=raw.name, open_existing=True)

    def test_closed(self):
        v = self.named(mproc.Value, 'i')
        a = self.named(mproc.Array, 'i', 2)
        lock = v.get_lock()
        v.close()
        a.close()
        v.close()  # idempotent
        self.assertTrue(v.closed)
        for call in (lambda: v.value, lambda: a[0], lambda: len(a), v.get_lock,
                     v.get_obj, v.acquire, lock.acquire):
            with self.assertRaises(ValueError):
                call()

    def test_view_outlives_close(self):
        v = self.named(mproc.Value, 'i', 5)
        obj = v.get_obj()
        v.close()
        self.assertTrue(v.closed)
        self.assertEqual(obj.value, 5)  # still mapped: no crash
        obj.value = 6
        again = mproc.Value.open(v.name)
        self.addCleanup(again.close)
        self.assertEqual(again.value, 6)


# ---- Naming, opening, pickling -------------------------------------------------------

class NamingTest(MprocTestCase):
    def test_open_by_name(self):
        a = self.named(mproc.Array, 'i', [1, 2, 3])
        b = mproc.Array.open(a.name)
        self.addCleanup(b.close)
        self.assertIsInstance(b, sharedctypes.SynchronizedArray)
        b[0] = 10
        self.assertEqual(a[0], 10)
        raw = self.named(mproc.RawValue, 'i')
        opened = mproc.Value.open(raw.name)  # no lock there: a raw object
        self.addCleanup(opened.close)
        self.assertIsInstance(opened, sharedctypes.SharedValue)
        self.assertNotIsInstance(opened, sharedctypes.Synchronized)
        v = self.named(mproc.Value, 'i')
        opened = mproc.RawValue.open(v.name)  # raw access to a locked object
        self.addCleanup(opened.close)
        self.assertNotIsInstance(opened, sharedctypes.Synchronized)

    def test_lock_is_shared_between_handles(self):
        a = self.named(mproc.Value, 'i')
        b = mproc.Value.open(a.name)
        self.addCleanup(b.close)
        done = threading.Event()
        result = []

        def other():
            result.append(b.acquire(timeout=0.1))
            done.set()

        with a.get_lock():
            t = threading.Thread(target=other)
            t.start()
            self.assertTrue(done.wait(TIMEOUT))
            t.join()
        self.assertEqual(result, [False])

    def test_mode(self):
        v = self.named(mproc.Value, 'i', mode=0o640)
        path = "/dev/shm/mproc." + v.name
        if os.path.exists(path):
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o640)

    def test_unlink(self):
        v = self.named(mproc.Value, 'i')
        v.unlink()
        with self.assertRaises(FileNotFoundError):
            mproc.Value.open(v.name)
        v.value = 3  # the handle still works
        self.assertEqual(v.value, 3)
        a = mproc.RawArray('i', 2, name=unique("ul"))
        mproc.RawArray.unlink_name(a.name)
        with self.assertRaises(FileNotFoundError):
            mproc.RawArray.open(a.name)
        a.close()

    def test_automatic_name_is_unlinked_on_close(self):
        v = mproc.Value('i')
        name = v.name
        self.assertIsInstance(name, str)
        v.close()
        with self.assertRaises(FileNotFoundError):
            mproc.Value.open(name)

    def test_pickle_by_name(self):
        v = self.named(mproc.Value, 'i', 4)
        lock_copy = pickle.loads(pickle.dumps(v.get_lock()))
        for obj in (v, self.named(mproc.RawArray, 'd', [1.5]),
                    self.named(mproc.Array, 'c', b'ab')):
            with self.subTest(obj=obj):
                copy = pickle.loads(pickle.dumps(obj))
                self.addCleanup(copy.close)
                self.assertIs(type(copy), type(obj))
                self.assertEqual(copy.name, obj.name)
                self.assertEqual(copy[:] if hasattr(obj, "__len__") else copy.value,
                                 obj[:] if hasattr(obj, "__len__") else obj.value)
        with lock_copy:
            self.assertTrue(v.acquire(block=False))  # recursive: same thread
            v.release()
        with self.assertRaises(TypeError):  # a threading.Lock cannot travel
            pickle.dumps(self.named(mproc.Value, 'i', lock=threading.Lock()))


# ---- Concurrency ---------------------------------------------------------------------

class ConcurrencyTest(MprocTestCase):
    def test_threads_increment_exactly(self):
        v = self.named(mproc.Value, 'i')
        a = self.named(mproc.Array, 'l', 3)
        rounds, n = 2000, 4

        def work():
            for _ in range(rounds):
                with v.get_lock():
                    v.value += 1
                with a:
                    a[1] += 1

        threads = [threading.Thread(target=work) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT)
        self.assertEqual(v.value, rounds * n)
        self.assertEqual(a[:], [0, rounds * n, 0])

    def test_forked_processes_increment_exactly(self):
        v = self.named(mproc.Value, 'i')
        a = self.named(mproc.Array, 'q', 2)
        raw = self.named(mproc.RawValue, 'i')
        rounds, n = 1500, 3

        def body():
            other = mproc.Array.open(a.name)  # another handle on the same lock
            for _ in range(rounds):
                with v.get_lock():
                    v.value += 1
                    raw.value += 1  # raw, but under v's lock
                with other.get_lock():
                    other[0] += 1
                    other[1] -= 2

        self.assertEqual(fork_children(n, body), [0] * n)
        self.assertEqual(v.value, rounds * n)
        self.assertEqual(raw.value, rounds * n)
        self.assertEqual(a[:], [rounds * n, -2 * rounds * n])

    def test_spawn_child_gets_objects_by_name(self):
        ctx = multiprocessing.get_context("spawn")
        counter = self.named(mproc.Value, 'i')
        arr = self.named(mproc.Array, 'l', [5, 0, 0])
        rounds = 500
        p = ctx.Process(target=spawn_child, args=(counter, arr, rounds))
        p.start()
        for _ in range(rounds):
            with counter.get_lock():
                counter.value += 1
        p.join(TIMEOUT)
        self.assertEqual(p.exitcode, 0)
        self.assertEqual(counter.value, 2 * rounds)
        self.assertEqual(arr[:], [0, 2 * rounds, p.pid])


if __name__ == "__main__":
    unittest.main()
