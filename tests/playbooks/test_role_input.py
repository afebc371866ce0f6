"""The tenant role checks the whole tenant before its first request (issue 8, points 4 and 5; issue 20, point 4).

Every bad input is refused naming the role variable, and the tenants of a play that contradict each other are refused
together; neither service receives a single request for them. A price Stripe cannot bill is refused after the one read
of the price, with nothing written.
"""

import json
import re

import pytest

from conftest import local_inventory, recap

PASSWORD = 'Sup3r-secret-' + 'x' * 1000
GOOD = {
    'tenant_provisioning': 'direct',
    'tenant_plan': {'price': 'tts-small-monthly', 'collection_method': 'send_invoice', 'days_until_due': 30},
}
# host suffix -> (variables that make it bad, the variable the message must name)
BAD = {
    'timeout': ({'tenant_wait_timeout': -1}, 'tenant_wait_timeout'),
    'cusid': ({'tenant_customer_id': '12345'}, 'tenant_customer_id'),
    'email': ({'tenant_customer': {'email': 'not-an-email'}}, 'tenant_customer.email'),
    'nocustomer': ({'tenant_customer': {}}, 'tenant_customer.email or tenant_customer_id'),
    'country': ({'tenant_customer': {'email': 'b@acme.example', 'address': {'country': 'XX'}}}, 'tenant_customer.address.country'),
    'custmeta': ({'tenant_customer': {'email': 'b@acme.example', 'metadata': {'k' * 41: 'v'}}}, 'tenant_customer.metadata'),
    'adminemail': ({'tenant_admin': {'email': 'nobody'}}, 'tenant_admin.email'),
    'adminuser': ({'tenant_admin': {'user': 'Bad_User'}}, 'tenant_admin.user'),
    'password': ({'tenant_admin': {'password': PASSWORD}}, 'tenant_admin.password'),
    'noprice': ({'tenant_plan': {}}, 'tenant_plan.price'),
    'quantity': ({'tenant_plan': {'price': 'tts-small-monthly', 'quantity': 0}}, 'tenant_plan.quantity'),
    'due': ({'tenant_plan': {'price': 'tts-small-monthly', 'days_until_due': 30}}, 'tenant_plan.days_until_due'),
    'trial': ({'tenant_plan': {'price': 'tts-small-monthly', 'trial_period_days': -1}}, 'tenant_plan.trial_period_days'),
    'planmeta': ({'tenant_plan': {'price': 'tts-small-monthly', 'metadata': {'tenant-id': 'other'}}}, 'tenant_plan.metadata'),
    'name': ({'tenant_name': 'n' * 51}, 'tenant_name'),
    'description': ({'tenant_description': 'd' * 501}, 'tenant_description'),
    'attributes': ({'tenant_attributes': {'Bad Key': 'x'}}, 'tenant_attributes'),
    'config': ({'tenant_configuration': {'default_cluster.ns': {}}}, 'tenant_configuration'),
    'blocked': ({'tenant_id': 'admin'}, 'tenant_id'),
    'badid': ({'tenant_id': 'Bad--Tenant'}, 'tenant_id'),
    'state': ({'tenant_state': 'gone'}, 'tenant_state'),
    'timeouttype': ({'tenant_wait_timeout': 'soon'}, 'tenant_wait_timeout'),
    # issue 20: the TTS-side fields derived from Stripe input, by TTS's rules, and the limits of the real services
    'custname': ({'tenant_customer': {'email': 'b@acme.example', 'name': 'N' * 5000}}, 'tenant_customer.name'),
    'tenantname': ({'tenant_customer': {'email': 'b@acme.example', 'name': 'N' * 60}}, 'tenant_customer.name'),
    'umlaut': ({'tenant_customer': {'email': 'ops@bücher.example'}}, 'tenant_customer.email'),
    'configpath': ({'tenant_configuration': {'default_cluster': {'nope': {'enabled': True}}}}, 'tenant_configuration'),
    'trial731': ({'tenant_plan': dict(GOOD['tenant_plan'], trial_period_days=731)}, 'tenant_plan.trial_period_days'),
    'trial0': ({'tenant_plan': dict(GOOD['tenant_plan'], trial_period_days=0)}, 'tenant_plan.trial_period_days'),
    'control': ({'tenant_name': 'Acme\x07Corp'}, 'tenant_name'),
    'controldesc': ({'tenant_description': 'Acme\x1b[2J'}, 'tenant_description'),
    'attrcount': ({'tenant_attributes': {f'key-{index}': 'v'
                                         for index in range(1000)}}, 'tenant_attributes'),
    'attrvalue': ({'tenant_attributes': {'crm-id': 'v' * 10000}}, 'tenant_attributes'),
    'shortpass': ({'tenant_admin': {'password': 'abc'}}, 'tenant_admin.password'),
    'phone': ({'tenant_customer': {'email': 'b@acme.example', 'phone': '1' * 100}}, 'tenant_customer.phone'),
}
# Refused after the role's one read of the price (a tenant that does not exist yet), before any write.
PRICE_BAD = {
    'noprice': ({'tenant_plan': dict(GOOD['tenant_plan'], price='no-such-price-20')}, 'tenant_plan.price'),
    'amount': ({'tenant_plan': dict(GOOD['tenant_plan'], price='tts-large-monthly', quantity=1000)}, 'tenant_plan.quantity'),
    'amountstr': ({'tenant_plan': dict(GOOD['tenant_plan'], price='tts-large-monthly', quantity='1e3')}, 'tenant_plan.quantity'),
}
FATAL = re.compile(r'^fatal: \[([^\]]+)\]: FAILED! => (\{.*\})$', re.MULTILINE)


