#!/usr/bin/env bash
# Create the virtualenv (.venv) and install the project into it, editable.
#
#   scripts/install-python.sh          # the app
#   scripts/install-python.sh dev      # the app plus the test and lint tools
#
# A stamp file in .venv records a hash of pyproject.toml; the pip install is skipped
# while it matches, so repeated `make run` / `make test` start in a second.
set -euo pipefail
cd "$(dirname "$0")/.."

extra="${1:-}"
python="${PYTHON:-python3}"
venv=".venv"

if [ ! -x "$venv/bin/python" ]; then
    echo "Creating the virtualenv in $venv with $($python --version 2>&1)"
    "$python" -m venv "$venv"
fi

hash="$(sha256sum pyproject.toml | cut -d' ' -f1) $("$venv/bin/python" --version 2>&1)"
stamp_for() { echo "$venv/.installed${1:+-$1}"; }

# The dev install includes everything the plain install has.
candidates=("$extra")
[ -z "$extra" ] && candidates+=(dev)
for candidate in "${candidates[@]}"; do
    stamp="$(stamp_for "$candidate")"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
        exit 0
    fi
done

target="."
[ -n "$extra" ] && target=".[$extra]"
echo "Installing the project ($target) into $venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q -e "$target"
echo "$hash" >"$(stamp_for "$extra")"
