"""Dict, List and Namespace: the dict, list and Namespace of multiprocessing's Manager, kept
in shared memory itself (no server process), shared by name with C and C++.

A Dict or List is the C library's shared container (include/mproc/mproc.h, "Dict and
List"): every process reads and writes it directly, under the container's own robust
recursive lock, and a process killed in the middle of a write leaves the container as it
was before or after that write. The C ABI stores bytes; this module pickles values
(highest protocol) and encodes keys:

- a str key is its UTF-8 bytes, so C's "num" and Python's "num" are the same key;
- a str that starts with "\\0" is b"\\0S" + its UTF-8, and every other key (int, tuple,
  bytes, ...) is b"\\0P" + its pickle (pickled without memo, so equal tuples encode alike);
- a stored key that is none of these (a C program's non-UTF-8 bytes) comes back as a
  RawKey (a bytes subclass) that is stored as is, so ``for k in d: d[k]`` always works.

Keys are compared by their encoding: 1, 1.0 and True are three keys here (one in a dict),
and so are frozensets that are equal but pickle in a different order.

Values are copies, as with multiprocessing's proxies: ``d["l"].append(1)`` changes a
list that was unpickled for the call, not the stored one; assign it back.

Every call waits for the container's lock for as long as needed (in slices, so that
Ctrl-C gets through); the lock is held only for the C call's own copy. Read-modify-write
groups (``d[k] += 1``, List.remove, sort) take the lock around the group: use
``with d.get_lock():`` for your own groups, from any process or language.
"""

import ctypes
import io
import operator
import pickle
import struct
from collections.abc import Mapping, MutableMapping, MutableSequence

from . import _lib
from ._lib import lib, pylib, declare, handle_t, error_for, Bytes
from ._base import SharedObject, make_options, encode_name
from .queues import NotAPickleError, _as_bytes

__all__ = ["Dict", "List", "Namespace", "RawKey", "DEFAULT_SIZE", "DEFAULT_MAX_SIZE"]

DEFAULT_SIZE = 256 << 10  # MPROC_CONTAINER_DEFAULT_SIZE: initial bytes per copy
DEFAULT_MAX_SIZE = 256 << 20  # MPROC_CONTAINER_DEFAULT_MAX: the most a copy grows to
MAX_KEY = 1 << 16  # MPROC_CONTAINER_MAX_KEY
_LLONG_MAX = (1 << 63) - 1
_LLONG_MIN = -(1 << 63)

# A wait without timeout is made of waits this long with a return to the interpreter
# between them (where Ctrl-C is raised): a call that timed out changed nothing, so
# retrying it is the same as waiting once.
_SLICE = 0.25
# Per-thread receive buffer: starts small, grows to the largest value read (at most
# _RECV_BUFFER_MAX; a bigger value gets a buffer of its own).
_RECV_INITIAL = 4096
_RECV_BUFFER_MAX = 1 << 20

_OK, _ETIMEDOUT, _ENOTFOUND, _ETOOBIG, _EFULL, _EEMPTY, _EOWNERDEAD, _ENOTOWNER = (
    _lib.OK, _lib.ETIMEDOUT, _lib.ENOTFOUND, _lib.ETOOBIG, _lib.EFULL, _lib.EEMPTY,
    _lib.EOWNERDEAD, _lib.ENOTOWNER)

_dumps = pickle.dumps
_loads = pickle.loads
_HIGHEST = pickle.HIGHEST_PROTOCOL
_U64 = struct.Struct("=Q")  # a record's length: uint64_t, native byte order
_size_t = ctypes.c_size_t
_double = ctypes.c_double
_longlong = ctypes.c_longlong
_void_p = ctypes.c_void_p
_byref = ctypes.byref
_string_at = ctypes.string_at


def _pair(name):
    """(quick, wait): mproc_<name> with its prototype through PyDLL (GIL held: for the
    first try, timeout 0, which never waits) and through CDLL (GIL released: for waits)."""
    if not _lib.CONTAINERS:
        return None, None
    argtypes = _lib.CONTAINER_PROTOTYPES[name]
    return declare(name, argtypes, dll=pylib), getattr(lib, name)


def _raw(dll, name):
    """A fresh function object without argtypes, for the hot paths: they pass ready-made
    ctypes objects of exactly the prototype's types, which skips ctypes' conversion of
    each argument (see queues.py)."""
    if not _lib.CONTAINERS:
        return None
    fn = dll[name]
    fn.restype = ctypes.c_int
    return fn


# Hot paths: (GIL held, timeout 0) first try; the GIL-releasing twin for a wait.
_try_dset, _wait_dset = _raw(pylib, "mproc_dict_set"), _raw(lib, "mproc_dict_set")
_try_dget, _wait_dget = _raw(pylib, "mproc_dict_get"), _raw(lib, "mproc_dict_get")
_try_dlen = _raw(pylib, "mproc_dict_len")
_try_lget, _wait_lget = _raw(pylib, "mproc_list_get"), _raw(lib, "mproc_list_get")
_try_lappend = _raw(pylib, "mproc_list_append")
_try_llen = _raw(pylib, "mproc_list_len")
# The first try keeps the GIL and may wait this long (30 us): another process holds the
# container's lock for a copy in or out, well under a microsecond, and the C call spins
# for it. A try of timeout 0 failed at once under contention and paid for a second,
# GIL-releasing call (two processes on one dict: 320 -> 500 k set+get pairs/s).
_NOWAIT = _double(0.00003)
_SLICE_C = _double(_SLICE)
# Ready-made c_size_t lengths and c_longlong indexes: building one per call costs a good
# part of the call (the C side only reads them, so one object serves every thread).
_CACHE = 1024
_sizes = [_size_t(n) for n in range(_CACHE)]
_indexes = [_longlong(i) for i in range(-_CACHE, _CACHE)]

