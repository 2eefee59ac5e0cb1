#!/usr/bin/env bash
# Installs the Debian packages that building and testing mproc need, if any is missing.
# Quiet when everything is present. As root it installs with apt-get; otherwise it stops
# and prints the exact command to run.
set -euo pipefail

packages=(cmake g++ make libboost-dev libffi-dev libgtest-dev libbenchmark-dev python3 clang-format
          libopenmpi-dev openmpi-bin)

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: dpkg-query not found; this script knows Debian/Ubuntu only." >&2
    echo "install-deps: install by hand: ${packages[*]}" >&2
    exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    {
        echo "install-deps: missing Debian packages: ${missing[*]}"
        echo "install-deps: install them with:"
        echo
        echo "    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
        echo
        echo "install-deps: then run make again."
    } >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
