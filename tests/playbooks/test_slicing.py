"""An AWX sliced job: k jobs at the same time, each over every k-th host of the inventory (issue 11, point 3).

Four slices of one generated inventory provision at the same time: none fails, nothing is duplicated, and a fifth run
over the whole inventory changes nothing. Two tenants of one customer sit in different slices, so two slices ensure that
customer at the same moment.
"""

import threading

import requests

from conftest import local_inventory, recap

SLICES = 4
PER_SLICE = 2
PLAN = {'price': 'tts-large-monthly', 'collection_method': 'send_invoice', 'days_until_due': 30}


def stripe_list(services, path, **params):
    env = services.env
    response = requests.get(env['STRIPE_API_BASE'].rstrip('/') + path, params=params, timeout=30,
                            headers={'Authorization': 'Bearer ' + env['STRIPE_API_KEY']})
    response.raise_for_status()
    return response.json()['data']


def tts_get(services, tenant_id):
    env = services.env
    return requests.get(f"{env['TTS_URL'].rstrip('/')}/api/v3/tenants/{tenant_id}", timeout=30, params={'field_mask': 'billing'},
                        headers={'Authorization': 'TenantAdminKey ' + env['TTS_TENANT_ADMIN_KEY']})


def test_four_slices_at_the_same_time_provision_without_failure_or_duplicate(services):
    tenants = [services.tenant_id('slice') for dummy in range(SLICES * PER_SLICE)]
    shared = services.email(tenants[0])  # the customer of the first and second tenant, which AWX puts in two slices
    hosts = {
        tenant: {'tenant_customer': {'email': shared if index < 2 else services.email(tenant), 'name': 'Customer'}}
        for index, tenant in enumerate(tenants)
    }
    fleet = local_inventory(hosts, tenant_provisioning='direct', tenant_plan=PLAN)
    slices = [tenants[index::SLICES] for index in range(SLICES)]  # AWX: host i goes to slice i mod k
    assert tenants[0] in slices[0] and tenants[1] in slices[1]
    results = [None] * SLICES

    def run(index):
        results[index] = services.playbook('provision', fleet, limit=','.join(slices[index]))

    threads = [threading.Thread(target=run, args=(index, )) for index in range(SLICES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, result in enumerate(results):
        assert result.rc == 0, result.output
        assert set(recap(result.output)) == set(slices[index])

    assert len(stripe_list(services, '/v1/customers', email=shared)) == 1
    for tenant in tenants:
        customer = stripe_list(services, '/v1/customers', email=hosts[tenant]['tenant_customer']['email'])[0]
        subscriptions = [
            sub for sub in stripe_list(services, '/v1/subscriptions', customer=customer['id']) if sub['metadata'].get('tenant-id') == tenant
        ]
        assert len(subscriptions) == 1, (tenant, subscriptions)
        response = tts_get(services, tenant)
        assert response.status_code == 200 and response.json()['billing']['stripe']['subscription_id'] == subscriptions[0]['id']

    services.clear_counters()
    whole = services.playbook('provision', fleet)
    assert whole.rc == 0 and all(host['changed'] == 0 for host in recap(whole.output).values()), whole.output
    assert services.writes() in (0, None)
