"""mproc.Process: targets, subclasses, exit codes, signals, join timeouts, daemons,
current/parent process, active_children, start methods and contexts, Task targets.

Every start method runs the same tests (ForkTest, SpawnTest, ForkServerTest). Children
report through files in a per-test temporary directory (spawned interpreters inherit no
pipes), and through their exit codes.
"""

import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from multiprocessing.connection import wait as mp_wait

import mproc
from mproc import _start

from support import dead, wait_until
from test_task import FIXTURES, needs_fixtures

LONG = 30.0  # for things that must happen
SHORT = 0.1  # for things that must time out
HERE = os.path.dirname(os.path.abspath(__file__))

MARK = "parent"  # changed by the parent before a start: fork children see it, spawn do not


# ---- module-level targets (importable by spawned children) ------------------------------

def record(path, *values, **named):
    """Writes repr((values, named)) to path."""
    with open(path, "w") as f:
        f.write(repr((values, named)))


def record_identity(path):
    me = mproc.current_process()
    parent = mproc.parent_process()
    record(path, me.name, os.getpid(), me.pid, me.daemon, parent.pid, parent.name,
           parent.is_alive(), MARK)


def exit_with(code):
    sys.exit(code)


def raise_error():
    raise ValueError("expected by the test: ignore this traceback")


def os_exit(code):
    os._exit(code)


def put_value(queue, value):
    queue.put(("from", os.getpid(), value))


def start_grandchild_and_wait(path):
    p = mproc.Process(target=record, args=(path, "grandchild", mproc.current_process().name))
    p.start()
    p.join()
    sys.exit(p.exitcode + 10)


def sleep_long():
    time.sleep(60)


def start_grandchild(path):
    """A daemon child may not start children: the AssertionError makes exit code 1."""
    p = mproc.Process(target=record, args=(path, "grandchild"))
    p.start()
    p.join()


class Recorder(mproc.Process):
    """A subclass with its own run()."""

    def __init__(self, path, value):
        super().__init__(name="recorder-%d" % value)
        self.path = path
        self.value = value

    def run(self):
        record(self.path, "subclass", self.value, self.name)


def read(path, timeout=LONG):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise AssertionError("%s never written" % path)
        time.sleep(0.01)
    with open(path) as f:
        return eval(f.read())


def wait_dead(pid, timeout=LONG):
    """Whether pid is gone (or a zombie) within `timeout` seconds."""
    return wait_until(lambda: dead(pid), timeout, interval=0.05)


# ---- the same tests under every start method --------------------------------------------

