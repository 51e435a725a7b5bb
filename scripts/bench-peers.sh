#!/usr/bin/env bash
# This widget against vanilla-cookieconsent and Klaro in headless Chromium, desktop and a
# throttled phone; writes the figures and PASS/FAIL per target into BENCHMARKS.md. Not part of
# the test command: it measures, it does not assert. RUNS=9 loads per figure by default.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$root/.tools/node_modules/.bin:$PATH"
"$root/scripts/build-widget.sh"
cargo build --release -p consent-server
npm ci --prefix bench/peers --no-audit --no-fund --silent
node bench/peers/run.mjs
