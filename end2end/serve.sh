#!/usr/bin/env bash
# Starts the release build for Playwright on a fresh database, with the test users seeded
# through `keyward admin` (as an operator would), and its log captured for the secret check.
set -euo pipefail
port=${1:?port}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp="$root/end2end/.tmp"
rm -rf "$tmp" && mkdir -p "$tmp"
export KEYWARD_DATABASE_URL="sqlite://$tmp/e2e.db" KEYWARD_ADDR="127.0.0.1:$port"
export KEYWARD_SECRET_KEY_FILE="$tmp/keyward.key"
keyward="$root/target/release/keyward"
# Each spec file has users of its own, so that what one file does to a user (a grant, a new
# password, MFA, a session ended) cannot make another file pass or fail, whatever the order:
#   auth: alice · tokens: bob · expiry: carol · service-tokens: sam, dave, root (admin)
#   sessions: erin, frank, sysop (admin) · account: gina, hank, ivy, joy, kim · admin: warden (admin)
#   projects: pia, quinn, rex, sol · security: tess, uma · page: vera, wes
#   accessibility: yara, zed (admin) · cards: ada
admins="root sysop warden zed"
for user in alice bob carol sam dave root erin frank sysop gina hank ivy joy kim warden pia quinn rex sol tess uma \
    vera wes yara zed ada; do
  case " $admins " in *" $user "*) role=admin ;; *) role=user ;; esac
  echo "correct horse battery" | "$keyward" admin create-user --username "$user" --role "$role" \
    --display-name "${user^} Example" --email "$user@example.com" --password-stdin >/dev/null
done
cd "$root"
# The log (at info by default, KEYWARD_LOG) has a line per request, read after the run by
# tests/no-secrets-in-log.ts; plain text, without colour codes.
export NO_COLOR=1
# The default log level, whatever the caller set: the teardown checks the request lines.
unset KEYWARD_LOG
exec "$keyward" serve >"$tmp/server.log" 2>&1
