# The SDK tests of the OpenMeter- and Lago-compatible APIs (tests/compat): the real npm clients against a gateway started
# here on a fresh database of the test PostgreSQL (METERING_TEST_DB). Sets COMPAT_PASSED and COMPAT_FAILED.
# Needs Node 20+ and npm; installs the pinned clients with `npm ci` when tests/compat/node_modules is missing.

compat_run() {
    COMPAT_PASSED=0; COMPAT_FAILED=0
    local out=.data/compat-tests.tap log=.data/compat-gateway.log
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "compat tests: node and npm are required (apt-get install nodejs npm)" >&2
        COMPAT_FAILED=1; return 1
    fi
    if [ ! -d tests/compat/node_modules ]; then
        (cd tests/compat && npm ci --no-audit --no-fund >/dev/null 2>&1) || { echo "compat tests: npm ci failed" >&2; COMPAT_FAILED=1; return 1; }
    fi

    local host port user db admin_key gateway_port pid
    host=$(echo "$METERING_TEST_DB" | sed -n 's/.*Host=\([^;]*\).*/\1/p')
    port=$(echo "$METERING_TEST_DB" | sed -n 's/.*Port=\([^;]*\).*/\1/p')
    user=$(echo "$METERING_TEST_DB" | sed -n 's/.*Username=\([^;]*\).*/\1/p')
    db="compat_$(date +%s)_$$"
    as_pg "$(pg_bindir)/psql" -h "$host" -p "${port:-5432}" -U "${user:-postgres}" -d postgres -qc "CREATE DATABASE $db" >/dev/null \
        || { echo "compat tests: could not create database $db" >&2; COMPAT_FAILED=1; return 1; }
    admin_key="compat-admin-$$-$RANDOM"
    # Port 0: the kernel picks a free port at bind time (a port probed free first could be taken before the bind by another
    # run on the machine); the gateway logs the address it listens on.
    METERING_DB="Host=$host;Port=${port:-5432};Username=${user:-postgres};Database=$db" METERING_ADMIN_KEY="$admin_key" \
        dotnet src/Gateway/bin/Release/net10.0/Metering.Gateway.dll --urls "http://127.0.0.1:0" >"$log" 2>&1 &
    pid=$!
    local ready=0
    for _ in $(seq 1 120); do
        gateway_port=$(sed -n 's#.*Now listening on: http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$log" | head -n 1)
        if [ -n "$gateway_port" ] \
            && node -e "fetch('http://127.0.0.1:$gateway_port/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then
            ready=1; break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if [ "$ready" = 1 ]; then
        METERING_URL="http://127.0.0.1:$gateway_port" METERING_ADMIN_KEY="$admin_key" \
            timeout 300 node --test --test-reporter=tap tests/compat/*.test.mjs >"$out" 2>&1
        COMPAT_PASSED=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$out" | tail -n 1)
        COMPAT_FAILED=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$out" | tail -n 1)
        COMPAT_PASSED=${COMPAT_PASSED:-0}; COMPAT_FAILED=${COMPAT_FAILED:-1}
        grep -E '^not ok' "$out" >&2 || true
    else
        echo "compat tests: the gateway did not become ready (see $log)" >&2
        COMPAT_FAILED=1
    fi
    # The gateway stops on SIGTERM; one that has not stopped within 10 s is killed.
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    as_pg "$(pg_bindir)/psql" -h "$host" -p "${port:-5432}" -U "${user:-postgres}" -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    echo "compat tests (OpenMeter and Lago SDKs): $COMPAT_PASSED passed, $COMPAT_FAILED failed" >&2
    [ "$COMPAT_FAILED" = 0 ]
}
