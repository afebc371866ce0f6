"""Benchmark of the tenant role: provision N generated direct-mode tenants, first run and converged run.

Run with the harness venv's python (tests/benchmark/bench_tenants.sh does that):
  BENCH_TENANTS=100 BENCH_FORKS=5 BENCH_REPEAT=3 python tests/benchmark/bench_tenants.py

It starts the Stripe and TTS emulators (no Tenant Billing Server: direct mode), ensures the example catalog
(playbooks/catalog.yml with playbooks/vars/catalog.example.yml), generates an inventory of BENCH_TENANTS direct-mode
tenants (bench-t001, ...), each with its own customer and a subscription to tts-small-monthly, and runs
playbooks/provision.yml twice:
  1. first run (creates customers, subscriptions and tenants), timed, with each emulator's request counters;
  2. converged run (the same again: changed=0), timed, with the counters.
Then it times a play with the same number of ansible.builtin.debug tasks per host as the converged run listed per host
(ok + skipped, the validation and include tasks included), and a second one with as many as ran (ok), the "debug
floor". The converged run and both debug plays are repeated BENCH_REPEAT times (default 3), alternating, and the best
time of each is compared, which keeps other load on the machine out of the ratio as far as possible.
It prints wall times, requests per tenant (reads and writes per service, from the emulators' counters), the emulators'
CPU time, the controller's peak memory (ansible-playbook and its workers, max RSS) and the ratios, and checks the goals:
converged <= 3 reads and 0 writes per tenant, first run <= 8 requests per tenant, converged wall time <= 1.5x the debug
floor. BENCH_OTHER_SUBSCRIPTIONS=N first fills the account with N live subscriptions of other tenants (not measured),
so that the request goals are checked in an account whose size would show in them. A missed request goal is an error
(exit 2): requests per tenant are correctness, the same on any machine. Wall-time goals are only reported.
Playbook output goes to build/bench-tenants/.
"""

import json
import os
import subprocess
import sys
import time

import stripe

from bench import control, link_collection, write  # same folder: the shared helpers of make bench

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, 'build')
BENCH = os.path.join(BUILD, 'bench-tenants')
EMU_STATE = os.path.join(BENCH, 'emulators')
COLLECTIONS = os.path.join(BUILD, 'demo-collections')
EMULATORS = os.path.join(REPO, 'tests', 'harness', 'emulators.py')
PROVISION = os.path.join(REPO, 'playbooks', 'provision.yml')
CATALOG = os.path.join(REPO, 'playbooks', 'catalog.yml')
EXAMPLE_CATALOG = os.path.join(REPO, 'playbooks', 'vars', 'catalog.example.yml')
SERVICES = (('stripe', 'STRIPE_API_BASE'), ('tts', 'TTS_URL'))
GOALS = {'converged_reads': 3, 'converged_writes': 0, 'first_requests': 8, 'wall_ratio': 1.5}


def inventory(tenants):
    width = max(3, len(str(tenants)))
    lines = ['---', 'all:', '  children:', '    tenants:', '      vars:', '        ansible_connection: local',
             '        ansible_python_interpreter: "{{ ansible_playbook_python }}"', '        tenant_provisioning: direct',
             '        tenant_name: "Bench tenant {{ inventory_hostname }}"',
             '        tenant_customer:', '          email: "billing@{{ inventory_hostname }}.example"',
             '          name: "Customer of {{ inventory_hostname }}"',
             '        tenant_plan: {price: tts-small-monthly, collection_method: send_invoice, days_until_due: 30}',
             '        tenant_admin: {email: "admin@{{ inventory_hostname }}.example"}',
             '      hosts:']
    lines += ['        bench-t%0*d: {}' % (width, i) for i in range(1, tenants + 1)]
    return '\n'.join(lines) + '\n'


def debug_play(tasks):
    lines = ['---', '- name: Bench - %d debug tasks per host' % tasks, '  hosts: all', '  gather_facts: false', '  tasks:']
    for index in range(1, tasks + 1):
        lines += ['    - name: Debug %d' % index, '      ansible.builtin.debug:',
                  '        msg: "task %d of {{ inventory_hostname }}"' % index]
    return '\n'.join(lines) + '\n'


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


