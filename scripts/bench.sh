#!/usr/bin/env bash
# `make bench`: the five figures of issue 11 §3 and one of issue 13 §1, measured here and now
# and printed as one table beside their targets (PASS/MISS). Not a test: it exits 0 whatever
# the figures, and non-zero only when it could not measure (a server that does not start, a
# load that gets errors instead of answers).
#
#   1. GET /api/v1/whoami (1,000 valid tokens in turn) vs GET /healthz, wrk -t2 -c64 from a
#      second process on loopback, on SQLite and PostgreSQL, with 1,000 and 1,000,000 tokens
#      stored (bulk-seeded with SQL by scripts/bench/seed.py, not through HTTP)
#   2. GET /api/v1/projects for a user who sees 200 projects: p50 and queries per request
#   3. one Argon2id password check (POST /api/v1/login) vs one token verification (whoami)
#   4. two instances on PostgreSQL: revoke on A, 10,000 requests on B with that token
#   5. server RSS idle and under the load of 1
#   6. server RSS during 500 concurrent wrong-password sign-ins (a fresh SQLite database,
#      sign-in rate limits out of the way so that the cap on Argon2id hashes is what holds),
#      and /healthz answering meanwhile (scripts/bench/flood.py)
#   7. whoami throughput with token usage counted (the default) and not counted
#      (KEYWARD_USAGE_COUNTING=off), in alternating runs on the SQLite database of figure 1
#      (issue 15 §4: counting must stay within 10%)
#   8-11. the profile page of a person with 1,000 API and 1,000 service tokens (seeded with
#      `keyward admin`), in headless Chromium (scripts/bench/page.mjs): the WASM it loads
#      (gzipped), its time to interactive, the Hide expired toggle, and its HTML (issue 16)
#
# BENCH_ONLY=page measures figures 8-11 alone (a minute instead of half an hour).
# Servers listen on 127.0.0.1 (port 0: the kernel picks a free one, read back from the log).
# PostgreSQL runs use a fresh database each (created and dropped here) on 127.0.0.1:5432.
# Tunables: BENCH_DURATION (seconds per run of figure 1, default 10), BENCH_TOKENS (default
# 1000000), BENCH_PG_ADMIN (admin URL, default postgres://postgres@127.0.0.1:5432/test),
# BENCH_BIN (a server binary to measure instead of building target/release/keyward).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10}
TOKENS=${BENCH_TOKENS:-1000000}
LOAD=1000
FLOOD=500
PG_ADMIN=${BENCH_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/test}
PG_BASE=${PG_ADMIN%/*}
BIN=${BENCH_BIN:-target/release/keyward}
LUA=scripts/bench/wrk.lua
SEED=scripts/bench/seed.py
FLOOD_PY=scripts/bench/flood.py
PASSWORD='bench password, long enough'
# The access log is off: at tens of thousands of requests a second it is megabytes of log,
# and it costs both routes alike (which would flatter the whoami/healthz ratio).
LOG_FILTER='info,sqlx=warn,keyward::access=off'

say() { printf '\033[1mbench:\033[0m %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

WORK=$(mktemp -d /tmp/keyward-bench.XXXXXX)
RESULTS=$WORK/results
: >"$RESULTS"
PIDS=()
PG_DBS=()

# Stops one server: SIGTERM, then SIGKILL if it has not exited within 10 s.
stop_pid() {
    local pid=$1
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    for db in "${PG_DBS[@]}"; do
        psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    if [ "$status" != 0 ] && [ -n "${KEEP_LOGS:-}" ]; then
        say "logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { echo "$1 $2" >>"$RESULTS"; }
# recorded KEY: the value recorded under KEY.
recorded() { awk -v k="$1" '$1 == k {print $2}' "$RESULTS"; }

# ---------------------------------------------------------------------------------------
# Tools and the server binary

if ! command -v wrk >/dev/null 2>&1; then
    say "installing wrk from Debian's packages"
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
for tool in psql curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done
pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL does not answer on 127.0.0.1:5432"

# The server and the site (the page figures load its WASM), as `make build` makes them
# (split: what /profile loads is the main module and any chunk it preloads).
# BENCH_BIN measures another binary as it is (a before/after comparison), with the site
# already in target/site.
if [ -z "${BENCH_BIN:-}" ]; then
    say "building the server and the site (if needed)"
    cargo leptos build --release --split >"$WORK/build.log" 2>&1 || {
        cat "$WORK/build.log" >&2
        die "cargo leptos build failed"
    }
fi
[ -f target/site/pkg/keyward.wasm ] || die "no target/site: run make build"
[ -x "$BIN" ] || die "no $BIN"

record machine.cores "$(nproc)"
record machine.mem_gib "$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)"
record machine.load_start "$(cut -d' ' -f1 /proc/loadavg)"

# Figures are only valid on an otherwise idle machine: before each measurement, look for
# builds and test runs, and mark the results if any was seen.
check_quiet() {
    local busy
    # A CI run is `.ci/run` (not any path with ci-clone in it: BENCH_BIN may point there).
    busy=$(pgrep -af 'cargo |rustc |\.ci/run|playwright|schemathesis' || true)
    if [ -n "$busy" ]; then
        grep -q '^machine.busy ' "$RESULTS" || say "warning: other work is running; these figures are not valid:"
        echo "$busy" | cut -c1-120 >&2
        record machine.busy 1
    fi
}

# ---------------------------------------------------------------------------------------
# Helpers

SERVER_PID=
SERVER_ADDR=
# start_server NAME URL [LOG_FILTER]: starts `keyward serve`, waits for its address.
start_server() {
    local name=$1 url=$2 filter=${3:-$LOG_FILTER} log=$WORK/$1.log
    # Sign-in limits out of the way (unless a run sets its own): figure 3 measures what a
    # password check costs, 5 s of one client's wrong passwords, not the limiter's 429s.
    KEYWARD_LIMIT_SIGN_IN_PAIR=${KEYWARD_LIMIT_SIGN_IN_PAIR:-1000000/1} \
        KEYWARD_LIMIT_SIGN_IN_ACCOUNT=${KEYWARD_LIMIT_SIGN_IN_ACCOUNT:-1000000/1} \
        KEYWARD_LIMIT_SIGN_IN_IP=${KEYWARD_LIMIT_SIGN_IN_IP:-1000000/1} \
        KEYWARD_ADDR=127.0.0.1:0 KEYWARD_DATABASE_URL=$url KEYWARD_LOG=$filter \
        KEYWARD_SITE_ROOT=target/site "$BIN" serve >"$WORK/$name.out" 2>"$log" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    SERVER_ADDR=
    for _ in $(seq 300); do
        SERVER_ADDR=$(grep -o 'addr=127\.0\.0\.1:[0-9]*' "$log" | head -n1 | cut -d= -f2 || true)
        [ -n "$SERVER_ADDR" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || {
            cat "$log" >&2
            die "server $name exited"
        }
        sleep 0.1
    done
    [ -n "$SERVER_ADDR" ] || die "server $name did not start within 30 s"
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://$SERVER_ADDR/readyz")
    [ "$code" = 200 ] || die "server $name: /readyz answered $code"
}

stop_server() {
    stop_pid "$SERVER_PID"
}

# status_kib PID FIELD: VmRSS or VmHWM of a process, in KiB.
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# run_wrk LABEL PATH TOKENS_FILE WRK_ARGS...: one wrk run, its RESULT line recorded as
# LABEL.key value. Any answer of 400 or more makes the run invalid.
run_wrk() {
    local label=$1 path=$2 tokens=$3
    shift 3
    check_quiet
    KW_PATH=$path KW_TOKENS=$tokens wrk "$@" -s "$LUA" "http://$SERVER_ADDR" >"$WORK/$label.wrk" 2>&1 ||
        die "wrk failed: $(cat "$WORK/$label.wrk")"
    local line kv
    line=$(grep '^RESULT ' "$WORK/$label.wrk") || die "wrk printed no result: $(cat "$WORK/$label.wrk")"
    for kv in ${line#RESULT }; do
        record "$label.${kv%%=*}" "${kv#*=}"
    done
    # WRK_REFUSED=1: every answer must be an error (a wrong password); otherwise none.
    local refused=${WRK_REFUSED:-0} requests errors
    requests=$(sed -E 's/.* requests=([0-9]+) .*/\1/' <<<"$line")
    errors=$(sed -E 's/.* status_errors=([0-9]+) .*/\1/' <<<"$line")
    if { [ "$refused" = 0 ] && [ "$errors" != 0 ]; } || { [ "$refused" = 1 ] && [ "$errors" != "$requests" ]; }; then
        die "$label: $errors of $requests answers were errors ($line); see the server log"
    fi
    say "$label: $(sed -E 's/.* rps=([0-9.]+) p50_us=([0-9]+) .* p99_us=([0-9]+) .*/\1 req\/s, p50 \2 us, p99 \3 us/' <<<"$line")"
}

