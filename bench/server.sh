# Sourced by the bench scripts: start_server starts a release server on a fresh SQLite
# database with the demo data, on a free loopback port, and waits until it answers.
# Sets $base and $server_pid; stop_server stops it and removes its files.
start_server() {
  [[ -x "$CARGO_TARGET_DIR/release/server" ]] || scripts/build-site.sh
  server_dir=$(mktemp -d)
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$server_dir/bench.db" SEED_DEMO=1 SEED_LOAD_USERS="${SEED_LOAD_USERS:-400}" RUST_LOG=warn \
    "$CARGO_TARGET_DIR/release/server" >"$server_dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "the server did not start: $(tail -5 "$server_dir/server.log")" >&2
  return 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$server_dir"
}
