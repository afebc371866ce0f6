#!/usr/bin/env bash
# make bench-usage: requests of the usage reporter and of the inventory option usage at N tenants.
#   BENCH_USAGE_TENANTS=1000 bash tests/benchmark/bench_usage.sh
# A measurement, not a test. See tests/benchmark/bench_usage.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
HARNESS_PY="$(bash tests/harness/find-python.sh)"
VENV="${BENCH_VENV:-$("$HARNESS_PY" tests/harness/run.py venv main)}"
exec "$VENV/bin/python" tests/benchmark/bench_usage.py
