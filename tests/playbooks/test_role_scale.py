"""The tenant role's requests do not grow with the Stripe account (issue 11, point 1).

An account that already holds hundreds of other live subscriptions costs a new tenant no more requests: the role never
lists the account, it finds another customer's claim on the tenant ID with one Search API request and the tenant's
billing link in The Things Stack. Emulator only: it seeds the account and reads the request log.
"""

import pytest
import stripe

from conftest import emulators, local_inventory, recap

OTHER_LIVE_SUBSCRIPTIONS = 250  # three list pages of 100
TENANTS = 3
PLAN = {'price': 'tts-large-monthly', 'collection_method': 'send_invoice', 'days_until_due': 30}


def seed_other_subscriptions(services, count):
    client = stripe.StripeClient(services.env['STRIPE_API_KEY'], base_addresses={'api': services.env['STRIPE_API_BASE']})
    price = client.v1.prices.list(params={'lookup_keys': ['tts-large-monthly']}).data[0]
    customer = client.v1.customers.create(params={'email': services.email(services.tenant_id('crowd'))})
    for dummy in range(count):
        client.v1.subscriptions.create(
            params={
                'customer': customer.id, 'items': [{'price': price.id}], 'collection_method': 'send_invoice', 'days_until_due': 30,
                'metadata': {'tenant-id': services.tenant_id('crowd')}
            })


def account_listings(services):
    """Requests that list the subscriptions of the whole account (no customer filter)."""
    log = emulators.control(services.bases['stripe'], 'GET', '/_emulator/requests')['requests']
    return [
        entry for entry in log
        if entry['method'] == 'GET' and entry['path'] == '/v1/subscriptions' and 'customer' not in (entry.get('query') or {})
    ]


def test_a_new_tenant_costs_the_same_in_a_large_account(services):
    if services.live:
        pytest.skip('seeds the account and reads the request log: emulators only')
    seed_other_subscriptions(services, OTHER_LIVE_SUBSCRIPTIONS)
    tenants = [services.tenant_id('scale') for dummy in range(TENANTS)]
    fleet = local_inventory({tenant: {'tenant_customer': {'email': services.email(tenant)}}
                             for tenant in tenants}, tenant_provisioning='direct', tenant_plan=PLAN)
    services.clear_counters()
    first = services.playbook('provision', fleet)
    assert first.rc == 0, first.output
    counts = services.counters()
    assert account_listings(services) == []
    # reads and writes the collection sent (the TTS emulator also counts the Stripe webhooks it received)
    sent = sum(counts[service]['reads'] + counts[service]['writes'] for service in ('stripe', 'tts'))
    # 8 a tenant: Stripe 4 reads (customer, the price before the first write, which the subscription task is given,
    # the customer's subscriptions, 1 claim search) and 2 writes; TTS 1 read and 1 write. And once per play the first
    # page of the bulk read (the tenant list): none of the tenants exists, so Stripe is not listed.
    assert sent <= 8 * TENANTS + 1, counts

    services.clear_counters()
    converged = services.playbook('provision', fleet)
    assert converged.rc == 0 and all(host['changed'] == 0 for host in recap(converged.output).values()), converged.output
    counts = services.counters()
    # the bulk read (tenant_snapshot) instead of 3 reads a tenant, when it costs less
    assert counts['stripe']['reads'] + counts['tts']['reads'] <= 3 * TENANTS - 1, counts
    assert counts['stripe']['writes'] + counts['tts']['writes'] == 0, counts
