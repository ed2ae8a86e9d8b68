#!/usr/bin/env bash
# Start and stop several silos (gateway processes) on one database. Source after scripts/lib/pg.sh, then:
#   silos_start N [first-port]   starts N silos on 127.0.0.1:first-port… (default 8080), sets SILO_PIDS and SILO_URLS
#   silo_start I                 (re)starts silo I on its port
#   silos_wait_balanced N        waits until N silos are active and own 256/N partitions each (rounded)
#   silos_stop                   stops them (SIGTERM, a graceful leave)
# Needs METERING_DB; uses METERING_BOOTSTRAP_API_KEY, METERING_ADMIN_KEY and METERING_CLUSTER_SECRET as given.
SILO_PIDS=()
SILO_URLS=()
SILO_DLL="${SILO_DLL:-src/Gateway/bin/Release/net10.0/Metering.Gateway.dll}"

silo_start() {
    local i="$1" url="${SILO_URLS[$1]}"
    mkdir -p .data
    dotnet "$SILO_DLL" --urls "$url" >".data/silo-$i.log" 2>&1 &
    SILO_PIDS[$i]=$!
    for _ in $(seq 300); do
        curl -sf "$url/health/live" >/dev/null 2>&1 && return 0
        kill -0 "${SILO_PIDS[$i]}" 2>/dev/null || { echo "silo $i exited; see .data/silo-$i.log" >&2; return 1; }
        sleep 0.1
    done
    echo "silo $i did not start; see .data/silo-$i.log" >&2
    return 1
}

silos_start() {
    local n="$1" port="${2:-8080}" i
    SILO_PIDS=(); SILO_URLS=()
    for i in $(seq 0 $((n - 1))); do SILO_URLS[$i]="http://127.0.0.1:$((port + i))"; done
    silo_start 0 || return 1   # the first applies the migrations
    for i in $(seq 1 $((n - 1))); do silo_start "$i" & done
    wait_for_children
    silos_wait_balanced "$n"
}

# Waits for the background silo_start calls (not the silo processes themselves).
wait_for_children() {
    local i
    for i in $(seq 1 600); do
        local up=0 u
        for u in "${SILO_URLS[@]}"; do curl -sf "$u/health/live" >/dev/null 2>&1 && up=$((up + 1)); done
        [ "$up" = "${#SILO_URLS[@]}" ] && break
        sleep 0.1
    done
    SILO_PIDS=()
    local idx=0 u
    for u in "${SILO_URLS[@]}"; do
        SILO_PIDS[$idx]="$(pgrep -f -- "--urls $u\$" | head -n 1)"
        idx=$((idx + 1))
    done
}

silos_wait_balanced() {
    local n="$1" i body
    for i in $(seq 1 300); do
        body="$(curl -sf -H "Authorization: Bearer $METERING_BOOTSTRAP_API_KEY" "${SILO_URLS[0]}/v1/cluster" 2>/dev/null || true)"
        if [ -n "$body" ] && echo "$body" | python3 -c "
import json,sys
d=json.load(sys.stdin); n=$n
a=[s['partitions'] for s in d['silos'] if s['status']=='active']
sys.exit(0 if len(a)==n and sum(a)==256 and all(p in (256//n,(256+n-1)//n) for p in a) else 1)"; then
            return 0
        fi
        sleep 0.2
    done
    echo "the cluster did not balance over $n silos" >&2
    return 1
}

silos_stop() {
    local pid
    for pid in "${SILO_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SILO_PIDS[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
    SILO_PIDS=()
}
