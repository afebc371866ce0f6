"""Benchmark of the live fleet: N tenants made by hand, read by the inventory plugin, exported, audited, provisioned.

Run with the harness venv's python (tests/benchmark/bench_fleet.sh does that):
  BENCH_FLEET_TENANTS=1000 BENCH_FORKS=5 python tests/benchmark/bench_fleet.py

It starts the Stripe and TTS emulators, ensures the example catalog (playbooks/catalog.yml with
playbooks/vars/catalog.example.yml) and switches the emulated Tenant Billing Server (TBS) on for tts-small-monthly
(tests/harness/tbs_setup.py, as make demo does). Then, not measured, it makes the fleet the manual way, straight through
the official stripe SDK and the TTS API, as docs/docsite/rst/guide_inventory.rst calls it "made by hand":
  - BENCH_FLEET_TENANTS tenants (default 1000, fleet-0001, ...) as the Stripe Dashboard makes them
    (reference/seed-stripe-customers-page.txt): a customer with name, email and billing address (some with a
    description and a phone), and its subscription to tts-small-monthly whose metadata carries tenant-id and, in turn,
    the seed's other keys (tenant-name and tenant-description; tenant-name, admin-user, admin-email and
    admin-full-name; tenant-name and admin-password; none: the seed's defaults); the TBS creates each tenant from the
    webhook;
  - 5 tenants made directly in The Things Stack without billing.stripe, then subscribed in the Dashboard to
    tts-large-monthly (not a TBS plan), as tests/playbooks/test_inventory_plugin.py makes its "hand" tenant;
and waits until the TBS has handled every webhook. Then it measures, each step with the emulators' counters cleared
before it (requests by service, reads and writes), its wall time and the peak memory (max RSS of the process and the
children it reaped):
  1. ansible-inventory --list on a thingsstack.tenancy.tenants source (tbs_plans: [tts-small-monthly]): cold (no
     cache), then with the inventory cache (jsonfile): filled by a first call, answered by a second; the first two
     must cost exactly max(1, ceil(S/100)) Stripe and max(1, ceil(T/1000)) TTS reads, the cached one no request (the
     budget of docs/docsite/rst/guide_inventory.rst); the groups must be as made (the 5 direct tenants in
     orphan_tenants only);
  2. playbooks/export.yml of every live tenant into build/bench-fleet/exported/;
  3. playbooks/audit.yml over that exported inventory: nothing written, no undeclared tenant, and the mismatch groups
     as made (the 5 direct tenants are orphan_tenants until they are adopted);
  4. playbooks/provision.yml of the export, twice. The 5 tenants without billing.stripe are exported with
     tenant_adopt: false (adoption proposed); the benchmark confirms them as an operator would (tenant_adopt: true in
     hosts.yml), and their first provisioning binds them to their customer: one TTS write each, as
     in tests/playbooks/test_inventory_plugin.py. So the first run must change exactly those 5 with exactly 5 TTS
     writes and no Stripe write, and the second run must end changed=0 with no write on either emulator.
  5. playbooks/audit.yml of the converged fleet (issue 25): every tenant in sync, nothing written, at most
     ceil(S/100) + ceil(C/100) + ceil(T/1000) + 10 requests (S subscriptions of any status, C customers, T tenants in
     the account) plus the usage's batch calls, ceil(H/100) for H hosts (issue 24), with every tenant's usage in the
     report;
  6. the same audit after the name of 10 customers was changed in Stripe: exactly those 10 drifted, each with its
     customer's name in its diff, nothing written (requests reported, not checked: the drifted ones read on their own).
Requests per tenant are per host of the exported inventory (N + 5). It prints a table of the figures, the requests of
each step by endpoint, and the checks. A missed check (a budget, a write, a change or a failure where none belongs) is
an error (exit 2): requests are correctness, the same on any machine. Wall times are only reported.
Playbook output, the inventory listings, the export and the audit report go to build/bench-fleet/.
"""

import collections
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

import stripe
import yaml

