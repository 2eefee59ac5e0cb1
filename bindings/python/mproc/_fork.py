"""Children backed by an mproc process handle (C ABI section "Process").

Two kinds of children use it:
- a Task target, under any start method: mproc_process_create with the task reference;
  the child runs C only (no Python), so the start is an ordinary call (GIL released).
- a Python target with the fork method: a function-pointer task whose function is a
  ctypes callback that runs ``process._bootstrap()`` in the forked child. CPython is told
  about the fork exactly as os.fork does it (PyOS_BeforeFork, the fork with the GIL held,
  PyOS_AfterFork_Parent / PyOS_AfterFork_Child).

``MprocPopen`` has multiprocessing's Popen interface: pid, sentinel, poll, wait,
terminate, kill, close.
"""

import ctypes
import os
import threading
import weakref

from ._lib import pylib, declare, check, handle_t, error_for, EEMPTY, ETIMEDOUT, ESYSTEM
from . import _start


class _ProcessOptions(ctypes.Structure):
    """mproc_process_options_t."""
    _fields_ = [("size", ctypes.c_size_t), ("name", ctypes.c_char_p), ("daemon", ctypes.c_int),
                ("start_method", ctypes.c_int)]


_TASK_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)  # mproc_task_fn

_options_init = declare("mproc_process_options_init", [ctypes.POINTER(_ProcessOptions)])
_from_function = declare("mproc_task_from_function",
                         [_TASK_FN, ctypes.c_void_p, ctypes.POINTER(handle_t)])
_task_close = declare("mproc_task_close", [handle_t])
_create = declare("mproc_process_create",
                  [handle_t, ctypes.POINTER(_ProcessOptions), ctypes.POINTER(handle_t)])
_start_c = declare("mproc_process_start", [handle_t])
# The same function through PyDLL: the GIL stays held across the fork, so the child's only
# thread holds it (through CDLL another thread could own the GIL at fork time and the
# child would wait for it forever).
_start_py = declare("mproc_process_start", [handle_t], dll=pylib)
_join = declare("mproc_process_join", [handle_t, ctypes.c_double])
_exitcode = declare("mproc_process_exitcode", [handle_t, ctypes.POINTER(ctypes.c_int)])
_pid = declare("mproc_process_pid", [handle_t, ctypes.POINTER(ctypes.c_int)])
_terminate = declare("mproc_process_terminate", [handle_t])
_kill = declare("mproc_process_kill", [handle_t])
_fd = declare("mproc_process_fd", [handle_t, ctypes.POINTER(ctypes.c_int)])
_close = declare("mproc_process_close", [handle_t])

_before_fork = ctypes.pythonapi.PyOS_BeforeFork
_before_fork.argtypes, _before_fork.restype = [], None
_after_fork_parent = ctypes.pythonapi.PyOS_AfterFork_Parent
_after_fork_parent.argtypes, _after_fork_parent.restype = [], None
# PyOS_AfterFork_Child as a PyDLL function pointer taking the task's void * (ignored: an
# extra argument is harmless in every Linux calling convention). Calling it from C (a
# ctypes callback calling a ctypes function object) runs no bytecode before it: the eval
# loop's first check could otherwise see a GIL drop request inherited from the parent's
# other threads and wait forever for a thread that does not exist in the child.
_AFTER_FORK_CHILD = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)

_WAIT_SLICE = 0.2  # a join without timeout waits in slices so Ctrl-C gets through


def _release(handle, fds):
    """Finalizer: frees the handle (fails harmlessly while the child runs: then it stays
    allocated, as a running child must stay reapable) and closes our pipe ends."""
    _close(handle)
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _options(name, daemon, method):
    opts = _ProcessOptions()
    check(_options_init(ctypes.byref(opts)))
    opts.name = name.encode()[:200]
    opts.daemon = 1 if daemon else 0
    opts.start_method = _start.CODES[method]
    return opts


def _kernel_daemon(daemon, method):
    """Whether mproc may kill the child with its parent (PR_SET_PDEATHSIG). The kernel ties
    that to the *thread* that started the child (the forkserver: the process), while a
    multiprocessing daemon lives until its parent process exits: so only for starts from
    the main thread or through the forkserver. Others rely on the atexit handler."""
    if not daemon:
        return False
    return method == "forkserver" or threading.current_thread() is threading.main_thread()


