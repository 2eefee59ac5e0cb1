"""The objects mproc.Pool returns for asynchronous calls: AsyncResult (apply_async),
MapResult (map_async, starmap_async) and the imap iterators. Their behaviour is
multiprocessing.pool's (Python 3.11) exactly; the pool's result thread calls ``_set``.
"""

import collections
import itertools
import threading
import types

from multiprocessing import TimeoutError

__all__ = ["AsyncResult", "ApplyResult", "MapResult", "IMapIterator",
           "IMapUnorderedIterator"]

job_counter = itertools.count(1)


class ApplyResult:
    """The result of Pool.apply_async: get, wait, ready, successful."""

    def __init__(self, pool, callback, error_callback):
        self._pool = pool  # keeps the pool alive while the result is pending, as CPython
        self._event = threading.Event()
        self._job = next(job_counter)
        self._cache = pool._cache
        self._callback = callback
        self._error_callback = error_callback
        self._cache[self._job] = self

    def ready(self):
        """True once the call has completed (successfully or not). Never blocks."""
        return self._event.is_set()

    def successful(self):
        """True if the call completed without raising. ValueError if not ready yet."""
        if not self.ready():
            raise ValueError("{0!r} not ready".format(self))
        return self._success

    def wait(self, timeout=None):
        """Blocks until the result is ready, or `timeout` seconds (None: no limit)."""
        self._event.wait(timeout)

    def get(self, timeout=None):
        """The result, once ready: blocks up to `timeout` seconds (None: no limit), then
        raises multiprocessing.TimeoutError if it is not ready. Re-raises the exception
        the call raised (with the worker's traceback as __cause__), or
        mproc.WorkerLostError if the worker running it died."""
        self.wait(timeout)
        if not self.ready():
            raise TimeoutError
        if self._success:
            return self._value
        raise self._value

    def _set(self, i, obj):
        self._success, self._value = obj
        if self._callback and self._success:
            self._callback(self._value)
        if self._error_callback and not self._success:
            self._error_callback(self._value)
        self._event.set()
        del self._cache[self._job]
        self._pool = None

    __class_getitem__ = classmethod(types.GenericAlias)


AsyncResult = ApplyResult


class MapResult(ApplyResult):
    """The result of Pool.map_async / starmap_async: a list, once every chunk is back."""

    def __init__(self, pool, chunksize, length, callback, error_callback):
        ApplyResult.__init__(self, pool, callback, error_callback=error_callback)
        self._success = True
        self._value = [None] * length
        self._chunksize = chunksize
        if chunksize <= 0:
            self._number_left = 0
            self._event.set()
            del self._cache[self._job]
        else:
            self._number_left = length // chunksize + bool(length % chunksize)

    def _set(self, i, success_result):
        self._number_left -= 1
        success, result = success_result
        if success and self._success:
            self._value[i * self._chunksize:(i + 1) * self._chunksize] = result
        elif not success and self._success:
            # only the first exception is kept
            self._success = False
            self._value = result
        if self._number_left == 0:
            # ready only once every chunk is done, as CPython
            callback = self._callback if self._success else self._error_callback
            if callback:
                callback(self._value)
            del self._cache[self._job]
            self._event.set()
            self._pool = None


class IMapIterator:
    """The iterator of Pool.imap: results in submission order. next(timeout) blocks up
    to `timeout` seconds (None: no limit) and raises multiprocessing.TimeoutError."""

    def __init__(self, pool):
        self._pool = pool
        self._cond = threading.Condition(threading.Lock())
        self._job = next(job_counter)
        self._cache = pool._cache
        self._items = collections.deque()
        self._index = 0
        self._length = None
        self._unsorted = {}
        self._cache[self._job] = self

    def __iter__(self):
        return self

    def _stop_if_exhausted(self):
        """Raises StopIteration once every result has been returned (lock held)."""
        if self._index == self._length:
            self._pool = None
            raise StopIteration from None

    def next(self, timeout=None):
        """The next result; re-raises the exception of a failed call."""
        with self._cond:
            try:
                item = self._items.popleft()
            except IndexError:
                self._stop_if_exhausted()
                self._cond.wait(timeout)
                try:
                    item = self._items.popleft()
                except IndexError:
                    self._stop_if_exhausted()
                    raise TimeoutError from None
        success, value = item
        if success:
            return value
        raise value

    __next__ = next

    def _set(self, i, obj):
        with self._cond:
            if self._index == i:
                self._items.append(obj)
                self._index += 1
                while self._index in self._unsorted:
                    obj = self._unsorted.pop(self._index)
                    self._items.append(obj)
                    self._index += 1
                self._cond.notify()
            else:
                self._unsorted[i] = obj
            if self._index == self._length:
                del self._cache[self._job]
                self._pool = None

    def _set_length(self, length):
        with self._cond:
            self._length = length
            if self._index == self._length:
                self._cond.notify()
                del self._cache[self._job]
                self._pool = None


class IMapUnorderedIterator(IMapIterator):
    """The iterator of Pool.imap_unordered: results in completion order."""

    def _set(self, i, obj):
        with self._cond:
            self._items.append(obj)
            self._index += 1
            self._cond.notify()
            if self._index == self._length:
                del self._cache[self._job]
                self._pool = None
