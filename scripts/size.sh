#!/usr/bin/env bash
# What a visitor downloads, from dist/: the loader, the wasm, its JS glue and the CSS, raw and
# brotli (quality 11, as a CDN would serve them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../dist"
total_raw=0; total_br=0
printf '%-24s %10s %10s\n' "file" "raw" "brotli"
for file in consent.js consent-widget_bg.wasm consent-widget.js consent.css; do
  raw=$(wc -c < "$file"); br=$(brotli -c -q 11 "$file" | wc -c)
  total_raw=$((total_raw + raw)); total_br=$((total_br + br))
  printf '%-24s %10d %10d\n' "$file" "$raw" "$br"
done
printf '%-24s %10d %10d   (%d KB brotli)\n' "total" "$total_raw" "$total_br" "$(( (total_br + 1023) / 1024 ))"
