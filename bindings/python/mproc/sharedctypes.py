"""Value, Array, RawValue and RawArray: multiprocessing's shared ctypes objects, in named
shared memory that C and C++ programs open with mproc_value_open / mproc_array_open.

The items live in an mproc Value or Array (include/mproc/mproc.h, "Value and Array").
Python reads and writes them directly through a ctypes object built on the shared address
(``mproc_value_data`` / ``mproc_array_data``), so an access costs what a ctypes access
costs. ``Value`` / ``Array`` with ``lock=True`` (the default) use the RLock that the shared
object itself carries, so a C program that calls mproc_array_acquire excludes Python's
``with arr.get_lock():`` and the other way round.

What the functions return (the same methods as CPython's objects):
- ``RawValue`` / ``Value(lock=False)``: a ``SharedValue`` with ``.value``;
- ``RawArray`` / ``Array(lock=False)``: a ``SharedArray``: len, indexing, slicing,
  iteration, and ``.value`` (+ ``.raw`` for 'c') on character arrays as ctypes gives;
- ``Value``: a ``Synchronized``; ``Array``: a ``SynchronizedArray`` (``SynchronizedString``
  for 'c'), with get_lock(), get_obj(), acquire(), release(), ``with``; ``.value`` and item
  access take the lock, as CPython's wrappers do.

Differences from multiprocessing (documented in bindings/python/README.md):
- Only the 14 type codes of the C ABI (c b B h H i I l L q Q f d u) and their ctypes types
  (c_char, c_wchar, c_byte, c_ubyte, c_short, ..., c_double, and aliases such as c_int32);
  other ctypes types (c_bool, structures, pointers) raise TypeError.
- An Array needs at least one item (CPython accepts 0): ValueError.
- Raw objects are not ctypes instances: use ``get_obj()`` for a ctypes object (to pass by
  reference to a C function, for example). They have every ctypes method listed above.
- Objects can be pickled at any time (by name), not only while spawning. The lock travels
  with them: the object's own lock, or the ``lock=`` object given (which must then be
  picklable itself, as an mproc Lock / RLock is).
- ``Value.open(name)`` / ``Array.open(name)`` give a synchronized object if the shared
  object carries a lock (created with lock=True in any language), a raw one otherwise. An
  object created with ``lock=<some lock>`` carries none: other processes get that lock
  only by unpickling.
- With ``open_existing=True`` an existing object is used as it is: its type code and
  length are not compared with the arguments (as in the C ABI).
"""

import ctypes
import weakref

from . import _lib
from ._lib import declare, pylib, handle_t, check, error_for, to_timeout
from ._base import (SharedObject, make_options, encode_name, unlink_fn_for, close_fn_for,
                    open_fn_for)

__all__ = ["Value", "Array", "RawValue", "RawArray"]

# ---- Type codes ----------------------------------------------------------------------

# multiprocessing.sharedctypes.typecode_to_type: the ctypes type of each code.
typecode_to_type = {
    'c': ctypes.c_char, 'u': ctypes.c_wchar,
    'b': ctypes.c_byte, 'B': ctypes.c_ubyte,
    'h': ctypes.c_short, 'H': ctypes.c_ushort,
    'i': ctypes.c_int, 'I': ctypes.c_uint,
    'l': ctypes.c_long, 'L': ctypes.c_ulong,
    'q': ctypes.c_longlong, 'Q': ctypes.c_ulonglong,
    'f': ctypes.c_float, 'd': ctypes.c_double,
}
# The reverse. On LP64 Linux c_longlong *is* c_long, so it maps to 'l' (same size).
_type_to_typecode = {}
for _code in "QqLlIiHhBbudfc":
    _type_to_typecode[typecode_to_type[_code]] = _code
del _code

_CODES = "c b B h H i I l L q Q f d u"


def _typecode_of(typecode_or_type):
    """The mproc type code for a multiprocessing type code or ctypes type; TypeError
    otherwise (CPython's error class for an unusable type)."""
    if isinstance(typecode_or_type, str):
        if typecode_or_type in typecode_to_type:
            return typecode_or_type
        raise TypeError("bad type code %r: mproc shares the type codes %s"
                        % (typecode_or_type, _CODES))
    code = _type_to_typecode.get(typecode_or_type)
    if code is None:
        raise TypeError("%r is not a type mproc can share: use a type code (%s) or its "
                        "ctypes type (c_char, c_wchar, c_byte, c_ubyte, c_short, c_ushort, "
                        "c_int, c_uint, c_long, c_ulong, c_longlong, c_ulonglong, c_float, "
                        "c_double)" % (typecode_or_type, _CODES))
    return code


