#!/usr/bin/env bash
# make bench-tenants: provision N generated direct-mode tenants (first and converged run) and compare with debug.
#   BENCH_TENANTS=100 BENCH_FORKS=5 bash tests/benchmark/bench_tenants.sh
# A measurement, not a test. See tests/benchmark/bench_tenants.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
HARNESS_PY="$(bash tests/harness/find-python.sh)"
VENV="${BENCH_VENV:-$("$HARNESS_PY" tests/harness/run.py venv main)}"
exec "$VENV/bin/python" tests/benchmark/bench_tenants.py
