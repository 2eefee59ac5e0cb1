#!/usr/bin/env python3
"""Checks that libmproc can be dlopen()ed by an FFI, such as Python's ctypes.

usage: check_tls.py [--readelf READELF] [--limit BYTES] LIBRARY

The library reads the thread id from initial-exec TLS (one load on the lock fast path),
which marks its whole TLS block static (DF_STATIC_TLS). A dlopen() must then find room for
that block in glibc's static-TLS surplus (a few hundred bytes, shared by every library
loaded that way): a block that grows past it fails with "cannot allocate memory in static
TLS block". So the block must stay small, and the library must load with ctypes.
"""
import argparse
import ctypes
import re
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readelf", default="readelf")
    parser.add_argument("--limit", type=int, default=256)
    parser.add_argument("--size-only", action="store_true",
                        help="check the TLS size but do not load the library (a TSan build, "
                             "which an uninstrumented python3 cannot load)")
    parser.add_argument("library")
    args = parser.parse_args()

    out = subprocess.run([args.readelf, "-lW", args.library], check=True,
                         capture_output=True, text=True).stdout
    # "  TLS  0x0b3ff0 0x...b4ff0 0x...b4ff0 0x000000 0x000058 R   0x10": FileSiz, MemSiz
    match = re.search(r"^\s*TLS\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", out, re.M)
    size = int(match.group(5), 16) if match else 0
    print(f"TLS block of {args.library}: {size} bytes (limit {args.limit})")
    if size > args.limit:
        print("the static TLS block is over the limit: keep thread_locals small (a pointer "
              "to heap memory), see src/sync/process_identity.hpp", file=sys.stderr)
        return 1
    if args.size_only:
        return 0
    try:
        lib = ctypes.CDLL(args.library)
    except OSError as exc:
        print(f"ctypes cannot load {args.library}: {exc}", file=sys.stderr)
        return 1
    lib.mproc_version.restype = ctypes.c_char_p
    print(f"ctypes loaded it: mproc_version() = {lib.mproc_version().decode()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