# ---- C functions -----------------------------------------------------------------------

_P = ctypes.c_void_p
_handle_p = ctypes.POINTER(handle_t)
_opts_p = ctypes.c_void_p  # an Options byref or None

_value_create = declare("mproc_value_create", [ctypes.c_char_p, ctypes.c_char, _P,
                                                ctypes.c_int, _opts_p, _handle_p])
_array_create = declare("mproc_array_create", [ctypes.c_char_p, ctypes.c_char,
                                                ctypes.c_size_t, _P, ctypes.c_int, _opts_p,
                                                _handle_p])
_array_length = declare("mproc_array_length", [handle_t, ctypes.POINTER(ctypes.c_size_t)])


class _Kind:
    """The C functions of one kind ("value" or "array")."""

    def __init__(self, kind):
        self.kind = kind
        self.open = open_fn_for(kind)
        self.close = close_fn_for(kind)
        self.unlink = unlink_fn_for(kind)
        self.type = declare("mproc_%s_type" % kind, [handle_t, ctypes.c_char_p,
                                                     ctypes.POINTER(ctypes.c_size_t)])
        self.data = declare("mproc_%s_data" % kind, [handle_t, ctypes.POINTER(_P)])
        self.acquire = declare("mproc_%s_acquire" % kind, [handle_t, ctypes.c_double])
        self.release = declare("mproc_%s_release" % kind, [handle_t])
        # The calls that never block, made with the GIL held (no drop and retake of the
        # GIL): .value and item access take the lock each time, so every bit counts.
        self.try_acquire = declare("mproc_%s_acquire" % kind, [handle_t, ctypes.c_double],
                                   dll=pylib)
        self.fast_release = declare("mproc_%s_release" % kind, [handle_t], dll=pylib)


_VALUE = _Kind("value")
_ARRAY = _Kind("array")

# Longest a lock wait without timeout stays inside C before coming back to Python, so
# that Ctrl-C is seen. A lock acquire that times out changes nothing: slicing is exact.
_SLICE = 0.25


def _has_lock(kind, handle):
    """Whether the shared object carries a lock (the C ABI has no query: a try-acquire
    tells, MPROC_EINVAL meaning raw; a lock taken this way is given back at once)."""
    rc = kind.acquire(handle, 0.0)
    if rc in (_lib.OK, _lib.EOWNERDEAD):
        check(kind.release(handle))
        return True
    if rc == _lib.ETIMEDOUT:
        return True
    if rc == _lib.EINVAL:
        return False
    raise error_for(rc, "%s: lock" % kind.kind)


# ---- The object's own lock -------------------------------------------------------------


class ObjectLock:
    """The recursive lock a Value or Array carries in shared memory (``get_lock()``): the
    lock C programs take with mproc_value_acquire / mproc_array_acquire. Behaves as
    multiprocessing.RLock: acquire(block=True, timeout=None) -> bool, release(), ``with``.
    Picklable (by the object's name)."""

    __slots__ = ("_owner", "__weakref__")

    def __init__(self, owner):
        self._owner = owner  # keeps the mapping open while the lock is used

    def acquire(self, block=True, timeout=None):
        """Takes the lock (recursively). Blocks until it is free, at most `timeout`
        seconds (None: forever, interruptible by Ctrl-C; block=False: try once). Returns
        True if taken, False on timeout. ValueError if the object is closed."""
        return self._owner._lock_acquire(block, timeout)

    def release(self):
        """Gives back one level of the lock. AssertionError if this thread does not hold
        it (as multiprocessing.RLock)."""
        self._owner._lock_release()

    def __enter__(self):
        return self._owner._lock_acquire(True, None)

    def __exit__(self, *args):
        self._owner._lock_release()

    @property
    def owner_died(self):
        """As the object's owner_died: the last acquire took the lock from a dead
        process."""
        return self._owner._owner_died

    def __reduce__(self):
        return _rebuild_lock, (self._owner._kind.kind, self._owner.name)

    def __repr__(self):
        return "<mproc.sharedctypes.ObjectLock of %s %r>" % (self._owner._kind.kind,
                                                            self._owner.name)