# requests FILE URL TOKEN N [METHOD]: N sequential requests on one keep-alive connection
# (curl), one status code a line into FILE.
requests() {
    local out=$1 url=$2 token=$3 n=$4 method=${5:-GET} cfg=$WORK/curl.cfg
    {
        echo "header = \"Authorization: Bearer $token\""
        echo "request = \"$method\""
        echo 'write-out = "%{http_code}\n"'
        echo 'silent'
        for _ in $(seq "$n"); do
            echo "url = \"$url\""
            echo 'output = "/dev/null"'
        done
    } >"$cfg"
    curl -K "$cfg" >"$out"
}

# sql KIND URL STATEMENT: runs one statement on the bench database.
sql() {
    case $1 in
    sqlite) python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
c.execute(sys.argv[2])
c.commit()' "${2#sqlite://}" "$3" ;;
    postgres) psql -q "$2" -c "$3" >/dev/null ;;
    esac
}

# seed KIND URL PHASE: bulk-loads one phase of the seed files in one transaction.
seed() {
    case $1 in
    sqlite) python3 "$SEED" sqlite "${2#sqlite://}" "$WORK" "$3" ;;
    postgres) python3 "$SEED" psql "$WORK" "$3" | psql -q "$2" -f - >/dev/null ;;
    esac
}

