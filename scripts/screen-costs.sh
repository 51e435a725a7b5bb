#!/usr/bin/env bash
# What each screen costs the visitor who loads the widget, in brotli bytes of wasm and glue.
# The wasm is built as trunk ships it (the `widget` profile, wasm-bindgen, wasm-opt -Oz with
# index.html's flags), once as it is and once with each screen's component rendering nothing,
# so that the compiler drops all the code only that screen reaches. The last row leaves the
# core: the banner, the model, the outbox, the page's API, the client and the JSON reader.
# It works on a copy of the committed tree (a git worktree under target/), never on src/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$root/.tools/node_modules/.bin:$PATH"
export CARGO_TARGET_DIR="$root/target/screen-costs"
copy="$CARGO_TARGET_DIR/tree"
out="$CARGO_TARGET_DIR/out"

git worktree remove --force "$copy" 2>/dev/null || rm -rf "$copy"
git worktree prune
git worktree add --quiet --detach "$copy" HEAD
trap 'git worktree remove --force "$copy"' EXIT

# Makes `fn <Component>(props: &...) -> Html {` return nothing at once.
render_nothing() { # file component
  perl -0pi -e "s/(pub fn $2\\(props: &\\w+\\) -> Html \\{\\n)/\$1    if true { let _ = props; return Html::default(); }\\n/ or die 'no $2 in $1'" "$copy/$1"
}

# shellcheck source=scripts/widget-wasm.sh
. "$root/scripts/widget-wasm.sh"

measure() { # label
  widget_wasm "$copy" "$out" "$out/opt.wasm"
  local wasm glue
  wasm=$(brotli -c -q 11 "$out/opt.wasm" | wc -c)
  glue=$(brotli -c -q 11 "$out/consent-widget.js" | wc -c)
  printf '| %s | %d | %d | %d |\n' "$1" "$wasm" "$glue" "$((wasm + glue))"
}

# Each screen as file:component.
screens=(policy.rs:PolicyDialog my_data.rs:MyDataDialog changes.rs:ChangesDialog
  withdrawal.rs:ApplicationDialog choices.rs:ChoicesDialog)

printf '| build | wasm | glue | together |\n| --- | ---: | ---: | ---: |\n'
measure "as shipped ($(git rev-parse --short HEAD))"
for screen in "${screens[@]}"; do
  (cd "$copy" && git checkout --quiet -- src)
  render_nothing "src/${screen%%:*}" "${screen##*:}"
  measure "without ${screen##*:}"
done
(cd "$copy" && git checkout --quiet -- src)
for screen in "${screens[@]}"; do
  render_nothing "src/${screen%%:*}" "${screen##*:}"
done
measure "the core alone: without all ${#screens[@]} screens"