def _rebuild_lock(kind, name):
    return _attach(_VALUE if kind == "value" else _ARRAY, name, True).get_lock()


# ---- The shared objects ----------------------------------------------------------------


class _SharedCType(SharedObject):
    """What the raw and the synchronized objects share: handle, typecode, the ctypes view
    on the shared memory, closing, pickling."""

    _kind = None  # _VALUE or _ARRAY
    _obj = None  # the ctypes view this object uses itself; None once closed
    _views = ()  # weak references to the views handed out by get_obj()
    _lockspec = False  # False: raw, True: the object's own lock, else the lock object

    def _setup(self, lockspec):
        """Reads type and length from the shared object and builds the ctypes view."""
        kind = self._kind
        code = ctypes.c_char()
        size = ctypes.c_size_t()
        check(kind.type(self._handle, ctypes.byref(code), ctypes.byref(size)))
        self._typecode = code.value.decode()
        ctype = typecode_to_type[self._typecode]
        if kind is _ARRAY:
            length = ctypes.c_size_t()
            check(_array_length(self._handle, ctypes.byref(length)))
            ctype = ctype * length.value
        self._ctype = ctype
        address = _P()
        check(kind.data(self._handle, ctypes.byref(address)))
        self._address = address.value
        self._obj = ctype.from_address(self._address)
        self._views = []
        self._lockspec = lockspec

    @property
    def typecode(self):
        """The type code of the items ('i', 'd', ...)."""
        return self._typecode

    def _view(self):
        obj = self._obj
        if obj is None:
            raise ValueError("%s is closed" % type(self).__name__)
        return obj

    def get_obj(self):
        """A ctypes object (c_int, c_double * n, ...) on the shared memory itself, as
        CPython's get_obj() gives: no lock is taken when it is used. It keeps this object
        (and so the mapping) alive. ValueError if closed."""
        self._view()
        view = self._ctype.from_address(self._address)
        view._mproc_owner = self  # the mapping must outlive the view
        self._views = [r for r in self._views if r() is not None]
        self._views.append(weakref.ref(view))
        return view

    def close(self):
        """Releases this process's handle (idempotent); the object lives on for others.
        Views from get_obj() still in use keep the memory mapped until they are gone."""
        if self._handle is None:
            return
        self._obj = None
        if any(r() is not None for r in self._views):
            # The finalizer closes the handle once the views (which hold self) are gone.
            self._handle = None
            return
        super().close()
        self._handle = None  # the handle is freed: never pass it to C again

    def unlink(self):
        """Removes the name, so that no one else can open it; open handles keep working."""
        self.unlink_name(self._name)
        if self._finalizer.alive:
            # Keep closing the handle at the end, but do not unlink the name again.
            _, _, args, _ = self._finalizer.detach()
            self._finalizer = weakref.finalize(self, args[0], args[1])

    @classmethod
    def open(cls, name):
        """Attaches to the existing object `name` created by any process in any language.
        Raw classes give a raw object; synchronized ones give a synchronized object when
        the shared object carries a lock, a raw one otherwise. FileNotFoundError
        (mproc.NotFoundError) if there is none, TypeError (mproc.KindError) if the name
        holds another kind of object."""
        return _attach(cls._kind, name, None if cls._synchronized else False)

    _synchronized = False

    def __reduce__(self):
        return _rebuild, (self._kind.kind, self._name, self._lockspec)

    def __repr__(self):
        if self._obj is None:
            return "<mproc.%s closed>" % type(self).__name__
        return "<mproc.%s name=%r typecode=%r>" % (type(self).__name__, self._name,
                                                  self._typecode)


def _rebuild(kind, name, lockspec):
    return _attach(_VALUE if kind == "value" else _ARRAY, name, lockspec)


