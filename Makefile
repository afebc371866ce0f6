# thingsstack.tenancy developer entry points. `make help` lists them.
# Everything is created under build/ (venvs, the ansible-test copy, logs, emulator state).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# A real python3 to run the harness (pyenv shims resolved); evaluated only when used.
HARNESS_PY = $(shell bash tests/harness/find-python.sh)
RUN = $(or $(HARNESS_PY),$(error no Python to run the harness: see the line above)) tests/harness/run.py
ONLY ?=
TARGETS ?=

.PHONY: help test venv venv-second tree sanity units integration lint docs docs-site changelog format ee galaxy emulator-tests molecule runner playbook-tests resilience env shell sandbox sandbox-stop demo demo-customers bench bench-tenants bench-fleet bench-usage clean

help: ## list the targets
	@echo "thingsstack.tenancy make targets:"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'
	@echo
	@echo "  make test ONLY='units-main integration-main'   run only some steps (plus their setup)"
	@echo "  make integration TARGETS=stripe_customer         run only some integration targets"
	@echo "  make playbook-tests PYTEST_ADDOPTS='-k deprovision'   run only some playbook tests"
	@echo "  $(RUN) test --list   lists the steps"
	@echo "  Live integration tests: export STRIPE_API_KEY=sk_test_... [STRIPE_API_BASE=...]"
	@echo "  and/or TTS_URL=... TTS_TENANT_ADMIN_KEY=... before 'make test' (emulators otherwise)."

test: ## the whole suite: venvs, sanity, units, integration, lint, docs, emulator tests, changelog (main Python + a second one: `run.py pythons`)
	@$(RUN) test $(if $(ONLY),--only "$(ONLY)")

venv: ## create/refresh build/venv-main (ansible-core 2.19 + all tools, on the first of Python 3.11, 3.12, 3.13)
	@$(RUN) venv main

venv-second: ## create/refresh build/venv-second (ansible-core 2.21, on Python 3.12 or 3.13 but not the main one)
	@$(RUN) venv second

tree: ## refresh the ansible-test copy under build/collections
	@$(RUN) tree

sanity: ## ansible-test sanity in the main and the second venv
	@$(RUN) test --only sanity-main,sanity-second

units: ## ansible-test units in the main and the second venv
	@$(RUN) test --only units-main,units-second

integration: ## ansible-test integration (against the emulators, or live: see help)
	@$(RUN) test --only integration-main,integration-second $(if $(TARGETS),--targets "$(TARGETS)")

lint: ## ansible-lint (production profile)
	@$(RUN) test --only ansible-lint

docs: ## antsibull-docs lint-collection-docs, and the docs site (as docs-site)
	@$(RUN) test --only antsibull-docs

docs-site: ## the collection's docs as a website (antsibull-docs + Sphinx, offline): build/docs-site/html/index.html
	@vdir=$$($(RUN) venv main) && "$$vdir/bin/python" tests/harness/docs_site.py

changelog: ## antsibull-changelog lint
	@$(RUN) test --only changelog-lint

format: ## apply the formatter (yapf, configured in pyproject.toml) to plugins/ and tests/; make test checks it (step format)
	@"$$($(RUN) venv format)/bin/yapf" --in-place --recursive --parallel plugins tests

galaxy: ## the Galaxy tarball: ansible-galaxy collection build, no build leftovers in it, galaxy-importer's checks (offline)
	@$(RUN) test --only galaxy-importer

ee: ## the AWX execution environment: collection tarball + ansible-builder create (build/ee/context), introspection
	@$(RUN) test --only execution-environment

emulator-tests: ## pytest tests/emulators/tests
	@$(RUN) test --only emulator-tests

molecule: ## molecule scenarios of the tenant role (default, deprovision) against the emulators
	@$(RUN) test --only molecule

runner: ## provision.yml through ansible-runner, secrets only in the environment, none on disk
	@$(RUN) test --only ansible-runner

playbook-tests: ## pytest tests/playbooks: ansible-playbook runs of the playbooks and role against own emulators
	@$(RUN) test --only playbook-tests

resilience: ## tests/resilience: provision through a fault-injecting proxy (25% faults), 0 duplicates, converged in one re-run
	@$(RUN) test --only resilience

env: ## write build/env.sh: `. build/env.sh` puts build/venv-env's ansible-playbook (ansible-core, stripe, requests only) and this collection in place
	@bash tests/harness/write_env.sh

shell: env ## a shell with build/env.sh: the README's ansible-playbook commands work as printed
	@bash --rcfile build/shellrc -i

sandbox: ## emulators that stay up for trying the README's commands (example catalog, TBS on): then . build/sandbox/env.sh
	@bash tests/harness/sandbox.sh

sandbox-stop: ## stop the emulators of make sandbox
	@bash tests/harness/sandbox.sh stop

demo: ## the real job on the example inventory: emulators (TBS on), catalog, provision twice (2nd: changed=0), audit
	@bash tests/harness/demo_tenants.sh

demo-customers: ## run playbooks/demo_customers.yml twice against the Stripe emulator (2nd run: changed=0)
	@bash tests/harness/demo.sh

bench: ## time stripe_customer vs debug on 100 local hosts (BENCH_HOSTS, BENCH_FORKS)
	@bash tests/benchmark/bench.sh

bench-tenants: ## provision 100 direct-mode tenants, first and converged run, vs debug (BENCH_TENANTS, BENCH_FORKS, BENCH_REPEAT, BENCH_OTHER_SUBSCRIPTIONS, BENCH_FIRST_RUN, BENCH_DRIFT)
	@bash tests/benchmark/bench_tenants.sh

bench-fleet: ## 1000 tenants made by hand (Dashboard + TBS): inventory plugin cold/cached, export, audit, provision (BENCH_FLEET_TENANTS, BENCH_FORKS)
	@bash tests/benchmark/bench_fleet.sh

bench-usage: ## requests of report_usage.yml and the inventory option usage at 1000 tenants, straight through the emulators (BENCH_USAGE_TENANTS)
	@bash tests/benchmark/bench_usage.sh

clean: ## remove build/ and generated files (venvs, copies, logs, ansible-test output)
	@for d in build/emulators build/demo-emulators build/bench/emulators build/bench-tenants/emulators build/bench-fleet/emulators build/bench-usage/emulators build/role-tests/emulators build/playbook-tests/emulators; do \
		if [ -d $$d ]; then $(HARNESS_PY) tests/harness/emulators.py stop --state-dir $$d || true; fi; \
	done
	rm -rf build tests/output .ansible collections/ansible_collections .pytest_cache changelogs/.plugin-cache.yaml \
		tests/integration/integration_config.yml
