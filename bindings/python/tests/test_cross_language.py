"""Cross-language tests: Python and C / C++ programs (tests/peers/) share objects by name.

1. C++ producers fill a named Queue with raw bytes; Python consumers (this process and a
   spawned one) drain it with Queue.open(name).get_bytes(): every message exactly once.
2. A Python process sets a named Event that a C program waits on.
3. C and Python processes increment one item of a named Array under its lock.

The peers are built by bindings/python/CMakeLists.txt into $MPROC_TEST_BIN_DIR; a test
whose peer is missing is skipped and says so.
"""

import collections
import multiprocessing
import os
import pickle
import queue
import subprocess
import tempfile
import time
import unittest

import mproc
from support import MprocTestCase, fork, wait_child

TIMEOUT = 60  # for things that must happen
MASK64 = (1 << 64) - 1


def peer(testcase, name):
    """The path of peer program `name`, or skips the test saying why."""
    folder = os.environ.get("MPROC_TEST_BIN_DIR")
    if not folder:
        testcase.skipTest("MPROC_TEST_BIN_DIR is not set: the C/C++ peer %r is not built "
                          "(run through ctest, or set it to the folder of the peers)" % name)
    path = os.path.join(folder, name)
    if not os.access(path, os.X_OK):
        testcase.skipTest("peer program %s is missing (build target py_peer_%s)" % (path, name))
    return path


def message(producer, seq):
    """The seq-th message of a producer, as peers/queue_producer.cpp builds it."""
    filler = "".join(chr(ord("a") + (seq + k) % 26) for k in range((seq * 7) % 97))
    return ("p%d-%d-%s" % (producer, seq, filler)).encode()


def fnv1a(data):
    h = 14695981039346656037
    for c in data:
        h = ((h ^ c) * 1099511628211) & MASK64
    return h


# ---- Children (module level: a spawn child imports them) ------------------------------

def queue_consumer(name, quota, path):
    """A Python consumer in another process: takes `quota` messages and saves them."""
    q = mproc.Queue.open(name)
    got = [q.get_bytes(timeout=TIMEOUT) for _ in range(quota)]
    q.close()
    with open(path, "wb") as f:
        pickle.dump(got, f)


def array_incrementer(arr, index, rounds):
    """A Python incrementer in another process (the Array arrives pickled by name)."""
    for _ in range(rounds):
        with arr.get_lock():
            arr[index] += 1


class Case(MprocTestCase):
    def start(self, argv):
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def reap():
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
        self.addCleanup(reap)
        return proc

    def finish(self, proc):
        """Waits for a peer; returns (exit status, stdout); stderr goes in the message."""
        out, err = proc.communicate(timeout=TIMEOUT)
        self.last_stderr = err.decode(errors="replace")
        return proc.returncode, out.decode()


# ---- 1. Queue: C++ producers, Python consumers -----------------------------------------

class QueueTest(Case):
    def make_queue(self, maxsize):
        return self.named(mproc.Queue, maxsize, max_message_size=256, tag="xl-q")

    def drain(self, q, n, producers):
        """Takes n messages, failing early (not after a long timeout) if a producer
        failed."""
        got = []
        deadline = time.monotonic() + TIMEOUT
        while len(got) < n:
            try:
                got.append(q.get_bytes(timeout=0.5))
            except queue.Empty:
                for p in producers:
                    if p.poll() not in (None, 0):
                        self.fail("producer exited with %d: %s"
                                  % (p.returncode, p.stderr.read().decode(errors="replace")))
                self.assertLess(time.monotonic(), deadline,
                                "only %d of %d messages came" % (len(got), n))
        return got

    def producer_checksums(self, producers):
        total = 0
        for p in producers:
            status, out = self.finish(p)
            self.assertEqual(status, 0, self.last_stderr)
            total = (total + int(out.strip())) & MASK64
        return total

    def check_exactly_once(self, got, expected, checksum):
        self.assertEqual(len(got), len(expected))
        counts = collections.Counter(got)
        self.assertEqual(set(counts), set(expected))
        self.assertEqual(max(counts.values()), 1)
        self.assertEqual(sum(fnv1a(m) for m in got) & MASK64, checksum)

    def test_one_producer_one_consumer_in_order(self):
        producer_bin = peer(self, "queue_producer")
        q = self.make_queue(16)  # small: the producer must wait for the consumer
        count = 1500
        producer = self.start([producer_bin, q.name, "7", str(count)])
        got = self.drain(mproc.Queue.open(q.name), count, [producer])
        checksum = self.producer_checksums([producer])
        self.assertEqual(got, [message(7, seq) for seq in range(count)])  # FIFO
        self.check_exactly_once(got, {message(7, seq) for seq in range(count)}, checksum)
        with self.assertRaises(queue.Empty):
            q.get_bytes(block=False)

    def test_producers_and_consumers_in_two_processes(self):
        producer_bin = peer(self, "queue_producer")
        q = self.make_queue(32)
        producers_n, count = 3, 1000
        total = producers_n * count
        quota = total // 3  # taken by the spawned consumer, the rest by this process
        fd, path = tempfile.mkstemp(prefix="mproc-xl-")
        os.close(fd)
        self.addCleanup(os.unlink, path)
        child = multiprocessing.get_context("spawn").Process(
            target=queue_consumer, args=(q.name, quota, path))
        child.start()
        self.addCleanup(child.join, TIMEOUT)
        producers = [self.start([producer_bin, q.name, str(i), str(count)])
                     for i in range(producers_n)]
        mine = self.drain(mproc.Queue.open(q.name), total - quota, producers)
        checksum = self.producer_checksums(producers)
        child.join(TIMEOUT)
        self.assertEqual(child.exitcode, 0)
        with open(path, "rb") as f:
            theirs = pickle.load(f)
        self.assertEqual(len(theirs), quota)
        expected = {message(i, seq) for i in range(producers_n) for seq in range(count)}
        self.check_exactly_once(mine + theirs, expected, checksum)
        with self.assertRaises(queue.Empty):
            q.get_bytes(block=False)
        # Each producer's messages keep their order within each consumer.
        for got in (mine, theirs):
            for i in range(producers_n):
                seqs = [int(m.split(b"-")[1]) for m in got if m.startswith(b"p%d-" % i)]
                self.assertEqual(seqs, sorted(seqs))


