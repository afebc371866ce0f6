"""The usage reporter playbooks/report_usage.yml on a metered plan, end to end (issue 24, section 3).

A meter, a meter-backed price marked as a TBS recurring plan, a billing-mode tenant on it provisioned by the role, devices
in its registry, and the reporter run twice in one period: Stripe counts the devices once. Live, the devices are those
the real tenant has (a new one: none), and the counter assertions are skipped.
"""

import math
import time

from conftest import DEFAULT_TBS_PLAN, local_inventory, recap
from test_inventory_plugin import stripe, tts
from test_tbs_plans import run_play

import requests

DEVICES = 7
LOCAL = {'all': {'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}}


def catalog_play(event_name, lookup_key, state='present'):
    tasks = [{
        'name': 'Ensure the meter', 'thingsstack.tenancy.stripe_meter': {
            'event_name': event_name, 'display_name': 'Registered end devices (usage report test)', 'default_aggregation':
            {'formula': 'sum'}, 'state': state
        }
    }]
    price = {
        'name': 'Ensure the metered price', 'thingsstack.tenancy.stripe_price': {
            'lookup_key': lookup_key, 'product': 'tts-enterprise', 'currency': 'eur', 'unit_amount': 50, 'recurring':
            {'interval': 'month', 'usage_type': 'metered', 'meter':
             event_name}, 'tbs_plan': 'recurring', 'tenant_limits': {'end_devices': 100}, 'state': state
        }
    }
    return [{
        'name': 'A metered plan', 'hosts': 'localhost', 'gather_facts': False, 'tasks':
        tasks + [price] if state == 'present' else [price] + tasks
    }]


def listed(services, path, **params):
    """Every object of a Stripe list (all pages)."""
    items, params = [], dict(params, limit=100)
    while True:
        page = stripe(services, 'GET', path, **params)
        items += page['data']
        if not page['has_more']:
            return items
        params['starting_after'] = page['data'][-1]['id']


def test_the_reporter_counts_a_metered_tenant_once_per_period(services):
    tenant = services.tenant_id('usage')
    event_name = f"tts_devices_{services.run_id}"
    lookup_key = f"tts-metered-{services.run_id}"
    run_play(services, catalog_play(event_name, lookup_key), f'metered-{tenant}.yml')
    try:
        services.tbs(DEFAULT_TBS_PLAN, lookup_key)
        inventory = local_inventory({tenant: {'tenant_customer': {'email': services.email(tenant)}}}, tenant_provisioning='billing',
                                    tenant_wait_timeout=60,
                                    tenant_plan={'price': lookup_key, 'collection_method': 'send_invoice', 'days_until_due': 30})
        provisioned = services.playbook('provision', inventory)
        assert provisioned.rc == 0, provisioned.output
        assert recap(provisioned.output)[tenant]['failed'] == 0
        if not services.live:
            response = requests.post(f"{services.bases['tts']}/_emulator/tenants/{tenant}/registry",
                                     json={'end_devices': DEVICES, 'gateways': 2}, timeout=30)
            assert response.status_code == 200, response.text
        totals = tts(services, 'GET', f'/tenants/{tenant}/registry-totals', field_mask='end_devices')
        assert totals.status_code == 200, totals.text
        devices = int(totals.json().get('end_devices') or 0)
        assert services.live or devices == DEVICES

        subscriptions = listed(services, '/v1/subscriptions')
        customer = next(sub['customer'] for sub in subscriptions if sub['metadata'].get('tenant-id') == tenant)
        meters = listed(services, '/v1/billing/meters', status='active')
        meter = next(meter['id'] for meter in meters if meter['event_name'] == event_name)
        tenants = int(tts(services, 'GET', '/tenants', limit=1, field_mask='name').headers['X-Total-Count'])
        start = int(time.time()) // 60 * 60 - 60
        period = time.strftime('%Y%m%d%H', time.gmtime())

        for run in (1, 2):
            services.clear_counters()
            report = services.playbook('report_usage', LOCAL, extra_vars={'usage_period': period})
            assert report.rc == 0, report.output
            assert f"{tenant}: {devices} end_devices" in report.output
            counts = services.counters()
            if counts is not None:
                # Bulk reads only (subscriptions, meters; tenants twice and their totals), and one event per tenant.
                events = sum(1 for sub in subscriptions if sub['metadata'].get('tenant-id') and any(
                    (item['price'].get('recurring') or {}).get('meter') for item in sub['items']['data']))
                assert counts['stripe']['writes'] == events, counts
                assert counts['stripe']['reads'] == (max(1, math.ceil(len(subscriptions) / 100)) +
                                                     max(1, math.ceil(len(meters) / 100))), counts
                assert counts['tts'] == dict(counts['tts'], writes=0,
                                             reads=2 * max(1, math.ceil(tenants / 1000)) + math.ceil(tenants / 100)), counts
            assert ('already_counted' in report.output) and (tenant in report.output.split('"already_counted"')[1].split(']')[0]) == (run
                                                                                                                                      == 2)
            assert recap(report.output)['localhost']['changed'] == (1 if run == 1 else 0)

        end = (int(time.time()) // 60 + 2) * 60
        summaries = stripe(services, 'GET', f'/v1/billing/meters/{meter}/event_summaries', customer=customer, start_time=start,
                           end_time=end)['data']
        assert sum(summary['aggregated_value'] for summary in summaries) == devices, summaries
    finally:
        services.tbs(DEFAULT_TBS_PLAN)
        run_play(services, catalog_play(event_name, lookup_key, state='absent'), f'retire-{tenant}.yml')
