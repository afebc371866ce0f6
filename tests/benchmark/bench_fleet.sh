#!/usr/bin/env bash
# make bench-fleet: N tenants made by hand (Stripe Dashboard flow + TBS), listed by the inventory plugin (cold and
# cached), exported, audited and provisioned (the 2nd run: changed=0, no write).
#   BENCH_FLEET_TENANTS=1000 BENCH_FORKS=5 bash tests/benchmark/bench_fleet.sh
# A measurement with checks on the requests (exit 2 when one is missed). See tests/benchmark/bench_fleet.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
HARNESS_PY="$(bash tests/harness/find-python.sh)"
VENV="${BENCH_VENV:-$("$HARNESS_PY" tests/harness/run.py venv main)}"
exec "$VENV/bin/python" tests/benchmark/bench_fleet.py
