#!/usr/bin/env bash
# Start and stop a private PostgreSQL cluster under .data/ on a free local port. Source this file, then:
#   pg_start   [NAME [PORT]] sets PG_PORT, PG_ADMIN_CS (the "postgres" database) and METERING_DB (database "metering")
#   pg_stop    [NAME] stops the cluster started by pg_start (or NAME); pg_destroy NAME also deletes its data
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
        (cd / && runuser -u postgres -- "$@") # from /: the current folder may be closed to postgres
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

# The folder for private clusters: .data/ in the repository, unless the postgres user cannot reach it (a clone under a
# home directory with mode 0700, say), then one under /var/tmp named after the repository.
pg_data_root() {
    mkdir -p "$PG_DATA_ROOT"
    if [ "$(id -u)" != 0 ]; then echo "$PG_DATA_ROOT"; return 0; fi
    chown postgres "$PG_DATA_ROOT"
    if as_pg test -w "$PG_DATA_ROOT" -a -x "$PG_DATA_ROOT"; then echo "$PG_DATA_ROOT"; return 0; fi
    local fallback
    fallback="/var/tmp/metering-pg-$(echo "$REPO_ROOT" | md5sum | cut -c1-12)"
    mkdir -p "$fallback" && chown postgres "$fallback" && chmod 0700 "$fallback"
    echo "$fallback"
}

# pg_start NAME [PORT]: starts (creating it the first time) the private cluster NAME, on PORT or a free port.
pg_start() {
    local bindir name root
    bindir="$(pg_bindir)" || return 1
    name="${1:-pg}"
    root="$(pg_data_root)" || { echo "PostgreSQL could not start: no folder the postgres user can write" >&2; return 1; }
    PG_DIR="$root/$name"
    PG_BINDIR="$bindir"
    if [ ! -f "$PG_DIR/PG_VERSION" ]; then
        if ! as_pg mkdir -p "$PG_DIR" || ! as_pg "$bindir/initdb" -D "$PG_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$root/$name.initdb.log" 2>&1; then
            echo "PostgreSQL could not start: initdb failed in $PG_DIR (see $root/$name.initdb.log)" >&2
            return 1
        fi
    fi
    if [ -f "$PG_DIR/postmaster.pid" ]; then
        as_pg "$bindir/pg_ctl" -D "$PG_DIR" stop -m fast >/dev/null 2>&1 || rm -f "$PG_DIR/postmaster.pid"
    fi
    PG_PORT="${2:-$(free_port)}" || return 1
    if ! as_pg "$bindir/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w -t 60 start \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB -c fsync=on -c synchronous_commit=on" >/dev/null; then
        echo "PostgreSQL could not start on port $PG_PORT (see $PG_DIR/server.log)" >&2
        return 1
    fi
    PG_ADMIN_CS="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
    as_pg "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='metering'" | grep -q 1 \
        || as_pg "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE metering" >/dev/null \
        || { echo "PostgreSQL could not start: creating the metering database failed" >&2; return 1; }
    METERING_DB="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=metering"
    export PG_PORT PG_ADMIN_CS METERING_DB PG_DIR PG_BINDIR
    echo "PostgreSQL running on 127.0.0.1:$PG_PORT (data in $PG_DIR)" >&2
}

# pg_stop [NAME]: stops the cluster started by pg_start, or the private cluster NAME.
pg_stop() {
    if [ -n "${1:-}" ]; then
        PG_DIR="$(pg_data_root)/$1"
        PG_BINDIR="$(pg_bindir)" || return 1
    fi
    if [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/postmaster.pid" ]; then
        as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DIR" stop -m fast >/dev/null 2>&1 || true
        echo "PostgreSQL stopped" >&2
    fi
}

# pg_destroy NAME: stops the private cluster NAME and deletes its data.
pg_destroy() {
    pg_stop "$1"
    as_pg rm -rf "$(pg_data_root)/$1" "$(pg_data_root)/$1.initdb.log"
}
