# Sourced by the other scripts: where builds go and where the tools are.
# Builds live outside the clone so a fresh clone (as CI makes) reuses them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/meetingrooms/target}"
export PATH="$PWD/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# cargo-leptos reads these; the server reads them too when started by hand.
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
export LEPTOS_SITE_PKG_DIR="${LEPTOS_SITE_PKG_DIR:-pkg}"
export LEPTOS_OUTPUT_NAME="${LEPTOS_OUTPUT_NAME:-meetingrooms}"
# CI builds each commit once: incremental caches would only pile up in the shared target dir
# (they reached 29 GB here).
if [[ "${CI:-}" == true ]]; then
  export CARGO_INCREMENTAL=0
fi
