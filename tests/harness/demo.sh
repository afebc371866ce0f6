#!/usr/bin/env bash
# make demo: ensure two Stripe customers with playbooks/demo_customers.yml, then run the very same
# playbook again and show that nothing changes (PLAY RECAP changed=0).
# Stripe is the local emulator unless STRIPE_API_KEY=sk_test_... is set (then: real Stripe test mode).
# Connection settings reach the modules only through the environment (STRIPE_API_KEY, STRIPE_API_BASE).
set -euo pipefail
cd "$(dirname "$0")/../.."
PLAYBOOK="playbooks/demo_customers.yml"
INVENTORY="playbooks/inventory/demo.yml"
EMU_STATE="$PWD/build/demo-emulators"
# shellcheck source=tests/harness/demo_setup.sh
. tests/harness/demo_setup.sh 5
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
