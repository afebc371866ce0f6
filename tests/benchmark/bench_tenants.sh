#!/usr/bin/env bash
# make bench-tenants: provision N generated direct-mode tenants (first and converged run) and compare with debug.
#   BENCH_TENANTS=100 BENCH_FORKS=5 bash tests/benchmark/bench_tenants.sh
# A measurement, not a test. See tests/benchmark/bench_tenants.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
HARNESS_PY="$(bash tests/harness/find-python.sh)"
# ansible-playbook from build/venv-env: ansible-core, stripe and requests only, what make env and the execution
# environment install, so what operators run. The main venv also holds the tools' packages, and the Stripe SDK imports
# aiohttp when it is there (about 0.08 s more for each ansible-playbook that loads it). BENCH_VENV=build/venv-main
# measures with the main venv.
VENV="${BENCH_VENV:-$("$HARNESS_PY" tests/harness/run.py venv env)}"
exec "$VENV/bin/python" tests/benchmark/bench_tenants.py
