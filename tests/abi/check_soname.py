#!/usr/bin/env python3
"""Checks the SONAME of a shared library.

usage: check_soname.py [--readelf READELF] LIBRARY EXPECTED

The SONAME is the ABI version programs record when they link: changing it by accident
breaks every installed program, so it is pinned here and changed only on purpose.
"""
import argparse
import re
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readelf", default="readelf")
    parser.add_argument("library")
    parser.add_argument("expected")
    args = parser.parse_args()

    out = subprocess.run([args.readelf, "-d", args.library], check=True,
                         capture_output=True, text=True).stdout
    # "0x000000000000000e (SONAME)  Library soname: [libmproc.so.0]"
    sonames = re.findall(r"\(SONAME\)\s+Library soname: \[([^\]]*)\]", out)
    if sonames != [args.expected]:
        print(f"SONAME of {args.library}: {sonames or 'none'}, expected {args.expected}",
              file=sys.stderr)
        return 1
    print(f"SONAME {args.expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
