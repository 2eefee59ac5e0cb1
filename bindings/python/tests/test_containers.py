"""Tests of mproc.Dict and mproc.List: the same operations on a shared container and on a
plain dict / list give the same results; errors (KeyError, IndexError, FullError,
NotAPickleError, closed); growth; key encoding; pickling to fork and spawn children;
exact counts from concurrent writers under the lock; a writer SIGKILLed mid-write."""

import multiprocessing
import os
import pickle
import random
import signal
import subprocess
import sys
import time
import unittest

import mproc
from mproc.containers import RawKey

from support import LONG, SHORT, MprocTestCase, interrupted_status, kill_and_reap, wait_child
from test_cross_language import peer


# ---- children (module level: a spawn child imports them) -------------------------------

def spawn_dict_child(d, lst):
    """A CPython spawn child: gets both containers by unpickling (by name)."""
    d["from_spawn"] = (os.getpid(), d["seed"] * 2)
    lst.append("spawned")


def counter_child(d, rounds, tag):
    for i in range(rounds):
        with d.get_lock():
            d["n"] = d["n"] + 1
        d[(tag, i)] = i


def list_counter_child(lst, rounds):
    for _ in range(rounds):
        with lst.get_lock():
            lst[0] = lst[0] + 1
        lst.append(1)


def big_writer(name, ready_fd):
    """Loops forever writing big values (each a full pattern) until killed."""
    d = mproc.Dict.open(name)
    os.write(ready_fd, b"x")
    i = 0
    while True:
        d["k%d" % (i % 7)] = bytes([i % 251]) * (200000 + (i % 5) * 10000)
        d.update({"u%d" % (i % 3): i % 251, "v": bytes([i % 251]) * 50000})
        i += 1


