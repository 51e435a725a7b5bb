#!/usr/bin/env bash
# The widget as visitors get it, in dist/: trunk's release build, its glue minified by terser;
# then the build step that prerenders the banner with the widget's own components and writes it,
# the CSS and the content-hashed names of the wasm and its glue into consent.js
# (src/bin/prerender.rs); terser minifies that loader; then brotli and gzip copies of every
# file, which the server picks by Accept-Encoding.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$root/.tools/node_modules/.bin:$PATH"

trunk build --release --offline
# The glue comes with the wasm to every visitor who needs the widget: minified like the loader,
# before its hashed name is taken (an ES module, so its two exports keep their names).
terser dist/consent-widget.js --module --compress --mangle --comments false --output dist/consent-widget.min.js
mv dist/consent-widget.min.js dist/consent-widget.js
# index.html is only trunk's entry point (its inline module script would break the pages' CSP).
rm -f dist/index.html
cargo run --quiet --features ssr --bin prerender -- dist
# Every page view compiles the loader, and its first paint waits for its bytes: it ships minified
# (static/consent.js is the source to read).
terser dist/consent.js --compress --mangle --comments false --output dist/consent.min.js
mv dist/consent.min.js dist/consent.js
# The pinned loader: the same bytes under a content-hashed name, served immutable, and the
# Subresource Integrity value a page puts beside it (docs/embedding.md). consent.js stays the
# short-cached alias.
rm -f dist/consent-????????????????.js*
pinned="consent-$(sha256sum dist/consent.js | cut -c1-16).js"
cp dist/consent.js "dist/$pinned"
integrity="sha384-$(openssl dgst -sha384 -binary dist/consent.js | base64 -w0)"
printf '%s %s\n' "$pinned" "$integrity" > dist/consent.sri
echo "pinned loader: <script src=\"/$pinned\" integrity=\"$integrity\" crossorigin=\"anonymous\" …>"
# The loader's TypeScript declarations, for integrators (docs/embedding.md).
cp static/consent.d.ts dist/consent.d.ts
for file in dist/*.js dist/*.wasm dist/*.css dist/*.html; do
  brotli --force --quality=11 --keep "$file"
  gzip --force --best --keep "$file"
done
