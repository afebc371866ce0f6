"""Requests of usage reporting at scale: the reporter (playbooks/report_usage.yml) and the inventory plugin's usage option.

Run with the harness venv's python (tests/benchmark/bench_usage.sh does that):
  BENCH_USAGE_TENANTS=1000 python tests/benchmark/bench_usage.py

It starts the Stripe and TTS emulators and makes, not measured, straight through their APIs (not through the role): a
summing Billing Meter, a meter-backed metered price and a licensed price, and BENCH_USAGE_TENANTS tenants (default
1000, use-0001, ...), each with its own customer and a subscription carrying its tenant-id, and a tenant in The Things
Stack with max_end_devices 100 and a count of end devices in its registry. Every tenth tenant is on the licensed price
(nothing to report); of the others every 25th is suspended (not billed: skipped). Then it measures, with the
emulators' request logs cleared before each step:
  1. ansible-inventory --list on a thingsstack.tenancy.tenants source, without and with usage: true (and a group
     near_limit); the option must cost exactly ceil(T/100) batch registry-totals requests on top of the other listing,
     and near_limit must hold exactly the tenants at 90 or more of 100 end devices;
  2. report_usage.yml: its bulk reads (ceil(S/100) subscription pages, ceil(M/100) meter pages, twice ceil(T/1000)
     tenant pages and ceil(T/100) registry-totals batches) plus one meter event per metered billed tenant, and
     nothing else;
  3. report_usage.yml again in the same period: the same requests, no event counted again (the meter's summaries).
It prints the requests by service and endpoint and the checks. A missed request goal is an error (exit 2): requests
are correctness, the same on any machine. Wall times are only reported. Output goes to build/bench-usage/.
"""

import math
import os
import sys
import time

import stripe
import yaml

from bench import (  # same folder: the helpers the benchmarks share
    BUILD, COLLECTIONS, REPO, ansible_env, clear, control, link_collection, play, run, start_emulators, stop_emulators, write)
from bench_fleet import endpoints, inventory_list

BENCH = os.path.join(BUILD, 'bench-usage')
EMU_STATE = os.path.join(BENCH, 'emulators')
REPORT = os.path.join(REPO, 'playbooks', 'report_usage.yml')
EVENT_NAME = 'tts_bench_end_devices'
LIMIT = 100
PERIOD = '2026120714'
TOTALS = 'POST /api/v3/tenants/registry-totals'


def plan(number):
    """'licensed', 'suspended' (metered, not billed) or 'metered' for tenant ``number``."""
    if number % 10 == 0:
        return 'licensed'
    return 'suspended' if number % 25 == 1 else 'metered'


def devices(number):
    return (number * 7) % (LIMIT + 1)


def make_fleet(env, bases, tenants):
    """The tenants, straight through the APIs: {tenant ID: (number, customer ID)}; and the meter's ID."""
    client = stripe.StripeClient(env['STRIPE_API_KEY'], base_addresses={'api': env['STRIPE_API_BASE']})
    meter = client.v1.billing.meters.create(
        params={'event_name': EVENT_NAME, 'display_name': 'Bench end devices', 'default_aggregation': {'formula': 'sum'}})
    product = client.v1.products.create(params={'id': 'tts-bench-usage', 'name': 'Bench usage'})
    prices = {
        'metered':
        client.v1.prices.create(
            params={
                'product': product.id, 'currency': 'eur', 'unit_amount': 50, 'recurring':
                {'interval': 'month', 'usage_type': 'metered', 'meter': meter.id}
            }).id
    }
    prices['licensed'] = client.v1.prices.create(
        params={'product': product.id, 'currency': 'eur', 'unit_amount': 1000, 'recurring': {'interval': 'month'}}).id
    auth = {'Authorization': 'TenantAdminKey ' + env['TTS_TENANT_ADMIN_KEY']}
    fleet = {}
    width = max(4, len(str(tenants)))
    for number in range(1, tenants + 1):
        tenant_id = 'use-%0*d' % (width, number)
        customer = client.v1.customers.create(params={'email': 'billing@%s.example' % tenant_id, 'name': 'Customer ' + tenant_id})
        client.v1.subscriptions.create(
            params={
                'customer': customer.id, 'items': [{'price': prices['licensed' if plan(number) == 'licensed' else 'metered']}],
                'collection_method': 'send_invoice', 'days_until_due': 30, 'metadata': {'tenant-id': tenant_id}
            })
        control(
            bases['tts'], 'POST', '/api/v3/tenants', {
                'tenant': {
                    'ids': {'tenant_id': tenant_id}, 'name': 'Usage ' + tenant_id, 'max_end_devices': str(LIMIT), 'state':
                    'STATE_SUSPENDED' if plan(number) == 'suspended' else 'STATE_APPROVED'
                }
            }, auth)
        control(bases['tts'], 'POST', '/_emulator/tenants/%s/registry' % tenant_id, {'end_devices': devices(number)})
        fleet[tenant_id] = (number, customer.id)
    return fleet, meter.id


def summed_usage(env, meter_id, fleet):
    """The meter's aggregated value over every customer of the metered billed tenants (not measured)."""
    client = stripe.StripeClient(env['STRIPE_API_KEY'], base_addresses={'api': env['STRIPE_API_BASE']})
    start = int(time.time()) // 60 * 60 - 3600
    total = 0.0
    for number, customer in fleet.values():
        if plan(number) == 'metered':
            page = client.v1.billing.meters.event_summaries.list(
                meter_id, params={'customer': customer, 'start_time': start, 'end_time': start + 7200})
            total += sum(summary.aggregated_value for summary in page.data)
    return total


