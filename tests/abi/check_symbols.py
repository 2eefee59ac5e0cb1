#!/usr/bin/env python3
"""Checks that a shared library exports exactly the symbols of a committed list.

usage: check_symbols.py [--nm NM] LIBRARY SYMBOLS_TXT            check (the test)
       check_symbols.py [--nm NM] --update LIBRARY SYMBOLS_TXT   rewrite the list
       check_symbols.py [--nm NM] --self-test LIBRARY SYMBOLS_TXT  (the list is not read)

The exported set is every defined, global, dynamic symbol of LIBRARY with its version node
(`nm -D --defined-only`: "mproc_queue_put@@MPROC_0"), the absolute symbols of the version
nodes themselves left out, as check_exports.py does. SYMBOLS_TXT holds one such symbol a
line, sorted; lines starting with "#" are comments.

The list is the ABI as released: a symbol exported but not on it is new ABI that would have
to be kept forever, a symbol on it but not exported breaks every program linked against an
earlier build, and a symbol that moved to another version node breaks them too. Both are
legitimate only as deliberate changes, made together with CHANGELOG.md. Exits 0 when the
sets are equal, 1 otherwise.

--self-test checks that this check can fail: with LIBRARY's own symbols as the list, less
one symbol, plus a made-up one, or with one moved to another version node, it must report
the difference; with the list unchanged, it must pass.
"""
import argparse
import os
import sys
import tempfile

from nm_symbols import exported_symbols

HEADER = """\
# The exported symbols of libmproc.so (SONAME libmproc.so.0), one "name@@version-node" a
# line, sorted. tests/abi/check_symbols.py (ctest -R abi_symbols) fails when the library
# exports a symbol not listed here or lacks one listed here. Change this file only on
# purpose, together with CHANGELOG.md: adding symbols is a compatible change (a new minor
# version), removing or renaming one breaks the ABI (a new SONAME). Regenerate with
#   python3 tests/abi/check_symbols.py --update <build>/capi/libmproc.so tests/abi/symbols.txt
"""


def read_list(path):
    symbols = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                symbols.add(line)
    return symbols


def write_list(path, symbols):
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        for name in sorted(symbols):
            f.write(name + "\n")


def compare(exported, listed, list_path, out=sys.stderr):
    extra = sorted(exported - listed)
    missing = sorted(listed - exported)
    for name in extra:
        print(f"exported but not in {list_path}: {name}", file=out)
    for name in missing:
        print(f"in {list_path} but not exported: {name}", file=out)
    if extra or missing:
        print(f"The ABI of the library changed. If that is intended, update {list_path} "
              "and CHANGELOG.md deliberately (check_symbols.py --update rewrites the list); "
              "otherwise undo the change that added or removed these symbols.", file=out)
        return 1
    return 0


def self_test(exported):
    """The comparison must report each kind of change, and pass on an unchanged list."""
    baseline = sorted(exported)
    first = baseline[0]
    cases = [
        ("one symbol left out", set(baseline[1:]), True),
        ("one symbol added", exported | {"mproc_no_such_function@@MPROC_0"}, True),
        ("one symbol in another node", (exported - {first}) |
         {first.split("@", 1)[0] + "@@MPROC_9"}, True),
        ("an unchanged list", exported, False),
    ]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "symbols.txt")
        for label, symbols, should_fail in cases:
            write_list(path, symbols)
            with open(os.devnull, "w", encoding="utf-8") as quiet:
                rc = compare(exported, read_list(path), path, out=quiet)
            if bool(rc) != should_fail:
                failures.append(f"{label}: the check returned {rc}")
    for failure in failures:
        print(f"self-test failed: {failure}", file=sys.stderr)
    if not failures:
        print(f"self-test: a left-out, an added and a moved symbol are each reported "
              f"({len(exported)} symbols)")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nm", default="nm")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--update", action="store_true",
                      help="rewrite SYMBOLS_TXT from LIBRARY instead of checking")
    mode.add_argument("--self-test", action="store_true",
                      help="check that the comparison reports changed lists")
    parser.add_argument("library")
    parser.add_argument("symbols")
    args = parser.parse_args()

    exported = exported_symbols(args.nm, args.library)
    if not exported:
        print(f"{args.library} exports no symbols", file=sys.stderr)
        return 1
    if args.update:
        write_list(args.symbols, exported)
        print(f"wrote {len(exported)} symbols to {args.symbols}")
        return 0
    if args.self_test:
        return self_test(exported)
    listed = read_list(args.symbols)
    rc = compare(exported, listed, args.symbols)
    if rc == 0:
        print(f"{len(exported)} symbols exported, the same as {args.symbols}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
