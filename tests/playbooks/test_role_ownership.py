"""A tenant belongs to the customer of its billing link, as the Tenant Billing Server enforces (issue 8, points 2 and 6).

The role reads the tenant before it writes anything to Stripe: a tenant declared with another customer, or made by hand
without billing.stripe, is refused with nothing written, unless tenant_adopt takes it over on purpose. Two runs started
together converge without duplicates.
"""

import os
import threading

import pytest
import requests
import yaml

from conftest import OUT, local_inventory, recap

PLAN = {'price': 'tts-large-monthly', 'collection_method': 'send_invoice', 'days_until_due': 30}


def inventory(hosts, **host_vars):
    return local_inventory(hosts, tenant_provisioning='direct', tenant_plan=PLAN, **host_vars)


def customer(services, tenant_id, who='billing'):
    return {'tenant_customer': {'email': services.email(tenant_id, who), 'name': f'{who} of {tenant_id}'}}


def stripe_get(services, path, **params):
    env = services.env
    response = requests.get(env['STRIPE_API_BASE'].rstrip('/') + path, params=params, timeout=30,
                            headers={'Authorization': 'Bearer ' + env['STRIPE_API_KEY']})
    response.raise_for_status()
    return response.json()['data']


def tts_tenant(services, tenant_id):
    env = services.env
    response = requests.get(f"{env['TTS_URL'].rstrip('/')}/api/v3/tenants/{tenant_id}", timeout=30,
                            params={'field_mask':
                                    'name,state,billing'}, headers={'Authorization': 'TenantAdminKey ' + env['TTS_TENANT_ADMIN_KEY']})
    return response.json() if response.status_code == 200 else None


def counts(services):
    """(Stripe reads, Stripe writes, TTS reads, TTS writes) since the last clear, None when live."""
    found = services.counters()
    if found is None:
        return None
    return found['stripe']['reads'], found['stripe']['writes'], found['tts']['reads'], found['tts']['writes']


