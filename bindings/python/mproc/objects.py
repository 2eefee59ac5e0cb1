"""Listing, inspecting and removing shared objects by name, whatever their kind: the
"Operating" section of mproc.h (mproc_object_*), which the `mproc` command-line tool
(ls, show, rm, gc) is built on.

Objects live in /dev/shm until their name is removed, so they outlive the processes that
made them. These calls map an object's file read-only, take no lock and change nothing:
they are safe on an object in use and on a file of garbage (whose ``status`` and
``problem`` then say what is wrong).
"""

import ctypes

from ._lib import check, declare, ETOOBIG
from ._base import encode_name

__all__ = ["object_names", "inspect_object", "remove_object"]

_NAME_MAX = 200  # MPROC_NAME_MAX


class _ObjectInfo(ctypes.Structure):
    """mproc_object_info_t, field for field."""
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("name", ctypes.c_char * (_NAME_MAX + 1)),
        ("kind", ctypes.c_int),
        ("kind_name", ctypes.c_char * 16),
        ("status", ctypes.c_int),
        ("problem", ctypes.c_char * 160),
        ("layout_version", ctypes.c_uint),
        ("bytes", ctypes.c_ulonglong),
        ("mode", ctypes.c_uint),
        ("uid", ctypes.c_uint),
        ("creator_pid", ctypes.c_int),
        ("creator_start_time", ctypes.c_ulonglong),
        ("creator_alive", ctypes.c_int),
        ("users", ctypes.c_int),
        ("holder_pid", ctypes.c_int),
        ("holder_alive", ctypes.c_int),
        ("depth", ctypes.c_ulonglong),
        ("capacity", ctypes.c_ulonglong),
        ("puts", ctypes.c_ulonglong),
        ("gets", ctypes.c_ulonglong),
        ("waits", ctypes.c_ulonglong),
        ("timeouts", ctypes.c_ulonglong),
        ("owner_dead", ctypes.c_ulonglong),
    ]


_info_init = declare("mproc_object_info_init", [ctypes.POINTER(_ObjectInfo)])
_inspect = declare("mproc_object_inspect", [ctypes.c_char_p, ctypes.POINTER(_ObjectInfo)])
_names = declare("mproc_object_names",
                 [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)])
_remove = declare("mproc_object_remove", [ctypes.c_char_p])

_TEXT_FIELDS = ("name", "kind_name", "problem")


def object_names():
    """The names of the objects in /dev/shm, sorted (a snapshot: a name may be gone by
    the time it is inspected)."""
    needed = ctypes.c_size_t(0)
    buf, cap = None, 0
    while True:
        code = _names(buf, cap, ctypes.byref(needed))
        if code != ETOOBIG:
            check(code, "object_names()")
            break
        # Objects made meanwhile may need more: ask again with what it said.
        cap = needed.value + 256
        buf = ctypes.create_string_buffer(cap)
    if buf is None:
        return []
    return [name.decode() for name in buf.raw[:needed.value].split(b"\0")[:-1]]


def inspect_object(name):
    """What the object called `name` is, as a dict with the fields of mproc_object_info_t
    (but size): kind, kind_name, status (0, or the MPROC_E* code that says why the object
    cannot be used, with ``problem`` in words), creator_pid and creator_alive (1 alive,
    0 dead, -1 unknown), users, holder_pid, depth, capacity, the counters... Raises
    FileNotFoundError (NotFoundError) if there is no such name."""
    info = _ObjectInfo()
    check(_info_init(ctypes.byref(info)))
    check(_inspect(encode_name(name), ctypes.byref(info)), "inspect_object(%r)" % (name,))
    result = {}
    for field, _ in _ObjectInfo._fields_:
        if field == "size":
            continue
        value = getattr(info, field)
        result[field] = value.decode(errors="replace") if field in _TEXT_FIELDS else value
    return result


def remove_object(name):
    """Removes the name, whatever it holds (any kind, another version, garbage). Processes
    that have the object open keep using it. Raises FileNotFoundError (NotFoundError) if
    there is no such name."""
    check(_remove(encode_name(name)), "remove_object(%r)" % (name,))
