# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant role's whole-input check and the play's conflict check (filters tenant_input_errors, tenant_conflicts)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_input import (
    filter_tenant_conflicts, filter_tenant_declaration, filter_tenant_input_errors)

GOOD = {'tenant_id': 'acme', 'tenant_state': 'present', 'tenant_provisioning': 'direct', 'tenant_delete': False,
        'tenant_customer': {'email': 'billing@acme.example', 'name': 'Acme'}, 'tenant_plan': {'price': 'small'},
        'tenant_admin': {}, 'tenant_wait_timeout': 120}


def errors(**changes):
    return filter_tenant_input_errors(dict(GOOD, **changes))


def test_good_input_has_no_error():
    assert errors() == []
    assert errors(tenant_provisioning='billing', tenant_state='suspended', tenant_plan={}) == []
    assert errors(tenant_state='absent', tenant_plan={}, tenant_customer={}, tenant_customer_id='cus_1', tenant_delete=True) == []
    assert errors(tenant_admin={'user': 'jo', 'email': 'jo@acme.example', 'password': 'S3cret!'}) == []


@pytest.mark.parametrize('changes, message', [
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
])
def test_bad_input_names_the_role_variable(changes, message):
    found = errors(**changes)
    assert len(found) == 1 and found[0].startswith(message), found


def test_one_message_per_variable_and_no_secret():
    # the admin email defaults to the customer's: the tenant registry's rule names it too
    assert [error.split(':')[0] for error in errors(tenant_customer={'email': 'nope'})] == ['tenant_customer.email', 'tenant_admin.email']
    found = errors(tenant_admin={'password': 'p' * 1001})
    assert found == ['tenant_admin.password: must be at most 1000 characters long, got 1001']


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
    assert filter_tenant_conflicts([declared('a', name='Acme'), declared('b'), declared('c', state='absent', name='Other'),
                                    declared('d', name='Other', match_metadata={'site': 'us'})]) == {}
