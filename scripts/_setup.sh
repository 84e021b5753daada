# Shared by scripts/start.sh and scripts/test.sh (sourced, not run): find or install Python 3.11+,
# make .venv and install Fieldvisit into it, install Debian packages when they are missing.
# Every step checks first, so running it again changes nothing.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
APT_UPDATED=""

say() { echo "fieldvisit: $*"; }

# Run a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install Debian packages (apt-get update once per run, no questions asked).
apt_install() {
  command -v apt-get >/dev/null || { say "apt-get not found: install $* yourself"; exit 1; }
  if [ -z "$APT_UPDATED" ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# A Python 3.11 or newer that can make a virtualenv (Debian needs python3-venv for that).
python_ok() {
  "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

find_python() {
  local candidate
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null && python_ok "$candidate"; then
      PYTHON="$(command -v "$candidate")"
      return 0
    fi
  done
  return 1
}

ensure_python() {
  if ! find_python; then
    apt_install python3 python3-venv
    find_python || { say "Python 3.11 or newer with venv is needed (found: $(python3 --version 2>&1))"; exit 1; }
  fi
}

# .venv with Fieldvisit installed in editable mode, with the given extras ("" or "[test]").
# Reinstalls only when pyproject.toml changed since the last install or the extras are new
# (an install with the test extras also serves the app).
ensure_venv() {
  local extras="$1" stamp="$VENV/.fieldvisit-install" hash installed=""
  if [ ! -x "$VENV/bin/python" ]; then
    ensure_python
    say "creating $VENV with $("$PYTHON" --version)"
    "$PYTHON" -m venv "$VENV"
  fi
  hash="$(sha256sum < "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  [ -f "$stamp" ] && installed="$(cat "$stamp")"
  if { [ "$installed" != "$hash $extras" ] && [ "$installed" != "$hash [test]" ]; } \
     || ! "$VENV/bin/python" -c 'import fieldvisit' 2>/dev/null; then
    say "pip install -e '.$extras'"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT$extras"
    echo "$hash $extras" > "$stamp"
  else
    say "$VENV is up to date"
  fi
}
