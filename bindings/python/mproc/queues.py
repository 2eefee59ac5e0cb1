"""Queue, SimpleQueue and JoinableQueue: multiprocessing's queues in shared memory.

An mproc queue is the C library's bounded multi-producer / multi-consumer queue of byte
messages (include/mproc/mproc.h, "Queue, SimpleQueue, JoinableQueue"). ``put`` pickles
the object and copies the bytes into a slot of the shared segment, ``get`` copies them out
and unpickles them; there is no feeder thread and no pipe. Any process in any language
can open the queue by name; ``put_bytes`` / ``get_bytes`` move raw bytes unchanged, which
is how Python talks to C and C++ producers and consumers.

Differences from multiprocessing (documented in bindings/python/README.md):
- The queue is bounded. ``maxsize=0`` (CPython: unbounded) means DEFAULT_MAXSIZE (8192)
  messages; ``put`` then blocks (or raises queue.Full) while the queue is full.
- Each message is at most ``max_message_size`` bytes once pickled (DEFAULT_MAX_MESSAGE_SIZE,
  64 KiB); a bigger one raises mproc.TooBigError (a ValueError). The segment reserves
  maxsize * max_message_size bytes of address space in /dev/shm (512 MiB for the
  defaults) but pages are only backed by memory once a message is written to them.
- ``put`` is synchronous: when it returns the message is in the queue (CPython hands it
  to a feeder thread), so ``close``/``join_thread``/``cancel_join_thread`` have nothing
  to flush: close releases this process's handle, the other two exist for compatibility.
- A queue can be pickled at any time (by name), not only while spawning a process.
"""

import ctypes
import pickle
import queue as _queue
import threading
from time import monotonic as _monotonic

from . import _lib
from ._lib import declare, handle_t, error_for
from ._base import (SharedObject, make_options, encode_name, unlink_fn_for, close_fn_for,
                    open_fn_for)

__all__ = ["Queue", "SimpleQueue", "JoinableQueue", "NotAPickleError",
           "DEFAULT_MAXSIZE", "DEFAULT_MAX_MESSAGE_SIZE"]

DEFAULT_MAXSIZE = 8192  # messages, when maxsize <= 0
DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024  # bytes per message
MAX_SIZE = 1 << 20  # MPROC_QUEUE_MAX_SIZE
MAX_MESSAGE = 1 << 30  # MPROC_QUEUE_MAX_MESSAGE

PLAIN, SIMPLE, JOINABLE = 0, 1, 2  # MPROC_QUEUE_* flavours

# Longest a blocking call without timeout waits inside C before coming back to Python so
# that Ctrl-C (KeyboardInterrupt) is seen. A get/put/join that times out changes nothing,
# so waiting in slices is exactly the same as waiting once.
_SLICE = 0.25

# The largest per-thread receive buffer (a queue of 1 GiB messages must not cost every
# consumer thread 1 GiB of memory).
_RECV_BUFFER_MAX = 1 << 20

_size_p = ctypes.POINTER(ctypes.c_size_t)
_create_args = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p,
                ctypes.POINTER(handle_t)]
_creators = {
    PLAIN: declare("mproc_queue_create", _create_args),
    SIMPLE: declare("mproc_simple_queue_create", _create_args),
    JOINABLE: declare("mproc_joinable_queue_create", _create_args),
}

