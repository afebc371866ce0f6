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
(ok + skipped, the validation and include tasks included; on average, so the role's run_once tasks count once per
play), and a second one with as many as ran (ok), the "debug floor". The converged run and both debug plays are
repeated BENCH_REPEAT times (default 3), alternating, and the best time of each is compared, which keeps other load on
the machine out of the ratio as far as possible.
It prints wall times, requests per tenant (reads and writes per service, from the emulators' counters), the emulators'
CPU time, the controller's peak memory (ansible-playbook and its workers, max RSS) and the ratios, and checks the goals:
converged <= 3 reads and 0 writes per tenant, first run <= 9 requests per tenant, converged wall time <= 1.5x the debug
floor. BENCH_OTHER_SUBSCRIPTIONS=N first fills the account with N live subscriptions of other tenants (not measured),
so that the request goals are checked in an account whose size would show in them. A missed request goal is an error
(exit 2): requests per tenant are correctness, the same on any machine. Wall-time goals are only reported.
Playbook output goes to build/bench-tenants/.
"""

import os
import sys

import stripe

from bench import (  # same folder: the helpers the benchmarks share
    BUILD, COLLECTIONS, PROVISION, ansible_env, catalog, clear, counters, cpu_delta, emulator_bases, emulator_cpu,
    link_collection, per_tenant, play, run, start_emulators, stop_emulators, write)
# The PLAY RECAP parser moved to bench.py; tests/playbooks/conftest.py and tests/resilience/run_resilience.py import it
# from here.
from bench import recap  # noqa: F401  pylint: disable=unused-import

BENCH = os.path.join(BUILD, 'bench-tenants')
EMU_STATE = os.path.join(BENCH, 'emulators')
GOALS = {'converged_reads': 3, 'converged_writes': 0, 'first_requests': 9, 'wall_ratio': 1.5}


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


def tasks_per_host(hosts, *kinds):
    """The tasks a host ran on average (rounded): a run_once task counts once per play, not once per host."""
    return round(sum(counts.get(kind, 0) for counts in hosts.values() for kind in kinds) / len(hosts))


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
    env = ansible_env()
    print('bench-tenants: %d direct-mode tenants, %d forks, ansible-playbook from %s'
          % (tenants, forks, os.path.dirname(sys.executable)))
    print('bench-tenants: starting the Stripe and TTS emulators (no Tenant Billing Server)', flush=True)
    state = start_emulators(EMU_STATE, 'stripe', 'tts')
    try:
        env.update(state)
        bases = emulator_bases(state)
        print('bench-tenants: 0. the catalog (not measured)', flush=True)
        catalog(BENCH, env, forks)
        if others:
            print('bench-tenants: 0. %d live subscriptions of other tenants in the account (not measured)' % others, flush=True)
            fill_account(env, others)
        clear(bases)
        print('bench-tenants: 1. first run: provision.yml creates every customer, subscription and tenant', flush=True)
        cpu0 = emulator_cpu(EMU_STATE)
        first_s, first_recap = play(BENCH, 'first-run', PROVISION, inventory_path, env, forks, memory=memory)
        cpu1 = emulator_cpu(EMU_STATE)
        first = counters(bases)
        clear(bases)
        print('bench-tenants: 2. converged run: provision.yml again', flush=True)
        converged_s, converged_recap = play(BENCH, 'converged-run', PROVISION, inventory_path, env, forks, memory=memory)
        cpu2 = emulator_cpu(EMU_STATE)
        converged = counters(bases)
        listed = tasks_per_host(converged_recap, 'ok', 'skipped')
        ran = tasks_per_host(converged_recap, 'ok')
        write(os.path.join(BENCH, 'debug-listed.yml'), debug_play(listed))
        write(os.path.join(BENCH, 'debug-ran.yml'), debug_play(ran))
        converged_times, listed_times, ran_times = [converged_s], [], []
        for round_ in range(1, repeat + 1):
            print('bench-tenants: 3.%d debug floor: %d and %d ansible.builtin.debug tasks per host%s' % (
                round_, listed, ran, '' if round_ == 1 else ', and the converged run again'), flush=True)
            if round_ > 1:
                converged_times.append(play(BENCH, 'converged-run-%d' % round_, PROVISION, inventory_path, env, forks)[0])
            listed_times.append(play(BENCH, 'debug-%d' % listed, os.path.join(BENCH, 'debug-listed.yml'), inventory_path, env, forks,
                                     memory=memory)[0])
            ran_times.append(play(BENCH, 'debug-%d' % ran, os.path.join(BENCH, 'debug-ran.yml'), inventory_path, env, forks)[0])
        converged_s, debug_listed_s, debug_ran_s = min(converged_times), min(listed_times), min(ran_times)
    finally:
        stop_emulators(EMU_STATE)

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
    print('  controller peak memory (max RSS)            first run: %.0f MiB; converged run: %.0f MiB; debug play: %.0f MiB'
          % (memory['first-run'], memory['converged-run'], memory['debug-%d' % listed]))
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
    run(main, 'bench-tenants')
