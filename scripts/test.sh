#!/usr/bin/env bash
# Every test: the house check (layers, no import circle), the workspace's Rust tests (SQLite,
# and PostgreSQL when one is reachable), the API contract (schemathesis), the release build of
# the widget with its size, the widget's tests in headless Chromium, and the end-to-end tests
# of widget + server in headless Chromium.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$root/.tools/node_modules/.bin:$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver

step() { printf '\n== test: %s\n' "$*"; }
started=$SECONDS

# The server tests run each body against SQLite and PostgreSQL. Without a reachable PostgreSQL
# its half is skipped (and under CI=true fails); the last line says which.
if timeout 3 bash -c '</dev/tcp/127.0.0.1/5432' 2>/dev/null; then
  postgres="PostgreSQL at 127.0.0.1:5432: its half of the server tests ran"
else
  postgres="PostgreSQL unreachable at 127.0.0.1:5432: its half of the server tests was SKIPPED"
  if [ "${CI:-}" = true ]; then echo "CI needs PostgreSQL: $postgres" >&2; exit 1; fi
fi

step "the house: no import circle and no import from a lower layer to a higher one in src/, core/ and server/ (scripts/house.py, which first proves on made-up crates that it catches both)"
python3 "$root/scripts/house.py" --self-test

step "cargo test --workspace (shared crate; server against SQLite and PostgreSQL; the widget compiles natively, its tests run in wasm below)"
cargo test --workspace

step "the API contract: schemathesis --checks all against the server on SQLite (scripts/contract.sh)"
cargo build -p consent-server
"$root/scripts/contract.sh"

step "release build of the widget (scripts/build-widget.sh: trunk, the prerendered banner, brotli and gzip)"
"$root/scripts/build-widget.sh"
"$root/scripts/size.sh"

step "widget tests in headless Chromium (wasm-bindgen-test)"
cargo test -p consent-widget --target wasm32-unknown-unknown --test widget

step "end-to-end: widget + server on SQLite in headless Chromium"
(cd tests/e2e && npm test)

printf '\n== test: all passed in %ss; %s\n' "$((SECONDS - started))" "$postgres"
