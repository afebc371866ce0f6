#!/usr/bin/env bash
# make demo: the real job on the example inventory (playbooks/inventory/example: a billing-mode tenant, a direct-mode
# tenant and one on a trial).
#   1. starts the Stripe and TTS emulators (unless real services are given, see below);
#   2. runs the billing setup playbook with the example catalog (playbooks/vars/catalog.example.yml: the catalog, the
#      Tenant Billing Server's webhook endpoint, its secret in build/demo/tbs-endpoint-secret), switches the TTS
#      emulator's Tenant Billing Server (TBS) on with that secret and plan (tests/harness/tbs_setup.py), then runs the
#      provision playbook;
#   3. runs the provision playbook again and fails unless it reports changed=0;
#   4. runs the audit playbook and says where its report is;
#   5. stops the emulators.
# Real services instead of the emulators: export STRIPE_API_KEY=sk_test_... [STRIPE_API_BASE] and TTS_URL,
# TTS_TENANT_ADMIN_KEY (a TTS whose TBS already has a webhook endpoint in that Stripe account and manages
# tts-small-monthly). The playbooks read the connection from the environment only. The Things Stack never frees a
# tenant ID, not even after a delete, so against real services the example tenants get IDs unique to the run
# (acme-d1a2b3c4, ...; customer emails billing+d1a2b3c4@acme.example) in a copy of the inventory made by
# tests/harness/demo_inventory.py in build/demo/live-inventory/; DEMO_RUN_ID=d1a2b3c4 runs on the same tenants again.
set -euo pipefail
cd "$(dirname "$0")/../.."
INVENTORY="playbooks/inventory/example"
EMU_STATE="$PWD/build/demo-emulators"
# shellcheck source=tests/harness/demo_setup.sh
. tests/harness/demo_setup.sh 7
REPORT="$DEMO/audit-report"
SECRET_FILE="$DEMO/tbs-endpoint-secret"

live_stripe=false live_tts=false
case "${STRIPE_API_KEY:-}" in
    "") ;;
    *_live_*) die "STRIPE_API_KEY is a live-mode key: the demo only runs against test mode or the emulator" ;;
    sk_test_*|rk_test_*) live_stripe=true ;;
    *) die "STRIPE_API_KEY is set but is not a Stripe test-mode key (sk_test_...)" ;;
esac
if [ -n "${TTS_URL:-}" ] || [ -n "${TTS_TENANT_ADMIN_KEY:-}" ]; then
    [ -n "${TTS_URL:-}" ] && [ -n "${TTS_TENANT_ADMIN_KEY:-}" ] || die "set both TTS_URL and TTS_TENANT_ADMIN_KEY, or neither"
    live_tts=true
fi
[ "$live_stripe" = "$live_tts" ] || die "give both Stripe (STRIPE_API_KEY) and TTS (TTS_URL, TTS_TENANT_ADMIN_KEY), or neither: \
the Tenant Billing Server of one must reach the other"

if [ "$live_stripe" = true ]; then
    phase "3/7 Real services: Stripe test mode (${STRIPE_API_BASE:-https://api.stripe.com}) and TTS at $TTS_URL; no emulators"
    export STRIPE_API_KEY TTS_URL TTS_TENANT_ADMIN_KEY
    RUN_ID="${DEMO_RUN_ID:-d$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')}"
    echo "The Things Stack never frees a tenant ID, not even after a delete: against real services the demo creates"
    echo "no acme, initech or globex but tenants with IDs unique to this run (suffix -$RUN_ID), each with a customer"
    echo "of its own (email +$RUN_ID). DEMO_RUN_ID=$RUN_ID make demo runs on the same tenants again."
    INVENTORY="$DEMO/live-inventory"
    "$VENV/bin/python" tests/harness/demo_inventory.py playbooks/inventory/example "$INVENTORY" "$RUN_ID" \
        || die "DEMO_RUN_ID must be 1 to 12 lowercase letters and digits, got '$RUN_ID'"
    echo "inventory: ${INVENTORY#"$ROOT"/}"
