"""Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition and Barrier in shared memory.

Drop-ins for multiprocessing's synchronization primitives (same signatures, return values,
exceptions and timeout semantics), built on the Lock ... Barrier sections of
include/mproc/mproc.h. Every object also has a name: ``Lock(name="jobs")`` is the lock a C
program opens with ``mproc_lock_open("jobs", &l)``; ``Lock.open("jobs")`` attaches to one
made by anyone; pickling sends the name only (children started by mproc or by CPython's
multiprocessing with any start method, queues, pools).

mproc's extensions and deviations (documented in bindings/python/README.md):
- ``Lock`` / ``RLock`` / ``Condition``: when the process that held the lock died, the next
  acquire succeeds (True) and sets ``owner_died = True`` on the object; every other
  successful acquire sets it to False. The data the lock protected may be half-updated.
- A wait whose timeout is None waits in slices of ``_SLICE`` seconds so that Ctrl-C gets
  through, where a retry changes nothing (Lock, RLock, Semaphore acquire, Event.wait).
  Condition.wait and Barrier.wait are never sliced (a timeout there has side effects: a
  lost notification, a broken barrier), so they are not interruptible by Ctrl-C.
- Barrier's action is a per-process Python callable: see ``Barrier``.
"""

import ctypes
import operator
import threading
import time

from ._base import SharedObject, make_options, encode_name, Options
from ._base import close_fn_for, unlink_fn_for, open_fn_for
from ._lib import (
    declare, pylib, check, error_for, handle_t, KindError,
    EOWNERDEAD, ETIMEDOUT, ENOTOWNER, EOVERFLOW, EBROKEN, EKIND,
)

__all__ = ["Lock", "RLock", "Semaphore", "BoundedSemaphore", "Event", "Condition", "Barrier"]

# A forever wait is made of waits this long, with a return to the interpreter (where
# Ctrl-C is raised) between them.
_SLICE = 0.25

_c_uint_p = ctypes.POINTER(ctypes.c_uint)
_c_int_p = ctypes.POINTER(ctypes.c_int)
_opts_p = ctypes.POINTER(Options)
_out_p = ctypes.POINTER(handle_t)


def _fns(name, argtypes):
    """(blocking, quick): the function through CDLL (GIL released: for calls that may
    block) and through PyDLL (GIL held: cheaper, for calls that never block)."""
    return declare(name, argtypes), declare(name, argtypes, dll=pylib)


def _seconds(block, timeout):
    """multiprocessing's (block, timeout) as seconds: None = forever, 0.0 = try once.
    TypeError for a non-number (as multiprocessing), ValueError for NaN."""
    if not block:
        return 0.0
    if timeout is None:
        return None
    if isinstance(timeout, (str, bytes, bytearray)):
        raise TypeError("must be real number, not %s" % type(timeout).__name__)
    timeout = float(timeout)
    if timeout != timeout:
        raise ValueError("timeout must be a number, not NaN")
    if timeout == float("inf"):
        return None
    return max(timeout, 0.0)


def _wait(fn, obj, seconds, *extra):
    """Calls the blocking fn(handle, timeout, *extra) once for a finite timeout, or in
    slices for a forever one (only for waits a retry does not change). Returns the status."""
    if seconds is not None:
        return fn(obj._live(), seconds, *extra)
    while True:
        # Re-read the handle each slice: another thread may have closed the object.
        code = fn(obj._live(), _SLICE, *extra)
        if code != ETIMEDOUT:
            return code


def _exit(self, *exc):
    """__exit__ of the lock-like kinds: releases."""
    self.release()


def _closed(obj):
    return ValueError("%s is closed" % type(obj).__name__)