_DICT = {name: _pair("mproc_dict_" + name) for name in (
    "set", "get", "contains", "setdefault", "pop", "delete", "popitem", "len", "clear",
    "update", "keys", "items", "acquire", "release", "memory")}
_LIST = {name: _pair("mproc_list_" + name) for name in (
    "append", "extend", "get", "get_alloc", "set", "insert", "pop", "len", "slice",
    "set_slice", "acquire", "release", "memory")}


def _size(n):
    return _sizes[n] if n < _CACHE else _size_t(n)


def _index(i):
    if -_CACHE <= i < _CACHE:
        return _indexes[i + _CACHE]
    return _longlong(min(max(i, _LLONG_MIN), _LLONG_MAX))


# ---- keys ---------------------------------------------------------------------------


class RawKey(bytes):
    """A key stored as these exact bytes: what keys() gives for a key that is not one of
    the package's encodings (a C program's non-UTF-8 key, say). d[RawKey(b"...")]
    addresses a C program's key byte for byte."""

    __slots__ = ()

    def __repr__(self):
        return "RawKey(%s)" % bytes.__repr__(self)


def _pickle_key(key):
    """A deterministic pickle: without the memo, equal keys built differently (a tuple
    holding one str object twice, or two equal ones) give the same bytes."""
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, _HIGHEST)
    pickler.fast = True
    pickler.dump(key)
    return buf.getvalue()


def _key(key):
    """The bytes a key is stored as (see the module docstring)."""
    if type(key) is str:
        if key[:1] != "\0":
            try:
                return key.encode()
            except UnicodeEncodeError:  # lone surrogates: not UTF-8, keep it exact
                return b"\0P" + _pickle_key(key)
        return b"\0S" + key.encode("utf-8", "surrogatepass")
    if type(key) is RawKey:
        return bytes(key)
    hash(key)  # TypeError for an unhashable key, as a dict raises
    if type(key) is int or key is None:
        return b"\0P" + _dumps(key, _HIGHEST)
    return b"\0P" + _pickle_key(key)


def _unkey(raw):
    """The key that `raw` (stored bytes) encodes."""
    if raw[:1] != b"\0":
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return RawKey(raw)
    tag = raw[1:2]
    try:
        if tag == b"P":
            return _loads(raw[2:])
        if tag == b"S":
            return raw[2:].decode("utf-8", "surrogatepass")
    except Exception:  # not our encoding after all: keep the bytes
        pass
    return RawKey(raw)


# ---- values and snapshots ------------------------------------------------------------


def _not_a_pickle(data, where):
    return NotAPickleError(
        "the value %s (%d bytes) is not a pickle (it was stored as raw bytes, for example "
        "by a C or C++ program): it is in this exception's .data; read it with "
        "get_bytes()" % (where, len(data)), data)


def _take(ptr, length):
    """The bytes of a block mproc allocated, freeing it."""
    if not ptr:
        return b""
    try:
        return _string_at(ptr, length)
    finally:
        _lib.free(ptr)


def _records(ptr, length):
    """The byte strings of a snapshot (records: uint64_t length, bytes), freeing it.
    Parsed here rather than with mproc_records_next: one ctypes call per record would
    cost more than the slicing."""
    data = _take(ptr, length)
    out = []
    offset, end = 0, len(data)
    unpack = _U64.unpack_from
    while offset < end:
        (n,) = unpack(data, offset)
        offset += 8
        out.append(data[offset:offset + n])
        offset += n
    return out


def _bytes_array(items):
    """An mproc_bytes_t array of `items` (bytes), which keeps them alive."""
    arr = (Bytes * max(len(items), 1))()
    for i, data in enumerate(items):
        arr[i].data = data
        arr[i].len = len(data)
    return arr


def _buffer(capacity=_RECV_INITIAL):
    """A receive buffer: (c_char array, its capacity as c_size_t, byref(size), size), the
    size being the c_size_t the C calls write."""
    size = _size_t()
    return (ctypes.create_string_buffer(capacity), _size_t(capacity), _byref(size), size)


# A container keeps its receive buffers in a list used as a stack: a call pops one, uses
# it, and pushes it back. list.pop and list.append are atomic under the GIL, so each
# buffer has one user at a time, also while the GIL is released during a wait; a thread
# that finds the stack empty (others hold every buffer) makes a new one. This costs a
# third of a threading.local lookup, which was the largest Python cost of a get.


# ---- the lock ------------------------------------------------------------------------


