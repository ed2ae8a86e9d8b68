#!/usr/bin/env bash
# Start and stop a private PostgreSQL cluster under .data/ on a free local port. Source this file, then:
#   pg_start   sets PG_PORT, PG_ADMIN_CS (the "postgres" database) and METERING_DB (database "metering")
#   pg_stop    stops the cluster started by pg_start
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PG_DATA_ROOT="${METERING_DATA_DIR:-$REPO_ROOT/.data}"

pg_bindir() {
    local dir=""
    if command -v pg_config >/dev/null 2>&1; then dir="$(pg_config --bindir)"; fi
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
        dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    fi
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "PostgreSQL server binaries not found; installing Debian's postgresql package..." >&2
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
            dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
        fi
    fi
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
        echo "PostgreSQL server binaries are missing. Install them with: sudo apt-get install postgresql (PostgreSQL 15 or later)," >&2
        echo "or set METERING_DB to an Npgsql connection string of a server you run." >&2
        return 1
    fi
    echo "$dir"
}

# Runs a command as the postgres user when we are root (initdb refuses root), else as ourselves.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    local port
    for port in $(seq 55432 55532); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "no free port between 55432 and 55532" >&2
    return 1
}

pg_start() {
    local bindir name
    bindir="$(pg_bindir)"
    name="${1:-pg}"
    PG_DIR="$PG_DATA_ROOT/$name"
    PG_BINDIR="$bindir"
    mkdir -p "$PG_DATA_ROOT"
    if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DATA_ROOT"; fi
    if [ ! -f "$PG_DIR/PG_VERSION" ]; then
        as_pg mkdir -p "$PG_DIR"
        as_pg "$bindir/initdb" -D "$PG_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if [ -f "$PG_DIR/postmaster.pid" ]; then
        as_pg "$bindir/pg_ctl" -D "$PG_DIR" stop -m fast >/dev/null 2>&1 || rm -f "$PG_DIR/postmaster.pid"
    fi
    PG_PORT="$(free_port)"
    as_pg "$bindir/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w -t 60 start \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB -c fsync=on -c synchronous_commit=on" >/dev/null
    PG_ADMIN_CS="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
    as_pg "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='metering'" | grep -q 1 \
        || as_pg "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE metering" >/dev/null
    METERING_DB="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=metering"
    export PG_PORT PG_ADMIN_CS METERING_DB PG_DIR PG_BINDIR
    echo "PostgreSQL running on 127.0.0.1:$PG_PORT (data in $PG_DIR)" >&2
}

pg_stop() {
    if [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/postmaster.pid" ]; then
        as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DIR" stop -m fast >/dev/null 2>&1 || true
        echo "PostgreSQL stopped" >&2
    fi
}