def failures(output):
    """{host: message} of the failed tasks in a play's output."""
    found = {}
    for host, body in FATAL.findall(output):
        result = json.loads(body)
        found[host] = result.get('msg', '') + ' ' + ' '.join(result.get('argument_errors') or [])
    return found


def assert_no_request(services):
    counts = services.counters()
    if counts is not None:
        assert [counts['stripe']['total'], counts['tts']['total']] == [0, 0], counts


def test_bad_input_is_refused_naming_the_variable_before_any_request(services):
    prefix = services.tenant_id('bad')
    hosts = {f'{prefix}-{suffix}': values for suffix, (values, dummy) in BAD.items()}
    hosts['BadTenant' + prefix.replace('-', '')] = {}
    inventory = local_inventory(hosts, tenant_customer={'email': '{{ inventory_hostname | lower }}@example.com'}, **GOOD)
    services.clear_counters()
    result = services.playbook('provision', inventory)
    assert result.rc != 0
    failed = failures(result.output)
    assert len(BAD) + 1 >= 32
    assert set(failed) == set(hosts), result.output
    for suffix, (dummy, variable) in BAD.items():
        message = failed[f'{prefix}-{suffix}']
        assert message.count(variable) >= 1, (suffix, message)
    assert "'BadTenant" in failed['BadTenant' + prefix.replace('-', '')]
    assert all(counts['changed'] == 0 for counts in recap(result.output).values())
    assert PASSWORD not in result.output
    assert_no_request(services)


def test_a_price_stripe_cannot_bill_is_refused_with_nothing_written(services):
    prefix = services.tenant_id('price')
    hosts = {f'{prefix}-{suffix}': values for suffix, (values, dummy) in PRICE_BAD.items()}
    inventory = local_inventory(hosts, tenant_customer={'email': '{{ inventory_hostname | lower }}@example.com'}, **GOOD)
    services.clear_counters()
    result = services.playbook('provision', inventory)
    assert result.rc != 0
    failed = failures(result.output)
    assert set(failed) == set(hosts), result.output
    for suffix, (dummy, variable) in PRICE_BAD.items():
        assert variable in failed[f'{prefix}-{suffix}'], (suffix, failed[f'{prefix}-{suffix}'])
    assert "no Stripe price has the ID or lookup key 'no-such-price-20'" in failed[f'{prefix}-noprice']
    assert "more than Stripe's maximum amount" in failed[f'{prefix}-amountstr']
    assert all(counts['changed'] == 0 for counts in recap(result.output).values())
    counts = services.counters()
    if counts is not None:
        # per tenant: the tenant read (it does not exist), then the price read; no customer lookup, no write. Once per
        # play the bulk read's tenant list (tenant_snapshot): none of the tenants exists, so Stripe is not listed.
        assert services.writes() == 0, counts
        assert (counts['stripe']['reads'], counts['tts']['reads']) == (len(hosts), len(hosts) + 1), counts


