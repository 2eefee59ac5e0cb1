"""Pipe and Connection: multiprocessing.Pipe over mproc's connections.

An mproc connection (include/mproc/mproc.h, "Pipe and Connection") is a socketpair
(duplex) or a pipe with CPython's framing: a 4-byte big-endian length then the bytes (a
length of -1 then an 8-byte length for messages over 2 GiB). So an mproc Connection and a
multiprocessing.connection.Connection talk over the same descriptor, and so do C and C++
programs (mproc_connection_from_fd). Connections are file descriptors, not named objects:
fork children inherit them; pickling one (for a spawned child) duplicates the descriptor
the way multiprocessing does (reduction.DupFd), so it works where multiprocessing's own
Connection pickling works (while spawning a process, or for a child of this process that
shares its authkey).
"""

import ctypes
import pickle
from multiprocessing import BufferTooShort, reduction

from . import _lib
from ._lib import declare, handle_t, error_for

__all__ = ["Pipe", "Connection"]

_SLICE = 0.25  # see queues._SLICE: a recv/poll/send that times out changed nothing
_RECV_BUFFER = 64 * 1024  # bytes of the reused receive buffer; bigger messages allocate

_pipe = declare("mproc_pipe", [ctypes.c_int, ctypes.POINTER(handle_t), ctypes.POINTER(handle_t)])
_from_fd = declare("mproc_connection_from_fd",
                   [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.POINTER(handle_t)])
_close = declare("mproc_connection_close", [handle_t])
_fileno = declare("mproc_connection_fileno", [handle_t, ctypes.POINTER(ctypes.c_int)])
_send = declare("mproc_connection_send_bytes",
                [handle_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_double])
_recv = declare("mproc_connection_recv_bytes",
                [handle_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t),
                 ctypes.c_double])
_poll = declare("mproc_connection_poll",
                [handle_t, ctypes.c_double, ctypes.POINTER(ctypes.c_int)])

_EEOF, _ETIMEDOUT, _ETOOBIG = _lib.EEOF, _lib.ETIMEDOUT, _lib.ETOOBIG


def _error(code, context):
    """The exception for a failed call: a handle closed (by another thread) while the call
    waited is CPython's OSError("handle is closed")."""
    if code in (_lib.ECLOSED, _lib.EBADHANDLE):
        return OSError("handle is closed")
    return error_for(code, context)


def _rebuild(df, readable, writable):
    return Connection(df.detach(), readable, writable)