class ContainerLock:
    """The recursive lock a Dict or List carries in shared memory (``get_lock()``): the
    lock every call of the container takes, and C's mproc_dict_acquire. Behaves as
    multiprocessing.RLock: acquire(block=True, timeout=None) -> bool, release(), ``with``.
    """

    __slots__ = ("_owner",)

    def __init__(self, owner):
        self._owner = owner

    def acquire(self, block=True, timeout=None):
        return self._owner.acquire(block, timeout)

    def release(self):
        self._owner.release()

    def __enter__(self):
        return self._owner.acquire()

    def __exit__(self, *exc):
        self._owner.release()

    @property
    def owner_died(self):
        return self._owner.owner_died

    def __repr__(self):
        return "<mproc.ContainerLock of %r>" % (self._owner,)


# ---- what Dict and List share ----------------------------------------------------------


class _Container(SharedObject):
    _fns = None  # _DICT or _LIST
    _what = "container"
    _hv = None  # the handle as a c_void_p for the hot paths; None once closed
    owner_died = False

    def _create(self, name, open_existing, mode, initial_size, max_size, has_items=False):
        if open_existing and has_items:
            raise ValueError("initial items cannot be combined with open_existing=True "
                             "(whether the %s was created here cannot be told)" % self._what)
        if not _lib.CONTAINERS:
            raise NotImplementedError(
                "libmproc at %s has no shared containers (mproc_%s_create): it is older "
                "than this package" % (_lib.library_path, self._what))
        for value, what in ((initial_size, "initial_size"), (max_size, "max_size")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError("%s must be an int >= 0 (0: the default), got %r"
                                 % (what, value))
        name, owns = self._new_name(name)
        opts = make_options(open_existing, mode)
        handle = handle_t()
        code = getattr(lib, "mproc_%s_create" % self._what)(
            encode_name(name), initial_size, max_size,
            _byref(opts) if opts is not None else None, _byref(handle))
        if code:
            raise error_for(code, "%s(name=%r)" % (type(self).__name__, name))
        self._adopt(handle.value, name, owns)
        self._opened()

    def _opened(self):
        self._hv = _void_p(self._handle)  # read-only, shared by all threads
        self._bufs = [_buffer()]

    def close(self):
        """Releases this process's handle; later calls raise ValueError. The container
        lives on for the other processes (an automatic name is unlinked: see
        SharedObject). Idempotent."""
        self._hv = None
        super().close()

    def _call(self, fn, *args):
        """Runs C function `fn` (a key of _fns) with args and a timeout: first without
        waiting and with the GIL held, then, while another thread or process holds the
        lock, in slices with the GIL released. Returns the status."""
        quick, wait = self._fns[fn]
        code = quick(self._h(), *args, 0.0)
        while code == _ETIMEDOUT:
            code = wait(self._h(), *args, _SLICE)
        return code

    def _fail(self, code, what):
        """The exception for status `code` of call `what` (the closed check first: a call
        on a closed handle reports that, whatever the C code)."""
        self._h()
        if code == _EFULL:
            cap, most, free = _size_t(), _size_t(), _size_t()
            self._call("memory", _byref(cap), _byref(most), _byref(free))
            return _lib.FullError(code, (
                "%s %r is full: %s does not fit in its max_size of %d bytes per copy "
                "(nothing was changed); create it with a larger max_size=..., or remove "
                "items" % (type(self).__name__, self._name, what, most.value)))
        if code == _ETOOBIG and type(self) is Dict:
            return _lib.TooBigError(code, "%s: a key is at most %d bytes once encoded"
                                    % (what, MAX_KEY))
        return error_for(code, "%s %r: %s" % (type(self).__name__, self._name, what))

    def _check(self, code, what):
        if code:
            raise self._fail(code, what)

    # ---- the lock ----

    def acquire(self, block=True, timeout=None):
        """Takes the container's lock (recursively), so that several calls are atomic
        together; every call of any process waits meanwhile. Returns True, or False if
        not taken within `timeout` seconds (block=False: try once; None: forever,
        interruptible by Ctrl-C). When the previous holder died, the lock is taken,
        the container is consistent (each call is), but the dead holder's group may be
        half done: ``owner_died`` is then True."""
        wait = _lib.to_timeout(block, timeout)
        quick, blocking = self._fns["acquire"]
        code = quick(self._h(), 0.0)
        if code == _ETIMEDOUT and wait != 0:
            if wait < 0:
                while code == _ETIMEDOUT:
                    code = blocking(self._h(), _SLICE)
            else:
                code = blocking(self._h(), wait)
        if code == _OK or code == _EOWNERDEAD:
            self.owner_died = code == _EOWNERDEAD
            return True
        if code == _ETIMEDOUT:
            return False
        raise self._fail(code, "acquire")

    def release(self):
        """Gives back one level of the lock. AssertionError if this thread does not hold
        it (as multiprocessing.RLock)."""
        code = self._fns["release"][0](self._h())
        if code == _ENOTOWNER:
            raise AssertionError("attempt to release recursive lock not owned by thread")
        self._check(code, "release")

    def get_lock(self):
        """The container's lock as a lock object (``with d.get_lock(): ...``)."""
        self._h()
        return ContainerLock(self)

    def _locked(self):
        return _Held(self)

    def memory(self):
        """(capacity, max_size, free): bytes per copy now, the most it may grow to, and
        bytes free in the current capacity."""
        cap, most, free = _size_t(), _size_t(), _size_t()
        self._check(self._call("memory", _byref(cap), _byref(most), _byref(free)), "memory")
        return cap.value, most.value, free.value

    def _len(self, try_len, what):
        bufs = self._bufs
        try:
            hot = bufs.pop()
        except IndexError:
            hot = _buffer()
        code = try_len(self._hv, hot[2], _NOWAIT)
        if code:
            code = self._call("len", hot[2])
            self._check(code, what)
        bufs.append(hot)
        return hot[3].value

    def _grown(self, hot):
        """A buffer for the value whose size the last call wrote into hot's size (it
        reported MPROC_ETOOBIG): a bigger pooled buffer up to _RECV_BUFFER_MAX, else one
        of its own, sharing hot's size."""
        need = hot[3].value
        if need <= _RECV_BUFFER_MAX:
            capacity = max(need, 2 * len(hot[0]))
            return (ctypes.create_string_buffer(capacity), _size_t(capacity), hot[2], hot[3])
        return (ctypes.create_string_buffer(need), _size_t(need), hot[2], hot[3])

    def _get_slow(self, code, hot, try_get, wait_get, key, what):
        """The rest of a get whose first try with buffer `hot` returned `code`: grows the
        buffer while the value is bigger, waits for the lock in slices. The value's bytes,
        or None if there is none; `key` is the key's or index's C arguments."""
        own = hot
        while True:
            if code == _ETOOBIG:  # the value is bigger than the buffer: *len = its size
                own = self._grown(own)
                if len(own[0]) <= _RECV_BUFFER_MAX:
                    hot = own  # keep the grown buffer in the pool
                code = try_get(self._hv, *key, own[0], own[1], own[2], _NOWAIT)
            elif code == _ETIMEDOUT:
                self._h()
                code = wait_get(self._hv, *key, own[0], own[1], own[2], _SLICE_C)
            else:
                break
        self._bufs.append(hot)
        if code == _ENOTFOUND:
            return None
        if code:
            raise self._fail(code, what)
        return own[0][:own[3].value]

    def _plain_repr(self):
        return repr(self.copy())

    def __repr__(self):
        if self.closed:
            return "<mproc.%s closed>" % type(self).__name__
        return "<mproc.%s name=%r %s>" % (type(self).__name__, self._name,
                                         self._plain_repr())

    def __str__(self):
        if self.closed:
            return repr(self)
        return self._plain_repr()


class _Held:
    """``with container._locked():`` -- the container's lock around a group."""

    __slots__ = ("_c",)

    def __init__(self, container):
        self._c = container

    def __enter__(self):
        self._c.acquire()

    def __exit__(self, *exc):
        self._c.release()


_MISSING = object()


# ---- Dict ------------------------------------------------------------------------------


class Dict(_Container, MutableMapping):
    """A dict in shared memory, like ``multiprocessing.Manager().dict()`` without the
    server: every process reads and writes it directly, and C and C++ programs open it by
    name (mproc_dict_open).

    ``Dict(mapping_or_iterable=(), /, *, name=None, open_existing=False, mode=None,
    initial_size=0, max_size=0)``: the initial items as dict() takes them. name: a name
    other processes (any language) open with Dict.open(name); it lives until unlinked.
    No name: an automatic one, unlinked when this process closes the dict.
    open_existing: open `name` if it exists (no initial items then). mode: permission
    bits (default 0600). initial_size / max_size: bytes per copy at first and at most
    (0: 256 KiB and 256 MiB); a write that does not fit at max_size raises
    mproc.FullError.

    Keys and values: see the module docstring. Values are pickled copies. keys(),
    values() and items() return lists (snapshots), as multiprocessing's DictProxy does;
    iteration runs over a snapshot of the keys.
    """

    _close_fn = _lib.lib.mproc_dict_close if _lib.CONTAINERS else None
    _unlink_fn = _lib.lib.mproc_dict_unlink if _lib.CONTAINERS else None
    _open_fn = _lib.lib.mproc_dict_open if _lib.CONTAINERS else None
    _fns = _DICT
    _what = "dict"

    def __init__(self, mapping_or_iterable=(), /, *, name=None, open_existing=False,
                 mode=None, initial_size=0, max_size=0):
        has_items = bool(mapping_or_iterable)
        self._create(name, open_existing, mode, initial_size, max_size, has_items)
        if has_items:
            self.update(mapping_or_iterable)

    # ---- the hot paths ----

    def __setitem__(self, key, value):
        # The common key inline: a str, not empty, not "\0"-led (k < b"\x01" is true only
        # for those two, which _key encodes).
        if type(key) is str:
            try:
                k = key.encode()
            except UnicodeEncodeError:
                k = _key(key)
            if k < b"\x01":
                k = _key(key)
        else:
            k = _key(key)
        v = _dumps(value, _HIGHEST)
        nk, nv = len(k), len(v)
        if _try_dset(self._hv, k, _sizes[nk] if nk < _CACHE else _size_t(nk), v,
                     _sizes[nv] if nv < _CACHE else _size_t(nv), _NOWAIT):
            self._set_slow(k, v, "d[key] = value")

    def _set_slow(self, k, v, what):
        code = self._call("set", k, len(k), v, len(v))
        if code:
            raise self._fail(code, what)

    def _get_raw(self, k):
        """The stored bytes of encoded key k, or None if there is no such key."""
        bufs = self._bufs
        try:
            hot = bufs.pop()
        except IndexError:
            hot = _buffer()
        nk = len(k)
        code = _try_dget(self._hv, k, _sizes[nk] if nk < _CACHE else _size_t(nk), hot[0],
                         hot[1], hot[2], _NOWAIT)
        if code:
            return self._get_slow(code, hot, _try_dget, _wait_dget, (k, _size(nk)), "d[key]")
        data = hot[0][:hot[3].value]
        bufs.append(hot)
        return data

    def __getitem__(self, key):
        if type(key) is str:
            try:
                k = key.encode()
            except UnicodeEncodeError:
                k = _key(key)
            if k < b"\x01":
                k = _key(key)
        else:
            k = _key(key)
        # _get_raw inline (a Python call is a tenth of the whole get).
        bufs = self._bufs
        try:
            hot = bufs.pop()
        except IndexError:
            hot = _buffer()
        nk = len(k)
        code = _try_dget(self._hv, k, _sizes[nk] if nk < _CACHE else _size_t(nk), hot[0],
                         hot[1], hot[2], _NOWAIT)
        if code:
            data = self._get_slow(code, hot, _try_dget, _wait_dget, (k, _size(nk)), "d[key]")
            if data is None:
                raise KeyError(key)
        else:
            data = hot[0][:hot[3].value]
            bufs.append(hot)
        if data[:1] == b"\x80":
            return _loads(data)
        raise _not_a_pickle(data, "of key %r in dict %r" % (key, self._name))

    # ---- the rest of the mapping ----

    def get(self, key, default=None):
        """d[key] if the key is there, else default."""
        data = self._get_raw(_key(key))
        if data is None:
            return default
        if data[:1] == b"\x80":
            return _loads(data)
        raise _not_a_pickle(data, "of key %r in dict %r" % (key, self._name))

    def __delitem__(self, key):
        k = _key(key)
        code = self._call("delete", k, len(k))
        if code == _ENOTFOUND:
            raise KeyError(key)
        self._check(code, "del d[key]")

    def __contains__(self, key):
        try:
            k = _key(key)
        except TypeError:  # unhashable: not in any dict
            return False
        found = ctypes.c_int()
        self._check(self._call("contains", k, len(k), _byref(found)), "key in d")
        return bool(found.value)

    def __len__(self):
        return self._len(_try_dlen, "len(d)")

    def _raw_keys(self):
        data, length, count = _void_p(), _size_t(), _size_t()
        self._check(self._call("keys", _byref(data), _byref(length), _byref(count)),
                    "keys()")
        return _records(data.value, length.value)

    def _raw_items(self):
        data, length, count = _void_p(), _size_t(), _size_t()
        self._check(self._call("items", _byref(data), _byref(length), _byref(count)),
                    "items()")
        records = _records(data.value, length.value)
        return records[0::2], records[1::2]

    def _value(self, data, raw_key):
        if data[:1] == b"\x80":
            return _loads(data)
        raise _not_a_pickle(data, "of key %r in dict %r" % (_unkey(raw_key), self._name))

    def keys(self):
        """A list of the keys, in insertion order (a snapshot)."""
        return [_unkey(k) for k in self._raw_keys()]

    def values(self):
        """A list of the values, in insertion order (one atomic snapshot)."""
        keys, values = self._raw_items()
        return [self._value(v, k) for k, v in zip(keys, values)]

    def items(self):
        """A list of (key, value) pairs, in insertion order (one atomic snapshot)."""
        keys, values = self._raw_items()
        return [(_unkey(k), self._value(v, k)) for k, v in zip(keys, values)]

    def __iter__(self):
        return iter(self.keys())

    def __reversed__(self):
        return iter(self.keys()[::-1])

    def copy(self):
        """A plain dict with the same items (one atomic snapshot)."""
        return dict(self.items())

    def setdefault(self, key, default=None):
        """d[key] if the key is there; else sets it to default and returns default. One
        atomic call."""
        k = _key(key)
        v = _dumps(default, _HIGHEST)
        data, length, inserted = _void_p(), _size_t(), ctypes.c_int()
        code = self._call("setdefault", k, len(k), v, len(v), _byref(data), _byref(length),
                          _byref(inserted))
        self._check(code, "setdefault")
        current = _take(data.value, length.value)
        if inserted.value:
            return default
        return self._value(current, k)

    def pop(self, key, default=_MISSING):
        """Removes the key and returns its value; if absent, returns default or raises
        KeyError. One atomic call."""
        k = _key(key)
        data, length = _void_p(), _size_t()
        code = self._call("pop", k, len(k), _byref(data), _byref(length))
        if code == _ENOTFOUND:
            if default is _MISSING:
                raise KeyError(key)
            return default
        self._check(code, "pop")
        return self._value(_take(data.value, length.value), k)

    def popitem(self):
        """Removes and returns the last inserted (key, value); KeyError if empty."""
        key, klen, value, vlen = _void_p(), _size_t(), _void_p(), _size_t()
        code = self._call("popitem", _byref(key), _byref(klen), _byref(value), _byref(vlen))
        if code == _EEMPTY:
            raise KeyError("popitem(): dictionary is empty")
        self._check(code, "popitem")
        k = _take(key.value, klen.value)
        return _unkey(k), self._value(_take(value.value, vlen.value), k)

    def clear(self):
        """Removes every key (one atomic call)."""
        self._check(self._call("clear"), "clear")

    def update(self, other=(), /, **kwargs):
        """dict.update: sets the keys of a mapping (or (key, value) pairs) and of kwargs,
        all in one atomic call, all or nothing (FullError leaves the dict unchanged)."""
        if isinstance(other, Dict):
            pairs = other.items()
        elif isinstance(other, Mapping) or hasattr(other, "keys"):
            pairs = [(k, other[k]) for k in other.keys()]
        else:
            pairs = []
            for i, pair in enumerate(other):
                try:
                    k, v = pair
                except (TypeError, ValueError):
                    raise ValueError("dictionary update sequence element #%d is not a "
                                     "(key, value) pair" % i) from None
                pairs.append((k, v))
        pairs.extend(kwargs.items())
        self._update_raw([_key(k) for k, _ in pairs],
                         [_dumps(v, _HIGHEST) for _, v in pairs])

    def _update_raw(self, keys, values):
        if not keys:
            self._h()
            return
        n = len(keys)
        code = self._call("update", _bytes_array(keys), _bytes_array(values), n)
        self._check(code, "update of %d keys" % n)

    def __or__(self, other):
        if not isinstance(other, Mapping):
            return NotImplemented
        result = self.copy()
        result.update(other.copy() if isinstance(other, Dict) else other)
        return result

    def __ror__(self, other):
        if not isinstance(other, Mapping):
            return NotImplemented
        result = dict(other)
        result.update(self.copy())
        return result

    def __ior__(self, other):
        self.update(other)
        return self

    def __eq__(self, other):
        if isinstance(other, Dict):
            return self is other or self.copy() == other.copy()
        if isinstance(other, Mapping):
            return self.copy() == dict(other.items())
        return NotImplemented

    __hash__ = None

    # ---- raw bytes ----

    def get_bytes(self, key, default=_MISSING):
        """The stored bytes of `key`, unchanged (what set_bytes or a C program stored, or
        a pickle); KeyError (or default) if absent."""
        data = self._get_raw(_key(key))
        if data is None:
            if default is _MISSING:
                raise KeyError(key)
            return default
        return data

    def set_bytes(self, key, data):
        """Stores the bytes-like `data` as the value of `key`, unchanged (a C program
        reads it with mproc_dict_get; d[key] raises NotAPickleError for it)."""
        k = _key(key)
        v = _as_bytes(data)
        if _try_dset(self._hv, k, _size(len(k)), v, _size(len(v)), _NOWAIT):
            self._set_slow(k, v, "set_bytes")


# ---- List ------------------------------------------------------------------------------


def _slice_bounds(s):
    """(start, stop) of a step-1 slice for the C calls (which clamp them as Python does)."""
    start = 0 if s.start is None else operator.index(s.start)
    stop = _LLONG_MAX if s.stop is None else operator.index(s.stop)
    return (min(max(start, _LLONG_MIN), _LLONG_MAX), min(max(stop, _LLONG_MIN), _LLONG_MAX))


class List(_Container, MutableSequence):
    """A list in shared memory, like ``multiprocessing.Manager().list()`` without the
    server: every process reads and writes it directly, and C and C++ programs open it by
    name (mproc_list_open).

    ``List(sequence=(), /, *, name=None, open_existing=False, mode=None, initial_size=0,
    max_size=0)``: arguments as for Dict. Items are pickled copies. Slices and iteration
    work on a snapshot; the read-modify-write methods (remove, reverse, sort, extended
    slices, *=) hold the list's lock, so they are atomic.
    """

    _close_fn = _lib.lib.mproc_list_close if _lib.CONTAINERS else None
    _unlink_fn = _lib.lib.mproc_list_unlink if _lib.CONTAINERS else None
    _open_fn = _lib.lib.mproc_list_open if _lib.CONTAINERS else None
    _fns = _LIST
    _what = "list"

    def __init__(self, sequence=(), /, *, name=None, open_existing=False, mode=None,
                 initial_size=0, max_size=0):
        items = [_dumps(x, _HIGHEST) for x in sequence]
        self._create(name, open_existing, mode, initial_size, max_size, bool(items))
        if items:
            self._extend_raw(items)

    def _value(self, data, index):
        if data[:1] == b"\x80":
            return _loads(data)
        raise _not_a_pickle(data, "at index %d of list %r" % (index, self._name))

    # ---- the hot paths ----

    def _get_raw(self, i):
        """The stored bytes of item i, or None if out of range."""
        bufs = self._bufs
        try:
            hot = bufs.pop()
        except IndexError:
            hot = _buffer()
        code = _try_lget(self._hv, _indexes[i + _CACHE] if -_CACHE <= i < _CACHE
                         else _index(i), hot[0], hot[1], hot[2], _NOWAIT)
        if code:
            return self._get_slow(code, hot, _try_lget, _wait_lget, (_index(i),), "l[index]")
        data = hot[0][:hot[3].value]
        bufs.append(hot)
        return data

    def __getitem__(self, index):
        if type(index) is not int:
            if isinstance(index, slice):
                return self._get_slice(index)
            index = operator.index(index)
        data = self._get_raw(index)
        if data is None:
            raise IndexError("list index out of range")
        if data[:1] == b"\x80":
            return _loads(data)
        raise _not_a_pickle(data, "at index %d of list %r" % (index, self._name))

    def append(self, value):
        """Appends a pickled copy of value (one atomic call)."""
        v = _dumps(value, _HIGHEST)
        n = len(v)
        if _try_lappend(self._hv, v, _sizes[n] if n < _CACHE else _size_t(n), _NOWAIT):
            self._append_slow(v)

    def _append_slow(self, v):
        self._check(self._call("append", v, len(v)), "append")

    def __len__(self):
        return self._len(_try_llen, "len(l)")

    # ---- snapshots ----

    def _raw_slice(self, start=0, stop=_LLONG_MAX):
        data, length, count = _void_p(), _size_t(), _size_t()
        self._check(self._call("slice", start, stop, _byref(data), _byref(length),
                               _byref(count)), "l[start:stop]")
        return _records(data.value, length.value)

    def _decode(self, raws, first=0):
        return [self._value(r, first + i) for i, r in enumerate(raws)]

    def _get_slice(self, s):
        if s.step is None or s.step == 1:
            start, stop = _slice_bounds(s)
            return self._decode(self._raw_slice(start, stop))
        return self._decode(self._raw_slice())[s]

    def copy(self):
        """A plain list with the same items (one atomic snapshot)."""
        return self._decode(self._raw_slice())

    def __iter__(self):
        return iter(self.copy())

    def __reversed__(self):
        return reversed(self.copy())

    def __contains__(self, value):
        return value in self.copy()

    def index(self, value, start=0, stop=None):
        """The first index of value in l[start:stop] (a snapshot); ValueError if none."""
        items = self.copy()
        try:
            return items.index(value, start, len(items) if stop is None else stop)
        except ValueError:
            raise ValueError("%r is not in list" % (value,)) from None

    def count(self, value):
        """How many items equal value (a snapshot)."""
        return self.copy().count(value)

    # ---- changes ----

    def _set_slice_raw(self, start, stop, items):
        code = self._call("set_slice", start, stop, _bytes_array(items) if items else None,
                          len(items))
        self._check(code, "l[start:stop] = items")

    def _extend_raw(self, items):
        if items:
            self._check(self._call("extend", _bytes_array(items), len(items)),
                        "extend by %d items" % len(items))
        else:
            self._h()

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            return self._set_slice(index, value)
        index = operator.index(index)
        v = _dumps(value, _HIGHEST)
        code = self._call("set", _index(index), v, len(v))
        if code == _ENOTFOUND:
            raise IndexError("list assignment index out of range")
        self._check(code, "l[index] = value")

    def _set_slice(self, s, value):
        items = [_dumps(x, _HIGHEST) for x in (value.copy() if isinstance(value, List)
                                                else value)]
        if s.step is None or s.step == 1:
            start, stop = _slice_bounds(s)
            return self._set_slice_raw(start, stop, items)
        with self._locked():
            raws = self._raw_slice()
            indices = range(*s.indices(len(raws)))
            if len(indices) != len(items):
                raise ValueError("attempt to assign sequence of size %d to extended slice "
                                 "of size %d" % (len(items), len(indices)))
            for i, v in zip(indices, items):
                raws[i] = v
            self._set_slice_raw(0, _LLONG_MAX, raws)

    def __delitem__(self, index):
        if isinstance(index, slice):
            if index.step is None or index.step == 1:
                start, stop = _slice_bounds(index)
                return self._set_slice_raw(start, stop, [])
            with self._locked():
                raws = self._raw_slice()
                gone = set(range(*index.indices(len(raws))))
                self._set_slice_raw(0, _LLONG_MAX,
                                    [r for i, r in enumerate(raws) if i not in gone])
            return
        code = self._call("pop", _index(operator.index(index)), None, None)
        if code == _ENOTFOUND:
            raise IndexError("list assignment index out of range")
        self._check(code, "del l[index]")

    def insert(self, index, value):
        """Inserts value before index (clamped as list.insert does)."""
        v = _dumps(value, _HIGHEST)
        self._check(self._call("insert", _index(operator.index(index)), v, len(v)),
                    "insert")

    def extend(self, iterable):
        """Appends every item of iterable, in one atomic call (all or nothing)."""
        self._extend_raw([_dumps(x, _HIGHEST) for x in (
            iterable.copy() if isinstance(iterable, List) else iterable)])

    def pop(self, index=-1):
        """Removes and returns item index (default the last); IndexError if out of
        range. One atomic call."""
        data, length = _void_p(), _size_t()
        code = self._call("pop", _index(operator.index(index)), _byref(data), _byref(length))
        if code == _ENOTFOUND:
            raise IndexError("pop from empty list" if len(self) == 0
                             else "pop index out of range")
        self._check(code, "pop")
        return self._value(_take(data.value, length.value), index)

    def remove(self, value):
        """Removes the first item equal to value (atomically); ValueError if none."""
        with self._locked():
            try:
                i = self.copy().index(value)
            except ValueError:
                raise ValueError("list.remove(x): x not in list") from None
            self._check(self._call("pop", _index(i), None, None), "remove")

    def clear(self):
        """Removes every item (one atomic call)."""
        self._set_slice_raw(0, _LLONG_MAX, [])

    def reverse(self):
        """Reverses the list in place (atomically)."""
        with self._locked():
            self._set_slice_raw(0, _LLONG_MAX, self._raw_slice()[::-1])

    def sort(self, *, key=None, reverse=False):
        """Sorts the list in place (atomically: under the list's lock). If key or a
        comparison raises, the list is unchanged."""
        with self._locked():
            raws = self._raw_slice()
            order = sorted(range(len(raws)), key=lambda i, v=self._decode(raws):
                           v[i] if key is None else key(v[i]), reverse=reverse)
            self._set_slice_raw(0, _LLONG_MAX, [raws[i] for i in order])

    def __iadd__(self, other):
        self.extend(other)
        return self

    def __imul__(self, n):
        n = operator.index(n)
        with self._locked():
            if n <= 0:
                self._set_slice_raw(0, _LLONG_MAX, [])
            elif n > 1:
                self._extend_raw(self._raw_slice() * (n - 1))
        return self

    def __add__(self, other):
        if isinstance(other, List):
            other = other.copy()
        if not isinstance(other, list):
            return NotImplemented
        return self.copy() + other

    def __radd__(self, other):
        if not isinstance(other, list):
            return NotImplemented
        return other + self.copy()

    def __mul__(self, n):
        return self.copy() * operator.index(n)

    __rmul__ = __mul__

    def __eq__(self, other):
        if isinstance(other, List):
            return self is other or self.copy() == other.copy()
        if isinstance(other, list):
            return self.copy() == other
        return NotImplemented

    __hash__ = None

    # ---- raw bytes ----

    def get_bytes(self, index):
        """Item index as its stored bytes, unchanged; IndexError if out of range."""
        data = self._get_raw(operator.index(index))
        if data is None:
            raise IndexError("list index out of range")
        return data

    def set_bytes(self, index, data):
        """Stores the bytes-like data at index, unchanged; IndexError if out of range."""
        v = _as_bytes(data)
        code = self._call("set", _index(operator.index(index)), v, len(v))
        if code == _ENOTFOUND:
            raise IndexError("list assignment index out of range")
        self._check(code, "set_bytes")

    def append_bytes(self, data):
        """Appends the bytes-like data, unchanged (C reads it with mproc_list_get)."""
        v = _as_bytes(data)
        if _try_lappend(self._hv, v, _size(len(v)), _NOWAIT):
            self._append_slow(v)


# ---- Namespace -----------------------------------------------------------------------


def _rebuild_namespace(d):
    return Namespace(d)


class Namespace:
    """multiprocessing's Namespace (``Manager().Namespace()``) over a shared Dict: its
    attributes are the dict's str keys, read and written in shared memory. Names that
    start with "_" are local attributes of this object, as in multiprocessing.

    ``Namespace(dict=None, /, **attributes)``: a Namespace on a new anonymous Dict, or on
    the given mproc.Dict (``Namespace(mproc.Dict(name="ns"))``, or
    ``Namespace.open("ns")``). ``ns._dict`` is that Dict (for its name, close, unlink,
    get_lock). Pickles by the dict's name.
    """

    def __init__(self, dict=None, /, **attributes):
        d = Dict() if dict is None else dict
        if not isinstance(d, Dict):
            raise TypeError("Namespace takes an mproc.Dict, not %s" % type(d).__name__)
        object.__setattr__(self, "_dict", d)
        if attributes:
            d.update(attributes)

    @classmethod
    def open(cls, name):
        """A Namespace on the existing Dict `name`."""
        return cls(Dict.open(name))

    def __getattribute__(self, name):
        if name[:1] == "_":
            return object.__getattribute__(self, name)
        try:
            return object.__getattribute__(self, "_dict")[name]
        except KeyError:
            raise AttributeError("'Namespace' object has no attribute %r" % name) from None

    def __setattr__(self, name, value):
        if name[:1] == "_":
            object.__setattr__(self, name, value)
        else:
            self._dict[name] = value

    def __delattr__(self, name):
        if name[:1] == "_":
            object.__delattr__(self, name)
            return
        try:
            del self._dict[name]
        except KeyError:
            raise AttributeError("'Namespace' object has no attribute %r" % name) from None

    def __dir__(self):
        return sorted(k for k in self._dict.keys() if type(k) is str)

    def __reduce__(self):
        return _rebuild_namespace, (self._dict,)

    def __repr__(self):
        temp = sorted("%s=%r" % (k, v) for k, v in self._dict.items()
                      if type(k) is str and not k.startswith("_"))
        return "Namespace(%s)" % ", ".join(temp)
