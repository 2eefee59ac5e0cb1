"""The `mproc` command-line tool (tools/mproc): ls, show, rm and gc on objects made here
through the Python binding, and by helper processes that are killed to leave garbage.

Run from CTest (tests/cli/CMakeLists.txt) with $MPROC_CLI = the built program,
$MPROC_LIBRARY = this build's libmproc and PYTHONPATH = bindings/python. Every name starts
with a prefix made of the pid and the test's name, and each test removes what it made.
gc is run on the test's own names only (`mproc gc NAME...`) when it may remove something:
a bare `mproc gc` would also remove other tests' garbage, which may be another test's
object between a child's death and its parent opening it. `gc --dry-run` runs bare.
"""

import ctypes
import glob
import json
import os
import re
import struct
import subprocess
import sys
import time
import unittest

import mproc
from mproc import _lib

CLI = os.environ.get("MPROC_CLI", "")
SHM = "/dev/shm"
TIMEOUT = 120  # seconds for any one run of the tool or a helper: a hang fails the test
TRY_HELP = "Try 'mproc --help' for more information."
# Another process inspecting an object (an `mproc ls` or `mproc gc` of a test running in
# parallel, any caller of mproc_object_inspect) maps it for a moment, and so counts among
# its users then. Where a test needs "no process maps it", it asks up to RETRIES times.
RETRIES = 100
RETRY_PAUSE = 0.1  # seconds

# Every field of mproc_object_info_t but size, as `ls --json` and `show --json` name them.
INFO_FIELDS = {
    "name", "kind", "kind_name", "status", "problem", "layout_version", "bytes", "mode",
    "uid", "creator_pid", "creator_start_time", "creator_alive", "users", "holder_pid",
    "holder_alive", "depth", "capacity", "puts", "gets", "waits", "timeouts", "owner_dead",
}

# A helper process: creates (or opens) an object by name ("hold": creates a lock and takes
# it), says "ready", then waits to be killed. Creating and dying leaves an object whose
# creator is dead.
CHILD = r"""
import sys
import mproc
action, kind, name = sys.argv[1:4]
kinds = {"queue": mproc.Queue, "lock": mproc.Lock}
if action in ("create", "hold"):
    obj = kinds[kind](name=name)
    if action == "hold":
        obj.acquire()
else:
    obj = kinds[kind].open(name)
print("ready", flush=True)
sys.stdin.read()
"""


def shm_path(name):
    return os.path.join(SHM, "mproc." + name)


