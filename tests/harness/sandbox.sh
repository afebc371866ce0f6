#!/usr/bin/env bash
# make sandbox: Stripe and TTS emulators on 127.0.0.1 that stay up, for trying the README's commands by hand:
#   make sandbox && . build/sandbox/env.sh     then ansible-playbook -i localhost, thingsstack.tenancy.catalog -e @my-catalog.yml, ...
#   make sandbox-stop
# The Tenant Billing Server is on for the example catalog's tts-small-monthly: billing_setup.yml ensures the catalog and
# the TBS webhook endpoint (secret in build/sandbox/tbs-endpoint-secret), as make demo does.
set -euo pipefail
cd "$(dirname "$0")/../.."
STATE="$PWD/build/sandbox"
bash tests/harness/write_env.sh >/dev/null
# shellcheck disable=SC1091
. build/env.sh
if [ "${1:-}" = stop ]; then
    python tests/harness/emulators.py stop --state-dir "$STATE"
    exit 0
fi
python tests/harness/emulators.py start --stripe --tts --state-dir "$STATE"
# shellcheck disable=SC1091
. "$STATE/env.sh"
export STRIPE_API_KEY STRIPE_API_BASE TTS_URL TTS_TENANT_ADMIN_KEY
rm -f "$STATE/tbs-endpoint-secret"  # the emulators start empty: an old secret names an endpoint that is gone
ansible-playbook -i playbooks/inventory/demo.yml playbooks/billing_setup.yml -e @playbooks/vars/catalog.example.yml \
    -e "billing_setup_secret_file=$STATE/tbs-endpoint-secret" > "$STATE/billing-setup.log" \
    || { echo "sandbox: the billing setup failed, see build/sandbox/billing-setup.log" >&2; exit 1; }
python tests/harness/tbs_setup.py --plan tts-small-monthly --endpoint-secret-file "$STATE/tbs-endpoint-secret"
cat build/env.sh >> "$STATE/env.sh"
echo "sandbox: up. In your shell: . build/sandbox/env.sh   (the emulators' connection, ansible-playbook and the collection);"
echo "stop it with: make sandbox-stop"
