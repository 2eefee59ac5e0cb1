#!/usr/bin/env python3
"""Writes the seed corpus of the segment fuzzer (tests/fuzz/corpus/).

Each seed is a program in the format segment_fuzzer.cpp reads (see program.hpp): byte 0
the kind, then creation arguments, then ops. An op byte is (code << 2 | handle), code
0 open, 1 close, 2-3 a peer write, 4 resize the file then open (only while nothing is
mapped), 5 a call on a NULL handle, 6-15 a call of the kind (its sub-op and arguments
follow). Run it again after changing the program format:

    python3 tests/fuzz/make_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

KINDS = {
    "lock": 0, "rlock": 1, "semaphore": 2, "bounded_semaphore": 3, "event": 4,
    "condition": 5, "condition_lock": 6, "condition_rlock": 7, "barrier": 8,
    "queue": 9, "simple_queue": 10, "joinable_queue": 11, "value": 12, "array": 13,
    "dict": 14, "list": 15,
}
# Sub-ops per kind: how many there are (the op picks one with a byte modulo this).
SUBOPS = {
    "lock": 3, "rlock": 4, "semaphore": 4, "bounded_semaphore": 4, "event": 4,
    "condition": 6, "condition_lock": 6, "condition_rlock": 6, "barrier": 7,
    "queue": 12, "simple_queue": 12, "joinable_queue": 12, "value": 7, "array": 9,
    "dict": 14, "list": 12,
}


def op(code, handle=0):
    return bytes([(code << 2) | handle])


def call(handle=0, code=6):
    return op(code, handle)


def poke(offset, width_log2=2, interesting=None, value=0, whole=False, handle=0):
    """A peer write: width 1 << width_log2 at offset, either an 'interesting' value
    (index into peer.cpp's list) or 8 bytes of `value`."""
    b = op(2, handle) + bytes([width_log2])
    if interesting is None:
        b += bytes([1]) + struct.pack("<I", offset) + struct.pack("<Q", value)
    else:
        b += bytes([0]) + struct.pack("<I", offset) + bytes([interesting])
    # The span flag: 0 = the first 512 bytes, 1 = the whole file.
    return b + bytes([1 if whole else 0])


def resize_open(mode, arg=0, handle=1):
    return op(4, handle) + bytes([mode]) + struct.pack("<H", arg)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.remove(os.path.join(OUT, old))
    for kind, k in KINDS.items():
        n = SUBOPS[kind]
        head = bytes([k, 2, 8, 1, 5])  # creation arguments (sizes, type codes...)
        # Every sub-op once through the creator's handle, with small arguments.
        body = b"".join(call(0) + bytes([s, 1, 2, 3, 4]) for s in range(n))
        write(f"{kind}-ops", head + body)
        # The same through a second handle opened by name, then both closed.
        write(f"{kind}-reopen", head + op(0, 1) + b"".join(
            call(1) + bytes([s, 3, 1, 0, 2]) for s in range(n)) + op(1, 1) + op(1, 0))
        # Calls on a NULL handle.
        write(f"{kind}-null", head + b"".join(op(5) + bytes([s, 0, 0]) for s in range(n)))
        # A peer scribbles on the header and the fields after it, then calls and an open.
        pokes = b"".join(poke(off, 2, interesting=i % 12) for i, off in
                         enumerate([0, 8, 12, 16, 20, 24, 64, 68, 72, 80, 88, 96, 104]))
        write(f"{kind}-poke-header", head + pokes + op(0, 1) +
              b"".join(call(0) + bytes([s, 0, 0, 1]) for s in range(n)))
        # Random-looking values in the object's fields, anywhere in the file.
        pokes = b"".join(poke(off * 37, 3, value=0x0123456789abcdef * (off + 1), whole=True)
                         for off in range(1, 9))
        write(f"{kind}-poke-anywhere", head + b"".join(call(0) + bytes([s, 2]) for s in range(n))
              + pokes + b"".join(call(0) + bytes([s, 2, 5, 7]) for s in range(n)))
        # Truncated and extended files opened again after every handle closed.
        write(f"{kind}-truncate", head + op(1, 0) + resize_open(3, 0, 1) + op(1, 1) +
              resize_open(0, 40, 2) + op(1, 2) + resize_open(2, 4096, 0) +
              b"".join(call(0) + bytes([s, 1]) for s in range(n)))
    # Kind-specific seeds: the geometry and slot words of a queue.
    q = bytes([KINDS["queue"], 3, 16])
    put = call(0) + bytes([0, 8, 0])
    write("queue-slots", q + put * 3 + poke(384, 3, interesting=1, whole=True) +
          poke(448, 3, interesting=1, whole=True) + poke(456, 3, interesting=8, whole=True) +
          (call(0) + bytes([2, 40, 0])) * 3 + call(0) + bytes([4]) + call(0) + bytes([6, 0, 0]))
    write("queue-geometry", q + put + poke(64, 3, interesting=1) + poke(72, 3, interesting=4) +
          poke(80, 3, interesting=11) + poke(88, 3, interesting=2) + op(0, 1) +
          call(1) + bytes([2, 63, 0]))
    # A value whose type code changes under an open handle.
    write("value-typecode", bytes([KINDS["value"], 0, 1]) + poke(64, 0, value=ord("d")) +
          poke(65, 0, value=8) + call(0) + bytes([0]) + op(0, 1) + call(1) + bytes([6]))
    write("array-length", bytes([KINDS["array"], 1, 0, 3]) + poke(72, 3, interesting=1) +
          call(0) + bytes([0, 200, 30]) + call(0) + bytes([3, 0, 0, 200, 1]) +
          call(0) + bytes([8]) + op(0, 1))
    write("dict-header", bytes([KINDS["dict"]]) + call(0) + bytes([1, 1, 0, 0, 3, 1, 1]) +
          poke(96, 3, interesting=6) + poke(104, 3, interesting=1) + poke(88, 2, value=2) +
          call(0) + bytes([0, 2]) + op(0, 1) + call(1) + bytes([10]))
    write("list-header", bytes([KINDS["list"]]) + call(0) + bytes([1, 0, 0, 0, 3, 0]) * 3 +
          poke(80, 2, value=1) + poke(96, 3, interesting=1) + call(0) + bytes([3, 0, 0, 0, 8])
          + op(0, 1) + call(1) + bytes([0, 8, 0, 0, 0]))
    write("condition-slots", bytes([KINDS["condition"]]) + call(0) + bytes([0, 0]) +
          poke(400, 2, interesting=3, whole=True) + call(0) + bytes([4, 2]) +
          call(0) + bytes([2, 1]))
    write("barrier-guard", bytes([KINDS["barrier"], 2]) + poke(64, 2, interesting=5) +
          call(0) + bytes([0, 1]) + call(0) + bytes([2]) + call(0) + bytes([3]))
    print(f"wrote {len(os.listdir(OUT))} seeds to {OUT}")


if __name__ == "__main__":
    main()
