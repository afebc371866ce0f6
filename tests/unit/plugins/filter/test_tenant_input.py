# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant role's whole-input check and the play's conflict check (filters tenant_input_errors, tenant_conflicts)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_input import (filter_tenant_conflicts, filter_tenant_declaration,
                                                                                 filter_tenant_input_errors, filter_tenant_price_errors)

GOOD = {
    'tenant_id': 'acme', 'tenant_state': 'present', 'tenant_provisioning': 'direct', 'tenant_delete': False, 'tenant_customer':
    {'email': 'billing@acme.example', 'name': 'Acme'}, 'tenant_plan': {'price': 'small'}, 'tenant_admin': {}, 'tenant_wait_timeout': 120
}


def errors(**changes):
    return filter_tenant_input_errors(dict(GOOD, **changes))


def test_good_input_has_no_error():
    assert errors() == []
    assert errors(tenant_provisioning='billing', tenant_state='suspended', tenant_plan={}) == []
    assert errors(tenant_state='absent', tenant_plan={}, tenant_customer={}, tenant_customer_id='cus_1', tenant_delete=True) == []
    assert errors(tenant_admin={'user': 'jo', 'email': 'jo@acme.example', 'password': 'S3cret!x'}) == []
    # a long customer name is no tenant name when tenant_name is set; nor is a bad customer email when the customer is
    # only deleted from (absent)
    assert errors(tenant_customer={'email': 'billing@acme.example', 'name': 'N' * 200}, tenant_name='Acme') == []
    assert errors(tenant_configuration={
        'default_cluster': {'ns': {'dev_addr_prefixes': ['26000000/8']}}, 'pb': {'listed': True}, 'clusters': {'eu1': {}}
    }) == []
    assert errors(tenant_plan={'price': 'small', 'quantity': '1e3', 'trial_period_days': 730}) == []


@pytest.mark.parametrize(
    'changes, message',
    [
        ({'tenant_id': 'Acme'}, "tenant_id: 'Acme' must be lowercase"),
        ({'tenant_id': 'admin'}, "tenant_id: 'admin' is on The Things Stack's ID blocklist"),
        ({'tenant_wait_timeout': -1}, 'tenant_wait_timeout: must be 0 or more seconds, got -1'),
        ({'tenant_customer_id': '42'}, "tenant_customer_id: must be a customer ID (cus_...), got '42'"),
        ({'tenant_customer': {'email': 'b@acme.example', 'address': {'country': 'de'}}}, 'tenant_customer.address.country: must be'),
        ({'tenant_admin': {'email': 'jo'}}, "tenant_admin.email: 'jo' is not an email address The Things Stack accepts"),
        ({'tenant_plan': {'price': 'small', 'quantity': 0}}, 'tenant_plan.quantity: must be at least 1, got 0'),
        ({'tenant_plan': {}}, 'tenant_plan.price: the price ID or lookup key of the pricing plan is required'),
        ({'tenant_attributes': {'x': 'y'}}, "tenant_attributes: key 'x' must be 3 to 36"),
        ({'tenant_customer': {}}, 'tenant_customer.email or tenant_customer_id: one of them is required'),
        # The Things Stack's rules on the fields the tenant derives from Stripe input name what the operator wrote
        ({'tenant_customer': {'email': 'b@acme.example', 'name': 'N' * 51}
          }, "tenant_customer.name: must be at most 50 characters long, got 51 (it is the tenant's name unless tenant_name is set)"),
        ({'tenant_customer': {'email': 'b@acme.example', 'name': 'N' * 5000}}, 'tenant_customer.name: must be at most 256 characters'),
        ({'tenant_name': 'N' * 51, 'tenant_customer': {'email': 'b@acme.example', 'name': 'N' * 60}
          }, 'tenant_name: must be at most 50 characters long, got 51'),
        ({'tenant_customer': {'email': 'b@acme.example', 'description': 'd\x00'}}, "tenant_customer.description: must not contain control"),
        ({'tenant_customer': {'email': 'ops@bücher.example'}},
         "tenant_customer.email: 'ops@bücher.example' is not an email address The Things Stack accepts (it is the tenant's billing contact"
         ),
        ({'tenant_configuration': {'default_cluster': {'nope': {'x': 1}}}
          }, "tenant_configuration: configuration.default_cluster.nope.x is not a field of The Things Stack's tenant configuration"),
        ({'tenant_name': 'Acme\nCorp'}, "tenant_name: must not contain control characters, got '\\n' at position 4"),
        ({'tenant_admin': {'full_name': 'Jo\x1b[31m'}}, 'tenant_admin.full_name: must not contain control characters'),
        ({'tenant_attributes': {f'key-{i}': 'v'
                                for i in range(11)}}, 'tenant_attributes: at most 10 attributes are allowed'),
        ({'tenant_attributes': {'crm-id': 'v' * 201}}, "tenant_attributes: value of 'crm-id' must be at most 200 characters"),
        ({'tenant_admin': {'password': 'abc'}}, 'tenant_admin.password: must be 8 to 1000 characters long, got 3'),
        ({'tenant_customer': {'email': 'b@acme.example', 'phone': '+49' + '1' * 18}}, 'tenant_customer.phone: must be at most 20'),
        ({'tenant_plan': {'price': 'small', 'trial_period_days': 731}}, 'tenant_plan.trial_period_days: must be 1 to 730, got 731'),
        ({'tenant_plan': {'price': 'small', 'trial_period_days': 0}}, 'tenant_plan.trial_period_days: must be 1 to 730, got 0'),
    ])
