"""Pool: multiprocessing.Pool over mproc's shared-memory queues, surviving dead workers.

The API and its behaviour are multiprocessing.pool.Pool's (Python 3.11): apply,
apply_async, map, map_async, imap, imap_unordered, starmap, starmap_async, close,
terminate, join, the context manager (whose exit terminates), the same chunking, the same
AsyncResult. What differs:

- Tasks and results travel as pickles over two mproc Queues (shared memory, no pipe, no
  feeder thread); a pickle too big for one queue message (64 KiB) goes through a file in
  a private folder of /dev/shm instead.
- A worker that dies (SIGKILL, os._exit in a task, a crash in C code) does not hang the
  pool as it hangs CPython's: the task it was running fails with mproc.WorkerLostError
  (an mproc.BrokenError, naming the worker's pid and its signal or exit status), a
  replacement worker starts, and every other task completes. Each worker writes the key
  of the task it starts into its slot of a shared int64 array; the pool's result thread
  polls the workers every 50 ms and reads the slot of a dead one. A worker killed in the
  few bytecodes between taking a task message from the queue and writing its slot takes
  that task with it unrecorded (the queue cannot hand a message back): the pool then
  fails it with WorkerLostError too, once it has seen for about a second that the task
  is in no queue and no live worker runs it (see _Core._check_lost). So no call waits
  for ever because a worker died. The one cost of that rule: if, in that same second, a
  live worker stalls (descheduled) for the whole second in its own few-bytecode window,
  its task is failed with WorkerLostError although it runs; its result is then dropped
  (no result is ever completed twice).
- Idle waits: the task thread sleeps 1 ms while the task queue is full, the result
  thread sleeps 0.5 ms between empty polls while many results are due, and an idle
  worker polls 3 times 0.2 ms before blocking: mproc's blocking queue calls spin ~20 us
  in C first, and on a machine with fewer cores than workers that spinning took the CPU
  from the processes doing the work.
- ``func`` is pickled when the call is made, so a function that cannot be sent to a
  worker (a lambda, a nested function) raises pickle.PicklingError from apply_async /
  map / imap at once, whatever the start method (CPython fails later, through the result).
- ``context``: None (mproc's default start method), a start method name ("fork",
  "spawn", "forkserver"), or any object with a ``Process`` attribute (an mproc context,
  or even one of CPython's multiprocessing contexts).
- mproc.Task references (C functions) work as ``func`` under every start method.
"""

import collections
import itertools
import os
import pickle
import queue as _queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
import weakref

from . import _lib
from . import _pool_worker as _w
# AsyncResult and MaybeEncodingError: importable from here, as from multiprocessing.pool.
from ._pool_results import (ApplyResult, AsyncResult, MapResult, IMapIterator,  # noqa: F401
                            IMapUnorderedIterator)
from ._pool_worker import MaybeEncodingError  # noqa: F401
from .queues import Queue

__all__ = ["Pool", "WorkerLostError"]

INIT, RUN, CLOSE, TERMINATE = "INIT", "RUN", "CLOSE", "TERMINATE"

_POLL = 0.05  # seconds between checks of the workers' health by the result thread
_QUEUE_MAXSIZE = 1024  # messages per queue
_MESSAGE_SIZE = 64 * 1024  # bytes per queue message; bigger pickles are spilled to a file
_INDEX_MASK = 0xFFFFFFFF
_FULL_SLEEP = 0.001  # seconds the task thread sleeps while the task queue is full
_BUSY_SLEEP = 0.0005  # seconds the result thread sleeps when results stream in
_STOP = _w.TASK_HEADER.pack(0)  # a task message with no body: "exit"
_LOST_GRACE = 1.0  # seconds a task must look lost (see _check_lost) before it is failed


class WorkerLostError(_lib.BrokenError):
    """The worker process running this task died before sending its result (killed by
    a signal, os._exit, a crash in C code). ``pid`` and ``exitcode`` (negative: minus
    the signal number, as Process.exitcode) say which worker and how."""

    def __init__(self, message, pid=None, exitcode=None):
        super().__init__(_lib.EBROKEN, message)
        self.pid = pid
        self.exitcode = exitcode

    def __reduce__(self):
        return (type(self), (str(self), self.pid, self.exitcode))


