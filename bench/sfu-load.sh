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
source bench/server.sh
cargo build --release -q -p loadtest
ulimit -n 65536 2>/dev/null || true

run() { # mode cameras participants
  start_server
  echo "== $1: $2 cameras, $3 participants"
  "$CARGO_TARGET_DIR/release/loadtest" --url "$base" --mode "$1" --cameras "$2" --participants "$3" \
    --seconds "$seconds" --server-pid "$server_pid" || echo "(loadtest failed; server log: $(tail -3 "$server_dir/server.log"))"
  stop_server
}

if [[ "$scenario" == all || "$scenario" == interactive ]]; then
  run interactive 4 16
  run interactive 25 100
fi
if [[ "$scenario" == all || "$scenario" == webinar ]]; then
  run webinar 10 100
  run webinar 10 300
fi
