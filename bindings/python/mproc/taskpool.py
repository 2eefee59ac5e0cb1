"""C task pools: mproc's own ProcessPool (C ABI "Futures and pools") driven from Python,
with worker processes on this host or worker ranks through MPI.

``mproc.Pool`` runs Python callables (pickled, over queues). ``TaskPool`` runs
``mproc.Task`` references -- C functions named by (library, symbol, signature) -- in the C
pool: no Python in the workers, tasks and results encoded by the C library, and the same
object whether the workers are local processes or MPI ranks on other hosts::

    square = mproc.Task("libsquare.so", "square", "q(q)")
    with mproc.TaskPool(4) as pool:                      # local worker processes
        pool.map(square, range(10_000), chunksize=64)
    with mproc.TaskPool(2, backend="mpi") as pool:       # MPI_Comm_spawn'ed workers
        pool.map(square, range(10_000))
    mproc.Pool(2, backend="mpi")                         # the same TaskPool

The methods are multiprocessing.Pool's (apply, apply_async, map, map_async, starmap,
starmap_async, imap, imap_unordered, close, terminate, join, the context manager whose
exit terminates), plus ``submit(task, *args)`` returning a ``TaskFuture``
(concurrent.futures.Future's methods). What differs from multiprocessing.Pool:

- ``func`` must be an ``mproc.Task`` (TypeError otherwise) and takes no keywords. A Task
  carries its own arguments, so ``map`` calls ``func(item)`` and ``starmap``
  ``func(*item)``; both are one C call (mproc_pool_map_async) after the argument handles
  are built, and ``imap``/``imap_unordered`` read the futures of that call (the whole
  iterable is consumed at once).
- Results are the Task's (int, float, str, bytes or None by its result code). A failed
  item raises the mproc error class of its code with the C message: NotFoundError (a
  FileNotFoundError) for a library or symbol the worker cannot load, BrokenError for a
  worker that died running it (the message names the worker and its signal or status;
  for MPI also the rank and host), TooBigError for a result over ``max_message``. A
  failure fails its own item only; ``map`` raises the first failure in order.
- Callbacks (``apply_async``/``map_async`` callback and error_callback, and
  ``TaskFuture.add_done_callback``) run in the C pool's result thread, as
  multiprocessing's run in its result-handler thread; ``get``/``wait`` of an AsyncResult
  return once its callbacks have run. A callback must be quick and must not wait for
  other tasks of the pool (their results come from the thread that runs it).
- Waits with ``timeout=None`` wait in 0.25 s slices, so Ctrl-C is seen.
- ``backend="mpi"``: the workers are MPI ranks (``mproc.pool_backend_available("mpi")``
  says whether mproc was built with MPI). Started as a normal program, the pool spawns
  ``processes`` ranks running mproc-mpi-worker; ``mpi_info`` passes MPI_Info keys for the
  spawn ("host=a,b", or a dict ``{"host": "a,b"}``) and Open MPI's OMPI_MCA_* environment
  applies. Under ``mpiexec -n N python prog.py`` rank 0 is the pool and ranks 1..N-1
  serve tasks inside the TaskPool constructor and then exit (status 0): create the pool
  first thing. A rank silent for ``heartbeat_timeout`` seconds (default 10) is lost and its
  tasks fail with BrokenError. MPI is initialised once per process and stays so until
  exit; several MPI pools one after the other are fine.
- A pool that is garbage-collected (or still open at exit) is terminated and freed; its
  TaskFutures stay readable (not-done ones end cancelled or BrokenError).
"""

import concurrent.futures
import ctypes
import itertools
import logging
import threading
import weakref
from multiprocessing import TimeoutError as _MPTimeoutError

from . import _lib
from ._lib import declare, check, error_for, handle_t, ETIMEDOUT, ECANCELLED
from .task import Task, _Result

__all__ = ["TaskPool", "TaskFuture", "TaskAsyncResult", "pool_backend_available"]

_SLICE = 0.25  # seconds: a forever wait waits in slices of this, so Ctrl-C is seen
_log = logging.getLogger("mproc.taskpool")

