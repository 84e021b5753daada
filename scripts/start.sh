#!/usr/bin/env bash
# Install Fieldvisit, seed the demo local authority and serve it:
#
#   bash scripts/start.sh
#
# Works from any directory and can be run again (nothing is installed twice, the demo data is
# kept). The database is the embedded SQLite default (instance/fieldvisit.db) unless FIELDVISIT_DB
# is set. FIELDVISIT_HOST and FIELDVISIT_PORT change where it listens (default 127.0.0.1:5000).
# FIELDVISIT_DEMO_PASSWORD sets the demo sign-ins' password; otherwise one is made and printed.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_setup.sh"

HOST="${FIELDVISIT_HOST:-127.0.0.1}"
PORT="${FIELDVISIT_PORT:-5000}"

ensure_venv ""
cd "$ROOT"
"$VENV/bin/fieldvisit" demo
echo
echo "Open http://$HOST:$PORT/ and sign in as demo-worker (or demo-health-visitor, demo-social-worker,"
echo "demo-lead, demo-admin) with the password above. Stop the server with Ctrl+C."
exec "$VENV/bin/fieldvisit" serve --host "$HOST" --port "$PORT"
