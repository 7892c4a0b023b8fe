#!/bin/sh
# Re-fetch the third-party files the test pages use, at the pinned versions,
# from the npm registry (`npm pack`, no install), and rewrite VERSIONS with
# their sha256. Run from anywhere: sh tests/pages/vendor/refresh.sh
#   press-start-2p: a pixel web font (SIL OFL 1.1) for fonts.html and csp.html
#   requirejs:      the AMD loader of requirejs.html (MIT)
set -eu
FONT=5.3.0
REQUIREJS=2.3.8
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "@fontsource/press-start-2p@$FONT" "requirejs@$REQUIREJS" >/dev/null
mkdir font requirejs
tar xzf "fontsource-press-start-2p-$FONT.tgz" -C font
tar xzf "requirejs-$REQUIREJS.tgz" -C requirejs
cp font/package/files/press-start-2p-latin-400-normal.woff2 "$here/press-start-2p-latin-400-normal.woff2"
cp font/package/LICENSE "$here/press-start-2p.LICENSE"
cp requirejs/package/require.js "$here/require.js"
# The requirejs package ships no LICENSE file; requirejs.LICENSE (MIT, as the
# header of require.js says) is kept by hand.
cd "$here"
{
  printf 'press-start-2p-latin-400-normal.woff2 %s %s\n' "$FONT" \
    "$(sha256sum press-start-2p-latin-400-normal.woff2 | cut -d' ' -f1)"
  printf 'require.js %s %s\n' "$REQUIREJS" "$(sha256sum require.js | cut -d' ' -f1)"
} > VERSIONS
cat VERSIONS
