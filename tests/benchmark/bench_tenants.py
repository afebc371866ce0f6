"""Benchmark of the tenant role: provision N generated direct-mode tenants, first run, converged run and drift.

Run with the python of the venv whose ansible-playbook to measure (tests/benchmark/bench_tenants.sh takes build/venv-env,
what operators run; BENCH_VENV another):
  BENCH_TENANTS=100 BENCH_FORKS=5 BENCH_REPEAT=3 BENCH_OTHER_SUBSCRIPTIONS=1000 python tests/benchmark/bench_tenants.py

It starts the Stripe and TTS emulators (no Tenant Billing Server: direct mode), ensures the example catalog
(playbooks/catalog.yml with playbooks/vars/catalog.example.yml), fills the account with BENCH_OTHER_SUBSCRIPTIONS
(default 1,000) live subscriptions of other tenants (not measured), generates an inventory of BENCH_TENANTS direct-mode
tenants (bench-t001, ...), each with its own customer and a subscription to tts-small-monthly, and runs
playbooks/provision.yml:
  1. first run (creates every customer, subscription and tenant), timed, with each emulator's request counters;
  2. converged run (the same again: changed=0; the role's bulk read, tenant_snapshot, finds every tenant converged),
     timed, with the counters;
  3. a play of 2 ansible.builtin.debug tasks per host, BENCH_REPEAT times (default 3) alternating with the converged run;
     the best time of each is compared, which keeps other load on the machine out of the ratio as far as possible;
  4. one drifted field on 10 tenants (a customer's name in Stripe, a tenant's max_gateways in TTS, a subscription's
     tenant-name metadata), then provision.yml: those 10 are changed, and only they take the per-tenant path;
  5. provision.yml again: converged.
It prints wall times, requests (reads and writes per service, from the emulators' counters), the emulators' CPU time,
the controller's peak memory (ansible-playbook and its workers, max RSS) and checks the goals (issue 25): a converged run
costs at most ceil(S/100) + ceil(C/100) + ceil(T/1000) + 10 requests (S live subscriptions, C customers, T tenants) and no
write; a first run at most 8 requests per tenant plus the bulk read's tenant list; the drift is found and fixed in one
run by the per-tenant path of only the drifted tenants, and the next run is converged again. A missed request goal is an
error (exit 2): requests are correctness, the same on any machine. The wall-time goal (converged <= the debug play) is
only reported. Playbook output goes to build/bench-tenants/.

BENCH_FIRST_RUN=K (default: all) runs the first run on the first K tenants only, and makes the others straight through
the APIs as copies of what that run wrote for the first tenant (its customer, subscription and tenant, the host name
replaced; not measured): a fleet of 10,000 converged tenants without a first run of two hours. The converged run then
finds every tenant converged, or a goal fails: the copies are checked by the role itself.
BENCH_DRIFT=0 leaves out steps 4 and 5 (the drift), which take as long as a converged run each.
"""

import os
import re
import sys

import stripe

from bench import (  # same folder: the helpers the benchmarks share
    BUILD, COLLECTIONS, PROVISION, ansible_env, catalog, clear, control, counters, cpu_delta, emulator_bases, emulator_cpu, link_collection,
    per_tenant, play, run, start_emulators, stop_emulators, write)
# The PLAY RECAP parser moved to bench.py; tests/playbooks/conftest.py and tests/resilience/run_resilience.py import it
# from here.
from bench import recap  # noqa: F401  pylint: disable=unused-import

BENCH = os.path.join(BUILD, 'bench-tenants')
EMU_STATE = os.path.join(BENCH, 'emulators')
GOALS = {'bulk_slack': 10, 'first_requests': 8, 'debug_tasks': 2, 'drifted': 10}


