#!/usr/bin/env bash
# Runs the whole suite on SQLite and on PostgreSQL (TEST_DATABASE_URL), the two side by side:
# each run is mostly one Python process, so on 2 cores the pair takes about the time of one.
# The PostgreSQL run's output is kept in var/test/postgresql.log and printed when it ends.
# With CI=true an unreachable PostgreSQL is a failure; elsewhere it is reported and skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/proctoring_test}"
mkdir -p var/test var/testpg

postgres_pid=""
if "$BIN/python" scripts/db_reachable.py "$TEST_DATABASE_URL"; then
    echo "== tests on PostgreSQL ($TEST_DATABASE_URL), in the background: var/test/postgresql.log"
    DATABASE_URL="$TEST_DATABASE_URL" PROCTORING_DATA_DIR="$PWD/var/testpg" \
        "$BIN/pytest" "$@" >var/test/postgresql.log 2>&1 &
    postgres_pid=$!
    # Interrupted (Ctrl-C, a failure of this script): the background run stops too.
    trap 'kill "$postgres_pid" 2>/dev/null || true' EXIT
elif [ "${CI:-}" = "true" ]; then
    echo "PostgreSQL is not reachable and CI=true: failing." >&2
    exit 1
else
    echo "PostgreSQL is not reachable: PostgreSQL run skipped (set CI=true to make this fail)."
fi

echo "== tests on SQLite"
sqlite_status=0
DATABASE_URL="sqlite:///$PWD/var/test/db.sqlite3" PROCTORING_DATA_DIR="$PWD/var/test" \
    "$BIN/pytest" "$@" || sqlite_status=$?

postgres_status=0
postgres_said="skipped"
if [ -n "$postgres_pid" ]; then
    wait "$postgres_pid" || postgres_status=$?
    trap - EXIT
    postgres_said="exit $postgres_status"
    echo "== tests on PostgreSQL ($TEST_DATABASE_URL)"
    cat var/test/postgresql.log
fi
echo "== SQLite: exit $sqlite_status; PostgreSQL: $postgres_said"
[ "$sqlite_status" -eq 0 ] && [ "$postgres_status" -eq 0 ]
