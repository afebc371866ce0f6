"""The live fleet as an inventory, and its export as a declaration: the plugin thingsstack.tenancy.tenants and the
playbook thingsstack.tenancy.export (issue 10, points 1 and 3).

Tenants are made the ways an operator makes them by hand: in the Stripe Dashboard (a customer and a subscription with the
tenant metadata, from which the Tenant Billing Server creates the tenant), directly in The Things Stack with or without
the billing link, and a subscription whose tenant never came. `ansible-inventory` lists them with the role's variables
and the mismatch groups, within the stated request budget, with nothing secret in its output or its cache. Exported
and provisioned right away, they change nothing; the tenant made without billing.stripe is proposed for adoption, refused
by provisioning until the operator confirms it with tenant_adopt: true, then adopted (its billing link written, once).
"""

import json
import math
import os
import subprocess
import sys
import time

import pytest
import requests
import yaml

from conftest import OUT, REPO, recap

SMALL, LARGE = 'tts-small-monthly', 'tts-large-monthly'  # TBS manages the small plan only
ADMIN_PASSWORD = 'Dashboard-Secret-4711'


def stripe(services, method, path, **params):
    env = services.env
    response = requests.request(method, env['STRIPE_API_BASE'].rstrip('/') + path, timeout=30,
                                **{'params' if method == 'GET' else 'data':
                                   params}, headers={'Authorization': 'Bearer ' + env['STRIPE_API_KEY']})
    assert response.status_code == 200, response.text
    return response.json()


def tts(services, method, path, body=None, **params):
    env = services.env
    response = requests.request(method, f"{env['TTS_URL'].rstrip('/')}/api/v3{path}", json=body, params=params, timeout=30,
                                headers={'Authorization': 'TenantAdminKey ' + env['TTS_TENANT_ADMIN_KEY']})
    return response


def price(services, lookup_key):
    return stripe(services, 'GET', '/v1/prices', **{'lookup_keys[]': lookup_key})['data'][0]


def subscribe_in_the_dashboard(services, tenant_id, lookup_key, **metadata):
    """A customer and its subscription with the tenant metadata, as the Stripe Dashboard makes them (the seed's flow)."""
    customer = stripe(services, 'POST', '/v1/customers', email=services.email(tenant_id), name=f'{tenant_id} Ltd',
                      **{'address[country]': 'NL', 'address[city]': 'Utrecht', 'metadata[crm]': '42'})
    metadata = dict({'tenant-id': tenant_id}, **metadata)
    sub = stripe(services, 'POST', '/v1/subscriptions', customer=customer['id'], collection_method='send_invoice', days_until_due='30',
                 **{'items[0][price]': price(services, lookup_key)['id']}, **{f'metadata[{key}]': value
                                                                              for key, value in metadata.items()})
    return customer, sub


