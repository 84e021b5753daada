#!/usr/bin/env bash
# Install Fieldvisit with its test tools, and Debian's Chromium when it is missing, then run the
# whole test suite (browser tests included):
#
#   bash scripts/test.sh              every test under tests/
#   bash scripts/test.sh tests/browser -x   any pytest arguments instead
#
# Works from any directory, can be run again, and exits non-zero when a test fails.
# Screenshots from the browser tests are left in test-artifacts/.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_setup.sh"

CHROMIUM="${FIELDVISIT_CHROMIUM:-/usr/bin/chromium}"

ensure_venv "[test]"
if [ ! -x "$CHROMIUM" ]; then
  [ "$CHROMIUM" = /usr/bin/chromium ] || { say "FIELDVISIT_CHROMIUM=$CHROMIUM does not exist"; exit 1; }
  apt_install chromium fonts-liberation fonts-dejavu-core
fi
say "browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"

cd "$ROOT"
if [ "$#" -eq 0 ]; then set -- tests; fi
started=$SECONDS
status=0
"$VENV/bin/python" -m pytest -ra --durations=10 "$@" || status=$?
echo
if [ "$status" -eq 0 ]; then
  say "all tests passed in $((SECONDS - started))s (screenshots in test-artifacts/)"
else
  say "TESTS FAILED (pytest exit code $status) after $((SECONDS - started))s; see the summary above and test-artifacts/"
fi
exit "$status"
