"""Task references: a C function named by (library, symbol, signature).

A ``Task`` is what mproc runs without Python: whoever runs it dlopen()s the library,
dlsym()s the symbol and calls it through libffi (C ABI section "Tasks"). In this process
``task(*args)`` calls it and returns its result; as the target of an ``mproc.Process`` it
runs in the child with no Python interpreter at all, under every start method (fork, spawn,
forkserver), the child's exit code being the function's int result.

Signature: one result code, then the argument codes in parentheses, e.g. ``"i(i)"`` is
``int f(int)``. Python values map to codes as follows:

=========================  ====================================================
codes                      Python value
=========================  ====================================================
b h i l q n                an int (anything with ``__index__``)
B H I L Q N                a non-negative int
f d                        a float (or an int)
s                          a str (UTF-8) or bytes, without NUL characters
y                          a bytes-like object (passed as data, length)
=========================  ====================================================

Results: ints for integer codes, a float for f/d, a str for s/S (None for a NULL string),
bytes for y/Y, None for v.
"""

import ctypes
import operator
import os

from ._lib import declare, check, handle_t, TooBigError

__all__ = ["Task"]

_SIGNED = "bhilqn"
_UNSIGNED = "BHILQN"
_FLOAT = "fd"


class _Result(ctypes.Structure):
    """mproc_result_t."""
    _fields_ = [("type", ctypes.c_char), ("i", ctypes.c_longlong), ("u", ctypes.c_ulonglong),
                ("d", ctypes.c_double), ("data", ctypes.c_void_p), ("len", ctypes.c_size_t)]


_create = declare("mproc_task_create",
                  [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(handle_t)])
_close = declare("mproc_task_close", [handle_t])
_arg_int = declare("mproc_task_arg_int", [handle_t, ctypes.c_longlong])
_arg_uint = declare("mproc_task_arg_uint", [handle_t, ctypes.c_ulonglong])
_arg_double = declare("mproc_task_arg_double", [handle_t, ctypes.c_double])
_arg_string = declare("mproc_task_arg_string", [handle_t, ctypes.c_char_p])
_arg_bytes = declare("mproc_task_arg_bytes", [handle_t, ctypes.c_char_p, ctypes.c_size_t])
_task_check = declare("mproc_task_check", [handle_t])
_call = declare("mproc_task_call", [handle_t, ctypes.POINTER(_Result)])


def _text(value, what):
    """A str or bytes argument as C string bytes (TypeError / ValueError otherwise)."""
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    elif not isinstance(value, (bytes, bytearray)):
        raise TypeError("%s: expected str or bytes, not %s" % (what, type(value).__name__))
    if b"\0" in value:
        raise ValueError("%s: embedded null character" % what)
    return bytes(value)


