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
EBROKEN, ENOMEM, EPERM, ESYSTEM, EEOF, EPIPE, EFAILED, ECANCELLED = (
    -15, -16, -17, -18, -19, -20, -21, -22)


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

_CLASSES = {
    EINVAL: InvalidArgumentError, EBADHANDLE: BadHandleError, ETIMEDOUT: TimeoutExpired,
    EEMPTY: EmptyError, EFULL: FullError, ECLOSED: ClosedError, EOWNERDEAD: OwnerDiedError,
    ENOTFOUND: NotFoundError, EEXIST: ExistsError, EKIND: KindError, EVERSION: VersionError,
    ETOOBIG: TooBigError, ENOTOWNER: NotOwnerError, EOVERFLOW: OverflowValueError,
    EBROKEN: BrokenError, ENOMEM: NoMemoryError, EPERM: PermissionDeniedError,
    ESYSTEM: SystemCallError, EEOF: EndOfStreamError, EPIPE: PipeClosedError,
    EFAILED: FailedError, ECANCELLED: CancelledFutureError,
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
