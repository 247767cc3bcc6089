#!/usr/bin/env bash
# Hostile clients against a release server on a fresh SQLite database with the demo data and
# 300 load-test users: clients that never read, a frame announced at 15 MB, a burst of wrong
# passwords, one user opening 200 sockets, a binary flood. Prints, per scenario, what the
# server did and what it cost (CPU seconds, RSS before / peak / after, slowest /healthz).
# Not a test: it prints figures. Loopback only.
#   bench/hostile.sh [seconds=30] [scenarios=abcde]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
seconds=${1:-30}
scenarios=${2:-abcde}
source bench/server.sh
cargo build --release -q -p server -p loadtest
# 300 sockets and more on both ends.
ulimit -n 65536 2>/dev/null || true
# Every hostile client is its own person (load1..load300, password "demo").
export SEED_LOAD_USERS=300
start_server
trap stop_server EXIT
"$CARGO_TARGET_DIR/release/hostile" --url "$base" --server-pid "$server_pid" --seconds "$seconds" \
  --scenarios "$scenarios" || { echo "(hostile failed; server log: $(tail -5 "$server_dir/server.log"))"; exit 1; }
