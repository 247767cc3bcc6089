#!/usr/bin/env bash
# Click "Join as viewer" -> first remote video frame decoded in Chromium (getStats), p50 over
# 10 tries (TRIES=n to change), against a release server with the teacher on stage.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source bench/server.sh
start_server
trap stop_server EXIT
cd end2end && BASE_URL="$base" npx playwright test --config bench.config.ts join-latency 2>&1 | grep -E "join →|passed|failed"
