"""mproc's Connection against CPython's multiprocessing.connection.Connection.

A C peer (connection_peer.c, linked to libmproc) and a real Python Connection talk over
the same descriptors, in both directions: the peer first sends a greeting of known
messages (C framing, Python decoding), then answers every message Python sends with its
bytes reversed (Python framing, C decoding, and back). Standard library only.

Usage: python3 python_connection_test.py <path to connection_peer> [unittest args]
(or set MPROC_CONNECTION_PEER).
"""

import multiprocessing
import multiprocessing.connection as mpc
import multiprocessing.reduction
import os
import signal
import socket
import subprocess
import sys
import unittest

PEER = os.environ.get("MPROC_CONNECTION_PEER")

# The peer's greeting: these sizes, byte i of a message of n bytes is (i * 31 + n) & 0xff.
GREETING_SIZES = [0, 1, 16384, 16385, 65536, 1 << 20]

# What Python sends: 0 bytes, the sizes around CPython's 16384 "concatenate header and
# body" switch, a socket buffer's worth and more.
SIZES = [0, 1, 2, 3, 4, 5, 100, 16383, 16384, 16385, 65535, 65536, 65537, 1 << 20, 5 << 20]

WAIT = 30.0  # every wait is bounded


def greeting(n):
    return bytes((i * 31 + n) & 0xFF for i in range(n))


def payload(n, seed):
    # Varied, non-palindromic bytes; cheap for megabytes.
    block = bytes((i * 7 + seed * 13 + (i >> 8)) & 0xFF for i in range(4096))
    return (block * (n // len(block) + 1))[:n]


class PeerTest(unittest.TestCase):
    def setUp(self):
        self.proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def start_peer(self, *args, fds):
        self.proc = subprocess.Popen(
            [PEER, *[str(a) for a in args]], pass_fds=fds, stderr=subprocess.PIPE
        )

    def finish_peer(self):
        try:
            _, err = self.proc.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            self.fail("the C peer did not exit; stderr: %r" % err)
        self.assertEqual(
            self.proc.returncode, 0, "C peer failed: %s" % err.decode(errors="replace")
        )

    def recv(self, conn):
        self.assertTrue(conn.poll(WAIT), "no message from the C peer within %s s" % WAIT)
        return conn.recv_bytes()

    def converse(self, reader, writer):
        """The greeting, then echo round trips of every size, then pipelined small ones."""
        for n in GREETING_SIZES:
            got = self.recv(reader)
            self.assertEqual(len(got), n)
            self.assertEqual(got, greeting(n), "greeting of %d bytes" % n)
        for seed, n in enumerate(SIZES):
            msg = payload(n, seed)
            writer.send_bytes(msg)
            reply = self.recv(reader)
            self.assertEqual(len(reply), n)
            self.assertEqual(reply, msg[::-1], "reply to %d bytes" % n)
        # Many messages in the stream at once: framing must find each boundary.
        msgs = [payload(k % 50, k) for k in range(200)]
        for m in msgs:
            writer.send_bytes(m)
        for m in msgs:
            self.assertEqual(self.recv(reader), m[::-1])
        # Python objects go as pickles: bytes like any other to the peer.
        obj = {"answer": 42, "text": "héllo", "data": list(range(100))}
        writer.send(obj)
        self.assertEqual(self.recv(reader), multiprocessing.reduction.ForkingPickler.dumps(obj)[::-1])
        # A memoryview slice with offset and size, as send_bytes allows.
        writer.send_bytes(b"0123456789", 2, 5)
        self.assertEqual(self.recv(reader), b"65432")

    def test_duplex_socketpair(self):
        ours, theirs = socket.socketpair()
        fd = theirs.fileno()
        self.start_peer("echo", fd, fd, fds=(fd,))
        theirs.close()
        conn = mpc.Connection(ours.detach())
        try:
            self.converse(conn, conn)
        finally:
            conn.close()  # the peer sees a clean EOF and exits 0
        self.finish_peer()

    def test_multiprocessing_pipe_duplex(self):
        ours, theirs = multiprocessing.Pipe(duplex=True)
        fd = theirs.fileno()
        self.start_peer("echo", fd, fd, fds=(fd,))
        theirs.close()
        try:
            self.converse(ours, ours)
        finally:
            ours.close()
        self.finish_peer()

    def test_one_way_pipes(self):
        # Python -> C over one pipe, C -> Python over another: multiprocessing.Pipe(False)
        # ends on the Python side.
        to_peer_r, to_peer_w = os.pipe()
        from_peer_r, from_peer_w = os.pipe()
        self.start_peer("echo", to_peer_r, from_peer_w, fds=(to_peer_r, from_peer_w))
        os.close(to_peer_r)
        os.close(from_peer_w)
        writer = mpc.Connection(to_peer_w, readable=False)
        reader = mpc.Connection(from_peer_r, writable=False)
        try:
            self.converse(reader, writer)
        finally:
            writer.close()
        self.finish_peer()
        # The peer closed its end: Python sees EOF.
        with self.assertRaises(EOFError):
            reader.recv_bytes()
        reader.close()

    def test_peer_send_to_closed_reader_is_epipe_not_sigpipe(self):
        r, w = os.pipe()
        os.close(r)
        self.start_peer("epipe", w, fds=(w,))
        os.close(w)
        self.finish_peer()
        self.assertNotEqual(self.proc.returncode, -signal.SIGPIPE)

    def test_peer_eof_mid_stream_after_partial_conversation(self):
        # Python closes while the peer is between messages: the peer ends cleanly.
        ours, theirs = multiprocessing.Pipe(duplex=True)
        fd = theirs.fileno()
        self.start_peer("echo", fd, fd, fds=(fd,))
        theirs.close()
        for n in GREETING_SIZES:
            self.assertEqual(self.recv(ours), greeting(n))
        ours.send_bytes(b"abc")
        self.assertEqual(self.recv(ours), b"cba")
        ours.close()
        self.finish_peer()


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        PEER = sys.argv.pop(1)
    if not PEER or not os.access(PEER, os.X_OK):
        sys.exit("usage: python_connection_test.py <connection_peer> (got %r)" % PEER)
    unittest.main(verbosity=2)