class _SyncObject(SharedObject):
    """What the kinds here share: a handle read without a method call on the hot paths
    (``_handle`` is None once closed), creation with the common options, and the C
    close/unlink/open functions of the kind named in the class statement
    (``class Lock(_SyncObject, kind="lock")``)."""

    def __init_subclass__(cls, kind=None, **kwargs):
        super().__init_subclass__(**kwargs)
        if kind is not None:
            cls._close_fn = close_fn_for(kind)
            cls._unlink_fn = unlink_fn_for(kind)
            cls._open_fn = open_fn_for(kind)

    def _create(self, create_fn, name, open_existing, mode, *args):
        name, owns = self._new_name(name)
        handle = handle_t()
        opts = make_options(open_existing, mode)
        check(create_fn(encode_name(name), *args, opts, ctypes.byref(handle)),
              "%s(name=%r)" % (type(self).__name__, name))
        self._adopt(handle.value, name, owns)

    def _live(self):
        """The handle, or ValueError once closed."""
        handle = self._handle
        if handle is None:
            raise _closed(self)
        return handle

    def close(self):
        """Releases this process's handle: calls blocked on it in other threads fail with
        ValueError (mproc.ClosedError); the object lives on for other processes and
        handles. Later calls on this object raise ValueError. Idempotent."""
        if self._handle is not None:
            # Clear first, so that other threads stop using the handle being freed.
            self._handle = None
            self._finalizer()

    def _get(self, fn, ctype=ctypes.c_uint):
        """The value a getter fn(handle, &out) returns."""
        out = ctype()
        check(fn(self._live(), ctypes.byref(out)))
        return out.value


def _acquire_method(blocking_fn, try_fn, doc):
    """Builds the acquire method of a lock-like kind (Lock, RLock, Condition) from its C
    acquire function: `try_fn` through PyDLL (the quick try, GIL held), `blocking_fn`
    through CDLL. They are closure cells, so the uncontended path stays one ctypes call
    with no extra Python call layer."""

    def acquire(self, block=True, timeout=None):
        handle = self._handle
        if handle is None:
            raise _closed(self)
        if timeout is not None or not block:
            timeout = _seconds(block, timeout)
        # The uncontended path: one call, GIL held (a try never blocks). While the lock is
        # contended, go straight to the blocking call (see _acquire_slow).
        if self._contended:
            return _acquire_slow(self, None, blocking_fn, timeout)
        code = try_fn(handle, 0.0)
        if code == 0:
            self.owner_died = False
            return True
        return _acquire_slow(self, code, blocking_fn, timeout)

    acquire.__doc__ = doc
    return acquire


def _release_method(release_fn, context, not_owner, doc):
    """Builds the release method of a lock-like kind from its (PyDLL) C release function;
    `not_owner(obj)` makes the exception multiprocessing raises when the caller does not
    hold the lock; `context` names the call in other errors."""

    def release(self):
        handle = self._handle
        if handle is None:
            raise _closed(self)
        code = release_fn(handle)
        if code:
            if code == ENOTOWNER:
                raise not_owner(self)
            check(code, context)

    release.__doc__ = doc
    return release


def _lock_not_owner(_obj):
    return ValueError("semaphore or lock released too many times")


def _rlock_not_owner(_obj):
    return AssertionError("attempt to release recursive lock not owned by thread")


def _cond_not_owner(cond):
    return (_lock_not_owner if cond._lock_kind == "Lock" else _rlock_not_owner)(cond)


# ---- Lock ----------------------------------------------------------------------------

_lock_create = declare("mproc_lock_create", [ctypes.c_char_p, _opts_p, _out_p])
_lock_acquire, _lock_try = _fns("mproc_lock_acquire", [handle_t, ctypes.c_double])
_, _lock_release = _fns("mproc_lock_release", [handle_t])


class _LockLike(_SyncObject):
    """What Lock, RLock and Condition share: ``owner_died``, the contention counter of
    the quick try (see _acquire_slow), release on ``with`` exit, and (for Lock and
    RLock) creation from the class's ``_create_fn``. Subclasses set ``acquire`` and
    ``__enter__ = acquire`` themselves (no extra call layer on ``with``)."""

    owner_died = False
    _contended = 0  # acquires left that skip the quick try (see _acquire_slow)
    __exit__ = _exit

    def __init__(self, *, name=None, open_existing=False, mode=None):
        self._create(type(self)._create_fn, name, open_existing, mode)


