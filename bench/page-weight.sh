#!/usr/bin/env bash
# The gallery page's bundle as Chromium fetches it (bytes on the wire per file, encoding,
# cache header) and its time to interactive, cold and warm cache (p50 of TRIES, default 5),
# against a release server.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source bench/server.sh
start_server
trap stop_server EXIT
cd end2end && BASE_URL="$base" npx playwright test --config bench.config.ts page-weight 2>&1 | grep -E "bundle:|time to interactive|passed|failed"