from bench import (  # same folder: the helpers the benchmarks share
    BUILD, COLLECTIONS, PROVISION, REPO, PlayFailed, ansible_env, catalog, clear, control, counters, emulator_bases, link_collection,
    per_tenant, play, run, start_emulators, stop_emulators, timed, total, write)

BENCH = os.path.join(BUILD, 'bench-fleet')
EMU_STATE = os.path.join(BENCH, 'emulators')
EXPORT = os.path.join(REPO, 'playbooks', 'export.yml')
AUDIT = os.path.join(REPO, 'playbooks', 'audit.yml')
TBS_SETUP = os.path.join(REPO, 'tests', 'harness', 'tbs_setup.py')
SMALL, LARGE = 'tts-small-monthly', 'tts-large-monthly'  # the TBS manages the small plan only
DIRECT = 5  # tenants made directly in The Things Stack, without billing.stripe
MISMATCH_GROUPS = ('orphan_subscriptions', 'orphan_tenants', 'owner_mismatch', 'duplicate_tenant_ids')


def seed_metadata(number, tenant_id):
    """The subscription metadata of the seed page, one of four ways in turn."""
    metadata = {'tenant-id': tenant_id}
    kind = number % 4
    if kind == 1:
        metadata.update({'tenant-name': 'Fleet tenant %d' % number, 'tenant-description': 'Made in the Dashboard'})
    elif kind == 2:
        metadata.update({
            'tenant-name': 'Fleet tenant %d' % number, 'admin-user': 'netops', 'admin-email': 'netops@%s.example' % tenant_id,
            'admin-full-name': 'Network operations of %s' % tenant_id
        })
    elif kind == 3:
        metadata.update({'tenant-name': 'Fleet tenant %d' % number, 'admin-password': 'Seed-Secret-%04d' % number})
    return metadata


def subscribe_in_the_dashboard(client, tenant_id, price_id, number, metadata):
    """A customer and its subscription with the tenant metadata, as the Stripe Dashboard makes them."""
    params = {
        'name': '%s Ltd' % tenant_id, 'email': 'billing@%s.example' % tenant_id, 'address':
        {'line1': 'Street %d' % number, 'city': 'Utrecht', 'postal_code': '3511', 'country': 'NL'}
    }
    if number % 2:
        params.update({'description': 'Customer %d of the fleet' % number, 'phone': '+31 30 %07d' % number})
    customer = client.v1.customers.create(params=params)
    client.v1.subscriptions.create(
        params={
            'customer': customer.id, 'items': [{'price': price_id}], 'collection_method': 'send_invoice', 'days_until_due': 30, 'metadata':
            metadata
        })


def make_fleet(env, bases, tenants):
    """The fleet made by hand (see the module docstring): {'billing': [tenant IDs], 'direct': [tenant IDs]}."""
    client = stripe.StripeClient(env['STRIPE_API_KEY'], base_addresses={'api': env['STRIPE_API_BASE']})
    prices = {key: client.v1.prices.list(params={'lookup_keys': [key]}).data[0].id for key in (SMALL, LARGE)}
    width = max(4, len(str(tenants)))
    fleet = {
        'billing': ['fleet-%0*d' % (width, number) for number in range(1, tenants + 1)], 'direct':
        ['direct-%02d' % number for number in range(1, DIRECT + 1)]
    }
    for number, tenant_id in enumerate(fleet['billing'], 1):
        subscribe_in_the_dashboard(client, tenant_id, prices[SMALL], number, seed_metadata(number, tenant_id))
    auth = {'Authorization': 'TenantAdminKey ' + env['TTS_TENANT_ADMIN_KEY']}
    for number, tenant_id in enumerate(fleet['direct'], 1):
        control(bases['tts'], 'POST', '/api/v3/tenants',
                {'tenant': {'ids': {'tenant_id': tenant_id}, 'name': 'Made by hand %d' % number, 'state': 'STATE_APPROVED'}}, auth)
        subscribe_in_the_dashboard(client, tenant_id, prices[LARGE], number, {'tenant-id': tenant_id})
    return fleet


