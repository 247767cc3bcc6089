#!/usr/bin/env bash
# Installs everything the product and its tests need, skipping what is already there.
# Safe to run again: every step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the `wasm-bindgen` pin in Cargo.toml
CARGO_LEPTOS_VERSION=0.3.10    # 0.3.11 needs a newer rustc than this machine has
export PATH="$HOME/.cargo/bin:$PATH"

want_apt=()
need_apt() { dpkg -s "$1" >/dev/null 2>&1 || want_apt+=("$1"); }
need_apt pkg-config
need_apt libssl-dev
need_apt libopus-dev     # recordings mix the stage's audio with libopus (the `opus` crate)
need_apt ffmpeg          # recordings: still frame, remux for seeking, thumbnails; test fixtures
need_apt brotli          # the site build precompresses the app bundle (scripts/build-site.sh)
if [[ "${SETUP_TESTS:-0}" == 1 ]]; then
  need_apt chromium        # Debian's; Playwright's own browser download cannot work here
  need_apt fonts-noto-color-emoji  # reactions and hands render as emoji in the test browser
  need_apt postgresql
  need_apt wrk
  need_apt coturn          # the TURN relay of the connectivity tests (scripts/turn.sh)
fi
if ((${#want_apt[@]})); then
  echo "setup: apt-get install ${want_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${want_apt[@]}" >/dev/null
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  # Not --locked: its lock file wants a webpki-roots version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
if [[ "$(cargo leptos --version 2>/dev/null)" != *"$CARGO_LEPTOS_VERSION"* ]]; then
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --force
fi

# wasm-opt from npm's binaryen: Debian's binaryen 108 silently produces a broken wasm.
if [[ ! -x tools/node_modules/.bin/wasm-opt ]]; then
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi
if [[ "${SETUP_TESTS:-0}" == 1 && ! -d end2end/node_modules/@axe-core/playwright ]]; then
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
