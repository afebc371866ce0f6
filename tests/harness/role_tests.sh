#!/usr/bin/env bash
# The tenant role's own tests against the local emulators: molecule scenarios and the ansible-runner test.
#
#   tests/harness/role_tests.sh [molecule] [runner]        # both when none is named
#
# Environment: ROLE_TESTS_VENV (a venv with ansible-core, molecule, molecule-plugins, ansible-runner, stripe, requests;
# default: build/venv-main from `tests/harness/run.py venv main`). Everything else is made under build/role-tests/.
#
# Steps: start the Stripe and TTS emulators (tests/harness/emulators.py), ensure the example catalog (playbooks/catalog.yml with
# playbooks/vars/catalog.example.yml),
# switch on the Tenant Billing Server for tts-small-monthly (tests/harness/tbs_setup.py), export STRIPE_API_KEY,
# STRIPE_API_BASE, TTS_URL and TTS_TENANT_ADMIN_KEY, then
#   molecule: `molecule test -s default` and `molecule test -s deprovision` from the collection root, each with a fresh
#             MOLECULE_EPHEMERAL_DIRECTORY (its prepare step must run again against the fresh emulators) and
#             ANSIBLE_HOME inside build/ (molecule installs the collection there);
#   runner:   tests/runner/run_runner_test.py (ansible-runner, secrets only in envvars, none on disk).
# The emulators are stopped at the end, also on failure. Exit status: non-zero when a step failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
OUT="$ROOT/build/role-tests"
EMU_STATE="$OUT/emulators"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(molecule runner)
for step in "${steps[@]}"; do
    case "$step" in molecule|runner) ;; *) echo "role_tests: unknown step $step (molecule, runner)" >&2; exit 2 ;; esac
done

if [ -n "${ROLE_TESTS_VENV:-}" ]; then
    VENV="$ROLE_TESTS_VENV"
else
    VENV="$("$(bash tests/harness/find-python.sh)" tests/harness/run.py venv main)"
fi
for tool in ansible-playbook molecule ansible-runner; do
    [ -x "$VENV/bin/$tool" ] || { echo "role_tests: $VENV has no $tool (see tests/requirements/main.txt)" >&2; exit 2; }
done
export PATH="$VENV/bin:$PATH"
PY="$VENV/bin/python"

mkdir -p "$OUT/collections/ansible_collections/thingsstack"
ln -sfn "$ROOT" "$OUT/collections/ansible_collections/thingsstack/tenancy"
export ANSIBLE_HOME="$OUT/ansible-home"
export ANSIBLE_LOCAL_TEMP="$ANSIBLE_HOME/tmp" ANSIBLE_REMOTE_TMP="$ANSIBLE_HOME/remote-tmp"
export XDG_CACHE_HOME="$OUT/cache"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 NO_COLOR=1
unset ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATHS PYTHONPATH STRIPE_API_KEY STRIPE_API_BASE TTS_URL TTS_TENANT_ADMIN_KEY
mkdir -p "$ANSIBLE_LOCAL_TEMP" "$ANSIBLE_REMOTE_TMP" "$XDG_CACHE_HOME"

trap '"$PY" tests/harness/emulators.py stop --state-dir "$EMU_STATE" >/dev/null || true' EXIT
echo "role_tests: starting the Stripe and TTS emulators"
"$PY" tests/harness/emulators.py start --stripe --tts --state-dir "$EMU_STATE"
# shellcheck disable=SC1091
. "$EMU_STATE/env.sh"
export STRIPE_API_KEY STRIPE_API_BASE TTS_URL TTS_TENANT_ADMIN_KEY

echo "role_tests: ensuring the example catalog (playbooks/vars/catalog.example.yml) and switching on the Tenant Billing Server"
ANSIBLE_COLLECTIONS_PATH="$OUT/collections" ansible-playbook -i playbooks/inventory/demo.yml playbooks/catalog.yml \
    -e @playbooks/vars/catalog.example.yml > "$OUT/catalog.log" 2>&1 \
    || { cat "$OUT/catalog.log"; exit 1; }
"$PY" tests/harness/tbs_setup.py --plan tts-small-monthly

rc=0
for step in "${steps[@]}"; do
    start=$(date +%s)
    case "$step" in
        molecule)
            for scenario in default deprovision; do
                echo "role_tests: molecule test -s $scenario"
                export MOLECULE_EPHEMERAL_DIRECTORY="$OUT/molecule/$scenario"
                rm -rf "$MOLECULE_EPHEMERAL_DIRECTORY"
                if molecule test -s "$scenario"; then
                    echo "role_tests: molecule $scenario passed"
                else
                    echo "role_tests: molecule $scenario FAILED"; rc=1
                fi
                unset MOLECULE_EPHEMERAL_DIRECTORY
            done
            ;;
        runner)
            echo "role_tests: ansible-runner test"
            if ! ANSIBLE_COLLECTIONS_PATH="$OUT/collections" "$PY" tests/runner/run_runner_test.py --work-dir "$OUT/runner"; then
                rc=1
            fi
            ;;
    esac
    echo "role_tests: $step took $(( $(date +%s) - start )) s"
done
exit $rc
