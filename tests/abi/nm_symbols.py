"""The defined global symbols of a shared library, read with nm -D: shared by the ABI
checks (check_exports.py, check_symbols.py)."""
import re
import subprocess

# nm -D prints "<address> <type> <name>[@[@]<version>]". Upper-case types are global; "A"
# marks the absolute symbol the linker emits for a version node (MPROC_0), which is not a
# function of ours.
NM_LINE = re.compile(r"^\s*(?:[0-9a-fA-F]+\s+)?([A-Za-z])\s+(\S+)$")


def exported_symbols(nm, library):
    """The set of "name@@version" (or bare "name") that `library` defines and exports."""
    out = subprocess.run([nm, "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    symbols = set()
    for line in out.splitlines():
        m = NM_LINE.match(line)
        if not m:
            continue
        kind, name = m.groups()
        if not kind.isupper() or kind == "A":
            continue
        symbols.add(name)
    return symbols