class _SynchronizedBase:
    """The lock half of CPython's synchronized wrappers: get_lock, get_obj, acquire,
    release, ``with``. The lock is the object's own (``_lockspec is True``) or another."""

    _synchronized = True

    def _lock_acquire(self, block=True, timeout=None):
        wait = to_timeout(block, timeout)
        handle = self._h()
        rc = self._kind.try_acquire(handle, 0.0)  # uncontended: no GIL round trip
        if rc == _lib.OK:
            self._owner_died = False
            return True
        if rc == _lib.ETIMEDOUT and wait != 0:
            # Held elsewhere: wait with the GIL released.
            acquire = self._kind.acquire
            if wait < 0:
                while rc == _lib.ETIMEDOUT:
                    rc = acquire(handle, _SLICE)
            else:
                rc = acquire(handle, wait)
        if rc == _lib.OK or rc == _lib.EOWNERDEAD:
            # EOWNERDEAD: the previous holder died; the lock is ours (as a robust mutex),
            # and owner_died says so (as on mproc.Lock / RLock).
            self._owner_died = rc == _lib.EOWNERDEAD
            return True
        if rc == _lib.ETIMEDOUT:
            return False
        raise error_for(rc, "%s %r: acquire" % (self._kind.kind, self._name))

    def _lock_release(self):
        rc = self._kind.fast_release(self._h())
        if rc == _lib.ENOTOWNER or rc == _lib.EOVERFLOW:
            raise AssertionError("attempt to release recursive lock not owned by thread")
        check(rc, "%s %r: release" % (self._kind.kind, self._name))

    def get_lock(self):
        """The lock used for this object: its own shared RLock (an ObjectLock) or the
        ``lock=`` object it was created with."""
        self._h()
        if self._lockspec is not True:
            return self._lockspec
        lock = self._lock_ref() if self._lock_ref is not None else None
        if lock is None:
            # Weakly cached: the lock holds this object, a strong cache would be a cycle.
            lock = ObjectLock(self)
            self._lock_ref = weakref.ref(lock)
        return lock

    _lock_ref = None
    _owner_died = False

    @property
    def owner_died(self):
        """True if the last successful acquire of the object's own lock in this process
        took it from a process that died holding it (the data may be half-updated)."""
        return self._owner_died

    def acquire(self, block=True, timeout=None):
        """The lock's acquire: blocks (at most `timeout` s, None: forever) -> bool."""
        if self._lockspec is True:
            return self._lock_acquire(block, timeout)
        return self._lockspec.acquire(block, timeout)

    def release(self):
        """The lock's release (AssertionError / ValueError when not held, as the lock)."""
        if self._lockspec is True:
            return self._lock_release()
        return self._lockspec.release()

    def __enter__(self):
        if self._lockspec is True:
            return self._lock_acquire(True, None)
        return self._lockspec.__enter__()

    def __exit__(self, *args):
        if self._lockspec is True:
            return self._lock_release()
        return self._lockspec.__exit__(*args)


class SharedValue(_SharedCType):
    """One shared item without a lock: RawValue or Value(lock=False). ``.value`` reads and
    writes the item in shared memory, never blocking."""

    _kind = _VALUE
    _close_fn = _VALUE.close
    _unlink_fn = _VALUE.unlink
    _open_fn = _VALUE.open

    @property
    def value(self):
        return self._view().value

    @value.setter
    def value(self, new):
        self._view().value = new


def _locked_property(attr, doc):
    """A property reading and writing the ctypes object's `attr` with the lock held
    (blocking while another thread or process holds it)."""
    def get(self):
        obj = self._view()
        with self:
            return getattr(obj, attr)

    def set_(self, new):
        obj = self._view()
        with self:
            setattr(obj, attr, new)
    return property(get, set_, doc=doc)


class Synchronized(_SynchronizedBase, SharedValue):
    """A Value with a lock (multiprocessing's Synchronized): ``.value`` takes the lock
    around each read and write (blocking while another thread or process holds it)."""

    value = _locked_property("value", "The value, read or written under the lock.")

    def __repr__(self):
        if self._obj is None:
            return "<mproc.Synchronized closed>"
        return "<mproc.Synchronized wrapper for %r name=%r>" % (self._obj, self._name)


