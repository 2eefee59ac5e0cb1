"""mproc: multiprocessing's objects in shared memory, shared by name with C, C++ and any
language with an FFI.

``import mproc`` in place of ``import multiprocessing``: the same names, signatures,
defaults, return values, exceptions and timeout semantics for Lock, RLock, Semaphore,
BoundedSemaphore, Event, Condition, Barrier, Queue, SimpleQueue, JoinableQueue, Pipe,
Value, Array, RawValue, RawArray, Process, Pool and Manager (whose dict, list and
Namespace are mproc.Dict, List and Namespace, kept in shared memory). In addition every
shared object can be created or opened by name (``mproc.Queue(8, name="jobs")``,
``mproc.Lock.open("l")``) and is pickled by name. See bindings/python/README.md.
"""

from . import _lib
from ._lib import (
    MprocError, InvalidArgumentError, BadHandleError, TimeoutExpired, ClosedError,
    OwnerDiedError, NotFoundError, ExistsError, KindError, VersionError, TooBigError,
    NotOwnerError, BrokenError, SystemCallError, FailedError, FullError, CorruptError,
)
from .synchronize import *  # noqa: F401,F403
from .synchronize import __all__ as _sync_all
from .queues import *  # noqa: F401,F403
from .queues import __all__ as _queues_all
from .connection import *  # noqa: F401,F403
from .connection import __all__ as _connection_all
from .sharedctypes import *  # noqa: F401,F403
from .sharedctypes import __all__ as _sharedctypes_all
from .process import *  # noqa: F401,F403
from .process import __all__ as _process_all
from .pool import *  # noqa: F401,F403
from .pool import __all__ as _pool_all
from .taskpool import TaskPool, TaskFuture, pool_backend_available  # noqa: F401
from .containers import *  # noqa: F401,F403
from .containers import __all__ as _containers_all
from .managers import *  # noqa: F401,F403
from .managers import __all__ as _managers_all
from .objects import *  # noqa: F401,F403
from .objects import __all__ as _objects_all

# multiprocessing's own exception classes and logging helpers, so that code catching
# multiprocessing.TimeoutError (AsyncResult.get) catches mproc's too, and the other way round.
from multiprocessing import (  # noqa: E402
    ProcessError, BufferTooShort, TimeoutError, AuthenticationError, get_logger, log_to_stderr,
)

__version__ = _lib.version
library_path = _lib.library_path

__all__ = [
    "MprocError", "InvalidArgumentError", "BadHandleError", "TimeoutExpired", "ClosedError",
    "OwnerDiedError", "NotFoundError", "ExistsError", "KindError", "VersionError",
    "TooBigError", "NotOwnerError", "BrokenError", "SystemCallError", "FailedError",
    "FullError", "CorruptError", "ProcessError", "BufferTooShort", "TimeoutError", "AuthenticationError",
    "get_logger", "log_to_stderr",
    "TaskPool", "TaskFuture", "pool_backend_available",
] + _sync_all + _queues_all + _connection_all + _sharedctypes_all + _process_all + _pool_all \
    + _containers_all + _managers_all + _objects_all
