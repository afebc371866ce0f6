"""make bench: what one thingsstack.tenancy.stripe_customer task costs per host, next to a plain debug task.

Run with the harness venv's python (tests/benchmark/bench.sh does that):
  BENCH_HOSTS=100 BENCH_FORKS=5 python tests/benchmark/bench.py

It generates an inventory of BENCH_HOSTS local hosts (h001...), starts the Stripe emulator, runs a play
in which every host ensures one customer (once to converge, then timed while converged), then times
the same play with ansible.builtin.debug, and prints both wall times, the ratio and the emulator's
request counters for the converged run. It is a measurement, not a test: timings are never asserted.
Playbook output goes to files under build/bench/.
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


def control(base, method, path):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request(method, path, body=b'' if method == 'POST' else None)
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


def inventory(hosts):
    width = max(3, len(str(hosts)))
    lines = ['---', 'all:', '  vars:', '    ansible_connection: local',
             '    ansible_python_interpreter: "{{ ansible_playbook_python }}"', '  hosts:']
    lines += ['    h%0*d: {}' % (width, i) for i in range(1, hosts + 1)]
    return '\n'.join(lines) + '\n'


def recap(log_path):
    """{'ok': n, 'changed': n, 'failed': n, 'unreachable': n} summed over the PLAY RECAP."""
    totals = {'hosts': 0, 'ok': 0, 'changed': 0, 'failed': 0, 'unreachable': 0}
    in_recap = False
    with open(log_path, encoding='utf-8', errors='replace') as handle:
        for line in handle:
            if line.startswith('PLAY RECAP'):
                in_recap = True
                continue
            if in_recap and ' : ok=' in line:
                totals['hosts'] += 1
                for field in line.split(':', 1)[1].split():
                    key, dummy, value = field.partition('=')
                    if key in totals and value.isdigit():
                        totals[key] += int(value)
    return totals


def play(name, playbook, env, forks):
    log_path = os.path.join(BENCH, name + '.log')
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', os.path.join(BENCH, 'inventory.yml'),
           '-f', str(forks), playbook]
    shown = (name, forks, os.path.relpath(playbook, REPO), os.path.relpath(log_path, REPO))
    print('  %-22s ansible-playbook -f %d %s > %s' % shown, flush=True)
    start = time.monotonic()
    with open(log_path, 'wb') as out:
        rc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False, cwd=BENCH).returncode
    seconds = time.monotonic() - start
    totals = recap(log_path)
    print('  %-22s %.2f s, exit %d, recap %s' % ('', seconds, rc, ' '.join('%s=%d' % kv for kv in totals.items())),
          flush=True)
    if rc != 0:
        raise RuntimeError('%s failed (exit %d); see %s' % (name, rc, log_path))
    return seconds, totals


def main():
    hosts = int(os.environ.get('BENCH_HOSTS', '100'))
    forks = int(os.environ.get('BENCH_FORKS', '5'))
    os.makedirs(BENCH, exist_ok=True)
    link_collection(COLLECTIONS)
    write(os.path.join(BENCH, 'inventory.yml'), inventory(hosts))
    stripe_play, debug_play = os.path.join(BENCH, 'stripe_customer.yml'), os.path.join(BENCH, 'debug.yml')
    write(stripe_play, STRIPE_PLAY)
    write(debug_play, DEBUG_PLAY)

    env = dict(os.environ)
    for key in ('STRIPE_API_KEY', 'STRIPE_API_BASE', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY', 'ANSIBLE_CONFIG'):
        env.pop(key, None)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
        'ANSIBLE_HOME': os.path.join(BUILD, 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(BUILD, 'ansible-home', 'tmp'),
        'ANSIBLE_REMOTE_TMP': os.path.join(BUILD, 'ansible-home', 'remote-tmp'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORKS': str(forks),
        'PATH': os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', ''),
    })

    print('bench: %d hosts, %d forks, ansible-playbook from %s' % (hosts, forks, os.path.dirname(sys.executable)))
    print('bench: starting the Stripe emulator', flush=True)
    subprocess.run([sys.executable, EMULATORS, 'start', '--stripe', '--state-dir', EMU_STATE], check=True)
    try:
        with open(os.path.join(EMU_STATE, 'state.json'), encoding='utf-8') as handle:
            state = json.load(handle)
        base = state['STRIPE_API_BASE']
        env['STRIPE_API_BASE'], env['STRIPE_API_KEY'] = base, state['STRIPE_API_KEY']

        print('bench: 1. converge (creates %d customers; not timed for the comparison)' % hosts, flush=True)
        play('converge', stripe_play, env, forks)
        control(base, 'POST', '/_emulator/log/clear')
        print('bench: 2. converged run of stripe_customer (timed)', flush=True)
        stripe_s, stripe_recap = play('stripe_customer', stripe_play, env, forks)
        counters = control(base, 'GET', '/_emulator/counters')
        print('bench: 3. the same play with ansible.builtin.debug (timed)', flush=True)
        debug_s, dummy = play('debug', debug_play, env, forks)
    finally:
        subprocess.run([sys.executable, EMULATORS, 'stop', '--state-dir', EMU_STATE], check=False)

    reads, writes = counters.get('reads', 0), counters.get('writes', 0)
    print()
    print('bench results (%d hosts, %d forks; wall clock; no assertions)' % (hosts, forks))
    print('  %-36s %8.2f s  (%.3f s/host)' % ('stripe_customer, converged', stripe_s, stripe_s / hosts))
    print('  %-36s %8.2f s  (%.3f s/host)' % ('ansible.builtin.debug', debug_s, debug_s / hosts))
    print('  %-36s %8.2fx' % ('ratio stripe_customer / debug', stripe_s / debug_s if debug_s else float('nan')))
    print('  %-36s %d of %d hosts' % ('changed in the converged run', stripe_recap['changed'], hosts))
    print('  %-36s reads=%d (%.2f/host) writes=%d (%.2f/host) total=%d by_status=%s'
          % ('Stripe emulator, converged run', reads, reads / hosts, writes, writes / hosts,
             counters.get('total', 0), json.dumps(counters.get('by_status', {}), sort_keys=True)))
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        print('bench: error: %s' % exc, file=sys.stderr)
        sys.exit(1)
