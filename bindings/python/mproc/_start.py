"""The process-wide default start method (multiprocessing.set_start_method's state).

Kept apart from process.py and context.py so both can read it without importing each
other. mproc's C default (mproc_set_start_method) follows it, so that C code started from
this process (pools, C libraries) sees the same default.
"""

import ctypes

from ._lib import declare, check

METHODS = ("fork", "spawn", "forkserver")
CODES = {"fork": 1, "spawn": 2, "forkserver": 3}
DEFAULT = "fork"  # mproc's and CPython 3.11's default on Linux

_set_c = declare("mproc_set_start_method", [ctypes.c_int])

_actual = None  # None: not set yet (get_start_method(allow_none=True) returns None)


def validate(method):
    """`method` if it names a start method, else ValueError as multiprocessing raises."""
    if method not in METHODS:
        raise ValueError("cannot find context for %r" % (method,))
    return method


def get(allow_none=False):
    """The default start method; fixes it to "fork" on first use unless allow_none."""
    global _actual
    if _actual is None:
        if allow_none:
            return None
        _actual = DEFAULT
    return _actual


def set(method, force=False):
    """Sets the default start method once (again only with force; None with force resets).
    RuntimeError if already set without force, ValueError for an unknown method."""
    global _actual
    if _actual is not None and not force:
        raise RuntimeError("context has already been set")
    if method is None and force:
        _actual = None
        check(_set_c(0))
        return
    validate(method)
    check(_set_c(CODES[method]))
    _actual = method


def force(method):
    """Sets it unconditionally (a child inherits its parent's method)."""
    set(method, force=True)
