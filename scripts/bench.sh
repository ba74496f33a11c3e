#!/usr/bin/env bash
# Runs the benchmarks on fresh SQLite files, then on a fresh PostgreSQL database
# (BENCH_DATABASE_URL, dropped and created again: its name must contain "bench"):
#   1. `proctoring bench`: the Python API, one call at a time (sqlite.json, postgresql.json);
#   2. `proctoring bench_expiry`: the expiry job on BENCH_EXPIRY_ATTEMPTS (10000) overdue
#      attempts (expiry-sqlite.json, expiry-postgresql.json);
#   2a. `proctoring bench_expiry_lag`: the in-process runner timing out BENCH_EXPIRY_ATTEMPTS
#      attempts due within 5 s: max and p99 lag (lag-sqlite.json, lag-postgresql.json);
#   2b. `proctoring bench_outbox`: the outbox delivering BENCH_OUTBOX_EVENTS (10000) events to a
#      local webhook receiver (outbox-sqlite.json, outbox-postgresql.json);
#   2c. `proctoring bench_browser`: browser proctoring's ingest of BENCH_BROWSER_EVENTS (20000)
#      events in batches of 200 through its endpoint (browser-sqlite.json, browser-postgresql.json);
#   3. scripts/bench_http.py: the REST API under gunicorn, the in-exam poll and a submit, with
#      concurrent clients (http-sqlite.json, http-postgresql.json); it fails the run when a
#      request fails or the poll makes more than 3 SQL statements.
#   3a. scripts/bench_wrk.py: the REST API under gunicorn driven by wrk, against bare Django
#      floors in the same run (a primary-key SELECT; a locked read, UPDATE and INSERT): poll,
#      staff page, start, submit, verify, reject; requests/s, p50/p99, statements, ratio to the
#      floor (wrk-postgresql.json), on PostgreSQL only; BENCH_WRK_OPTIONS go to it. wrk comes
#      from Debian's packages: installed with apt-get when missing and run as root.
#   4. scripts/bench_surge.py: an exam-start surge under gunicorn, BENCH_SURGE_OPTIONS
#      (default: 300 learners start within 60 s, poll every 30 s for 120 s, submit; about
#      3 min), on PostgreSQL (surge-postgresql.json); on SQLite too when BENCH_SURGE_SQLITE=1
#      (surge-sqlite.json). It fails the run when a request fails.
# Writes them to var/bench/ and prints them. Arguments go to `proctoring bench`, e.g.
# ./scripts/bench.sh --learners 50; BENCH_HTTP_OPTIONS go to bench_http.py (--threads 8).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OUT="$PWD/var/bench"
BENCH_DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/proctoring_bench}"
BENCH_EXPIRY_ATTEMPTS="${BENCH_EXPIRY_ATTEMPTS:-10000}"
BENCH_OUTBOX_EVENTS="${BENCH_OUTBOX_EVENTS:-10000}"
BENCH_BROWSER_EVENTS="${BENCH_BROWSER_EVENTS:-20000}"
read -r -a HTTP_OPTIONS <<<"${BENCH_HTTP_OPTIONS:-}"
read -r -a SURGE_OPTIONS <<<"${BENCH_SURGE_OPTIONS:-}"
read -r -a WRK_OPTIONS <<<"${BENCH_WRK_OPTIONS:-}"
export PROCTORING_DATA_DIR="$OUT"
mkdir -p "$OUT"

ensure_wrk() {  # wrk, the HTTP load generator of bench_wrk.py, from Debian's packages
    command -v wrk >/dev/null && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== installing wrk (apt-get)" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
    fi
    command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
}

fresh_sqlite() {  # fresh_sqlite NAME: delete and migrate var/bench/NAME.sqlite3; print its URL
    rm -f "$OUT/$1.sqlite3" "$OUT/$1.sqlite3-wal" "$OUT/$1.sqlite3-shm"
    DATABASE_URL="sqlite:///$OUT/$1.sqlite3" "$BIN/proctoring" migrate --noinput -v0
    echo "sqlite:///$OUT/$1.sqlite3"
}

rm -f "$OUT/sqlite.json" "$OUT/expiry-sqlite.json" "$OUT/lag-sqlite.json" "$OUT/outbox-sqlite.json" \
    "$OUT/http-sqlite.json" "$OUT/surge-sqlite.json" "$OUT/browser-sqlite.json"
echo "== bench on SQLite ($OUT/bench.sqlite3)" >&2
SQLITE_URL=$(fresh_sqlite bench)
DATABASE_URL="$SQLITE_URL" "$BIN/proctoring" bench --output "$OUT/sqlite.json" "$@"
echo

echo "== expiry bench on SQLite ($OUT/expiry.sqlite3, $BENCH_EXPIRY_ATTEMPTS attempts)" >&2
SQLITE_URL=$(fresh_sqlite expiry)
DATABASE_URL="$SQLITE_URL" "$BIN/proctoring" bench_expiry \
    --attempts "$BENCH_EXPIRY_ATTEMPTS" --output "$OUT/expiry-sqlite.json"
echo

echo "== expiry lag bench on SQLite ($OUT/lag.sqlite3, $BENCH_EXPIRY_ATTEMPTS attempts)" >&2
SQLITE_URL=$(fresh_sqlite lag)
DATABASE_URL="$SQLITE_URL" "$BIN/proctoring" bench_expiry_lag \
    --attempts "$BENCH_EXPIRY_ATTEMPTS" --output "$OUT/lag-sqlite.json"
echo

