"""The worker side of mproc.Pool: the loop each worker process runs, the wire format of
tasks and results, and the shared array of "which task is each worker running".

Wire format (both queues carry raw bytes, put_bytes / get_bytes):
- a task:   8-byte key (job << 32 | index, little endian) + body
- a result: 8-byte key + 4-byte worker slot + body
The body is a pickle (it starts with b"\\x80") or, when it would not fit in one queue
message, b"@" + the path of a file in the pool's spill folder holding the pickle (the
reader deletes it). The key is outside the pickle so that a worker can say which task
failed even when the task itself cannot be unpickled.

A task body is pickle((kind, func, payload)); a result body is pickle((ok, value)).

Each worker has a slot in a shared int64 array saying where it is:
- 0 (IDLE): it holds no task and takes none (starting, running its initializer, exiting);
- RECEIVING (-1): it waits for a task message, or has just taken one and not yet recorded
  its key (a few bytecodes);
- a key (> 0): it runs that task, until its result is queued.
When a worker dies, the parent reads its slot: a key names the task that died with it;
RECEIVING means it may have taken a task it never recorded (see pool.py, _check_lost).

Test hook: MPROC_POOL_TEST_DIE_AFTER_GET="<n>:<path>" in the environment of the workers
makes the one worker that first creates the file <path> (O_EXCL) on taking its n-th task
message call os._exit(9) right then, before recording the key: the task is lost in that
window. Unset (the normal case), it costs nothing: the hook wraps the get function.
"""

import ctypes
import itertools
import os
import pickle
import struct
import time
import traceback
from queue import Empty as _Empty

from ._lib import declare, check, handle_t

__all__ = []

# Task kinds.
CALL1 = 0  # func(payload): imap with chunksize 1
APPLY = 1  # func(*args, **kwds), payload = (args, kwds)
MAP = 2  # [func(x) for x in payload]
STARMAP = 3  # [func(*x) for x in payload]

IDLE = 0  # slot values besides a task key (keys are job << 32 | index, job >= 1)
RECEIVING = -1
TEST_DIE_AFTER_GET = "MPROC_POOL_TEST_DIE_AFTER_GET"

TASK_HEADER = struct.Struct("<q")
RESULT_HEADER = struct.Struct("<qI")
SPILL_MARK = b"@"
_HIGHEST = pickle.HIGHEST_PROTOCOL
_POLLS = 3  # short sleeps of an idle worker before it blocks
_POLL_SLEEP = 0.0002  # seconds
_dumps = pickle.dumps
_loads = pickle.loads

# ---- the slot array (an mproc Array of 'q', raw) ------------------------------------

_array_create = declare("mproc_array_create", [
    ctypes.c_char_p, ctypes.c_char, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_int,
    ctypes.c_void_p, ctypes.POINTER(handle_t)])
_array_open = declare("mproc_array_open", [ctypes.c_char_p, ctypes.POINTER(handle_t)])
_array_close = declare("mproc_array_close", [handle_t])
_array_unlink = declare("mproc_array_unlink", [ctypes.c_char_p])
_array_data = declare("mproc_array_data", [handle_t, ctypes.POINTER(ctypes.c_void_p)])
_array_length = declare("mproc_array_length", [handle_t, ctypes.POINTER(ctypes.c_size_t)])


class Slots:
    """A named shared array of int64, one per worker: the key of the task the worker runs
    (0: none). ``Slots(n)`` creates it (and unlinks it on ``close``); ``Slots.open(name)``
    attaches. ``view`` is a ctypes array over the shared memory: plain loads and stores,
    no call into the library per task."""

    def __init__(self, length=None, name=None, _open=False):
        handle = handle_t()
        if _open:
            check(_array_open(name.encode(), ctypes.byref(handle)), "pool slots %r" % name)
        else:
            check(_array_create(name.encode(), b"q", length, None, 0, None,
                                ctypes.byref(handle)), "pool slots %r" % name)
        self.name = name
        self._owner = None if _open else os.getpid()  # the creator unlinks the name
        self._handle = handle.value
        size, data = ctypes.c_size_t(), ctypes.c_void_p()
        check(_array_length(self._handle, ctypes.byref(size)))
        check(_array_data(self._handle, ctypes.byref(data)))
        self.view = (ctypes.c_int64 * size.value).from_address(data.value)

    @classmethod
    def open(cls, name):
        """Attaches to the slot array `name` (FileNotFoundError if there is none)."""
        return cls(name=name, _open=True)

    def close(self):
        """Drops the mapping (and the name, in the creator). Idempotent."""
        if self._handle is not None:
            self.view = None
            _array_close(self._handle)
            self._handle = None
            if self._owner == os.getpid():
                _array_unlink(self.name.encode())


# ---- messages ------------------------------------------------------------------------

_spill_counter = itertools.count()


def encode_body(obj, limit, spill_dir):
    """pickle(obj), or a reference to a spill file if the pickle is longer than `limit`.
    Raises what pickle raises."""
    data = _dumps(obj, _HIGHEST)
    if len(data) <= limit:
        return data
    path = os.path.join(spill_dir, "%d-%d" % (os.getpid(), next(_spill_counter)))
    with open(path, "wb") as f:
        f.write(data)
    return SPILL_MARK + os.fsencode(path)