def test_bad_input_names_the_role_variable(changes, message):
    found = errors(**changes)
    assert len(found) == 1 and found[0].startswith(message), found


def test_one_message_per_variable_and_no_secret():
    # the admin email defaults to the customer's: the tenant registry's rule names it too
    # the admin email and the tenant's contact default to the customer's: one message, on the variable the operator wrote
    assert [error.split(':')[0] for error in errors(tenant_customer={'email': 'nope'})] == ['tenant_customer.email']
    found = errors(tenant_admin={'password': 'p' * 1001})
    assert found == ['tenant_admin.password: must be 8 to 1000 characters long, got 1001']


PRICE = {'id': 'price_1', 'object': 'price', 'currency': 'eur', 'unit_amount': 100000, 'billing_scheme': 'per_unit'}


@pytest.mark.parametrize('prices, plan, message', [
    ([], {'price': 'nope'}, "tenant_plan.price: no Stripe price has the ID or lookup key 'nope'"),
    (None, {'price': 'price_x'}, "tenant_plan.price: no Stripe price has the ID or lookup key 'price_x'"),
    ([PRICE], {'price': 'small', 'quantity': 1000}, 'tenant_plan.quantity: 1000 x 100000 EUR'),
    ([PRICE], {'price': 'small', 'quantity': '1e3'}, 'tenant_plan.quantity: 1000 x 100000 EUR'),
    ([dict(PRICE, unit_amount=None, unit_amount_decimal='99999999.5')], {'price': 'small'}, 'tenant_plan.quantity: 1 x 99999999.5'),
])
def test_a_price_stripe_cannot_bill_names_the_plan_variable(prices, plan, message):
    found = filter_tenant_price_errors(prices, plan)
    assert len(found) == 1 and found[0].startswith(message), found


def test_a_quantity_for_a_metered_price_names_the_plan_variable():
    metered = dict(PRICE, recurring={'interval': 'month', 'usage_type': 'metered', 'meter': 'mtr_devices'})
    found = filter_tenant_price_errors([metered], {'price': 'small', 'quantity': 1})
    assert len(found) == 1 and found[0].startswith('tenant_plan.quantity: price ') and 'is metered' in found[0], found
    assert filter_tenant_price_errors([metered], {'price': 'small'}) == []


def test_a_price_stripe_can_bill_has_no_error():
    assert filter_tenant_price_errors([PRICE], {'price': 'small', 'quantity': 999}) == []
    assert filter_tenant_price_errors([PRICE], {'price': 'small', 'quantity': '999'}) == []
    assert filter_tenant_price_errors([dict(PRICE, billing_scheme='tiered', unit_amount=None)], {'price': 'small', 'quantity': 10**9}) == []
    with pytest.raises(AnsibleFilterError, match='the plan must be a dict'):
        filter_tenant_price_errors([PRICE], 'small')