else
    phase "3/7 Emulators: Stripe and The Things Stack on 127.0.0.1, stopped again when the demo ends"
    trap '"$VENV/bin/python" tests/harness/emulators.py stop --state-dir "$EMU_STATE"' EXIT
    "$VENV/bin/python" tests/harness/emulators.py start --stripe --tts --state-dir "$EMU_STATE"
    # shellcheck disable=SC1091
    . "$EMU_STATE/env.sh"
    export STRIPE_API_KEY STRIPE_API_BASE TTS_URL TTS_TENANT_ADMIN_KEY
    echo "STRIPE_API_BASE=$STRIPE_API_BASE TTS_URL=$TTS_URL (keys: see $EMU_STATE/env.sh, mode 0600)"
fi

recap() { sed -e 's/\x1b\[[0-9;]*m//g' "$1" | sed -n '/^PLAY RECAP/,$p'; }

play() {
    local log="$1" rc start
    shift
    start=$(date +%s%N)
    echo "+ ansible-playbook $*"
    set +e
    ansible-playbook "$@" 2>&1 | tee "$DEMO/$log.log"
    rc=${PIPESTATUS[0]}
    set -e
    echo "$log: exit $rc, $(( ($(date +%s%N) - start) / 1000000 )) ms (log: ${DEMO#"$ROOT"/}/$log.log)"
    [ "$rc" -eq 0 ] || die "$log failed"
}

phase "4/7 The billing setup: Stripe catalog (prices with tenant limits and TBS plan marks), TBS webhook endpoint, TBS configuration"
# The emulators start empty: a secret file of an earlier run names an endpoint that no longer exists.
[ "$live_stripe" = true ] || rm -f "$SECRET_FILE"
play billing-setup -i playbooks/inventory/demo.yml playbooks/billing_setup.yml -e @playbooks/vars/catalog.example.yml \
    -e "billing_setup_secret_file=$SECRET_FILE"
if [ "$live_stripe" = false ]; then
    # The emulated TBS takes the configuration the playbook printed: its plan and the endpoint secret from the file.
    "$VENV/bin/python" tests/harness/tbs_setup.py --plan tts-small-monthly --endpoint-secret-file "$SECRET_FILE"
else
    echo "(real TTS: its Tenant Billing Server must already manage tts-small-monthly, with the endpoint secret above)"
fi

phase "5/7 Provision the three tenants: ansible-playbook -i $INVENTORY thingsstack.tenancy.provision"
play provision-1 -i "$INVENTORY" playbooks/provision.yml

phase "6/7 Provision again: the same declaration; a converged run reports changed=0 and writes nothing"
play provision-2 -i "$INVENTORY" playbooks/provision.yml
summary="$(recap "$DEMO/provision-2.log" | grep -E ' : ok=[0-9]+' || true)"
[ -n "$summary" ] || die "no PLAY RECAP in ${DEMO#"$ROOT"/}/provision-2.log"
if echo "$summary" | grep -Eq 'changed=[1-9]|failed=[1-9]|unreachable=[1-9]'; then
    die "the second provision run changed something: not idempotent"
fi

phase "7/7 Audit: check mode and diff over every tenant, report as JSON and Markdown"
rm -rf "$REPORT"
play audit -i "$INVENTORY" playbooks/audit.yml -e "audit_report_dir=$REPORT"
echo
cat "$REPORT/tenants.md"
echo
echo "demo: OK - second provision run reported changed=0 on every tenant; audit report: ${REPORT#"$ROOT"/}/tenants.json and tenants.md"
if [ "$live_stripe" = true ]; then
    echo "demo: real services - this run's tenants end in -$RUN_ID (inventory ${INVENTORY#"$ROOT"/}); their IDs stay taken"
    echo "even after a delete. To deprovision them: ansible-playbook -i ${INVENTORY#"$ROOT"/} thingsstack.tenancy.deprovision"
    echo "  -l acme-$RUN_ID,initech-$RUN_ID,globex-$RUN_ID -e confirm=yes"
fi
