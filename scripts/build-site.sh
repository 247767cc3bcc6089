#!/usr/bin/env bash
# Builds the release site (server binary + hydrating wasm + CSS) with cargo-leptos, unless
# nothing it is built from has changed since the last build. cargo-leptos alone re-runs
# wasm-bindgen and wasm-opt every time (about 25 s here), even on an unchanged wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

fingerprint_file="$LEPTOS_SITE_ROOT/.build-fingerprint"
fingerprint=$(
  find Cargo.toml Cargo.lock domain room protocol store app frontend server style public -type f \
    -not -path '*/tests/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
)
if [[ -x "$CARGO_TARGET_DIR/release/server" && -f "$LEPTOS_SITE_ROOT/$LEPTOS_SITE_PKG_DIR/$LEPTOS_OUTPUT_NAME.wasm" \
      && "$(cat "$fingerprint_file" 2>/dev/null)" == "$fingerprint" ]]; then
  echo "build-site: nothing changed since the last build"
  exit 0
fi
rm -f "$fingerprint_file"
cargo leptos build --release
echo "$fingerprint" >"$fingerprint_file"