# queries_per_request KIND URL NAME PATH TOKEN N: restarts a server with sqlx's statement
# log on, and counts the statements N requests run (after one request that warms up).
queries_per_request() {
    local kind=$1 url=$2 name=$3 path=$4 token=$5 n=$6
    start_server "count-$kind-$name" "$url" 'warn,keyward=info,sqlx::query=debug'
    local log=$WORK/count-$kind-$name.log before after
    requests "$WORK/codes" "http://$SERVER_ADDR$path" "$token" 1
    before=$(grep -c 'sqlx::query' "$log" || true)
    requests "$WORK/codes" "http://$SERVER_ADDR$path" "$token" "$n"
    after=$(grep -c 'sqlx::query' "$log" || true)
    [ "$(grep -c '^200$' "$WORK/codes")" = "$n" ] || die "$name: not every request was answered 200"
    record "$kind.queries.$name" "$(python3 -c "print(f'{($after - $before) / $n:.2f}')")"
    if [ "$name" = whoami ]; then
        # Under the load of figure 1, lookups that arrive together share a statement.
        before=$(grep -c 'sqlx::query' "$log" || true)
        run_wrk "$kind.count" "$path" "$WORK/load_tokens.txt" -t2 -c64 -d3s
        after=$(grep -c 'sqlx::query' "$log" || true)
        local served
        served=$(awk -v k="$kind.count.requests" '$1 == k {print $2}' "$RESULTS")
        record "$kind.queries.whoami_load" "$(python3 -c "print(f'{($after - $before) / $served:.3f}')")"
    fi
    stop_server
}

# ---------------------------------------------------------------------------------------
# The data: 1,000,000 tokens with their hashes, as CSV, generated once for both databases