def wait_for_tbs(bases, fleet, timeout):
    """Until Stripe has delivered every subscription event and the TBS has created the billing tenants."""
    events = len(fleet['billing']) + len(fleet['direct'])
    deadline = time.monotonic() + timeout
    while True:
        delivered = sum(1 for d in control(bases['stripe'], 'GET', '/_emulator/webhook_deliveries')['deliveries'] if d['succeeded'])
        handled = control(bases['tts'], 'GET', '/_emulator/tbs/events')['events']
        created = sum(1 for event in handled if event['action'] == 'created')
        errors = [event for event in handled if event['action'] == 'error']
        if errors:
            raise RuntimeError('the TBS refused %d events, the first: %s' % (len(errors), errors[0]))
        if delivered >= events and created >= len(fleet['billing']):
            return created
        if time.monotonic() > deadline:
            raise RuntimeError('after %d s, %d of %d webhooks delivered, %d of %d tenants created by the TBS' %
                               (timeout, delivered, events, created, len(fleet['billing'])))
        time.sleep(0.5)


def is_id(part):
    """An ID in a path (cus_Ab1..., fleet-0001), not a version (v1) or a resource name (meter_events)."""
    if re.fullmatch(r'v[0-9]+', part):
        return False
    return bool(re.search(r'[0-9]', part) or re.fullmatch(r'[a-z]+_[A-Za-z0-9]*[A-Z][A-Za-z0-9]*', part))


def endpoints(bases):
    """Requests since the last clear by service, method and path (IDs as {id}): {'stripe GET /v1/customers/{id}': n}."""
    out = collections.Counter()
    for service, base in bases.items():
        for entry in control(base, 'GET', '/_emulator/requests')['requests']:
            path = '/'.join('{id}' if is_id(part) else part for part in entry['path'].split('/'))
            out['%s %s %s' % (service, entry['method'], path)] += 1
    return dict(sorted(out.items()))


class Steps:
    """The measured steps: each with its wall time, peak memory, requests and endpoints; counters cleared after it."""

    def __init__(self, bases, hosts):
        self.bases, self.hosts, self.rows, self.checks = bases, hosts, [], []

    def record(self, label, seconds, peak, changed='-', **extra):
        counts = counters(self.bases)
        row = dict(extra, label=label, seconds=seconds, peak=peak, changed=changed, counts=counts,
                   per_tenant=per_tenant(counts, self.hosts), endpoints=endpoints(self.bases))
        clear(self.bases)
        self.rows.append(row)
        return row

    def check(self, label, ok):
        self.checks.append((label, bool(ok)))
        print('  check %-70s %s' % (label, 'met' if ok else 'MISSED'), flush=True)

    def play(self, label, name, playbook, inventory_path, env, forks, extra=(), listed=None, failing=()):
        """A measured ansible-playbook run: (row, the hosts it changed). ``listed``: the hosts its PLAY RECAP lists
        (default: every tenant); ``failing``: the hosts that must fail (the others must not)."""
        listed = self.hosts if listed is None else listed
        memory = {}
        try:
            seconds, hosts = play(BENCH, name, playbook, inventory_path, env, forks, extra, memory=memory)
            failed = False
        except PlayFailed as exc:
            seconds, hosts, failed = exc.seconds, exc.hosts, exc.rc
        changed = sorted(host for host, values in hosts.items() if values.get('changed'))
        row = self.record(label, seconds, memory[name], len(changed), failed=total(hosts, 'failed'), hosts=len(hosts))
        failed_hosts = sorted(host for host, values in hosts.items() if values.get('failed'))
        self.check('%s: exit %d, %d hosts in the recap, failed: %s' % (name, 2 if failing else 0, listed, ', '.join(failing) or '0'),
                   failed == (2 if failing else False) and len(hosts) == listed and failed_hosts == sorted(failing))
        return row, changed


