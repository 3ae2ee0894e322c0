#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster, then stop and delete it.
#
#   scripts/with-postgres.sh .venv/bin/pytest
#
# The cluster lives in a fresh mktemp directory, listens on 127.0.0.1 only, on a free
# port, with its socket in that directory. The command gets
#   TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:PORT/assessment_test
# and its exit code is this script's. A cluster that cannot start is a failure
# (exit 1), never a skip. PostgreSQL refuses to run as root, so as root the server
# runs as the `postgres` user (created by Debian's postgresql package).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

pg_bin="${PG_BIN:-}"
if [ -z "$pg_bin" ]; then
    for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [ -x "$candidate/initdb" ]; then
            pg_bin="$candidate"
            break
        fi
    done
fi
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo "error: PostgreSQL server binaries not found (apt-get install postgresql-15)" >&2
    exit 1
fi

as_postgres=()
if [ "$(id -u)" -eq 0 ]; then
    as_postgres=(runuser -u postgres --)
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/assessment-pg.XXXXXX")"
chmod 700 "$workdir"
if [ "${#as_postgres[@]}" -gt 0 ]; then
    chown postgres:postgres "$workdir"
fi
data="$workdir/data"
log="$workdir/server.log"
started=""

cleanup() {
    local status=$?
    if [ -n "$started" ]; then
        "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])'
}

fail() {
    echo "error: $*" >&2
    if [ -f "$log" ]; then
        echo "---- PostgreSQL server log ----" >&2
        tail -n 30 "$log" >&2
    fi
    exit 1
}

"${as_postgres[@]}" "$pg_bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 >"$workdir/initdb.log" 2>&1 ||
    { cat "$workdir/initdb.log" >&2; fail "initdb failed"; }

# The port is free when chosen but could be taken before the server binds it: retry.
port=""
for _attempt in 1 2 3; do
    candidate="$(free_port)"
    if "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -t 60 -o \
        "-p $candidate -k $workdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null 2>&1; then
        port="$candidate"
        started=yes
        break
    fi
done
[ -n "$port" ] || fail "the throwaway PostgreSQL server did not start"

"${as_postgres[@]}" "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "CREATE DATABASE assessment_test" || fail "could not create the test database"

export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/assessment_test"
echo "Throwaway PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
set +e
"$@"
status=$?
set -e
exit "$status"
