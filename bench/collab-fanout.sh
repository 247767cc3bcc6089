#!/usr/bin/env bash
# Collaboration fan-out on this machine: a release server on a fresh SQLite database, then
# signalling-only bots (no media) in one Webinar room. Prints how fast chat messages and a
# burst of reactions reach everyone, and the server's CPU and memory. Not a test: it prints
# figures; the bots share the machine's cores with the server.
#   bench/collab-fanout.sh [participants=300] [messages=50]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
participants=${1:-300}
messages=${2:-50}
source bench/server.sh
cargo build --release -q -p loadtest --bin fanout
ulimit -n 65536 2>/dev/null || true
start_server
trap stop_server EXIT
echo "== Webinar room, $participants participants, $messages chat messages"
"$CARGO_TARGET_DIR/release/fanout" --url "$base" --participants "$participants" --messages "$messages" \
  --server-pid "$server_pid"
