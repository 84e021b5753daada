#!/usr/bin/env bash
# Install Fieldvisit with its test tools, and Debian's Chromium when it is missing, then run the
# whole test suite (browser tests included):
#
#   bash scripts/test.sh              every test under tests/, then the domain and route tests
#                                     twice more with the clock moved (see below)
#   bash scripts/test.sh tests/browser -x   any pytest arguments instead (one run, real clock)
#
# The full run: the tests outside tests/browser on two workers (pytest-xdist, -n 2), the browser
# tests one at a time (each drives Chromium against its own server) and, beside them at the lowest
# CPU priority, the tests outside tests/browser again under libfaketime (Debian's faketime,
# installed when missing) with the clock a year ahead and on the morning after a bank holiday
# (Tuesday 4 May 2027 at 09:30 in England, after the May Day holiday), so that no test depends on
# the day it runs (issue 9).
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

# libfaketime's library, installing Debian's faketime when it is missing.
find_faketime() {
  local lib
  for lib in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
    if [ -f "$lib" ]; then FAKETIME_LIB="$lib"; return 0; fi
  done
  return 1
}

# Run pytest with a name for the summary; remembers the steps that failed.
FAILED_STEPS=()
run_step() {
  local name="$1" code=0
  shift
  say "$name"
  "$@" || code=$?
  if [ "$code" -ne 0 ]; then FAILED_STEPS+=("$name (pytest exit code $code)"); fi
}

cd "$ROOT"
started=$SECONDS
PYTEST=("$VENV/bin/python" -m pytest -ra --durations=10)
if [ "$#" -gt 0 ]; then
  run_step "pytest $*" "${PYTEST[@]}" "$@"
else
  run_step "domain and route tests (2 workers)" "${PYTEST[@]}" -n 2 tests --ignore=tests/browser
  # The same domain and route tests with the clock moved. libfaketime moves every clock call of
  # Python, SQLite and the servers the tests start; the monotonic clock is left to move too
  # (FAKETIME_DONT_FAKE_MONOTONIC=1 makes Python's time.sleep fail with EINVAL).
  find_faketime || { apt_install faketime; find_faketime; } || { say "libfaketime not found after installing faketime"; exit 1; }
  # The morning after a bank holiday as an offset from now, not FAKETIME="@2027-05-04 09:30:00":
  # "@" starts every process's clock at that moment, so a test server restarted later would go
  # back in time (and find its own session cookies signed in the future).
  after_holiday=$(( $(TZ=Europe/London date -d '2027-05-04 09:30:00' +%s) - $(date +%s) ))
  # One process (no xdist workers) with the clock moved: tests/conftest.py leaves as soon as the
  # summary is printed, as a library thread can hang at exit under libfaketime.
  # Tests that start other processes (a live server, the backup and restore commands, the fault
  # injector) or wait for a timeout run on the real clock only: under libfaketime a multi-threaded
  # child process can wait for ever on a lock at start-up, and a timed wait never ends. They judge
  # no dates.
  REAL_CLOCK_ONLY=(--ignore=tests/test_backups.py --ignore=tests/test_offline_fault_injection.py
    --ignore=tests/test_offline_sync_api_kill.py --ignore=tests/test_offline_sync_concurrency.py
    --ignore=tests/test_hardening_input_headers.py
    # A writer that gives up after its timeout: a timed wait never ends under libfaketime.
    --deselect=tests/test_sync_engine_batches.py::test_the_writers_of_a_process_take_their_turns_in_the_order_they_asked_and_give_up_after_the_timeout)
  # The two runs go side by side, one per core, each printed whole when it ends. They start before
  # the browser tests and run under `nice -n 19`: they take only the CPU the browser tests leave idle
  # (Chromium waiting on the network, a page's timers), so the browser tests keep their pace and the
  # whole suite stays within its 25 minutes.
  names=(); pids=(); logs=()
  for clock in "+365d" "$( [ "$after_holiday" -ge 0 ] && echo "+${after_holiday}s" || echo "${after_holiday}s" )"; do
    names+=("domain and route tests with the clock at FAKETIME='$clock' ($(env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="$clock" TZ=Europe/London date '+%a %-d %b %Y %H:%M'))")
    logs+=("$(mktemp)")
    timeout 1500 nice -n 19 env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="$clock" "${PYTEST[@]}" -p no:xdist -p no:cacheprovider tests \
      --ignore=tests/browser "${REAL_CLOCK_ONLY[@]}" >"${logs[-1]}" 2>&1 &
    pids+=("$!")
  done
  run_step "browser tests" "${PYTEST[@]}" tests/browser
  for i in "${!pids[@]}"; do
    run_step "${names[$i]}" wait "${pids[$i]}"
    cat "${logs[$i]}"
    rm -f "${logs[$i]}"
  done
fi
echo
if [ "${#FAILED_STEPS[@]}" -eq 0 ]; then
  say "all tests passed in $((SECONDS - started))s (screenshots in test-artifacts/)"
  exit 0
fi
say "TESTS FAILED after $((SECONDS - started))s: $(IFS=';'; echo "${FAILED_STEPS[*]}"); see the summaries above and test-artifacts/"
exit 1
