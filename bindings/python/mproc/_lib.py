"""Loading libmproc and turning its status codes into Python exceptions.

Every other module of the package calls the C ABI of ``include/mproc/mproc.h`` through
the ``lib`` object here (``ctypes.CDLL``: the GIL is released during each call) and
checks each status with ``check``. ``pylib`` is the same library loaded as
``ctypes.PyDLL`` (the GIL stays held), for the one call that must fork with it held.
"""

import ctypes
import ctypes.util
import os

__all__ = [
    "lib", "pylib", "library_path", "check", "error_for", "declare", "to_timeout",
    "MprocError", "handle_t",
]

# ---- Finding the library -------------------------------------------------------------

_SONAME = "libmproc.so.0"


def _installed_libdir(here):
    """The libdir that `cmake --install` wrote into _install_paths.py (installed packages
    only: the source tree has no such file), or None."""
    try:
        from . import _install_paths
    except ImportError:
        return None
    return os.path.normpath(os.path.join(here, _install_paths.LIBDIR))


def _candidates():
    """Where libmproc is looked for, in order: $MPROC_LIBRARY; the install's libdir
    (recorded by `cmake --install` in _install_paths.py, relative to the package, so any
    layout and prefix); next to the package; the prefix's lib from a
    <prefix>/lib/pythonX/site-packages/mproc layout; then the system's search path."""
    env = os.environ.get("MPROC_LIBRARY")
    if env:
        yield env, "$MPROC_LIBRARY"
    here = os.path.dirname(os.path.abspath(__file__))
    libdir = _installed_libdir(here)
    if libdir:
        yield os.path.join(libdir, _SONAME), "the install's libdir (_install_paths.py)"
    for folder in (here, os.path.dirname(here)):
        yield os.path.join(folder, _SONAME), "next to the package"
    # <prefix>/lib/python3.X/site-packages/mproc -> <prefix>/lib, <prefix>/lib/<multiarch>
    prefix_lib = os.path.normpath(os.path.join(here, "..", "..", ".."))
    yield os.path.join(prefix_lib, _SONAME), "the install prefix's lib"
    found = ctypes.util.find_library("mproc")
    yield (found or _SONAME), "the system search path"


def _load():
    tried = []
    for path, where in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append("%s (%s): no such file" % (path, where))
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as exc:
            tried.append("%s (%s): %s" % (path, where, exc))
    raise ImportError(
        "mproc: cannot load libmproc. Set MPROC_LIBRARY to the path of libmproc.so, or "
        "install mproc (cmake --install). Tried:\n  " + "\n  ".join(tried))


lib, library_path = _load()
pylib = ctypes.PyDLL(library_path)

handle_t = ctypes.c_void_p  # every mproc_*_t * is an opaque pointer


def declare(name, argtypes, restype=ctypes.c_int, dll=None):
    """Gives lib.<name> its prototype (int status unless restype says otherwise) and
    returns the function. Prototypes are what make ctypes check and convert arguments."""
    fn = getattr(dll or lib, name)
    fn.argtypes = argtypes
    fn.restype = restype
    return fn


_strerror = declare("mproc_strerror", [ctypes.c_int], ctypes.c_char_p)
_errname = declare("mproc_errname", [ctypes.c_int], ctypes.c_char_p)
_last_error = declare("mproc_last_error", [], ctypes.c_char_p)
version = declare("mproc_version", [], ctypes.c_char_p)().decode()

# ---- Errors --------------------------------------------------------------------------

OK = 0
EINVAL, EBADHANDLE, ETIMEDOUT, EEMPTY, EFULL, ECLOSED, EOWNERDEAD = -1, -2, -3, -4, -5, -6, -7
ENOTFOUND, EEXIST, EKIND, EVERSION, ETOOBIG, ENOTOWNER, EOVERFLOW = -8, -9, -10, -11, -12, -13, -14
EBROKEN, ENOMEM, EPERM, ESYSTEM, EEOF, EPIPE, EFAILED, ECANCELLED, ECORRUPT = (
    -15, -16, -17, -18, -19, -20, -21, -22, -23)