class MprocPopen:
    """A started mproc child. Use ``for_task`` or ``for_fork``."""

    method = None

    def __init__(self):
        self._handle = None
        self._keep = ()  # objects the child's callback needs while the handle lives
        self._fds = []
        self.returncode = None
        self.pid = None
        self.sentinel = None
        self._finalizer = None

    @classmethod
    def for_task(cls, process_obj, task, args, method):
        """Starts a child that runs the Task `task` with `args` under `method`: C only."""
        self = cls()
        self.method = method
        task_handle = task.new_handle(args)
        try:
            self._create(task_handle, process_obj, method)
        finally:
            _task_close(task_handle)
        check(_start_c(self._handle), "Process.start (%s)" % method)
        self._started()
        return self

    @classmethod
    def for_fork(cls, process_obj):
        """Forks a child that runs ``process_obj._bootstrap()`` and exits with its code."""
        self = cls()
        self.method = "fork"
        # The parent sentinel of multiprocessing's fork children: the child sees EOF on
        # child_r once the parent (which holds parent_w) is gone.
        child_r, parent_w = os.pipe()
        self._fds = [parent_w]

        def child_main(_result, _func, _args):
            # In the child, after PyOS_AfterFork_Child: Python is whole again.
            try:
                os.close(parent_w)
            except OSError:
                pass
            return process_obj._bootstrap(parent_sentinel=child_r)

        after_fork = _AFTER_FORK_CHILD(("PyOS_AfterFork_Child", ctypes.pythonapi))
        after_fork.errcheck = child_main
        callback = _TASK_FN(after_fork)
        self._keep = (callback, after_fork, child_main)
        task_handle = handle_t()
        try:
            check(_from_function(callback, None, ctypes.byref(task_handle)))
            try:
                self._create(task_handle.value, process_obj, "fork")
            finally:
                _task_close(task_handle)
            _before_fork()
            try:
                status = _start_py(self._handle)
            finally:
                _after_fork_parent()
            if status:
                raise error_for(status, "Process.start (fork)")
        except BaseException:
            os.close(parent_w)
            del self._fds[:]  # the finalizer holds this list: it must not close it again
            raise
        finally:
            os.close(child_r)
        self._started()
        return self

    def _create(self, task_handle, process_obj, method):
        opts = _options(process_obj.name, _kernel_daemon(process_obj.daemon, method), method)
        handle = handle_t()
        check(_create(task_handle, ctypes.byref(opts), ctypes.byref(handle)),
              "Process(%r)" % process_obj.name)
        self._handle = handle.value
        self._finalizer = weakref.finalize(self, _release, self._handle, self._fds)
        # Not at interpreter exit: process.py's exit handler still joins through it then.
        self._finalizer.atexit = False

    def _started(self):
        pid = ctypes.c_int()
        check(_pid(self._handle, ctypes.byref(pid)))
        self.pid = pid.value
        fd = ctypes.c_int()
        if _fd(self._handle, ctypes.byref(fd)) == 0:
            self.sentinel = fd.value
        # else: a kernel without pidfd (Linux < 5.3): no sentinel.

    def poll(self, flag=None):
        """The exit code, or None while the child runs. Never blocks."""
        if self.returncode is None:
            code = ctypes.c_int()
            status = _exitcode(self._handle, ctypes.byref(code))
            if status == EEMPTY:
                return None
            if status == ESYSTEM:
                # Someone else reaped it: it ended, its status is lost (subprocess says 0).
                self.returncode = 0
            else:
                check(status, "Process.exitcode")
                self.returncode = code.value
        return self.returncode

    def wait(self, timeout=None):
        """Waits up to `timeout` seconds (None: forever, in slices) for the end; returns
        the exit code, or None on timeout."""
        if self.returncode is not None:
            return self.returncode
        if timeout is None:
            while True:
                status = _join(self._handle, _WAIT_SLICE)
                if status != ETIMEDOUT:
                    break
        else:
            status = _join(self._handle, max(float(timeout), 0.0))
            if status == ETIMEDOUT:
                return None
        if status not in (0, ESYSTEM):
            check(status, "Process.join")
        return self.poll()

    def terminate(self):
        """SIGTERM; nothing if the child already ended."""
        if self.returncode is None:
            check(_terminate(self._handle), "Process.terminate")

    def kill(self):
        """SIGKILL; nothing if the child already ended."""
        if self.returncode is None:
            check(_kill(self._handle), "Process.kill")

    def close(self):
        """Frees the handle (the child must have ended) and the pipes."""
        if self._finalizer is not None:
            self._finalizer()
        self._keep = ()