class Lock(_LockLike, kind="lock"):
    """A non-recursive lock, like multiprocessing.Lock: once held, any thread of any
    process may release it.

    ``Lock(*, name=None, open_existing=False, mode=None)`` creates it unlocked (see the
    package's naming policy); ``Lock.open(name)`` attaches to an existing one.

    ``owner_died`` (mproc's extension): True after an acquire that took the lock over from
    a process that died holding it (detected within 100 ms), False after any other
    successful acquire."""

    _create_fn = _lock_create

    acquire = _acquire_method(
        _lock_acquire, _lock_try,
        """Acquires the lock; returns True, or False if it could not within `timeout`
        seconds (block=False or timeout <= 0: try once; None: wait forever, interruptible
        by Ctrl-C). ValueError if the object is closed (also when closed meanwhile).""")
    __enter__ = acquire  # returns True, as multiprocessing's

    release = _release_method(
        _lock_release, "Lock.release", _lock_not_owner,
        """Releases the lock (from any thread or process). Never blocks. ValueError
        "semaphore or lock released too many times" if it is not held, as
        multiprocessing.""")


# How many acquires skip the quick try after one found the lock taken. A failed try of a
# robust lock is not cheap (it checks that the owner process lives: system calls) and
# must be followed by the blocking call anyway; under contention, going straight to the
# blocking call (which also takes a free lock at once) is faster.
_CONTENDED_ROUNDS = 64


def _acquire_slow(obj, code, blocking_fn, timeout):
    """An acquire past the quick try: `code` is the try's status, or None if the try was
    skipped (recently contended). Returns acquire's bool."""
    if code is None:
        obj._contended -= 1
    elif code != ETIMEDOUT or timeout == 0.0:
        return _acquired(obj, code)
    else:
        obj._contended = _CONTENDED_ROUNDS
    return _acquired(obj, _wait(blocking_fn, obj, timeout))


def _acquired(obj, code, what="acquire"):
    """The bool result of an acquire that did not succeed at its first try (or of a
    Condition.wait that was notified: `what` names the call in errors)."""
    if code == 0:
        obj.owner_died = False
        return True
    if code == EOWNERDEAD:
        obj.owner_died = True
        return True
    if code == ETIMEDOUT:
        return False
    raise error_for(code, "%s.%s" % (type(obj).__name__, what))


# ---- RLock ---------------------------------------------------------------------------

_rlock_create = declare("mproc_rlock_create", [ctypes.c_char_p, _opts_p, _out_p])
_rlock_acquire, _rlock_try = _fns("mproc_rlock_acquire", [handle_t, ctypes.c_double])
_, _rlock_release = _fns("mproc_rlock_release", [handle_t])
_, _rlock_count = _fns("mproc_rlock_count", [handle_t, _c_uint_p])
_, _rlock_is_owned = _fns("mproc_rlock_is_owned", [handle_t, _c_int_p])


class RLock(_LockLike, kind="rlock"):
    """A recursive lock, like multiprocessing.RLock: the owning thread may acquire it
    again and must release it as many times; only the owner may release it.

    Constructor, ``open`` and ``owner_died`` as for Lock."""

    _create_fn = _rlock_create

    acquire = _acquire_method(
        _rlock_acquire, _rlock_try,
        """Acquires the lock, or one more level if this thread owns it; returns True, or
        False on timeout (block and timeout as Lock.acquire). OverflowValueError past
        2**32-1 levels; ValueError if closed.""")
    __enter__ = acquire

    release = _release_method(
        _rlock_release, "RLock.release", _rlock_not_owner,
        """Drops one level. Never blocks. AssertionError "attempt to release recursive
        lock not owned by thread" if this thread does not own it, as multiprocessing.""")

    def _is_mine(self):
        """Whether the calling thread owns the lock (multiprocessing's SemLock._is_mine)."""
        return bool(self._get(_rlock_is_owned, ctypes.c_int))

    def _count(self):
        """The calling thread's recursion level (0 if it does not own the lock)."""
        return self._get(_rlock_count)


# ---- Semaphore and BoundedSemaphore --------------------------------------------------

SEMAPHORE_VALUE_MAX = 0x7fffffff

_sem_args = [ctypes.c_char_p, ctypes.c_uint, _opts_p, _out_p]
_sem_create = declare("mproc_semaphore_create", _sem_args)
_bsem_create = declare("mproc_bounded_semaphore_create", _sem_args)
_sem_acquire, _sem_try = _fns("mproc_semaphore_acquire", [handle_t, ctypes.c_double])
_, _sem_release = _fns("mproc_semaphore_release", [handle_t, ctypes.c_uint])
_, _sem_value = _fns("mproc_semaphore_value", [handle_t, _c_uint_p])
_, _sem_bound = _fns("mproc_semaphore_bound", [handle_t, _c_uint_p])


