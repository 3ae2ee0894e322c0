#!/usr/bin/env bash
# The static checks: ruff's lint rules, ruff's formatting, mypy (configured in pyproject.toml:
# strict, with per-module exceptions for the untyped Flask extensions).
#
#   scripts/lint.sh      (what `make lint` runs, and what `make test` runs before the suites)
#
# Every check runs so one report shows all problems; exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
.venv/bin/ruff check . || status=1
.venv/bin/ruff format --check . || status=1
.venv/bin/mypy || status=1
exit "$status"
