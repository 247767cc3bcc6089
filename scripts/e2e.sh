#!/usr/bin/env bash
# Runs the Playwright suite in Debian's Chromium against a release build serving a fresh
# SQLite database with the demo data, on a free loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

workdir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$workdir/e2e.db" SEED_DEMO=1 RUST_LOG=warn \
  "$CARGO_TARGET_DIR/release/server" >"$workdir/server.log" 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

status=0
(cd end2end && BASE_URL="http://127.0.0.1:$port" npx playwright test "$@") || status=$?
# One plain closing line with the counts, whatever the reporter printed above it.
node -e '
  const { stats } = JSON.parse(require("fs").readFileSync("end2end/results/report.json", "utf8"));
  console.log(`end-to-end: ${stats.expected} passed, ${stats.unexpected + stats.flaky} failed, ${stats.skipped} skipped`);
' || status=1
if ((status != 0)); then
  echo "--- server log ---"
  tail -50 "$workdir/server.log"
fi
exit "$status"