class SharedArray(_SharedCType):
    """Shared items without a lock: RawArray or Array(lock=False). Indexing, slicing
    (steps too), assignment, len and iteration behave as on a ctypes array (IndexError,
    ValueError for a slice of another length, TypeError for a bad item); character arrays
    ('c', 'u') have ``.value``, 'c' also ``.raw``. Never blocks."""

    _kind = _ARRAY
    _close_fn = _ARRAY.close
    _unlink_fn = _ARRAY.unlink
    _open_fn = _ARRAY.open

    def __len__(self):
        return len(self._view())

    def __getitem__(self, i):
        return self._view()[i]

    def __setitem__(self, i, value):
        self._view()[i] = value

    def __iter__(self):
        return iter(self._view())

    @property
    def value(self):
        """A character array's content up to the first NUL (bytes for 'c', str for 'u');
        assigning stores it plus a NUL if there is room."""
        if self._typecode not in "cu":
            raise AttributeError("'%s' of type code %r has no attribute 'value'"
                                 % (type(self).__name__, self._typecode))
        return self._view().value

    @value.setter
    def value(self, new):
        if self._typecode not in "cu":
            raise AttributeError("'%s' of type code %r has no attribute 'value'"
                                 % (type(self).__name__, self._typecode))
        self._view().value = new

    @property
    def raw(self):
        """All the bytes of a 'c' array."""
        if self._typecode != "c":
            raise AttributeError("'%s' of type code %r has no attribute 'raw'"
                                 % (type(self).__name__, self._typecode))
        return self._view().raw

    @raw.setter
    def raw(self, new):
        if self._typecode != "c":
            raise AttributeError("'%s' of type code %r has no attribute 'raw'"
                                 % (type(self).__name__, self._typecode))
        self._view().raw = new


class SynchronizedArray(_SynchronizedBase, SharedArray):
    """An Array with a lock (multiprocessing's SynchronizedArray): item and slice access
    take the lock (blocking while it is held elsewhere); len does not."""

    def __len__(self):
        return len(self._view())

    def __getitem__(self, i):
        obj = self._view()
        with self:
            return obj[i]

    def __setitem__(self, i, value):
        obj = self._view()
        with self:
            obj[i] = value

    def __iter__(self):
        # One locked copy rather than one lock per item.
        obj = self._view()
        with self:
            items = list(obj)
        return iter(items)

    # CPython's SynchronizedArray has neither .value nor .raw (SynchronizedString has).
    @property
    def value(self):
        raise AttributeError("'SynchronizedArray' object has no attribute 'value'")

    @property
    def raw(self):
        raise AttributeError("'SynchronizedArray' object has no attribute 'raw'")

    def __repr__(self):
        if self._obj is None:
            return "<mproc.%s closed>" % type(self).__name__
        return "<mproc.%s wrapper for %s[%d] name=%r>" % (
            type(self).__name__, self._typecode, len(self._obj), self._name)


class SynchronizedString(SynchronizedArray):
    """An Array('c') with a lock: also ``.value`` (bytes up to the first NUL) and ``.raw``
    (all the bytes), both under the lock."""

    value = _locked_property("value", "The bytes up to the first NUL, under the lock.")
    raw = _locked_property("raw", "All the bytes, under the lock.")


def _class_for(kind, typecode, synchronized):
    if kind is _VALUE:
        return Synchronized if synchronized else SharedValue
    if not synchronized:
        return SharedArray
    return SynchronizedString if typecode == "c" else SynchronizedArray


def _adopt_handle(kind, handle, name, owns_name, lockspec):
    """The Python object for a fresh handle. lockspec: False raw, True the object's own
    lock, None: its own lock if it has one, else raw; otherwise a lock object."""
    try:
        if lockspec is None:
            lockspec = _has_lock(kind, handle)
        code = ctypes.c_char()
        check(kind.type(handle, ctypes.byref(code), None))
    except BaseException:
        kind.close(handle)
        if owns_name:
            kind.unlink(name.encode())
        raise
    cls = _class_for(kind, code.value.decode(), lockspec is not False)
    obj = cls.__new__(cls)
    obj._adopt(handle, name, owns_name)
    obj._setup(lockspec)
    return obj


def _attach(kind, name, lockspec):
    handle = handle_t()
    check(kind.open(encode_name(name), ctypes.byref(handle)),
          "%s.open(%r)" % ("Value" if kind is _VALUE else "Array", name))
    return _adopt_handle(kind, handle.value, name, False, lockspec)


def _lockspec_of(lock):
    """CPython's rule: False -> raw, True/None -> a lock of the object's own, else any
    object with acquire()."""
    if lock is False:
        return False
    if lock is True or lock is None:
        return True
    if not hasattr(lock, "acquire"):
        raise AttributeError("%r has no method 'acquire'" % (lock,))
    return lock