def _describe_exit(exitcode):
    if exitcode is None:
        return "ended with an unknown status"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "signal %d" % -exitcode
        return "was killed by signal %d (%s)" % (-exitcode, name)
    return "exited with status %d" % exitcode


def _process_factory(context):
    """A function (target, args) -> unstarted daemon process, for the given context."""
    if context is None or isinstance(context, str):
        from . import process as _process
        if isinstance(context, str):
            get_context = getattr(_process, "get_context", None)
            if get_context is None:
                raise ValueError("mproc.Pool: start method %r: mproc.process has no "
                                 "get_context" % context)
            context = get_context(context)
        else:
            context = _process
    make = getattr(context, "Process", None)
    if make is None:
        raise TypeError("mproc.Pool: context must be None, a start method name or an object "
                        "with a Process attribute, not %r" % (context,))

    def factory(target, args):
        return make(target=target, args=args, daemon=True)
    return factory


def _spill_folder():
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    return tempfile.mkdtemp(prefix="mproc-pool-%d-" % os.getpid(), dir=base)


class Pool:
    """A pool of worker processes running Python callables, as multiprocessing.Pool.

    Pool(processes=None, initializer=None, initargs=(), maxtasksperchild=None,
    context=None). processes: number of workers (None: os.cpu_count()); initializer:
    called as initializer(*initargs) in each worker when it starts; maxtasksperchild:
    a worker exits and is replaced after that many tasks (None: never). Raises
    ValueError for processes < 1 or a bad maxtasksperchild, TypeError for an initializer
    that is not callable, and what starting a worker raises (mproc errors, OSError).

    backend: None (this pool) or "local" / "mpi": then Pool(...) returns an
    mproc.TaskPool of that backend instead (C task references run by mproc's C pool;
    "mpi": worker ranks through MPI), with the same processes, initializer (an
    mproc.Task), initargs and maxtasksperchild; context may be a start method name.
    """

    def __new__(cls, *args, backend=None, **kwargs):
        if backend is None:
            return super().__new__(cls)
        from .taskpool import TaskPool
        names = ("processes", "initializer", "initargs", "maxtasksperchild", "context")
        if len(args) > len(names):
            raise TypeError("Pool() takes at most %d positional arguments" % len(names))
        for name, value in zip(names, args):
            if name in kwargs:
                raise TypeError("Pool() got multiple values for argument %r" % name)
            kwargs[name] = value
        context = kwargs.pop("context", None)
        if context is not None and not isinstance(context, str):
            context = getattr(context, "_name", None)  # a concrete mproc context's method
        if context is not None:
            kwargs.setdefault("start_method", context)
        return TaskPool(backend=backend, **kwargs)

    def __init__(self, processes=None, initializer=None, initargs=(),
                 maxtasksperchild=None, context=None, backend=None):
        self._core = None
        if processes is None:
            processes = os.cpu_count() or 1
        if processes < 1:
            raise ValueError("Number of processes must be at least 1")
        if maxtasksperchild is not None:
            if not isinstance(maxtasksperchild, int) or maxtasksperchild <= 0:
                raise ValueError("maxtasksperchild must be a positive int or None")
        if initializer is not None and not callable(initializer):
            raise TypeError('initializer must be a callable')
        core = _Core(processes, initializer, initargs, maxtasksperchild,
                     _process_factory(context))
        core.start()
        self._core = core
        self._cache = core.cache  # what the result objects register in
        self._processes = processes
        self._checked_func = None
        # The threads reference only the core, so that an abandoned pool is collected
        # and terminated (as CPython's).
        self._finalizer = weakref.finalize(self, core.terminate)

    @property
    def _state(self):
        return self._core.state if self._core is not None else INIT

    # ---- public API --------------------------------------------------------------------

    def apply(self, func, args=(), kwds={}):
        """Calls func(*args, **kwds) in a worker and returns its result; blocks until it
        is done. Re-raises the call's exception."""
        self._check_running()
        return self.apply_async(func, args, kwds).get()

    def apply_async(self, func, args=(), kwds={}, callback=None, error_callback=None):
        """Submits func(*args, **kwds) and returns an AsyncResult at once. callback(result)
        or error_callback(exception) runs in the pool's result thread. ValueError if the
        pool is not running; pickle.PicklingError if func cannot be sent to a worker."""
        self._check_running()
        self._check_func(func)
        result = ApplyResult(self, callback, error_callback)
        self._core.taskqueue.put(
            (((result._job << 32, _w.APPLY, func, (args, kwds)),), None))
        return result

    def map(self, func, iterable, chunksize=None):
        """[func(x) for x in iterable] computed by the workers, in order; blocks until
        all are done. The iterable is split in chunks (default: about 4 per worker).
        Re-raises the first exception of a call."""
        return self._map_async(func, iterable, _w.MAP, chunksize).get()

    def starmap(self, func, iterable, chunksize=None):
        """As map, but calls func(*args) for each args of iterable."""
        return self._map_async(func, iterable, _w.STARMAP, chunksize).get()

    def map_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        """The asynchronous map: returns an AsyncResult whose get() is the list."""
        return self._map_async(func, iterable, _w.MAP, chunksize, callback, error_callback)

    def starmap_async(self, func, iterable, chunksize=None, callback=None,
                      error_callback=None):
        """The asynchronous starmap: returns an AsyncResult whose get() is the list."""
        return self._map_async(func, iterable, _w.STARMAP, chunksize, callback,
                               error_callback)

    def imap(self, func, iterable, chunksize=1):
        """A lazy map: an iterator over func(x) in order, each result as soon as it (and
        those before it) is ready. Its next(timeout) raises multiprocessing.TimeoutError.
        The iterable is consumed by a thread of the pool, chunksize items at a time."""
        return self._imap(IMapIterator, func, iterable, chunksize)

    def imap_unordered(self, func, iterable, chunksize=1):
        """As imap, but results come in the order they complete."""
        return self._imap(IMapUnorderedIterator, func, iterable, chunksize)

    def close(self):
        """Accepts no more tasks; the workers exit once the submitted tasks are done.
        Never blocks."""
        self._core.close()

    def terminate(self):
        """Stops the workers at once (SIGTERM), without waiting for pending tasks (whose
        results are never set, as CPython), and waits for them to end."""
        self._finalizer()

    def join(self):
        """Waits for the workers to exit; call close() or terminate() first (ValueError
        otherwise)."""
        state = self._state
        if state == RUN:
            raise ValueError("Pool is still running")
        elif state not in (CLOSE, TERMINATE):
            raise ValueError("In unknown state")
        self._core.join()

    def __enter__(self):
        self._check_running()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.terminate()

    def __reduce__(self):
        raise NotImplementedError(
            'pool objects cannot be passed between processes or pickled')

    def __repr__(self):
        cls = self.__class__
        return "<%s.%s state=%s pool_size=%d>" % (
            cls.__module__, cls.__qualname__, self._state,
            self._processes if self._core is not None else 0)

    def __del__(self, _warn=warnings.warn, RUN=RUN):
        if getattr(self, "_core", None) is not None and self._core.state == RUN:
            _warn(f"unclosed running multiprocessing pool {self!r}", ResourceWarning,
                  source=self)

    @property
    def worker_pids(self):
        """mproc extension: the pids of the live workers now (a snapshot)."""
        return [w.pid for w in list(self._core.workers) if w is not None and w.pid]

    # ---- submitting --------------------------------------------------------------------

    def _check_running(self):
        if self._state != RUN:
            raise ValueError("Pool not running")

    def _check_func(self, func):
        """Pickles func once now, so that an unpicklable one fails at the call."""
        if func is self._checked_func:
            return
        try:
            pickle.dumps(func, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise pickle.PicklingError(
                "mproc.Pool: cannot send %r to the worker processes: it cannot be pickled "
                "(%s: %s). Tasks are pickled, under every start method: use a function "
                "defined at module level (or an mproc.Task)"
                % (func, type(exc).__name__, exc)) from exc
        self._checked_func = func

    def _map_async(self, func, iterable, kind, chunksize=None, callback=None,
                   error_callback=None):
        self._check_running()
        self._check_func(func)
        if not hasattr(iterable, '__len__'):
            iterable = list(iterable)
        if chunksize is None:
            chunksize, extra = divmod(len(iterable), self._processes * 4)
            if extra:
                chunksize += 1
        if len(iterable) == 0:
            chunksize = 0
        result = MapResult(self, chunksize, len(iterable), callback,
                           error_callback=error_callback)
        if chunksize > 0:
            self._core.taskqueue.put(
                (_chunk_tasks(result._job, kind, func, iterable, chunksize), None))
        return result

    def _imap(self, cls, func, iterable, chunksize):
        self._check_running()
        if chunksize != 1 and chunksize < 1:
            raise ValueError("Chunksize must be 1+, not {0!r}".format(chunksize))
        self._check_func(func)
        result = cls(self)
        if chunksize == 1:
            tasks = _single_tasks(result._job, func, iterable)
        else:
            tasks = _chunk_tasks(result._job, _w.MAP, func, iterable, chunksize)
        self._core.taskqueue.put((tasks, result._set_length))
        if chunksize == 1:
            return result
        return (item for chunk in result for item in chunk)


class _Core:
    """The state and threads of a Pool (everything but the public object).

    Two threads: the task thread pickles submitted tasks into the task queue; the result
    thread starts the workers, takes results, watches the workers and stops them."""

    def __init__(self, processes, initializer, initargs, maxtasksperchild, new_process):
        self.state = INIT
        self.pid = os.getpid()
        self.processes = processes
        self.initializer = initializer
        self.initargs = initargs
        self.maxtasksperchild = maxtasksperchild
        self.new_process = new_process
        self.cache = {}
        self.taskqueue = _queue.SimpleQueue()
        self.pending_failures = collections.deque()  # (key, exception) to set
        self.workers = [None] * processes
        # The keys of the tasks put in the task queue (added by the task thread before the
        # put) whose result or failure has not been set yet (removed by the result
        # thread): a result or failure for a key not in it is dropped, so no task is ever
        # completed twice, and a task lost with a worker is found here (_check_lost).
        self.outstanding = set()
        # The key the task thread is putting (added to outstanding, maybe not yet in the
        # queue), else None. See _check_lost.
        self.putting = None
        # (pid, exitcode) of a worker that died with its slot RECEIVING: it may have
        # taken a task message it never recorded. None: no possible loss.
        self.possible_loss = None
        self.lost_watch = None  # what _check_lost saw first: (time, sent, received, keys)
        # Task messages put (by the task thread) and results taken or failed (by the
        # result thread): their difference tells whether results stream in.
        self.sent = self.received = 0
        self.supervisor = None
        self.task_handler = None
        self.inqueue = self.outqueue = self.slots = None
        self.startup = threading.Event()
        self.startup_error = None
        self.lock = threading.Lock()  # serialises terminate / join / release
        self.released = False
        self.spill_dir = _spill_folder()

    def start(self):
        try:
            self.inqueue = Queue(_QUEUE_MAXSIZE, max_message_size=_MESSAGE_SIZE)
            self.outqueue = Queue(_QUEUE_MAXSIZE, max_message_size=_MESSAGE_SIZE)
            self.slots = _w.Slots(self.processes, name=_auto_name())
            # The result thread starts the workers: a daemon child is killed when the
            # thread that started it ends, and this thread lives as long as the pool.
            self.supervisor = threading.Thread(target=self._supervise, daemon=True,
                                               name="mproc.Pool results")
            self.supervisor.start()
            self.startup.wait()
            if self.startup_error is not None:
                raise self.startup_error
            self.task_handler = threading.Thread(target=self._handle_tasks, daemon=True,
                                                 name="mproc.Pool tasks")
            self.task_handler.start()
        except BaseException:
            self.state = TERMINATE
            self.join()
            raise
        self.state = RUN

    def close(self):
        if self.state == RUN:
            self.state = CLOSE
            self.taskqueue.put(None)

    def terminate(self):
        """Terminates the workers and waits for them and the threads. Idempotent. A
        no-op in a forked child of the pool's process (its exit runs the finalizers too):
        the pool, its names and its spill folder are the parent's."""
        if os.getpid() != self.pid:
            return
        self.state = TERMINATE
        self.taskqueue.put(None)
        self.join()

    def join(self):
        current = threading.current_thread()
        for thread in (self.task_handler, self.supervisor):
            if thread is not None and thread is not current:
                while thread.is_alive():
                    thread.join(0.25)  # in slices: Ctrl-C gets through
        if current is not self.supervisor and current is not self.task_handler:
            self.release()

    def release(self):
        """Frees the queues, the slot array and the spill folder. Idempotent."""
        with self.lock:
            if self.released or os.getpid() != self.pid:
                return
            self.released = True
        for obj in (self.inqueue, self.outqueue, self.slots):
            if obj is not None:
                obj.close()
        shutil.rmtree(self.spill_dir, ignore_errors=True)

    # ---- the task thread ----------------------------------------------------------------

    def _handle_tasks(self):
        """The task thread: pickles the submitted tasks and puts them in the task queue,
        in order, until close or terminate."""
        while True:
            item = self.taskqueue.get()
            if item is None or self.state == TERMINATE:
                break
            try:
                if not self._send_tasks(*item):
                    break
            except Exception:
                # A bug of ours: say so, and keep serving the other jobs.
                print("mproc.Pool: error in the task thread:", file=sys.stderr)
                traceback.print_exc()

    def _send_tasks(self, tasks, set_length):
        """Puts the tasks of one job; False if the pool was terminated meanwhile."""
        put = self.inqueue.put_bytes
        limit = _MESSAGE_SIZE - _w.TASK_HEADER.size
        pack = _w.TASK_HEADER.pack
        encode = _w.encode_body
        spill_dir = self.spill_dir
        failures = self.pending_failures
        outstanding = self.outstanding
        key = None
        for key, kind, func, payload in tasks:
            if kind is None:  # the iterable raised: payload is the exception
                failures.append((key, payload))
                continue
            try:
                data = pack(key) + encode((kind, func, payload), limit, spill_dir)
            except Exception as exc:
                failures.append((key, exc))
                continue
            # `putting` first, then outstanding, then the put: the order _check_lost needs.
            self.putting = key
            outstanding.add(key)
            try:
                put(data, False)
            except _queue.Full:
                # The queue holds _QUEUE_MAXSIZE tasks, the workers need a while to empty
                # it: sleeping here, rather than in a blocking put (which first spins in
                # C), leaves the CPU to the workers.
                while True:
                    time.sleep(_FULL_SLEEP)
                    if self.state == TERMINATE:
                        _w.discard_body(memoryview(data)[_w.TASK_HEADER.size:])
                        self.putting = None
                        return False
                    try:
                        put(data, False)
                        break
                    except _queue.Full:
                        pass
            self.putting = None
            self.sent += 1
        if set_length is not None:
            set_length(0 if key is None else (key & _INDEX_MASK) + 1)
        return True

    # ---- the result thread ---------------------------------------------------------------

    def _supervise(self):
        """The result thread: starts the workers, takes results, watches the workers
        (replacing dead and retired ones, failing the task a dead one was running) and,
        once the pool is closed and idle or terminated, stops them."""
        try:
            for i in range(self.processes):
                self._start_worker(i)
        except BaseException as exc:
            self.startup_error = exc
            self._stop_workers(terminate=True)
            self.startup.set()
            return
        self.startup.set()
        get = self.outqueue.get_bytes
        handle = self._handle_result
        pending = self.pending_failures
        monotonic = time.monotonic
        next_check = monotonic() + _POLL
        backlog = max(64, 8 * self.processes)  # tasks out: results will stream in
        sleep = time.sleep
        while True:
            try:
                if self.sent - self.received > backlog:
                    # Results stream in: take them without waiting in C (which spins
                    # before it sleeps, taking CPU from the workers); when there is
                    # none yet, a short sleep lets a few accumulate.
                    try:
                        handle(get(False))
                    except _queue.Empty:
                        sleep(_BUSY_SLEEP)
                else:
                    handle(get(True, _POLL))
            except _queue.Empty:
                pass
            while pending:
                key, exc = pending.popleft()
                self._set(key, (False, exc))
            if monotonic() >= next_check:
                if self.state == TERMINATE:
                    break
                try:
                    self._check_workers()
                except Exception:
                    print("mproc.Pool: error in the result thread:", file=sys.stderr)
                    traceback.print_exc()
                if self.state == CLOSE and not self.cache and not pending and \
                        not self.task_handler.is_alive():
                    break
                next_check = monotonic() + _POLL
        self._stop_workers(terminate=self.state == TERMINATE)

    def _handle_result(self, data):
        key, slot = _w.RESULT_HEADER.unpack_from(data)
        try:
            obj = _w.decode_body(memoryview(data)[_w.RESULT_HEADER.size:])
        except Exception as exc:
            obj = (False, _w.MaybeEncodingError(exc, "<the result could not be unpickled>"))
        self.received += 1
        self._finish(key, obj)

    def _finish(self, key, obj):
        """Sets the result of a task that was put in the task queue, unless it was already
        set (a result arriving after its task was declared lost): dropped then."""
        try:
            self.outstanding.remove(key)
        except KeyError:
            return
        self._set(key, obj)

    def _set(self, key, obj):
        result = self.cache.get(key >> 32)
        if result is None:
            return
        try:
            result._set(key & _INDEX_MASK, obj)
        except Exception:
            # A callback raised: report it, and still complete the result and keep the
            # pool working (CPython's result thread dies there and the pool hangs).
            print("mproc.Pool: exception in a callback:", file=sys.stderr)
            traceback.print_exc()
            event = getattr(result, "_event", None)
            if event is not None and not event.is_set() and \
                    getattr(result, "_number_left", 0) == 0:
                self.cache.pop(key >> 32, None)
                result._pool = None
                event.set()

    def _start_worker(self, i):
        process = self.new_process(_w.worker, (
            self.inqueue, self.outqueue, self.slots.name, i, self.initializer,
            self.initargs, self.maxtasksperchild, self.spill_dir))
        process.start()
        self.workers[i] = process

    def _check_workers(self):
        workers = self.workers
        dead = [i for i, w in enumerate(workers) if w is not None and not w.is_alive()]
        if dead:
            self._bury(dead)
        if None in workers and self._wants_workers():
            self._refill()
        if self.possible_loss is not None:
            self._check_lost()

    def _bury(self, dead):
        """Fails the task each dead worker was running, if any, and forgets the workers."""
        # A dead worker's results are all in the queue (or lost with it): take them all
        # before deciding that its task died with it.
        get = self.outqueue.get_bytes
        while True:
            try:
                self._handle_result(get(False))
            except _queue.Empty:
                break
        view = self.slots.view
        failures = []
        for i in dead:
            process = self.workers[i]
            key = view[i]
            process.join(1.0)
            if key > 0:
                # Its result, if it was queued, was taken above: _finish drops the
                # failure then (the key is no longer outstanding).
                failures.append((key, process.pid, process.exitcode))
            elif key == _w.RECEIVING:
                self.possible_loss = (process.pid, process.exitcode)
            view[i] = _w.IDLE  # the replacement writes RECEIVING when it is ready
            _close_process(process)
            self.workers[i] = None
        # Replace the workers first, so that the error's message is true when it is seen.
        if self._wants_workers():
            self._refill()
        for key, pid, exitcode in failures:
            self.received += 1
            self._finish(key, (False, WorkerLostError(
                "mproc.Pool: worker process %s %s while running this task; a replacement "
                "worker was started" % (pid, _describe_exit(exitcode)), pid, exitcode)))

    def _check_lost(self):
        """After a worker died while taking a task (possible_loss), fails the tasks it may
        have taken with it: every outstanding task that, for _LOST_GRACE seconds (and at
        least two checks), was in neither queue nor any worker's slot, with no task put
        and no result taken meanwhile.

        Why such a task is lost. Each check reads, in this order: (1) the outstanding
        keys, (2) `putting`, (3) the task queue's and (4) the result queue's sizes, (5) the
        slots. A key read in (1) was added by the task thread after it set `putting` to
        it; if (2) reads None, the put of that key completed before (2) (it is cleared
        only after the put). With the task queue empty at (3) the message was taken by
        a worker; the worker writes the key in its slot before anything else and keeps
        it there until its result is queued, so at (5) the key is in a slot, or the
        result is in the result queue (seen at (4), or queued between (4) and (5): this
        thread takes it before the next check, `received` changes and the watch
        restarts), or the worker is dead
        (a dead worker's key was failed by _bury; a RECEIVING one is the loss we look
        for), or it is a live worker between its get and its slot write. That last
        window is a few bytecodes: the grace period makes it need a stall of a whole
        second, while no results come. If that happens anyway, the task is failed with
        WorkerLostError and its later result is dropped: no hang, no double completion.
        Called by the result thread only."""
        keys = set(self.outstanding)  # (1)
        if not keys:
            # Nothing outstanding: whatever the dead worker held, nothing waits for it.
            self.possible_loss = self.lost_watch = None
            return
        view = self.slots.view
        if self.putting is not None or self.inqueue.qsize() != 0 or \
                self.outqueue.qsize() != 0 or any(v > 0 for v in view):  # (2)-(5)
            self.lost_watch = None
            return
        now = time.monotonic()
        watch = self.lost_watch
        if watch is None or watch[1] != self.sent or watch[2] != self.received:
            self.lost_watch = (now, self.sent, self.received, keys)
            return
        if now - watch[0] < _LOST_GRACE:
            return
        pid, exitcode = self.possible_loss
        self.possible_loss = self.lost_watch = None
        for key in sorted(keys & watch[3]):
            self.received += 1
            self._finish(key, (False, WorkerLostError(
                "mproc.Pool: a worker process (pid %s) died while taking a task from the "
                "queue: it %s before it could record which task it took, and this task, "
                "in no queue and run by no other worker, was lost with it; a replacement "
                "worker was started" % (pid, _describe_exit(exitcode)), pid, exitcode)))

    def _wants_workers(self):
        return self.state == RUN or (self.state == CLOSE and bool(self.cache))

    def _refill(self):
        for i, w in enumerate(self.workers):
            if w is None:
                try:
                    self._start_worker(i)
                except Exception:
                    # Retried at the next check; say why.
                    print("mproc.Pool: cannot start a replacement worker:", file=sys.stderr)
                    traceback.print_exc()
                    return

    def _stop_workers(self, terminate):
        """Ends every worker: SIGTERM if terminating, else a stop message each (the
        results of tasks still running are taken and dropped meanwhile)."""
        workers = [w for w in self.workers if w is not None]
        if terminate:
            for w in workers:
                try:
                    w.terminate()
                except Exception:
                    pass
        else:
            # One stop message per live worker, counted first: any worker takes any
            # message, so asking each worker in turn whether it still runs would skip
            # one that took the stop meant for another and leave one waiting for ever.
            for _ in [w for w in workers if w.is_alive()]:
                while True:
                    try:
                        self.inqueue.put_bytes(_STOP, True, 0.1)
                        break
                    except _queue.Full:
                        self._drain()
        deadline = time.monotonic() + 10.0
        for w in workers:
            while w.is_alive():
                self._drain()
                if time.monotonic() > deadline:
                    w.kill()
                w.join(0.05)
            _close_process(w)
        self.workers[:] = [None] * len(self.workers)

    def _drain(self):
        try:
            while True:
                data = self.outqueue.get_bytes(False)
                _w.discard_body(memoryview(data)[_w.RESULT_HEADER.size:])
        except _queue.Empty:
            pass


def _close_process(process):
    close = getattr(process, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            pass


def _auto_name():
    from ._base import auto_name
    return auto_name("mp-pool")


def _chunk_tasks(job, kind, func, iterable, chunksize):
    """(key, kind, func, chunk) for each chunk of the iterable; if iterating raises, a
    last (key, None, None, exception) so that the job fails at that position."""
    base = job << 32
    it = iter(iterable)
    i = -1
    try:
        for i in itertools.count():
            chunk = tuple(itertools.islice(it, chunksize))
            if not chunk:
                return
            yield base + i, kind, func, chunk
    except Exception as exc:
        yield base + i, None, None, exc


def _single_tasks(job, func, iterable):
    """(key, CALL1, func, x) for each item; as _chunk_tasks if iterating raises."""
    base = job << 32
    i = -1
    try:
        for i, x in enumerate(iterable):
            yield base + i, _w.CALL1, func, x
    except Exception as exc:
        yield base + i + 1, None, None, exc
