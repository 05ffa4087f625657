#!/usr/bin/env bash
# `make test-api`: the bearer API checked against its own description, on a real server.
#  1. openapi-spec-validator validates GET /api/v1/openapi.json (repeated operationIds, bad
#     references, ... fail the run: client generators reject such a document);
#  2. schemathesis fuzzes every route from that document, on a fresh database seeded so that
#     most cases reach a handler: no 5xx, no route that answers without a valid credential,
#     and every answer's status, content type and body as the document says;
#  3. the server log must not contain a token value.
# Needs target/release/keyward (`make build`) and .tools/venv (`make setup`). Bounded: about
# two minutes, whatever the machine (the fuzzing has a time budget, FUZZ_SECONDS).
set -euo pipefail
cd "$(dirname "$0")/.."

# KEYWARD_BIN: another build to check (e.g. a copy kept while target/ is rebuilt).
BIN=${KEYWARD_BIN:-$PWD/target/release/keyward}
VENV=$PWD/.tools/venv
FUZZ_SECONDS=${FUZZ_SECONDS:-90}
# Issue 10's two checks, plus the document's promises about each answer. Not run:
# positive_data_acceptance (a schema-valid body can still break a rule the document cannot
# express, e.g. end_date before start_date: 422 by design) and the stateful heuristics.
# `FUZZ_CHECKS=all` runs everything, for exploring.
FUZZ_CHECKS=${FUZZ_CHECKS:-not_a_server_error,ignored_auth,status_code_conformance,content_type_conformance,response_schema_conformance}

say() { printf '\033[1mapi-fuzz:\033[0m %s\n' "$*"; }
die() { say "FAILED: $*" >&2; exit 1; }

[ -x "$BIN" ] || die "$BIN is missing: run make build"
[ -x "$VENV/bin/st" ] || die "$VENV has no schemathesis: run make setup"

tmp=$(mktemp -d)
server=
finish() {
    local status=$?
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    # On failure keep the database, the server log and the generated config for a look.
    if [ "$status" -eq 0 ]; then rm -rf "$tmp"; else say "kept $tmp (server.log, fuzz.db, schemathesis.toml)" >&2; fi
}
trap finish EXIT

# --- Seed -------------------------------------------------------------------------------
# A plain user (not an admin, who holds every permission everywhere) with grants, so the
# fuzz reaches 200/204, 403 and 404 answers alike:
#   main      all flags but delete: config and secrets are written, DELETE is 403;
#   readonly  a read-only grant: every write is 403;
#   foreign   no grant: 404;
#   doomed-N  delete only: DELETE /projects/{id} is pointed at these, so it cannot remove
#             the projects the other routes need (a random id may still hit main: 403).
export KEYWARD_DATABASE_URL=sqlite://$tmp/fuzz.db KEYWARD_SECRET_KEY_FILE=$tmp/keyward.key
# The fuzz sends thousands of refused credentials from one address: the bearer rate limit
# (tested on its own) would answer most of them 429 before the checks under test run.
export KEYWARD_LIMIT_BEARER_IP=1000000/1
admin() { "$BIN" admin "$@"; }
password=fuzz-password-$RANDOM$RANDOM
printf '%s\n' "$password" | admin create-user --username fuzzer --display-name "API fuzz" --password-stdin >/dev/null
printf '%s\n' "other-password-$RANDOM$RANDOM" | admin create-user --username other --password-stdin >/dev/null
org=$(admin create-org --name fuzz-org)
main=$(admin create-project --name fuzz-main --org fuzz-org)
readonly_project=$(admin create-project --name fuzz-readonly)
foreign=$(admin create-project --name fuzz-foreign)
admin grant --project "$main" --username fuzzer --can-change-configs --can-change-secrets
admin grant --project "$readonly_project" --username fuzzer
admin grant --project "$foreign" --username other
doomed=()
for i in $(seq 12); do
    doomed+=("$(admin create-project --name "fuzz-doomed-$i")")
    admin grant --project "${doomed[-1]}" --username fuzzer --can-delete-project
