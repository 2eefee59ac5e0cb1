#!/usr/bin/env python3
"""Checks that a shared library exports exactly the functions its public header declares.

usage: check_exports.py [--nm NM] LIBRARY HEADER

The exported set is every defined, global, dynamic symbol of LIBRARY (`nm -D
--defined-only`); the declared set is every function declared with MPROC_API in HEADER.
Both directions are checked: a declared function the library lacks breaks every caller at
load time, and an extra export (a leaked C++ symbol, a helper without `static`) becomes ABI
that cannot be removed later. Exits 0 when the sets are equal, 1 otherwise.
"""
import argparse
import re
import sys

import nm_symbols


def exported_symbols(nm, library):
    """The exported names, without their version node."""
    return {name.split("@", 1)[0] for name in nm_symbols.exported_symbols(nm, library)}


def declared_functions(header):
    with open(header, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)  # comments may mention names
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)  # the MPROC_API definition itself
    # A declaration: MPROC_API <return type> <name>( ... ;  possibly over several lines.
    return set(re.findall(r"\bMPROC_API\b[^;(]*?\b(\w+)\s*\(", text))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nm", default="nm")
    parser.add_argument("library")
    parser.add_argument("header")
    args = parser.parse_args()

    exported = exported_symbols(args.nm, args.library)
    declared = declared_functions(args.header)
    if not declared:
        print(f"no MPROC_API declarations found in {args.header}", file=sys.stderr)
        return 1

    missing = sorted(declared - exported)
    extra = sorted(exported - declared)
    for name in missing:
        print(f"declared in the header but not exported: {name}", file=sys.stderr)
    for name in extra:
        print(f"exported but not declared in the header: {name}", file=sys.stderr)
    if missing or extra:
        return 1
    print(f"{len(declared)} functions declared, the same {len(exported)} exported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