class MprocError(Exception):
    """An mproc call failed. ``code`` is the MPROC_E* status (negative), ``errname`` its
    macro name, and the message is mproc's own (what, which object, which errno).
    Each code has a subclass that also derives from the matching Python exception, so
    ``except FileNotFoundError`` catches an open of a missing name."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.errname = _errname(code).decode()


def _error_class(name, *bases):
    return type(name, (MprocError,) + bases, {"__module__": "mproc"})


InvalidArgumentError = _error_class("InvalidArgumentError", ValueError)
BadHandleError = _error_class("BadHandleError", ValueError)
TimeoutExpired = _error_class("TimeoutExpired", TimeoutError)
EmptyError = _error_class("EmptyError")
FullError = _error_class("FullError")
ClosedError = _error_class("ClosedError", ValueError)
OwnerDiedError = _error_class("OwnerDiedError")
NotFoundError = _error_class("NotFoundError", FileNotFoundError)
ExistsError = _error_class("ExistsError", FileExistsError)
KindError = _error_class("KindError", TypeError)
VersionError = _error_class("VersionError", TypeError)
TooBigError = _error_class("TooBigError", ValueError)
NotOwnerError = _error_class("NotOwnerError", RuntimeError)
OverflowValueError = _error_class("OverflowValueError", ValueError)
BrokenError = _error_class("BrokenError", RuntimeError)
NoMemoryError = _error_class("NoMemoryError", MemoryError)
PermissionDeniedError = _error_class("PermissionDeniedError", PermissionError)
SystemCallError = _error_class("SystemCallError", OSError)
EndOfStreamError = _error_class("EndOfStreamError", EOFError)
PipeClosedError = _error_class("PipeClosedError", BrokenPipeError)
FailedError = _error_class("FailedError", ChildProcessError)
CancelledFutureError = _error_class("CancelledFutureError")
CorruptError = _error_class("CorruptError", RuntimeError)

_CLASSES = {
    EINVAL: InvalidArgumentError, EBADHANDLE: BadHandleError, ETIMEDOUT: TimeoutExpired,
    EEMPTY: EmptyError, EFULL: FullError, ECLOSED: ClosedError, EOWNERDEAD: OwnerDiedError,
    ENOTFOUND: NotFoundError, EEXIST: ExistsError, EKIND: KindError, EVERSION: VersionError,
    ETOOBIG: TooBigError, ENOTOWNER: NotOwnerError, EOVERFLOW: OverflowValueError,
    EBROKEN: BrokenError, ENOMEM: NoMemoryError, EPERM: PermissionDeniedError,
    ESYSTEM: SystemCallError, EEOF: EndOfStreamError, EPIPE: PipeClosedError,
    EFAILED: FailedError, ECANCELLED: CancelledFutureError, ECORRUPT: CorruptError,
}


def last_error():
    """The calling thread's message for its last failed mproc call."""
    return _last_error().decode(errors="replace")


def error_for(code, context=None):
    """The exception for status `code`, with mproc's message for this thread's last
    failure (call it right after the failing call, on the same thread)."""
    message = last_error() or _strerror(code).decode()
    if context:
        message = "%s: %s" % (context, message)
    return _CLASSES.get(code, MprocError)(code, message)


def check(code, context=None):
    """Raises the exception for a negative status; returns 0 otherwise."""
    if code:
        raise error_for(code, context)
    return code


def to_timeout(block=True, timeout=None):
    """multiprocessing's (block, timeout) as mproc's double: -1 forever, 0 try once.
    A negative Python timeout means "do not wait", as in multiprocessing.Lock.acquire."""
    if not block:
        return 0.0
    if timeout is None:
        return -1.0
    timeout = float(timeout)
    if timeout != timeout:  # NaN
        raise ValueError("timeout must be a number, not NaN")
    return max(timeout, 0.0)


# ---- Dict and List (shared containers) -----------------------------------------------
# The prototypes of the "Dict and List" section of mproc.h. They are declared here, on
# `lib` (GIL released: for calls that may wait), and containers.py makes PyDLL twins from
# the same table for its first try (timeout 0, GIL held). A library built before the
# containers existed lacks these symbols: then CONTAINERS is False and creating a
# container says so, instead of `import mproc` failing for every other kind.