done
log=$(admin create-oplog --project "$main" --name fuzz-log)
foreign_log=$(admin create-oplog --project "$foreign" --name foreign-log)
token=$(admin mint-token --username fuzzer --name api-fuzz --expires-in-days 1)
# Its own token for the rotation route: each accepted call replaces it (later calls then get
# 401 token_rotated, which the document describes), and the others' tokens live on.
rotating_token=$(admin mint-token --username fuzzer --name api-fuzz-rotating --expires-in-days 1)
# The operation-log entry routes (but DELETE, which such a token may not do) are fuzzed
# with an operation-log service token, so both token kinds go through the fuzz.
oplog_token=$(admin mint-service-token --created-by fuzzer --principal api-fuzz --name api-fuzz-oplog \
    --oplog "$log" --expires-in-days 1)
say "seeded org $org, projects main=$main readonly=$readonly_project foreign=$foreign doomed=${doomed[*]}, logs $log $foreign_log"

# The server starts on the seeded database (so it prints no setup link), on a free port (so a
# leftover server or another run cannot collide with this one), logging at its default level
# whatever the caller's KEYWARD_LOG (the request lines are checked below).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
env -u KEYWARD_LOG KEYWARD_ADDR=127.0.0.1:$port "$BIN" serve >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    curl -fsS --max-time 10 -o /dev/null "$base/healthz" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || die "the server exited: $(tail -n 20 "$tmp/server.log")"
    sleep 0.1
done
curl -fsS --max-time 10 -o /dev/null "$base/healthz" || die "no /healthz answer within 10 s"


api() { # METHOD PATH [BODY]: one API call as the fuzzer, which must succeed
    curl -fsS --max-time 10 -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} "$base/api/v1$2"
}
api PUT "/projects/$main/config" '{"region": "eu-west", "replicas": 3, "features": {"beta": true}}' >/dev/null
for name in DB_PASSWORD api.key signing_key; do
    api PUT "/projects/$main/secrets/$name" "{\"value\": \"s3cret-$name\"}"