def _initial_value(value):
    value = operator.index(value)  # TypeError for a float or str, as multiprocessing
    if value < 0:
        raise ValueError("semaphore initial value must be >= 0")
    if value > SEMAPHORE_VALUE_MAX:
        raise OverflowError("semaphore initial value must be <= %d" % SEMAPHORE_VALUE_MAX)
    return value


class Semaphore(_SyncObject, kind="semaphore"):
    """A counting semaphore, like multiprocessing.Semaphore.

    ``Semaphore(value=1, *, name=None, open_existing=False, mode=None)``: value 0 ..
    2**31-1 (ValueError below, OverflowError above). ``Semaphore.open(name)`` attaches to
    either kind and returns a BoundedSemaphore for a bounded one."""

    _create_fn = _sem_create

    def __init__(self, value=1, *, name=None, open_existing=False, mode=None):
        value = _initial_value(value)
        self._create(type(self)._create_fn, name, open_existing, mode, value)

    def _opened(self):
        # The C ABI reports a bound of 0 for an unbounded semaphore and for a
        # BoundedSemaphore(0) alike: only a non-zero bound tells the kind for sure.
        bounded = self._get(_sem_bound) != 0
        if bounded and not isinstance(self, BoundedSemaphore):
            self.__class__ = BoundedSemaphore
        elif not bounded and isinstance(self, BoundedSemaphore) and self.get_value() != 0:
            name = self._name
            self.close()
            raise KindError(EKIND, "BoundedSemaphore.open(%r): the semaphore is not bounded"
                            % (name,))

    def acquire(self, block=True, timeout=None):
        """Decrements the value, waiting while it is 0; returns True, or False on timeout
        (block=False or timeout <= 0: try once; None: forever, interruptible by Ctrl-C).
        ValueError if closed."""
        handle = self._handle
        if handle is None:
            raise _closed(self)
        if timeout is not None or not block:
            timeout = _seconds(block, timeout)
        code = _sem_try(handle, 0.0)
        if code == 0:
            return True
        if code == ETIMEDOUT and timeout != 0.0:
            code = _wait(_sem_acquire, self, timeout)
        if code == 0:
            return True
        if code == ETIMEDOUT:
            return False
        raise error_for(code, "%s.acquire" % type(self).__name__)

    __enter__ = acquire
    __exit__ = _exit

    def release(self):
        """Increments the value, waking one waiter. Never blocks. A BoundedSemaphore at its
        initial value raises ValueError "semaphore or lock released too many times" (as
        multiprocessing); OverflowError past 2**31-1."""
        handle = self._handle
        if handle is None:
            raise _closed(self)
        code = _sem_release(handle, 1)
        if code:
            if code == EOVERFLOW:
                # The value is unchanged: below the maximum, it was the bound.
                if self.get_value() < SEMAPHORE_VALUE_MAX:
                    raise ValueError("semaphore or lock released too many times")
                raise OverflowError("semaphore value would exceed %d" % SEMAPHORE_VALUE_MAX)
            check(code, "%s.release" % type(self).__name__)

    def get_value(self):
        """The current value (a snapshot). Never blocks."""
        return self._get(_sem_value)

    def __repr__(self):
        if self.closed:
            return super().__repr__()
        return "<mproc.%s name=%r value=%d>" % (type(self).__name__, self._name,
                                               self.get_value())


class BoundedSemaphore(Semaphore):
    """A semaphore whose value never exceeds its initial value, like
    multiprocessing.BoundedSemaphore: a release above it raises ValueError.
    ``BoundedSemaphore.open(name)`` raises TypeError (mproc.KindError) for an unbounded
    semaphore (except one whose value is 0: the C ABI reports the bound of a
    BoundedSemaphore(0) as that of an unbounded one, 0)."""

    _create_fn = _bsem_create


# ---- Event ---------------------------------------------------------------------------

