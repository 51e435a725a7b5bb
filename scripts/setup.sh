#!/usr/bin/env bash
# Installs what the project needs and is missing; quick when everything is present.
# Tools come only from registries this network reaches (crates.io, npm, Debian): see
# ../shared/TOOLCHAIN.md for why each is installed the way it is.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

TRUNK_VERSION='~0.21'          # trunk 0.22 needs a newer rustc than this machine has
BINARYEN_VERSION=132           # Debian's wasm-opt (108) emits code Chromium rejects
TERSER_VERSION=5.51.4          # minifies the loader, consent.js, which every page view compiles
SCHEMATHESIS_VERSION=4.32.5    # the API contract check (scripts/contract.sh)
export PATH="$HOME/.cargo/bin:$root/.tools/node_modules/.bin:$PATH"

step() { printf '\n== setup: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" ||
    { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; }
}

lock_version() { # the version of a package in Cargo.lock
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q '^trunk 0\.21\.'; then
  step "trunk $TRUNK_VERSION (about 5 minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

[ -f Cargo.lock ] || cargo generate-lockfile
bindgen="$(lock_version wasm-bindgen)"
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $bindgen"; then
  step "wasm-bindgen-cli $bindgen (= Cargo.lock)"
  # Without --locked: its lock file names a crate version this registry does not serve.
  cargo install wasm-bindgen-cli --version "$bindgen" --force
fi
grep -q "^wasm_bindgen = \"$bindgen\"" Trunk.toml ||
  { echo "Trunk.toml [tools] wasm_bindgen must be $bindgen, the version in Cargo.lock" >&2; exit 1; }

if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
  step "wasm-opt from npm binaryen@$BINARYEN_VERSION"
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
fi

if ! terser --version 2>/dev/null | grep -qx "terser $TERSER_VERSION"; then
  step "terser $TERSER_VERSION from npm (project-local in .tools)"
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --silent "terser@$TERSER_VERSION"
fi

apt_install chromium chromium-driver brotli wrk

if ! .tools/venv/bin/st --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION"; then
  step "schemathesis $SCHEMATHESIS_VERSION from PyPI (project-local in .tools/venv)"
  python3 -m venv .tools/venv || { apt_install python3-venv && python3 -m venv .tools/venv; }
  .tools/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]; then
  step "end-to-end test packages (playwright-core, axe-core)"
  npm ci --prefix tests/e2e --no-audit --no-fund --silent
  touch tests/e2e/node_modules
fi

printf '== setup: ready (trunk %s, wasm-bindgen %s, wasm-opt %s, terser %s, schemathesis %s, %s)\n' \
  "$(trunk --version | cut -d' ' -f2)" "$bindgen" "$BINARYEN_VERSION" "$TERSER_VERSION" "$SCHEMATHESIS_VERSION" "$(chromium --version 2>/dev/null)"
