#!/usr/bin/env bash
# Runs the benchmark (`proctoring bench`) on a fresh SQLite file, then on a fresh PostgreSQL
# database (BENCH_DATABASE_URL, dropped and created again: its name must contain "bench").
# Writes var/bench/sqlite.json and var/bench/postgresql.json and prints both.
# Arguments go to `proctoring bench`, e.g. ./scripts/bench.sh --learners 50
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OUT="$PWD/var/bench"
BENCH_DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/proctoring_bench}"
export PROCTORING_DATA_DIR="$OUT"
mkdir -p "$OUT"

echo "== bench on SQLite ($OUT/bench.sqlite3)" >&2
rm -f "$OUT/bench.sqlite3" "$OUT/bench.sqlite3-wal" "$OUT/bench.sqlite3-shm" "$OUT/sqlite.json"
SQLITE_URL="sqlite:///$OUT/bench.sqlite3"
DATABASE_URL="$SQLITE_URL" "$BIN/proctoring" migrate --noinput -v0
DATABASE_URL="$SQLITE_URL" "$BIN/proctoring" bench --output "$OUT/sqlite.json" "$@"
echo

echo "== bench on PostgreSQL ($BENCH_DATABASE_URL)" >&2
rm -f "$OUT/postgresql.json"
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