_event_create = declare("mproc_event_create", [ctypes.c_char_p, _opts_p, _out_p])
_event_wait = declare("mproc_event_wait", [handle_t, ctypes.c_double])
_, _event_set = _fns("mproc_event_set", [handle_t])
_, _event_clear = _fns("mproc_event_clear", [handle_t])
_, _event_is_set = _fns("mproc_event_is_set", [handle_t, _c_int_p])


class Event(_SyncObject, kind="event"):
    """A flag processes wait for, like multiprocessing.Event.

    ``Event(*, name=None, open_existing=False, mode=None)`` creates it unset."""


    def __init__(self, *, name=None, open_existing=False, mode=None):
        self._create(_event_create, name, open_existing, mode)

    def is_set(self):
        """True if the flag is set. Never blocks."""
        return bool(self._get(_event_is_set, ctypes.c_int))

    def set(self):
        """Sets the flag and wakes every waiter. Never blocks."""
        check(_event_set(self._live()), "Event.set")

    def clear(self):
        """Clears the flag. Never blocks."""
        check(_event_clear(self._live()), "Event.clear")

    def wait(self, timeout=None):
        """Blocks until the flag is set (at once if it is) or `timeout` seconds pass;
        returns True if the flag was set, False on timeout. A set during the wait is seen
        even if the flag is cleared at once, except when timeout is None: that wait is made
        of 0.25 s slices (for Ctrl-C) and a set-and-clear that falls in the microseconds
        between two slices is missed."""
        code = _wait(_event_wait, self, _seconds(True, timeout))
        if code == 0:
            return True
        if code == ETIMEDOUT:
            return False
        raise error_for(code, "Event.wait")


# ---- Condition -----------------------------------------------------------------------

_cond_create = declare("mproc_condition_create", [ctypes.c_char_p, _opts_p, _out_p])
_cond_create_lock = declare("mproc_condition_create_with_lock",
                            [ctypes.c_char_p, handle_t, _opts_p, _out_p])
_cond_create_rlock = declare("mproc_condition_create_with_rlock",
                             [ctypes.c_char_p, handle_t, _opts_p, _out_p])
_cond_acquire, _cond_try = _fns("mproc_condition_acquire", [handle_t, ctypes.c_double])
_, _cond_release = _fns("mproc_condition_release", [handle_t])
_cond_wait = declare("mproc_condition_wait", [handle_t, ctypes.c_double])
_, _cond_notify = _fns("mproc_condition_notify", [handle_t, ctypes.c_uint])
_, _cond_notify_all = _fns("mproc_condition_notify_all", [handle_t])

_UINT_MAX = 0xffffffff


def _reopen_condition(name, lock_kind):
    cond = Condition.open(name)
    cond._lock_kind = lock_kind
    return cond


