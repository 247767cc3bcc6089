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
pkg="$LEPTOS_SITE_ROOT/$LEPTOS_SITE_PKG_DIR"
hashes="$CARGO_TARGET_DIR/release/hash.txt"
if [[ -x "$CARGO_TARGET_DIR/release/server" && -f "$hashes" \
      && "$(cat "$fingerprint_file" 2>/dev/null)" == "$fingerprint" ]]; then
  echo "build-site: nothing changed since the last build"
  exit 0
fi
rm -f "$fingerprint_file"
# The bundle's names carry content hashes (hash-files in Cargo.toml): a clean pkg dir keeps
# only this build's files. --split moves the lazily loaded pages (app/src/lazy_pages.rs) into
# their own wasm chunks, fetched when a page needs them.
rm -rf "$pkg"
cargo leptos build --release --split

# Precompress every file of the bundle so the server sends them as built.
for file in "$pkg"/*; do
  case "$file" in
    *.js | *.wasm | *.css | *.json)
      brotli --quality=11 --force --keep "$file"
      gzip -9 --force --keep "$file"
      ;;
  esac
done
echo "$fingerprint" >"$fingerprint_file"
