#!/usr/bin/env bash
# Print the path of a REAL Python interpreter (not a pyenv shim, not a venv).
#   find-python.sh 3.11   -> a python3.11 that runs and can create venvs
#   find-python.sh        -> the best python3 >= 3.8 to run the harness (prefers 3.11)
# pyenv shims such as `python3.12` fail unless that version is selected, so every candidate is
# executed and asked for its own sys.executable.
set -euo pipefail

want="${1:-}"
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"

check() {
    # $1 = candidate, $2 = wanted "3.X" or empty; prints sys.executable on success
    "$1" - "$2" <<'PY' 2>/dev/null
import sys
want = sys.argv[1]
have = "%d.%d" % sys.version_info[:2]
if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
    raise SystemExit(1)
if want and have != want:
    raise SystemExit(1)
if sys.version_info < (3, 8):
    raise SystemExit(1)
import venv  # noqa: F401  (Debian's python3 may lack venv/ensurepip)
import ensurepip  # noqa: F401
print(sys.executable)
PY
}

candidates() {
    local v
    if [ -n "$want" ]; then
        versions="$want"
    else
        versions="3.11 3.12 3.13 3.10 3.9 3.8"
    fi
    for v in $versions; do
        # newest patch release first
        if [ -d "$pyenv_root/versions" ]; then
            printf '%s\n' "$pyenv_root/versions/$v".* | sort -rV | while read -r d; do
                [ -d "$d" ] && echo "$d/bin/python$v"
            done
        fi
        echo "/usr/local/bin/python$v"
        echo "/usr/bin/python$v"
    done
    command -v python3 2>/dev/null || true
}

while read -r c; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    if exe="$(check "$c" "$want")" && [ -n "$exe" ]; then
        echo "$exe"
        exit 0
    fi
done < <(candidates)

echo "find-python.sh: no working python${want:-3} interpreter found (looked in $pyenv_root/versions, /usr/local/bin, /usr/bin, PATH)" >&2
exit 1
