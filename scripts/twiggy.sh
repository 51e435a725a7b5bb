#!/usr/bin/env bash
# Where the widget's wasm spends its bytes, by crate: an unstripped release build, wasm-bindgen,
# then wasm-opt with index.html's flags and -g (names kept, otherwise as shipped), then twiggy. Installs twiggy if missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$root/.tools/node_modules/.bin:$PATH"
command -v twiggy >/dev/null || cargo install twiggy --locked
out=target/twiggy
# shellcheck source=scripts/widget-wasm.sh
. "$root/scripts/widget-wasm.sh"
CARGO_PROFILE_WIDGET_STRIP=false widget_wasm "$root" "$out" "$out/named.wasm" -g
twiggy top -f csv -n 1000000 "$out/named.wasm" > "$out/top.csv"
python3 - "$out/top.csv" <<'PY'
import csv, re, sys
C = r'(\[[0-9a-f]+\])?::'   # rustc writes core[5a..]:: for the standard crates
groups = [
    ('data segments (strings, catalogs)', r'^data'),
    ('serde_json', r'serde_json|zmij|\bryu'),
    ('serde-wasm-bindgen', r'serde_wasm_bindgen'),
    ('serde (derives, de/ser)', r'\bserde::|_serde|Deserialize|Serialize|__Visitor|__Field'),
    ("Yew's runtime", r'\byew::|implicit_clone|\bprokio|\bgloo_worker'),
    ("the widget's own code", r'consent_widget'),
    ('consent_core', r'consent_core'),
    ('wasm-bindgen, js-sys, web-sys, gloo', r'wasm_bindgen|js_sys|web_sys|gloo_'),
    ('core::fmt, panics', r'core' + C + r'(fmt|panicking)|panic|escape_debug'),
    ('core, alloc, std (other)', r'\b(core|alloc|std|__rustc)' + C + r'|hashbrown|indexmap|dlmalloc|__rdl'),
]
total, sizes = 0, {}
for row in csv.DictReader(open(sys.argv[1])):
    name, size = row['Name'], int(row['ShallowSize'])
    if name.startswith('"'):
        continue  # the name sections that -g keeps: not in the shipped wasm
    total += size
    group = next((label for label, pattern in groups if re.search(pattern, name)), 'other (tables, glue, unnamed)')
    sizes[group] = sizes.get(group, 0) + size
print(f'| share | bytes | what |\n| ---: | ---: | --- |')
for group, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
    print(f'| {100 * size / total:.0f} % | {size:,} | {group} |')
print(f'| | {total:,} | total (unstripped, after wasm-opt -Oz -g) |')
PY
