"""Helpers shared by the Python binding's tests (not a test file: CTest runs test_*.py only).

Unique object names with cleanup, fork children that report through their exit status, a
thread runner, polling waits. Spawn children import the test modules, hence this one too:
it must stay importable without side effects.
"""

import os
import secrets
import signal
import threading
import time
import traceback
import unittest

LONG = 30.0  # seconds: for what must happen (a noisy 2-core machine)
SHORT = 0.1  # seconds: for what must time out


def unique(tag):
    """A name no parallel run uses: the tag, this pid and a random part."""
    return "t-%s-%d-%s" % (tag, os.getpid(), secrets.token_hex(4))


def unlink_quietly(kind, name):
    """kind.unlink_name(name), ignoring a name already gone."""
    try:
        kind.unlink_name(name)
    except FileNotFoundError:
        pass


def fork(fn, *args, judge=False):
    """Runs fn(*args) in a fork child and returns its pid. The child's exit status is 2 if
    fn raised (the traceback goes to stderr), else 0; with judge=True, 0 only if fn
    returned a true value, 1 otherwise."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 2
        try:
            result = fn(*args)
            code = 0 if result or not judge else 1
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def interrupted_status(block):
    """Runs block() (a call that blocks forever) in a fork child, sends the child SIGINT
    after 0.5 s and returns its exit code: 7 if block() raised KeyboardInterrupt, 2 if it
    raised something else, 0 if it returned."""
    def child():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            block()
        except KeyboardInterrupt:
            os._exit(7)
    pid = fork(child)
    time.sleep(0.5)
    os.kill(pid, signal.SIGINT)
    return wait_child(pid)


def wait_child(pid, timeout=2 * LONG):
    """Reaps child `pid` and returns its exit code (-signal if killed). If it has not ended
    within `timeout` seconds, kills and reaps it and raises AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    kill_and_reap(pid)
    raise AssertionError("child %d did not finish within %s s" % (pid, timeout))


def kill_and_reap(pid):
    """SIGKILLs child `pid` (if still there) and reaps it (if not reaped yet)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def dead(pid):
    """Whether process `pid` is gone or a zombie (dead, not reaped yet)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def wait_until(predicate, timeout=LONG, interval=0.005):
    """Polls predicate() every `interval` seconds until it is true or `timeout` seconds
    pass; returns True, or predicate()'s last value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return predicate()
        time.sleep(interval)
    return True


def spawn_context():
    """CPython multiprocessing's spawn context."""
    import multiprocessing
    return multiprocessing.get_context("spawn")


class MprocTestCase(unittest.TestCase):
    """A TestCase whose named objects are unlinked and fork children reaped at the end."""

    def unlink_at_end(self, kind, name):
        """Unlinks `name` (an object of class `kind`) in cleanup, if it still exists."""
        self.addCleanup(unlink_quietly, kind, name)

    def name(self, kind, tag="x"):
        """A unique name whose object (of class `kind`) is unlinked in cleanup."""
        name = unique(tag)
        self.unlink_at_end(kind, name)
        return name

    def named(self, factory, *args, tag="x", **kwargs):
        """factory(*args, name=<unique>, **kwargs), closed and unlinked in cleanup."""
        name = unique(tag)
        obj = factory(*args, name=name, **kwargs)
        self.unlink_at_end(type(obj), name)
        self.addCleanup(obj.close)
        return obj

    def fork(self, body):
        """Runs body() in a fork child (killed and reaped in cleanup if still there); its
        exit status is 0 if body returned a true value, 1 if false, 2 if it raised.
        Returns the pid."""
        pid = fork(body, judge=True)
        self.addCleanup(kill_and_reap, pid)
        return pid

    def fork_holder(self, take):
        """Forks a child that runs take() (say lock.acquire), then sleeps until killed;
        returns its pid once take() has returned in the child (fails the test if the
        child ends first)."""
        r, w = os.pipe()

        def child():
            take()
            os.write(w, b"x")
            time.sleep(LONG * 4)
            return True
        pid = self.fork(child)
        os.close(w)
        try:
            self.assertEqual(os.read(r, 1), b"x", "the child did not take it")
        finally:
            os.close(r)
        return pid

    def assertCloseWakes(self, call, close, exc_type):
        """Runs call() in a thread, runs close() once the call is (most likely) blocked,
        and checks that the call then ends raising exc_type."""
        t, res = self.thread(call)
        time.sleep(SHORT)
        close()
        self.join_thread(t)
        self.assertEqual(len(res), 1)
        self.assertIsInstance(res[0], exc_type)

    def join(self, pid, timeout=LONG):
        """The child's exit code (or -signal), failing the test if it does not end."""
        return wait_child(pid, timeout)

    def assertChildOk(self, pid):
        self.assertEqual(self.join(pid), 0, "the child's checks failed")

    def thread(self, body):
        """Starts body in a daemon thread; returns (thread, results list): results gets
        body's return value or the exception it raised."""
        results = []

        def run():
            try:
                results.append(body())
            except BaseException as exc:
                results.append(exc)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t, results

    def join_thread(self, t, timeout=LONG):
        t.join(timeout)
        self.assertFalse(t.is_alive(), "thread did not finish")
