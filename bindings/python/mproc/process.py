"""Process: multiprocessing.Process on mproc, plus Task targets that run C in the child.

``mproc.Process`` has multiprocessing.Process's interface and semantics (Python 3.11):
start, run (subclasses may override it), join(timeout), is_alive, terminate, kill, close,
exitcode (None while running, the exit status, or -signum), pid / ident, name, daemon,
authkey, sentinel; and the module functions current_process, parent_process,
active_children, cpu_count, the start-method functions and get_context.

How a child runs, by target and start method:

- a Python callable, "fork" (the default): mproc forks (mproc_process_start through a
  function-pointer task); the child runs ``run()`` and exits with its code.
- a Python callable, "spawn" or "forkserver": a fresh interpreter that imports the main
  module as multiprocessing.spawn does and unpickles the Process (see _spawn.py). mproc's
  forkserver runs C task references only, so "forkserver" starts a Python target exactly
  like "spawn". The target and its arguments must pickle: start() raises the pickler's
  exception type with an explanation otherwise.
- an ``mproc.Task`` (a C function by library, symbol and signature), any method: mproc
  runs it in the child with ``args`` as its arguments and no Python at all; the exit code
  is the function's int result (& 0xff; 0 for a non-integer result; 1 if it could not be
  loaded).

Daemon children are terminated when the parent exits normally (atexit, as
multiprocessing does); fork and Task children started from the main thread are also
killed by the kernel when the parent dies by a signal (mproc's daemon flag), spawned
Python daemons kill themselves when the pipe from their parent reaches EOF.
"""

import atexit
import itertools
import os
import signal
import sys
import threading

from . import _start
from .task import Task

__all__ = [
    "Process", "Task", "current_process", "parent_process", "active_children", "cpu_count",
    "get_start_method", "set_start_method", "get_all_start_methods", "get_context",
    "freeze_support", "set_executable", "set_forkserver_preload",
]


def current_process():
    """The Process object of the calling process (MainProcess in a program)."""
    return _current_process


def active_children():
    """The children of this process still running; reaps the finished ones. Never
    blocks."""
    _cleanup()
    return list(_children)


def parent_process():
    """The parent's Process object in a child started by mproc, else None."""
    return _parent_process


def _cleanup():
    for p in list(_children):
        if p._popen is None or p._popen.poll() is not None:
            _children.discard(p)