def make_tenant_by_hand(services, tenant_id):
    """A tenant without billing.stripe, as `ttn-lw-stack` or a tenant admin makes it."""
    play = [{
        'name':
        'A tenant made by hand', 'hosts':
        'localhost', 'gather_facts':
        False, 'tasks': [{
            'name': 'Create it without a billing link', 'thingsstack.tenancy.tts_tenant':
            {'tenant_id': tenant_id, 'name': 'Made by hand', 'tenant_state': 'approved'}
        }]
    }]
    path = os.path.join(OUT, 'tmp', f'hand-{tenant_id}.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(play, handle)
    local = {
        'all': {'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}
    }
    result = services.playbook(path, local)
    assert result.rc == 0, result.output


def test_a_tenant_stays_with_its_customer(services):
    tenant = services.tenant_id('own')
    first = services.playbook('provision', inventory({tenant: customer(services, tenant)}))
    assert first.rc == 0, first.output
    owner = tts_tenant(services, tenant)['billing']['stripe']['customer_id']
    first_subscription = tts_tenant(services, tenant)['billing']['stripe']['subscription_id']

    services.clear_counters()
    converged = services.playbook('provision', inventory({tenant: customer(services, tenant)}))
    assert converged.rc == 0 and recap(converged.output)[tenant]['changed'] == 0, converged.output
    if counts(services) is not None:
        stripe_reads, stripe_writes, tts_reads, tts_writes = counts(services)
        assert (stripe_reads + tts_reads, stripe_writes + tts_writes) == (3, 0), counts(services)

    # Another company's email for an existing tenant ID: refused, nothing written to Stripe or TTS.
    services.clear_counters()
    other_email = services.playbook('provision', inventory({tenant: customer(services, tenant, 'globex')}))
    assert other_email.rc != 0
    assert f"does not exist (it would be created), not {owner} as expected_id requires" in other_email.output
    assert services.writes() in (0, None), counts(services)

    # Another customer by ID: refused before any Stripe request.
    services.clear_counters()
    other_id = services.playbook('provision', inventory({tenant: dict(customer(services, tenant), tenant_customer_id='cus_NotTheOwner')}))
    assert other_id.rc != 0
    assert f'is owned by customer {owner}, not tenant_customer_id cus_NotTheOwner (customer_id_mismatch)' in other_id.output
    assert 'tenant_adopt: true' in other_id.output
    if counts(services) is not None:
        assert counts(services)[:2] == (0, 0) and counts(services)[3] == 0, counts(services)
    assert tts_tenant(services, tenant)['billing']['stripe']['customer_id'] == owner

    # The same customer subscribing again after a cancellation keeps its tenant: no adoption needed.
    canceled = services.playbook('provision', inventory({tenant: dict(customer(services, tenant), tenant_state='absent')}))
    assert canceled.rc == 0, canceled.output
    again = services.playbook('provision', inventory({tenant: customer(services, tenant)}))
    assert again.rc == 0, again.output
    link = tts_tenant(services, tenant)['billing']['stripe']
    assert link['customer_id'] == owner and link['subscription_id'] != first_subscription
    assert tts_tenant(services, tenant)['state'] == 'STATE_APPROVED'


def test_a_tenant_made_by_hand_is_adopted_only_on_purpose(services):
    tenant = services.tenant_id('hand')
    make_tenant_by_hand(services, tenant)
    services.clear_counters()
    refused = services.playbook('provision', inventory({tenant: customer(services, tenant)}))
    assert refused.rc != 0
    assert 'exists without billing.stripe' in refused.output and 'tenant_not_managed' in refused.output
    assert 'tenant_adopt: true' in refused.output
    if counts(services) is not None:
        assert counts(services) == (0, 0, 1, 0), counts(services)
    assert 'billing' not in tts_tenant(services, tenant)

    adopted = services.playbook('provision', inventory({tenant: dict(customer(services, tenant), tenant_adopt=True)}))
    assert adopted.rc == 0, adopted.output
    bound = tts_tenant(services, tenant)
    owner = stripe_get(services, '/v1/customers', email=services.email(tenant))[0]['id']
    assert bound['billing']['stripe']['customer_id'] == owner
    assert bound['name'] == f'billing of {tenant}'

    kept = services.playbook('provision', inventory({tenant: customer(services, tenant)}))
    assert kept.rc == 0 and recap(kept.output)[tenant]['changed'] == 0, kept.output


def test_two_runs_started_together_converge_without_duplicates(services):
    tenants = [services.tenant_id('both') for dummy in range(4)]
    fleet = inventory({tenant: customer(services, tenant) for tenant in tenants})
    results = [None, None]

    def run(index):
        results[index] = services.playbook('provision', fleet)

    threads = [threading.Thread(target=run, args=(index, )) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        assert result.rc == 0, result.output
    for tenant in tenants:
        customers = stripe_get(services, '/v1/customers', email=services.email(tenant))
        assert len(customers) == 1, customers
        subscriptions = stripe_get(services, '/v1/subscriptions', customer=customers[0]['id'])
        assert [sub['metadata']['tenant-id'] for sub in subscriptions] == [tenant], subscriptions
        assert tts_tenant(services, tenant)['billing']['stripe']['subscription_id'] == subscriptions[0]['id']
    converged = services.playbook('provision', fleet)
    assert converged.rc == 0 and all(host['changed'] == 0 for host in recap(converged.output).values()), converged.output


def test_billing_mode_adopts_a_tenant_the_billing_server_would_refuse(services):
    tenant = services.tenant_id('tbsadopt')
    make_tenant_by_hand(services, tenant)
    billing = local_inventory({tenant: customer(services, tenant)}, tenant_provisioning='billing', tenant_wait_timeout=30,
                              tenant_plan={'price': 'tts-small-monthly', 'collection_method': 'send_invoice', 'days_until_due': 30})
    services.clear_counters()
    refused = services.playbook('provision', billing)
    assert refused.rc != 0 and 'tenant_not_managed' in refused.output, refused.output
    assert services.writes() in (0, None), counts(services)

    billing['all']['children']['tenants']['vars']['tenant_adopt'] = True
    adopted = services.playbook('provision', billing)
    assert adopted.rc == 0, adopted.output
    subscription = stripe_get(services, '/v1/subscriptions', customer=stripe_get(services, '/v1/customers',
                                                                                 email=services.email(tenant))[0]['id'])[0]
    tenant_now = tts_tenant(services, tenant)
    assert tenant_now['billing']['stripe']['subscription_id'] == subscription['id']
    assert tenant_now['state'] == 'STATE_APPROVED'

    del billing['all']['children']['tenants']['vars']['tenant_adopt']
    kept = services.playbook('provision', billing)
    assert kept.rc == 0 and recap(kept.output)[tenant]['changed'] == 0, kept.output


def test_billing_mode_wait_reports_the_real_message_only(services):
    """A plan the Billing Server does not manage: the wait ends without a tenant, and the run says what differs."""
    if services.live:
        pytest.skip('needs a plan the Tenant Billing Server does not manage (the emulated TBS manages tts-small-monthly only)')
    tenant = services.tenant_id('tbswait')
    billing = local_inventory({tenant: customer(services, tenant)}, tenant_provisioning='billing', tenant_wait_timeout=2, tenant_plan=PLAN)
    waited = services.playbook('provision', billing)
    assert waited.rc != 0 and f"tenant '{tenant}' did not appear within wait_timeout=2 s" in waited.output, waited.output
    assert 'Unknown error' not in waited.output, waited.output