class Bytes(ctypes.Structure):
    """mproc_bytes_t: one byte string passed in. `data` is a c_char_p (the ABI's
    const void *), so assigning a bytes object keeps it alive with the array."""
    _fields_ = [("data", ctypes.c_char_p), ("len", ctypes.c_size_t)]


_v, _sz, _d, _i = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_double, ctypes.c_int
_szp, _vp, _ip = ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_void_p), \
    ctypes.POINTER(ctypes.c_int)
_ll, _hp = ctypes.c_longlong, ctypes.POINTER(handle_t)
_bp = ctypes.POINTER(Bytes)
_cs = ctypes.c_char_p

CONTAINER_PROTOTYPES = {
    # name: argtypes (every one returns an int status)
    "mproc_dict_create": [_cs, _sz, _sz, _v, _hp],
    "mproc_dict_open": [_cs, _hp],
    "mproc_dict_close": [handle_t],
    "mproc_dict_unlink": [_cs],
    "mproc_dict_name": [handle_t, _cs, _sz],
    "mproc_dict_set": [handle_t, _cs, _sz, _cs, _sz, _d],
    "mproc_dict_get": [handle_t, _cs, _sz, _v, _sz, _szp, _d],
    "mproc_dict_get_alloc": [handle_t, _cs, _sz, _vp, _szp, _d],
    "mproc_dict_contains": [handle_t, _cs, _sz, _ip, _d],
    "mproc_dict_setdefault": [handle_t, _cs, _sz, _cs, _sz, _vp, _szp, _ip, _d],
    "mproc_dict_pop": [handle_t, _cs, _sz, _vp, _szp, _d],
    "mproc_dict_delete": [handle_t, _cs, _sz, _d],
    "mproc_dict_popitem": [handle_t, _vp, _szp, _vp, _szp, _d],
    "mproc_dict_len": [handle_t, _szp, _d],
    "mproc_dict_clear": [handle_t, _d],
    "mproc_dict_update": [handle_t, _bp, _bp, _sz, _d],
    "mproc_dict_keys": [handle_t, _vp, _szp, _szp, _d],
    "mproc_dict_items": [handle_t, _vp, _szp, _szp, _d],
    "mproc_dict_acquire": [handle_t, _d],
    "mproc_dict_release": [handle_t],
    "mproc_dict_memory": [handle_t, _szp, _szp, _szp, _d],
    "mproc_list_create": [_cs, _sz, _sz, _v, _hp],
    "mproc_list_open": [_cs, _hp],
    "mproc_list_close": [handle_t],
    "mproc_list_unlink": [_cs],
    "mproc_list_name": [handle_t, _cs, _sz],
    "mproc_list_append": [handle_t, _cs, _sz, _d],
    "mproc_list_extend": [handle_t, _bp, _sz, _d],
    "mproc_list_get": [handle_t, _ll, _v, _sz, _szp, _d],
    "mproc_list_get_alloc": [handle_t, _ll, _vp, _szp, _d],
    "mproc_list_set": [handle_t, _ll, _cs, _sz, _d],
    "mproc_list_insert": [handle_t, _ll, _cs, _sz, _d],
    "mproc_list_pop": [handle_t, _ll, _vp, _szp, _d],
    "mproc_list_len": [handle_t, _szp, _d],
    "mproc_list_slice": [handle_t, _ll, _ll, _vp, _szp, _szp, _d],
    "mproc_list_set_slice": [handle_t, _ll, _ll, _bp, _sz, _d],
    "mproc_list_acquire": [handle_t, _d],
    "mproc_list_release": [handle_t],
    "mproc_list_memory": [handle_t, _szp, _szp, _szp, _d],
    "mproc_records_next": [_v, _sz, _szp, _vp, _szp],
}

free = declare("mproc_free", [ctypes.c_void_p])

CONTAINERS = all(hasattr(lib, name) for name in CONTAINER_PROTOTYPES)
if CONTAINERS:
    for _name, _args in CONTAINER_PROTOTYPES.items():
        declare(_name, _args)
    del _name, _args
del _v, _sz, _d, _i, _szp, _vp, _ip, _ll, _hp, _bp, _cs