@unittest.skipUnless(CLI, "MPROC_CLI is not set: run through CTest")
class CliTest(unittest.TestCase):
    def setUp(self):
        self.prefix = "cli-%d-%s-" % (os.getpid(), self._testMethodName)
        self.objects = []
        self.addCleanup(self._remove_everything)

    def _remove_everything(self):
        for obj in self.objects:
            obj.close()
        for path in glob.glob(shm_path(self.prefix) + "*"):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    # ---- helpers ---------------------------------------------------------------

    def name(self, suffix):
        return self.prefix + suffix

    def keep(self, obj):
        """obj stays open until the test ends (then closed; its name removed)."""
        self.objects.append(obj)
        return obj

    def run_cli(self, *args, stdout=subprocess.PIPE):
        return subprocess.run([CLI, *args], stdout=stdout, stderr=subprocess.PIPE,
                              text=True, timeout=TIMEOUT)

    def ok(self, *args):
        """Runs the tool, asserts exit 0 and an empty stderr; returns stdout."""
        result = self.run_cli(*args)
        self.assertEqual(result.returncode, 0, "mproc %s: %s" % (" ".join(args), result.stderr))
        self.assertEqual(result.stderr, "")
        return result.stdout

    def start_child(self, action, kind, name):
        """A helper process that has `name` created or opened: returns it once ready."""
        child = subprocess.Popen([sys.executable, "-c", CHILD, action, kind, name],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(self._stop_child, child)
        line = child.stdout.readline()  # "" if the child failed: no hang
        self.assertEqual(line, "ready\n", "helper %s %s %s failed" % (action, kind, name))
        return child

    def _stop_child(self, child):
        if child.poll() is None:
            child.kill()
        child.wait(timeout=TIMEOUT)
        child.stdin.close()
        child.stdout.close()

    def kill_child(self, child):
        child.kill()
        child.wait(timeout=TIMEOUT)

    def dead_creator_queue(self, suffix):
        """A queue whose creator was SIGKILLed: garbage for gc."""
        name = self.name(suffix)
        self.kill_child(self.start_child("create", "queue", name))
        return name

    def until(self, produce, accept, what):
        """produce() until accept(value) (see RETRIES); returns that value."""
        for _ in range(RETRIES):
            value = produce()
            if accept(value):
                return value
            time.sleep(RETRY_PAUSE)
        self.fail("%s: last got %r" % (what, value))

    def gc_removes(self, name, *flags):
        """`mproc gc FLAGS NAME` removes name (asked again while a passing inspector of
        another test maps it); returns the output."""
        out = self.until(lambda: self.ok("gc", *flags, name),
                         lambda out: out != "" or not os.path.exists(shm_path(name)),
                         "gc %s" % name)
        self.assertFalse(os.path.exists(shm_path(name)))
        return out

    def ls_rows(self, *args):
        """`mproc ls` parsed: {name: {column: cell}} (DETAIL may hold spaces)."""
        lines = self.ok("ls", *args).splitlines()
        header = lines[0].split()
        self.assertEqual(header, ["NAME", "KIND", "VERSION", "SIZE", "MODE", "CREATOR",
                                  "ALIVE", "USERS", "DETAIL"])
        rows = {}
        for line in lines[1:]:
            cells = line.split(None, len(header) - 1)
            cells += [""] * (len(header) - len(cells))
            rows[cells[0]] = dict(zip(header, cells))
        return rows

    def show_json(self, name):
        objects = json.loads(self.ok("show", "--json", name))
        self.assertIsInstance(objects, list)
        self.assertEqual(len(objects), 1)
        return objects[0]

    def assert_usage_error(self, *args):
        result = self.run_cli(*args)
        self.assertEqual(result.returncode, 2, "mproc %s" % " ".join(args))
        self.assertTrue(result.stderr.startswith("mproc: "), result.stderr)
        self.assertEqual(result.stderr.splitlines()[-1], TRY_HELP)
        self.assertEqual(result.stdout, "")

    def assert_fails(self, args, message):
        result = self.run_cli(*args)
        self.assertEqual(result.returncode, 1, "mproc %s: %s" % (" ".join(args), result.stderr))
        self.assertIn(message + "\n", result.stderr)
        return result

    # ---- help, version, usage errors --------------------------------------------

    def test_help_and_version(self):
        self.assertIn("Usage: mproc COMMAND", self.ok("--help"))
        self.assertIn("Usage: mproc COMMAND", self.ok("gc", "--help"))
        self.assertEqual(self.ok("--version"), "mproc %s\n" % _lib.version)

    def test_usage_errors_exit_2(self):
        for args in ([], ["bogus"], ["--bogus"], ["-x"], ["ls", "--bogus"], ["ls", "-z"],
                     ["ls", "extra"], ["ls", "--json=yes"], ["show"], ["rm"], ["rm", "-x", "a"],
                     ["gc", "--force"]):
            with self.subTest(args=args):
                self.assert_usage_error(*args)

    def test_write_error_fails(self):
        with open("/dev/full", "w") as full:
            result = self.run_cli("--help", stdout=full)
        self.assertEqual(result.returncode, 1)
        self.assertIn("mproc: write error", result.stderr)

    # ---- ls ----------------------------------------------------------------------

    def test_ls_shows_kinds_and_details(self):
        lock = self.keep(mproc.Lock(name=self.name("lock")))
        lock.acquire()
        self.keep(mproc.RLock(name=self.name("rlock")))
        self.keep(mproc.Semaphore(3, name=self.name("sem")))
        self.keep(mproc.Event(name=self.name("event"))).set()
        self.keep(mproc.Event(name=self.name("event-clear")))
        self.keep(mproc.Barrier(3, name=self.name("barrier")))
        queue = self.keep(mproc.Queue(8, name=self.name("queue")))
        queue.put("a")
        queue.put("b")
        self.keep(mproc.Dict({"a": 1, "b": 2}, name=self.name("dict")))
        self.keep(mproc.List([1, 2, 3], name=self.name("list")))
        self.keep(mproc.RawValue("d", 2.5, name=self.name("value")))
        self.keep(mproc.RawArray("i", 5, name=self.name("array")))
        expected = {
            "lock": ("lock", "held by %d" % os.getpid()),
            "rlock": ("rlock", "free"),
            "sem": ("semaphore", "value 3"),
            "event": ("event", "set"),
            "event-clear": ("event", "clear"),
            "barrier": ("barrier", "0/3 waiting"),
            "queue": ("queue", "2/8"),
            "dict": ("dict", "2 items"),
            "list": ("list", "3 items"),
            "value": ("value", "1 item"),
            "array": ("array", "5 items"),
        }
        rows = self.ls_rows()
        for suffix, (kind, detail) in expected.items():
            with self.subTest(kind=kind):
                row = rows.get(self.name(suffix))
                self.assertIsNotNone(row, "%s not listed" % self.name(suffix))
                self.assertEqual(row["KIND"], kind)
                self.assertEqual(row["DETAIL"], detail)
                self.assertEqual(row["CREATOR"], str(os.getpid()))
                self.assertEqual(row["ALIVE"], "yes")
                self.assertEqual(row["MODE"], "0600")
                self.assertGreaterEqual(int(row["USERS"]), 1)  # this process maps it
        ours = [name for name in rows if name.startswith(self.prefix)]
        self.assertEqual(ours, sorted(ours))

    def test_ls_says_when_the_holder_of_a_lock_is_dead(self):
        name = self.name("lock")
        child = self.start_child("hold", "lock", name)
        self.assertEqual(self.ls_rows()[name]["DETAIL"], "held by %d" % child.pid)
        self.kill_child(child)
        row = self.ls_rows()[name]
        self.assertEqual(row["DETAIL"], "held by %d (dead)" % child.pid)
        self.assertEqual(row["ALIVE"], "no")
        info = self.show_json(name)
        self.assertEqual(info["holder_pid"], child.pid)
        self.assertIs(info["holder_alive"], False)

    def test_ls_json_has_every_field(self):
        self.keep(mproc.Queue(4, name=self.name("queue"))).put(b"x")
        self.keep(mproc.Lock(name=self.name("lock")))
        objects = json.loads(self.ok("ls", "--json"))
        self.assertIsInstance(objects, list)
        by_name = {obj["name"]: obj for obj in objects}
        queue = by_name[self.name("queue")]
        self.assertLessEqual(INFO_FIELDS, set(queue))
        self.assertEqual(queue["kind_name"], "queue")
        self.assertEqual(queue["kind"], 7)  # MPROC_KIND_QUEUE
        self.assertEqual(queue["status"], 0)
        self.assertEqual(queue["problem"], "")
        self.assertEqual((queue["depth"], queue["capacity"]), (1, 4))
        self.assertEqual(queue["creator_pid"], os.getpid())
        self.assertIs(queue["creator_alive"], True)
        self.assertEqual(queue["mode"], 0o600)
        self.assertGreaterEqual(queue["users"], 1)
        lock = by_name[self.name("lock")]
        self.assertEqual(lock["holder_pid"], 0)
        self.assertIsNone(lock["holder_alive"])  # nobody holds it
        names = [obj["name"] for obj in objects]
        self.assertEqual(names, sorted(names))

    def test_ls_hides_anonymous_objects_without_all(self):
        # An anonymous object through the C ABI (the binding always names its objects);
        # a CDLL of our own, so that the binding's prototypes stay as they are.
        lib = ctypes.CDLL(_lib.library_path)
        lib.mproc_lock_create.argtypes = [ctypes.c_char_p, ctypes.c_void_p,
                                          ctypes.POINTER(ctypes.c_void_p)]
        lib.mproc_lock_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.mproc_lock_close.argtypes = [ctypes.c_void_p]
        handle = ctypes.c_void_p()
        self.assertEqual(lib.mproc_lock_create(None, None, ctypes.byref(handle)), 0)
        self.addCleanup(lib.mproc_lock_close, handle)  # removes the anonymous name
        buf = ctypes.create_string_buffer(256)
        self.assertEqual(lib.mproc_lock_name(handle, buf, len(buf)), 0)
        name = buf.value.decode()
        self.assertTrue(name.startswith("anon."), name)
        self.assertNotIn(name, self.ls_rows())
        self.assertIn(name, self.ls_rows("-a"))
        self.assertIn(name, [obj["name"] for obj in json.loads(self.ok("ls", "--all", "--json"))])

    def test_ls_shows_an_invalid_object(self):
        name = self.name("junk")
        with open(shm_path(name), "wb") as junk:
            junk.write(b"\xff" * 100)
        row = self.ls_rows()[name]
        self.assertEqual(row["KIND"], "unknown")
        self.assertTrue(row["DETAIL"].startswith("invalid: "), row)
        info = self.show_json(name)
        self.assertNotEqual(info["status"], 0)
        self.assertNotEqual(info["problem"], "")
        self.assertEqual(info["bytes"], 100)

    # ---- show --------------------------------------------------------------------

    def test_show_queue_after_puts(self):
        queue = self.keep(mproc.Queue(8, name=self.name("queue")))
        for item in range(3):
            queue.put(item)
        text = self.ok("show", self.name("queue"))
        fields = {}
        for line in text.splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        self.assertEqual(fields["name"], self.name("queue"))
        self.assertEqual(fields["kind"], "queue")
        self.assertEqual(fields["status"], "ok")
        self.assertEqual(fields["depth"], "3")
        self.assertEqual(fields["capacity"], "8")
        self.assertEqual(fields["puts"], "3")
        self.assertEqual(fields["creator_pid"], str(os.getpid()))
        self.assertEqual(fields["creator_alive"], "yes")
        info = self.show_json(self.name("queue"))
        self.assertLessEqual(INFO_FIELDS, set(info))
        self.assertEqual((info["depth"], info["puts"], info["gets"]), (3, 3, 0))

    def test_show_several_names_blank_line_between(self):
        self.keep(mproc.Lock(name=self.name("a")))
        self.keep(mproc.Event(name=self.name("b")))
        blocks = self.ok("show", self.name("a"), self.name("b")).split("\n\n")
        self.assertEqual(len(blocks), 2)
        self.assertIn("name:", blocks[1])
        self.assertIn(self.name("b"), blocks[1])
        objects = json.loads(self.ok("show", "--json", self.name("a"), self.name("b")))
        self.assertEqual([obj["kind_name"] for obj in objects], ["lock", "event"])

    def test_show_missing_name_fails(self):
        missing = self.name("missing")
        result = self.assert_fails(["show", missing],
                                   "mproc: cannot inspect '%s': no such object" % missing)
        self.assertEqual(result.stdout, "")
        # The names that exist are shown all the same.
        self.keep(mproc.Lock(name=self.name("there")))
        result = self.assert_fails(["show", missing, self.name("there")],
                                   "mproc: cannot inspect '%s': no such object" % missing)
        self.assertIn("name:", result.stdout)

    def test_invalid_names_fail_with_the_library_message(self):
        for command in ("show", "rm"):
            with self.subTest(command=command):
                result = self.run_cli(command, "bad/name")
                self.assertEqual(result.returncode, 1)
                self.assertTrue(result.stderr.startswith("mproc: cannot "), result.stderr)
                self.assertIn("invalid name", result.stderr)
        # A hostile operand cannot forge lines of output.
        result = self.run_cli("show", "bad\nmproc: forged")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn("\\x0a", result.stderr)

    # ---- rm ----------------------------------------------------------------------

    def test_rm_removes_and_reports_missing(self):
        name = self.name("lock")
        mproc.Lock(name=name).close()
        self.assertTrue(os.path.exists(shm_path(name)))
        self.assertEqual(self.ok("rm", "-v", name), "removed '%s'\n" % name)
        self.assertFalse(os.path.exists(shm_path(name)))
        self.assert_fails(["rm", name], "mproc: cannot remove '%s': no such object" % name)
        self.assertEqual(self.ok("rm", "-f", name), "")
        self.assertEqual(self.ok("rm", "--force", "--verbose", name), "")
        self.assertEqual(self.ok("rm", "-f"), "")

    def test_double_dash_ends_the_options(self):
        name = "-" + self.name("dash")  # a valid name that looks like an option
        self.addCleanup(lambda: os.path.exists(shm_path(name)) and os.unlink(shm_path(name)))
        mproc.Lock(name=name).close()
        self.assert_usage_error("rm", name)
        self.assertIn("kind:", self.ok("show", "--", name))
        self.assertEqual(self.ok("rm", "-v", "--", name), "removed '%s'\n" % name)
        self.assertFalse(os.path.exists(shm_path(name)))

    def test_rm_goes_on_after_a_failure(self):
        missing, there = self.name("missing"), self.name("there")
        mproc.Event(name=there).close()
        result = self.assert_fails(["rm", "-v", missing, there],
                                   "mproc: cannot remove '%s': no such object" % missing)
        self.assertEqual(result.stdout, "removed '%s'\n" % there)
        self.assertFalse(os.path.exists(shm_path(there)))

    def test_rm_removes_an_invalid_object(self):
        name = self.name("junk")
        with open(shm_path(name), "wb") as junk:
            junk.write(b"not an mproc object")
        self.ok("rm", name)
        self.assertFalse(os.path.exists(shm_path(name)))

    # ---- gc ----------------------------------------------------------------------

    def test_gc_dry_run_lists_dead_creator_and_keeps_it(self):
        name = self.dead_creator_queue("queue")
        info = self.show_json(name)
        self.assertIs(info["creator_alive"], False)
        self.until(lambda: self.show_json(name)["users"], lambda users: users == 0, "users")
        # A bare dry run looks at every object and removes nothing.
        self.until(lambda: self.ok("gc", "--dry-run"),
                   lambda out: "would remove '%s'\n" % name in out, "gc --dry-run")
        self.assertTrue(os.path.exists(shm_path(name)))
        outcomes = self.until(lambda: json.loads(self.ok("gc", "--dry-run", "--json", name)),
                              lambda out: out[0]["action"] == "would remove", "gc --json")
        self.assertEqual(len(outcomes), 1)
        self.assertEqual(outcomes[0]["name"], name)
        self.assertEqual(outcomes[0]["action"], "would remove")
        self.assertIn("dead", outcomes[0]["reason"])
        self.assertTrue(os.path.exists(shm_path(name)))

    def test_gc_removes_dead_creator_object(self):
        name = self.dead_creator_queue("queue")
        self.assertEqual(self.gc_removes(name), "removed '%s'\n" % name)

    def test_gc_json_reports_removed(self):
        name = self.dead_creator_queue("queue")
        outcomes = json.loads(self.gc_removes(name, "--json"))
        self.assertEqual([(o["name"], o["action"]) for o in outcomes], [(name, "removed")])

    def test_gc_keeps_live_creator_object(self):
        name = self.name("lock")
        mproc.Lock(name=name).close()  # nobody maps it, but its creator lives
        self.assertEqual(self.ok("gc", name), "")
        self.assertTrue(os.path.exists(shm_path(name)))
        self.assertEqual(self.ok("gc", "-v", name),
                         "kept '%s': creator %d is alive\n" % (name, os.getpid()))
        self.assertNotIn("'%s'" % name, self.ok("gc", "--dry-run"))
        outcomes = json.loads(self.ok("gc", "--json", name))
        self.assertEqual(outcomes[0]["action"], "kept")
        self.assertTrue(os.path.exists(shm_path(name)))

    def test_gc_keeps_dead_creator_object_while_mapped(self):
        name = self.dead_creator_queue("queue")
        user = self.start_child("open", "queue", name)
        self.assertGreaterEqual(self.show_json(name)["users"], 1)
        self.assertEqual(self.ok("gc", name), "")
        self.assertRegex(self.ok("gc", "--verbose", name),
                         r"^kept '%s': mapped by [0-9]+ process(es)?\n$" % re.escape(name))
        self.assertNotIn("'%s'" % name, self.ok("gc", "--dry-run"))
        self.assertTrue(os.path.exists(shm_path(name)))
        # Once its last user is gone, it is garbage.
        self.kill_child(user)
        self.assertEqual(self.gc_removes(name), "removed '%s'\n" % name)

    def test_gc_removes_object_of_recycled_pid(self):
        # The header names the creator by pid and start time. This process's pid with
        # another start time is what a recycled pid looks like: another process.
        name = self.name("lock")
        mproc.Lock(name=name).close()
        self.assertEqual(self.ok("gc", name), "")  # the real creator: kept
        with open(shm_path(name), "r+b") as f:
            f.seek(40)  # ObjectHeader::creator_start_time
            (start_time,) = struct.unpack("<Q", f.read(8))
            self.assertNotEqual(start_time, 0)
            f.seek(40)
            f.write(struct.pack("<Q", start_time + 12345))
        info = self.show_json(name)
        self.assertEqual(info["creator_pid"], os.getpid())
        self.assertIs(info["creator_alive"], False)
        self.assertEqual(self.gc_removes(name), "removed '%s'\n" % name)

    def test_gc_skips_invalid_objects(self):
        name = self.name("junk")
        with open(shm_path(name), "wb") as junk:
            junk.write(b"\0" * 64)
        self.assertEqual(self.ok("gc", name), "")
        out = self.ok("gc", "-v", name)
        self.assertTrue(out.startswith("skipped '%s': not a valid object: " % name), out)
        self.assertTrue(os.path.exists(shm_path(name)))

    def test_gc_missing_name_fails(self):
        missing = self.name("missing")
        self.assert_fails(["gc", missing], "mproc: cannot inspect '%s': no such object" % missing)


if __name__ == "__main__":
    unittest.main()
