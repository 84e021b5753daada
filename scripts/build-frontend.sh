#!/usr/bin/env bash
# Rebuild the vendored front-end libraries in static/vendor/ from the exact
# versions pinned in frontend/package.json + frontend/package-lock.json.
#
#   bash scripts/build-frontend.sh        (works from any directory)
#
# Needs Node.js + npm and access to the npm registry. No CDN is used at
# build time or run time; everything the browser loads is served from
# /static/vendor/.
#
# What it produces:
#   static/vendor/govuk-frontend/govuk-frontend.min.css  compiled from SCSS (the components we use)
#   static/vendor/govuk-frontend/govuk-frontend.min.js   the components we use, one ES module
#   static/vendor/govuk-frontend/LICENSE.txt
#   static/vendor/govuk-frontend/assets/...              only images the CSS uses
#   static/vendor/htmx/htmx.min.js
#   static/vendor/htmx/LICENSE.txt
#   static/vendor/README.md
#
# Deliberate omissions (Fieldvisit is not a GOV.UK service):
#   - GDS Transport font: restricted to GOV.UK services, so the CSS uses a
#     system font stack and emits no @font-face; no fonts/ folder is copied.
#   - The crown / royal crest and crown favicons/icons: also restricted. The
#     footer's crest image is replaced at compile time by a transparent
#     gradient, so the CSS has no url() pointing at it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRONTEND="$ROOT/frontend"
NM="$FRONTEND/node_modules"
VENDOR="$ROOT/static/vendor"
GOVUK_OUT="$VENDOR/govuk-frontend"
HTMX_OUT="$VENDOR/htmx"
ASSETS_URL="/static/vendor/govuk-frontend/assets/"

die() { echo "build-frontend: ERROR: $*" >&2; exit 1; }
log() { echo "build-frontend: $*"; }

command -v npm >/dev/null || die "npm not found (install Node.js 18+)"
command -v node >/dev/null || die "node not found (install Node.js 18+)"

# 1. Install exactly what the lockfile says. No install scripts are needed
#    (sass is pure JS; its optional @parcel/watcher is only for --watch).
log "npm ci in frontend/"
(cd "$FRONTEND" && npm ci --ignore-scripts --no-audit --no-fund)

GOVUK_PKG="$NM/govuk-frontend"
GOVUK_DIST="$GOVUK_PKG/dist/govuk"
HTMX_PKG="$NM/htmx.org"
SASS="$NM/.bin/sass"
[ -d "$GOVUK_DIST" ] || die "missing $GOVUK_DIST"
[ -f "$HTMX_PKG/dist/htmx.min.js" ] || die "missing htmx.org/dist/htmx.min.js"
[ -x "$SASS" ] || die "missing sass binary at $SASS"

pkg_field() { node -p "require(process.argv[1]).$2" "$1/package.json"; }
GOVUK_VERSION="$(pkg_field "$GOVUK_PKG" version)"
HTMX_VERSION="$(pkg_field "$HTMX_PKG" version)"
SASS_VERSION="$(pkg_field "$NM/sass" version)"
ESBUILD_VERSION="$(pkg_field "$NM/esbuild" version)"
GOVUK_LICENSE="$(pkg_field "$GOVUK_PKG" license)"
HTMX_LICENSE="$(pkg_field "$HTMX_PKG" license)"

# 2. Start from a clean output tree so removed files don't linger.
rm -rf "$GOVUK_OUT" "$HTMX_OUT"
mkdir -p "$GOVUK_OUT" "$HTMX_OUT"

# 3. Compile GOV.UK Frontend SCSS with our settings.
#    Setting names checked against dist/govuk/settings/_typography-font.scss
#    and dist/govuk/settings/_assets.scss of the installed version.
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

cat >"$TMP/_fieldvisit-url-handlers.scss" <<SCSS
// Image URL handler passed to \$govuk-image-url-function.
// The crest is the Royal Arms (restricted to GOV.UK), so it is never
// referenced: a fully transparent gradient keeps the footer layout working
// (as both background-image and mask-image) without loading any file.
@function image-url(\$filename) {
  @if \$filename == "govuk-crest.svg" {
    @return linear-gradient(transparent, transparent);
  }
  @return url("${ASSETS_URL}images/#{\$filename}");
}
SCSS

