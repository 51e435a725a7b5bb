#!/usr/bin/env bash
# What a visitor downloads, from dist/ after scripts/build-widget.sh, raw and brotli (quality 11,
# as served): the loader, which paints the banner by itself (prerendered markup and CSS inside),
# and the widget it loads behind it (the wasm and its glue; a returning visitor loads neither).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../dist"
glue=$(ls consent-widget-*.js | grep -v '_bg' | head -1)
wasm=${glue%.js}_bg.wasm
row() { printf '%-44s %10d %10d\n' "$1" "$(wc -c < "$2")" "$(brotli -c -q 11 "$2" | wc -c)"; }
printf '%-44s %10s %10s\n' "file" "raw" "brotli"
row "consent.js (loader + banner + CSS)" consent.js
row "$glue (glue)" "$glue"
row "$wasm" "$wasm"
widget=$(( $(brotli -c -q 11 "$glue" | wc -c) + $(brotli -c -q 11 "$wasm" | wc -c) ))
first=$(brotli -c -q 11 consent.js | wc -c)
printf 'before the banner is visible: %d B brotli; the widget behind it: %d B brotli (%d KB)\n' \
  "$first" "$widget" "$(( (widget + 1023) / 1024 ))"
