"""mproc.object_names, inspect_object and remove_object: objects of several kinds seen
from Python, a queue's counters, a held lock, garbage files, a dead creator, users."""

import os
import struct
import unittest

from support import LONG, MprocTestCase, unique
import mproc

_FIELDS = {
    "name", "kind", "kind_name", "status", "problem", "layout_version", "bytes", "mode",
    "uid", "creator_pid", "creator_start_time", "creator_alive", "users", "holder_pid",
    "holder_alive", "depth", "capacity", "puts", "gets", "waits", "timeouts", "owner_dead",
}


def _remove_quietly(name):
    try:
        mproc.remove_object(name)
    except FileNotFoundError:
        pass


class ObjectsTest(MprocTestCase):

    def garbage(self, data):
        """Writes `data` as the file of a fresh object name; returns the name."""
        name = unique("garbage")
        self.addCleanup(_remove_quietly, name)
        with open("/dev/shm/mproc." + name, "xb") as f:
            f.write(data)
        return name

    def test_exported(self):
        for name in ("object_names", "inspect_object", "remove_object"):
            self.assertIn(name, mproc.__all__)

    def test_kinds_report_themselves(self):
        objects = {
            "lock": self.named(mproc.Lock),
            "rlock": self.named(mproc.RLock),
            "semaphore": self.named(mproc.Semaphore, 2),
            "event": self.named(mproc.Event),
            "queue": self.named(mproc.Queue, 4),
        }
        for kind_name, obj in objects.items():
            with self.subTest(kind=kind_name):
                info = mproc.inspect_object(obj.name)
                self.assertEqual(set(info), _FIELDS)
                self.assertEqual(info["name"], obj.name)
                self.assertEqual(info["kind_name"], kind_name)
                self.assertEqual(info["status"], 0)
                self.assertEqual(info["problem"], "")
                self.assertEqual(info["creator_pid"], os.getpid())
                self.assertEqual(info["creator_alive"], 1)
                self.assertEqual(info["mode"], 0o600)
                self.assertEqual(info["users"], 1)
                self.assertIsInstance(info["bytes"], int)

    def test_queue_counters(self):
        queue = self.named(mproc.Queue, 8)
        for i in range(5):
            queue.put(i)
        self.assertEqual(queue.get(timeout=LONG), 0)
        info = mproc.inspect_object(queue.name)
        self.assertEqual((info["depth"], info["capacity"], info["puts"], info["gets"]),
                         (4, 8, 5, 1))

    def test_held_lock_and_semaphore_value(self):
        lock = self.named(mproc.Lock)
        self.assertTrue(lock.acquire())
        info = mproc.inspect_object(lock.name)
        self.assertEqual((info["holder_pid"], info["holder_alive"]), (os.getpid(), 1))
        lock.release()
        self.assertEqual(mproc.inspect_object(lock.name)["holder_pid"], 0)
        semaphore = self.named(mproc.BoundedSemaphore, 3)
        semaphore.acquire()
        info = mproc.inspect_object(semaphore.name)
        self.assertEqual((info["depth"], info["capacity"]), (2, 3))

    def test_names_and_remove(self):
        event = self.named(mproc.Event)
        names = mproc.object_names()
        self.assertIn(event.name, names)
        self.assertEqual(names, sorted(names))
        self.assertTrue(all(isinstance(n, str) for n in names))
        mproc.remove_object(event.name)
        self.assertNotIn(event.name, mproc.object_names())
        event.set()  # this handle keeps the object
        self.assertTrue(event.is_set())
        with self.assertRaises(FileNotFoundError):
            mproc.remove_object(event.name)
        with self.assertRaises(mproc.NotFoundError):
            mproc.inspect_object(event.name)

    def test_bad_names(self):
        for bad in ("", "..", "a/b", "x" * 201):
            with self.subTest(name=bad):
                with self.assertRaises(mproc.InvalidArgumentError):
                    mproc.inspect_object(bad)
                with self.assertRaises(ValueError):
                    mproc.remove_object(bad)
        with self.assertRaises(TypeError):
            mproc.inspect_object(b"bytes")

    def test_garbage(self):
        magic, ready = 0x424f00434f52504d, 0x59444552

        def header(kind, version, size):
            return struct.pack("<QIIIIQi", magic, ready, version, kind, 64, size, os.getpid())

        cases = [
            ("too short", b"\x01" * 10, -10),                      # MPROC_EKIND
            ("bad magic", b"\x00" * 4096, -10),
            ("unknown kind", header(50, 1, 4096).ljust(4096, b"\0"), -10),
            ("other version", header(1, 9, 72).ljust(72, b"\0"), -11),  # MPROC_EVERSION
            ("size over the file", header(9, 1, 1 << 20).ljust(4096, b"\0"), -23),
        ]
        for what, data, status in cases:
            with self.subTest(what):
                name = self.garbage(data)
                info = mproc.inspect_object(name)
                self.assertEqual(info["status"], status)
                self.assertNotEqual(info["problem"], "")
                self.assertEqual(info["bytes"], len(data))
                mproc.remove_object(name)
                self.assertNotIn(name, mproc.object_names())

    def test_dead_creator_and_users(self):
        name = unique("orphan")
        self.addCleanup(_remove_quietly, name)

        def child():
            mproc.Event(name=name).close()
            return True
        self.assertChildOk(self.fork(child))
        info = mproc.inspect_object(name)
        self.assertNotEqual(info["creator_pid"], os.getpid())
        self.assertEqual(info["creator_alive"], 0)
        self.assertEqual(info["users"], 0)
        event = mproc.Event.open(name)
        self.addCleanup(event.close)
        self.assertEqual(mproc.inspect_object(name)["users"], 1)


if __name__ == "__main__":
    unittest.main()