def step(bases, rows, label):
    """The requests of the step just run, by endpoint; the logs cleared for the next one."""
    rows[label] = endpoints(bases)
    clear(bases)
    return rows[label]


def only(counts, prefix):
    return {endpoint: n for endpoint, n in counts.items() if endpoint.startswith(prefix)}


def main():  # pylint: disable=too-many-locals
    tenants = int(os.environ.get('BENCH_USAGE_TENANTS', '1000'))
    os.makedirs(BENCH, exist_ok=True)
    link_collection(COLLECTIONS)
    env = ansible_env()
    localhost = os.path.join(BENCH, 'localhost.yml')
    write(
        localhost, '---\nall:\n  hosts:\n    localhost:\n      ansible_connection: local\n'
        '      ansible_python_interpreter: "{{ ansible_playbook_python }}"\n')
    plain, usage = os.path.join(BENCH, 'plain.tenants.yml'), os.path.join(BENCH, 'usage.tenants.yml')
    write(plain, yaml.safe_dump({'plugin': 'thingsstack.tenancy.tenants'}))
    write(
        usage,
        yaml.safe_dump({
            'plugin': 'thingsstack.tenancy.tenants', 'usage': True, 'groups':
            {'near_limit': '(tenant_usage.max_ratio | default(0, true)) >= 0.9'}
        }))
    rows, seconds = {}, {}
    print('bench-usage: %d tenants, ansible-playbook from %s' % (tenants, os.path.dirname(sys.executable)))
    state = start_emulators(EMU_STATE, 'stripe', 'tts')
    try:
        env.update(state)
        bases = {'stripe': state['STRIPE_API_BASE'], 'tts': state['TTS_URL']}
        print('bench-usage: 0. the meter, the prices and %d tenants, straight through the APIs (not measured)' % tenants, flush=True)
        fleet, meter_id = make_fleet(env, bases, tenants)
        clear(bases)
        print('bench-usage: 1. ansible-inventory --list, without and with usage: true', flush=True)
        seconds['inventory'], dummy, dummy = inventory_list('inventory-plain', plain, env, BENCH)
        step(bases, rows, 'inventory')
        seconds['inventory, usage: true'], dummy, listing = inventory_list('inventory-usage', usage, env, BENCH)
        step(bases, rows, 'inventory, usage: true')
        print('bench-usage: 2. report_usage.yml (period %s), then 3. again in the same period' % PERIOD, flush=True)
        seconds['report_usage.yml'], dummy = play(BENCH, 'report-1', REPORT, localhost, env, 1, ['-e', 'usage_period=' + PERIOD])
        step(bases, rows, 'report_usage.yml')
        seconds['report_usage.yml again'], dummy = play(BENCH, 'report-2', REPORT, localhost, env, 1, ['-e', 'usage_period=' + PERIOD])
        step(bases, rows, 'report_usage.yml again')
        counted = summed_usage(env, meter_id, fleet)
    finally:
        stop_emulators(EMU_STATE)

    metered = [tenant_id for tenant_id, (number, dummy) in fleet.items() if plan(number) == 'metered']
    batches = math.ceil(tenants / 100)
    tenant_pages = max(1, math.ceil(tenants / 1000))
    bulk = {
        'stripe GET /v1/subscriptions': max(1, math.ceil(tenants / 100)), 'stripe GET /v1/billing/meters': 1, 'tts GET /api/v3/tenants':
        2 * tenant_pages, 'tts ' + TOTALS: batches
    }
    expected_report = dict(bulk, **{'stripe POST /v1/billing/meter_events': len(metered)})
    plain_counts, usage_counts = rows['inventory'], rows['inventory, usage: true']
    near = {tenant_id for tenant_id, (number, dummy) in fleet.items() if devices(number) >= 0.9 * LIMIT}
    expected_sum = float(sum(devices(fleet[tenant_id][0]) for tenant_id in metered))
    checks = [
        ('inventory, usage: true = the plain listing + %d registry-totals batches' % batches,
         usage_counts == dict(plain_counts, **{'tts ' + TOTALS: batches})),
        ('inventory, usage: true: near_limit holds the %d tenants at 90 %% or more' % len(near),
         set(listing.get('near_limit', {}).get('hosts', [])) == near),
        ('report: bulk reads + %d meter events (one per metered billed tenant), nothing else' % len(metered),
         rows['report_usage.yml'] == expected_report),
        ('report again: the same requests', rows['report_usage.yml again'] == expected_report),
        ('the meter counted each tenant once: %d end devices' % expected_sum, counted == expected_sum),
    ]
    print()
    print('bench-usage results: %d tenants (%d metered and billed, %d suspended, %d licensed), 1 meter; wall clock reported only' %
          (tenants, len(metered), sum(
              1 for n, dummy in fleet.values() if plan(n) == 'suspended'), sum(1 for n, dummy in fleet.values() if plan(n) == 'licensed')))
    for label, counts in rows.items():
        print('  %-28s %7.2f s  stripe %d requests, tts %d requests' %
              (label, seconds[label], sum(only(counts, 'stripe ').values()), sum(only(counts, 'tts ').values())))
        for endpoint, count in counts.items():
            print('      %-52s %d' % (endpoint, count))
    for label, ok in checks:
        print('  goal %-78s %s' % (label, 'met' if ok else 'MISSED'))
    if not all(ok for dummy, ok in checks):
        print('bench-usage: a request goal was missed', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    run(main, 'bench-usage')