# The hot path (put/get) calls these two without argtypes, passing ready-made ctypes
# objects of exactly the prototype's types (c_void_p handle, c_size_t sizes, c_double
# timeout, a bytes or c_char array for the data): that skips ctypes' per-argument
# conversion and halves the cost of a call. They are fresh function objects (lib[...])
# so the declared prototype of lib.mproc_queue_put that others may use is untouched.
_put = _lib.lib["mproc_queue_put"]
_put.restype = ctypes.c_int
_get = _lib.lib["mproc_queue_get"]
_get.restype = ctypes.c_int
# The same two, GIL held, for the first try of every put/get (timeout 0: never waits):
# releasing and re-taking the GIL costs as much as the call itself. Only a call that must
# wait goes through _put/_get, which release the GIL.
_try_put = _lib.pylib["mproc_queue_put"]
_try_put.restype = ctypes.c_int
_try_get = _lib.pylib["mproc_queue_get"]
_try_get.restype = ctypes.c_int
_NOWAIT = ctypes.c_double(0.0)
_SLICE_C = ctypes.c_double(_SLICE)
_size_t = ctypes.c_size_t
# Ready-made c_size_t lengths of small messages: building one per put costs a fifth of
# the call (the C side only reads the value, so one object serves every caller).
_SIZE_CACHE = 1024
_sizes = [_size_t(n) for n in range(_SIZE_CACHE)]
_double = ctypes.c_double
_flavor = declare("mproc_queue_flavor", [handle_t, ctypes.POINTER(ctypes.c_int)])
_qsize = declare("mproc_queue_qsize", [handle_t, _size_p])
_empty = declare("mproc_queue_empty", [handle_t, ctypes.POINTER(ctypes.c_int)])
_full = declare("mproc_queue_full", [handle_t, ctypes.POINTER(ctypes.c_int)])
_maxsize = declare("mproc_queue_maxsize", [handle_t, _size_p, _size_p])
_task_done = declare("mproc_queue_task_done", [handle_t])
_join = declare("mproc_queue_join", [handle_t, ctypes.c_double])
_open = open_fn_for("queue")

_dumps = pickle.dumps
_loads = pickle.loads
_HIGHEST = pickle.HIGHEST_PROTOCOL
_OK, _EFULL, _EEMPTY, _ETOOBIG, _ETIMEDOUT = (
    _lib.OK, _lib.EFULL, _lib.EEMPTY, _lib.ETOOBIG, _lib.ETIMEDOUT)


class NotAPickleError(pickle.UnpicklingError):
    """get() took a message that is not a pickle (protocol 2 or later), for example one
    that a C or C++ program put. The message is not lost: it is in ``data`` (bytes).
    Read such messages with get_bytes()."""

    def __init__(self, message, data):
        super().__init__(message)
        self.data = data


class _Receiver(threading.local):
    """Per-thread receive state of one queue: a buffer of max_message_size bytes (at most
    _RECV_BUFFER_MAX; bigger messages get a buffer of their own) reused by every get, so
    that a get allocates nothing but its result, and the size_t the C call writes."""

    def __init__(self, capacity):
        self.buf = ctypes.create_string_buffer(max(min(capacity, _RECV_BUFFER_MAX), 1))
        self.cap = ctypes.c_size_t(len(self.buf))
        self.size = ctypes.c_size_t()
        self.size_ref = ctypes.byref(self.size)
        # What a get needs, in one attribute: each attribute of a threading.local costs
        # a lookup in the thread's own dictionary.
        self.hot = (self.buf, self.cap, self.size_ref, self.size)


def _check_size(value, what, limit):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int, not %s" % (what, type(value).__name__))
    if value > limit:
        raise ValueError("%s must be at most %d, got %d" % (what, limit, value))
    return value


def _as_bytes(data):
    """Bytes-like `data` as something ctypes passes as const void * (bytes as is)."""
    if type(data) is bytes:
        return data
    try:
        with memoryview(data) as view:
            return view.tobytes()
    except TypeError:
        raise TypeError("a bytes-like object is required, not %s"
                        % type(data).__name__) from None


