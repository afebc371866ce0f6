"""Billing mode needs a price the Tenant Billing Server manages (issue 23, section 2).

TBS ignores a subscription whose items match none of its plans, so a billing-mode tenant on such a price would only time
out waiting. The role refuses it before the first write, naming the price and the TBS configuration key; once the price
is marked as a TBS plan and TBS lists it, the same run converges.
"""

import os

import yaml

from conftest import DEFAULT_TBS_PLAN, OUT, local_inventory, recap
from test_role_input import failures
from test_role_ownership import tts_tenant


def price_play(lookup_key, **options):
    return [{
        'name':
        'A price of the catalog', 'hosts':
        'localhost', 'gather_facts':
        False, 'tasks': [{
            'name':
            'Ensure the price', 'thingsstack.tenancy.stripe_price':
            dict(
                {
                    'lookup_key': lookup_key, 'product': 'tts-enterprise', 'currency': 'eur', 'unit_amount': 9900, 'recurring':
                    {'interval': 'month'}, 'tenant_limits': {'gateways': 3}
                }, **options)
        }]
    }]


def run_play(services, play, name):
    path = os.path.join(OUT, 'tmp', name)
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(play, handle)
    local = {
        'all': {'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}
    }
    result = services.playbook(path, local)
    assert result.rc == 0, result.output
    return result


def test_a_billing_tenant_on_a_price_tbs_does_not_manage_fails_fast_then_converges_once_listed(services):
    tenant = services.tenant_id('tbsplan')
    lookup_key = f'tts-unlisted-{services.run_id}'
    run_play(services, price_play(lookup_key), f'price-{tenant}.yml')
    inventory = local_inventory({tenant: {'tenant_customer': {'email': services.email(tenant)}}}, tenant_provisioning='billing',
                                tenant_wait_timeout=60,
                                tenant_plan={'price': lookup_key, 'collection_method': 'send_invoice', 'days_until_due': 30})
    try:
        services.clear_counters()
        refused = services.playbook('provision', inventory)
        assert refused.rc != 0
        message = failures(refused.output)[tenant]
        assert f'({lookup_key}) is not marked as a Tenant Billing Server plan' in message, message
        assert 'tbs.stripe.recurring-plan-ids' in message and 'did not appear' not in refused.output
        assert services.writes() in (0, None), services.counters()

        run_play(services, price_play(lookup_key, tbs_plan='recurring'), f'mark-{tenant}.yml')
        if not services.tbs(DEFAULT_TBS_PLAN, lookup_key):
            return  # a real TBS lists its plans in its own configuration: the operator's step
        converged = services.playbook('provision', inventory)
        assert converged.rc == 0, converged.output
        assert recap(converged.output)[tenant]['failed'] == 0
        assert tts_tenant(services, tenant)['state'] == 'STATE_APPROVED'
    finally:
        services.tbs(DEFAULT_TBS_PLAN)
        run_play(services, price_play(lookup_key, state='absent'), f'archive-{tenant}.yml')
