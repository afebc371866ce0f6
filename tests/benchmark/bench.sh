#!/usr/bin/env bash
# make bench: time thingsstack.tenancy.stripe_customer against ansible.builtin.debug on local hosts.
#   BENCH_HOSTS=100 BENCH_FORKS=5 bash tests/benchmark/bench.sh
# A measurement, not a test. See tests/benchmark/bench.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
HARNESS_PY="$(bash tests/harness/find-python.sh)"
VENV="$("$HARNESS_PY" tests/harness/run.py venv main)"
exec "$VENV/bin/python" tests/benchmark/bench.py
