#!/usr/bin/env bash
# The main job: the consent server on embedded SQLite, in demo mode, serving the widget and a
# demo storefront page. Prints the URL to open.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$root/.tools/node_modules/.bin:$PATH"
"$root/scripts/build-widget.sh"
"$root/scripts/size.sh"
cargo build --release -p consent-server
exec target/release/consent-server --demo --bind "${CONSENT_BIND:-127.0.0.1:8080}" \
  --database "${DATABASE_URL:-sqlite://consent.db}" --widget-dir dist "$@"