class _QueueBase(SharedObject):
    """What the three flavours share: creation, attaching, byte and pickled messages."""

    _close_fn = close_fn_for("queue")
    _unlink_fn = unlink_fn_for("queue")
    _open_fn = _open
    _flavour = PLAIN

    def _create(self, maxsize, max_message_size, name, open_existing, mode):
        maxsize = _check_size(maxsize, "maxsize", MAX_SIZE)
        if maxsize <= 0:
            maxsize = DEFAULT_MAXSIZE
        max_message_size = _check_size(max_message_size, "max_message_size", MAX_MESSAGE)
        if max_message_size <= 0:
            raise ValueError("max_message_size must be positive, got %d" % max_message_size)
        name, owns = self._new_name(name)
        opts = make_options(open_existing, mode)
        handle = handle_t()
        code = _creators[self._flavour](
            encode_name(name), maxsize, max_message_size,
            ctypes.byref(opts) if opts is not None else None, ctypes.byref(handle))
        if code:
            raise error_for(code, "%s(name=%r)" % (type(self).__name__, name))
        self._adopt(handle.value, name, owns)
        self._opened()
        if open_existing:
            self._check_flavour(type(self))

    def _opened(self):
        maxsize, msg = ctypes.c_size_t(), ctypes.c_size_t()
        _lib.check(_maxsize(self._handle, ctypes.byref(maxsize), ctypes.byref(msg)))
        self._maxsize = maxsize.value
        self._max_message_size = msg.value
        self._rx = _Receiver(msg.value)
        self._hv = ctypes.c_void_p(self._handle)  # read-only, shared by all threads

    def _check_flavour(self, cls):
        if cls is JoinableQueue and self._flavour_of() != JOINABLE:
            self.close()
            raise _lib.KindError(_lib.EKIND, "%r is not a JoinableQueue" % (self._name,))

    def _flavour_of(self):
        flavour = ctypes.c_int()
        _lib.check(_flavor(self._h(), ctypes.byref(flavour)))
        return flavour.value

    @classmethod
    def open(cls, name):
        """Attaches to the existing queue `name`, made by any process in any language, and
        returns a Queue, SimpleQueue or JoinableQueue after the flavour it was created as
        (JoinableQueue.open insists on a JoinableQueue: mproc.KindError otherwise).
        Raises FileNotFoundError (mproc.NotFoundError) if there is no such name, TypeError
        (mproc.KindError) if the name holds another kind of object. Never blocks."""
        handle = handle_t()
        _lib.check(_open(encode_name(name), ctypes.byref(handle)),
                   "%s.open(%r)" % (cls.__name__, name))
        flavour = ctypes.c_int()
        code = _flavor(handle.value, ctypes.byref(flavour))
        if code:
            exc = error_for(code, "%s.open(%r)" % (cls.__name__, name))
            _QueueBase._close_fn(handle.value)
            raise exc
        klass = {PLAIN: Queue, SIMPLE: SimpleQueue, JOINABLE: JoinableQueue}.get(
            flavour.value, Queue)
        obj = klass.__new__(klass)
        obj._adopt(handle.value, name, owns_name=False)
        obj._opened()
        obj._check_flavour(cls)
        return obj

    # ---- raw bytes ----

    def put_bytes(self, data, block=True, timeout=None):
        """Puts the bytes-like `data` as one message, unchanged (C and C++ programs read
        it with mproc_queue_get). Blocks while the queue is full: forever if block is true
        and timeout None, up to `timeout` seconds, or not at all if block is false.
        Raises queue.Full if still full, mproc.TooBigError (a ValueError) if `data` is
        longer than max_message_size, ValueError if the queue is closed."""
        if type(data) is not bytes:
            data = _as_bytes(data)
        # The common case inline: an open queue, a small message, room at once.
        handle = self._hv
        n = len(data)
        if handle is not None and n < _SIZE_CACHE and not _try_put(handle, data, _sizes[n],
                                                                   _NOWAIT):
            return
        self._put_raw(data, block, timeout)

    def _put_raw(self, data, block, timeout):
        handle = self._hv
        if handle is None:
            self._h()
        n = len(data)
        size = _sizes[n] if n < _SIZE_CACHE else _size_t(n)
        code = _try_put(handle, data, size, _NOWAIT)
        if code == _EFULL and block:
            if timeout is None:
                code = _put(handle, data, size, _SLICE_C)
                while code == _EFULL:  # sliced so that Ctrl-C gets through
                    self._h()
                    code = _put(handle, data, size, _SLICE_C)
            else:
                code = _put(handle, data, size, _double(_lib.to_timeout(True, timeout)))
        if code:
            self._put_failed(code, len(data))

    def _put_failed(self, code, size):
        if code == _EFULL:
            raise _queue.Full
        if code == _ETOOBIG:
            raise _lib.TooBigError(code, (
                "message of %d bytes is over max_message_size (%d bytes) of queue %r: "
                "create the queue with a larger max_message_size=..."
                % (size, self._max_message_size, self._name)))
        raise error_for(code, "%s.put" % type(self).__name__)

    def get_bytes(self, block=True, timeout=None):
        """Removes the oldest message and returns it as bytes, unchanged (whatever put or
        put_bytes, or a C/C++ program, put there). Blocks while the queue is empty:
        forever if block is true and timeout None, up to `timeout` seconds, or not at all
        if block is false. Raises queue.Empty if still empty, ValueError if closed."""
        handle = self._hv
        if handle is None:
            self._h()
        buf, cap, size_ref, size = self._rx.hot
        code = _try_get(handle, buf, cap, size_ref, _NOWAIT)
        if code:
            return self._get_slow(code, block, timeout)
        # Slicing the c_char array copies just the message into a bytes object (cheaper
        # than ctypes.string_at, and unlike buf.raw not the whole buffer).
        return buf[:size.value]

    def _get_slow(self, code, block, timeout):
        """get_bytes after a first try that failed with `code`: wait (in slices when
        there is no timeout, so that Ctrl-C gets through) and take messages bigger than
        the per-thread buffer into a buffer of their own (the C call leaves such a
        message in the queue and says its size)."""
        rx, handle = self._rx, self._hv
        buf, cap = rx.buf, rx.cap
        deadline = None
        if block and timeout is not None:
            deadline = _monotonic() + _lib.to_timeout(True, timeout)
        while True:
            if code == _ETOOBIG:
                buf = ctypes.create_string_buffer(max(rx.size.value, 1))
                cap = _size_t(len(buf))
                code = _try_get(handle, buf, cap, rx.size_ref, _NOWAIT)
                continue  # taken, or another consumer took it first: wait again
            if code != _EEMPTY or not block:
                break
            if deadline is None:
                wait = _SLICE_C
            else:
                remaining = deadline - _monotonic()
                if remaining <= 0:
                    break
                wait = _double(remaining)
            self._h()  # closed by another thread meanwhile: ValueError
            code = _get(handle, buf, cap, rx.size_ref, wait)
        if code == _EEMPTY:
            raise _queue.Empty
        if code:
            raise error_for(code, "%s.get" % type(self).__name__)
        return buf[:rx.size.value]

    # ---- pickled objects ----

    def _put_obj(self, obj, block, timeout):
        if self._hv is None:
            self._h()  # CPython checks closed before pickling
        self.put_bytes(_dumps(obj, _HIGHEST), block, timeout)

    def _get_obj(self, block, timeout):
        data = self.get_bytes(block, timeout)
        if data[:1] != b"\x80":
            raise NotAPickleError(
                "the message taken from queue %r (%d bytes) is not a pickle (it was put as "
                "raw bytes, for example by a C or C++ program): it is in this exception's "
                ".data; read such messages with get_bytes()" % (self._name, len(data)), data)
        try:
            return _loads(data)
        except Exception as exc:
            # Never lose the message silently: keep it on the exception.
            exc.data = data
            exc.add_note("mproc: the raw message (%d bytes) taken from queue %r is in this "
                         "exception's .data" % (len(data), self._name))
            raise

    # ---- snapshots and life cycle ----

    _hv = None  # the handle as a c_void_p for the hot path; None once closed

    def close(self):
        """Releases this process's handle: calls blocked on it (other threads) fail with
        ValueError, later calls raise ValueError. The queue and its messages live on for
        the other processes (an automatic name is unlinked: see SharedObject). Idempotent.
        """
        self._hv = None
        super().close()

    def _snapshot(self, fn, ctype):
        value = ctype()
        _lib.check(fn(self._h(), ctypes.byref(value)))
        return value.value

    def empty(self):
        """True if the queue holds no message now (a snapshot). Never blocks."""
        return bool(self._snapshot(_empty, ctypes.c_int))

    @property
    def maxsize(self):
        """How many messages the queue holds (DEFAULT_MAXSIZE for maxsize=0)."""
        return self._maxsize

    @property
    def max_message_size(self):
        """The largest message in bytes (a pickled object included)."""
        return self._max_message_size


