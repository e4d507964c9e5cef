#!/usr/bin/env bash
# Re-create vendor/web/ (the book's offline MathJax and ipywidgets scripts) from the npm registry.
# The result is committed, so building the book needs neither npm nor a network: run this only to
# upgrade a version (`make vendor`), then rebuild and run `make browser`.
set -euo pipefail
MATHJAX=3.2.2
HTML_MANAGER=1.0.15   # @jupyter-widgets/html-manager 1.0.x renders ipywidgets 8 state
REQUIREJS=2.3.7
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "mathjax@$MATHJAX" "@jupyter-widgets/html-manager@$HTML_MANAGER" \
    "requirejs@$REQUIREJS" >/dev/null)
for f in "$tmp"/*.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
# start clean, keeping our own glue script (web/jupyter-widgets/offline.js)
rm -rf web/mathjax && mkdir -p web/mathjax web/jupyter-widgets
find web/jupyter-widgets -type f ! -name offline.js -delete

# MathJax: the combined TeX+MathML→CommonHTML component, the TeX extensions it autoloads, its fonts.
mj="$tmp/mathjax-$MATHJAX/package"
cp "$mj/LICENSE" "$mj/es5/tex-mml-chtml.js" web/mathjax/
mkdir -p web/mathjax/input/tex web/mathjax/output/chtml/fonts
cp -r "$mj/es5/input/tex/extensions" web/mathjax/input/tex/
cp -r "$mj/es5/output/chtml/fonts/woff-v2" web/mathjax/output/chtml/fonts/

# ipywidgets: require.js and the embed manager that renders saved widget state; its Font Awesome
# fonts (woff2/woff, what browsers use) sit beside it, where its CSS looks for them.
hm="$tmp/jupyter-widgets-html-manager-$HTML_MANAGER/package"
cp "$hm/dist/embed-amd.js" "$hm/dist/"*.woff2 "$hm/dist/"*.woff web/jupyter-widgets/
cp "$hm/dist/embed.js.LICENSE.txt" web/jupyter-widgets/embed-amd.js.LICENSE.txt
cp "$tmp/requirejs-$REQUIREJS/package/require.js" web/jupyter-widgets/   # MIT, licence in its header
printf 'mathjax %s\n@jupyter-widgets/html-manager %s\nrequirejs %s\n' "$MATHJAX" "$HTML_MANAGER" "$REQUIREJS" \
    > VERSIONS
echo "vendor/web: $(du -sh web | cut -f1)"
