#!/usr/bin/env bash
# Starts the release build for Playwright on a fresh database, with the test users seeded
# through `keyward admin` (as an operator would), and its log captured for the secret check.
set -euo pipefail
port=${1:?port}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp="$root/end2end/.tmp"
rm -rf "$tmp" && mkdir -p "$tmp"
export KEYWARD_DATABASE_URL="sqlite://$tmp/e2e.db" KEYWARD_ADDR="127.0.0.1:$port"
keyward="$root/target/release/keyward"
for user in alice carol dave erin frank gina hank ivy root; do
  role=user
  [ "$user" = root ] && role=admin
  echo "correct horse battery" | "$keyward" admin create-user --username "$user" --role "$role" \
    --display-name "${user^} Example" --email "$user@example.com" --password-stdin >/dev/null
done
cd "$root"
exec "$keyward" serve >"$tmp/server.log" 2>&1