def inventory_list(name, source, env, out=BENCH):
    """ansible-inventory -i SOURCE --list: (seconds, peak MiB, listing); stdout to OUT/NAME.json, stderr to OUT/NAME.log."""
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', source, '--list']
    json_path, log_path = os.path.join(out, name + '.json'), os.path.join(out, name + '.log')
    print('  %-16s ansible-inventory -i %s --list > %s' % (name, os.path.relpath(source, REPO), os.path.relpath(json_path, REPO)),
          flush=True)
    with open(json_path, 'wb') as stdout, open(log_path, 'wb') as err:
        seconds, rc, peak = timed(cmd, env, out, stdout, err)
    print('  %-16s %.2f s, exit %d' % ('', seconds, rc), flush=True)
    if rc != 0:
        raise RuntimeError('%s failed (exit %d); see %s' % (name, rc, log_path))
    with open(json_path, encoding='utf-8') as handle:
        return seconds, peak, json.load(handle)


def members(listing, group):
    return set(listing.get(group, {}).get('hosts', []))


def read_fleet(steps, env, fleet, budget):
    """Step 1: the inventory plugin, cold and with its cache. Returns the plugin source without cache."""
    source = os.path.join(BENCH, 'fleet.tenants.yml')
    cached = os.path.join(BENCH, 'cached.tenants.yml')
    cache_dir = os.path.join(BENCH, 'inventory-cache')
    shutil.rmtree(cache_dir, ignore_errors=True)
    write(source, yaml.safe_dump({'plugin': 'thingsstack.tenancy.tenants', 'tbs_plans': [SMALL]}))
    write(
        cached,
        yaml.safe_dump({
            'plugin': 'thingsstack.tenancy.tenants', 'tbs_plans': [SMALL], 'cache': True, 'cache_plugin': 'ansible.builtin.jsonfile',
            'cache_connection': cache_dir, 'cache_timeout': 3600
        }))
    every = set(fleet['billing']) | set(fleet['direct'])
    for label, name, path, expected in (('inventory, cold (no cache)', 'inventory-cold', source,
                                         budget), ('inventory, cache filled', 'inventory-fill', cached, budget),
                                        ('inventory, cached', 'inventory-cached', cached, {'stripe': 0, 'tts': 0})):
        seconds, peak, listing = inventory_list(name, path, env)
        row = steps.record(label, seconds, peak)
        got = {service: (row['counts'][service]['reads'], row['counts'][service]['writes']) for service in expected}
        steps.check('%s: requests (reads, writes) %s == %s' % (name, got, {service: (reads, 0)
                                                                           for service, reads in expected.items()}),
                    got == {service: (reads, 0)
                            for service, reads in expected.items()})
        groups = {group: members(listing, group) for group in MISMATCH_GROUPS}
        steps.check(
            '%s: %d hosts, the %d direct tenants the only mismatch (orphan_tenants)' % (name, len(every), DIRECT),
            set(listing['_meta']['hostvars']) == every
            and groups == dict(dict.fromkeys(MISMATCH_GROUPS, set()), orphan_tenants=set(fleet['direct'])))
        row['groups'] = {group: len(hosts) for group, hosts in groups.items()}
        row['groups'].update({group: len(members(listing, group)) for group in ('provisioning_billing', 'provisioning_direct')})
    return source


