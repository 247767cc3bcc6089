#!/usr/bin/env bash
# SFU load on this machine: a release server on a fresh SQLite database, then webrtc-rs bots
# (loadtest) filling one room. Prints server CPU and memory, packet rates, loss and
# join-to-first-video. Not a test: it prints figures. The bots share the machine's cores
# with the server, so the largest rooms measure the machine as much as the SFU.
#   bench/sfu-load.sh [scenario=all|interactive|webinar] [seconds=20]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scenario=${1:-all}
seconds=${2:-20}
[[ -x "$CARGO_TARGET_DIR/release/server" ]] || scripts/build-site.sh
cargo build --release -q -p loadtest
ulimit -n 65536 2>/dev/null || true

run() { # mode cameras participants
  local workdir port base server_pid
  workdir=$(mktemp -d)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$workdir/bench.db" SEED_DEMO=1 RUST_LOG=warn \
    "$CARGO_TARGET_DIR/release/server" >"$workdir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
  echo "== $1: $2 cameras, $3 participants"
  "$CARGO_TARGET_DIR/release/loadtest" --url "$base" --mode "$1" --cameras "$2" --participants "$3" \
    --seconds "$seconds" --server-pid "$server_pid" || echo "(loadtest failed; server log: $workdir/server.log)"
  kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true
  rm -rf "$workdir"
}

if [[ "$scenario" == all || "$scenario" == interactive ]]; then
  run interactive 4 16
  run interactive 25 100
fi
if [[ "$scenario" == all || "$scenario" == webinar ]]; then
  run webinar 10 100
  run webinar 10 300
fi
