#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 server.
#
#   scripts/with_postgres.sh .venv/bin/pytest -m "not browser"
#
# The server lives in a fresh temporary directory, listens only on 127.0.0.1 on a free
# port (its unix socket stays inside that private directory), runs without fsync (the data
# is thrown away), and is stopped and deleted when the command ends, fails or is
# interrupted. The command sees DATABASE_URL=postgres://townsquare:...@127.0.0.1:PORT/townsquare
# for a role that may create databases (Django's test runner creates test_townsquare*,
# one per xdist worker). The script exits with the command's status.
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_USER (the system user that
# runs the server when this script runs as root; default postgres, created if missing).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_USER="${PG_USER:-postgres}"
DB_NAME="townsquare"
DB_ROLE="townsquare"

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi
for tool in initdb pg_ctl psql; do
    if [ ! -x "$PG_BIN/$tool" ]; then
        echo "$0: $PG_BIN/$tool not found; install the Debian package postgresql-15" >&2
        exit 2
    fi
done

# initdb refuses to run as root, so root hands the server to an unprivileged user.
if [ "$(id -u)" -eq 0 ]; then
    if ! id -u "$PG_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
            "$PG_USER"
    fi
    as_server_user() { (cd / && runuser -u "$PG_USER" -- "$@"); }
else
    as_server_user() { (cd / && "$@"); }
fi

free_port() {
    python3 - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/townsquare-pg.XXXXXX")"
DATA_DIR="$WORK_DIR/data"
SOCKET_DIR="$WORK_DIR/socket"
LOG_FILE="$WORK_DIR/server.log"
SERVER_STARTED=0

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ "$SERVER_STARTED" = 1 ]; then
        as_server_user "$PG_BIN/pg_ctl" -D "$DATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$SOCKET_DIR"
chmod 700 "$WORK_DIR"
if [ "$(id -u)" -eq 0 ]; then
    chown -R "$PG_USER" "$WORK_DIR"
fi

PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)"
if ! as_server_user "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$WORK_DIR/initdb.log" 2>&1; then
    cat "$WORK_DIR/initdb.log" >&2
    exit 1
fi

# Retry with another port if a different process grabbed ours in between.
for attempt in 1 2 3 4 5; do
    PORT="$(free_port)"
    options="-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories='$SOCKET_DIR'"
    options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    options="$options -c max_connections=200"
    if as_server_user "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start \
            -o "$options" >/dev/null 2>&1; then
        SERVER_STARTED=1
        break
    fi
    echo "$0: PostgreSQL did not start on port $PORT (attempt $attempt)" >&2
done
if [ "$SERVER_STARTED" != 1 ]; then
    cat "$LOG_FILE" >&2 || true
    exit 1
fi

as_server_user "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PORT" -U postgres \
    -d postgres -v role="$DB_ROLE" -v db="$DB_NAME" -v password="$PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN CREATEDB PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
SQL

export DATABASE_URL="postgres://$DB_ROLE:$PASSWORD@127.0.0.1:$PORT/$DB_NAME"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
