#!/usr/bin/env bash
# Recording figures: Stop -> playable (p50/max over 5 one-minute recordings), server CPU with
# four stage cameras recording vs not (same run), file size per minute, and the A/V offset
# measured in the files. A release server runs as a child process on loopback; the cameras
# are webrtc-rs participants sending ffmpeg-made VP8 and Opus.
# Shorter: TRIES=2 RECORDING_SECS=20 CPU_WINDOW_SECS=10 bench/recording.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cargo build --release -p server --bin server
export RECORDING_SERVER_BIN="$CARGO_TARGET_DIR/release/server"
cargo test -p loadtest --test recording_bench -- --ignored --nocapture --test-threads 1 2>&1 \
  | grep -E '^(recordings|stop -> playable|server CPU|file size|A/V offset)|panicked|test result'