def inventory(tenants, width=None):
    width = width or max(3, len(str(tenants)))
    lines = [
        '---', 'all:', '  children:', '    tenants:', '      vars:', '        ansible_connection: local',
        '        ansible_python_interpreter: "{{ ansible_playbook_python }}"', '        tenant_provisioning: direct',
        '        tenant_name: "Bench tenant {{ inventory_hostname }}"', '        tenant_customer:',
        '          email: "billing@{{ inventory_hostname }}.example"', '          name: "Customer of {{ inventory_hostname }}"',
        '        tenant_plan: {price: tts-small-monthly, collection_method: send_invoice, days_until_due: 30}',
        '        tenant_admin: {email: "admin@{{ inventory_hostname }}.example"}', '      hosts:'
    ]
    lines += ['        bench-t%0*d: {}' % (width, i) for i in range(1, tenants + 1)]
    return '\n'.join(lines) + '\n'


def debug_play(tasks):
    lines = ['---', '- name: Bench - %d debug tasks per host' % tasks, '  hosts: all', '  gather_facts: false', '  tasks:']
    for index in range(1, tasks + 1):
        lines += [
            '    - name: Debug %d' % index, '      ansible.builtin.debug:',
            '        msg: "task %d of {{ inventory_hostname }}"' % index
        ]
    return '\n'.join(lines) + '\n'


def fill_account(env, count):
    """``count`` live subscriptions of other tenants, straight through the API (one customer, the example price)."""
    client = stripe.StripeClient(env['STRIPE_API_KEY'], base_addresses={'api': env['STRIPE_API_BASE']})
    price = client.v1.prices.list(params={'lookup_keys': ['tts-small-monthly']}).data[0]
    customer = client.v1.customers.create(params={'email': 'crowd@bench.example'})
    for number in range(count):
        client.v1.subscriptions.create(
            params={
                'customer': customer.id, 'items': [{'price': price.id}], 'collection_method': 'send_invoice', 'days_until_due': 30,
                'metadata': {'tenant-id': 'crowd-%05d' % number}
            })


def account_size(env, tenants):
    """(S, C, T): the live subscriptions and customers of the Stripe account and the tenants, by listing them (not measured)."""
    client = stripe.StripeClient(env['STRIPE_API_KEY'], base_addresses={'api': env['STRIPE_API_BASE']})
    subscriptions = sum(1 for dummy in client.v1.subscriptions.list(params={'limit': 100}).auto_paging_iter())
    customers = sum(1 for dummy in client.v1.customers.list(params={'limit': 100}).auto_paging_iter())
    return subscriptions, customers, tenants


