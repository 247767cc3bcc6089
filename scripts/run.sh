#!/usr/bin/env bash
# The product on its embedded default: one process, a SQLite file, demo data on first start.
# Installs what is missing, builds what changed, then serves and prints the URL to open.
# Honours LEPTOS_SITE_ADDR and DATABASE_URL when they are set.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
scripts/build-site.sh
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
export DATABASE_URL="${DATABASE_URL:-sqlite://data/meetingrooms.db}"
export SEED_DEMO="${SEED_DEMO:-1}"
export RUST_LOG="${RUST_LOG:-info,sqlx=warn,tower_http=warn}"
exec "$CARGO_TARGET_DIR/release/server"