class MethodTests:
    method = None

    def setUp(self):
        global MARK
        self.ctx = mproc.get_context(self.method)
        self.tmp = tempfile.TemporaryDirectory(prefix="mproc-process-%d-" % os.getpid())
        self.addCleanup(self.tmp.cleanup)
        MARK = "changed-%d" % os.getpid()
        self.addCleanup(self.reap)

    def reap(self):
        global MARK
        MARK = "parent"
        for p in mproc.active_children():
            p.kill()
            p.join(LONG)

    def path(self, name="out"):
        return os.path.join(self.tmp.name, name)

    def run_process(self, **kwargs):
        p = self.ctx.Process(**kwargs)
        p.start()
        p.join(LONG)
        self.assertFalse(p.is_alive())
        return p

    def test_target_args_kwargs(self):
        p = self.run_process(target=record, args=(self.path(), 1, "two"),
                             kwargs={"three": [3]})
        self.assertEqual(p.exitcode, 0)
        self.assertEqual(read(self.path()), ((1, "two"), {"three": [3]}))

    def test_subclass_run(self):
        p = Recorder(self.path(), 5)
        p._start_method = self.method
        p.start()
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)
        self.assertEqual(read(self.path()), (("subclass", 5, "recorder-5"), {}))

    def test_exit_codes(self):
        self.assertEqual(self.run_process(target=record, args=(self.path(),)).exitcode, 0)
        self.assertEqual(self.run_process(target=exit_with, args=(3,)).exitcode, 3)
        self.assertEqual(self.run_process(target=exit_with, args=(None,)).exitcode, 0)
        self.assertEqual(self.run_process(target=exit_with, args=("bye: expected",)).exitcode,
                         1)
        self.assertEqual(self.run_process(target=raise_error).exitcode, 1)
        self.assertEqual(self.run_process(target=os_exit, args=(7,)).exitcode, 7)

    def test_kill_terminate_join_timeout(self):
        p = self.ctx.Process(target=sleep_long)
        self.assertIsNone(p.exitcode)
        self.assertIsNone(p.pid)
        self.assertFalse(p.is_alive())
        p.start()
        self.assertTrue(p.is_alive())
        self.assertIsInstance(p.pid, int)
        self.assertEqual(p.ident, p.pid)
        self.assertIn(p, mproc.active_children())
        start = time.monotonic()
        p.join(SHORT)
        self.assertGreaterEqual(time.monotonic() - start, SHORT * 0.9)
        self.assertTrue(p.is_alive())
        self.assertIsNone(p.exitcode)
        p.kill()
        p.join(LONG)
        self.assertEqual(p.exitcode, -signal.SIGKILL)
        self.assertNotIn(p, mproc.active_children())
        p.kill()  # ended: nothing happens
        p.terminate()

        q = self.ctx.Process(target=sleep_long)
        q.start()
        q.terminate()
        q.join(LONG)
        self.assertEqual(q.exitcode, -signal.SIGTERM)
        self.assertIn("exitcode=-SIGTERM", repr(q))

    def test_join_forever_is_interruptible(self):
        if threading.current_thread() is not threading.main_thread():
            self.skipTest("signals reach the main thread only")
        p = self.ctx.Process(target=sleep_long)
        p.start()
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with self.assertRaises(KeyboardInterrupt):
                p.join()
        finally:
            timer.cancel()
        self.assertTrue(p.is_alive())
        p.kill()
        p.join(LONG)

    def test_identity_in_child(self):
        p = self.ctx.Process(target=record_identity, args=(self.path(),), name="kid")
        self.assertEqual(p.name, "kid")
        p.start()
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)
        (name, pid, own_pid, daemon, parent_pid, parent_name, parent_alive, mark), _ = \
            read(self.path())
        self.assertEqual((name, pid, own_pid, daemon), ("kid", p.pid, p.pid, False))
        self.assertEqual((parent_pid, parent_name, parent_alive),
                         (os.getpid(), "MainProcess", True))
        # fork copies the parent's memory; spawn imports the module afresh.
        expected = MARK if self.method == "fork" else "parent"
        self.assertEqual(mark, expected)
        self.assertEqual(mproc.current_process().name, "MainProcess")
        self.assertIsNone(mproc.parent_process())

    def test_default_names_count_up(self):
        a, b = self.ctx.Process(), self.ctx.Process()
        na, nb = int(a.name.rsplit("-", 1)[1]), int(b.name.rsplit("-", 1)[1])
        self.assertEqual(nb, na + 1)
        self.assertTrue(a.name.startswith(type(a).__name__ + "-"))

    def test_sentinel_and_close(self):
        p = self.ctx.Process(target=exit_with, args=(0,))
        with self.assertRaises(ValueError):
            p.sentinel
        p.start()
        self.assertEqual(mp_wait([p.sentinel], LONG), [p.sentinel])
        p.join(LONG)
        p.close()
        with self.assertRaises(ValueError):
            p.pid
        with self.assertRaises(ValueError):
            p.exitcode

    def test_close_running_raises(self):
        p = self.ctx.Process(target=sleep_long)
        p.start()
        with self.assertRaises(ValueError):
            p.close()
        p.kill()
        p.join(LONG)
        p.close()

    def test_start_twice_and_daemon_after_start(self):
        p = self.ctx.Process(target=exit_with, args=(0,))
        p.start()
        with self.assertRaises(AssertionError):
            p.start()
        with self.assertRaises(AssertionError):
            p.daemon = True
        p.join(LONG)

    def test_daemon_cannot_have_children(self):
        p = self.ctx.Process(target=start_grandchild, args=(self.path(),), daemon=True)
        self.assertTrue(p.daemon)
        p.start()
        p.join(LONG)
        self.assertEqual(p.exitcode, 1)
        self.assertFalse(os.path.exists(self.path()))

    def test_task_target(self):
        p = self.run_process(target=mproc.Task("libc.so.6", "abs", "i(i)"), args=(-5,))
        self.assertEqual(p.exitcode, 5)
        # getpid's result is the exit code: the task ran in the child.
        q = self.run_process(target=mproc.Task(None, "getpid", "i()"))
        self.assertEqual(q.exitcode, q.pid & 0xFF)

    def test_task_target_killed(self):
        p = self.ctx.Process(target=mproc.Task("libc.so.6", "sleep", "I(I)"), args=(60,))
        p.start()
        self.assertTrue(p.is_alive())
        p.join(SHORT)
        self.assertIsNone(p.exitcode)
        p.kill()
        p.join(LONG)
        self.assertEqual(p.exitcode, -signal.SIGKILL)

    def test_task_target_bad_args(self):
        task = mproc.Task("libc.so.6", "abs", "i(i)")
        with self.assertRaises(TypeError):
            self.ctx.Process(target=task, args=("x",)).start()
        with self.assertRaises(TypeError):
            self.ctx.Process(target=task, args=(1,), kwargs={"x": 1}).start()
        self.assertEqual(mproc.active_children(), [])

    def test_task_target_missing_symbol(self):
        p = self.ctx.Process(target=mproc.Task("libc.so.6", "no_such_symbol_xyz", "i()"))
        p.start()
        p.join(LONG)
        self.assertEqual(p.exitcode, 1)

    @needs_fixtures
    def test_fixture_task(self):
        p = self.run_process(target=mproc.Task(FIXTURES, "add", "i(ii)"), args=(40, 2))
        self.assertEqual(p.exitcode, 42)
        q = self.run_process(target=mproc.Task(FIXTURES, "pool_kill_self", "i()"))
        self.assertEqual(q.exitcode, -signal.SIGKILL)

    def test_daemon_dies_with_killed_parent(self):
        """The parent (a helper interpreter) starts a daemon and is SIGKILLed."""
        for target in ("test_process.sleep_long",
                       "mproc.Task('libc.so.6', 'sleep', 'I(I)')"):
            with self.subTest(target=target):
                args = "(60,)" if "Task" in target else "()"
                script = (
                    "import mproc, sys, time, test_process\n"
                    "p = mproc.get_context(%r).Process(target=%s, args=%s, daemon=True)\n"
                    "p.start()\n"
                    "print(p.pid, flush=True)\n"
                    "time.sleep(60)\n" % (self.method, target, args))
                helper = subprocess.Popen([sys.executable, "-c", script], cwd=HERE,
                                          stdout=subprocess.PIPE)
                try:
                    pid = int(helper.stdout.readline())
                    self.assertFalse(dead(pid))
                    helper.kill()
                    helper.wait(LONG)
                    self.assertTrue(wait_dead(pid), "the daemon outlived its parent")
                finally:
                    helper.kill()
                    helper.wait()
                    helper.stdout.close()

    @unittest.skipUnless(hasattr(mproc, "Queue"), "mproc.Queue not there yet")
    def test_shared_queue_argument(self):
        q = mproc.Queue()
        self.addCleanup(q.close)
        p = self.ctx.Process(target=put_value, args=(q, [1, "two"]))
        p.start()
        self.assertEqual(q.get(timeout=LONG), ("from", p.pid, [1, "two"]))
        p.join(LONG)
        self.assertEqual(p.exitcode, 0)

    def test_grandchild(self):
        p = self.run_process(target=start_grandchild_and_wait, args=(self.path(),),
                             name="middle")
        self.assertEqual(p.exitcode, 10)
        self.assertEqual(read(self.path()), (("grandchild", "middle"), {}))

    def test_start_from_a_thread_that_ends(self):
        """A daemon started by a thread outlives that thread (multiprocessing kills
        daemons when the parent process exits, not when the starting thread does)."""
        started = []
        t = threading.Thread(target=lambda: started.append(
            self.ctx.Process(target=sleep_long, daemon=True)))
        t.start()
        t.join()
        p = started[0]
        t = threading.Thread(target=p.start)
        t.start()
        t.join()
        time.sleep(0.3)
        self.assertTrue(p.is_alive())
        p.kill()
        p.join(LONG)
        self.assertEqual(p.exitcode, -signal.SIGKILL)
        q = self.ctx.Process(target=exit_with, args=(4,))
        t = threading.Thread(target=q.start)
        t.start()
        t.join()
        q.join(LONG)
        self.assertEqual(q.exitcode, 4)

    def test_daemon_terminated_at_exit_others_joined(self):
        script = (
            "import mproc, test_process\n"
            "ctx = mproc.get_context(%r)\n"
            "d = ctx.Process(target=test_process.sleep_long, daemon=True)\n"
            "d.start()\n"
            "n = ctx.Process(target=test_process.record, args=(%r, 'late'))\n"
            "n.start()\n"
            "print(d.pid, flush=True)\n" % (self.method, self.path()))
        out = subprocess.run([sys.executable, "-c", script], cwd=HERE, stdout=subprocess.PIPE,
                             timeout=LONG * 2, check=True).stdout
        self.assertTrue(wait_dead(int(out)))
        self.assertEqual(read(self.path(), timeout=1), (("late",), {}))