def play(name, playbook, inventory_path, env, forks, extra=(), memory=None):
    log_path = os.path.join(BENCH, name + '.log')
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory_path, '-f', str(forks)]
    cmd += list(extra) + [playbook]
    print('  %-16s ansible-playbook -i %s -f %d %s > %s' % (
        name, os.path.relpath(inventory_path, REPO), forks, ' '.join(cmd[5:]).replace(REPO + os.sep, ''),
        os.path.relpath(log_path, REPO)), flush=True)
    start = time.monotonic()
    with open(log_path, 'wb') as out:
        with subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=BENCH) as proc:
            dummy, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = rc = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    if memory is not None:
        memory[name] = usage.ru_maxrss / 1024  # MiB: the largest of ansible-playbook and the workers it reaped
    with open(log_path, encoding='utf-8', errors='replace') as handle:
        hosts = recap(handle.read())
    print('  %-16s %.2f s, exit %d, %d hosts, ok=%d changed=%d skipped=%d failed=%d' % (
        '', seconds, rc, len(hosts), total(hosts, 'ok'), total(hosts, 'changed'), total(hosts, 'skipped'),
        total(hosts, 'failed')), flush=True)
    if rc != 0:
        raise RuntimeError('%s failed (exit %d); see %s' % (name, rc, log_path))
    return seconds, hosts


def emulator_cpu():
    """CPU seconds each emulator process has used so far (Linux /proc; {} elsewhere)."""
    out = {}
    for service, dummy in SERVICES:
        try:
            with open(os.path.join(EMU_STATE, service + '.pid'), encoding='utf-8') as handle:
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


def fill_account(env, count):
    """``count`` live subscriptions of other tenants, straight through the API (one customer, the example price)."""
    client = stripe.StripeClient(env['STRIPE_API_KEY'], base_addresses={'api': env['STRIPE_API_BASE']})
    price = client.v1.prices.list(params={'lookup_keys': ['tts-small-monthly']}).data[0]
    customer = client.v1.customers.create(params={'email': 'crowd@bench.example'})
    for number in range(count):
        client.v1.subscriptions.create(params={
            'customer': customer.id, 'items': [{'price': price.id}], 'collection_method': 'send_invoice', 'days_until_due': 30,
            'metadata': {'tenant-id': 'crowd-%05d' % number}})


