#!/usr/bin/env bash
# Latency of the server-rendered gallery page under load, on loopback only.
# Starts a release server on a fresh SQLite database, signs in as a member, then runs wrk
# (bounded: fixed duration and connections) and prints p50/p99. Not a test: it prints figures.
#   bench/ssr-latency.sh [duration=20s] [connections=16] [threads=2]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
duration=${1:-20s}
connections=${2:-16}
threads=${3:-2}
command -v wrk >/dev/null || { echo "wrk is missing: SETUP_TESTS=1 scripts/setup.sh installs it" >&2; exit 1; }
source bench/server.sh
start_server
trap stop_server EXIT

cookie=$(curl -sf -D - -o /dev/null -H 'content-type: application/json' \
  -d '{"username":"student","password":"demo"}' "$base/api/session" | sed -n 's/^set-cookie: \([^;]*\).*/\1/ip')
status=$(curl -s -o /dev/null -w '%{http_code}' -H "cookie: $cookie" "$base/galleries/1")
[[ "$status" == 200 ]] || { echo "gallery page answered $status" >&2; exit 1; }

echo "GET /galleries/1 as a signed-in member, $connections connections, $threads threads, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -H "cookie: $cookie" "$base/galleries/1" |
  grep -E 'Requests/sec|Non-2xx|Socket errors|^ +(50|75|90|99)%'
