#!/usr/bin/env bash
# shellcheck disable=SC2016  # the $PATH and $PS1 written below are for the shell that sources the files
# make env: write build/env.sh, which puts this checkout's tools in place for a shell:
#   . build/env.sh     ansible-playbook, ansible-doc, ... of build/venv-env first on PATH (ansible-core, stripe and
#                      requests only: tests/requirements/env.txt, not the test toolchain), and this checkout as the
#                      collection thingsstack.tenancy (build/demo-collections/ansible_collections/thingsstack/tenancy),
#                      so `ansible-playbook thingsstack.tenancy.provision` works as the README prints it.
# make shell opens a shell with it (and your ~/.bashrc). ENV_VENV: use that venv instead (the playbook tests do).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
VENV="${ENV_VENV:-$("$(bash tests/harness/find-python.sh)" tests/harness/run.py venv env)}"
COLLECTIONS="$ROOT/build/demo-collections"
mkdir -p "$COLLECTIONS/ansible_collections/thingsstack"
ln -sfn "$ROOT" "$COLLECTIONS/ansible_collections/thingsstack/tenancy"
{
    echo "# Written by make env (tests/harness/write_env.sh): . build/env.sh"
    printf 'export PATH=%q:"$PATH"\n' "$VENV/bin"
    printf 'export ANSIBLE_COLLECTIONS_PATH=%q\n' "$COLLECTIONS"
} > build/env.sh
{
    echo "# Written by make env: the rc file of make shell"
    echo '[ -f ~/.bashrc ] && . ~/.bashrc'
    printf '. %q\n' "$ROOT/build/env.sh"
    echo 'PS1="(thingsstack.tenancy) $PS1"'
} > build/shellrc
echo "build/env.sh: ansible-playbook from ${VENV#"$ROOT"/}/bin, collection thingsstack.tenancy -> this checkout"