# Only the components Fieldvisit's templates use (issue 13: 140 KB -> 102 KB of CSS to parse and match
# on every page, a kept page with no signal too). Listed in the order GOV.UK Frontend's own
# stylesheet emits them, so the rules kept are the full stylesheet's, in the same order: the same
# cascade. tests/test_frontend_css.py fails when a page uses a component that is not listed here.
GOVUK_CSS_COMPONENTS="back-link button error-message hint label textarea fieldset checkboxes input details
  error-summary file-upload footer header inset-text notification-banner panel tag radios select
  skip-link summary-list table tabs warning-text"
COMPONENT_USES=""
for component in $GOVUK_CSS_COMPONENTS; do
  COMPONENT_USES+="@use \"govuk-frontend/dist/govuk/components/$component\";"$'\n'
done

cat >"$TMP/govuk-frontend.scss" <<SCSS
@use "sass:meta";
@use "fieldvisit-url-handlers";
@use "govuk-frontend/dist/govuk/base" with (
  \$govuk-font-family: (system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif),
  \$govuk-include-default-font-face: false,
  \$govuk-assets-path: "${ASSETS_URL}",
  \$govuk-images-path: "${ASSETS_URL}images/",
  \$govuk-fonts-path: "${ASSETS_URL}fonts/",
  \$govuk-image-url-function: meta.get-function("image-url", \$module: "fieldvisit-url-handlers")
);
@use "govuk-frontend/dist/govuk/core";
@use "govuk-frontend/dist/govuk/objects";
${COMPONENT_USES}@use "govuk-frontend/dist/govuk/utilities";
@use "govuk-frontend/dist/govuk/overrides";
SCSS

log "compiling govuk-frontend $GOVUK_VERSION SCSS with sass $SASS_VERSION"
"$SASS" --no-source-map --style=compressed --quiet-deps \
  --load-path="$NM" --load-path="$TMP" \
  "$TMP/govuk-frontend.scss" "$GOVUK_OUT/govuk-frontend.min.css"

CSS="$GOVUK_OUT/govuk-frontend.min.css"

# 4. Font checks: the GDS Transport font must not be shipped or referenced.
if grep -qi 'font-face' "$CSS"; then die "compiled CSS contains @font-face"; fi
if grep -qi 'GDS Transport' "$CSS"; then die "compiled CSS mentions GDS Transport"; fi
if grep -qiE '\.woff2?|/fonts/' "$CSS"; then die "compiled CSS references font files"; fi

# 5. Copy only the assets that the CSS actually references (never fonts or
#    crown/crest/royal-arms/favicon/app-icon images) and check each resolves.
mapfile -t URLS < <(grep -oE 'url\([^)]*\)' "$CSS" \
  | sed -E 's/^url\(["'"'"']?//; s/["'"'"']?\)$//' | sort -u)
