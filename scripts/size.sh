#!/usr/bin/env bash
# What a visitor downloads, from dist/ after scripts/build-widget.sh, raw and brotli (quality 11,
# as served): the loader, which paints the banner by itself (prerendered markup and CSS inside),
# and the widget it loads behind it: the wasm, its glue, and what the API serves it beside them
# (the catalog and its words in one language; the build writes copies to target/served/). A
# returning visitor loads none of it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../dist"
glue=$(ls consent-widget-*.js | grep -v '_bg' | head -1)
wasm=${glue%.js}_bg.wasm
served=../target/served
br() { brotli -c -q 11 "$1" | wc -c; }
row() { printf '%-44s %10d %10d\n' "$1" "$(wc -c < "$2")" "$(br "$2")"; }
printf '%-44s %10s %10s\n' "file" "raw" "brotli"
row "consent.js (loader + banner + CSS)" consent.js
row "$glue (glue)" "$glue"
row "$wasm" "$wasm"
row "GET /v1/catalog" "$served/catalog.json"
words=0
for lang in kk ru en; do
  row "GET /v1/texts?lang=$lang" "$served/texts.$lang.json"
  size=$(br "$served/texts.$lang.json")
  (( size > words )) && words=$size
done
widget=$(( $(br "$glue") + $(br "$wasm") + $(br "$served/catalog.json") + words ))
first=$(br consent.js)
printf 'before the banner is visible: %d B brotli; the widget behind it (in the wordiest language): %d B brotli (%d KB)\n' \
  "$first" "$widget" "$(( (widget + 1023) / 1024 ))"
