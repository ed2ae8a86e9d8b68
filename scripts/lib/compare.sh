# The `compare` mode of ./scripts/loadtest: PostgreSQL's own limits and a naive peer, then Metering's paths, in one go on
# the same PostgreSQL, three runs each; prints the ratios and writes the table to loadtests/README.md. Needs pg.sh and
# silos.sh sourced, a silo started (it applied the migrations), and loadgen/write_section from scripts/loadtest.

compare_psql() { as_pg "$PG_BINDIR/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d metering -qAt "$@"; }
compare_pgbench() { as_pg "$PG_BINDIR/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n "$@" metering; }

# Raw COPY of N rows shaped as Metering's events (same table, same indexes) → rows/s.
compare_copy() {
    local run="$1" n="${COMPARE_COPY_ROWS:-200000}" file
    file="$(as_pg mktemp /tmp/metering-copy.XXXXXX)"
    as_pg python3 - "$file" "$run" "$n" <<'PY'
import sys, uuid
path, run, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "w") as f:
    for i in range(n):
        f.write(f'cmp_copy,c-{run}-{i},{uuid.uuid4()},s,agent:{i % 50},llm_tokens,2026-11-22T10:00:00Z,2026-11-22T10:00:00Z,"{{""tokens"": {1 + i % 100}, ""model"": ""gpt-4""}}",\\x{i:064x},{i % 256}\n')
PY
    local start end
    start=$(date +%s.%N)
    compare_psql -c "\\copy events (tenant_id, idempotency_key, event_id, subscription_id, subject, event_type, ts, received_at, properties, payload_hash, partition) FROM '$file' CSV"
    end=$(date +%s.%N)
    as_pg rm -f "$file"
    python3 -c "print(f'{$n / ($end - $start):.0f}')"
}

# A naive exact counter: UPDATE … SET used = used + 1 WHERE used + 1 <= limit on 50 rows, 64 clients, 10 s → tps.
compare_naive() {
    compare_psql -c "CREATE TABLE IF NOT EXISTS compare_counters (id int PRIMARY KEY, used bigint NOT NULL, lim bigint NOT NULL)" \
        -c "TRUNCATE compare_counters" -c "INSERT INTO compare_counters SELECT g, 0, 1000000000000 FROM generate_series(1, 50) g"
    local script; script="$(as_pg mktemp /tmp/metering-naive.XXXXXX)"
    printf '\\set id random(1, 50)\nUPDATE compare_counters SET used = used + 1 WHERE id = :id AND used + 1 <= lim;\n' | as_pg tee "$script" >/dev/null
    compare_pgbench -c 64 -j 2 -T 10 -f "$script" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | cut -d. -f1
    as_pg rm -f "$script"
}

# PostgreSQL's own durable single-row insert into the events table at 1,000/s (open model: latency from the scheduled
# start), 8 clients, 10 s → "p50 p99" in ms.
compare_single_insert() {
    local script dir; script="$(as_pg mktemp /tmp/metering-insert.XXXXXX)"; dir="$(as_pg mktemp -d /tmp/metering-insert-log.XXXXXX)"
    printf "INSERT INTO events (tenant_id, idempotency_key, event_id, subscription_id, subject, event_type, ts, received_at, properties, payload_hash, partition) VALUES ('cmp_single', md5(random()::text || clock_timestamp()::text), gen_random_uuid(), 's', 'agent', 'llm_tokens', now(), now(), '{\"tokens\": 5}', '\\\\x00', 0);\n" | as_pg tee "$script" >/dev/null
    (cd "$dir" && compare_pgbench -c 8 -j 2 -R 1000 -T 10 -l --log-prefix="$dir/log" -f "$script" >/dev/null 2>&1)
    python3 - "$dir" <<'PY'
import glob, sys
lat = sorted(int(line.split()[2]) / 1000 for f in glob.glob(sys.argv[1] + "/log*") for line in open(f))
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"{p(0.5):.2f} {p(0.99):.2f}")
PY
    as_pg rm -rf "$script" "$dir"
}

