#!/usr/bin/env bash
# Everything CI checks: formatting, lints (native and wasm), unit, property and API tests on
# SQLite and PostgreSQL, then the end-to-end suite in Chromium. Installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
SETUP_TESTS=1 scripts/setup.sh

echo "== format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p frontend --lib --target wasm32-unknown-unknown -- -D warnings

echo "== unit, property and API tests (SQLite and PostgreSQL)"
TEST_POSTGRES_URL=$(scripts/postgres.sh)
export TEST_POSTGRES_URL
cargo test --workspace
# The browser's media health rules (hydrate-only code) run natively too.
cargo test -p app --features hydrate --lib media::health
cargo test -p app --features hydrate --lib media::quality

echo "== fuzzing (a few seconds per target; scripts/fuzz.sh 600 for a real run)"
scripts/fuzz.sh "${FUZZ_SECONDS:-5}"

echo "== end-to-end in Chromium"
scripts/build-site.sh
scripts/e2e.sh