done
# Entries: the first ones are for DELETE, the last ones for PATCH, so deletions (bound or
# a random small id) rarely take the entries that PATCH is pointed at.
entry_id() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }
doomed_entries=() entries=()
for i in $(seq 12); do
    doomed_entries+=("$(api POST "/oplogs/$log/entries" "{\"command\": \"rm -rf /tmp/$i\", \"tool\": \"sh\"}" | entry_id)")
done
for i in $(seq 4); do
    entries+=("$(api POST "/oplogs/$log/entries" "{\"command\": \"nmap 10.0.0.$i\", \"tags\": \"recon\", \"start_date\": \"2025-01-0${i}T10:00:00Z\"}" | entry_id)")
done

# --- 1. The document ----------------------------------------------------------------------
curl -fsS --max-time 10 "$base/api/v1/openapi.json" -o "$tmp/openapi.json"
"$VENV/bin/openapi-spec-validator" "$tmp/openapi.json" ||
    die "GET /api/v1/openapi.json is not a valid OpenAPI document (see above)"

# --- 2. The fuzz --------------------------------------------------------------------------
# Path parameters (and the login body) are drawn from the seeded values in most cases and
# generated freely in the rest, so the handlers behind the 404 are reached too.
join() { local IFS=,; echo "$*"; }
cat >"$tmp/schemathesis.toml" <<EOF
# Written by scripts/api-fuzz.sh from the seeded rows.
headers = { Authorization = "Bearer \${KW_FUZZ_TOKEN}" }

[dictionaries]
projects = { values = [$main, $main, $readonly_project, $foreign] }
doomed-projects = { values = [$(join "${doomed[@]}")] }
secret-names = { values = ["DB_PASSWORD", "api.key", "signing_key"] }
oplogs = { values = [$log, $log, $foreign_log] }
entries = { values = [$(join "${entries[@]}")] }
doomed-entries = { values = [$(join "${doomed_entries[@]}")] }
usernames = { values = ["fuzzer"] }
passwords = { values = ["$password"] }

[[operations]]
include-name = "DELETE /api/v1/projects/{id}"
parameters = { "path.id" = { dictionary = "doomed-projects", probability = 0.8 } }

[[operations]]
include-path-regex = "^/api/v1/projects/"
exclude-name = "DELETE /api/v1/projects/{id}"
parameters = { "path.id" = { dictionary = "projects", probability = 0.9 }, "path.name" = { dictionary = "secret-names", probability = 0.8 } }

[[operations]]
include-name = ["GET /api/v1/oplogs/{id}/entries", "POST /api/v1/oplogs/{id}/entries", "PATCH /api/v1/oplogs/{id}/entries/{entry}"]
headers = { Authorization = "Bearer \${KW_FUZZ_OPLOG_TOKEN}" }
parameters = { "path.id" = { dictionary = "oplogs", probability = 0.9 }, "path.entry" = { dictionary = "entries", probability = 0.9 } }

[[operations]]
include-name = "DELETE /api/v1/oplogs/{id}/entries/{entry}"
parameters = { "path.id" = { dictionary = "oplogs", probability = 0.9 }, "path.entry" = { dictionary = "doomed-entries", probability = 0.8 } }

[[operations]]
include-name = "POST /api/v1/tokens/current/rotate"
headers = { Authorization = "Bearer \${KW_FUZZ_ROTATING_TOKEN}" }

[[operations]]
include-name = "POST /api/v1/login"
parameters = { "body.username" = { dictionary = "usernames", probability = 0.5 }, "body.password" = { dictionary = "passwords", probability = 0.5 } }
EOF

# DELETE /api/v1/tokens/current is left out: it would revoke the fuzzing token.
# Bounds: 50 cases per operation, repeated with new cases until FUZZ_SECONDS are
# spent (schemathesis' --max-time), so the run takes the same time on any machine. The seed
# is fixed and the example database off: no run replays cases from an earlier one.
# One worker: with two, schemathesis' threads race in CPython 3.11's ast module and the run
# dies with "SystemError: AST constructor recursion depth mismatch" (seen here).
(cd "$tmp" && KW_FUZZ_TOKEN=$token KW_FUZZ_OPLOG_TOKEN=$oplog_token \
    KW_FUZZ_ROTATING_TOKEN=$rotating_token "$VENV/bin/st" \
    --config-file "$tmp/schemathesis.toml" run "$base/api/v1/openapi.json" \
    --checks "$FUZZ_CHECKS" \
    --exclude-name 'DELETE /api/v1/tokens/current' \
    --max-examples 50 --max-time "$FUZZ_SECONDS" --seed 10 --generation-database none \
    --workers 1 --request-timeout 10 --no-color) || die "schemathesis found failures (above)"

# --- 3. The server log ----------------------------------------------------------------------
kill -0 "$server" 2>/dev/null || die "the server died during the fuzz: $(tail -n 20 "$tmp/server.log")"
! grep -q 'panicked' "$tmp/server.log" || die "the server panicked: $(grep -m3 -A3 panicked "$tmp/server.log")"
# The check below means something only if the requests were logged at all.
requests=$(grep -c 'keyward::access' "$tmp/server.log" || true)
[ "$requests" -ge 100 ] || die "the server log has $requests request lines; expected the fuzz's requests"
# No token value, login JWT, seeded secret value or password.
if leaks=$(grep -Eo 'kw(at|st)_[0-9A-Za-z]{36}|eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+|s3cret-' "$tmp/server.log"); then
    die "the server log contains $(wc -l <<<"$leaks") secret(s), e.g. ${leaks:0:12}…"
fi
! grep -qF -- "$password" "$tmp/server.log" || die "the server log contains the fuzzer's password"
say "passed: the document is valid, the fuzz found nothing, $requests logged requests carry no secret"
