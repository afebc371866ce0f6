"""The README's step-by-step commands run as printed from a checkout, with the shell `make env` prepares (issue 12,
point 1): copies of the example catalog and inventory, catalog, provision, audit, deprovision of two tenants.

Each line of the README's block runs in `bash` after `. build/env.sh`, in a scratch directory where `playbooks` is this
checkout's, with nothing else of the test's environment but the connection variables an operator exports (no venv on
PATH, no collections path). Against real services the example tenant IDs get a suffix unique to the run (TTS never
frees an ID), and the deprovision line names those IDs.

The README's export block (issue 22, point 2) runs as printed from the collection installed from its Galaxy tarball, in
a directory of the operator's: the export lands there, and provisioning it changes nothing.
"""

import os
import re
import subprocess
import sys

import pytest

import galaxy_check  # tests/harness (on sys.path by conftest): the Galaxy tarball of the files under version control
from conftest import HARNESS, OUT, REPO, emulators, recap

README = os.path.join(REPO, 'README.md')
CONNECTION_VARS = ('STRIPE_API_KEY', 'STRIPE_API_BASE', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY')


def readme_commands():
    """The lines of the bash block after 'Your own offer and tenants, step by step', comments removed."""
    with open(README, encoding='utf-8') as handle:
        text = handle.read()
    start = text.index('Your own offer and tenants, step by step')
    block = re.search(r'```bash\n(.*?)```', text[start:], re.DOTALL).group(1)
    return [line.split('   #')[0].strip() for line in block.splitlines() if line.strip() and not line.startswith('#')]


def operator_env(services):
    """What an operator's shell has: the system PATH without this test's venv, and the connection variables only."""
    venv_bin = os.path.dirname(sys.executable)
    path = os.pathsep.join(part for part in os.environ.get('PATH', '/usr/bin:/bin').split(os.pathsep)
                           if os.path.realpath(part) != os.path.realpath(venv_bin))
    env = {key: value for key, value in os.environ.items() if not key.startswith(('ANSIBLE_', 'VIRTUAL_ENV', 'PYTHON'))}
    env.update({key: services.env[key] for key in CONNECTION_VARS if services.env.get(key)})
    env.update(PATH=path, ANSIBLE_HOME=os.path.join(OUT, 'readme', 'ansible-home'), ANSIBLE_NOCOLOR='1')
    return env


def shell(command, cwd, env, with_env_file=True):
    script = ('. %s && ' % os.path.join(REPO, 'build', 'env.sh') if with_env_file else '') + command
    out = subprocess.run(['bash', '-c', script], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, check=False, timeout=600)
    return out.returncode, out.stdout.decode('utf-8', 'replace')


def test_the_step_by_step_commands_run_as_printed(services, tmp_path):
    commands = readme_commands()
    assert commands[1:] == [
        'ansible-playbook -i localhost, thingsstack.tenancy.catalog -e @my-catalog.yml',
        'ansible-playbook -i my-inventory thingsstack.tenancy.provision',
        'ansible-playbook -i my-inventory thingsstack.tenancy.audit',
        'ansible-playbook -i my-inventory thingsstack.tenancy.deprovision -l acme,globex -e confirm=yes',
    ], commands
    written = subprocess.run(['bash', os.path.join(HARNESS, 'write_env.sh')], cwd=REPO, check=False, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, env=dict(os.environ, ENV_VENV=os.path.dirname(os.path.dirname(sys.executable))))
    assert written.returncode == 0, written.stdout.decode()
    os.symlink(os.path.join(REPO, 'playbooks'), tmp_path / 'playbooks')
    env = operator_env(services)

    rc, output = shell(commands[1], tmp_path, env, with_env_file=False)
    assert rc != 0, 'without build/env.sh the README command should not find ansible-playbook or the collection'

    for command in commands:
        if services.live and command.startswith('cp '):
            rc, output = shell(command, tmp_path, env)
            assert rc == 0, output
            renamed = subprocess.run(
                [sys.executable,
                 os.path.join(HARNESS, 'demo_inventory.py'), 'my-inventory', 'my-inventory-run', services.run_id], cwd=tmp_path, check=True,
                stdout=subprocess.PIPE)
            assert renamed.returncode == 0
            command = 'rm -r my-inventory && mv my-inventory-run my-inventory'
        if services.live and 'deprovision' in command:
            command = command.replace('-l acme,globex', '-l acme-{0},globex-{0}'.format(services.run_id))
        rc, output = shell(command, tmp_path, env)
        assert rc == 0, '%s\n%s' % (command, output[-3000:])
        if command.startswith('ansible-playbook'):
            hosts = recap(output)
            assert hosts and not any(counts.get('failed') or counts.get('unreachable') for counts in hosts.values()), output[-3000:]
            if 'deprovision' in command:
                assert sorted(host.split('-')[0] for host in hosts) == ['acme', 'globex']
            elif '-i my-inventory' in command:
                assert sorted(host.split('-')[0] for host in hosts) == ['acme', 'globex', 'initech']
    assert (tmp_path / 'my-catalog.yml').exists() and (tmp_path / 'my-inventory').is_dir()


def readme_export_commands():
    """The lines of the bash block of the README's section on the live fleet (the export, then provisioning it)."""
    with open(README, encoding='utf-8') as handle:
        text = handle.read()
    start = text.index('### The live fleet as an inventory')
    block = re.search(r'```bash\n(.*?)```', text[start:], re.DOTALL).group(1)
    return [line.split('   #')[0].strip() for line in block.splitlines() if line.strip() and not line.startswith('#')]


@pytest.fixture
def installed(tmp_path_factory):
    """The collection as an operator has it: the Galaxy tarball of this checkout (tests/harness/galaxy_check.py's build
    of the files under version control) installed with ansible-galaxy into a collections path of its own."""
    build_dir = tmp_path_factory.mktemp('galaxy')
    galaxy = os.path.join(os.path.dirname(sys.executable), 'ansible-galaxy')
    tarball = galaxy_check.build(REPO, str(build_dir), galaxy)
    collections = tmp_path_factory.mktemp('collections')
    subprocess.run([galaxy, 'collection', 'install', '-p', str(collections), tarball], check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    return str(collections), os.path.join(str(collections), 'ansible_collections', 'thingsstack', 'tenancy')


@pytest.fixture
def fleet_services(services):
    """Emulators of their own (the shared ones hold other tests' refused tenants, which the README's export block would
    export too); against real services, those services."""
    if services.live:
        yield {key: services.env[key] for key in CONNECTION_VARS}
        return
    state_dir = os.path.join(OUT, 'readme-export', 'emulators')
    start = subprocess.run(
        [sys.executable, os.path.join(HARNESS, 'emulators.py'), 'start', '--stripe', '--tts', '--state-dir', state_dir], check=False,
        timeout=60)
    assert start.returncode == 0, 'the emulators did not start (see %s)' % state_dir
    try:
        state = emulators.load_state(state_dir)
        yield {key: state[key] for key in CONNECTION_VARS}
    finally:
        subprocess.run([sys.executable, os.path.join(HARNESS, 'emulators.py'), 'stop', '--state-dir', state_dir], check=False, timeout=60)


def test_the_export_block_runs_as_printed_from_an_installed_collection(services, fleet_services, installed, tmp_path):
    commands = readme_export_commands()
    assert commands == [
        "printf 'plugin: thingsstack.tenancy.tenants\\ntbs_plans: [tts-small-monthly]\\n' > fleet.tenants.yml",
        'ansible-inventory -i fleet.tenants.yml --graph',
        "ansible-playbook -i fleet.tenants.yml thingsstack.tenancy.export -l 'all:!orphan_subscriptions' -e export_inventory_dir=exported",
        'ansible-playbook -i exported thingsstack.tenancy.provision',
    ], commands
    collections, collection = installed
    env = {key: value for key, value in os.environ.items() if not key.startswith(('ANSIBLE_', 'VIRTUAL_ENV', 'PYTHON'))}
    env.update(fleet_services, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', '/usr/bin:/bin'),
               ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_HOME=str(tmp_path / 'ansible-home'), ANSIBLE_NOCOLOR='1')
    cwd = tmp_path / 'ops'
    cwd.mkdir()
    # A fleet made as the README's quick start makes it, from the installed collection's own examples.
    inventory = os.path.join(collection, 'playbooks', 'inventory', 'example')
    if services.live:
        subprocess.run([sys.executable,
                        os.path.join(HARNESS, 'demo_inventory.py'), inventory,
                        str(tmp_path / 'example'), services.run_id], check=True, stdout=subprocess.PIPE)
        inventory = str(tmp_path / 'example')
        commands[2] = commands[2].replace("'all:!orphan_subscriptions'", f"'*-{services.run_id}:!orphan_subscriptions'")
    else:
        rc, output = shell(
            'ansible-playbook -i localhost, thingsstack.tenancy.catalog -e @%s' %
            os.path.join(collection, 'playbooks', 'vars', 'catalog.example.yml'), cwd, env, with_env_file=False)
        assert rc == 0, output[-3000:]
        tbs = subprocess.run([sys.executable, os.path.join(HARNESS, 'tbs_setup.py'), '--plan=tts-small-monthly'], env=env, check=False,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        assert tbs.returncode == 0, tbs.stdout.decode()
    rc, output = shell('ansible-playbook -i %s thingsstack.tenancy.provision' % inventory, cwd, env, with_env_file=False)
    assert rc == 0, output[-3000:]
    made = sorted(recap(output))

    for command in commands:
        rc, output = shell(command, cwd, env, with_env_file=False)
        assert rc == 0, '%s\n%s' % (command, output[-3000:])
    # The export landed where ansible-playbook was started, not in the installed collection's playbooks/.
    assert (cwd / 'exported' / 'hosts.yml').is_file() and (cwd / 'exported' / 'group_vars').is_dir()
    assert not os.path.exists(os.path.join(collection, 'playbooks', 'exported'))
    assert f"written to {cwd / 'exported'}/hosts.yml" in re.sub(
        r'\s+', ' ',
        shell(commands[2] + ' -e export_overwrite=true', cwd, env, with_env_file=False)[1])
    hosts = recap(output)
    assert sorted(hosts) == made, output[-3000:]
    assert all(counts['changed'] == 0 and counts['failed'] == 0 for counts in hosts.values()), output[-3000:]
    # The guard looks where the files are: a second export without export_overwrite is refused, naming that path.
    rc, output = shell(commands[2], cwd, env, with_env_file=False)
    assert rc != 0 and f"{cwd / 'exported'}/hosts.yml exists; set -e export_overwrite=true" in output, output[-3000:]