_BACKENDS = {"local": 0, "mpi": 1}  # MPROC_BACKEND_LOCAL, MPROC_BACKEND_MPI
_START_METHODS = {None: 0, "fork": 1, "spawn": 2, "forkserver": 3}  # MPROC_START_*
_FIRST_EXCEPTION, _ALL_COMPLETED = 2, 3


class _PoolOptions(ctypes.Structure):
    """mproc_pool_options_t."""
    _fields_ = [("size", ctypes.c_size_t), ("processes", ctypes.c_int),
                ("start_method", ctypes.c_int), ("initializer", handle_t),
                ("max_tasks_per_child", ctypes.c_ulong), ("max_message", ctypes.c_size_t),
                ("backend", ctypes.c_int), ("mpi_info", ctypes.c_char_p),
                ("mpi_heartbeat_timeout", ctypes.c_double)]


_hp, _ip, _szp = ctypes.POINTER(handle_t), ctypes.POINTER(ctypes.c_int), \
    ctypes.POINTER(ctypes.c_size_t)
_CALLBACK = ctypes.CFUNCTYPE(None, handle_t, ctypes.c_void_p)  # mproc_future_callback_fn

_options_init = declare("mproc_pool_options_init", [ctypes.POINTER(_PoolOptions)])
_pool_create = declare("mproc_pool_create", [ctypes.POINTER(_PoolOptions), _hp])
_pool_apply_async = declare("mproc_pool_apply_async", [handle_t, handle_t, _hp])
_pool_map_async = declare("mproc_pool_map_async",
                          [handle_t, _hp, ctypes.c_size_t, ctypes.c_size_t, _hp])
_pool_shutdown = declare("mproc_pool_shutdown", [handle_t])
_pool_terminate = declare("mproc_pool_terminate", [handle_t])
_pool_join = declare("mproc_pool_join", [handle_t, ctypes.c_double])
_pool_processes = declare("mproc_pool_processes", [handle_t, _ip])
_pool_close = declare("mproc_pool_close", [handle_t])
_future_done = declare("mproc_future_done", [handle_t, _ip])
_future_running = declare("mproc_future_running", [handle_t, _ip])
_future_cancelled = declare("mproc_future_cancelled", [handle_t, _ip])
_future_cancel = declare("mproc_future_cancel", [handle_t, _ip])
_future_wait = declare("mproc_future_wait", [handle_t, ctypes.c_double])
_future_result = declare("mproc_future_result",
                         [handle_t, ctypes.c_double, ctypes.POINTER(_Result)])
_future_exception = declare("mproc_future_exception", [handle_t, ctypes.c_double, _ip])
_future_add_done_callback = declare("mproc_future_add_done_callback",
                                    [handle_t, _CALLBACK, ctypes.c_void_p])
_future_close = declare("mproc_future_close", [handle_t])
_futures_wait = declare("mproc_futures_wait",
                        [_hp, ctypes.c_size_t, ctypes.c_int, ctypes.c_double, _szp])
_futures_wait_any = declare("mproc_futures_wait_any",
                            [_hp, ctypes.c_size_t, ctypes.c_double, _szp])
# Added with the MPI backend: looked up when called, so that `import mproc` still works
# against an older library (and then pool_backend_available raises, loudly).
_backend_available = getattr(_lib.lib, "mproc_pool_backend_available", None)
if _backend_available is not None:
    _backend_available.argtypes = [ctypes.c_int]
    _backend_available.restype = ctypes.c_int


def pool_backend_available(name):
    """True if TaskPools of backend `name` ("local" or "mpi") can be made here: for "mpi",
    mproc was built with MPI and its plugin libmproc_mpi.so loads. ValueError for another
    name. Never blocks for long (the first call for "mpi" loads the plugin)."""
    if name not in _BACKENDS:
        raise ValueError("unknown pool backend %r (expected 'local' or 'mpi')" % (name,))
    if _backend_available is None:
        raise _lib.MprocError(_lib.EFAILED, "mproc.pool_backend_available: %s has no "
                              "mproc_pool_backend_available (a library older than the MPI "
                              "backend)" % _lib.library_path)
    return bool(_backend_available(_BACKENDS[name]))


