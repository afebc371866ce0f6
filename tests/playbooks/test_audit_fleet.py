"""The audit finds what is not declared (issue 10, point 2): thingsstack.tenancy.audit reads the live fleet once per run,
in the role's own bulk read (issue 25: one list of the subscriptions, one of the tenants, for the comparison and the
fleet), with the usage of the audited tenants by the registry totals batch call only (issue 24), and reports the
tenants and subscriptions that exist but are not declared and the mismatch groups, in its JSON and Markdown report and
as the set_stats artifact tenant_audit; the reports of two
AWX-style slices (each with an inventory of its own hosts only) combine into the report of the whole inventory.

The services may hold other tenants (real services, other tests): assertions look at this run's IDs only.
"""

import glob
import json
import math
import os

import requests

from conftest import OUT, emulators, local_inventory
from test_inventory_plugin import (ADMIN_PASSWORD, LARGE, SMALL, create_in_tts, fleet_size, price, stripe, subscribe_in_the_dashboard,
                                   wait_for_tenant)

LOCALHOST = {
    'all': {'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}
}
PLAN = {'price': LARGE, 'collection_method': 'send_invoice', 'days_until_due': 30}


def declaration(services, *tenants):
    return local_inventory({tenant: {'tenant_customer': {'email': services.email(tenant), 'name': 'Declared'}}
                            for tenant in tenants}, tenant_provisioning='direct', tenant_plan=PLAN)


def audit(services, inventory, report_dir, **extra_vars):
    result = services.playbook('audit', inventory, extra_vars=dict(extra_vars, audit_report_dir=report_dir),
                               env={'ANSIBLE_SHOW_CUSTOM_STATS': '1'})
    name = extra_vars.get('audit_report_name', 'tenants')
    with open(os.path.join(report_dir, f'{name}.json'), encoding='utf-8') as handle:
        report = json.load(handle)
    with open(os.path.join(report_dir, f'{name}.md'), encoding='utf-8') as handle:
        markdown = handle.read()
    return result, report, markdown


def artifact(output):
    """The set_stats data of the run, as the default callback shows it (ANSIBLE_SHOW_CUSTOM_STATS=1)."""
    line = next(line for line in output.splitlines() if line.strip().startswith('RUN: '))
    return json.loads(line.split('RUN: ', 1)[1])


def bulk_requests(services):
    """The requests of the last runs that read in bulk: the status of each Stripe subscription list not of one customer,
    the TTS tenant lists, the registry totals batch calls, and the registry totals reads of one tenant."""
    stripe_log, tts_log = (emulators.control(services.bases[name], 'GET', '/_emulator/requests')['requests'] for name in ('stripe', 'tts'))
    return {
        'subscriptions': [
            entry['query'].get('status') for entry in stripe_log
            if entry['method'] == 'GET' and entry['path'] == '/v1/subscriptions' and 'customer' not in entry['query']
        ], 'tenants':
        sum(1 for entry in tts_log if entry['method'] == 'GET' and entry['path'] == '/api/v3/tenants'), 'batch':
        sum(1 for entry in tts_log if entry['method'] == 'POST' and entry['path'] == '/api/v3/tenants/registry-totals'), 'one':
        sum(1 for entry in tts_log if entry['method'] == 'GET' and entry['path'].endswith('/registry-totals'))
    }


def ours(services, ids, prefix='aud'):
    """The tenant IDs that this test made (services.tenant_id(prefix...)), of IDs that may hold any other."""
    return sorted(tenant_id for tenant_id in ids if tenant_id.startswith(prefix) and f'-{services.run_id}-' in tenant_id)


def test_the_audit_reports_the_undeclared_fleet_and_the_mismatches_within_the_budget(services):
    declared = [services.tenant_id('aud') for dummy in range(2)]
    assert services.playbook('provision', declaration(services, *declared)).rc == 0
    made = {name: services.tenant_id(f'aud{name}') for name in ('tbs', 'hand', 'orphan', 'moved', 'dup')}
    subs = {}
    # Through the Dashboard, and the Tenant Billing Server makes the tenant: a tenant and a subscription not declared.
    subs['tbs'] = subscribe_in_the_dashboard(services, made['tbs'], SMALL, **{'admin-password': ADMIN_PASSWORD})[1]['id']
    wait_for_tenant(services, made['tbs'])
    create_in_tts(services, made['hand'], 'Made by hand')  # orphan_tenants
    subs['orphan'] = subscribe_in_the_dashboard(services, made['orphan'], LARGE)[1]['id']  # orphan_subscriptions
    customer, sub = subscribe_in_the_dashboard(services, made['moved'], LARGE)
    subs['moved'] = sub['id']
    create_in_tts(
        services,
        made['moved'],
        'Another owner',
        billing={  # owner_mismatch
            'customer_id': 'cus_someoneelse', 'subscription_id': sub['id'], 'plan_id': sub['items']['data'][0]['price']['id'],
            'subscription_item_id': sub['items']['data'][0]['id']
        })
    assert customer['id'] != 'cus_someoneelse'
    subs['dup'] = [subscribe_in_the_dashboard(services, made['dup'], LARGE)[1]['id'] for dummy in range(2)]  # duplicate

    if not services.live:  # devices in the registry of the first declared tenant (live: whatever it has)
        response = requests.post(f"{services.bases['tts']}/_emulator/tenants/{declared[0]}/registry",
                                 json={'end_devices': 950, 'gateways': 3}, timeout=30)
        assert response.status_code == 200, response.text

    subscriptions, tenants = fleet_size(services)
    report_dir = os.path.join(OUT, 'tmp', f'audit-fleet-{services.run_id}')
    services.clear_counters()
    without, report_without, markdown_without = audit(services, declaration(services, *declared), report_dir + '-off', audit_fleet=False,
                                                      audit_usage='no')
    bulk_without = None if services.live else bulk_requests(services)
    services.clear_counters()
    result, report, markdown = audit(services, declaration(services, *declared), report_dir)
    counts = services.counters()
    assert without.rc == 0 and result.rc == 0, result.output

    if counts is not None:
        # One read for the role's comparison, the fleet and the usage: the subscriptions of every status and the tenants
        # listed once each (max(1, ceil(S/100)) and max(1, ceil(T/1000)) requests), the usage by the batch call only.
        assert bulk_requests(services) == {
            'subscriptions': ['all'] * max(1, math.ceil(subscriptions / 100)), 'tenants': max(1, math.ceil(tenants / 1000)), 'batch': 1,
            'one': 0
        }, counts
        assert 'all' not in bulk_without['subscriptions'] and bulk_without['batch'] == bulk_without['one'] == 0
        assert counts['stripe']['writes'] == counts['tts']['writes'] == 0, counts

    # The usage of the declared tenants, against the large plan's limits (end devices 20,000, gateways 250).
    usage = {tenant['tenant_id']: tenant['usage'] for tenant in report['tenants']}
    assert report['usage'] == {
        'kinds': ['applications', 'clients', 'end_devices', 'activated_end_devices', 'gateways', 'organizations', 'users'], 'error': None
    }
    assert usage[declared[0]]['gateways']['limit'] == 250 and usage[declared[0]]['end_devices']['limit'] == 20000
    if not services.live:
        assert usage[declared[0]]['end_devices'] == {'used': 950, 'limit': 20000, 'ratio': 0.0475}
        assert usage[declared[0]]['gateways'] == {'used': 3, 'limit': 250, 'ratio': 0.012}
        assert usage[declared[1]]['end_devices'] == {'used': 0, 'limit': 20000, 'ratio': 0.0}
        row = next(line for line in markdown.splitlines() if line.startswith(f'| {declared[0]} |'))
        assert 'end devices 950/20,000' in row and 'gateways 3/250' in row, row
    assert report_without['usage'] is None and all(tenant['usage'] is None for tenant in report_without['tenants'])
    assert 'Usage: not read (`audit_usage: false`).' in markdown_without

    # The declared tenants: as before, and the same with and without the fleet.
    assert report['summary']['tenants'] == 2 and report['summary']['in_sync'] == 2, report['tenants']
    assert [dict(tenant, usage=None) for tenant in report['tenants']] == report_without['tenants'] and report_without['fleet'] is None
    assert 'Not read (`audit_fleet: false`).' in open(os.path.join(report_dir + '-off', 'tenants.md'), encoding='utf-8').read()

    fleet = report['fleet']
    assert fleet['error'] is None
    assert ours(services, [entry['tenant_id'] for entry in fleet['undeclared']]) == sorted(made.values())
    assert ours(services, fleet['undeclared_tenants']) == sorted([made['tbs'], made['hand'], made['moved']])
    mine = {entry['tenant_id']: entry for entry in fleet['undeclared']}
    assert sorted(sub for tenant_id in made.values() for sub in mine[tenant_id]['live_subscriptions']) == \
        sorted([subs['tbs'], subs['orphan'], subs['moved']] + subs['dup'])
    assert set(fleet['undeclared_subscriptions']) >= set(mine[made['dup']]['live_subscriptions'] + [subs['tbs']])
    expected = {'orphan_subscriptions': sorted([made['orphan'], made['dup']]), 'orphan_tenants': [made['hand']]}
    expected.update(owner_mismatch=[made['moved']], duplicate_tenant_ids=[made['dup']])
    assert {group: ours(services, ids) for group, ids in fleet['mismatches'].items()} == expected
    assert mine[made['tbs']]['mismatches'] == [] and mine[made['tbs']]['tenant_state'] == 'approved'

    assert f"| {made['orphan']} | no tenant | {subs['orphan']} |" in markdown
    assert f"| {made['hand']} | approved | - | - | orphan_tenants |" in markdown
    assert "- `owner_mismatch` (" in markdown and made['moved'] in markdown
    assert not set(declared) & set(ours(services, [entry['tenant_id'] for entry in fleet['undeclared']]))

    # The set_stats artifact is the report.
    assert artifact(result.output) == {'tenant_audit': report}
    for text in (result.output, markdown, json.dumps(report)):
        assert ADMIN_PASSWORD not in text and services.env['STRIPE_API_KEY'] not in text
        assert services.env['TTS_TENANT_ADMIN_KEY'] not in text


def test_the_reports_of_two_slices_combine_into_the_report_of_the_whole_inventory(services):
    declared = [services.tenant_id('slc') for dummy in range(2)]
    assert services.playbook('provision', declaration(services, *declared)).rc == 0
    orphan = services.tenant_id('slcorphan')
    subscribe_in_the_dashboard(services, orphan, LARGE)
    slices = os.path.join(OUT, 'tmp', f'audit-slices-{services.run_id}')
    # AWX gives each slice an inventory of its own hosts only: each one sees the other's tenant as undeclared.
    for index, tenant in enumerate(declared, 1):
        result, report, dummy = audit(services, declaration(services, tenant), slices, audit_report_name=f'slice-{index}')
        assert result.rc == 0, result.output
        assert set(ours(services, [entry['tenant_id'] for entry in report['fleet']['undeclared']], 'slc')) >= {declared[2 - index], orphan}
    combined_dir = slices + '-combined'
    services.clear_counters()
    result = services.playbook('audit_combine', LOCALHOST, env={'ANSIBLE_SHOW_CUSTOM_STATS': '1'},
                               extra_vars={'audit_combine_from': os.path.join(slices, 'slice-*.json'), 'audit_report_dir': combined_dir})
    assert result.rc == 0, result.output
    if services.counters() is not None:
        assert services.counters()['stripe']['total'] == services.counters()['tts']['total'] == 0
    with open(os.path.join(combined_dir, 'tenants.json'), encoding='utf-8') as handle:
        report = json.load(handle)
    assert [tenant['tenant_id'] for tenant in report['tenants']] == sorted(declared)
    assert report['summary']['in_sync'] == 2 and report['combined_from'] == ['slice-1.json', 'slice-2.json']
    assert ours(services, [entry['tenant_id'] for entry in report['fleet']['undeclared']], 'slc') == [orphan]
    assert ours(services, report['fleet']['mismatches']['orphan_subscriptions'], 'slc') == [orphan]
    assert artifact(result.output) == {'tenant_audit': report}
    assert glob.glob(os.path.join(combined_dir, 'tenants.md'))


def test_the_audit_flags_subscriptions_tbs_would_ignore_or_bill_by_item_order(services):
    """Issue 23, section 2: a live subscription on a price that is no TBS plan, of a tenant TBS billed on a plan (its
    billing link), is tbs_unmatched_subscriptions; one with two items on marked plans is tbs_ambiguous_subscriptions."""
    small, large = price(services, SMALL), price(services, LARGE)  # both marked as TBS plans by the example catalog
    unmarked = stripe(services, 'POST', '/v1/prices', product=large['product'], currency=large['currency'], unit_amount='990',
                      lookup_key=f'tts-unmarked-{services.run_id}', **{'recurring[interval]': 'month'})
    made = {name: services.tenant_id(f'audtbs{name}') for name in ('off', 'two')}
    try:
        customer, off = subscribe_in_the_dashboard(services, made['off'], unmarked['lookup_key'])
        create_in_tts(
            services, made['off'], 'Billed by TBS before', billing={
                'customer_id': customer['id'], 'plan_id': small['id'], 'subscription_id': off['id'], 'subscription_item_id':
                off['items']['data'][0]['id']
            })
        customer, single = subscribe_in_the_dashboard(services, made['two'], LARGE)
        two = stripe(services, 'POST', f"/v1/subscriptions/{single['id']}", **{'items[0][price]': small['id']})
        result, report, markdown = audit(services, declaration(services, services.tenant_id('audtbs')),
                                         os.path.join(OUT, 'tmp', f'audit-tbs-{services.run_id}'))
        assert result.rc == 0, result.output
        fleet = report['fleet']
        unmatched = {entry['tenant_id']: entry for entry in fleet['tbs_unmatched_subscriptions']}
        ambiguous = {entry['tenant_id']: entry for entry in fleet['tbs_ambiguous_subscriptions']}
        assert unmatched[made['off']] == {
            'tenant_id': made['off'], 'subscription_id': off['id'], 'customer_id': off['customer'], 'tbs_plans': []
        }
        assert ambiguous[made['two']]['subscription_id'] == two['id']
        assert ambiguous[made['two']]['tbs_plans'] == [item['price']['id'] for item in two['items']['data']]
        assert sorted(ambiguous[made['two']]['tbs_plans']) == sorted([small['id'], large['id']])
        assert made['two'] not in unmatched and made['off'] not in ambiguous
        assert report['summary']['tbs_unmatched_subscriptions'] >= 1 and report['summary']['tbs_ambiguous_subscriptions'] >= 1
        line = next(line for line in markdown.splitlines() if line.startswith('- `tbs_ambiguous_subscriptions`'))
        assert f"{made['two']} {two['id']} (TBS plans " in line
        assert f"{made['off']} {off['id']}" in next(line for line in markdown.splitlines()
                                                    if line.startswith('- `tbs_unmatched_subscriptions`'))
    finally:
        stripe(services, 'POST', f"/v1/prices/{unmarked['id']}", active='false')


def test_a_bad_option_fails_naming_it_before_any_request(services):
    services.clear_counters()
    result = services.playbook('audit', declaration(services, services.tenant_id('bad')), extra_vars={'audit_fleet': 'maybe'})
    assert result.rc != 0 and 'audit_fleet must be true or false, got maybe' in result.output, result.output
    assert services.counters() is None or services.counters()['stripe']['total'] == services.counters()['tts']['total'] == 0
    result = services.playbook('audit_combine', LOCALHOST, extra_vars={'audit_combine_from': '/nonexistent/*.json'})
    assert result.rc != 0 and 'audit_combine_from matches no file: /nonexistent/*.json' in result.output, result.output
