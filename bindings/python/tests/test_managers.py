"""Tests of mproc.Manager(): the tutorial (``dic = Manager().dict()`` written by ten
Processes), every factory method of ``with Manager() as m:``, shutdown closing and
unlinking what the manager made, and Namespace."""

import multiprocessing
import pickle
import unittest

import mproc

from support import LONG, MprocTestCase


def tutorial_child(i, dic):
    dic["num"] = 100 + i
    dic[i] = i
    print(dic.items(), flush=True)


def namespace_child(ns):
    ns.x += 1
    ns.from_child = "hi"
    ns._local = "not shared"


def use_all(objs):
    """A child that uses each kind the manager made (they arrive pickled by name under
    spawn, inherited under fork)."""
    d, lst, ns, value, arr, q, lock, event = objs
    with lock:
        d["child"] = True
        lst.append("child")
        ns.child = 1
        value.value += 1
        arr[0] = 9
    q.put("from child")
    event.set()


class Tutorial(MprocTestCase):
    def test_manager_dict_ten_processes(self):
        dic = mproc.Manager().dict()  # the manager itself is dropped at once
        self.addCleanup(dic.close)
        for i in range(10):
            p = mproc.Process(target=tutorial_child, args=(i, dic))
            p.start()
            p.join(LONG)
            self.assertEqual(p.exitcode, 0)
            self.assertEqual(dic["num"], 100 + i)
        self.assertEqual(dic["num"], 109)
        self.assertEqual(dic.keys(), ["num"] + list(range(10)))
        self.assertEqual(dic.copy(), dict({"num": 109}, **{}) | {i: i for i in range(10)})

    def test_concurrent_children(self):
        with mproc.Manager() as m:
            dic = m.dict()
            procs = [mproc.Process(target=tutorial_child, args=(i, dic)) for i in range(10)]
            for p in procs:
                p.start()
            for p in procs:
                p.join(LONG)
                self.assertEqual(p.exitcode, 0)
            self.assertIn(dic["num"], range(100, 110))
            self.assertEqual(sorted(k for k in dic.keys() if k != "num"), list(range(10)))