class Task:
    """A reference to the C function `symbol` of `library` with `signature`, like a
    function pickled by module and name.

    ``library`` is a path or a name dlopen() accepts ("libc.so.6"), or None for the running
    program and the libraries already in its global scope (libc). Nothing is loaded when
    the Task is made (the library may exist only where the task runs): ``check()`` loads it
    now. Raises ValueError (mproc.InvalidArgumentError) for a malformed signature, TypeError
    for arguments of the wrong type.

    ``task(*args)`` runs the function in the calling thread (releasing the GIL, so other
    threads run meanwhile) and returns its result; it blocks for as long as the function
    runs. A crash inside the function is this process's crash: run untrusted functions in
    ``mproc.Process(target=task, args=...)``. Tasks pickle by (library, symbol, signature)
    and compare equal when those are.
    """

    __slots__ = ("_library", "_symbol", "_signature", "_arg_codes", "_result_code",
                 "__weakref__")

    def __init__(self, library, symbol, signature):
        if library is not None:
            library = os.fspath(library)
            if isinstance(library, bytes):
                library = os.fsdecode(library)
        if not isinstance(symbol, str):
            raise TypeError("symbol must be a str, not %s" % type(symbol).__name__)
        if not isinstance(signature, str):
            raise TypeError("signature must be a str, not %s" % type(signature).__name__)
        self._library = library
        self._symbol = symbol
        self._signature = signature
        # Let the library validate the signature (the one grammar); then read it here.
        _close(self._new_handle())
        self._result_code = signature[0]
        self._arg_codes = signature[signature.index("(") + 1:signature.rindex(")")]

    @property
    def library(self):
        """The library path or name (None: the running program)."""
        return self._library

    @property
    def symbol(self):
        """The function's symbol name."""
        return self._symbol

    @property
    def signature(self):
        """The signature string, e.g. "i(i)"."""
        return self._signature

    def _new_handle(self):
        handle = handle_t()
        lib_name = None if self._library is None else _text(self._library, "library")
        check(_create(lib_name, _text(self._symbol, "symbol"),
                      _text(self._signature, "signature"), ctypes.byref(handle)),
              "Task(%r, %r, %r)" % (self._library, self._symbol, self._signature))
        return handle.value

    def new_handle(self, args=()):
        """Low level: a new C mproc_task_t * for this function with `args` bound, owned by
        the caller (free it with ``Task.close_handle``). TypeError / OverflowError /
        ValueError for arguments that do not fit the signature."""
        args = tuple(args)
        codes = self._arg_codes
        if len(args) != len(codes):
            raise TypeError("%s takes %d argument%s (signature %r), %d given" % (
                self._symbol, len(codes), "" if len(codes) == 1 else "s", self._signature,
                len(args)))
        handle = self._new_handle()
        try:
            for position, (code, value) in enumerate(zip(codes, args)):
                self._add(handle, code, value, "%s() argument %d" % (self._symbol, position + 1))
        except BaseException:
            _close(handle)
            raise
        return handle

    @staticmethod
    def close_handle(handle):
        """Frees a handle made by ``new_handle``."""
        check(_close(handle))

    @staticmethod
    def _add(handle, code, value, what):
        if code in _SIGNED or code in _UNSIGNED:
            if isinstance(value, float):
                raise TypeError("%s: expected int, not float" % what)
            try:
                value = operator.index(value)
            except TypeError:
                raise TypeError("%s: expected int, not %s" % (what, type(value).__name__)) \
                    from None
            if code in _UNSIGNED:
                if not 0 <= value < 1 << 64:
                    raise OverflowError("%s: %d is out of range for code %r" % (what, value, code))
                status = _arg_uint(handle, value)
            else:
                if not -(1 << 63) <= value < 1 << 63:
                    raise OverflowError("%s: %d is out of range for code %r" % (what, value, code))
                status = _arg_int(handle, value)
        elif code in _FLOAT:
            if isinstance(value, (str, bytes, bytearray)):
                raise TypeError("%s: expected float, not %s" % (what, type(value).__name__))
            try:
                value = float(value)
            except TypeError:
                raise TypeError("%s: expected float, not %s" % (what, type(value).__name__)) \
                    from None
            status = _arg_double(handle, value)
        elif code == "s":
            status = _arg_string(handle, _text(value, what))
        elif code == "y":
            if isinstance(value, str):
                raise TypeError("%s: expected a bytes-like object, not str" % what)
            try:
                data = bytes(memoryview(value))
            except TypeError:
                raise TypeError("%s: expected a bytes-like object, not %s" % (
                    what, type(value).__name__)) from None
            status = _arg_bytes(handle, data, len(data))
        else:  # the C library accepted a code this binding does not know
            raise ValueError("%s: unsupported signature code %r" % (what, code))
        try:
            check(status, what)
        except TooBigError as exc:
            raise OverflowError(str(exc)) from None

    def check(self):
        """Loads the library and looks the symbol up now, in this process. Raises
        FileNotFoundError (mproc.NotFoundError) with dlerror()'s message if either is
        missing. Returns None. Does not block beyond loading the library."""
        handle = self._new_handle()
        try:
            check(_task_check(handle), repr(self))
        finally:
            _close(handle)

    def __call__(self, *args):
        """Runs the function here with `args` and returns its result (see the module
        docstring for the types). Blocks while it runs; the GIL is released meanwhile.
        FileNotFoundError (mproc.NotFoundError) if the library or symbol is missing."""
        handle = self.new_handle(args)
        try:
            result = _Result()
            check(_call(handle, ctypes.byref(result)), repr(self))
            return self._convert(result)
        finally:
            _close(handle)

    def _convert(self, result):
        code = result.type.decode()
        if code in _SIGNED or code == "i":
            return result.i
        if code in _UNSIGNED:
            return result.u
        if code in _FLOAT:
            return result.d
        if code in "sS":
            if not result.data:
                return None
            return ctypes.string_at(result.data, result.len).decode("utf-8", "surrogateescape")
        if code in "yY":
            return ctypes.string_at(result.data, result.len) if result.data else b""
        return None  # 'v'

    def __reduce__(self):
        return (Task, (self._library, self._symbol, self._signature))

    def __eq__(self, other):
        if not isinstance(other, Task):
            return NotImplemented
        return (self._library, self._symbol, self._signature) == \
            (other._library, other._symbol, other._signature)

    def __hash__(self):
        return hash((self._library, self._symbol, self._signature))

    def __repr__(self):
        return "mproc.Task(%r, %r, %r)" % (self._library, self._symbol, self._signature)