class Queue(_QueueBase):
    """multiprocessing.Queue in shared memory, shared by name with other languages.

    Queue(maxsize=0, *, max_message_size=65536, name=None, open_existing=False, mode=None)
    holds up to `maxsize` messages (0: DEFAULT_MAXSIZE = 8192; put blocks when full,
    unlike CPython's unbounded queue) of up to `max_message_size` bytes once pickled.
    name: a name other processes (any language) open with Queue.open(name); it lives until
    unlinked. No name: an automatic one, unlinked when this process closes the queue.
    open_existing: open `name` if it exists. mode: permission bits (default 0600).
    """

    _flavour = PLAIN

    def __init__(self, maxsize=0, *, max_message_size=DEFAULT_MAX_MESSAGE_SIZE, name=None,
                 open_existing=False, mode=None):
        self._create(maxsize, max_message_size, name, open_existing, mode)

    def put(self, obj, block=True, timeout=None):
        """Pickles `obj` (highest protocol) and puts it. Blocks while the queue is full:
        forever if block is true and timeout None, up to `timeout` seconds, or not at all
        if block is false. Raises queue.Full if still full, mproc.TooBigError (a
        ValueError) if the pickle is over max_message_size, ValueError if closed."""
        self._put_obj(obj, block, timeout)

    def get(self, block=True, timeout=None):
        """Removes the oldest message and returns it unpickled. Blocks while the queue is
        empty: forever if block is true and timeout None, up to `timeout` seconds, or not
        at all if block is false. Raises queue.Empty if still empty, ValueError if closed,
        NotAPickleError (carrying the bytes in .data) for a message that is not a pickle."""
        return self._get_obj(block, timeout)

    def put_nowait(self, obj):
        """put(obj, False): queue.Full at once if there is no room."""
        self._put_obj(obj, False, None)

    def get_nowait(self):
        """get(False): queue.Empty at once if there is no message."""
        return self._get_obj(False, None)

    def qsize(self):
        """The approximate number of messages in the queue (a snapshot). Never blocks."""
        return self._snapshot(_qsize, ctypes.c_size_t)

    def full(self):
        """True if the queue is full now (a snapshot). Never blocks."""
        return bool(self._snapshot(_full, ctypes.c_int))

    def join_thread(self):
        """For compatibility: there is no feeder thread, every put has already reached
        shared memory. Like CPython, raises AssertionError if the queue is not closed."""
        assert self.closed, "Queue {0!r} not closed".format(self)

    def cancel_join_thread(self):
        """For compatibility: a no-op (there is no feeder thread to wait for)."""


