"""Contexts: multiprocessing.get_context's objects, bound to a start method.

A context has the package's public names as attributes (Process, Queue, Lock, Pool, ...),
looked up lazily in the ``mproc`` package so that this module does not depend on the
modules that define them. ``ctx.Process`` is a Process class bound to the context's start
method; ``ctx.Pool(...)`` passes ``context=ctx`` unless given. multiprocessing's exception
classes (ProcessError, TimeoutError, ...) come from the package if it defines them, else
from multiprocessing.
"""

import ctypes

from ._lib import declare, check
from . import _start
from . import process

__all__ = ["BaseContext", "DefaultContext", "ForkContext", "SpawnContext",
           "ForkServerContext", "get_context", "cpu_count"]

_cpu_count = declare("mproc_cpu_count", [ctypes.POINTER(ctypes.c_int)])

_EXCEPTIONS = ("ProcessError", "BufferTooShort", "TimeoutError", "AuthenticationError")


def cpu_count():
    """The CPUs this process may run on (its affinity mask), at least 1."""
    n = ctypes.c_int()
    check(_cpu_count(ctypes.byref(n)))
    return n.value


class BaseContext:
    """The names of the package with a start method bound (see the module docstring)."""

    _name = None
    Process = process.Process

    current_process = staticmethod(process.current_process)
    parent_process = staticmethod(process.parent_process)
    active_children = staticmethod(process.active_children)
    freeze_support = staticmethod(process.freeze_support)
    set_executable = staticmethod(process.set_executable)
    set_forkserver_preload = staticmethod(process.set_forkserver_preload)

    def cpu_count(self):
        return cpu_count()

    def get_context(self, method=None):
        """This context (method None) or the one of `method`."""
        if method is None:
            return self
        return _concrete[_start.validate(method)]

    def get_start_method(self, allow_none=False):
        return self._name

    def set_start_method(self, method, force=False):
        raise ValueError("cannot set start method of concrete context")

    def get_all_start_methods(self):
        return process.get_all_start_methods()

    def Pool(self, *args, **kwargs):
        """mproc.Pool with context=self (unless given)."""
        import mproc
        kwargs.setdefault("context", self)
        return mproc.Pool(*args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        import mproc
        try:
            return getattr(mproc, name)
        except AttributeError:
            if name in _EXCEPTIONS:
                import multiprocessing
                return getattr(multiprocessing, name)
            raise AttributeError("mproc context has no attribute %r" % name) from None

    def __repr__(self):
        return "<mproc context %r>" % (self.get_start_method(allow_none=True),)


class ForkContext(BaseContext):
    _name = "fork"
    Process = process.ForkProcess


class SpawnContext(BaseContext):
    _name = "spawn"
    Process = process.SpawnProcess


class ForkServerContext(BaseContext):
    _name = "forkserver"
    Process = process.ForkServerProcess


_concrete = {"fork": ForkContext(), "spawn": SpawnContext(), "forkserver": ForkServerContext()}


class DefaultContext(BaseContext):
    """The module-level context: its Process uses the default start method at start()."""

    Process = process.Process

    def get_context(self, method=None):
        if method is None:
            return _concrete[_start.get()]
        return super().get_context(method)

    def set_start_method(self, method, force=False):
        _start.set(method, force)

    def get_start_method(self, allow_none=False):
        return _start.get(allow_none)


_default_context = DefaultContext()


def get_context(method=None):
    """multiprocessing.get_context: the context of `method` (None: the default method's,
    fixing the default to "fork" if unset). ValueError for an unknown method."""
    return _default_context.get_context(method)