class TaskCancelledError(_lib.CancelledFutureError, concurrent.futures.CancelledError):
    """A TaskFuture's task was cancelled before it ran (MPROC_ECANCELLED): both
    mproc's CancelledFutureError and concurrent.futures.CancelledError."""


def _task_error(code, context=None):
    """The exception for a task's failure `code` (message: this thread's last error)."""
    exc = error_for(code, context)
    if code == ECANCELLED:
        return TaskCancelledError(code, str(exc))
    return exc


def _seconds(timeout):
    """A Python timeout as the C wait's: None -> None (forever, sliced), else >= 0."""
    if timeout is None:
        return None
    timeout = float(timeout)
    if timeout != timeout:
        raise ValueError("timeout must be a number, not NaN")
    return max(timeout, 0.0)


def _sliced(fn, seconds, *args):
    """fn(*args[:1], timeout, *args[1:]) once for a finite timeout, or in _SLICE slices
    until it stops timing out. Returns the status."""
    head, tail = args[:1], args[1:]
    if seconds is not None:
        return fn(*head, seconds, *tail)
    while True:
        code = fn(*head, _SLICE, *tail)
        if code != ETIMEDOUT:
            return code


# ---- Done-callbacks ------------------------------------------------------------------
# One C thunk for the life of the process; the C side gets an integer key into
# _pending, so a Python callback stays alive until it ran even if its TaskFuture object
# was dropped, and nothing Python-owned is freed under the C pool's feet.

_pending = {}
_pending_lock = threading.Lock()
_keys = itertools.count(1)


def _run_callback(_handle, key):
    with _pending_lock:
        entry = _pending.pop(key, None)
    if entry is None:
        return
    fn, future = entry
    try:
        fn(future)
    except BaseException:  # as concurrent.futures: logged, never raised into C
        _log.exception("exception calling callback for %r", future)


_THUNK = _CALLBACK(_run_callback)