def export_and_audit(steps, env, forks, fleet, source, budget):
    """Steps 2 and 3: export every live tenant, then audit the export. Returns the exported inventory directory."""
    exported = os.path.join(BENCH, 'exported')
    shutil.rmtree(exported, ignore_errors=True)
    row, dummy = steps.play('export.yml, every live tenant', 'export', EXPORT, source, env, forks,
                            ['-e', 'export_inventory_dir=' + exported, '-e', 'export_overwrite=true'], listed=1)
    row['changed'] = '-'  # run_once (the recap lists the first host): writes files, nothing in the services
    with open(os.path.join(exported, 'hosts.yml'), encoding='utf-8') as handle:
        declared = yaml.safe_load(handle)['all']['children']['tenants']['children']
    billing, direct = (declared[group]['hosts'] or {} for group in ('billing_tenants', 'direct_tenants'))
    adopted = sorted(host for host, values in direct.items() if (values or {}).get('tenant_adopt') is False)
    print('  exported: %d billing_tenants, %d direct_tenants, adoption proposed: %s' % (len(billing), len(direct), ', '.join(adopted)))
    steps.check('export: one fleet read (the budget), nothing written',
                {service: (row['counts'][service]['reads'], row['counts'][service]['writes'])
                 for service in budget} == {service: (reads, 0)
                                            for service, reads in budget.items()})
    steps.check('export: %d billing tenants, the %d direct ones proposed (tenant_adopt: false)' % (len(fleet['billing']), DIRECT),
                set(billing) == set(fleet['billing']) and set(direct) == set(adopted) == set(fleet['direct']))

    # The 5 tenants to adopt are refused (tenant_not_managed): the audit reports them as errors and ends failed.
    report = audit_play(steps, 'audit.yml of the export', 'audit', exported, env, forks, os.path.join(BENCH, 'audit-report'),
                        failing=fleet['direct'])
    row = steps.rows[-1]
    steps.check('audit: nothing written', not row['counts']['stripe']['writes'] and not row['counts']['tts']['writes'])
    steps.check('audit: every tenant in sync but the %d to adopt (their billing link and derived fields)' % DIRECT,
                row['drifted'] == sorted(fleet['direct']))
    fleet_section = report['fleet'] or {}
    steps.check(
        'audit: fleet read, no undeclared tenant, orphan_tenants == the %d direct tenants only' % DIRECT,
        fleet_section.get('error') is None and not fleet_section.get('undeclared')
        and fleet_section.get('mismatches') == dict(dict.fromkeys(MISMATCH_GROUPS, []), orphan_tenants=sorted(fleet['direct'])))
    return exported


def provision_twice(steps, env, forks, fleet, exported):
    """Step 4: confirm the proposed adoptions, provision the export; the first run adopts the direct tenants (one TTS
    write each), the second writes nothing."""
    hosts_yml = os.path.join(exported, 'hosts.yml')
    with open(hosts_yml, encoding='utf-8') as handle:
        text = handle.read()
    with open(hosts_yml, 'w', encoding='utf-8') as handle:
        handle.write(text.replace('tenant_adopt: false', 'tenant_adopt: true'))
    row, changed = steps.play('provision.yml, 1st (adopts %d)' % DIRECT, 'provision-1', PROVISION, exported, env, forks)
    writes = {service: row['counts'][service]['writes'] for service in ('stripe', 'tts')}
    steps.check('provision 1st: changed only the %d adopted tenants, writes %s == stripe 0, tts %d' % (DIRECT, writes, DIRECT),
                changed == sorted(fleet['direct']) and writes == {'stripe': 0, 'tts': DIRECT})
    with open(hosts_yml, 'w', encoding='utf-8') as handle:  # adopted: tenant_adopt comes out again, as the export says
        handle.write(re.sub(r'^[ \t]*tenant_adopt: false\n', '', text, flags=re.M))
    row, changed = steps.play('provision.yml, 2nd', 'provision-2', PROVISION, exported, env, forks)
    writes = {service: row['counts'][service]['writes'] for service in ('stripe', 'tts')}
    steps.check('provision 2nd: changed=0, writes %s == 0 on both emulators' % writes, not changed and writes == {'stripe': 0, 'tts': 0})


