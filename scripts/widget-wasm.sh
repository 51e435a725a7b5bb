# Sourced by the measuring scripts (twiggy.sh, screen-costs.sh): the widget's wasm built as
# trunk builds it for dist/, the wasm-opt flags read from index.html so there is one copy of them.

# widget_wasm CRATE_DIR OUT_DIR OUT_FILE [more wasm-opt arguments]: the `widget` profile,
# wasm-bindgen into OUT_DIR, then wasm-opt -Oz with index.html's flags into OUT_FILE. The
# build goes to $CARGO_TARGET_DIR when set, else CRATE_DIR/target.
widget_wasm() {
  local crate=$1 out=$2 file=$3
  shift 3
  local target=${CARGO_TARGET_DIR:-$crate/target} flags
  flags=$(sed -n 's/.*data-wasm-opt-params="\([^"]*\)".*/\1/p' "$crate/index.html")
  (cd "$crate" && cargo build --quiet --profile widget --target wasm32-unknown-unknown --bin consent-widget)
  mkdir -p "$out"
  # (Without its warning that `strip` leaves it no feature section: wasm-opt is told the features.)
  wasm-bindgen --target web --out-dir "$out" "$target/wasm32-unknown-unknown/widget/consent-widget.wasm" 2>&1 |
    { grep -v target_features || true; }
  # shellcheck disable=SC2086 # the flags are words
  wasm-opt -Oz $flags "$@" "$out/consent-widget_bg.wasm" -o "$file"
}
