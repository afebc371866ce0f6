"""make bench: what one thingsstack.tenancy.stripe_customer task costs per host, next to a plain debug task.

Run with the harness venv's python (tests/benchmark/bench.sh does that):
  BENCH_HOSTS=100 BENCH_FORKS=5 python tests/benchmark/bench.py

It generates an inventory of BENCH_HOSTS local hosts (h001...), starts the Stripe emulator, runs a play
in which every host ensures one customer (once to converge, then timed while converged), then times
the same play with ansible.builtin.debug, and prints both wall times, the ratio and the emulator's
request counters for the converged run. It is a measurement, not a test: timings are never asserted.
Playbook output goes to files under build/bench/.

This file also holds the helpers that the other benchmarks (bench_tenants.py, bench_fleet.py), the playbook tests and
the resilience suite share: the Ansible environment, starting the emulators, their counters, timed runs with the peak
memory, the PLAY RECAP parser and the example catalog.
"""

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, 'build')
BENCH = os.path.join(BUILD, 'bench')
EMU_STATE = os.path.join(BENCH, 'emulators')
COLLECTIONS = os.path.join(BUILD, 'demo-collections')
EMULATORS = os.path.join(REPO, 'tests', 'harness', 'emulators.py')
PROVISION = os.path.join(REPO, 'playbooks', 'provision.yml')
CATALOG = os.path.join(REPO, 'playbooks', 'catalog.yml')
EXAMPLE_CATALOG = os.path.join(REPO, 'playbooks', 'vars', 'catalog.example.yml')
SERVICES = (('stripe', 'STRIPE_API_BASE'), ('tts', 'TTS_URL'))
CONNECTION_VARS = ('STRIPE_API_KEY', 'STRIPE_API_BASE', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY')

STRIPE_PLAY = '''---
- name: Bench - one stripe_customer per host
  hosts: all
  gather_facts: false
  tasks:
    - name: Ensure the host's customer
      thingsstack.tenancy.stripe_customer:
        email: "bench-{{ inventory_hostname }}@example.com"
        name: "Bench {{ inventory_hostname }}"
        metadata:
          bench: "yes"
'''
DEBUG_PLAY = '''---
- name: Bench - one debug per host
  hosts: all
  gather_facts: false
  tasks:
    - name: Say the host's name
      ansible.builtin.debug:
        msg: "bench-{{ inventory_hostname }}@example.com"
'''


class PlayFailed(RuntimeError):
    """ansible-playbook ended with an exit code other than 0; the time and the PLAY RECAP are kept."""

    def __init__(self, name, rc, log_path, seconds, hosts):
        super().__init__('%s failed (exit %d); see %s' % (name, rc, log_path))
        self.rc, self.seconds, self.hosts = rc, seconds, hosts


def control(base, method, path, body=None, headers=None):
    """An emulator's control API (/_emulator/...), or with ``headers`` (the key) its API; ``body`` is sent as JSON."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        data = json.dumps(body).encode() if body is not None else b'' if method == 'POST' else None
        conn.request(method, path, body=data, headers=dict(headers or {}, **({'Content-Type': 'application/json'} if body else {})))
        resp = conn.getresponse()
        body = resp.read()
        if resp.status >= 300:
            raise RuntimeError('%s %s: HTTP %d' % (method, path, resp.status))
        return json.loads(body) if body.strip() else {}
    finally:
        conn.close()


def write(path, text):
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)


def link_collection(collections):
    """``collections``/ansible_collections/thingsstack/tenancy -> this checkout (an ANSIBLE_COLLECTIONS_PATH entry)."""
    os.makedirs(os.path.join(collections, 'ansible_collections', 'thingsstack'), exist_ok=True)
    link = os.path.join(collections, 'ansible_collections', 'thingsstack', 'tenancy')
    if os.path.lexists(link) and os.readlink(link) != REPO:
        os.unlink(link)
    if not os.path.lexists(link):
        os.symlink(REPO, link)


def ansible_env(**extra):
    """This process's environment for ansible-playbook: no connection variable or ANSIBLE_CONFIG of the caller, this
    checkout as the collection, Ansible's home and temp dirs under build/, no colour, this venv's tools first."""
    env = dict(os.environ)
    for key in CONNECTION_VARS + ('ANSIBLE_CONFIG', ):
        env.pop(key, None)
    env.update(
        {
            'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
            'ANSIBLE_HOME': os.path.join(BUILD, 'ansible-home'),
            'ANSIBLE_LOCAL_TEMP': os.path.join(BUILD, 'ansible-home', 'tmp'),
            'ANSIBLE_REMOTE_TMP': os.path.join(BUILD, 'ansible-home', 'remote-tmp'),
            'ANSIBLE_NOCOLOR': '1',
            'PATH': os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', ''),
        }, **extra)
    return env


def start_emulators(state_dir, *services):
    """Start the emulators (tests/harness/emulators.py start --stripe, --tts) and return their state.json: the
    connection variables. Stop them with stop_emulators(state_dir), also when the benchmark fails."""
    subprocess.run([sys.executable, EMULATORS, 'start'] + ['--' + service for service in services] + ['--state-dir', state_dir], check=True)
    with open(os.path.join(state_dir, 'state.json'), encoding='utf-8') as handle:
        return json.load(handle)


def stop_emulators(state_dir):
    subprocess.run([sys.executable, EMULATORS, 'stop', '--state-dir', state_dir], check=False)


def emulator_bases(state):
    """{'stripe': STRIPE_API_BASE, 'tts': TTS_URL} of the emulators that run."""
    return {service: state[variable] for service, variable in SERVICES if variable in state}


def emulator_cpu(state_dir):
    """CPU seconds each emulator process has used so far (Linux /proc; {} elsewhere)."""
    out = {}
    for service, dummy in SERVICES:
        try:
            with open(os.path.join(state_dir, service + '.pid'), encoding='utf-8') as handle:
                pid = int(handle.read().strip())
            with open('/proc/%d/stat' % pid, encoding='utf-8') as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
            out[service] = (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
        except (OSError, ValueError, IndexError):
            pass
    return out


def cpu_delta(before, after):
    return ', '.join('%s %.2f s' % (service, after[service] - before[service]) for service in after if service in before) or 'n/a'


def counters(bases):
    return {service: control(base, 'GET', '/_emulator/counters') for service, base in bases.items()}


def clear(bases):
    for base in bases.values():
        control(base, 'POST', '/_emulator/log/clear')


def per_tenant(counts, tenants):
    """Requests the collection sent per tenant (not the webhooks the TTS emulator received from Stripe)."""
    out = {}
    for service, values in counts.items():
        sent = {key: values.get(key, 0) / tenants for key in ('reads', 'writes')}
        out[service] = dict(sent, total=sent['reads'] + sent['writes'])
    out['all'] = {key: sum(out[s][key] for s in counts) for key in ('reads', 'writes', 'total')}
    return out


def recap(output):
    """Per-host PLAY RECAP counters of an ansible-playbook output: {host: {'ok': n, 'changed': n, 'skipped': n, ...}}.
    The playbook tests (tests/playbooks/conftest.py) use it too."""
    hosts = {}
    in_recap = False
    for line in output.splitlines():
        if line.startswith('PLAY RECAP'):
            in_recap = True
            continue
        if in_recap and ' : ok=' in line:
            host, dummy, fields = line.partition(':')
            pairs = (field.partition('=') for field in fields.split())
            hosts[host.strip()] = {key: int(value) for key, dummy, value in pairs if value.isdigit()}
    return hosts


def total(hosts, key):
    return sum(counts.get(key, 0) for counts in hosts.values())


def timed(cmd, env, cwd, stdout, stderr=subprocess.STDOUT):
    """Run ``cmd``: (wall seconds, exit code, peak memory in MiB: the largest max RSS of the process and the children
    it reaped, which for ansible-playbook are its forked workers)."""
    start = time.monotonic()
    with subprocess.Popen(cmd, env=env, stdout=stdout, stderr=stderr, cwd=cwd) as proc:
        dummy, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
    return time.monotonic() - start, rc, usage.ru_maxrss / 1024


def play(out, name, playbook, inventory_path, env, forks, extra=(), memory=None):
    """ansible-playbook -i INVENTORY -f FORKS EXTRA PLAYBOOK from ``out``, output in ``out``/NAME.log: (wall seconds,
    PLAY RECAP per host); the peak memory in memory[name] (MiB) when given. Raises PlayFailed unless it exits 0."""
    log_path = os.path.join(out, name + '.log')
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory_path, '-f', str(forks)]
    cmd += list(extra) + [playbook]
    print(
        '  %-16s ansible-playbook -i %s -f %d %s > %s' %
        (name, os.path.relpath(inventory_path, REPO), forks, ' '.join(cmd[5:]).replace(REPO + os.sep, ''), os.path.relpath(log_path, REPO)),
        flush=True)
    with open(log_path, 'wb') as log:
        seconds, rc, peak = timed(cmd, env, out, log)
    if memory is not None:
        memory[name] = peak
    with open(log_path, encoding='utf-8', errors='replace') as handle:
        hosts = recap(handle.read())
    print(
        '  %-16s %.2f s, exit %d, %d hosts, ok=%d changed=%d skipped=%d failed=%d' %
        ('', seconds, rc, len(hosts), total(hosts, 'ok'), total(hosts, 'changed'), total(hosts, 'skipped'), total(hosts, 'failed')),
        flush=True)
    if rc != 0:
        raise PlayFailed(name, rc, log_path, seconds, hosts)
    return seconds, hosts


def catalog(out, env, forks):
    """The example catalog (playbooks/catalog.yml with playbooks/vars/catalog.example.yml) on a localhost inventory."""
    localhost = os.path.join(out, 'localhost.yml')
    write(
        localhost, '---\nall:\n  hosts:\n    localhost:\n      ansible_connection: local\n'
        '      ansible_python_interpreter: "{{ ansible_playbook_python }}"\n')
    play(out, 'catalog', CATALOG, localhost, env, forks, ['-e', '@' + EXAMPLE_CATALOG])


def run(main, name, errors=()):
    """Exit with main()'s code; a failed command, emulator or file (or one of ``errors``) is one line and exit 1."""
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.CalledProcessError, OSError) + tuple(errors) as exc:
        print('%s: error: %s' % (name, exc), file=sys.stderr)
        sys.exit(1)