class ForkTest(MethodTests, unittest.TestCase):
    method = "fork"

    def test_lambda_and_local_function(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        try:
            p = self.ctx.Process(target=lambda: os.write(w, b"lambda"))
            p.start()
            p.join(LONG)
        finally:
            os.close(w)
        self.assertEqual(p.exitcode, 0)
        self.assertEqual(os.read(r, 100), b"lambda")

    def test_buffered_output_not_repeated(self):
        script = ("import sys, mproc, test_process\n"
                  "sys.stdout.write('before ')\n"
                  "p = mproc.Process(target=test_process.exit_with, args=(0,))\n"
                  "p.start()\n"
                  "p.join()\n"
                  "print('after', p.exitcode)\n")
        env = dict(os.environ)
        env.pop("PYTHONUNBUFFERED", None)  # the point is a buffered stdout
        out = subprocess.run([sys.executable, "-c", script], cwd=HERE, stdout=subprocess.PIPE,
                             env=env, timeout=LONG * 2, check=True).stdout.decode()
        self.assertEqual(out, "before after 0\n")

    def test_fork_while_threads_run(self):
        """Threads running Python (and wanting the GIL) in the parent at fork time must
        not deadlock the child: its Python runs threads and imports."""
        stop = threading.Event()

        def spin():
            n = 0
            while not stop.is_set():
                n += 1

        def nap():
            while not stop.is_set():
                time.sleep(0.0005)

        def import_missing():  # takes the import machinery's locks over and over
            while not stop.is_set():
                try:
                    __import__("mproc_no_such_module_parent")
                except ImportError:
                    pass

        threads = [threading.Thread(target=spin), threading.Thread(target=spin),
                   threading.Thread(target=nap), threading.Thread(target=import_missing)]
        for t in threads:
            t.start()
        try:
            for k in range(20):
                p = self.ctx.Process(target=_threads_in_child, args=(k,))
                p.start()
                p.join(LONG)
                if p.exitcode is None:
                    p.kill()
                    p.join()
                    self.fail("child %d deadlocked" % k)
                self.assertEqual(p.exitcode, k)
        finally:
            stop.set()
            for t in threads:
                t.join()

    def test_register_at_fork_hooks_run(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        calls = []
        live = [w]  # hooks cannot be unregistered: they act only while this test runs
        os.register_at_fork(before=lambda: live and calls.append("before"),
                            after_in_parent=lambda: live and calls.append("parent"),
                            after_in_child=lambda: live and os.write(live[0], b"child"))
        try:
            p = self.ctx.Process(target=exit_with, args=(0,))
            p.start()
            p.join(LONG)
        finally:
            live.clear()
            os.close(w)
        self.assertEqual(os.read(r, 100), b"child")
        self.assertIn("before", calls)
        self.assertIn("parent", calls)

    def test_os_fork_child_has_no_children(self):
        p = self.ctx.Process(target=sleep_long)
        p.start()
        pid = os.fork()
        if pid == 0:
            os._exit(0 if mproc.active_children() == [] else 1)
        self.assertEqual(os.waitpid(pid, 0)[1], 0)
        self.assertEqual(mproc.active_children(), [p])

    def test_active_children(self):
        procs = [self.ctx.Process(target=sleep_long) for _ in range(3)]
        for p in procs:
            p.start()
        self.assertEqual(set(mproc.active_children()), set(procs))
        procs[0].kill()
        procs[0].join(LONG)
        self.assertEqual(set(mproc.active_children()), set(procs[1:]))
        for p in procs[1:]:
            p.terminate()
            p.join(LONG)
        self.assertEqual(mproc.active_children(), [])


def _threads_in_child(code):
    import json  # an import takes the import lock the parent held at fork time
    try:
        __import__("mproc_no_such_module_child")  # the whole import machinery
    except ImportError:
        pass
    t = threading.Thread(target=json.dumps, args=([1],))
    t.start()
    t.join()
    sys.exit(code)


class SpawnTest(MethodTests, unittest.TestCase):
    method = "spawn"

    def test_lambda_is_a_clear_error(self):
        p = self.ctx.Process(target=lambda: None)
        with self.assertRaises(Exception) as cm:
            p.start()
        message = str(cm.exception)
        self.assertIsInstance(cm.exception, (pickle.PicklingError, AttributeError))
        self.assertIn("pickle", message)
        self.assertIn("module", message)
        self.assertIn("fork", message)
        self.assertIsNone(p.exitcode)
        self.assertEqual(mproc.active_children(), [])

    def test_target_in_main_script(self):
        """A function of the main script: the child imports the script as __mp_main__,
        without running its __main__ block."""
        script = os.path.join(self.tmp.name, "main_script.py")
        with open(script, "w") as f:
            f.write("import sys, mproc\n"
                    "def work(code):\n"
                    "    sys.exit(code)\n"
                    "if __name__ == '__main__':\n"
                    "    print('main block', flush=True)\n"
                    "    p = mproc.get_context(%r).Process(target=work, args=(9,))\n"
                    "    p.start()\n"
                    "    p.join()\n"
                    "    print(p.exitcode)\n" % self.method)
        out = subprocess.run([sys.executable, script], stdout=subprocess.PIPE,
                             timeout=LONG * 2, check=True).stdout.decode()
        self.assertEqual(out.split(), ["main", "block", "9"])

    def test_local_function_is_a_clear_error(self):
        def local():
            pass
        with self.assertRaises((pickle.PicklingError, AttributeError)) as cm:
            self.ctx.Process(target=local).start()
        self.assertIn("local", str(cm.exception))
        self.assertIn("fork", str(cm.exception))


class ForkServerTest(MethodTests, unittest.TestCase):
    method = "forkserver"


class StartMethodTest(unittest.TestCase):
    def setUp(self):
        saved = _start._actual
        self.addCleanup(_start.force, saved)

    def test_methods(self):
        self.assertEqual(mproc.get_all_start_methods(), ["fork", "spawn", "forkserver"])
        _start.force(None)
        self.assertIsNone(mproc.get_start_method(allow_none=True))
        self.assertEqual(mproc.get_start_method(), "fork")
        with self.assertRaises(RuntimeError):
            mproc.set_start_method("spawn")
        mproc.set_start_method("spawn", force=True)
        self.assertEqual(mproc.get_start_method(), "spawn")
        with self.assertRaises(ValueError):
            mproc.set_start_method("thread", force=True)
        self.assertEqual(mproc.get_start_method(), "spawn")

    def test_default_method_is_used(self):
        global MARK
        tmp = tempfile.TemporaryDirectory(prefix="mproc-process-%d-" % os.getpid())
        self.addCleanup(tmp.cleanup)
        MARK = "changed"
        self.addCleanup(globals().__setitem__, "MARK", "parent")
        for method, expected in (("spawn", "parent"), ("fork", "changed")):
            mproc.set_start_method(method, force=True)
            path = os.path.join(tmp.name, method)
            p = mproc.Process(target=record_identity, args=(path,))
            p.start()
            p.join(LONG)
            self.assertEqual(p.exitcode, 0)
            self.assertEqual(read(path)[0][-1], expected)

    def test_contexts(self):
        with self.assertRaises(ValueError):
            mproc.get_context("thread")
        for method in ("fork", "spawn", "forkserver"):
            ctx = mproc.get_context(method)
            self.assertEqual(ctx.get_start_method(), method)
            self.assertEqual(ctx.Process._start_method, method)
            self.assertTrue(issubclass(ctx.Process, mproc.Process))
            self.assertIs(ctx.get_context(), ctx)
            self.assertIs(ctx.current_process(), mproc.current_process())
            with self.assertRaises(ValueError):
                ctx.set_start_method("fork")
        self.assertIs(mproc.get_context().Process, mproc.get_context("fork").Process)
        ctx = mproc.get_context("spawn")
        self.assertIs(ctx.Task, mproc.Task)  # looked up in the package
        self.assertTrue(issubclass(ctx.TimeoutError, Exception))
        with self.assertRaises(AttributeError):
            ctx.NoSuchThing

    def test_misc(self):
        self.assertGreaterEqual(mproc.cpu_count(), 1)
        self.assertLessEqual(mproc.cpu_count(), os.cpu_count())
        self.assertIsNone(mproc.freeze_support())
        me = mproc.current_process()
        self.assertEqual(me.name, "MainProcess")
        self.assertEqual(me.pid, os.getpid())
        self.assertTrue(me.is_alive())
        self.assertIsInstance(me.authkey, bytes)
        with self.assertRaises(AssertionError):
            mproc.Process(group=1)


if __name__ == "__main__":
    unittest.main()
