#!/usr/bin/env bash
# What a visitor downloads: the widget's wasm, JS glue and CSS from dist/, raw and brotli.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../dist"
total_raw=0; total_br=0
printf '%-12s %10s %10s\n' "widget" "raw" "brotli"
for kind in wasm js css; do
  file=$(ls consent-*."$kind" 2>/dev/null | grep -v '^demo' | head -n1)
  raw=$(wc -c < "$file"); br=$(brotli -c -q 11 "$file" | wc -c)
  total_raw=$((total_raw + raw)); total_br=$((total_br + br))
  printf '%-12s %10d %10d\n' "$kind" "$raw" "$br"
done
printf '%-12s %10d %10d   (%d KB brotli)\n' "total" "$total_raw" "$total_br" "$(( (total_br + 1023) / 1024 ))"