for u in "${URLS[@]}"; do
  case "$u" in
    data:*) continue ;;
    "$ASSETS_URL"*) rel="${u#"$ASSETS_URL"}" ;;
    *) die "unexpected url() in CSS: $u" ;;
  esac
  case "$rel" in
    fonts/*|*crown*|*crest*|*royal*|*arms*|*favicon*|*govuk-icon*|*opengraph*)
      die "CSS references restricted asset $rel" ;;
  esac
  src="$GOVUK_DIST/assets/$rel"
  [ -f "$src" ] || die "CSS references $u but $src does not exist"
  mkdir -p "$GOVUK_OUT/assets/$(dirname "$rel")"
  cp "$src" "$GOVUK_OUT/assets/$rel"
  log "copied asset $rel"
done
log "${#URLS[@]} url() reference(s) in CSS, all resolved"
if [ "${#URLS[@]}" -eq 0 ]; then ASSET_NOTE="currently none"; else ASSET_NOTE="currently ${#URLS[@]}"; fi

# 6. JavaScript: GOV.UK Frontend's components that Fieldvisit's templates use (their
#    data-module names), bundled and minified by esbuild into one ES module (4 KB compressed
#    instead of the whole library's 11 KB: issue 13's JavaScript budget), and htmx.
#    static/js/govuk-init.js creates them; a template that starts using another component
#    adds it here and there. The entry lives inside frontend/ so that esbuild finds node_modules.
ESBUILD="$NM/.bin/esbuild"
[ -x "$ESBUILD" ] || die "missing esbuild binary at $ESBUILD"
GOVUK_COMPONENTS="Button, ErrorSummary, NotificationBanner, SkipLink, Tabs"
ENTRY="$FRONTEND/.govuk-entry.mjs"
echo "export { $GOVUK_COMPONENTS, createAll } from \"govuk-frontend\";" >"$ENTRY"
(cd "$FRONTEND" && "$ESBUILD" "$ENTRY" --bundle --format=esm --minify --target=es2020 \
  --log-level=warning --outfile="$GOVUK_OUT/govuk-frontend.min.js") || { rm -f "$ENTRY"; die "esbuild failed"; }
rm -f "$ENTRY"
cp "$HTMX_PKG/dist/htmx.min.js" "$HTMX_OUT/htmx.min.js"

# 7. Licences. The govuk-frontend npm tarball does not include its LICENSE
#    file, so the upstream LICENSE.txt (alphagov/govuk-frontend, MIT) is
#    reproduced verbatim here. htmx.org ships its own LICENSE (0BSD).
if [ -f "$GOVUK_PKG/LICENSE.txt" ]; then
  cp "$GOVUK_PKG/LICENSE.txt" "$GOVUK_OUT/LICENSE.txt"
elif [ -f "$GOVUK_PKG/LICENSE" ]; then
  cp "$GOVUK_PKG/LICENSE" "$GOVUK_OUT/LICENSE.txt"
else
  [ "$GOVUK_LICENSE" = "MIT" ] || die "govuk-frontend licence changed to $GOVUK_LICENSE; review"
  cat >"$GOVUK_OUT/LICENSE.txt" <<'EOF'
The MIT License (MIT)

Copyright (C) 2017 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
EOF
fi
cp "$HTMX_PKG/LICENSE" "$HTMX_OUT/LICENSE.txt"

# 8. README describing what is vendored.
cat >"$VENDOR/README.md" <<EOF
# Vendored front-end libraries

Generated by \`scripts/build-frontend.sh\` — do not edit files in this
directory by hand. Versions are pinned exactly in \`frontend/package.json\`
and \`frontend/package-lock.json\`.

Rebuild with \`bash scripts/build-frontend.sh\`.

| Library | Version | Licence | Files |
| --- | --- | --- | --- |
| [GOV.UK Frontend](https://github.com/alphagov/govuk-frontend) (\`govuk-frontend\`) | ${GOVUK_VERSION} | ${GOVUK_LICENSE} (see \`govuk-frontend/LICENSE.txt\`) | \`govuk-frontend/govuk-frontend.min.css\`, \`govuk-frontend/govuk-frontend.min.js\` |
| [htmx](https://github.com/bigskysoftware/htmx) (\`htmx.org\`) | ${HTMX_VERSION} | ${HTMX_LICENSE} (see \`htmx/LICENSE.txt\`) | \`htmx/htmx.min.js\` |

The CSS is compiled from GOV.UK Frontend's SCSS with Dart Sass ${SASS_VERSION}
(build-time only, not shipped). It holds GOV.UK Frontend's base, objects, utilities and overrides
and only the components Fieldvisit's pages use: $(echo $GOVUK_CSS_COMPONENTS | sed 's/ /, /g').

## Differences from the stock GOV.UK Frontend build

Fieldvisit is not a GOV.UK service, so the restricted GOV.UK brand assets are
left out:

- **No GDS Transport font.** \`\$govuk-font-family\` is set to the system stack
  \`system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif\`
  and \`\$govuk-include-default-font-face: false\`, so the CSS has no
  \`@font-face\` and no font files are copied.
- **No crown / Royal Arms.** The footer crest (\`govuk-crest.svg\`) is replaced
  at compile time (via \`\$govuk-image-url-function\`) by a transparent
  gradient; no crest, crown favicon, app icons or Open Graph image are copied.
- \`\$govuk-assets-path\` is \`${ASSETS_URL}\`; only images the CSS actually
  references are copied under \`govuk-frontend/assets/\` (${ASSET_NOTE}).
- \`govuk-frontend.min.js\` holds only the components Fieldvisit's templates
  use (${GOVUK_COMPONENTS}) and \`createAll\`, bundled and minified
  from \`dist/govuk/\` by esbuild ${ESBUILD_VERSION} (build-time only); load it with
  \`<script type="module">\`. No \`.map\` file is vendored.

GOV.UK Frontend JavaScript is started by \`static/js/govuk-init.js\`, which
calls \`createAll()\` for each of those components (the \`govuk-frontend-supported\`
class on \`<body>\` is set before the first paint by \`static/early/govuk-supported.js\`).
EOF

log "done:"
(cd "$ROOT" && find static/vendor -type f -printf '  %8s  %p\n' | sort -k2)