class Connection:
    """multiprocessing.connection.Connection over an mproc connection.

    Connection(handle, readable=True, writable=True) wraps the file descriptor `handle`
    (an int), which it then owns: close() closes it. Pipe() makes connected pairs.
    Every method raises what CPython's Connection raises: OSError("handle is closed")
    once closed, OSError("connection is write-only" / "read-only") for the wrong
    direction, EOFError when the other end is closed and nothing is left to receive.
    A Connection is not safe to use for the same direction from several threads at once
    (neither is CPython's)."""

    _handle = None

    def __init__(self, handle, readable=True, writable=True):
        if isinstance(handle, bool) or not isinstance(handle, int):
            raise TypeError("handle must be a file descriptor (int), not %s"
                            % type(handle).__name__)
        if handle < 0:
            raise ValueError("invalid handle")
        if not readable and not writable:
            raise ValueError("at least one of `readable` and `writable` must be True")
        out = handle_t()
        code = _from_fd(handle, bool(readable), bool(writable), ctypes.byref(out))
        if code:
            raise error_for(code, "Connection(%d)" % handle)
        self._init(out.value, readable, writable)

    @classmethod
    def from_fd(cls, fd, readable=True, writable=True):
        """A Connection over the descriptor `fd` (taken over: close() closes it) that
        speaks multiprocessing's framing, for example the fd of a
        multiprocessing.connection.Connection (its detach()) or one shared with a C
        program. ValueError (mproc.InvalidArgumentError) for a bad fd, a direction the fd
        does not allow, or a socket that is not SOCK_STREAM."""
        return cls(fd, readable, writable)

    @classmethod
    def _wrap(cls, handle, readable, writable):
        obj = cls.__new__(cls)
        obj._init(handle, readable, writable)
        return obj

    def _init(self, handle, readable, writable):
        self._handle = handle
        self._readable = bool(readable)
        self._writable = bool(writable)
        self._size = ctypes.c_size_t()
        self._size_ref = ctypes.byref(self._size)
        self._buf = None  # receive buffer, made on first receive

    def __del__(self):
        handle, self._handle = self._handle, None
        if handle is not None and _close is not None:  # None at interpreter shutdown
            _close(handle)

    # ---- state ----

    def _check_closed(self):
        if self._handle is None:
            raise OSError("handle is closed")

    def _check_readable(self):
        if not self._readable:
            raise OSError("connection is write-only")

    def _check_writable(self):
        if not self._writable:
            raise OSError("connection is read-only")

    @property
    def closed(self):
        """True once close() was called."""
        return self._handle is None

    @property
    def readable(self):
        """True if this end can receive."""
        return self._readable

    @property
    def writable(self):
        """True if this end can send."""
        return self._writable

    def fileno(self):
        """The descriptor (still owned by the connection), for select/poll loops."""
        self._check_closed()
        fd = ctypes.c_int()
        _lib.check(_fileno(self._handle, ctypes.byref(fd)))
        return fd.value

    def close(self):
        """Closes the connection and its descriptor; calls blocked on it in other threads
        fail. Idempotent."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            _close(handle)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, exc_tb):
        self.close()

    def __repr__(self):
        if self._handle is None:
            return "<mproc.Connection closed>"
        return "<mproc.Connection fd=%d readable=%s writable=%s>" % (
            self.fileno(), self._readable, self._writable)

    def __reduce__(self):
        # As multiprocessing does for its own Connection: the descriptor travels to a
        # spawned child with the process (while spawning) or through multiprocessing's
        # resource sharer (a child that has this process's authkey).
        self._check_closed()
        return _rebuild, (reduction.DupFd(self.fileno()), self._readable, self._writable)

    # ---- sending ----

    def send_bytes(self, buf, offset=0, size=None):
        """Sends `size` bytes of the bytes-like `buf` from `offset` (default: all of it)
        as one message. Blocks while the pipe is full (until the reader makes room).
        Raises ValueError for a bad offset/size, BrokenPipeError if the other end is
        closed, OSError if closed or read-only."""
        self._check_closed()
        self._check_writable()
        if type(buf) is bytes and offset == 0 and size is None:
            self._send(buf, len(buf))
            return
        with memoryview(buf) as m:
            if m.itemsize > 1:
                m = m.cast("B")
            n = m.nbytes
            if offset < 0:
                raise ValueError("offset is negative")
            if n < offset:
                raise ValueError("buffer length < offset")
            if size is None:
                size = n - offset
            elif size < 0:
                raise ValueError("size is negative")
            elif offset + size > n:
                raise ValueError("buffer length < offset + size")
            self._send(m[offset:offset + size].tobytes(), size)

    def send(self, obj):
        """Pickles `obj` (highest protocol) and sends it as one message. Blocks and raises
        as send_bytes; pickling errors propagate."""
        self._check_closed()
        self._check_writable()
        data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
        self._send(data, len(data))

    def _send(self, data, size):
        code = _send(self._handle, data, size, _SLICE)
        while code == _ETIMEDOUT:  # nothing was written yet: sliced for Ctrl-C
            self._check_closed()
            code = _send(self._handle, data, size, _SLICE)
        if code:
            raise _error(code, "Connection.send")

    # ---- receiving ----

    def _recv(self, maxlength=None):
        """One message as bytes; None if it is longer than maxlength (left unread)."""
        if self._buf is None:
            self._buf = ctypes.create_string_buffer(_RECV_BUFFER)
        buf, cap = self._buf, _RECV_BUFFER
        if maxlength is not None and maxlength < cap:
            cap = maxlength
        while True:
            code = _recv(self._handle, buf, cap, self._size_ref, _SLICE)
            if code == _ETIMEDOUT:  # nothing was read yet: sliced for Ctrl-C
                self._check_closed()
                continue
            if code == _ETOOBIG:
                size = self._size.value
                if maxlength is not None and size > maxlength:
                    return None
                # Bigger than the reusable buffer: the message is still there.
                buf = cap = None
                buf = ctypes.create_string_buffer(size)
                cap = size
                continue
            if code == _EEOF:
                raise EOFError
            if code:
                raise _error(code, "Connection.recv")
            return buf[:self._size.value]

    def _bad_message_length(self):
        # CPython leaves the over-long message unread: the stream is unusable for reading.
        if self._writable:
            self._readable = False
        else:
            self.close()
        raise OSError("bad message length")

    def recv_bytes(self, maxlength=None):
        """Receives one message and returns it as bytes. Blocks until one arrives.
        Raises EOFError when the other end is closed and nothing is left, OSError("bad
        message length") if the message is longer than maxlength (this end then stops
        receiving, as in CPython), OSError if closed or write-only."""
        self._check_closed()
        self._check_readable()
        if maxlength is not None and maxlength < 0:
            raise ValueError("negative maxlength")
        data = self._recv(maxlength)
        if data is None:
            self._bad_message_length()
        return data

    def recv_bytes_into(self, buf, offset=0):
        """Receives one message into the writable bytes-like `buf` from byte `offset` and
        returns its size. Blocks until one arrives. Raises BufferTooShort (carrying the
        whole message as args[0]) if it does not fit, EOFError, OSError as recv_bytes."""
        self._check_closed()
        self._check_readable()
        with memoryview(buf) as m:
            bytesize = m.itemsize * len(m)
            if offset < 0:
                raise ValueError("negative offset")
            elif offset > bytesize:
                raise ValueError("offset too large")
            data = self._recv()
            size = len(data)
            if bytesize < offset + size:
                raise BufferTooShort(data)
            with m.cast("B") as flat:
                flat[offset:offset + size] = data
            return size

    def recv(self):
        """Receives one message and returns it unpickled. Blocks until one arrives.
        Raises EOFError, OSError as recv_bytes; unpickling errors propagate."""
        self._check_closed()
        self._check_readable()
        return pickle.loads(self._recv())

    def poll(self, timeout=0.0):
        """True if a receive would not block (a message or the end of the stream is
        there). Waits up to `timeout` seconds (default: do not wait; None: forever).
        OSError if closed or write-only."""
        self._check_closed()
        self._check_readable()
        ready = ctypes.c_int()
        if timeout is None:
            while True:  # sliced for Ctrl-C
                code = _poll(self._handle, _SLICE, ctypes.byref(ready))
                if code:
                    raise _error(code, "Connection.poll")
                if ready.value:
                    return True
                self._check_closed()
        code = _poll(self._handle, _lib.to_timeout(True, timeout), ctypes.byref(ready))
        if code:
            raise _error(code, "Connection.poll")
        return bool(ready.value)


def Pipe(duplex=True):
    """A connected pair (conn1, conn2), as multiprocessing.Pipe. duplex: both ends send
    and receive (a socketpair); otherwise conn1 only receives and conn2 only sends (a
    pipe). Raises OSError (mproc.SystemCallError) if the descriptors cannot be made."""
    c1, c2 = handle_t(), handle_t()
    _lib.check(_pipe(1 if duplex else 0, ctypes.byref(c1), ctypes.byref(c2)), "Pipe")
    if duplex:
        return Connection._wrap(c1.value, True, True), Connection._wrap(c2.value, True, True)
    return Connection._wrap(c1.value, True, False), Connection._wrap(c2.value, False, True)