if [ "${BENCH_ONLY:-}" != page ]; then
    say "generating $TOKENS tokens, 1,002 users, 1,000 projects"
    python3 "$SEED" gen "$WORK" --tokens "$TOKENS" --load "$LOAD"
    head -n1 "$WORK/load_tokens.txt" >"$WORK/one_token.txt"
fi

bench_database() {
    local kind=$1 url=$2
    say "== $kind"
    echo "$PASSWORD" | KEYWARD_DATABASE_URL=$url "$BIN" admin create-user \
        --username bench-login --role user --password-stdin >/dev/null
    # The seeder's format is the server's: a token minted by keyward passes its check.
    python3 "$SEED" check "$(KEYWARD_DATABASE_URL=$url "$BIN" admin mint-token \
        --username bench-login --name format-check --expires-in-days 1)"

    local phase size
    for phase in 1 2; do
        size=$([ "$phase" = 1 ] && echo 1k || echo 1M)
        say "$kind: seeding phase $phase (up to $size tokens)"
        local t0=$SECONDS
        seed "$kind" "$url" "$phase"
        record "$kind.$size.seed_s" $((SECONDS - t0))
        record "$kind.$size.tokens" "$(
            case $kind in
            sqlite) python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM api_tokens").fetchone()[0])' "${url#sqlite://}" ;;
            postgres) psql -qAt "$url" -c 'SELECT count(*) FROM api_tokens' ;;
            esac
        )"

        start_server "$kind-$size" "$url"
        sleep 1
        record "$kind.$size.rss_idle_kib" "$(status_kib "$SERVER_PID" VmRSS)"
        # Every load token is accepted before the load starts.
        local token code
        for token in $(head -n3 "$WORK/load_tokens.txt"); do
            code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
                "http://$SERVER_ADDR/api/v1/whoami")
            [ "$code" = 200 ] || die "$kind: a seeded token was answered $code"
        done
        # Warm up (connections, statement caches), then put the 1,000 tokens in the steady
        # state of the last-used throttle (one write per token per minute): their last-used
        # times spread over the last minute, so that a sixth of them fall due, and are
        # written, during a 10-s run, as under constant load.
        run_wrk "$kind.$size.warmup" /api/v1/whoami "$WORK/load_tokens.txt" -t2 -c64 -d2s
        local now
        now=$(date +%s)
        sql "$kind" "$url" "UPDATE api_tokens SET last_used_at = $now - id % 60
            WHERE last_used_at IS NOT NULL"
        run_wrk "$kind.$size.whoami" /api/v1/whoami "$WORK/load_tokens.txt" -t2 -c64 -d"${DURATION}s"
        record "$kind.$size.touched" "$(used_since "$kind" "$url" "$now")"
        run_wrk "$kind.$size.healthz" /healthz "" -t2 -c64 -d"${DURATION}s"
        record "$kind.$size.rss_load_kib" "$(status_kib "$SERVER_PID" VmHWM)"
        if [ "$phase" = 2 ]; then
            bench_projects "$kind"
            [ "$kind" = sqlite ] && bench_password
            [ "$kind" = postgres ] && bench_two_instances "$url"
        fi
        stop_server
    done
    [ "$kind" = sqlite ] && bench_usage_counting "$url"

    local projects_token
    projects_token=$(cat "$WORK/projects_token.txt")
    queries_per_request "$kind" "$url" whoami /api/v1/whoami "$(cat "$WORK/one_token.txt")" 200
    queries_per_request "$kind" "$url" projects /api/v1/projects "$projects_token" 200
}

# used_since KIND URL T: how many tokens' use was recorded after T (unix seconds).
used_since() {
    local q="SELECT count(*) FROM api_tokens WHERE last_used_at > $3"
    case $1 in
    sqlite) python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "${2#sqlite://}" "$q" ;;
    postgres) psql -qAt "$2" -c "$q" ;;
    esac
}