def audit_converged(steps, env, forks, fleet, exported, bases):
    """Steps 5 and 6: the audit of the converged fleet within the request goal, then with 10 drifted customers."""
    hosts = steps.hosts
    # This benchmark's fresh emulators hold only its fleet: one customer, one subscription and one tenant a host.
    subscriptions = customers = tenants = hosts
    usage_batches = math.ceil(hosts / 100)
    goal = math.ceil(subscriptions / 100) + math.ceil(customers / 100) + math.ceil(tenants / 1000) + 10 + usage_batches
    report_dir = os.path.join(BENCH, 'audit-converged')
    report = audit_play(steps, 'audit.yml, converged', 'audit-converged', exported, env, forks, report_dir)
    row = steps.rows[-1]
    spent = row['counts']['stripe']['total'] + row['counts']['tts']['total']
    print('  audit goal: ceil(S/100) + ceil(C/100) + ceil(T/1000) + 10 + usage ceil(H/100) = %d requests (S=%d, C=%d, T=%d, '
          'H=%d); spent %d' % (goal, subscriptions, customers, tenants, hosts, spent))
    steps.check('audit converged: %d requests <= goal %d' % (spent, goal), spent <= goal)
    steps.check(
        'audit converged: every tenant in sync, nothing written, usage of every tenant', row['drifted'] == []
        and not row['counts']['stripe']['writes'] and not row['counts']['tts']['writes']
        and report['usage'] == dict(report['usage'], error=None) and all(tenant['usage'] and 'end_devices' in tenant['usage']
                                                                         for tenant in report['tenants']))

    with open(os.path.join(exported, 'hosts.yml'), encoding='utf-8') as handle:
        declared = yaml.safe_load(handle)['all']['children']['tenants']['children']['billing_tenants']['hosts']
    drifted = sorted(fleet['billing'])[1::max(1, len(fleet['billing']) // 10)][:10]
    client = stripe.StripeClient(env['STRIPE_API_KEY'], base_addresses={'api': env['STRIPE_API_BASE']})
    for tenant_id in drifted:
        client.v1.customers.update(declared[tenant_id]['tenant_customer_id'], params={'name': 'Drifted %s' % tenant_id})
    clear(bases)
    report = audit_play(steps, 'audit.yml, %d drifted' % len(drifted), 'audit-drifted', exported, env, forks,
                        os.path.join(BENCH, 'audit-drifted'))
    row = steps.rows[-1]
    diffs = {tenant['tenant_id']: tenant['drift'] for tenant in report['tenants'] if tenant['drift']}
    steps.check(
        'audit drifted: exactly the %d drifted tenants, each with its customer name in the diff, nothing written' % len(drifted),
        sorted(diffs) == drifted and not row['counts']['stripe']['writes'] and not row['counts']['tts']['writes']
        and all(any(d['resource'] == 'customer' and 'name' in d['fields'] for d in diff) for diff in diffs.values()))


def audit_play(steps, label, name, exported, env, forks, report_dir, failing=()):
    """One measured audit.yml run: its report, with the drifted or failed tenants in the row."""
    shutil.rmtree(report_dir, ignore_errors=True)
    row, dummy = steps.play(label, name, AUDIT, exported, env, forks, ['-e', 'audit_report_dir=' + report_dir], failing=failing)
    with open(os.path.join(report_dir, 'tenants.json'), encoding='utf-8') as handle:
        report = json.load(handle)
    row['summary'] = report['summary']
    row['drifted'] = sorted(tenant['tenant_id'] for tenant in report['tenants'] if tenant['drift'] or tenant['error'])
    print('  %s summary: %s; drifted or failed: %s' %
          (name, json.dumps(report['summary'], sort_keys=True), ', '.join(row['drifted']) or '-'))
    return report


def report(steps, tenants, forks, setup_s):
    hosts = steps.hosts
    print()
    print('bench-fleet results: %d tenants made in the Dashboard (TBS) + %d made directly in TTS = %d hosts, %d forks '
          '(wall clock; requests from the emulators\' counters; setup %.1f s, not measured)' % (tenants, DIRECT, hosts, forks, setup_s))
    head = ('step', 'wall s', 'peak MiB', 'changed', 'stripe r/w', 'tts r/w', 'per tenant: stripe r/w', 'tts r/w', 'all')
    print('  %-32s %8s %8s %7s %11s %9s %23s %13s %6s' % head)
    for row in steps.rows:
        counts, pt = row['counts'], row['per_tenant']
        print('  %-32s %8.2f %8.0f %7s %11s %9s %23s %13s %6.2f' % (row['label'], row['seconds'], row['peak'], row['changed'], '%d/%d' %
                                                                    (counts['stripe']['reads'], counts['stripe']['writes']), '%d/%d' %
                                                                    (counts['tts']['reads'], counts['tts']['writes']), '%.3f/%.3f' %
                                                                    (pt['stripe']['reads'], pt['stripe']['writes']), '%.3f/%.3f' %
                                                                    (pt['tts']['reads'], pt['tts']['writes']), pt['all']['total']))
    for row in steps.rows:
        extra = ' groups %s' % json.dumps(row['groups'], sort_keys=True) if 'groups' in row else ''
        extra += ' summary %s' % json.dumps(row['summary'], sort_keys=True) if 'summary' in row else ''
        webhooks = sum(row['counts'][service].get('webhooks', 0) for service in row['counts'])
        print('  %-32s %s%s%s' % (row['label'], ', '.join('%s %d' % kv for kv in row['endpoints'].items())
                                  or 'no request', '; TBS webhooks %d' % webhooks if webhooks else '', extra))
    width = max(len(label) for label, dummy in steps.checks)
    for label, ok in steps.checks:
        print('  check %-*s %s' % (width, label, 'met' if ok else 'MISSED'))


def main():
    tenants = int(os.environ.get('BENCH_FLEET_TENANTS', '1000'))
    forks = int(os.environ.get('BENCH_FORKS', '5'))
    hosts = tenants + DIRECT
    os.makedirs(BENCH, exist_ok=True)
    link_collection(COLLECTIONS)
    env = ansible_env()
    print('bench-fleet: %d tenants made by hand + %d direct, %d forks, ansible-playbook from %s' %
          (tenants, DIRECT, forks, os.path.dirname(sys.executable)))
    print('bench-fleet: starting the Stripe and TTS emulators', flush=True)
    state = start_emulators(EMU_STATE, 'stripe', 'tts')
    try:
        env.update(state)
        bases = emulator_bases(state)
        print('bench-fleet: 0. the catalog, the TBS on for %s, and the fleet made by hand (not measured)' % SMALL, flush=True)
        catalog(BENCH, env, forks)
        subprocess.run([sys.executable, TBS_SETUP, '--plan', SMALL], env=env, check=True)
        start = time.monotonic()
        fleet = make_fleet(env, bases, tenants)
        created = wait_for_tbs(bases, fleet, 120 + tenants)
        setup_s = time.monotonic() - start
        print(
            '  %d customers and subscriptions through the stripe SDK, %d tenants created by the TBS, %d made in TTS: %.1f s' %
            (hosts, created, DIRECT, setup_s), flush=True)
        # The budget of a fleet read: S subscriptions in the account (any status), T tenants.
        budget = {'stripe': max(1, math.ceil(hosts / 100)), 'tts': max(1, math.ceil(hosts / 1000))}
        clear(bases)
        steps = Steps(bases, hosts)
        print('bench-fleet: 1. ansible-inventory --list: cold, then with the inventory cache (filled, then cached)', flush=True)
        source = read_fleet(steps, env, fleet, budget)
        print('bench-fleet: 2. export.yml of every live tenant, 3. audit.yml of the export', flush=True)
        exported = export_and_audit(steps, env, forks, fleet, source, budget)
        print('bench-fleet: 4. provision.yml of the export, twice (the 1st adopts the %d direct tenants)' % DIRECT, flush=True)
        provision_twice(steps, env, forks, fleet, exported)
        print('bench-fleet: 5. audit.yml of the converged fleet, 6. the same with 10 drifted customers', flush=True)
        audit_converged(steps, env, forks, fleet, exported, bases)
    finally:
        stop_emulators(EMU_STATE)
    report(steps, tenants, forks, setup_s)
    if not all(ok for dummy, ok in steps.checks):
        print('bench-fleet: a check was missed', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    run(main, 'bench-fleet', (stripe.StripeError, ))