def wait_for_tenant(services, tenant_id, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = tts(services, 'GET', f'/tenants/{tenant_id}', field_mask='billing')
        if found.status_code == 200 and found.json().get('billing'):
            return found.json()
        time.sleep(0.5)
    raise AssertionError(f'the Tenant Billing Server did not create {tenant_id}')


def create_in_tts(services, tenant_id, name, billing=None, **fields):
    tenant = dict({'ids': {'tenant_id': tenant_id}, 'name': name, 'state': 'STATE_APPROVED'}, **fields)
    if billing:
        tenant['billing'] = {'stripe': billing}
    response = tts(services, 'POST', '/tenants', {'tenant': tenant})
    assert response.status_code == 200, response.text


def as_tbs_would(services, customer, sub, lookup_key):
    """The fields the Tenant Billing Server would write for this subscription (direct mode made by hand)."""
    item = sub['items']['data'][0]
    limits = {key.replace('-', '_'): value for key, value in price(services, lookup_key)['metadata'].items() if key.startswith('max-')}
    return dict(
        limits, description='',
        contact_info=[{'contact_type': 'CONTACT_TYPE_BILLING', 'contact_method': 'CONTACT_METHOD_EMAIL', 'value': customer['email']}],
        billing={
            'customer_id': customer['id'], 'plan_id': item['price']['id'], 'subscription_id': sub['id'], 'subscription_item_id': item['id']
        })


@pytest.fixture(scope='module')
def fleet(services):
    """Tenants made by hand, each one way: {role: tenant ID}."""
    ids = {name: services.tenant_id(f'inv{name}') for name in ('tbs', 'direct', 'hand', 'bare', 'orphan')}
    # The seed's flow: Dashboard, then TBS creates the tenant; the admin password in the metadata, as the seed page allows.
    subscribe_in_the_dashboard(services, ids['tbs'], SMALL, **{'tenant-name': 'By TBS', 'admin-password': ADMIN_PASSWORD})
    wait_for_tenant(services, ids['tbs'])
    # Direct mode by hand: a subscription TBS does not manage, and the tenant made in TTS as TBS would make it.
    customer, sub = subscribe_in_the_dashboard(services, ids['direct'], LARGE, **{'tenant-name': 'Direct by hand'})
    derived = as_tbs_would(services, customer, sub, LARGE)
    create_in_tts(services, ids['direct'], 'Direct by hand', billing=derived.pop('billing'), **derived)
    # A tenant made in TTS without billing.stripe, later subscribed in the Dashboard (TBS would refuse it).
    create_in_tts(services, ids['hand'], 'Made by hand')
    subscribe_in_the_dashboard(services, ids['hand'], LARGE)
    # A tenant without any subscription, and a subscription whose tenant never came.
    create_in_tts(services, ids['bare'], 'No subscription')
    subscribe_in_the_dashboard(services, ids['orphan'], LARGE)
    return ids


def source(name, **options):
    path = os.path.join(OUT, 'tmp', f'{name}.tenants.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(dict({'plugin': 'thingsstack.tenancy.tenants', 'tbs_plans': [SMALL]}, **options), handle)
    return path


def inventory(services, path, *args):
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', path, '--list', *args],
                          env=services.env, cwd=REPO, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, json.loads(proc.stdout, object_hook=trusted)


def trusted(obj):
    """A value as the plugin set it: the JSON of ansible-inventory --list marks every string from Stripe and TTS as
    unsafe (never templated), which is right for data from remote APIs."""
    return obj['__ansible_unsafe'] if set(obj) == {'__ansible_unsafe'} else obj


def fleet_size(services):
    """(subscriptions of the account in any status, tenants): what the budget is counted from."""
    count, params = 0, {'status': 'all', 'limit': 100}
    while True:
        page = stripe(services, 'GET', '/v1/subscriptions', **params)
        count += len(page['data'])
        if not page['has_more']:
            break
        params['starting_after'] = page['data'][-1]['id']
    tenants = int(tts(services, 'GET', '/tenants', limit=1, field_mask='name').headers['X-Total-Count'])
    return count, tenants


def members(listing, group):
    return set(listing.get(group, {}).get('hosts', []))


def test_the_live_fleet_with_the_role_variables_and_the_mismatch_groups(services, fleet):
    subscriptions, tenants = fleet_size(services)
    services.clear_counters()
    proc, listing = inventory(services, source('fleet'))
    counts = services.counters()
    if counts is not None:
        # The stated budget: max(1, ceil(S/100)) Stripe pages and max(1, ceil(T/1000)) TTS pages, nothing else.
        assert (counts['stripe']['reads'], counts['stripe']['writes']) == (max(1, math.ceil(subscriptions / 100)), 0), counts
        assert (counts['tts']['reads'], counts['tts']['writes']) == (max(1, math.ceil(tenants / 1000)), 0), counts
    hostvars = listing['_meta']['hostvars']

    tbs = hostvars[fleet['tbs']]
    assert tbs['tenant_provisioning'] == 'billing' and tbs['tenant_state'] == 'present'
    assert tbs['tenant_name'] == 'By TBS' and tbs['tenant_customer']['email'] == services.email(fleet['tbs'])
    assert tbs['tenant_customer']['address'] == {'country': 'NL', 'city': 'Utrecht'}
    assert tbs['tenant_plan'] == {'price': SMALL, 'collection_method': 'send_invoice', 'days_until_due': 30}
    assert tbs['tenant_live']['tenant_state'] == 'approved' and tbs['tenant_live']['subscription_status'] == 'active'
    assert tbs['tenant_live']['billing']['customer_id'] == tbs['tenant_customer_id']
    assert 'tenant_adopt' not in tbs and 'tenant_admin' not in tbs  # admin-password is the only admin key, and secret

    direct = hostvars[fleet['direct']]
    assert direct['tenant_provisioning'] == 'direct' and direct['tenant_live']['limits']['max_end_devices'] == 20000
    assert 'tenant_adopt' not in hostvars[fleet['hand']] and fleet['hand'] in members(listing, 'adoption_proposed')
    assert 'tenant_plan' not in hostvars[fleet['bare']]

    assert fleet['tbs'] in members(listing, 'provisioning_billing') and fleet['tbs'] in members(listing, 'plan_tts_small_monthly')
    assert fleet['direct'] in members(listing, 'provisioning_direct') and fleet['tbs'] in members(listing, 'tenant_approved')
    assert members(listing, 'orphan_subscriptions') >= {fleet['orphan']}
    assert members(listing, 'orphan_tenants') >= {fleet['hand'], fleet['bare']}
    assert not {fleet['tbs'], fleet['direct']} & (members(listing, 'orphan_tenants') | members(listing, 'owner_mismatch'))
    assert ADMIN_PASSWORD not in proc.stdout + proc.stderr


def test_usage_adds_tenant_usage_for_the_batch_calls_only(services, fleet):
    if not services.live:
        # 19,000 of the direct plan's 20,000 end devices: near its limit.
        response = requests.post(f"{services.bases['tts']}/_emulator/tenants/{fleet['direct']}/registry",
                                 json={'end_devices': 19000, 'activated_end_devices': 18000, 'gateways': 3}, timeout=30)
        assert response.status_code == 200, response.text
    subscriptions, tenants = fleet_size(services)
    services.clear_counters()
    dummy, listing = inventory(services,
                               source('usage', usage=True, groups={'near_limit': '(tenant_usage.max_ratio | default(0, true)) >= 0.9'}))
    counts = services.counters()
    hostvars = listing['_meta']['hostvars']
    with_tenant = [host for host, hv in hostvars.items() if hv['tenant_live']['tenant_exists']]
    assert with_tenant and all('tenant_usage' in hostvars[host] for host in with_tenant)
    assert all('tenant_usage' not in hv for hv in hostvars.values() if not hv['tenant_live']['tenant_exists'])
    direct = hostvars[fleet['direct']]['tenant_usage']
    assert direct['end_devices']['limit'] == 20000 and set(direct) >= {'applications', 'users', 'gateways', 'max_ratio'}
    if counts is not None:
        # The list pages as without the option, plus one batch request per 100 tenants; nothing per tenant, no write.
        assert counts['tts']['writes'] == 0, counts
        assert counts['tts']['reads'] == max(1, math.ceil(tenants / 1000)) + math.ceil(len(with_tenant) / 100), counts
        assert counts['stripe']['reads'] == max(1, math.ceil(subscriptions / 100)), counts
        assert direct['end_devices'] == {'used': 19000, 'limit': 20000, 'ratio': 0.95}
        assert direct['activated_end_devices'] == {'used': 18000, 'limit': 20000, 'ratio': 0.9}
        assert direct['max_ratio'] == 0.95
        assert members(listing, 'near_limit') == {fleet['direct']}
    # Off by default: no usage variable and no batch request.
    services.clear_counters()
    dummy, plain = inventory(services, source('fleet'))
    assert all('tenant_usage' not in hv for hv in plain['_meta']['hostvars'].values())
    if services.counters() is not None:
        assert services.counters()['tts']['reads'] == max(1, math.ceil(tenants / 1000))


def test_the_cache_answers_without_a_request_and_holds_no_secret(services, fleet):
    cache = os.path.join(OUT, 'tmp', 'tenants-cache')
    path = source('cached', cache=True, cache_plugin='ansible.builtin.jsonfile', cache_connection=cache, cache_timeout=600)
    inventory(services, path, '--flush-cache')
    services.clear_counters()
    dummy, listing = inventory(services, path)
    if services.counters() is not None:
        assert services.counters()['stripe']['total'] == 0 and services.counters()['tts']['total'] == 0
    assert fleet['tbs'] in listing['_meta']['hostvars']
    cached = ''.join(open(os.path.join(cache, name), encoding='utf-8').read() for name in os.listdir(cache))
    assert fleet['tbs'] in cached
    for secret in (ADMIN_PASSWORD, services.env['STRIPE_API_KEY'], services.env['TTS_TENANT_ADMIN_KEY']):
        assert secret not in cached


def test_export_then_provision_changes_nothing(services, fleet):
    exported = os.path.join(OUT, 'tmp', f'exported-{services.run_id}')
    # The operator's choice: this module's tenants of this run (other tests of the session make tenants of the run too),
    # but not the subscription whose tenant never came.
    export = services.playbook('export', source('export'), limit=f'inv*-{services.run_id}-*:!orphan_subscriptions',
                               extra_vars={'export_inventory_dir': exported, 'export_overwrite': True})
    assert export.rc == 0, export.output
    assert f"Skipped (no subscription): {fleet['bare']}" in export.output
    assert f"set tenant_adopt: true on its host in {exported}/hosts.yml): {fleet['hand']}: claimed by subscription sub_" in export.output
    with open(os.path.join(exported, 'hosts.yml'), encoding='utf-8') as handle:
        text = handle.read()
    assert os.stat(os.path.join(exported, 'hosts.yml')).st_mode & 0o777 == 0o600
    declared = yaml.safe_load(text)['all']['children']['tenants']['children']
    assert set(declared['billing_tenants']['hosts']) == {fleet['tbs']}
    assert set(declared['direct_tenants']['hosts']) == {fleet['direct'], fleet['hand']}
    assert declared['direct_tenants']['hosts'][fleet['hand']]['tenant_adopt'] is False
    assert ADMIN_PASSWORD not in text and 'tenant_live' not in text

    # Right away: nothing to change for the tenants that are consistent, not one write.
    services.clear_counters()
    consistent = services.playbook('provision', exported, limit=f"{fleet['tbs']},{fleet['direct']}")
    assert consistent.rc == 0, consistent.output
    assert {host: counts['changed'] for host, counts in recap(consistent.output).items()} == {fleet['tbs']: 0, fleet['direct']: 0}
    assert services.writes() in (0, None), services.counters()

    # The proposed adoption: refused until confirmed, with the role's message, and nothing written.
    services.clear_counters()
    proposed = services.playbook('provision', exported)
    assert proposed.rc != 0 and recap(proposed.output)[fleet['hand']]['failed'] == 1, proposed.output
    assert 'exists without billing.stripe' in proposed.output and 'set tenant_adopt: true' in proposed.output
    assert services.writes() in (0, None), services.counters()
    assert not tts(services, 'GET', f"/tenants/{fleet['hand']}", field_mask='billing').json().get('billing')

    # Confirmed by the operator: adopted, its billing link written in TTS (nothing in Stripe), once.
    with open(os.path.join(exported, 'hosts.yml'), 'w', encoding='utf-8') as handle:
        handle.write(text.replace('tenant_adopt: false', 'tenant_adopt: true'))
    services.clear_counters()
    adopted = services.playbook('provision', exported)
    assert adopted.rc == 0, adopted.output
    assert {host for host, counts in recap(adopted.output).items() if counts['changed']} == {fleet['hand']}
    if services.counters() is not None:
        assert services.counters()['stripe']['writes'] == 0 and services.counters()['tts']['writes'] == 1, services.counters()
    link = tts(services, 'GET', f"/tenants/{fleet['hand']}", field_mask='billing').json()['billing']['stripe']
    assert link['customer_id'] == declared['direct_tenants']['hosts'][fleet['hand']]['tenant_customer_id']

    services.clear_counters()
    again = services.playbook('provision', exported)
    assert again.rc == 0 and all(counts['changed'] == 0 for counts in recap(again.output).values()), again.output
    assert services.writes() in (0, None), services.counters()
