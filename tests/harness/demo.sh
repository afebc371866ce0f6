#!/usr/bin/env bash
# make demo: ensure two Stripe customers with playbooks/demo_customers.yml, then run the very same
# playbook again and show that nothing changes (PLAY RECAP changed=0).
# Stripe is the local emulator unless STRIPE_API_KEY=sk_test_... is set (then: real Stripe test mode).
# Connection settings reach the modules only through the environment (STRIPE_API_KEY, STRIPE_API_BASE).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
DEMO="$ROOT/build/demo"
EMU_STATE="$ROOT/build/demo-emulators"
COLLECTIONS="$ROOT/build/demo-collections"
PLAYBOOK="playbooks/demo_customers.yml"
INVENTORY="playbooks/inventory/demo.yml"

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
phase() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

HARNESS_PY="$(bash tests/harness/find-python.sh)"
mkdir -p "$DEMO"

phase "1/5 Python environment: build/venv-py311 (ansible-core 2.19, stripe SDK); created on first use"
VENV="$("$HARNESS_PY" tests/harness/run.py venv py311)"
export PATH="$VENV/bin:$PATH"
ansible-playbook --version | sed -n 1p

phase "2/5 Collection path: build/demo-collections/ansible_collections/thingsstack/tenancy -> this checkout"
mkdir -p "$COLLECTIONS/ansible_collections/thingsstack"
ln -sfn "$ROOT" "$COLLECTIONS/ansible_collections/thingsstack/tenancy"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
export ANSIBLE_HOME="$ROOT/build/ansible-home"
export ANSIBLE_LOCAL_TEMP="$ANSIBLE_HOME/tmp" ANSIBLE_REMOTE_TMP="$ANSIBLE_HOME/remote-tmp"
unset ANSIBLE_CONFIG
[ -t 1 ] && export ANSIBLE_FORCE_COLOR=1
echo "ANSIBLE_COLLECTIONS_PATH=$ANSIBLE_COLLECTIONS_PATH"
[ -f "$PLAYBOOK" ] || die "$PLAYBOOK does not exist"

if [ -f "$INVENTORY" ]; then
    INV=(-i "$INVENTORY")
else
    printf 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      ansible_python_interpreter: "{{ ansible_playbook_python }}"\n' \
        > "$DEMO/inventory.yml"
    INV=(-i "$DEMO/inventory.yml")
fi

case "${STRIPE_API_KEY:-}" in
    "")
        phase "3/5 Stripe: starting the local Stripe emulator on 127.0.0.1 (stopped again when the demo ends)"
        trap '"$VENV/bin/python" tests/harness/emulators.py stop --state-dir "$EMU_STATE"' EXIT
        "$VENV/bin/python" tests/harness/emulators.py start --stripe --state-dir "$EMU_STATE"
        # shellcheck disable=SC1091
        . "$EMU_STATE/env.sh"
        export STRIPE_API_KEY STRIPE_API_BASE
        unset TTS_URL TTS_TENANT_ADMIN_KEY
        echo "STRIPE_API_BASE=$STRIPE_API_BASE (emulator; STRIPE_API_KEY is its fixed test key)"
        ;;
    *_live_*)
        die "STRIPE_API_KEY is a live-mode key: the demo only runs against test mode or the emulator"
        ;;
    sk_test_*|rk_test_*)
        phase "3/5 Stripe: STRIPE_API_KEY (test mode) is set: using real Stripe test mode, no emulator"
        echo "STRIPE_API_BASE=${STRIPE_API_BASE:-https://api.stripe.com (default)}"
        ;;
    *)
        die "STRIPE_API_KEY is set but is not a Stripe test-mode key (sk_test_...)"
        ;;
esac

recap() {
    # print the PLAY RECAP of a log without colour codes
    sed -e 's/\x1b\[[0-9;]*m//g' "$1" | sed -n '/^PLAY RECAP/,$p'
}

play() {
    local n="$1" rc start
    start=$(date +%s%N)
    set +e
    ansible-playbook "${INV[@]}" "$PLAYBOOK" 2>&1 | tee "$DEMO/run$n.log"
    rc=${PIPESTATUS[0]}
    set -e
    echo "run $n: exit $rc, $(( ($(date +%s%N) - start) / 1000000 )) ms (log: build/demo/run$n.log)"
    [ "$rc" -eq 0 ] || die "run $n of the playbook failed"
}

phase "4/5 First run: ansible-playbook ${INV[*]} $PLAYBOOK (creates or updates the customers)"
play 1

phase "5/5 Second run: the same declaration again; an idempotent collection reports changed=0"
play 2

echo
echo "Second run recap:"
recap "$DEMO/run2.log"
summary="$(recap "$DEMO/run2.log" | grep -E ' : ok=[0-9]+' || true)"
[ -n "$summary" ] || die "no PLAY RECAP found in build/demo/run2.log"
if echo "$summary" | grep -Eq 'changed=[1-9]|failed=[1-9]|unreachable=[1-9]'; then
    die "the second run changed something: the playbook is not idempotent"
fi
echo
echo "demo: OK - second run reported changed=0 on every host"
