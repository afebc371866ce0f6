# Sourced by demo.sh and demo_tenants.sh from the repo root, with their number of phases as $1: their first two phases
# (the venv, and a collections path that points at this checkout) and the helpers both use.
# shellcheck shell=bash
ROOT="$PWD"
DEMO="${DEMO_DIR:-$ROOT/build/demo}"  # logs and reports (DEMO_DIR: the playbook tests use their own)
COLLECTIONS="$ROOT/build/demo-collections"

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
phase() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

HARNESS_PY="$(bash tests/harness/find-python.sh)"
mkdir -p "$DEMO"

phase "1/$1 Python environment: build/venv-main (ansible-core 2.19, stripe SDK); created on first use"
VENV="${DEMO_VENV:-$("$HARNESS_PY" tests/harness/run.py venv main)}"
export PATH="$VENV/bin:$PATH"
ansible-playbook --version | sed -n 1p

phase "2/$1 Collection path: build/demo-collections/ansible_collections/thingsstack/tenancy -> this checkout"
mkdir -p "$COLLECTIONS/ansible_collections/thingsstack"
ln -sfn "$ROOT" "$COLLECTIONS/ansible_collections/thingsstack/tenancy"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
export ANSIBLE_HOME="$ROOT/build/ansible-home"
export ANSIBLE_LOCAL_TEMP="$ANSIBLE_HOME/tmp" ANSIBLE_REMOTE_TMP="$ANSIBLE_HOME/remote-tmp"
unset ANSIBLE_CONFIG
[ -t 1 ] && export ANSIBLE_FORCE_COLOR=1
echo "ANSIBLE_COLLECTIONS_PATH=$ANSIBLE_COLLECTIONS_PATH"
