#!/usr/bin/env bash
# Runs the Playwright suite in Debian's Chromium against a release build serving a fresh
# SQLite database with the demo data, on a free loopback port. The server runs with the test
# fault routes (TEST_FAULTS=1) under a small supervisor that starts it again, on the same
# database and port, whenever it exits (the resilience tests crash it on purpose).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

workdir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# SERVER_BIN and LEPTOS_SITE_ROOT may point at a copy of a build (to test it while the next builds);
# E2E_RUST_LOG sets the server's log filter (default warn).
server_bin="${SERVER_BIN:-$CARGO_TARGET_DIR/release/server}"
# A TURN relay on loopback (scripts/turn.sh): the server hands it to browsers, and the
# connectivity tests block direct UDP to the SFU so only relayed media gets through.
turn_env=$(TURN_DIR="$workdir/turn" scripts/turn.sh)
eval "$turn_env"
export TURN_URLS TURN_SECRET TURN_RELAY_IP TURN_CERT_SPKI

# Restarts the server whenever it exits, until told to stop (TERM); then stops it too.
supervise() {
  local child=""
  stop_server() {
    [[ -n "$child" ]] || return 0
    kill -TERM "$child" 2>/dev/null || true
    # Graceful shutdown waits for open connections: give it 5 s, then end it.
    for _ in $(seq 50); do
      kill -0 "$child" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  }
  trap 'stop_server; exit 0' TERM
  while true; do
    LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$workdir/e2e.db" SEED_DEMO=1 SEED_LOAD_USERS=12 RUST_LOG="${E2E_RUST_LOG:-warn}" \
      TEST_FAULTS=1 "$server_bin" >>"$workdir/server.log" 2>&1 &
    child=$!
    local code=0
    wait "$child" || code=$?
    child=""
    echo "--- supervisor: server exited with status $code; starting it again ---" >>"$workdir/server.log"
    # Not a busy loop when the server cannot start at all (the tests then fail on their own).
    sleep 0.2
  done
}

# Its own process group (job control on for this one job), so cleanup can also reach a
# server started in the instant the supervisor was told to stop.
set -m
supervise &
supervisor_pid=$!
set +m

cleanup() {
  TURN_DIR="$workdir/turn" scripts/turn.sh stop || true
  kill -TERM "$supervisor_pid" 2>/dev/null || true
  wait "$supervisor_pid" 2>/dev/null || true
  kill -KILL -- "-$supervisor_pid" 2>/dev/null || true
  # E2E_SERVER_LOG keeps the whole server log (with E2E_RUST_LOG=debug, for instance).
  if [[ -n "${E2E_SERVER_LOG:-}" ]]; then cp "$workdir/server.log" "$E2E_SERVER_LOG" || true; fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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
