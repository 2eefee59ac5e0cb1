"""Manager(): multiprocessing's SyncManager without a server process.

``multiprocessing.Manager()`` starts a server process that holds the shared objects and
hands out proxies that talk to it over a socket. mproc's objects live in shared memory
already, so ``mproc.Manager()`` starts nothing: its methods return mproc's own objects
(``dict()`` an mproc.Dict, ``Queue()`` an mproc.Queue, ...), which pass to children of
any start method (and to other languages) by name, and are used without a round trip.

What the manager keeps is ownership: every object it made is closed by ``shutdown()`` (or
at the end of ``with Manager() as m:``), which also removes its name, as the objects of
multiprocessing's manager go away with its server. Processes that opened an object keep
using their mapping until they close it. A manager that is simply dropped (as in
``d = Manager().dict()``) shuts nothing down: its objects live until they are closed or
garbage collected themselves, like any mproc object.
"""

import threading
import weakref

from .containers import Dict, List, Namespace

__all__ = ["Manager", "SyncManager"]


class SyncManager:
    """multiprocessing.managers.SyncManager's interface over mproc's objects (see the
    module docstring). The constructor takes multiprocessing's arguments (address,
    authkey, serializer, ctx, shutdown_timeout) and ignores them: there is no server to
    address. ``address`` is None."""

    address = None

    def __init__(self, address=None, authkey=None, serializer="pickle", ctx=None, *,
                 shutdown_timeout=1.0):
        self._lock = threading.Lock()
        self._owned = []  # weak references: the manager does not keep its objects alive
        self._state = "initial"

    # ---- life cycle ----

    def start(self, initializer=None, initargs=()):
        """Marks the manager started. initializer(*initargs) runs here, in this process
        (multiprocessing runs it in the server process, which mproc does not have).
        multiprocessing.ProcessError if already started or shut down."""
        from multiprocessing import ProcessError
        if self._state != "initial":
            raise ProcessError("Already started server" if self._state == "started"
                               else "Manager has shut down")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._state = "started"
        if initializer is not None:
            initializer(*initargs)

    def connect(self):
        """For compatibility: there is no server to connect to."""
        if self._state == "initial":
            self._state = "started"

    def join(self, timeout=None):
        """For compatibility: there is no server process to wait for."""

    def get_server(self):
        raise NotImplementedError("mproc's Manager has no server: its objects live in "
                                  "shared memory")

    def shutdown(self):
        """Closes every object this manager made (their automatic names are removed, so no
        other process can open them any more; processes that have them open keep them
        until they close them). A Pool is terminated. Idempotent."""
        with self._lock:
            owned, self._owned = self._owned, []
            self._state = "shutdown"
        for ref in reversed(owned):
            obj = ref()
            if obj is None:
                continue
            if hasattr(obj, "terminate"):  # a Pool
                obj.terminate()
                obj.join()
            elif isinstance(obj, Namespace):
                obj._dict.close()
            else:
                obj.close()

    def __enter__(self):
        if self._state == "initial":
            self.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()

    def __repr__(self):
        return "<mproc.SyncManager %s, %d objects>" % (self._state, len(self._owned))

    def _own(self, obj):
        if self._state == "shutdown":
            # Made after shutdown: nobody would close it; refuse as multiprocessing does.
            obj.close() if not isinstance(obj, Namespace) else obj._dict.close()
            from multiprocessing import ProcessError
            raise ProcessError("Manager has shut down")
        with self._lock:
            self._owned = [r for r in self._owned if r() is not None]
            self._owned.append(weakref.ref(obj))
        return obj

    # ---- the shared objects ----

    def dict(self, *args, **kwargs):
        """A new mproc.Dict holding dict(*args, **kwargs)."""
        d = self._own(Dict())
        if args or kwargs:
            d.update(*args, **kwargs)
        return d

    def list(self, sequence=(), /):
        """A new mproc.List holding the items of sequence."""
        return self._own(List(sequence))

    def Namespace(self, **attributes):
        """A new mproc.Namespace with these attributes."""
        return self._own(Namespace(**attributes))

    def Value(self, typecode, value, lock=True):
        """mproc.Value(typecode, value, lock=lock): ``.value`` reads and writes it."""
        from .sharedctypes import Value
        return self._own(Value(typecode, value, lock=lock))

    def Array(self, typecode, sequence, lock=True):
        """mproc.Array(typecode, sequence, lock=lock)."""
        from .sharedctypes import Array
        return self._own(Array(typecode, sequence, lock=lock))

    def Queue(self, maxsize=0):
        """mproc.Queue(maxsize) (0: mproc's default bound, see mproc.Queue)."""
        from .queues import Queue
        return self._own(Queue(maxsize))

    def JoinableQueue(self, maxsize=0):
        from .queues import JoinableQueue
        return self._own(JoinableQueue(maxsize))

    def Lock(self):
        from .synchronize import Lock
        return self._own(Lock())

    def RLock(self):
        from .synchronize import RLock
        return self._own(RLock())

    def Semaphore(self, value=1):
        from .synchronize import Semaphore
        return self._own(Semaphore(value))

    def BoundedSemaphore(self, value=1):
        from .synchronize import BoundedSemaphore
        return self._own(BoundedSemaphore(value))

    def Condition(self, lock=None):
        from .synchronize import Condition
        return self._own(Condition(lock))

    def Event(self):
        from .synchronize import Event
        return self._own(Event())

    def Barrier(self, parties, action=None, timeout=None):
        from .synchronize import Barrier
        return self._own(Barrier(parties, action, timeout))

    def Pool(self, processes=None, initializer=None, initargs=(), maxtasksperchild=None):
        """An mproc.Pool in this process (multiprocessing's runs in the server); shutdown
        terminates it."""
        from .pool import Pool
        return self._own(Pool(processes, initializer, initargs, maxtasksperchild))


def Manager(*, ctx=None):
    """A started SyncManager (multiprocessing.Manager()): see the module docstring."""
    manager = SyncManager(ctx=ctx)
    manager.start()
    return manager
