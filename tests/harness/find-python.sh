#!/usr/bin/env bash
# Print the path of a REAL Python interpreter (not a pyenv shim, not a venv).
#   find-python.sh 3.12   -> a python3.12 that runs and can create venvs
#   find-python.sh        -> the main Python: the first of 3.11, 3.12, 3.13 found (ansible-core 2.19's controller
#                            Pythons); it runs the harness and build/venv-main
# HARNESS_PYTHONS="3.12 3.13" hides every other version, to try what a machine with only those would do.
# pyenv shims such as `python3.12` fail unless that version is selected, so every candidate is
# executed and asked for its own sys.executable.
set -euo pipefail

want="${1:-}"
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
supported="3.11 3.12 3.13"

accept=""
for v in ${want:-$supported}; do
    if [ -z "${HARNESS_PYTHONS:-}" ] || [[ " $HARNESS_PYTHONS " == *" $v "* ]]; then
        accept="$accept $v"
    fi
done

check() {
    # $1 = candidate; prints sys.executable when it is a real interpreter of a version in $accept
    "$1" - "$accept" <<'PY' 2>/dev/null
import sys
have = "%d.%d" % sys.version_info[:2]
if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
    raise SystemExit(1)
if have not in sys.argv[1].split():
    raise SystemExit(1)
import venv  # noqa: F401  (Debian's python3 may lack venv/ensurepip)
import ensurepip  # noqa: F401
print(sys.executable)
PY
}

candidates() {
    local v
    for v in $accept; do
        # newest patch release first
        if [ -d "$pyenv_root/versions" ]; then
            printf '%s\n' "$pyenv_root/versions/$v".* | sort -rV | while read -r d; do
                [ -d "$d" ] && echo "$d/bin/python$v"
            done
        fi
        echo "/usr/local/bin/python$v"
        echo "/usr/bin/python$v"
        command -v "python$v" 2>/dev/null || true
    done
    command -v python3 2>/dev/null || true
}

if [ -n "$accept" ]; then
    while read -r c; do
        [ -n "$c" ] && [ -x "$c" ] || continue
        if exe="$(check "$c")" && [ -n "$exe" ]; then
            echo "$exe"
            exit 0
        fi
    done < <(candidates)
fi

if [ -n "$want" ]; then
    echo "find-python.sh: no Python $want found${HARNESS_PYTHONS:+ (HARNESS_PYTHONS=\"$HARNESS_PYTHONS\")}." >&2
else
    echo "find-python.sh: no Python 3.11, 3.12 or 3.13 with its venv module found${HARNESS_PYTHONS:+ (HARNESS_PYTHONS=\"$HARNESS_PYTHONS\")}: install one, e.g. \`sudo apt install python3.12 python3.12-venv\`, \`sudo dnf install python3.12\` or \`pyenv install 3.12\`, and run again." >&2
fi
exit 1