# Figure 2 on the running server: the list has 200 projects; p50 on one connection.
bench_projects() {
    local kind=$1 token count
    token=$(cat "$WORK/projects_token.txt")
    count=$(curl -s -H "Authorization: Bearer $token" "http://$SERVER_ADDR/api/v1/projects" |
        python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
    [ "$count" = 200 ] || die "$kind: bench-projects sees $count projects, not 200"
    run_wrk "$kind.projects" /api/v1/projects "$WORK/projects_token.txt" -t1 -c1 -d5s
}

# Figure 3 on the running server: one connection, one request at a time. A wrong password
# costs one Argon2id check (and the user's row); the right one also opens a session.
bench_password() {
    WRK_REFUSED=1 KW_METHOD=POST KW_BODY="{\"username\":\"bench-login\",\"password\":\"not $PASSWORD\"}" \
        run_wrk wrong_password /api/v1/login "" -t1 -c1 -d5s
    KW_METHOD=POST KW_BODY="{\"username\":\"bench-login\",\"password\":\"$PASSWORD\"}" \
        run_wrk login /api/v1/login "" -t1 -c1 -d5s
    run_wrk token /api/v1/whoami "$WORK/one_token.txt" -t1 -c1 -d5s
}

# Figure 4: a second instance B beside the running one (A), on the same database.
bench_two_instances() {
    local url=$1 a=$SERVER_ADDR a_pid=$SERVER_PID token b
    token=$(cat "$WORK/revoke_token.txt")
    start_server postgres-b "$url"
    b=$SERVER_ADDR
    requests "$WORK/codes" "http://$b/api/v1/whoami" "$token" 10
    [ "$(grep -c '^200$' "$WORK/codes")" = 10 ] || die "B did not accept the token before its revocation"
    requests "$WORK/codes" "http://$a/api/v1/tokens/current" "$token" 1 DELETE
    [ "$(cat "$WORK/codes")" = 204 ] || die "A did not revoke the token: $(cat "$WORK/codes")"
    requests "$WORK/codes" "http://$b/api/v1/whoami" "$token" 10000
    record revoke.requests "$(wc -l <"$WORK/codes")"
    record revoke.accepted "$(grep -c '^200$' "$WORK/codes" || true)"
    record revoke.refused_401 "$(grep -c '^401$' "$WORK/codes" || true)"
    stop_server
    SERVER_PID=$a_pid
    SERVER_ADDR=$a
}

# Figure 7: whoami with and without usage counting, in alternating runs (off, on, off, on,
# ...) so that a drift of the machine during the runs touches both alike; the ratio of their
# means. Both read the token's usage for the answer: only the counting differs.
bench_usage_counting() {
    local url=$1 round mode
    for round in 1 2 3; do
        for mode in off on; do
            KEYWARD_USAGE_COUNTING=$mode start_server "usage-$mode-$round" "$url"
            run_wrk "usage.warmup" /api/v1/whoami "$WORK/load_tokens.txt" -t2 -c64 -d2s
            run_wrk "usage.$mode.$round" /api/v1/whoami "$WORK/load_tokens.txt" -t2 -c64 -d"${DURATION}s"
            stop_server
        done
    done
}

# Figure 6: a server of its own on a fresh SQLite database, with sign-in limits so generous
# that every wrong password reaches its Argon2id check, where at most one per core runs and
# the rest wait up to 3 s, then get 503 busy. flood.py sends the 500 sign-ins at once,
# samples the server's RSS every 50 ms and calls /healthz every 100 ms until all have
# answered (at most 120 s). Any sign-in answered otherwise than 401, 429 or 503, or not at
# all, makes the run invalid.
bench_flood() {
    local url=sqlite://$WORK/flood.db
    say "== flood: $FLOOD concurrent wrong-password sign-ins"
    echo "$PASSWORD" | KEYWARD_DATABASE_URL=$url "$BIN" admin create-user \
        --username flood --role user --password-stdin >/dev/null
    KEYWARD_LIMIT_SIGN_IN_PAIR=1000000/1 KEYWARD_LIMIT_SIGN_IN_ACCOUNT=1000000/1 \
        KEYWARD_LIMIT_SIGN_IN_IP=1000000/1 start_server flood "$url"
    sleep 1
    check_quiet
    python3 "$FLOOD_PY" "$SERVER_ADDR" "$SERVER_PID" --count "$FLOOD" --user flood \
        --deadline 120 >"$WORK/flood.json" || die "flood.py failed"
    stop_server
    python3 -c 'import json, sys
for k, v in json.loads(sys.argv[1]).items():
    print(f"flood.{k} {v}")' "$(cat "$WORK/flood.json")" >>"$RESULTS"
    local n401 n429 n503
    n401=$(recorded flood.answers_401)
    n429=$(recorded flood.answers_429)
    n503=$(recorded flood.answers_503)
    [ $((n401 + n429 + n503)) = "$FLOOD" ] ||
        die "flood: not every sign-in was answered 401, 429 or 503 ($(cat "$WORK/flood.json")); see the server log"
    say "flood: RSS peak $(recorded flood.rss_peak_mib) MiB (VmHWM $(recorded flood.vmhwm_mib))," \
        "$n401 x 401, $n503 x 503, $n429 x 429 in $(recorded flood.duration_s) s;" \
        "/healthz $(recorded flood.healthz_failures) of $(recorded flood.healthz_calls) failed," \
        "max $(recorded flood.healthz_max_ms) ms"
}

# Figures 8-11: a server of its own on a fresh SQLite database, with one person holding
# 1,000 API tokens (850 live, 50 expiring within 7 days and, newest, 100 expired: the first
# page is all expired, so Hide expired has rows to hide) and 1,000 service tokens on a
# project they may change configs of.
bench_page() {
    local url=sqlite://$WORK/page.db user=bench-page project
    say "== page: /profile with 1,000 API and 1,000 service tokens"
    # 1,000 service tokens is above the default quota of 100 a person, which
    # `mint-service-token` keeps to like the page.
    kw_admin() { KEYWARD_QUOTA_SERVICE_TOKENS=1000 KEYWARD_DATABASE_URL=$url "$BIN" admin "$@"; }
    echo "$PASSWORD" | kw_admin create-user --username $user --role user --password-stdin >/dev/null
    project=$(kw_admin create-project --name bench-page)
    kw_admin grant --project "$project" --username $user --can-change-configs
    kw_admin mint-token --username $user --name live --expires-in-days 90 --count 850 >/dev/null
    kw_admin mint-token --username $user --name soon --expires-in-days 3 --count 50 >/dev/null
    # (It warns, once, that these are expired already.)
    kw_admin mint-token --username $user --name old --expires-at 2025-01-01T00:00:00Z \
        --count 100 >/dev/null
    kw_admin mint-service-token --created-by $user --principal bench-ci --name svc \
        --project "$project" --can-change-configs --expires-in-days 90 --count 1000 >/dev/null
    start_server page "$url"
    check_quiet
    node scripts/bench/page.mjs "http://$SERVER_ADDR" $user "$PASSWORD" >>"$WORK/page.txt" ||
        die "page.mjs failed"
    cat "$WORK/page.txt" >>"$RESULTS"
    stop_server
    say "page: WASM $(recorded page.wasm_gz_bytes) bytes gzipped, interactive in $(recorded page.tti_ms) ms," \
        "Hide expired $(recorded page.toggle_ms) ms, HTML $(recorded page.html_bytes) bytes"
}

# ---------------------------------------------------------------------------------------

bench_page
if [ "${BENCH_ONLY:-}" = page ]; then
    record machine.load_end "$(cut -d' ' -f1 /proc/loadavg)"
    python3 scripts/bench/report.py "$RESULTS"
    exit 0
fi

bench_database sqlite "sqlite://$WORK/keyward.db"

PG_DB=keyward_bench_$$
PG_DBS+=("$PG_DB")
psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB" >/dev/null
bench_database postgres "$PG_BASE/$PG_DB"

bench_flood

check_quiet
record machine.load_end "$(cut -d' ' -f1 /proc/loadavg)"
python3 scripts/bench/report.py "$RESULTS"