echo "== outbox bench on SQLite ($OUT/outbox.sqlite3, $BENCH_OUTBOX_EVENTS events)" >&2
SQLITE_URL=$(fresh_sqlite outbox)
DATABASE_URL="$SQLITE_URL" "$BIN/proctoring" bench_outbox \
    --events "$BENCH_OUTBOX_EVENTS" --output "$OUT/outbox-sqlite.json"
echo

echo "== browser proctoring ingest bench on SQLite ($OUT/browser.sqlite3)" >&2
SQLITE_URL=$(fresh_sqlite browser)
DATABASE_URL="$SQLITE_URL" "$BIN/proctoring" bench_browser \
    --events "$BENCH_BROWSER_EVENTS" --output "$OUT/browser-sqlite.json"
echo

echo "== HTTP bench on SQLite ($OUT/http.sqlite3, gunicorn)" >&2
SQLITE_URL=$(fresh_sqlite http)
"$BIN/python" scripts/bench_http.py --database-url "$SQLITE_URL" \
    --output "$OUT/http-sqlite.json" ${HTTP_OPTIONS[@]+"${HTTP_OPTIONS[@]}"}
echo

if [ "${BENCH_SURGE_SQLITE:-0}" = 1 ]; then
    echo "== exam-start surge on SQLite ($OUT/surge.sqlite3, gunicorn)" >&2
    SQLITE_URL=$(fresh_sqlite surge)
    "$BIN/python" scripts/bench_surge.py --database-url "$SQLITE_URL" \
        --output "$OUT/surge-sqlite.json" ${SURGE_OPTIONS[@]+"${SURGE_OPTIONS[@]}"}
    echo
fi

echo "== bench on PostgreSQL ($BENCH_DATABASE_URL)" >&2
rm -f "$OUT/postgresql.json" "$OUT/expiry-postgresql.json" "$OUT/lag-postgresql.json" \
    "$OUT/outbox-postgresql.json" "$OUT/http-postgresql.json" "$OUT/surge-postgresql.json" \
    "$OUT/browser-postgresql.json"
if ! "$BIN/python" scripts/db_reachable.py "$BENCH_DATABASE_URL"; then
    echo "PostgreSQL is not reachable: PostgreSQL bench skipped." >&2
    exit 0
fi
"$BIN/python" - "$BENCH_DATABASE_URL" <<'PY'
"""Drop and create the bench database, connected to the server's `postgres` database."""
import sys

import dj_database_url
import psycopg
from psycopg import sql

config = dj_database_url.parse(sys.argv[1])
name = config["NAME"]
if "bench" not in name:
    sys.exit(f"refusing to drop {name!r}: the bench database's name must contain 'bench'")
with psycopg.connect(
    host=config["HOST"] or "127.0.0.1",
    port=int(config["PORT"] or 5432),
    user=config["USER"] or "postgres",
    password=config["PASSWORD"] or None,
    dbname="postgres",
    autocommit=True,
) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
PY
DATABASE_URL="$BENCH_DATABASE_URL" "$BIN/proctoring" migrate --noinput -v0
DATABASE_URL="$BENCH_DATABASE_URL" "$BIN/proctoring" bench --output "$OUT/postgresql.json" "$@"
echo

# The API bench leaves no running attempt behind: the expiry job finds only its own.
echo "== expiry bench on PostgreSQL ($BENCH_EXPIRY_ATTEMPTS attempts)" >&2
DATABASE_URL="$BENCH_DATABASE_URL" "$BIN/proctoring" bench_expiry \
    --attempts "$BENCH_EXPIRY_ATTEMPTS" --output "$OUT/expiry-postgresql.json"
echo

echo "== expiry lag bench on PostgreSQL ($BENCH_EXPIRY_ATTEMPTS attempts)" >&2
DATABASE_URL="$BENCH_DATABASE_URL" "$BIN/proctoring" bench_expiry_lag \
    --attempts "$BENCH_EXPIRY_ATTEMPTS" --output "$OUT/lag-postgresql.json"
echo

echo "== outbox bench on PostgreSQL ($BENCH_OUTBOX_EVENTS events)" >&2
DATABASE_URL="$BENCH_DATABASE_URL" "$BIN/proctoring" bench_outbox \
    --events "$BENCH_OUTBOX_EVENTS" --output "$OUT/outbox-postgresql.json"
echo

echo "== browser proctoring ingest bench on PostgreSQL ($BENCH_BROWSER_EVENTS events)" >&2
DATABASE_URL="$BENCH_DATABASE_URL" "$BIN/proctoring" bench_browser \
    --events "$BENCH_BROWSER_EVENTS" --output "$OUT/browser-postgresql.json"
echo

echo "== HTTP bench on PostgreSQL (gunicorn)" >&2
"$BIN/python" scripts/bench_http.py --database-url "$BENCH_DATABASE_URL" \
    --output "$OUT/http-postgresql.json" ${HTTP_OPTIONS[@]+"${HTTP_OPTIONS[@]}"}
echo

echo "== HTTP bench against the floors on PostgreSQL (gunicorn, wrk)" >&2
ensure_wrk
rm -f "$OUT/wrk-postgresql.json"
"$BIN/python" scripts/bench_wrk.py --database-url "$BENCH_DATABASE_URL" \
    --output "$OUT/wrk-postgresql.json" ${WRK_OPTIONS[@]+"${WRK_OPTIONS[@]}"}
echo

echo "== exam-start surge on PostgreSQL (gunicorn)" >&2
"$BIN/python" scripts/bench_surge.py --database-url "$BENCH_DATABASE_URL" \
    --output "$OUT/surge-postgresql.json" ${SURGE_OPTIONS[@]+"${SURGE_OPTIONS[@]}"}
echo