class BaseProcess:
    """A process running ``run()`` (by default ``target(*args, **kwargs)``) once started.

    Not started at construction: call start(). ``group`` must be None. ``daemon``: None
    inherits the creating process's flag. See the module docstring for how each target
    and start method runs. A Process object may be started once, only by the process that
    made it.
    """

    _start_method = None  # None: the default start method at start() time

    def __init__(self, group=None, target=None, name=None, args=(), kwargs={},
                 *, daemon=None):
        assert group is None, "group argument must be None for now"
        count = next(_process_counter)
        self._identity = _current_process._identity + (count,)
        self._config = _current_process._config.copy()
        self._parent_pid = os.getpid()
        self._parent_name = _current_process.name
        self._popen = None
        self._closed = False
        self._target = target
        self._args = tuple(args)
        self._kwargs = dict(kwargs)
        self._name = name or type(self).__name__ + "-" + ":".join(
            str(i) for i in self._identity)
        if daemon is not None:
            self.daemon = daemon

    def _check_closed(self):
        if self._closed:
            raise ValueError("process object is closed")

    def run(self):
        """What the child runs: target(*args, **kwargs). Override in subclasses."""
        if self._target:
            self._target(*self._args, **self._kwargs)

    def _method(self):
        return self._start_method or _start.get()

    def _Popen(self):
        method = self._method()
        # As multiprocessing: a fork child would otherwise flush the parent's buffered
        # output a second time.
        _flush_std_streams()
        if isinstance(self._target, Task) and type(self).run is BaseProcess.run:
            if self._kwargs:
                raise TypeError("a Task target takes positional args only, not kwargs")
            from ._fork import MprocPopen
            return MprocPopen.for_task(self, self._target, self._args, method)
        if method == "fork":
            from ._fork import MprocPopen
            return MprocPopen.for_fork(self)
        from ._spawn import SpawnPopen
        return SpawnPopen(self, method)

    def start(self):
        """Starts the child; returns once it exists (it may not have run yet).
        AssertionError if started twice, from another process, or from a daemon; a
        pickling error (spawn, forkserver) for a target that cannot be sent; mproc errors
        (OSError subclasses) if the system cannot start it."""
        self._check_closed()
        assert self._popen is None, "cannot start a process twice"
        assert self._parent_pid == os.getpid(), \
            "can only start a process object created by current process"
        assert not _current_process._config.get("daemon"), \
            "daemonic processes are not allowed to have children"
        _cleanup()
        self._popen = self._Popen()
        self._sentinel = self._popen.sentinel
        # As multiprocessing: avoid a reference cycle through the target (bpo-30775).
        del self._target, self._args, self._kwargs
        _children.add(self)

    def terminate(self):
        """Sends SIGTERM. Never blocks; nothing if the child has ended."""
        self._check_closed()
        self._popen.terminate()

    def kill(self):
        """Sends SIGKILL. Never blocks; nothing if the child has ended."""
        self._check_closed()
        self._popen.kill()

    def join(self, timeout=None):
        """Waits until the child ends, or `timeout` seconds (None: forever, interruptible
        by Ctrl-C). Returns None either way: check exitcode or is_alive()."""
        self._check_closed()
        assert self._parent_pid == os.getpid(), "can only join a child process"
        assert self._popen is not None, "can only join a started process"
        res = self._popen.wait(timeout)
        if res is not None:
            _children.discard(self)

    def is_alive(self):
        """Whether the child is running (reaps it if it has ended). Never blocks."""
        self._check_closed()
        if self is _current_process:
            return True
        assert self._parent_pid == os.getpid(), "can only test a child process"
        if self._popen is None:
            return False
        if self._popen.poll() is None:
            return True
        _children.discard(self)
        return False

    def close(self):
        """Releases the process object's resources. ValueError while the child runs."""
        if self._popen is not None:
            if self._popen.poll() is None:
                raise ValueError("Cannot close a process while it is still running. "
                                 "You should first call join() or terminate().")
            self._popen.close()
            self._popen = None
            del self._sentinel
            _children.discard(self)
        self._closed = True

    @property
    def name(self):
        """The process's name ("Process-N" by default; the child's current_process().name
        and mproc_current_process's name in C)."""
        return self._name

    @name.setter
    def name(self, name):
        assert isinstance(name, str), "name must be a string"
        self._name = name

    @property
    def daemon(self):
        """Whether the process is a daemon (killed when its parent exits)."""
        return self._config.get("daemon", False)

    @daemon.setter
    def daemon(self, daemonic):
        assert self._popen is None, "process has already started"
        self._config["daemon"] = daemonic

    @property
    def authkey(self):
        """The authentication key (plain bytes here, inherited by children)."""
        return self._config["authkey"]

    @authkey.setter
    def authkey(self, authkey):
        self._config["authkey"] = bytes(authkey)

    @property
    def exitcode(self):
        """None while running (or before start), the exit status, or -signum."""
        self._check_closed()
        if self._popen is None:
            return self._popen
        return self._popen.poll()

    @property
    def ident(self):
        """The process id, None before start."""
        self._check_closed()
        if self is _current_process:
            return os.getpid()
        return self._popen and self._popen.pid

    pid = ident

    @property
    def sentinel(self):
        """A file descriptor that becomes readable when the child ends (for
        multiprocessing.connection.wait). ValueError before start."""
        self._check_closed()
        try:
            return self._sentinel
        except AttributeError:
            raise ValueError("process not started") from None

    def __repr__(self):
        exitcode = None
        if self is _current_process:
            status = "started"
        elif self._closed:
            status = "closed"
        elif self._parent_pid != os.getpid():
            status = "unknown"
        elif self._popen is None:
            status = "initial"
        else:
            exitcode = self._popen.poll()
            status = "stopped" if exitcode is not None else "started"
        info = [type(self).__name__, "name=%r" % self._name]
        if self._popen is not None:
            info.append("pid=%s" % self._popen.pid)
        info.append("parent=%s" % self._parent_pid)
        info.append(status)
        if exitcode is not None:
            info.append("exitcode=%s" % _exitcode_to_name.get(exitcode, exitcode))
        if self.daemon:
            info.append("daemon")
        return "<%s>" % " ".join(info)

    def _bootstrap(self, parent_sentinel=None):
        """Runs in the child: becomes current_process(), runs run(), returns the exit
        code (multiprocessing's rules: SystemExit's code, 1 and a traceback for an
        exception)."""
        global _current_process, _parent_process, _process_counter, _children
        exitcode = 1
        try:
            if self._start_method is not None:
                _start.force(self._start_method)
            _process_counter = itertools.count(1)
            _children = set()
            _close_stdin()
            _current_process = self
            _parent_process = _ParentProcess(self._parent_name, self._parent_pid,
                                             parent_sentinel)
            if hasattr(threading.main_thread(), "_set_native_id"):
                threading.main_thread()._set_native_id()
            _after_fork_multiprocessing()
            try:
                self.run()
                exitcode = 0
            finally:
                _exit_function()
        except SystemExit as e:
            if e.code is None:
                exitcode = 0
            elif isinstance(e.code, int):
                exitcode = e.code
            else:
                sys.stderr.write(str(e.code) + "\n")
                exitcode = 1
        except BaseException:
            exitcode = 1
            import traceback
            sys.stderr.write("Process %s:\n" % self.name)
            traceback.print_exc()
        finally:
            try:
                threading._shutdown()
            except BaseException:
                pass
            _flush_std_streams()
        return exitcode


