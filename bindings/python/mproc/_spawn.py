"""Python targets under the spawn (and forkserver) start method: a fresh interpreter.

As multiprocessing.spawn does it: the child is ``sys.executable`` (or set_executable's)
with the parent's interpreter flags; it receives, over a pipe, multiprocessing's
preparation data (sys.path, the working directory, the main module, imported in the child
as ``__mp_main__`` so that ``if __name__ == "__main__"`` blocks do not run) and then the
pickled Process object, and runs ``process._bootstrap()``. The target and its arguments
must therefore pickle: a module-level function of an importable module, not a lambda or a
local function.

mproc's forkserver runs C task references only, so a Python target under "forkserver"
starts this way too (a fresh interpreter per child).

Daemon children also watch the pipe from the parent: EOF means the parent died (even by
SIGKILL), and the child kills itself, as mproc's fork children do.
"""

import os
import pickle
import signal
import struct
import subprocess
import sys
import threading

__all__ = ["SpawnPopen", "spawn_main", "set_executable"]

_executable = None  # set_executable's; None: sys.executable
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LEN = struct.Struct("<Q")


def set_executable(executable):
    """The Python interpreter spawned children run (default sys.executable)."""
    global _executable
    _executable = os.fsdecode(executable) if executable is not None else None


def get_executable():
    return _executable or sys.executable


def _unpicklable(process_obj, method, exc):
    """The clear error for a Process that cannot be sent to a fresh interpreter, of the
    type the pickler raised (so that existing handlers still catch it)."""
    what = "the Process object"
    target = getattr(process_obj, "_target", None)
    if target is not None:
        what = "target %r" % (getattr(target, "__qualname__", None) or target,)
    message = (
        "mproc.Process with the %r start method runs %s in a new Python interpreter, so it "
        "must be pickled, and it cannot be (%s: %s). Use a function defined at the top level "
        "of an importable module (not a lambda, a local function or a method of a local "
        "class), arguments that pickle, or the 'fork' start method "
        "(mproc.get_context('fork').Process)." % (method, what, type(exc).__name__, exc))
    try:
        return type(exc)(message)
    except Exception:  # an exception type that does not take a message
        return pickle.PicklingError(message)


def _preparation_data(name):
    from multiprocessing import spawn as mp_spawn
    from . import _start
    data = mp_spawn.get_preparation_data(name)
    # multiprocessing's AuthenticationString refuses to pickle outside its own spawning.
    data["authkey"] = bytes(data["authkey"])
    data["mproc_start_method"] = _start.get(allow_none=True)
    return data


class SpawnPopen:
    """A child that is a fresh Python interpreter (multiprocessing's Popen interface)."""

    _fds = ()

    def __init__(self, process_obj, method):
        self.method = method
        self.returncode = None
        try:
            payload = pickle.dumps(process_obj, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise _unpicklable(process_obj, method, exc) from exc
        prep = pickle.dumps(_preparation_data(process_obj._name), pickle.HIGHEST_PROTOCOL)
        child_r, parent_w = os.pipe()  # data, then the parent's liveness (EOF: it died)
        parent_r, child_w = os.pipe()  # the sentinel: EOF when the child is gone
        try:
            prog = ("import sys; d = %r; d in sys.path or sys.path.append(d); "
                    "from mproc._spawn import spawn_main; spawn_main(%d)"
                    % (_PACKAGE_PARENT, child_r))
            cmd = [get_executable()] + subprocess._args_from_interpreter_flags() + [
                "-c", prog, "--mproc-spawn"]
            self._proc = subprocess.Popen(cmd, pass_fds=(child_r, child_w), close_fds=True)
        except BaseException:
            for fd in (child_r, parent_w, parent_r, child_w):
                os.close(fd)
            raise
        os.close(child_r)
        os.close(child_w)
        self.pid = self._proc.pid
        self.sentinel = parent_r
        self._fds = [parent_r, parent_w]
        try:
            with open(parent_w, "wb", closefd=False) as f:
                f.write(_LEN.pack(len(prep)) + prep + _LEN.pack(len(payload)) + payload)
        except BrokenPipeError:
            pass  # the child died early: its exit code tells

    def poll(self, flag=None):
        """The exit code (-signum if killed), or None while it runs. Never blocks."""
        if self.returncode is None:
            self.returncode = self._proc.poll()
        return self.returncode

    def wait(self, timeout=None):
        """Waits up to `timeout` seconds (None: forever) for the end; returns the exit
        code, or None on timeout."""
        if self.returncode is None:
            try:
                self.returncode = self._proc.wait(None if timeout is None
                                                  else max(float(timeout), 0.0))
            except subprocess.TimeoutExpired:
                return None
        return self.returncode

    def terminate(self):
        """SIGTERM; nothing if the child already ended."""
        if self.poll() is None:
            self._proc.send_signal(signal.SIGTERM)

    def kill(self):
        """SIGKILL; nothing if the child already ended."""
        if self.poll() is None:
            self._proc.send_signal(signal.SIGKILL)

    def close(self):
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = []

    def __del__(self):
        self.close()


def _read_exactly(fd, n):
    chunks = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            raise EOFError("mproc spawn: the parent closed the pipe before sending the process")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read_message(fd):
    (n,) = _LEN.unpack(_read_exactly(fd, _LEN.size))
    return _read_exactly(fd, n)


def _watch_parent(fd):
    """Daemon children: EOF on the parent's pipe means the parent is gone: die with it."""
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGKILL)


def spawn_main(fd):
    """Entry point of a spawned child (run by the -c program): reads the preparation data
    and the Process from `fd`, runs it and exits with its exit code."""
    from multiprocessing import spawn as mp_spawn
    from . import _start
    prep = pickle.loads(_read_message(fd))
    method = prep.pop("mproc_start_method", None)
    mp_spawn.prepare(prep)
    if method is not None:
        _start.force(method)
    process_obj = pickle.loads(_read_message(fd))
    if process_obj.daemon:
        threading.Thread(target=_watch_parent, args=(os.dup(fd),), daemon=True,
                         name="mproc-parent-watch").start()
    sys.exit(process_obj._bootstrap(parent_sentinel=fd))