# One loadgen run → "events-or-decisions/s p50 p99".
compare_metering() {
    local result
    result="$(loadgen "$(urls)" "$METERING_ADMIN_KEY" "$@" 2>&1 || true)"
    echo "$result" >&2
    echo "$(echo "$result" | sed -n 's/.*=> \([0-9]*\) \(events\|decisions\)\/s.*/\1/p') $(echo "$result" | sed -n 's/.*p50=\([0-9.]*\).*/\1/p') $(echo "$result" | sed -n 's/.*p99=\([0-9.]*\).*/\1/p')"
}

compare_run() {
    local out=.data/compare.tsv run
    : > "$out"
    for run in 1 2 3; do
        # The latency runs first, on a quiet system; each run ends with 20 s for the rollups of its bursts to finish.
        echo "pginsert $run $(compare_single_insert)" >> "$out"
        echo "single1000 $run $(compare_metering single 1000 15)" >> "$out"
        echo "copy $run $(compare_copy "$run")" >> "$out"
        echo "batch $run $(compare_metering batch 40 15 1000)" >> "$out"
        echo "naive $run $(compare_naive)" >> "$out"
        echo "consume $run $(compare_metering consume 8000 15)" >> "$out"
        echo "singlemax $run $(compare_metering single 8000 15)" >> "$out"
        cat "$out" >&2
        sleep 20
    done
    compare_render "$out" > .data/compare.md
    write_section compare .data/compare.md
    cat .data/compare.md
}

# The table from the measurements (lines "name run value..."); a ratio is taken within each run, against its own limit.
compare_render() {
    python3 - "$1" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" <<'PY'
import sys
rows, runs = {}, {}
for line in open(sys.argv[1]):
    name, run, *values = line.split()
    rows.setdefault(name, []).append([float(v) for v in values] if values else [float("nan")])
    runs.setdefault(name, {})[run] = [float(v) for v in values]
def span(name, i=0, fmt="{:,.0f}"):
    v = sorted(r[i] for r in rows.get(name, []) if len(r) > i)
    return "–".join(fmt.format(x) for x in (v[0], v[-1])) if v else "n/a"
def ratio(a, b, i=0, j=0):
    x = sorted(r[i] / runs[b][k][j] for k, r in runs.get(a, {}).items() if k in runs.get(b, {}) and len(r) > i and len(runs[b][k]) > j and runs[b][k][j])
    return f"{x[0]:.2f}–{x[-1]:.2f}×" if x else "n/a"
ms = "{:.2f}"
print(f"Run {sys.argv[2]} on {sys.argv[3]} cores: PostgreSQL, one silo and the generators on the same machine, three runs of each"
      " (ranges are min–max over the runs; each ratio is taken within a run, against that run's limit).")
print()
print("| path | Metering | limit / peer in the same run | ratio | aim |")
print("|---|---|---|---|---|")
print(f"| batch ingest, 1,000/request, 40k/s offered, 15 s | {span('batch')} events/s | raw `COPY` into `events`: {span('copy')} rows/s | {ratio('batch', 'copy')} | ≥ 0.9× |")
print(f"| single events at 1,000/s, open model: p50 / p99 | {span('single1000', 1, ms)} / {span('single1000', 2, ms)} ms | PostgreSQL's single-row insert at 1,000/s (pgbench -R): {span('pginsert', 0, ms)} / {span('pginsert', 1, ms)} ms | p99 {ratio('single1000', 'pginsert', 2, 1)} | p99 < 10 ms |")
print(f"| single events, 8,000/s offered: durable/s, p99 | {span('singlemax')} events/s, p99 {span('singlemax', 2, ms)} ms | — | — | ≥ 10,000/s, p99 < 50 ms |")
print(f"| exact consume over HTTP, 8,000/s offered, 50 subscriptions | {span('consume')} decisions/s (p99 {span('consume', 2, ms)} ms) | naive `UPDATE … WHERE used + 1 <= limit`, 50 rows, 64 clients: {span('naive')} tps | {ratio('consume', 'naive')} | ≥ 3× |")
PY
}
