#!/usr/bin/env bash
# Click "Join as viewer" -> first remote video frame decoded in Chromium (getStats), p50 over
# 10 tries (TRIES=n to change), against a release server with the teacher on stage.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
[[ -x "$CARGO_TARGET_DIR/release/server" ]] || scripts/build-site.sh
workdir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$workdir/bench.db" SEED_DEMO=1 RUST_LOG=warn \
  "$CARGO_TARGET_DIR/release/server" >"$workdir/server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$workdir"' EXIT
cd end2end && BASE_URL="http://127.0.0.1:$port" npx playwright test --config bench.config.ts 2>&1 | grep -E "join →|passed|failed"