def decode_body(body):
    """The object a body (bytes or memoryview) holds; removes its spill file if any."""
    if body[:1] == SPILL_MARK:
        path = os.fsdecode(bytes(body[1:]))
        with open(path, "rb") as f:
            data = f.read()
        os.unlink(path)
        return _loads(data)
    return _loads(body)


def discard_body(body):
    """Removes the spill file of a body that will never be decoded."""
    if body[:1] == SPILL_MARK:
        try:
            os.unlink(os.fsdecode(bytes(body[1:])))
        except OSError:
            pass


# ---- exceptions that travel back -----------------------------------------------------

class RemoteTraceback(Exception):
    """The worker's traceback, attached as __cause__ of a task's exception."""

    def __init__(self, tb):
        self.tb = tb

    def __str__(self):
        return self.tb


def rebuild_exc(exc, tb):
    """Unpickles a task's exception with the worker's traceback as its __cause__."""
    exc.__cause__ = RemoteTraceback(tb)
    return exc


class ExceptionWithTraceback:
    """Pickles as the exception with the worker's formatted traceback as its cause, as
    CPython's multiprocessing.pool does."""

    def __init__(self, exc, tb):
        self.exc = exc
        self.tb = '\n"""\n%s"""' % "".join(traceback.format_exception(type(exc), exc, tb))

    def __reduce__(self):
        return rebuild_exc, (self.exc, self.tb)


class MaybeEncodingError(Exception):
    """A task's result (or exception) could not be pickled to send it back; as CPython's
    multiprocessing.pool.MaybeEncodingError."""

    def __init__(self, exc, value):
        self.exc = repr(exc)
        self.value = repr(value)
        super().__init__(self.exc, self.value)

    def __str__(self):
        return "Error sending result: '%s'. Reason: '%s'" % (self.value, self.exc)

    def __repr__(self):
        return "<%s: %s>" % (self.__class__.__name__, self)


# ---- the loop --------------------------------------------------------------------------

def _run(kind, func, payload):
    if kind == CALL1:
        return func(payload)
    if kind == MAP:
        return list(map(func, payload))
    if kind == STARMAP:
        return list(itertools.starmap(func, payload))
    args, kwds = payload
    return func(*args, **kwds)


def _wait_for_task(get):
    """The next task message, when there was none at once. While tasks stream in, a
    few short sleeps find the next one without the blocking get's spin in C (which would
    take the CPU from the process feeding the queue); then a blocking get."""
    for _ in range(_POLLS):
        time.sleep(_POLL_SLEEP)
        try:
            return get(False)
        except _Empty:
            pass
    return get()


def _test_die_after_get(get, spec):
    """The test hook (see the module docstring): `get`, wrapped to kill this process right
    after it returns the n-th message, if this worker wins the token file."""
    count, _, path = spec.partition(":")
    count = int(count)
    taken = 0

    def dying_get(*args):
        nonlocal taken
        data = get(*args)
        taken += 1
        if taken == count:
            try:
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                return data  # another worker died already: one death per test
            os._exit(9)
        return data
    return dying_get


def worker(inqueue, outqueue, slots_name, slot, initializer, initargs, maxtasks, spill_dir):
    """The body of a pool worker process: runs the initializer, then takes tasks from
    `inqueue` and puts their results in `outqueue` until it takes the stop message (an
    empty body) or has run `maxtasks` tasks. Blocks on the queues. Exceptions of tasks
    go back as results; a worker only dies with its process (a task that kills it, or
    terminate)."""
    slots = Slots.open(slots_name)
    view = slots.view
    if initializer is not None:
        initializer(*initargs)
    get = inqueue.get_bytes
    spec = os.environ.get(TEST_DIE_AFTER_GET)
    if spec:
        get = _test_die_after_get(get, spec)
    put = outqueue.put_bytes
    limit = outqueue.max_message_size - RESULT_HEADER.size
    unpack_key = TASK_HEADER.unpack_from
    pack = RESULT_HEADER.pack
    completed = 0
    # RECEIVING before the first get (and after each result is queued, below): a death
    # from here until the key is written may lose a task message, and the parent must
    # know it (a slot of 0 would tell it that no task can have been taken).
    view[slot] = RECEIVING
    while maxtasks is None or completed < maxtasks:
        try:
            data = get(False)
        except _Empty:
            data = _wait_for_task(get)
        if len(data) == TASK_HEADER.size:
            break  # the stop message
        key = unpack_key(data)[0]
        view[slot] = key  # from here on, a death of this process fails this task
        try:
            kind, func, payload = decode_body(memoryview(data)[TASK_HEADER.size:])
            result = (True, _run(kind, func, payload))
        except Exception as exc:
            result = (False, ExceptionWithTraceback(exc, exc.__traceback__))
        data = kind = func = payload = None  # hold no task while waiting for the next
        try:
            body = encode_body(result, limit, spill_dir)
        except Exception as exc:
            wrapped = MaybeEncodingError(exc, result[1])
            body = encode_body((False, wrapped), limit, spill_dir)
        result = None
        put(pack(key, slot) + body)
        # One store per task, no IDLE in between: the slot goes straight from the key
        # (whose result is queued) to "waiting for the next one".
        view[slot] = RECEIVING
        completed += 1
    view[slot] = IDLE  # exiting (stop message or maxtasks): no task taken
    slots.close()