def _create(kind, code, length, init, lockspec, name, open_existing, mode):
    name, owns_name = SharedObject._new_name(name)
    opts = make_options(open_existing, mode)
    handle = handle_t()
    with_lock = 1 if lockspec is True else 0
    opts_p = ctypes.byref(opts) if opts is not None else None
    init_p = ctypes.addressof(init) if init is not None else None
    if kind is _VALUE:
        rc = _value_create(name.encode(), code.encode(), init_p, with_lock, opts_p,
                           ctypes.byref(handle))
    else:
        rc = _array_create(name.encode(), code.encode(), length, init_p, with_lock, opts_p,
                           ctypes.byref(handle))
    check(rc, "%s(%r, name=%r)" % ("Value" if kind is _VALUE else "Array", code, name))
    if open_existing and lockspec is True and not _has_lock(kind, handle.value):
        kind.close(handle.value)
        raise ValueError("%s %r exists without a lock: open it with lock=False or "
                         "%s.open()" % (kind.kind, name, "Value" if kind is _VALUE
                                        else "Array"))
    return _adopt_handle(kind, handle.value, name, owns_name, lockspec)


# ---- The functions -------------------------------------------------------------------


def RawValue(typecode_or_type, *args, name=None, open_existing=False, mode=None):
    """A shared value without a lock (multiprocessing.RawValue): typecode_or_type is a
    type code ('i', 'd', 'c', ...) or its ctypes type, args initialise it as the ctypes
    type does (no args: zero). name: share it by that name (it lives until unlinked);
    open_existing: use an object of that name if there is one; mode: its permission bits.
    TypeError for a bad type or argument; mproc.ExistsError (a FileExistsError) if the
    name is taken. Never blocks."""
    code = _typecode_of(typecode_or_type)
    init = typecode_to_type[code](*args) if args else None
    return _create(_VALUE, code, 1, init, False, name, open_existing, mode)


def Value(typecode_or_type, *args, lock=True, name=None, open_existing=False, mode=None):
    """A shared value with a lock (multiprocessing.Value). lock True/None: the object's own
    shared RLock (C programs take it with mproc_value_acquire); False: a raw SharedValue
    as RawValue; else any lock object (an mproc Lock / RLock to be shared). Other
    arguments and errors as RawValue; AttributeError if lock has no acquire()."""
    code = _typecode_of(typecode_or_type)
    lockspec = _lockspec_of(lock)
    init = typecode_to_type[code](*args) if args else None
    return _create(_VALUE, code, 1, init, lockspec, name, open_existing, mode)


def _array_init(code, size_or_initializer):
    """(length, ctypes initialiser or None) as CPython's RawArray reads them."""
    ctype = typecode_to_type[code]
    if isinstance(size_or_initializer, int):
        length, init = size_or_initializer, None
        if length < 0:
            raise ValueError("Array length must be >= 0, not %d" % length)
    else:
        items = size_or_initializer
        length = len(items)
        init = (ctype * length)(*items) if length else None
    if length == 0:
        raise ValueError("an mproc Array needs at least one item")
    return length, init


def RawArray(typecode_or_type, size_or_initializer, *, name=None, open_existing=False,
             mode=None):
    """A shared array without a lock (multiprocessing.RawArray): size_or_initializer is a
    length (zeros) or a sequence of items. Other arguments as RawValue. ValueError for a
    negative or zero length, TypeError for a bad item. Never blocks."""
    code = _typecode_of(typecode_or_type)
    length, init = _array_init(code, size_or_initializer)
    return _create(_ARRAY, code, length, init, False, name, open_existing, mode)


def Array(typecode_or_type, size_or_initializer, *, lock=True, name=None,
          open_existing=False, mode=None):
    """A shared array with a lock (multiprocessing.Array): a SynchronizedArray, or a
    SynchronizedString for 'c'. lock as for Value; other arguments and errors as
    RawArray."""
    code = _typecode_of(typecode_or_type)
    lockspec = _lockspec_of(lock)
    length, init = _array_init(code, size_or_initializer)
    return _create(_ARRAY, code, length, init, lockspec, name, open_existing, mode)


# Kind.open / Kind.unlink_name, as for the other kinds: Value.open("v") is synchronized if
# the object has a lock; RawValue.open("v") is always raw.
Value.open = Synchronized.open
Value.unlink_name = SharedValue.unlink_name
RawValue.open = SharedValue.open
RawValue.unlink_name = SharedValue.unlink_name
Array.open = SynchronizedArray.open
Array.unlink_name = SharedArray.unlink_name
RawArray.open = SharedArray.open
RawArray.unlink_name = SharedArray.unlink_name