class Condition(_LockLike, kind="condition"):
    """A condition variable, like multiprocessing.Condition.

    ``Condition(lock=None, *, name=None, open_existing=False, mode=None)``: `lock` is an
    mproc Lock or RLock (TypeError for anything else); None gives the condition an RLock
    of its own, as multiprocessing. The condition records its lock's name, so
    ``Condition.open(name)`` (and unpickling) attaches to both. The creating object keeps
    a reference to `lock`, so that an automatically named lock outlives it. With
    open_existing=True and an existing condition, `lock` is not compared with its lock.

    acquire/release/``with`` act on the lock; ``owner_died`` as for Lock. Waiting or
    notifying without holding the lock raises AssertionError, as multiprocessing."""

    _lock = None
    _lock_kind = None  # "Lock" or "RLock"; None when opened by a bare name (unknown)

    def __init__(self, lock=None, *, name=None, open_existing=False, mode=None):
        if lock is None:
            self._create(_cond_create, name, open_existing, mode)
            self._lock_kind = "RLock"
            return
        if isinstance(lock, Lock):
            create_fn, kind = _cond_create_lock, "Lock"
        elif isinstance(lock, RLock):
            create_fn, kind = _cond_create_rlock, "RLock"
        else:
            raise TypeError("Condition lock must be an mproc Lock or RLock, not %s"
                            % type(lock).__name__)
        name, owns = self._new_name(name)
        handle = handle_t()
        check(create_fn(encode_name(name), lock._live(), make_options(open_existing, mode),
                        ctypes.byref(handle)), "Condition(name=%r)" % (name,))
        self._adopt(handle.value, name, owns)
        self._lock, self._lock_kind = lock, kind

    acquire = _acquire_method(
        _cond_acquire, _cond_try,
        """Acquires the condition's lock: as Lock.acquire / RLock.acquire.""")
    __enter__ = acquire

    release = _release_method(
        _cond_release, "Condition.release", _cond_not_owner,
        """Releases the condition's lock (one level of an RLock). Never blocks. If this
        thread does not hold it: ValueError as Lock.release for a Lock, AssertionError as
        RLock.release otherwise.""")

    def wait(self, timeout=None):
        """Releases the lock (every level of an RLock), blocks until notified or `timeout`
        seconds pass, re-acquires the lock (however long that takes) and returns True if
        notified, False on timeout. Never sliced: a wait forever is not interruptible by
        Ctrl-C. AssertionError if this thread does not hold the lock. If the lock was
        re-acquired from a dead process, returns True (a wake-up the caller must check, as
        any spurious one) and sets owner_died. ValueError if the object is closed during
        the wait (the lock is then not re-acquired)."""
        code = _cond_wait(self._live(), -1.0 if timeout is None else _seconds(True, timeout))
        if code == ETIMEDOUT:
            self.owner_died = False  # the lock was re-acquired from a live owner
            return False
        if code == ENOTOWNER:
            raise AssertionError("must acquire() condition before using wait()")
        return _acquired(self, code, "wait")

    def wait_for(self, predicate, timeout=None):
        """Waits until predicate() is true, calling it with the lock held, first before
        any wait; returns its last result (false if the timeout passed). As
        multiprocessing: a Python loop over wait() with the remaining time."""
        result = predicate()
        if result:
            return result
        if timeout is not None:
            endtime = time.monotonic() + timeout
        else:
            endtime = None
            waittime = None
        while not result:
            if endtime is not None:
                waittime = endtime - time.monotonic()
                if waittime <= 0:
                    break
            self.wait(waittime)
            result = predicate()
        return result

    def notify(self, n=1):
        """Wakes up to n waiters (the longest waiting first; a waiter whose process died is
        skipped). Never blocks. AssertionError "lock is not owned" if this thread does not
        hold the lock."""
        n = operator.index(n)
        code = _cond_notify(self._live(), min(max(n, 0), _UINT_MAX))
        if code:
            if code == ENOTOWNER:
                raise AssertionError("lock is not owned")
            check(code, "Condition.notify")

    def notify_all(self):
        """Wakes every waiter; as notify."""
        code = _cond_notify_all(self._live())
        if code:
            if code == ENOTOWNER:
                raise AssertionError("lock is not owned")
            check(code, "Condition.notify_all")

    def __reduce__(self):
        return _reopen_condition, (self._name, self._lock_kind)


# ---- Barrier -------------------------------------------------------------------------

BARRIER_MAX_PARTIES = 0xffff

_ACTION_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_barrier_create = declare("mproc_barrier_create",
                          [ctypes.c_char_p, ctypes.c_uint, _opts_p, _out_p])
_barrier_set_action = declare("mproc_barrier_set_action", [handle_t, _ACTION_FN, ctypes.c_void_p])
_barrier_wait = declare("mproc_barrier_wait", [handle_t, ctypes.c_double, _c_uint_p])
_barrier_reset = declare("mproc_barrier_reset", [handle_t])
_barrier_abort = declare("mproc_barrier_abort", [handle_t])
_barrier_parties = declare("mproc_barrier_parties", [handle_t, _c_uint_p])
_barrier_n_waiting = declare("mproc_barrier_n_waiting", [handle_t, _c_uint_p])
_barrier_broken = declare("mproc_barrier_broken", [handle_t, _c_int_p])


def _reopen_barrier(name, action, timeout):
    return Barrier.open(name, action=action, timeout=timeout)


def _action_trampoline(action, errors):
    """The C callback running `action`: an exception is kept (for the thread that ran it
    to re-raise) and breaks the barrier."""
    def run(_arg):
        try:
            action()
        except BaseException as exc:  # noqa: B902 -- re-raised by Barrier.wait
            errors.exc = exc
            return 1
        return 0
    return _ACTION_FN(run)