# ---- 2. Event: Python sets, C waits ----------------------------------------------------

class EventTest(Case):
    def make_event(self):
        return self.named(mproc.Event, tag="xl-ev")

    def test_c_program_sees_a_set_from_a_python_process(self):
        waiter_bin = peer(self, "event_waiter")
        ev = self.make_event()
        waiter = self.start([waiter_bin, ev.name, str(TIMEOUT)])
        self.assertEqual(waiter.stdout.readline(), b"ready\n")
        time.sleep(0.1)  # most likely the C program is waiting now (correct either way)
        pid = fork(lambda: mproc.Event.open(ev.name).set())
        self.assertEqual(wait_child(pid), 0)
        status, _ = self.finish(waiter)
        self.assertEqual(status, 0, "the C waiter did not see the set: " + self.last_stderr)
        self.assertTrue(ev.is_set())

    def test_c_program_times_out_on_an_unset_event(self):
        waiter_bin = peer(self, "event_waiter")
        ev = self.make_event()
        waiter = self.start([waiter_bin, ev.name, "0.1"])
        status, out = self.finish(waiter)
        self.assertEqual((status, out), (3, "ready\n"), self.last_stderr)
        self.assertFalse(ev.is_set())

    def test_c_program_sees_an_event_set_before(self):
        waiter_bin = peer(self, "event_waiter")
        ev = self.make_event()
        ev.set()
        status, _ = self.finish(self.start([waiter_bin, ev.name, str(TIMEOUT)]))
        self.assertEqual(status, 0, self.last_stderr)


# ---- 3. Array: C and Python increment under the Array's lock --------------------------

class ArrayTest(Case):
    def test_c_and_python_increment_exactly(self):
        incrementer_bin = peer(self, "array_incrementer")
        arr = self.named(mproc.Array, 'i', 3, tag="xl-arr")
        name = arr.name
        rounds = 2000
        peers = [self.start([incrementer_bin, name, "1", str(rounds)]) for _ in range(2)]
        spawned = multiprocessing.get_context("spawn").Process(
            target=array_incrementer, args=(arr, 1, rounds))
        spawned.start()
        self.addCleanup(spawned.join, TIMEOUT)
        # A fork child attaches by name itself.
        pid = fork(lambda: array_incrementer(mproc.Array.open(name), 1, rounds))
        array_incrementer(arr, 1, rounds)  # and this process
        self.assertEqual(wait_child(pid), 0)
        for p in peers:
            status, _ = self.finish(p)
            self.assertEqual(status, 0, self.last_stderr)
        spawned.join(TIMEOUT)
        self.assertEqual(spawned.exitcode, 0)
        self.assertEqual(arr[:], [0, 5 * rounds, 0])

    def test_c_program_refuses_another_type(self):
        incrementer_bin = peer(self, "array_incrementer")
        arr = self.named(mproc.Array, 'd', 2, tag="xl-arrd")
        name = arr.name
        status, _ = self.finish(self.start([incrementer_bin, name, "0", "5"]))
        self.assertEqual(status, 3, self.last_stderr)
        self.assertEqual(arr[:], [0.0, 0.0])


if __name__ == "__main__":
    unittest.main()
