"""The README's step-by-step commands run as printed from a checkout, with the shell `make env` prepares (issue 12,
point 1): copies of the example catalog and inventory, catalog, provision, audit, deprovision of two tenants.

Each line of the README's block runs in `bash` after `. build/env.sh`, in a scratch directory where `playbooks` is this
checkout's, with nothing else of the test's environment but the connection variables an operator exports (no venv on
PATH, no collections path). Against real services the example tenant IDs get a suffix unique to the run (TTS never
frees an ID), and the deprovision line names those IDs.
"""

import os
import re
import subprocess
import sys

from conftest import HARNESS, OUT, REPO, recap

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
            renamed = subprocess.run([sys.executable, os.path.join(HARNESS, 'demo_inventory.py'), 'my-inventory',
                                      'my-inventory-run', services.run_id], cwd=tmp_path, check=True, stdout=subprocess.PIPE)
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