class DictSemantics(MprocTestCase):
    def make(self, *args, **kw):
        d = mproc.Dict(*args, **kw)
        self.addCleanup(d.close)
        return d

    def assertSame(self, d, ref):
        self.assertEqual(len(d), len(ref))
        self.assertEqual(d.keys(), list(ref.keys()))
        self.assertEqual(d.values(), list(ref.values()))
        self.assertEqual(d.items(), list(ref.items()))
        self.assertEqual(list(d), list(ref))
        self.assertEqual(d.copy(), ref)
        self.assertTrue(d == ref)

    def test_basic_operations_match_dict(self):
        d, ref = self.make(), {}
        for k, v in [("num", 100), (1, "one"), ((2, "x"), [1, 2]), (None, None),
                     (b"raw", b"bytes"), ("\0zero", 0.5), ("", {"nested": {1, 2}}),
                     ("num", 101)]:
            d[k] = v
            ref[k] = v
        self.assertSame(d, ref)
        self.assertEqual(d["num"], 101)
        self.assertIn((2, "x"), d)
        self.assertNotIn((2, "y"), d)
        self.assertNotIn([1], d)  # unhashable: not in any dict
        with self.assertRaises(KeyError):
            d["missing"]
        with self.assertRaises(TypeError):
            d[[1]] = 2
        self.assertEqual(d.get("missing", 7), 7)
        self.assertIsNone(d.get("missing"))
        del d[1]
        del ref[1]
        with self.assertRaises(KeyError):
            del d[1]
        self.assertSame(d, ref)
        self.assertEqual(d.pop("num"), ref.pop("num"))
        self.assertEqual(d.pop("num", "dflt"), "dflt")
        with self.assertRaises(KeyError):
            d.pop("num")
        self.assertEqual(d.setdefault("sd", [1]), ref.setdefault("sd", [1]))
        self.assertEqual(d.setdefault("sd", [2]), ref.setdefault("sd", [2]))
        self.assertEqual(d.popitem(), ref.popitem())
        self.assertSame(d, ref)
        d.update({"a": 1}, b=2)
        ref.update({"a": 1}, b=2)
        d.update([("c", 3), ("a", 4)])
        ref.update([("c", 3), ("a", 4)])
        self.assertSame(d, ref)
        self.assertEqual(list(reversed(d)), list(reversed(ref)))
        self.assertEqual(d | {"z": 0}, ref | {"z": 0})
        d |= {"z": 0}
        ref |= {"z": 0}
        self.assertSame(d, ref)
        d.clear()
        ref.clear()
        self.assertSame(d, ref)
        with self.assertRaises(KeyError):
            d.popitem()

    def test_random_operations_match_dict(self):
        rng = random.Random(8)
        d, ref = self.make(), {}
        keys = ["k%d" % i for i in range(20)] + list(range(10)) + [(1, 2), "\0s"]
        for step in range(3000):
            k = rng.choice(keys)
            op = rng.randrange(8)
            if op < 3:
                v = rng.choice([step, str(step), [step] * (step % 5), b"x" * (step % 700)])
                d[k] = v
                ref[k] = v
            elif op == 3:
                self.assertEqual(d.pop(k, None), ref.pop(k, None))
            elif op == 4:
                self.assertEqual(d.get(k), ref.get(k))
            elif op == 5:
                self.assertEqual(d.setdefault(k, step), ref.setdefault(k, step))
            elif op == 6:
                self.assertEqual(k in d, k in ref)
            elif ref and rng.random() < 0.2:
                self.assertEqual(d.popitem(), ref.popitem())
            if step % 250 == 0:
                self.assertSame(d, ref)
        self.assertSame(d, ref)

    def test_initial_items_and_repr(self):
        d = self.make({"a": 1, "b": [2]})
        self.assertEqual(d.copy(), {"a": 1, "b": [2]})
        self.assertEqual(str(d), "{'a': 1, 'b': [2]}")
        self.assertIn("{'a': 1, 'b': [2]}", repr(d))
        self.assertIn(d.name, repr(d))
        self.assertEqual(self.make([("x", 1)]).copy(), {"x": 1})
        with self.assertRaises(ValueError):
            mproc.Dict({"a": 1}, name="x", open_existing=True)

    def test_values_are_copies(self):
        d = self.make()
        d["l"] = [1]
        d["l"].append(2)  # changes a copy, as with a DictProxy
        self.assertEqual(d["l"], [1])
        tmp = d["l"]
        tmp.append(2)
        d["l"] = tmp
        self.assertEqual(d["l"], [1, 2])

    def test_big_values_and_receive_buffer(self):
        d = self.make(max_size=64 << 20)
        for n in (0, 1, 4095, 4096, 5000, 1 << 20, (1 << 20) + 1, 3 << 20):
            value = bytes(range(256)) * (n // 256) + b"y" * (n % 256)
            d["v%d" % n] = value
            self.assertEqual(d["v%d" % n], value)
            d.set_bytes("b", value)
            self.assertEqual(d.get_bytes("b"), value)
        self.assertEqual(d["v4096"], bytes(range(256)) * 16)  # after the buffer grew

    def test_growth(self):
        d = self.make(initial_size=64 << 10, max_size=16 << 20)
        cap0, most, _ = d.memory()
        self.assertEqual(most, 16 << 20)
        for i in range(200):
            d[i] = b"z" * 10000
        cap1, _, _ = d.memory()
        self.assertGreater(cap1, cap0)
        self.assertEqual(len(d), 200)
        self.assertEqual(d[199], b"z" * 10000)

    def test_full(self):
        d = self.make(initial_size=64 << 10, max_size=64 << 10)
        stored = 0
        with self.assertRaises(mproc.FullError) as cm:
            for i in range(1000):
                d[i] = b"f" * 4000
                stored += 1
        self.assertIn("max_size", str(cm.exception))
        self.assertIn(d.name, str(cm.exception))
        self.assertEqual(cm.exception.code, -5)
        self.assertEqual(len(d), stored)  # the failed write changed nothing
        self.assertNotIn(stored, d)
        with self.assertRaises(mproc.FullError):  # update: all or nothing
            d.update({"n%d" % i: b"g" * 4000 for i in range(50)})
        self.assertNotIn("n0", d)
        del d[0]
        d["after"] = 1  # still usable
        self.assertEqual(d["after"], 1)

    def test_size_arguments(self):
        with self.assertRaises(ValueError):
            mproc.Dict(initial_size=-1)
        with self.assertRaises(ValueError):
            mproc.Dict(initial_size=2 << 20, max_size=1 << 20)
        with self.assertRaises(mproc.TooBigError):
            mproc.Dict(max_size=1 << 50)

    def test_key_too_big(self):
        d = self.make()
        with self.assertRaises(mproc.TooBigError):
            d["k" * (1 << 17)] = 1

    def test_not_a_pickle(self):
        d = self.make()
        d.set_bytes("raw", b"hello")
        with self.assertRaises(mproc.NotAPickleError) as cm:
            d["raw"]
        self.assertEqual(cm.exception.data, b"hello")
        self.assertIsInstance(cm.exception, pickle.UnpicklingError)
        with self.assertRaises(mproc.NotAPickleError):
            d.items()
        self.assertEqual(d.get_bytes("raw"), b"hello")
        self.assertEqual(d.get_bytes("nope", None), None)
        d.set_bytes("raw", bytearray(b"ba"))
        self.assertEqual(d.get_bytes("raw"), b"ba")
        with self.assertRaises(TypeError):
            d.set_bytes("raw", "str")

    def test_key_encoding(self):
        d = self.make()
        d["num"] = 1
        d.set_bytes(RawKey(b"\xff\xfe"), b"c")  # a C program's non-UTF-8 key
        d.set_bytes(RawKey(b"\0Xother"), b"d")
        d[1] = "int"
        d["\0s"] = "zero-led"
        d[b"num"] = "bytes"  # not the str "num"
        self.assertEqual(d.keys(), ["num", RawKey(b"\xff\xfe"), RawKey(b"\0Xother"), 1,
                                    "\0s", b"num"])
        self.assertIsInstance(d.keys()[1], RawKey)
        self.assertEqual(d.get_bytes(RawKey(b"num")), pickle.dumps(1, 5))
        for k in d:  # every key a snapshot gives addresses its item
            self.assertIsNotNone(d.get_bytes(k))
        self.assertEqual(d[b"num"], "bytes")
        self.assertEqual(d["num"], 1)
        # Equal tuples built differently are the same key (pickled without memo).
        a = "ab" * 3
        b = "".join(["ab", "ab", "ab"])
        d[(a, a)] = 1
        d[(a, b)] = 2
        self.assertEqual(d[(b, b)], 2)

    def test_lock(self):
        d = self.make()
        self.assertTrue(d.acquire())
        self.assertTrue(d.acquire(timeout=0))  # recursive
        d["x"] = 1  # calls inside the group work
        d.release()
        d.release()
        with self.assertRaises(AssertionError):
            d.release()
        with d.get_lock():
            d["y"] = 2
        self.assertEqual(d.copy(), {"x": 1, "y": 2})

    def test_lock_held_elsewhere(self):
        d = self.make()
        holder = self.fork_holder(d.acquire)
        self.assertFalse(d.acquire(timeout=SHORT))
        self.assertFalse(d.acquire(False))
        t, res = self.thread(lambda: d.__setitem__("w", 1))
        time.sleep(SHORT)
        self.assertEqual(res, [])  # waits for the holder
        kill_and_reap(holder)  # the call takes the lock over from the dead holder
        self.join_thread(t)
        self.assertEqual(res, [None])
        self.assertEqual(d["w"], 1)

    def test_owner_died(self):
        d = self.make()
        kill_and_reap(self.fork_holder(d.acquire))
        self.assertTrue(d.acquire(timeout=LONG))
        self.assertTrue(d.owner_died)  # a group of the dead holder may be half done
        d.release()
        self.assertTrue(d.acquire(timeout=LONG))
        self.assertFalse(d.owner_died)
        d.release()
        d["x"] = 1

    def test_ctrl_c_while_waiting(self):
        d = self.make()
        holder = self.fork_holder(d.acquire)
        self.assertEqual(interrupted_status(lambda: d.__setitem__("x", 1)), 7)
        self.assertEqual(interrupted_status(lambda: d.acquire()), 7)
        kill_and_reap(holder)

    def test_closed(self):
        d = self.make()
        d["a"] = 1
        d.close()
        d.close()
        for call in (lambda: d["a"], lambda: d.__setitem__("a", 2), lambda: len(d),
                     lambda: d.keys(), lambda: d.acquire(), lambda: "a" in d,
                     lambda: d.get_bytes("a"), lambda: d.update(a=3)):
            with self.assertRaises(ValueError):
                call()

    def test_named_open_and_unlink(self):
        d = self.named(mproc.Dict, tag="dict")
        d["a"] = 1
        other = mproc.Dict.open(d.name)
        self.addCleanup(other.close)
        self.assertEqual(other["a"], 1)
        again = mproc.Dict(name=d.name, open_existing=True)
        self.addCleanup(again.close)
        self.assertEqual(again.copy(), {"a": 1})
        with self.assertRaises(FileExistsError):
            mproc.Dict(name=d.name)
        with self.assertRaises(TypeError):  # KindError: a dict is not a list
            mproc.List.open(d.name)
        d.unlink()
        with self.assertRaises(FileNotFoundError):
            mproc.Dict.open(d.name)
        self.assertEqual(other["a"], 1)  # open handles keep working

    def test_automatic_name_unlinked_on_close(self):
        d = mproc.Dict()
        name = d.name
        mproc.Dict.open(name).close()
        d.close()
        with self.assertRaises(FileNotFoundError):
            mproc.Dict.open(name)

    def test_pickle_by_name(self):
        d = self.make()
        d["a"] = 1
        d2 = pickle.loads(pickle.dumps(d))
        self.addCleanup(d2.close)
        self.assertEqual(d2.name, d.name)
        d2["b"] = 2
        self.assertEqual(d["b"], 2)


class ListSemantics(MprocTestCase):
    def make(self, *args, **kw):
        lst = mproc.List(*args, **kw)
        self.addCleanup(lst.close)
        return lst

    def assertSame(self, lst, ref):
        self.assertEqual(len(lst), len(ref))
        self.assertEqual(lst.copy(), ref)
        self.assertEqual(list(lst), ref)
        self.assertTrue(lst == ref)

    def test_basic_operations_match_list(self):
        lst, ref = self.make(), []
        for x in [1, "two", (3,), [4], None, b"six", 7.5]:
            lst.append(x)
            ref.append(x)
        self.assertSame(lst, ref)
        for i in range(-len(ref), len(ref)):
            self.assertEqual(lst[i], ref[i])
        for bad in (len(ref), -len(ref) - 1, 10 ** 30):
            with self.assertRaises(IndexError):
                lst[bad]
            with self.assertRaises(IndexError):
                lst[bad] = 0
            with self.assertRaises(IndexError):
                del lst[bad]
        lst[1] = ref[1] = "TWO"
        lst[-1] = ref[-1] = 8.5
        del lst[0]
        del ref[0]
        self.assertSame(lst, ref)
        lst.insert(100, "end")
        ref.insert(100, "end")
        lst.insert(-100, "start")
        ref.insert(-100, "start")
        lst.insert(2, "mid")
        ref.insert(2, "mid")
        self.assertSame(lst, ref)
        self.assertEqual(lst.pop(), ref.pop())
        self.assertEqual(lst.pop(0), ref.pop(0))
        self.assertEqual(lst.pop(-2), ref.pop(-2))
        self.assertSame(lst, ref)
        self.assertEqual(lst.index([4]), ref.index([4]))
        self.assertEqual(lst.count("mid"), 1)
        with self.assertRaises(ValueError):
            lst.index("nope")
        lst.remove("mid")
        ref.remove("mid")
        with self.assertRaises(ValueError):
            lst.remove("mid")
        self.assertIn([4], lst)
        self.assertNotIn([5], lst)
        lst.extend([1, 2])
        ref.extend([1, 2])
        lst += [3]
        ref += [3]
        self.assertSame(lst, ref)
        self.assertEqual(lst + [0], ref + [0])
        self.assertEqual([0] + lst, [0] + ref)
        self.assertEqual(lst * 2, ref * 2)
        self.assertEqual(2 * lst, 2 * ref)
        lst.reverse()
        ref.reverse()
        self.assertSame(lst, ref)
        self.assertEqual(list(reversed(lst)), list(reversed(ref)))
        lst.clear()
        ref.clear()
        self.assertSame(lst, ref)
        with self.assertRaises(IndexError):
            lst.pop()
        self.assertEqual(str(self.make([1, "a"])), "[1, 'a']")

    def test_sort(self):
        data = [5, 3, 9, 1, 3, 7, 2]
        lst = self.make(data)
        ref = list(data)
        lst.sort()
        ref.sort()
        self.assertSame(lst, ref)
        lst.sort(reverse=True)
        ref.sort(reverse=True)
        self.assertSame(lst, ref)
        pairs = [(1, "b"), (0, "a"), (1, "a"), (0, "b")]
        lst = self.make(pairs)
        lst.sort(key=lambda p: p[0])  # stable, as list.sort
        self.assertEqual(lst.copy(), sorted(pairs, key=lambda p: p[0]))
        lst = self.make([1, "x"])
        with self.assertRaises(TypeError):
            lst.sort()
        self.assertEqual(lst.copy(), [1, "x"])  # unchanged

    def test_slices_match_list(self):
        rng = random.Random(88)
        ref = list(range(20))
        lst = self.make(ref)
        bounds = [None, 0, 1, 3, -1, -3, 7, 19, 20, 25, -25, 10 ** 20, -10 ** 20]
        steps = [None, 1, 2, 3, -1, -2]
        for start in bounds:
            for stop in bounds:
                for step in steps:
                    s = slice(start, stop, step)
                    self.assertEqual(lst[s], ref[s], s)
        for _ in range(400):
            start, stop = rng.choice(bounds), rng.choice(bounds)
            step = rng.choice(steps)
            s = slice(start, stop, step)
            op = rng.randrange(3)
            if op == 0:
                del lst[s]
                del ref[s]
            elif step in (None, 1):
                new = [rng.randrange(100) for _ in range(rng.randrange(4))]
                lst[s] = new
                ref[s] = new
            else:
                n = len(ref[s])
                new = [rng.randrange(100) for _ in range(n)]
                lst[s] = new
                ref[s] = new
                if n:
                    with self.assertRaises(ValueError):
                        lst[s] = new + [1]
            if len(ref) < 5:
                extra = list(range(10))
                lst.extend(extra)
                ref.extend(extra)
            self.assertEqual(lst.copy(), ref, s)
        lst[:] = lst  # from a snapshot of itself
        self.assertEqual(lst.copy(), ref)

    def test_imul(self):
        lst, ref = self.make([1, 2]), [1, 2]
        lst *= 3
        ref *= 3
        self.assertSame(lst, ref)
        lst *= 1
        self.assertSame(lst, ref)
        lst *= 0
        self.assertSame(lst, [])

    def test_bytes_and_not_a_pickle(self):
        lst = self.make()
        lst.append_bytes(b"raw")
        lst.append(1)
        with self.assertRaises(mproc.NotAPickleError) as cm:
            lst[0]
        self.assertEqual(cm.exception.data, b"raw")
        self.assertEqual(lst.get_bytes(0), b"raw")
        self.assertEqual(lst.get_bytes(-1), pickle.dumps(1, 5))
        lst.set_bytes(1, b"x")
        self.assertEqual(lst.get_bytes(1), b"x")
        with self.assertRaises(IndexError):
            lst.get_bytes(2)
        with self.assertRaises(mproc.NotAPickleError):
            lst.copy()

    def test_big_items_and_full(self):
        lst = self.make(initial_size=64 << 10, max_size=8 << 20)
        big = b"b" * (2 << 20)
        lst.append(big)
        self.assertEqual(lst[0], big)
        with self.assertRaises(mproc.FullError) as cm:
            for _ in range(10):
                lst.append(big)
        self.assertIn("max_size", str(cm.exception))
        n = len(lst)
        with self.assertRaises(mproc.FullError):
            lst.extend([big] * 5)
        self.assertEqual(len(lst), n)
        lst.pop()
        lst.append(1)

    def test_pickle_and_closed(self):
        lst = self.make([1])
        other = pickle.loads(pickle.dumps(lst))
        self.addCleanup(other.close)
        other.append(2)
        self.assertEqual(lst.copy(), [1, 2])
        other.close()
        with self.assertRaises(ValueError):
            other[0]
        with self.assertRaises(ValueError):
            other.append(1)
        with self.assertRaises(ValueError):
            len(other)


class AcrossProcesses(MprocTestCase):
    def test_fork_children_exact_counts(self):
        d = mproc.Dict({"n": 0})
        self.addCleanup(d.close)
        rounds, children = 300, 4
        procs = [mproc.Process(target=counter_child, args=(d, rounds, c))
                 for c in range(children)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(LONG * 4)
            self.assertEqual(p.exitcode, 0)
        self.assertEqual(d["n"], rounds * children)
        self.assertEqual(len(d), 1 + rounds * children)
        self.assertEqual(d[(3, rounds - 1)], rounds - 1)

    def test_list_exact_counts(self):
        lst = mproc.List([0])
        self.addCleanup(lst.close)
        procs = [mproc.Process(target=list_counter_child, args=(lst, 200)) for _ in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(LONG * 4)
            self.assertEqual(p.exitcode, 0)
        self.assertEqual(lst[0], 600)
        self.assertEqual(len(lst), 601)

    def test_spawn_child(self):
        d = mproc.Dict({"seed": 21})
        lst = mproc.List()
        self.addCleanup(d.close)
        self.addCleanup(lst.close)
        for ctx in (multiprocessing.get_context("spawn"), mproc.get_context("spawn")):
            p = ctx.Process(target=spawn_dict_child, args=(d, lst))
            p.start()
            p.join(LONG * 2)
            self.assertEqual(p.exitcode, 0)
            self.assertEqual(d["from_spawn"], (p.pid, 42))
        self.assertEqual(lst.copy(), ["spawned", "spawned"])

    def test_writer_killed_mid_write(self):
        """A process SIGKILLed while it writes big values leaves a consistent dict: every
        value is one the writer wrote whole, and the dict keeps working."""
        d = self.named(mproc.Dict, tag="fault", max_size=64 << 20)
        for round_ in range(4):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - child
                try:
                    os.close(r)
                    big_writer(d.name, w)
                finally:
                    os._exit(2)
            os.close(w)
            self.addCleanup(kill_and_reap, pid)
            self.assertEqual(os.read(r, 1), b"x")
            os.close(r)
            time.sleep(0.2 + 0.13 * round_)
            os.kill(pid, signal.SIGKILL)
            self.assertEqual(wait_child(pid), -signal.SIGKILL)
            items = d.copy()
            for k, v in items.items():
                if k.startswith("k"):
                    self.assertIn(len(v), [200000 + j * 10000 for j in range(5)])
                    self.assertEqual(v, v[:1] * len(v), "torn value of %r" % k)
                elif k == "after":
                    continue
                elif k == "v":
                    self.assertEqual(v, v[:1] * 50000)
                else:
                    self.assertTrue(k.startswith("u") and 0 <= v < 251, (k, v))
            d["after"] = round_  # still usable, from this process
            self.assertEqual(d["after"], round_)
            self.assertTrue(d.acquire(timeout=LONG))
            d.release()


# A plain Python child (not a child of mproc, no mproc import) that drives the C ABI
# through ctypes: what any language with an FFI does.
CTYPES_CHILD = r"""
import ctypes, os, sys
lib = ctypes.CDLL(os.environ["MPROC_LIBRARY"])
h = ctypes.c_void_p()
assert lib.mproc_dict_open(sys.argv[1].encode(), ctypes.byref(h)) == 0
lib.mproc_dict_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                               ctypes.c_char_p, ctypes.c_size_t, ctypes.c_double]
for i in range(100):
    key = b"ffi%d" % i
    assert lib.mproc_dict_set(h, key, len(key), b"x" * i, i, 60.0) == 0
lib.mproc_dict_close.argtypes = [ctypes.c_void_p]
assert lib.mproc_dict_close(h) == 0
"""


class CrossLanguage(MprocTestCase):
    def test_c_program_writes_python_reads(self):
        path = peer(self, "dict_writer")
        d = self.named(mproc.Dict, tag="xl-dict")
        lst = self.named(mproc.List, tag="xl-list")
        d["num"] = 1  # replaced by C's "num": the same key
        d.set_bytes("py", b"from python")
        lst.append_bytes(b"python first")
        out = subprocess.run([path, d.name, lst.name, "500"], capture_output=True,
                             timeout=LONG * 2)
        self.assertEqual(out.returncode, 0, out.stderr.decode(errors="replace"))
        self.assertEqual(out.stdout.decode().split("\n")[:2], ["from python", "python first"])
        self.assertEqual(d.get_bytes("num"), b"c-num")
        with self.assertRaises(mproc.NotAPickleError) as cm:
            d["num"]
        self.assertEqual(cm.exception.data, b"c-num")
        for i in range(500):
            self.assertEqual(d.get_bytes("c%d" % i), b"v%d" % i)
        self.assertEqual(d.get_bytes("a"), b"1")
        self.assertEqual(d.get_bytes("b"), b"22")
        keys = d.keys()
        self.assertEqual(keys[:3], ["num", "py", "c0"])  # insertion order, "num" kept its place
        self.assertIn(RawKey(b"\xff\x01"), keys)
        self.assertEqual(d.get_bytes(RawKey(b"\xff\x01")), b"raw")
        self.assertEqual(len(lst), 501)
        self.assertEqual(lst.get_bytes(500), b"item499")
        self.assertEqual([lst.get_bytes(i) for i in range(1, 4)], [b"item0", b"item1", b"item2"])

    def test_ctypes_child(self):
        d = self.named(mproc.Dict, tag="xl-ffi")
        env = dict(os.environ)
        env["MPROC_LIBRARY"] = mproc.library_path
        out = subprocess.run([sys.executable, "-c", CTYPES_CHILD, d.name], env=env,
                             capture_output=True, timeout=LONG * 2)
        self.assertEqual(out.returncode, 0, out.stderr.decode(errors="replace"))
        self.assertEqual(len(d), 100)
        self.assertEqual(d.get_bytes("ffi99"), b"x" * 99)
        self.assertEqual(d.get_bytes("ffi0"), b"")


if __name__ == "__main__":
    unittest.main()