def main():
    tenants = int(os.environ.get('BENCH_TENANTS', '100'))
    forks = int(os.environ.get('BENCH_FORKS', '5'))
    repeat = max(1, int(os.environ.get('BENCH_REPEAT', '3')))
    others = int(os.environ.get('BENCH_OTHER_SUBSCRIPTIONS', '0'))
    memory = {}
    os.makedirs(BENCH, exist_ok=True)
    link_collection(COLLECTIONS)
    inventory_path = os.path.join(BENCH, 'tenants.yml')
    write(inventory_path, inventory(tenants))
    localhost = os.path.join(BENCH, 'localhost.yml')
    write(localhost, '---\nall:\n  hosts:\n    localhost:\n      ansible_connection: local\n'
                     '      ansible_python_interpreter: "{{ ansible_playbook_python }}"\n')

    env = dict(os.environ)
    for key in ('STRIPE_API_KEY', 'STRIPE_API_BASE', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY', 'ANSIBLE_CONFIG'):
        env.pop(key, None)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
        'ANSIBLE_HOME': os.path.join(BUILD, 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(BUILD, 'ansible-home', 'tmp'),
        'ANSIBLE_REMOTE_TMP': os.path.join(BUILD, 'ansible-home', 'remote-tmp'),
        'ANSIBLE_NOCOLOR': '1',
        'PATH': os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', ''),
    })
    print('bench-tenants: %d direct-mode tenants, %d forks, ansible-playbook from %s'
          % (tenants, forks, os.path.dirname(sys.executable)))
    print('bench-tenants: starting the Stripe and TTS emulators (no Tenant Billing Server)', flush=True)
    subprocess.run([sys.executable, EMULATORS, 'start', '--stripe', '--tts', '--state-dir', EMU_STATE], check=True)
    try:
        with open(os.path.join(EMU_STATE, 'state.json'), encoding='utf-8') as handle:
            state = json.load(handle)
        env.update(state)
        bases = {service: state[variable] for service, variable in SERVICES}
        print('bench-tenants: 0. the catalog (not measured)', flush=True)
        play('catalog', CATALOG, localhost, env, forks, ['-e', '@' + EXAMPLE_CATALOG])
        if others:
            print('bench-tenants: 0. %d live subscriptions of other tenants in the account (not measured)' % others, flush=True)
            fill_account(env, others)
        clear(bases)
        print('bench-tenants: 1. first run: provision.yml creates every customer, subscription and tenant', flush=True)
        cpu0 = emulator_cpu()
        first_s, first_recap = play('first-run', PROVISION, inventory_path, env, forks, memory=memory)
        cpu1 = emulator_cpu()
        first = counters(bases)
        clear(bases)
        print('bench-tenants: 2. converged run: provision.yml again', flush=True)
        converged_s, converged_recap = play('converged-run', PROVISION, inventory_path, env, forks, memory=memory)
        cpu2 = emulator_cpu()
        converged = counters(bases)
        listed = max(counts.get('ok', 0) + counts.get('skipped', 0) for counts in converged_recap.values())
        ran = max(counts.get('ok', 0) for counts in converged_recap.values())
        write(os.path.join(BENCH, 'debug-listed.yml'), debug_play(listed))
        write(os.path.join(BENCH, 'debug-ran.yml'), debug_play(ran))
        converged_times, listed_times, ran_times = [converged_s], [], []
        for round_ in range(1, repeat + 1):
            print('bench-tenants: 3.%d debug floor: %d and %d ansible.builtin.debug tasks per host%s' % (
                round_, listed, ran, '' if round_ == 1 else ', and the converged run again'), flush=True)
            if round_ > 1:
                converged_times.append(play('converged-run-%d' % round_, PROVISION, inventory_path, env, forks)[0])
            listed_times.append(play('debug-%d' % listed, os.path.join(BENCH, 'debug-listed.yml'), inventory_path, env, forks)[0])
            ran_times.append(play('debug-%d' % ran, os.path.join(BENCH, 'debug-ran.yml'), inventory_path, env, forks)[0])
        converged_s, debug_listed_s, debug_ran_s = min(converged_times), min(listed_times), min(ran_times)
    finally:
        subprocess.run([sys.executable, EMULATORS, 'stop', '--state-dir', EMU_STATE], check=False)

    first_pt, converged_pt = per_tenant(first, tenants), per_tenant(converged, tenants)
    ratio_listed = converged_s / debug_listed_s
    ratio_ran = converged_s / debug_ran_s
    print()
    print('bench-tenants results: %d direct-mode tenants, %d forks, %d other live subscriptions in the account '
          '(wall clock; converged and debug: best of %d)' % (tenants, forks, others, repeat))
    print('  %-44s %8.2f s  (%.3f s/tenant), changed=%d hosts' % (
        'first run (provision.yml)', first_s, first_s / tenants, sum(1 for c in first_recap.values() if c.get('changed'))))
    print('  %-44s %8.2f s  (%.3f s/tenant), changed=%d hosts' % (
        'converged run (provision.yml)', converged_s, converged_s / tenants,
        sum(1 for c in converged_recap.values() if c.get('changed'))))
    print('  %-44s %8.2f s' % ('debug play, %d tasks/host (as listed)' % listed, debug_listed_s))
    print('  %-44s %8.2f s' % ('debug play, %d tasks/host (as ran)' % ran, debug_ran_s))
    print('  %-44s %8.2fx' % ('converged / debug (%d tasks)' % listed, ratio_listed))
    print('  %-44s %8.2fx' % ('converged / debug (%d tasks)' % ran, ratio_ran))
    for label, pt, raw in (('first run', first_pt, first), ('converged run', converged_pt, converged)):
        print('  requests per tenant, %-13s stripe reads %.2f writes %.2f | tts reads %.2f writes %.2f | all %.2f '
              '(reads %.2f, writes %.2f); totals %s' % (
                  label, pt['stripe']['reads'], pt['stripe']['writes'], pt['tts']['reads'], pt['tts']['writes'],
                  pt['all']['total'], pt['all']['reads'], pt['all']['writes'],
                  ', '.join('%s %d' % (s, raw[s].get('total', 0)) for s in raw)))
    print('  emulator CPU time                           first run: %s; converged run: %s'
          % (cpu_delta(cpu0, cpu1), cpu_delta(cpu1, cpu2)))
    print('  controller peak memory (max RSS)            first run: %.0f MiB; converged run: %.0f MiB'
          % (memory['first-run'], memory['converged-run']))
    checks = [
        ('converged reads per tenant <= %d' % GOALS['converged_reads'], converged_pt['all']['reads'] <= GOALS['converged_reads']),
        ('converged writes per tenant == 0', converged_pt['all']['writes'] == GOALS['converged_writes']),
        ('first-run requests per tenant <= %d' % GOALS['first_requests'], first_pt['all']['total'] <= GOALS['first_requests']),
        ('converged wall <= %.1fx debug floor (%d tasks)' % (GOALS['wall_ratio'], listed), ratio_listed <= GOALS['wall_ratio']),
        ('converged wall <= %.1fx debug floor (%d tasks)' % (GOALS['wall_ratio'], ran), ratio_ran <= GOALS['wall_ratio']),
    ]
    for label, ok in checks:
        print('  goal %-48s %s' % (label, 'met' if ok else 'MISSED'))
    if not all(ok for dummy, ok in checks[:3]):
        print('bench-tenants: a request goal was missed', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        print('bench-tenants: error: %s' % exc, file=sys.stderr)
        sys.exit(1)