def test_contradicting_tenants_are_refused_together(services):
    shared, twin = services.tenant_id('shared'), services.tenant_id('twin')
    email = services.email(shared)
    hosts = {
        shared: {'tenant_customer': {'email': email, 'name': 'Shared Corp', 'metadata': {'region': 'eu'}}},
        f'{shared}-b': {'tenant_customer': {'email': email, 'name': 'Shared Corp', 'metadata': {'region': 'us'}}},
        twin: {'tenant_customer': {'email': services.email(twin)}},
        f'{twin}-b': {'tenant_id': twin, 'tenant_customer': {'email': services.email(twin)}},
    }
    inventory = local_inventory(hosts, **GOOD)
    services.clear_counters()
    result = services.playbook('provision', inventory)
    assert result.rc != 0
    failed = failures(result.output)
    assert set(failed) == set(hosts), result.output
    for host in (shared, f'{shared}-b'):
        assert f'hosts {shared} and {shared}-b declare the same Stripe customer ({email}) with different metadata.region' \
            in failed[host], failed[host]
    for host in (twin, f'{twin}-b'):
        assert f"hosts {twin} and {twin}-b both declare tenant '{twin}'" in failed[host], failed[host]
    assert_no_request(services)


@pytest.mark.parametrize('state', ['present', 'absent'])
def test_a_customer_declared_alike_or_not_written_is_no_conflict(services, state):
    first, second = services.tenant_id('alike'), services.tenant_id('alike')
    email = services.email(first)
    hosts = {
        first: {'tenant_customer': {'email': email, 'name': 'Alike Corp'}}, second:
        {'tenant_customer': {'email': email, 'name': 'Alike Corp' if state == 'present' else 'Other Name'}, 'tenant_state': state}
    }
    result = services.playbook('provision', local_inventory(hosts, **GOOD), '--check')
    assert result.rc == 0, result.output


IN_BATCHES = '''---
- name: Provision the tenants two at a time
  hosts: tenants
  gather_facts: false
  serial: 2
  tasks:
    - name: Provision the tenant
      ansible.builtin.import_role:
        name: thingsstack.tenancy.tenant
        rolespec_validate: false
'''


def test_in_batches_each_batch_s_first_tenant_checks_its_batch(services, tmp_path):
    """With serial, ansible_play_hosts names every host of the play; a later batch must take its findings and conflicts
    from its own first tenant. Here the first batch's first tenant is refused and leaves the play: the later batch still
    finds its own reader, instead of an earlier batch's result of the same task."""
    prefix = services.tenant_id('batch')
    names = [f'{prefix}-{number}' for number in range(1, 5)]
    customer = {'email': '{{ inventory_hostname }}@example.com'}
    assert services.playbook('provision', local_inventory(names, tenant_customer=customer, **GOOD)).rc == 0
    playbook = tmp_path / 'in_batches.yml'
    playbook.write_text(IN_BATCHES, encoding='utf-8')
    hosts = {name: {} for name in names}
    hosts[names[0]] = {'tenant_wait_timeout': -1}
    services.clear_counters()
    result = services.playbook(str(playbook), local_inventory(hosts, tenant_customer=customer, **GOOD))
    failed = failures(result.output)
    assert set(failed) == {names[0]} and 'tenant_wait_timeout' in failed[names[0]], result.output
    hosts_recap = recap(result.output)
    assert all(hosts_recap[name]['failed'] == 0 and hosts_recap[name]['changed'] == 0 for name in names[1:]), hosts_recap
    assert services.writes() == 0
