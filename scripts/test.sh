#!/usr/bin/env bash
# The static checks (scripts/lint.sh), then the whole test suite twice: on SQLite, then on
# a throwaway PostgreSQL 15 cluster.
#
#   scripts/test.sh [PYTEST ARGS...]      (what `make test` runs; e.g. -m "not e2e")
#
# Installs what the tests need first (test tools into .venv; chromium, CJK fonts,
# PostgreSQL and poppler from Debian when missing), then compiles the translations.
# Exits non-zero if the checks or either run fail; all three always happen so one report
# shows everything.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-python.sh dev
scripts/install-system-packages.sh \
    chromium fonts-wqy-microhei postgresql-15 poppler-utils libpango-1.0-0 libpangoft2-1.0-0
scripts/compile-translations.sh

run() {
    local name="$1"
    shift
    echo
    echo "==== Test suite on $name ===="
    # No line after pytest's own: its closing summary (with the time taken) stays last.
    "$@"
}

# One pytest-xdist worker per core (TEST_WORKERS=N to choose; PYTEST ARGS "-n 0" turns it
# off): CI runs both passes within 20 minutes only this way. Each worker gets its own
# database on PostgreSQL (tests/conftest.py) and its own browser-test server.
workers=(-n "${TEST_WORKERS:-auto}")

lint_status=0
sqlite_status=0
postgres_status=0
echo "==== Static checks ===="
scripts/lint.sh || lint_status=$?
run SQLite .venv/bin/python -m pytest "${workers[@]}" "$@" || sqlite_status=$?
run PostgreSQL scripts/with-postgres.sh .venv/bin/python -m pytest "${workers[@]}" "$@" ||
    postgres_status=$?

if [ "$sqlite_status" -ne 0 ]; then
    exit "$sqlite_status"
fi
if [ "$postgres_status" -ne 0 ]; then
    exit "$postgres_status"
fi
exit "$lint_status"
