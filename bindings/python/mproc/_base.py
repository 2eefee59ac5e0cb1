"""What every named shared object of the package has in common: its handle, its name,
closing, unlinking, and pickling by name.

Naming policy (documented in bindings/python/README.md):
- ``name="jobs"``: a named object that any process in any language opens with that name.
  It lives until someone unlinks it (``obj.unlink()`` or ``Kind.unlink("jobs")``), like
  the C objects.
- no name: the object still gets a unique name (``mp-<pid>-<n>-<random>``) so that it can
  be pickled and opened by spawned children, and the process that created it unlinks
  that name when the object is closed or garbage collected (children that opened it keep
  their mapping). This is multiprocessing's rule for its named semaphores.
- ``Kind.open("jobs")`` attaches to an existing object; it never unlinks.
Pickling (for a spawned child, a Queue, a Pool task) sends only the kind and the name;
unpickling opens the name.
"""

import ctypes
import itertools
import os
import secrets
import threading
import weakref

from ._lib import lib, declare, check, handle_t

__all__ = ["SharedObject", "make_options", "Options", "auto_name", "name_of", "encode_name",
           "unlink_fn_for", "close_fn_for", "open_fn_for"]

NAME_MAX = 200
OPEN_EXISTING = 0x1


class Options(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("flags", ctypes.c_uint),
                ("permissions", ctypes.c_uint)]


_options_init = declare("mproc_options_init", [ctypes.POINTER(Options)])


def make_options(open_existing=False, mode=None):
    """An mproc_options_t for a create call (None when every field is the default)."""
    if not open_existing and mode is None:
        return None
    opts = Options()
    check(_options_init(ctypes.byref(opts)))
    if open_existing:
        opts.flags |= OPEN_EXISTING
    if mode is not None:
        opts.permissions = int(mode)
    return opts


_counter = itertools.count(1)
_counter_lock = threading.Lock()


def auto_name(prefix="mp"):
    """A name no other live object has: pid, a per-process counter and 32 random bits."""
    with _counter_lock:
        n = next(_counter)
    return "%s-%d-%d-%s" % (prefix, os.getpid(), n, secrets.token_hex(4))


def encode_name(name):
    """A Python str (or None) as the bytes the C ABI takes, with a clear error."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError("name must be a str, not %s" % type(name).__name__)
    return name.encode()


def name_of(name_fn, handle):
    buf = ctypes.create_string_buffer(NAME_MAX + 1)
    check(name_fn(handle, buf, len(buf)))
    return buf.value.decode()


def _release(close_fn, handle, unlink_fn, name, creator_pid):
    """The finalizer: close the handle; unlink an automatic name in its creator only."""
    close_fn(handle)
    if unlink_fn is not None and os.getpid() == creator_pid:
        unlink_fn(name)


def _reopen(cls, name):
    return cls.open(name)


class SharedObject:
    """Base of every kind. Subclasses set ``_close_fn`` and ``_unlink_fn`` (the C
    functions) and call ``_adopt`` with a fresh handle."""

    _close_fn = None  # mproc_<kind>_close
    _unlink_fn = None  # mproc_<kind>_unlink
    _open_fn = None  # mproc_<kind>_open(const char *, handle *)
    _handle = None
    _name = None

    def _adopt(self, handle, name, owns_name):
        """Takes ownership of `handle`. owns_name: this process made up the name and
        unlinks it when the object goes away."""
        self._handle = handle
        self._name = name
        unlink = type(self)._unlink_fn if owns_name else None
        self._finalizer = weakref.finalize(
            self, _release, type(self)._close_fn, handle, unlink,
            name.encode() if name is not None else None, os.getpid())

    @property
    def name(self):
        """The object's name in shared memory: what ``open`` and other languages take."""
        return self._name

    @property
    def closed(self):
        return self._handle is None or not self._finalizer.alive

    def close(self):
        """Releases this process's handle (calls blocked on it fail); the object itself
        lives on while others use it. Idempotent."""
        if self._handle is not None:
            self._finalizer()

    def unlink(self):
        """Removes the name, so that no one else can open it; open handles keep working."""
        self.unlink_name(self._name)
        if self._finalizer.alive:
            # Nothing left to unlink at close.
            self._finalizer.detach()
            handle = self._handle
            self._finalizer = weakref.finalize(self, type(self)._close_fn, handle)

    @classmethod
    def unlink_name(cls, name):
        """Removes the name `name` (of this kind of object): Kind.unlink_name("jobs")."""
        check(cls._unlink_fn(encode_name(name)), "%s.unlink_name(%r)" % (cls.__name__, name))

    @classmethod
    def open(cls, name):
        """Attaches to the existing object `name`, created by any process in any language.
        Raises FileNotFoundError (mproc.NotFoundError) if there is none, TypeError
        (mproc.KindError / VersionError) if the name holds another kind or version."""
        handle = handle_t()
        check(cls._open_fn(encode_name(name), ctypes.byref(handle)),
              "%s.open(%r)" % (cls.__name__, name))
        obj = cls.__new__(cls)
        obj._adopt(handle.value, name, owns_name=False)
        obj._opened()
        return obj

    def _opened(self):
        """Called on an object made by open (or unpickling): read what the subclass keeps
        in Python attributes from the shared object. Default: nothing."""

    @staticmethod
    def _new_name(name):
        """(name to create, whether this process owns and unlinks it): an automatic name
        when the caller gave none."""
        if name is None:
            return auto_name(), True
        encode_name(name)  # type check
        return name, False

    def _h(self):
        """The live handle, or ValueError once closed (as multiprocessing objects say)."""
        if self._handle is None or not self._finalizer.alive:
            raise ValueError("%s is closed" % type(self).__name__)
        return self._handle

    def __reduce__(self):
        if self._name is None:
            raise TypeError("this %s has no name and cannot be pickled" % type(self).__name__)
        return _reopen, (type(self), self._name)

    def __repr__(self):
        state = "closed" if self.closed else "name=%r" % (self._name,)
        return "<mproc.%s %s>" % (type(self).__name__, state)


def unlink_fn_for(kind):
    """Declares mproc_<kind>_unlink(const char *)."""
    return declare("mproc_%s_unlink" % kind, [ctypes.c_char_p])


def close_fn_for(kind):
    return declare("mproc_%s_close" % kind, [handle_t])


def open_fn_for(kind):
    """Declares mproc_<kind>_open(const char *, mproc_<kind>_t **)."""
    return declare("mproc_%s_open" % kind, [ctypes.c_char_p, ctypes.POINTER(handle_t)])