def inventory(hosts):
    width = max(3, len(str(hosts)))
    lines = [
        '---', 'all:', '  vars:', '    ansible_connection: local', '    ansible_python_interpreter: "{{ ansible_playbook_python }}"',
        '  hosts:'
    ]
    lines += ['    h%0*d: {}' % (width, i) for i in range(1, hosts + 1)]
    return '\n'.join(lines) + '\n'


def main():
    hosts = int(os.environ.get('BENCH_HOSTS', '100'))
    forks = int(os.environ.get('BENCH_FORKS', '5'))
    os.makedirs(BENCH, exist_ok=True)
    link_collection(COLLECTIONS)
    inventory_path = os.path.join(BENCH, 'inventory.yml')
    write(inventory_path, inventory(hosts))
    stripe_play, debug_play = os.path.join(BENCH, 'stripe_customer.yml'), os.path.join(BENCH, 'debug.yml')
    write(stripe_play, STRIPE_PLAY)
    write(debug_play, DEBUG_PLAY)
    env = ansible_env(ANSIBLE_FORKS=str(forks))

    print('bench: %d hosts, %d forks, ansible-playbook from %s' % (hosts, forks, os.path.dirname(sys.executable)))
    print('bench: starting the Stripe emulator', flush=True)
    state = start_emulators(EMU_STATE, 'stripe')
    try:
        base = state['STRIPE_API_BASE']
        env['STRIPE_API_BASE'], env['STRIPE_API_KEY'] = base, state['STRIPE_API_KEY']

        print('bench: 1. converge (creates %d customers; not timed for the comparison)' % hosts, flush=True)
        play(BENCH, 'converge', stripe_play, inventory_path, env, forks)
        control(base, 'POST', '/_emulator/log/clear')
        print('bench: 2. converged run of stripe_customer (timed)', flush=True)
        stripe_s, stripe_recap = play(BENCH, 'stripe_customer', stripe_play, inventory_path, env, forks)
        counts = control(base, 'GET', '/_emulator/counters')
        print('bench: 3. the same play with ansible.builtin.debug (timed)', flush=True)
        debug_s, dummy = play(BENCH, 'debug', debug_play, inventory_path, env, forks)
    finally:
        stop_emulators(EMU_STATE)

    reads, writes = counts.get('reads', 0), counts.get('writes', 0)
    print()
    print('bench results (%d hosts, %d forks; wall clock; no assertions)' % (hosts, forks))
    print('  %-36s %8.2f s  (%.3f s/host)' % ('stripe_customer, converged', stripe_s, stripe_s / hosts))
    print('  %-36s %8.2f s  (%.3f s/host)' % ('ansible.builtin.debug', debug_s, debug_s / hosts))
    print('  %-36s %8.2fx' % ('ratio stripe_customer / debug', stripe_s / debug_s if debug_s else float('nan')))
    print('  %-36s %d of %d hosts' % ('changed in the converged run', total(stripe_recap, 'changed'), hosts))
    print('  %-36s reads=%d (%.2f/host) writes=%d (%.2f/host) total=%d by_status=%s' %
          ('Stripe emulator, converged run', reads, reads / hosts, writes, writes / hosts, counts.get(
              'total', 0), json.dumps(counts.get('by_status', {}), sort_keys=True)))
    return 0


if __name__ == '__main__':
    run(main, 'bench')