@pytest.mark.parametrize('metadata, refused', [({}, True), ({'tts-tbs-plan': 'Recurring'}, True), ({'tts-tbs-plan': 'recurring'}, False),
                                               ({'tts-tbs-plan': 'metered'}, False)])
def test_billing_mode_needs_a_price_marked_as_a_tbs_plan(metadata, refused):
    price = dict(PRICE, metadata=metadata)
    found = filter_tenant_price_errors([price], {'price': 'small'}, 'billing')
    assert bool(found) is refused, found
    if refused:
        assert found[0].startswith("tenant_plan.price: price price_1 (small) is not marked as a Tenant Billing Server plan")
        assert 'tbs.stripe.recurring-plan-ids' in found[0]
    assert filter_tenant_price_errors([price], {'price': 'small'}, 'direct') == []


def test_the_input_must_be_a_dict():
    with pytest.raises(AnsibleFilterError, match='must be a dict'):
        filter_tenant_input_errors('acme')


def declared(host, tenant_id=None, state='present', **customer):
    customer.setdefault('email', 'billing@acme.example')
    return filter_tenant_declaration(dict(GOOD, tenant_id=tenant_id or host, tenant_state=state, tenant_customer=customer), host)


def test_declarations_hold_no_admin_and_no_password():
    item = filter_tenant_declaration(dict(GOOD, tenant_admin={'password': 'S3cret!'}), 'acme')
    assert 'S3cret!' not in repr(item) and set(item) == {'host', 'tenant_id', 'customer', 'writes_customer', 'fields'}


def test_conflicts_name_both_hosts_and_the_fields():
    found = filter_tenant_conflicts([
        declared('a', name='Acme', metadata={'region': 'eu', 'crm': 1}),
        declared('b', name='Acme EU', metadata={'region': 'us', 'crm': '1'}, address={'city': 'Berlin'}),
        declared('c', tenant_id='a', email='billing@c.example'),
        declared('d', name='Acme'),
    ])
    assert found['a'][0] == ('tenant_customer: hosts a and b declare the same Stripe customer (billing@acme.example) with '
                             'different name, metadata.region, so it would change on every run; declare it the same way on both')
    assert found['a'][1] == "tenant_id: hosts a and c both declare tenant 'a'; declare each tenant on one host only"
    assert found['b'] == [found['a'][0], found['b'][1]] and 'hosts b and d' in found['b'][1]
    assert found['c'] == [found['a'][1]] and found['d'] == [found['b'][1]]


def test_no_conflict_for_alike_or_unwritten_customers():
    assert filter_tenant_conflicts([
        declared('a', name='Acme'),
        declared('b'),
        declared('c', state='absent', name='Other'),
        declared('d', name='Other', match_metadata={'site': 'us'})
    ]) == {}


@pytest.mark.parametrize('names, changes, expected', [
    (['tenant_plann'], {'tenant_plan': {}}, ['unknown variable tenant_plann; did you mean tenant_plan?']),
    (['tenant_atributes', 'tenant_id', 'tenant_live', 'other'], {}, ['unknown variable tenant_atributes; did you mean tenant_attributes?']),
    ([], {'tenant_customer': {'emial': 'billing@acme.example'}}, ['tenant_customer: unknown key emial; did you mean email?']),
    ([], {'tenant_customer': {'email': 'billing@acme.example', 'address': {'contry': 'DE'}}
          }, ['tenant_customer.address: unknown key contry; did you mean country?']),
    ([], {'tenant_plan': {'price': 'small', 'quantity': 'many'}
          }, ["argument 'quantity' is of type str found in 'tenant_plan'. and we were unable to convert to int: "]),
    ([], {'tenant_state': 'gone'}, ['value of tenant_state must be one of: present, suspended, absent, got: gone']),
])
def test_the_role_spec_is_checked_first_in_short_messages(names, changes, expected):
    found = filter_tenant_input_errors(dict(GOOD, **changes), names)
    assert len(found) == len(expected), found
    for message, start in zip(found, expected):
        assert message.startswith(start), found
        assert len(message) < 200 and 'description' not in message


def test_names_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match='names must be a list'):
        filter_tenant_input_errors(GOOD, 'tenant_plann')
    assert filter_tenant_input_errors(GOOD, ['tenant_plan', 'tenant_adopt']) == []