class Barrier(_SyncObject, kind="barrier"):
    """A barrier for `parties` parties, like multiprocessing.Barrier (threading.Barrier
    across processes).

    ``Barrier(parties, action=None, timeout=None, *, name=None, open_existing=False,
    mode=None)``: parties 1 .. 65535 (ValueError otherwise; threading accepts 0 and
    negative counts); `timeout` is the default of wait.

    The action: once all parties have arrived, the last one to arrive runs it, before any
    party is released; if it raises, that party's wait re-raises the exception and the
    others get BrokenBarrierError. The action is a Python callable held by each *object*,
    and runs only if the object of the last party has one. It travels with the object:
    inherited by fork, and pickled with the name (so, as in multiprocessing, it must be
    picklable to send the barrier to a spawned child, which then runs it if it arrives
    last). ``Barrier.open(name)`` without ``action=`` has none: if that party is the last,
    no action runs for that round. A C program's barrier has the action it set itself."""

    _action = None
    _timeout = None
    _callback = None

    def __init__(self, parties, action=None, timeout=None, *, name=None,
                 open_existing=False, mode=None):
        parties = operator.index(parties)
        if not 1 <= parties <= BARRIER_MAX_PARTIES:
            raise ValueError("parties must be in 1..%d, not %d" % (BARRIER_MAX_PARTIES, parties))
        if action is not None and not callable(action):
            raise TypeError("action must be callable or None")
        self._create(_barrier_create, name, open_existing, mode, parties)
        self._setup(action, timeout)

    @classmethod
    def open(cls, name, action=None, timeout=None):
        """Attaches to the existing barrier `name`; `action` and `timeout` are this
        object's (see the class). Errors as SharedObject.open."""
        if action is not None and not callable(action):
            raise TypeError("action must be callable or None")
        barrier = super().open(name)
        barrier._setup(action, timeout)
        return barrier

    def _setup(self, action, timeout):
        self._timeout = timeout
        self._action = action
        self._errors = threading.local()
        if action is not None:
            # Kept on the object: the C side holds only the raw function pointer.
            self._callback = _action_trampoline(action, self._errors)
            check(_barrier_set_action(self._live(), self._callback, None), "Barrier")

    def wait(self, timeout=None):
        """Blocks until all parties have called wait (or `timeout` seconds, default the
        constructor's, pass); returns this party's arrival index 0 .. parties-1. Raises
        threading.BrokenBarrierError if the barrier is or gets broken (abort, reset while
        waiting, a timeout of any party: a timeout breaks the barrier, as in threading),
        or the action's exception in the party that ran it. Never sliced: not
        interruptible by Ctrl-C when waiting forever."""
        if timeout is None:
            timeout = self._timeout
        seconds = _seconds(True, timeout)
        index = ctypes.c_uint()
        code = _barrier_wait(self._live(), -1.0 if seconds is None else seconds,
                             ctypes.byref(index))
        if code == 0:
            return index.value
        if code in (EBROKEN, ETIMEDOUT):
            exc = getattr(self._errors, "exc", None)
            if exc is not None:
                self._errors.exc = None
                raise exc
            raise threading.BrokenBarrierError
        raise error_for(code, "Barrier.wait")

    def reset(self):
        """Returns the barrier to its empty, unbroken state; parties waiting get
        BrokenBarrierError. Never blocks (beyond a short internal lock)."""
        check(_barrier_reset(self._live()), "Barrier.reset")

    def abort(self):
        """Breaks the barrier: waiting and later wait calls raise BrokenBarrierError until
        reset()."""
        check(_barrier_abort(self._live()), "Barrier.abort")

    @property
    def parties(self):
        """The number of parties needed to pass the barrier."""
        return self._get(_barrier_parties)

    @property
    def n_waiting(self):
        """The number of parties waiting now (0 while broken)."""
        return self._get(_barrier_n_waiting)

    @property
    def broken(self):
        """True if the barrier is broken."""
        return bool(self._get(_barrier_broken, ctypes.c_int))

    def __reduce__(self):
        return _reopen_barrier, (self._name, self._action, self._timeout)