def bulk_budget(size):
    subscriptions, customers, tenants = size
    return -(-subscriptions // 100) + -(-customers // 100) + -(-tenants // 1000) + GOALS['bulk_slack']


def drift(env, bases, hosts):
    """One drifted field on each of ``hosts``, in turn: the customer's name in Stripe, the tenant's max_gateways in TTS,
    the subscription's tenant-name metadata in Stripe."""
    client = stripe.StripeClient(env['STRIPE_API_KEY'], base_addresses={'api': env['STRIPE_API_BASE']})
    for number, host in enumerate(hosts):
        customer = client.v1.customers.list(params={'email': 'billing@%s.example' % host}).data[0]
        if number % 3 == 0:
            client.v1.customers.update(customer.id, params={'name': 'Renamed by hand'})
        elif number % 3 == 1:
            control(bases['tts'], 'PUT', '/api/v3/tenants/' + host,
                    {'tenant': {'max_gateways': '3'}, 'field_mask': {'paths': ['max_gateways']}},
                    headers={'Authorization': 'TenantAdminKey ' + env['TTS_TENANT_ADMIN_KEY']})
        else:
            sub = client.v1.subscriptions.list(params={'customer': customer.id}).data[0]
            client.v1.subscriptions.update(sub.id, params={'metadata': {'tenant-name': 'Renamed by hand'}})


def clone_fleet(env, bases, template, hosts):
    """Make ``hosts`` straight through the APIs as the first run made ``template``: its customer, subscription and tenant
    are read back and created again for each host, with the host name replaced and the new IDs in the billing link."""
    client = stripe.StripeClient(env['STRIPE_API_KEY'], base_addresses={'api': env['STRIPE_API_BASE']})
    auth = {'Authorization': 'TenantAdminKey ' + env['TTS_TENANT_ADMIN_KEY']}
    customer = client.v1.customers.list(params={'email': 'billing@%s.example' % template}).data[0].to_dict()
    sub = client.v1.subscriptions.list(params={'customer': customer['id']}).data[0].to_dict()
    # What the role manages of a tenant (plugin_utils/tenant_fleet.py, TENANT_PATHS), but the billing link.
    fields = ','.join(['name', 'description', 'contact_info', 'state', 'attributes', 'configuration'] +
                      ['max_' + limit for limit in ('applications', 'clients', 'end_devices', 'gateways', 'organizations', 'users')])
    tenant = control(bases['tts'], 'GET', '/api/v3/tenants/%s?field_mask=%s' % (template, fields), headers=auth)
    customer_fields = {key: customer[key] for key in ('email', 'name', 'description', 'phone', 'address', 'metadata') if customer.get(key)}
    sub_fields = {key: sub[key] for key in ('collection_method', 'days_until_due', 'description', 'metadata') if sub.get(key)}
    items = [{'price': item['price']['id'], 'quantity': item.get('quantity'), 'metadata': item.get('metadata') or {}}
             for item in sub['items']['data']]
    tenant_fields = {key: value for key, value in tenant.items() if key in fields.split(',')}
    pattern = re.compile(r'\b%s\b' % re.escape(template))

    def copy(value, host):
        if isinstance(value, dict):
            return {key: copy(item, host) for key, item in value.items()}
        if isinstance(value, list):
            return [copy(item, host) for item in value]
        return pattern.sub(host, value) if isinstance(value, str) else value

    for host in hosts:
        new_customer = client.v1.customers.create(params=copy(customer_fields, host))
        new_sub = client.v1.subscriptions.create(params=dict(copy(sub_fields, host), customer=new_customer.id, items=items))
        billing = {
            'customer_id': new_customer.id, 'subscription_id': new_sub.id, 'plan_id': items[0]['price'], 'subscription_item_id':
            new_sub['items'].data[0].id
        }
        control(bases['tts'], 'POST', '/api/v3/tenants',
                {'tenant': dict(copy(tenant_fields, host), ids={'tenant_id': host}, billing={'stripe': billing})}, auth)


def tenants_read_alone(bases, hosts):
    """The tenants the per-tenant path read (GET /api/v3/tenants/ID, its first request)."""
    log = control(bases['tts'], 'GET', '/_emulator/requests')['requests']
    paths = {entry['path'] for entry in log if entry['method'] == 'GET'}
    return sorted(host for host in hosts if '/api/v3/tenants/' + host in paths)


def main():  # pylint: disable=too-many-locals,too-many-statements
    tenants = int(os.environ.get('BENCH_TENANTS', '100'))
    forks = int(os.environ.get('BENCH_FORKS', '5'))
    repeat = max(1, int(os.environ.get('BENCH_REPEAT', '3')))
    others = int(os.environ.get('BENCH_OTHER_SUBSCRIPTIONS', '1000'))
    first_count = min(tenants, max(1, int(os.environ.get('BENCH_FIRST_RUN', tenants))))
    memory = {}
    os.makedirs(BENCH, exist_ok=True)
    link_collection(COLLECTIONS)
    inventory_path = os.path.join(BENCH, 'tenants.yml')
    write(inventory_path, inventory(tenants))
    hosts = ['bench-t%0*d' % (max(3, len(str(tenants))), i) for i in range(1, tenants + 1)]
    first_path = inventory_path
    if first_count < tenants:
        first_path = os.path.join(BENCH, 'first-tenants.yml')
        write(first_path, inventory(first_count, width=max(3, len(str(tenants)))))
    drifted = hosts[::max(1, tenants // GOALS['drifted'])][:GOALS['drifted']] if os.environ.get('BENCH_DRIFT', '1') != '0' else []
    env = ansible_env()
    print('bench-tenants: %d direct-mode tenants, %d forks, ansible-playbook from %s' % (tenants, forks, os.path.dirname(sys.executable)))
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
        print(
            'bench-tenants: 1. first run: provision.yml creates every customer, subscription and tenant%s' %
            ('' if first_count == tenants else ' of the first %d tenants' % first_count), flush=True)
        cpu0 = emulator_cpu(EMU_STATE)
        first_s, first_recap = play(BENCH, 'first-run', PROVISION, first_path, env, forks, memory=memory)
        cpu1 = emulator_cpu(EMU_STATE)
        first = counters(bases)
        if first_count < tenants:
            print(
                'bench-tenants: 1. the other %d tenants as copies of what the first run made for %s (not measured)' %
                (tenants - first_count, hosts[0]), flush=True)
            clone_fleet(env, bases, hosts[0], hosts[first_count:])
            cpu1 = emulator_cpu(EMU_STATE)
        size = account_size(env, tenants)
        clear(bases)
        print('bench-tenants: 2. converged run: provision.yml again', flush=True)
        converged_s, converged_recap = play(BENCH, 'converged-run', PROVISION, inventory_path, env, forks, memory=memory)
        cpu2 = emulator_cpu(EMU_STATE)
        converged = counters(bases)
        write(os.path.join(BENCH, 'debug.yml'), debug_play(GOALS['debug_tasks']))
        converged_times, debug_times = [converged_s], []
        for round_ in range(1, repeat + 1):
            print(
                'bench-tenants: 3.%d a play of %d ansible.builtin.debug tasks per host%s' %
                (round_, GOALS['debug_tasks'], '' if round_ == 1 else ', and the converged run again'), flush=True)
            if round_ > 1:
                converged_times.append(play(BENCH, 'converged-run-%d' % round_, PROVISION, inventory_path, env, forks)[0])
            debug_times.append(
                play(BENCH, 'debug-%d' % round_, os.path.join(BENCH, 'debug.yml'), inventory_path, env, forks, memory=memory)[0])
        converged_s, debug_s = min(converged_times), min(debug_times)
        # BENCH_DRIFT=0 leaves steps 4 and 5 out (reported as not run, their goals not checked).
        drift_s = after_s = 0.0
        drift_recap, after_recap, drift_counts, after, drift_read, after_read = {}, {}, {}, {}, [], []
        if drifted:
            print(
                'bench-tenants: 4. drift on %d tenants (customer name, max_gateways, subscription metadata), provision.yml' % len(drifted),
                flush=True)
            drift(env, bases, drifted)
            clear(bases)
            drift_s, drift_recap = play(BENCH, 'drift-run', PROVISION, inventory_path, env, forks)
            drift_counts = counters(bases)
            drift_read = tenants_read_alone(bases, hosts)
            clear(bases)
            print('bench-tenants: 5. provision.yml again after the drift', flush=True)
            after_s, after_recap = play(BENCH, 'after-drift-run', PROVISION, inventory_path, env, forks)
            after = counters(bases)
            after_read = tenants_read_alone(bases, hosts)
    finally:
        stop_emulators(EMU_STATE)

    first_pt = per_tenant(first, first_count)
    budget = bulk_budget(size)
    sent = {
        name: sum(raw[service].get(kind, 0) for service in raw for kind in ('reads', 'writes'))
        for name, raw in (('first', first), ('converged', converged), ('drift', drift_counts), ('after', after))
    }
    not_run = '' if drifted else ' (not run: BENCH_DRIFT=0)'
    writes = {name: sum(raw[service].get('writes', 0) for service in raw) for name, raw in (('converged', converged), ('after', after))}
    changed = {
        name: sorted(host for host, counts in recap_.items() if counts.get('changed'))
        for name, recap_ in (('first', first_recap), ('converged', converged_recap), ('drift', drift_recap), ('after', after_recap))
    }
    print()
    print('bench-tenants results: %d direct-mode tenants, %d forks, %d other live subscriptions in the account '
          '(S=%d subscriptions, C=%d customers, T=%d tenants; wall clock; converged and debug: best of %d)' %
          ((tenants, forks, others) + size + (repeat, )))
    print('  %-44s %8.2f s  (%.3f s/tenant), changed=%d hosts' %
          ('first run (provision.yml, %d tenants)' % first_count, first_s, first_s / first_count, len(changed['first'])))
    print('  %-44s %8.2f s  (%.3f s/tenant), changed=%d hosts' %
          ('converged run (provision.yml)', converged_s, converged_s / tenants, len(changed['converged'])))
    print('  %-44s %8.2f s' % ('debug play, %d tasks/host' % GOALS['debug_tasks'], debug_s))
    print('  %-44s %8.2fx' % ('converged / debug (%d tasks)' % GOALS['debug_tasks'], converged_s / debug_s))
    print('  %-44s %8.2f s, changed=%d hosts, per-tenant path: %d tenants' %
          ('drift run (%d drifted)%s' % (len(drifted), not_run), drift_s, len(changed['drift']), len(drift_read)))
    print('  %-44s %8.2f s, changed=%d hosts' % ('run after the drift' + not_run, after_s, len(changed['after'])))
    print('  requests per tenant, first run:   stripe reads %.2f writes %.2f | tts reads %.2f writes %.2f | all %.2f' %
          (first_pt['stripe']['reads'], first_pt['stripe']['writes'], first_pt['tts']['reads'], first_pt['tts']['writes'],
           first_pt['all']['total']))
    for name, raw in (('converged run', converged), ('drift run', drift_counts), ('run after drift', after))[:3 if drifted else 1]:
        print('  requests in all, %-16s %d (%s); budget of a converged run %d' %
              (name + ':', sum(raw[s].get('reads', 0) + raw[s].get('writes', 0)
                               for s in raw), ', '.join('%s %d reads %d writes' % (s, raw[s].get('reads', 0), raw[s].get('writes', 0))
                                                        for s in raw), budget))
    print('  emulator CPU time                           first run: %s; converged run: %s' % (cpu_delta(cpu0, cpu1), cpu_delta(cpu1, cpu2)))
    print('  controller peak memory (max RSS)            first run: %.0f MiB; converged run: %.0f MiB; debug play: %.0f MiB' %
          (memory['first-run'], memory['converged-run'], memory['debug-1']))
    checks = [
        ('converged requests <= ceil(S/100)+ceil(C/100)+ceil(T/1000)+%d = %d' % (GOALS['bulk_slack'], budget), sent['converged'] <= budget),
        ('converged writes == 0', writes['converged'] == 0 and not changed['converged']),
        ('first-run requests <= %d per tenant + the tenant list' % GOALS['first_requests'], sent['first']
         <= GOALS['first_requests'] * first_count + -(-first_count // 1000)),
        ('drift: exactly the %d drifted tenants changed%s' % (len(drifted), not_run), changed['drift'] == sorted(drifted)),
        ('drift: only they took the per-tenant path' + not_run, drift_read == sorted(drifted)),
        ('after drift: converged again (budget, 0 writes)' + not_run, not drifted
         or (sent['after'] <= budget and writes['after'] == 0 and not after_read)),
        ('converged wall <= debug play of %d tasks/host (reported)' % GOALS['debug_tasks'], converged_s <= debug_s),
    ]
    for label, ok in checks:
        print('  goal %-66s %s' % (label, 'met' if ok else 'MISSED'))
    if not all(ok for dummy, ok in checks[:-1]):
        print('bench-tenants: a request goal was missed', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    run(main, 'bench-tenants')