class SimpleQueue(_QueueBase):
    """multiprocessing.SimpleQueue in shared memory: get, put, empty, close (and the
    byte methods). Bounded like Queue: SimpleQueue(*, maxsize=0, max_message_size=65536,
    name=None, open_existing=False, mode=None); put blocks while it is full."""

    _flavour = SIMPLE

    def __init__(self, *, maxsize=0, max_message_size=DEFAULT_MAX_MESSAGE_SIZE, name=None,
                 open_existing=False, mode=None):
        self._create(maxsize, max_message_size, name, open_existing, mode)

    def put(self, obj):
        """Pickles and puts `obj`; blocks while the queue is full. Raises
        mproc.TooBigError (ValueError) for a pickle over max_message_size, ValueError if
        closed."""
        self._put_obj(obj, True, None)

    def get(self):
        """Removes the oldest message and returns it unpickled; blocks while the queue is
        empty. ValueError if closed, NotAPickleError for a message that is not a pickle."""
        return self._get_obj(True, None)


class JoinableQueue(Queue):
    """multiprocessing.JoinableQueue in shared memory: a Queue that counts unfinished
    tasks. Same arguments as Queue."""

    _flavour = JOINABLE

    def task_done(self):
        """Marks one message taken by get as processed. Never blocks. Raises ValueError
        ('task_done() called too many times') as CPython does."""
        code = _task_done(self._h())
        if code == _lib.EOVERFLOW:
            raise ValueError("task_done() called too many times")
        _lib.check(code, "JoinableQueue.task_done")

    def join(self, timeout=None):
        """Blocks until every message put has been marked done by task_done. timeout (an
        mproc extension): at most that many seconds. Returns True when all are done,
        False if the timeout passed first (CPython's join takes no timeout and returns
        None). ValueError if closed."""
        if timeout is None:
            code = _join(self._h(), _SLICE)
            while code == _ETIMEDOUT:  # sliced so that Ctrl-C gets through
                code = _join(self._h(), _SLICE)
        else:
            code = _join(self._h(), _lib.to_timeout(True, timeout))
        if code == _ETIMEDOUT:
            return False
        _lib.check(code, "JoinableQueue.join")
        return True