class Process(BaseProcess):
    """multiprocessing.Process on mproc (see BaseProcess and the module docstring)."""


class ForkProcess(Process):
    """A Process that always starts with the fork method (get_context("fork"))."""
    _start_method = "fork"


class SpawnProcess(Process):
    """A Process that always starts with the spawn method (get_context("spawn"))."""
    _start_method = "spawn"


class ForkServerProcess(Process):
    """A Process that always starts with the forkserver method: C Task targets through
    mproc's forkserver, Python targets as with spawn (get_context("forkserver"))."""
    _start_method = "forkserver"


class _ParentProcess(BaseProcess):
    """parent_process() in a child: pid, name, is_alive and join through a pipe that
    reaches EOF when the parent is gone."""

    def __init__(self, name, pid, sentinel):
        self._identity = ()
        self._name = name
        self._pid = pid
        self._parent_pid = None
        self._popen = None
        self._closed = False
        self._sentinel = sentinel
        self._config = {}

    def is_alive(self):
        """Whether the parent still runs. Never blocks."""
        if self._sentinel is None:
            return True
        from multiprocessing.connection import wait
        return not wait([self._sentinel], timeout=0)

    @property
    def ident(self):
        return self._pid

    def join(self, timeout=None):
        """Waits until the parent ends, or `timeout` seconds."""
        if self._sentinel is not None:
            from multiprocessing.connection import wait
            wait([self._sentinel], timeout=timeout)

    pid = ident


class _MainProcess(BaseProcess):
    def __init__(self):
        self._identity = ()
        self._name = "MainProcess"
        self._parent_pid = None
        self._popen = None
        self._closed = False
        # The same authkey as CPython's multiprocessing in this process, so that
        # connections made by either accept the other's clients.
        import multiprocessing.process as mp_process
        self._config = {"authkey": bytes(mp_process.current_process().authkey),
                        "semprefix": "/mp"}

    def close(self):
        pass


_parent_process = None
_current_process = _MainProcess()
_process_counter = itertools.count(1)
_children = set()
del _MainProcess

_exitcode_to_name = {}
for _name, _signum in list(signal.__dict__.items()):
    if _name[:3] == "SIG" and "_" not in _name:
        _exitcode_to_name[-_signum] = "-%s" % _name
del _name, _signum


def _close_stdin():
    if sys.stdin is None:
        return
    try:
        sys.stdin.close()
    except (OSError, ValueError):
        pass
    try:
        fd = os.open(os.devnull, os.O_RDONLY)
        try:
            sys.stdin = open(fd, encoding="utf-8", closefd=False)
        except BaseException:
            os.close(fd)
            raise
    except (OSError, ValueError):
        pass


def _flush_std_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass


def _after_fork_multiprocessing():
    """CPython multiprocessing objects the parent made: what its own children do."""
    util = sys.modules.get("multiprocessing.util")
    if util is not None:
        util._finalizer_registry.clear()
        util._run_after_forkers()


_exiting = False


def _exit_function():
    """At interpreter exit (and at the end of a child), as multiprocessing's: terminate
    the daemon children, then join all children."""
    global _exiting
    _exiting = True
    for p in active_children():
        if p.daemon:
            try:
                p._popen.terminate()
            except Exception:
                pass
    for p in active_children():
        try:
            p.join()
        except Exception:
            pass


atexit.register(_exit_function)


def _forget_children():
    """In any fork child (os.fork too): the parent's children are not ours (their mproc
    handles may only be closed there)."""
    global _children
    _children = set()


os.register_at_fork(after_in_child=_forget_children)


# ---- start methods and contexts -------------------------------------------------------

def get_start_method(allow_none=False):
    """The default start method ("fork" unless set); None if unset and allow_none."""
    return _start.get(allow_none)


def set_start_method(method, force=False):
    """Sets the default start method ("fork", "spawn" or "forkserver") for processes
    started afterwards, here and for mproc's C API (mproc_set_start_method). RuntimeError
    if already set (unless force), ValueError for an unknown method."""
    _start.set(method, force)


def get_all_start_methods():
    """["fork", "spawn", "forkserver"]: the default first."""
    return list(_start.METHODS)


def cpu_count():
    """The number of CPUs this process may run on (its affinity mask), at least 1."""
    from .context import cpu_count as _cpu_count
    return _cpu_count()


def freeze_support():
    """Does nothing (frozen Windows executables only)."""


def set_executable(executable):
    """The Python interpreter that spawned children run (default sys.executable)."""
    from ._spawn import set_executable as _set
    _set(executable)


def set_forkserver_preload(module_names):
    """Accepted and ignored: mproc's forkserver runs C tasks, Python children of the
    forkserver method are fresh interpreters."""


def get_context(method=None):
    """A context object: the package's names (Process, Queue, Lock, Pool, ...) with its
    start method bound. None: the default start method's context. ValueError for an
    unknown method."""
    from .context import get_context as _get
    return _get(method)

