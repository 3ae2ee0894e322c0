#!/usr/bin/env bash
# Install the Debian packages named on the command line that are not installed yet.
#
#   scripts/install-system-packages.sh fonts-wqy-microhei chromium ...
#
# Already-installed packages are detected with `dpkg -s`, so a machine that has
# everything runs no apt command at all. Otherwise `apt-get update` runs once,
# then one non-interactive `apt-get install` of the missing packages.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 PACKAGE..." >&2
    exit 2
fi

missing=()
for package in "$@"; do
    # `dpkg -s` succeeds for removed-but-configured packages too: check the status line.
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing system packages: ${missing[*]}; no apt-get here, install them by hand" >&2
    exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "error: missing system packages: ${missing[*]}; run as root or install them" >&2
        exit 1
    fi
fi

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
# With the recommended packages: that is how chromium was checked to work headless here.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