class Factories(MprocTestCase):
    def test_every_factory(self):
        with mproc.Manager() as m:
            self.assertIsNone(m.address)
            m.connect()
            d = m.dict({"a": 1}, b=2)
            self.assertIsInstance(d, mproc.Dict)
            self.assertEqual(d.copy(), {"a": 1, "b": 2})
            self.assertEqual(m.dict().copy(), {})
            lst = m.list(range(3))
            self.assertIsInstance(lst, mproc.List)
            self.assertEqual(lst.copy(), [0, 1, 2])
            self.assertEqual(m.list().copy(), [])
            ns = m.Namespace(x=1, y="two")
            self.assertEqual((ns.x, ns.y), (1, "two"))
            value = m.Value("i", 5)
            self.assertEqual(value.value, 5)
            arr = m.Array("d", [1.0, 2.0])
            self.assertEqual(arr[:], [1.0, 2.0])
            q = m.Queue()
            q.put(1)
            self.assertEqual(q.get(timeout=LONG), 1)
            jq = m.JoinableQueue(4)
            jq.put(1)
            jq.get(timeout=LONG)
            jq.task_done()
            self.assertTrue(jq.join(timeout=LONG))
            lock, rlock = m.Lock(), m.RLock()
            self.assertTrue(lock.acquire())
            lock.release()
            with rlock:
                with rlock:
                    pass
            sem = m.Semaphore(2)
            self.assertTrue(sem.acquire(timeout=0))
            bsem = m.BoundedSemaphore(1)
            bsem.acquire()
            bsem.release()
            with self.assertRaises(ValueError):
                bsem.release()
            cond = m.Condition()
            with cond:
                self.assertFalse(cond.wait(0.01))
            cond2 = m.Condition(m.Lock())
            with cond2:
                cond2.notify_all()
            event = m.Event()
            event.set()
            self.assertTrue(event.wait(0))
            barrier = m.Barrier(1)
            self.assertEqual(barrier.wait(LONG), 0)
            with m.Pool(2) as pool:
                self.assertEqual(pool.map(abs, [-1, -2]), [1, 2])
            pool2 = m.Pool(1)
            self.assertEqual(pool2.apply(abs, (-3,)), 3)
            names = [(type(o), o.name) for o in (d, lst, value, arr, q, jq, lock, rlock,
                                                  sem, bsem, event, barrier)]
            names.append((mproc.Dict, ns._dict.name))
        # shutdown closed every object and removed its name
        for obj in (d, lst, value, arr, q, lock, event, ns._dict):
            self.assertTrue(obj.closed, obj)
        with self.assertRaises(ValueError):
            d["a"]
        with self.assertRaises(ValueError):
            q.put(1)
        for kind, name in names:
            with self.assertRaises(FileNotFoundError, msg=kind.__name__):
                kind.open(name)

    def test_children_see_manager_objects(self):
        for method in ("fork", "spawn"):
            with self.subTest(method=method), mproc.Manager() as m:
                objs = (m.dict(), m.list(), m.Namespace(), m.Value("i", 0),
                        m.Array("i", 2), m.Queue(), m.Lock(), m.Event())
                p = mproc.get_context(method).Process(target=use_all, args=(objs,))
                p.start()
                p.join(LONG * 2)
                self.assertEqual(p.exitcode, 0)
                d, lst, ns, value, arr, q, lock, event = objs
                self.assertEqual(d.copy(), {"child": True})
                self.assertEqual(lst.copy(), ["child"])
                self.assertEqual(ns.child, 1)
                self.assertEqual(value.value, 1)
                self.assertEqual(arr[0], 9)
                self.assertEqual(q.get(timeout=LONG), "from child")
                self.assertTrue(event.is_set())

    def test_life_cycle(self):
        m = mproc.managers.SyncManager()
        m.start()
        with self.assertRaises(multiprocessing.ProcessError):
            m.start()
        d = m.dict()
        m.shutdown()
        m.shutdown()  # idempotent
        self.assertTrue(d.closed)
        with self.assertRaises(multiprocessing.ProcessError):
            m.dict()
        # Objects that went away before shutdown are not kept alive by the manager.
        m2 = mproc.Manager()
        name = m2.dict().name
        with self.assertRaises(FileNotFoundError):
            mproc.Dict.open(name)
        m2.shutdown()
        # start(initializer) runs it here; contexts expose Manager.
        seen = []
        m3 = mproc.managers.SyncManager()
        m3.start(seen.append, ("init",))
        self.assertEqual(seen, ["init"])
        m3.shutdown()
        with mproc.get_context("spawn").Manager() as m4:
            self.assertIsInstance(m4.list(), mproc.List)


class NamespaceTest(MprocTestCase):
    def test_attributes(self):
        ns = mproc.Namespace(x=1)
        self.addCleanup(ns._dict.close)
        ns.y = [2]
        self.assertEqual(ns.x, 1)
        self.assertEqual(ns.y, [2])
        with self.assertRaises(AttributeError):
            ns.missing
        self.assertFalse(hasattr(ns, "missing"))
        del ns.x
        with self.assertRaises(AttributeError):
            del ns.x
        ns._private = 3  # local, as multiprocessing's NamespaceProxy
        self.assertEqual(ns._private, 3)
        self.assertNotIn("_private", ns._dict)
        ns.b = "b"
        self.assertEqual(repr(ns), "Namespace(b='b', y=[2])")
        self.assertEqual(dir(ns), ["b", "y"])
        ns.open = "an attribute, not the classmethod"
        self.assertEqual(ns.open, "an attribute, not the classmethod")

    def test_shared_with_children_and_by_name(self):
        with mproc.Manager() as m:
            ns = m.Namespace(x=0)
            for method in ("fork", "spawn"):
                p = mproc.get_context(method).Process(target=namespace_child, args=(ns,))
                p.start()
                p.join(LONG * 2)
                self.assertEqual(p.exitcode, 0)
            self.assertEqual(ns.x, 2)
            self.assertEqual(ns.from_child, "hi")
            self.assertFalse(hasattr(ns, "_local"))
            again = pickle.loads(pickle.dumps(ns))
            self.assertEqual(again.x, 2)
            other = mproc.Namespace.open(ns._dict.name)
            self.assertEqual(other.from_child, "hi")
            other._dict.close()
            again._dict.close()
        with self.assertRaises(TypeError):
            mproc.Namespace({"not": "a Dict"})


if __name__ == "__main__":
    unittest.main()