class TaskFuture:
    """The outcome of one task submitted to a TaskPool, as concurrent.futures.Future:
    result, exception, done, running, cancel, cancelled, add_done_callback.

    Wraps an mproc_future_t *; closing it (``close()``, or garbage collection) does not
    cancel the task. Failures raise the mproc error class of the task's code with the C
    message; a cancelled task raises TaskCancelledError (a
    concurrent.futures.CancelledError); a timeout raises mproc.TimeoutExpired (a
    TimeoutError, as concurrent.futures.TimeoutError is in Python 3.11).
    """

    __slots__ = ("_handle", "_task", "_outcome", "__weakref__")

    def __init__(self, handle, task):
        self._handle = handle
        self._task = task
        self._outcome = None  # once done: (True, value) or (False, exception)

    def _live(self):
        if self._handle is None:
            raise ValueError("TaskFuture is closed")
        return self._handle

    def _flag(self, fn):
        out = ctypes.c_int()
        check(fn(self._live(), ctypes.byref(out)))
        return bool(out.value)

    def done(self):
        """True once the task finished or was cancelled. Never blocks."""
        return self._flag(_future_done)

    def running(self):
        """True while a worker runs the task. Never blocks."""
        return self._flag(_future_running)

    def cancelled(self):
        """True if the task was cancelled before it ran. Never blocks."""
        return self._flag(_future_cancelled)

    def cancel(self):
        """Cancels the task if it has not started; True if it is (now) cancelled, False
        if it runs or ran. Never blocks."""
        return self._flag(_future_cancel)

    def _settle(self, seconds):
        """Waits (sliced when seconds is None) and caches the outcome; TimeoutExpired."""
        if self._outcome is not None:
            return self._outcome
        result = _Result()
        code = _sliced(_future_result, seconds, self._live(), ctypes.byref(result))
        if code == ETIMEDOUT:
            raise error_for(code, "TaskFuture.result(%s)" % (seconds,))
        if code == 0:
            self._outcome = (True, self._task._convert(result))
        else:
            self._outcome = (False, _task_error(code, repr(self._task)))
        return self._outcome

    def result(self, timeout=None):
        """The task's result, waiting up to `timeout` seconds (None: no limit). Raises
        the task's error, TaskCancelledError, or mproc.TimeoutExpired."""
        ok, value = self._settle(_seconds(timeout))
        if ok:
            return value
        raise value

    def exception(self, timeout=None):
        """The task's error (None if it succeeded), waiting up to `timeout` seconds.
        Raises TaskCancelledError if cancelled, mproc.TimeoutExpired on timeout."""
        ok, value = self._settle(_seconds(timeout))
        if ok:
            return None
        if isinstance(value, TaskCancelledError):
            raise value
        return value

    def wait(self, timeout=None):
        """Waits up to `timeout` seconds for the future to be done; True if it is."""
        code = _sliced(_future_wait, _seconds(timeout), self._live())
        if code == ETIMEDOUT:
            return False
        check(code)
        return True

    def add_done_callback(self, fn):
        """Calls fn(self) once the future is done: at once in this thread if it is
        already, else in the C pool's result thread. Exceptions from fn are logged."""
        key = next(_keys)
        with _pending_lock:
            _pending[key] = (fn, self)
        code = _future_add_done_callback(self._live(), _THUNK, key)
        if code:
            with _pending_lock:
                _pending.pop(key, None)
            check(code)

    def close(self):
        """Releases the C handle (the task goes on). Calling it again is fine."""
        handle, self._handle = self._handle, None
        if handle is not None:
            check(_future_close(handle))

    def __del__(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None and _future_close is not None:
            _future_close(handle)

    def __repr__(self):
        if self._handle is None:
            state = "closed"
        elif self.done():
            state = "cancelled" if self.cancelled() else "finished"
        else:
            state = "running" if self.running() else "pending"
        return "<mproc.TaskFuture %s %r>" % (state, self._task)


# ---- AsyncResult and imap iterators --------------------------------------------------

class TaskAsyncResult:
    """What TaskPool.apply_async / map_async / starmap_async return: multiprocessing's
    AsyncResult (get, wait, ready, successful) over TaskFutures. ``futures`` lists them.
    A map result is ready, as multiprocessing's, when every item is done or one failed;
    its get() raises the first failure in order among the items done."""

    def __init__(self, futures, single, callback=None, error_callback=None):
        self._futures = futures
        self._single = single
        self._callbacks_ran = None
        if callback is not None or error_callback is not None:
            self._callbacks_ran = threading.Event()
            self._watch(callback, error_callback)

    @property
    def futures(self):
        """The TaskFutures, one per item (one for apply_async)."""
        return list(self._futures)

    def _watch(self, callback, error_callback):
        lock = threading.Lock()
        state = {"left": len(self._futures), "fired": False}

        def on_done(future):
            with lock:
                state["left"] -= 1
                if state["fired"]:
                    return
                try:
                    failed = _failure_of(future)
                except Exception as exc:  # a handle closed meanwhile: still fire, once
                    failed = exc
                if failed is None and state["left"]:
                    return
                state["fired"] = True
            try:
                if failed is not None:
                    if error_callback is not None:
                        error_callback(failed)
                elif callback is not None:
                    callback(self._values())
            finally:
                self._callbacks_ran.set()

        if not self._futures:
            on_done_empty = callback
            try:
                if on_done_empty is not None:
                    on_done_empty([])
            finally:
                self._callbacks_ran.set()
            return
        for future in self._futures:
            future.add_done_callback(on_done)

    def _values(self):
        values = [f.result(0) for f in self._futures]
        return values[0] if self._single else values

    def _ready_now(self, seconds):
        """Waits up to seconds (None: forever, sliced) for ready; True if it is."""
        if not self._futures:
            ready = True
        else:
            array = (handle_t * len(self._futures))(*(f._live() for f in self._futures))
            code = _sliced(lambda timeout: _futures_wait(
                array, len(array), _FIRST_EXCEPTION, timeout, None), seconds)
            if code == ETIMEDOUT:
                return False
            check(code)
            ready = True
        if self._callbacks_ran is not None:
            return self._callbacks_ran.wait(seconds) if seconds is not None else \
                _event_wait(self._callbacks_ran)
        return ready

    def ready(self):
        """True once the result is ready (done, or an item failed). Never blocks."""
        return self._ready_now(0.0)

    def wait(self, timeout=None):
        """Blocks until ready, or `timeout` seconds (None: no limit)."""
        self._ready_now(_seconds(timeout))

    def successful(self):
        """True if every item succeeded. ValueError if not ready yet."""
        if not self.ready():
            raise ValueError("%r not ready" % self)
        return self._first_failure() is None

    def _first_failure(self):
        for future in self._futures:
            if future.done():
                exc = _failure_of(future)
                if exc is not None:
                    return exc
        return None

    def get(self, timeout=None):
        """The result (a list for map), once ready: blocks up to `timeout` seconds, then
        raises multiprocessing.TimeoutError. Raises the (first) failed item's error."""
        if not self._ready_now(_seconds(timeout)):
            raise _MPTimeoutError
        failure = self._first_failure()
        if failure is not None:
            raise failure
        return self._values()


def _failure_of(future):
    """A done future's error (TaskCancelledError if cancelled), or None."""
    if future.cancelled():
        return TaskCancelledError(ECANCELLED, "%r: cancelled" % future._task)
    return future.exception(0)


def _event_wait(event):
    while not event.wait(_SLICE):
        pass
    return True


class TaskIMapIterator:
    """TaskPool.imap's and imap_unordered's iterator: ``next(timeout=None)`` as
    multiprocessing's IMapIterator (multiprocessing.TimeoutError on timeout); a failed
    item raises its error there and iteration may go on with the next."""

    def __init__(self, futures, ordered):
        self._futures = list(futures)
        self._ordered = ordered
        self._next = 0  # ordered: index of the next future
        # unordered: the futures left, and their handles in one C array (swap-remove).
        self._left = len(self._futures)
        self._array = None if ordered else (handle_t * max(self._left, 1))(
            *(f._live() for f in self._futures))

    def __iter__(self):
        return self

    def next(self, timeout=None):
        seconds = _seconds(timeout)
        if self._ordered:
            if self._next >= len(self._futures):
                raise StopIteration
            future = self._futures[self._next]
            if not future.wait(seconds):
                raise _MPTimeoutError
            self._futures[self._next] = None  # the caller has it; let it be freed
            self._next += 1
        else:
            if self._left == 0:
                raise StopIteration
            index = ctypes.c_size_t()
            code = _sliced(lambda t: _futures_wait_any(self._array, self._left, t,
                                                       ctypes.byref(index)), seconds)
            if code == ETIMEDOUT:
                raise _MPTimeoutError
            check(code)
            i, last = index.value, self._left - 1
            future = self._futures[i]
            self._futures[i], self._array[i] = self._futures[last], self._array[last]
            self._futures[last] = None
            self._left = last
        return future.result(0)

    __next__ = next

    def __len__(self):
        return len(self._futures)


# ---- TaskPool ------------------------------------------------------------------------

def _need_task(func, method):
    if not isinstance(func, Task):
        raise TypeError("TaskPool.%s: func must be an mproc.Task (a C function reference), "
                        "not %s; use mproc.Pool for Python callables" % (
                            method, type(func).__name__))


def _no_keywords(kwds, method):
    if kwds:
        raise TypeError("TaskPool.%s: C tasks take no keyword arguments" % method)


def _mpi_info_text(info):
    if info is None:
        return None
    if isinstance(info, dict):
        parts = []
        for key, value in info.items():
            key, value = str(key), str(value)
            if not key or "=" in key or ";" in key or ";" in value:
                raise ValueError("mpi_info: bad entry %r: %r (no '=' or ';' in keys, no ';' "
                                 "in values)" % (key, value))
            parts.append("%s=%s" % (key, value))
        info = ";".join(parts)
    if not isinstance(info, str):
        raise TypeError("mpi_info must be None, a str 'k=v;k=v' or a dict, not %s" %
                        type(info).__name__)
    if "\0" in info:
        raise ValueError("mpi_info: embedded null character")
    return info.encode()


def _free_pool(handle):
    _pool_close(handle)


class TaskPool:
    """A pool of worker processes (backend "local") or MPI ranks (backend "mpi") running
    mproc.Task references, with multiprocessing.Pool's methods. See the module docstring.

    TaskPool(processes=None, initializer=None, initargs=(), maxtasksperchild=None,
    start_method=None, max_message=65536, backend="local", mpi_info=None,
    heartbeat_timeout=None). processes None: mproc_cpu_count(). initializer: an
    mproc.Task run by each worker before its first task, with initargs (a failure -- an
    error or a non-zero int result -- breaks the pool: every task fails with BrokenError).
    start_method: None (the default), "fork", "spawn" or "forkserver" (local only).
    max_message: the largest encoded task or result in bytes. Raises ValueError /
    TypeError for bad arguments, and the C library's errors (NotFoundError when no
    mproc-worker, plugin or mproc-mpi-worker is found, SystemCallError when MPI fails).
    """

    def __init__(self, processes=None, initializer=None, initargs=(), maxtasksperchild=None,
                 start_method=None, max_message=65536, backend="local", mpi_info=None,
                 heartbeat_timeout=None):
        self._handle = None
        if backend not in _BACKENDS:
            raise ValueError("TaskPool: unknown backend %r (expected 'local' or 'mpi')" %
                             (backend,))
        if processes is None:
            processes = 0
        elif not isinstance(processes, int) or isinstance(processes, bool):
            raise TypeError("processes must be an int or None")
        elif processes < 1:
            raise ValueError("Number of processes must be at least 1")
        if initializer is not None:
            _need_task(initializer, "__init__ (initializer)")
        if maxtasksperchild is not None and (not isinstance(maxtasksperchild, int) or
                                             maxtasksperchild <= 0):
            raise ValueError("maxtasksperchild must be a positive int or None")
        if start_method not in _START_METHODS:
            raise ValueError("TaskPool: unknown start method %r" % (start_method,))
        if heartbeat_timeout is not None and not heartbeat_timeout > 0:
            raise ValueError("heartbeat_timeout must be positive or None")
        info = _mpi_info_text(mpi_info)

        opts = _PoolOptions()
        check(_options_init(ctypes.byref(opts)))
        if opts.size < ctypes.sizeof(_PoolOptions) and (
                backend != "local" or info is not None or heartbeat_timeout is not None):
            raise _lib.MprocError(_lib.EFAILED, "TaskPool: %s predates the MPI backend" %
                                  _lib.library_path)
        opts.processes = processes
        opts.start_method = _START_METHODS[start_method]
        opts.max_tasks_per_child = maxtasksperchild or 0
        opts.max_message = int(max_message)
        opts.backend = _BACKENDS[backend]
        opts.mpi_info = info
        opts.mpi_heartbeat_timeout = float(heartbeat_timeout or 0.0)
        init_handle = None
        if initializer is not None:
            init_handle = initializer.new_handle(initargs)
        handle = handle_t()
        try:
            opts.initializer = init_handle
            check(_pool_create(ctypes.byref(opts), ctypes.byref(handle)),
                  "TaskPool(backend=%r)" % backend)
        finally:
            if init_handle is not None:
                Task.close_handle(init_handle)
        self._handle = handle.value
        self._backend = backend
        self._state = "RUN"
        # Frees the C pool (terminating it if not joined) when this object goes, or at exit.
        self._finalizer = weakref.finalize(self, _free_pool, self._handle)

    # ---- helpers ---------------------------------------------------------------------

    def _live(self):
        if self._handle is None:
            raise ValueError("Pool not running")
        return self._handle

    def _check_running(self):
        if self._state != "RUN":
            raise ValueError("Pool not running")
        return self._live()

    def _submit(self, func, args, method):
        _need_task(func, method)
        pool = self._check_running()
        task = func.new_handle(args)
        out = handle_t()
        try:
            check(_pool_apply_async(pool, task, ctypes.byref(out)), "TaskPool.%s" % method)
        finally:
            Task.close_handle(task)
        return TaskFuture(out.value, func)

    def _map_futures(self, func, arg_tuples, chunksize, method):
        _need_task(func, method)
        if chunksize is None:
            chunksize = 0
        elif not isinstance(chunksize, int) or chunksize < 1:
            raise ValueError("Chunksize must be 1+, not {0!r}".format(chunksize))
        pool = self._check_running()
        handles = []
        try:
            for args in arg_tuples:
                handles.append(func.new_handle(args))
            n = len(handles)
            tasks = (handle_t * n)(*handles)
            futures = (handle_t * n)()
            check(_pool_map_async(pool, tasks, n, chunksize, futures), "TaskPool.%s" % method)
        finally:
            for task in handles:
                Task.close_handle(task)
        return [TaskFuture(futures[i], func) for i in range(n)]

    # ---- multiprocessing.Pool's API ----------------------------------------------------

    @property
    def backend(self):
        """"local" or "mpi"."""
        return self._backend

    @property
    def processes(self):
        """The number of workers (ranks) the pool keeps."""
        out = ctypes.c_int()
        check(_pool_processes(self._live(), ctypes.byref(out)))
        return out.value

    def submit(self, task, *args):
        """Queues task(*args) and returns its TaskFuture (concurrent.futures style)."""
        return self._submit(task, args, "submit")

    def apply(self, func, args=(), kwds={}):
        """Runs func(*args) in a worker and returns its result; raises its error."""
        _no_keywords(kwds, "apply")
        return self._submit(func, args, "apply").result()

    def apply_async(self, func, args=(), kwds={}, callback=None, error_callback=None):
        """Queues func(*args); returns a TaskAsyncResult. callback(result) or
        error_callback(exception) run in the pool's result thread when it finishes."""
        _no_keywords(kwds, "apply_async")
        future = self._submit(func, args, "apply_async")
        return TaskAsyncResult([future], True, callback, error_callback)

    def map(self, func, iterable, chunksize=None):
        """[func(x) for x in iterable], run in the workers in chunks of `chunksize` tasks
        per message (None: automatic). Raises the first failed item's error."""
        return self.map_async(func, iterable, chunksize).get()

    def map_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        """map without waiting: a TaskAsyncResult whose get() is the list."""
        futures = self._map_futures(func, ((x,) for x in iterable), chunksize, "map_async")
        return TaskAsyncResult(futures, False, callback, error_callback)

    def starmap(self, func, iterable, chunksize=None):
        """[func(*args) for args in iterable] (see map)."""
        return self.starmap_async(func, iterable, chunksize).get()

    def starmap_async(self, func, iterable, chunksize=None, callback=None,
                      error_callback=None):
        """starmap without waiting: a TaskAsyncResult."""
        futures = self._map_futures(func, iterable, chunksize, "starmap_async")
        return TaskAsyncResult(futures, False, callback, error_callback)

    def imap(self, func, iterable, chunksize=1):
        """An iterator over func(x) for x in iterable, in order (all queued at once)."""
        futures = self._map_futures(func, ((x,) for x in iterable), chunksize, "imap")
        return TaskIMapIterator(futures, ordered=True)

    def imap_unordered(self, func, iterable, chunksize=1):
        """As imap, in the order the results arrive."""
        futures = self._map_futures(func, ((x,) for x in iterable), chunksize,
                                    "imap_unordered")
        return TaskIMapIterator(futures, ordered=False)

    def close(self):
        """No more tasks; the queued ones still run, then the workers exit."""
        if self._state == "RUN":
            check(_pool_shutdown(self._live()))
            self._state = "CLOSE"

    def terminate(self):
        """Kills the workers now: tasks not started are cancelled, running ones fail with
        BrokenError. Blocks until the workers are gone."""
        if self._handle is not None and self._state != "TERMINATE":
            check(_pool_terminate(self._handle))
            self._state = "TERMINATE"

    def join(self, timeout=None):
        """Waits for the workers to exit after close() or terminate() (ValueError before).
        timeout: seconds (None: no limit); mproc.TimeoutExpired when it expires."""
        if self._state == "RUN":
            raise ValueError("Pool is still running")
        check(_sliced(_pool_join, _seconds(timeout), self._live()), "TaskPool.join")

    def __enter__(self):
        self._check_running()
        return self

    def __exit__(self, *exc):
        self.terminate()

    def __reduce__(self):
        raise NotImplementedError("pool objects cannot be passed between processes or "
                                  "pickled")

    def __repr__(self):
        return "<mproc.TaskPool backend=%s state=%s>" % (self._backend, self._state)
