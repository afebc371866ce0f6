# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_from_billing import (FilterModule, filter_tenant_drift,
                                                                                        filter_tenant_from_billing,
                                                                                        filter_tenant_mismatches)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import MASK
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import initial_user_from_billing, tenant_from_billing

CUSTOMER = {'id': 'cus_1', 'object': 'customer', 'email': 'billing@acme.example', 'name': 'Acme Corp', 'description': 'Fleet of Acme Corp'}
PRICE = {
    'id': 'price_small', 'lookup_key': 'tts-small-monthly', 'metadata': {'max-end-devices': '1000', 'max-gateways': '20', 'plan': 'small'}
}
SUBSCRIPTION = {
    'id': 'sub_1',
    'object': 'subscription',
    'customer': 'cus_1',
    'status': 'active',
    'metadata': {'tenant-id': 'acme', 'admin-email': 'ops@acme.example', 'admin-password': MASK},
    'items': {
        'object': 'list', 'data': [
            {'id': 'si_other', 'price': {'id': 'price_addon', 'lookup_key': 'addon', 'metadata': {}}},
            {'id': 'si_1', 'price': PRICE},
        ]
    },
}


def test_registered_names():
    assert sorted(FilterModule().filters()) == ['tenant_drift', 'tenant_from_billing', 'tenant_mismatches']


def test_every_field_as_tbs_derives_it():
    fields = filter_tenant_from_billing(SUBSCRIPTION, CUSTOMER, price='tts-small-monthly')
    assert fields == {
        'tenant_id':
        'acme',
        'name':
        'Acme Corp',
        'description':
        'Fleet of Acme Corp',
        'contact_info': [
            {'type': 'billing', 'method': 'email', 'value': 'billing@acme.example', 'public': False},
            {'type': 'technical', 'method': 'email', 'value': 'ops@acme.example', 'public': False},
        ],
        'tenant_state':
        'approved',
        'billing':
        {'stripe': {'customer_id': 'cus_1', 'plan_id': 'price_small', 'subscription_id': 'sub_1', 'subscription_item_id': 'si_1'}},
        'max_applications':
        'unlimited',
        'max_clients':
        'unlimited',
        'max_end_devices':
        1000,
        'max_gateways':
        20,
        'max_organizations':
        'unlimited',
        'max_users':
        'unlimited',
        'initial_user': {'user_id': 'acme', 'email': 'ops@acme.example'},
    }


def test_same_rules_as_tenant_rules():
    """The filter is an adapter: every value comes from plugin_utils.tenant_rules."""
    fields = filter_tenant_from_billing(SUBSCRIPTION, CUSTOMER, price='price_small')
    item = SUBSCRIPTION['items']['data'][1]
    rules = tenant_from_billing(SUBSCRIPTION, item, CUSTOMER, PRICE['metadata'])
    for key in ('tenant_id', 'name', 'description', 'contact_info', 'tenant_state', 'billing', 'max_end_devices'):
        assert fields[key] == rules[key]
    user = initial_user_from_billing(SUBSCRIPTION['metadata'], CUSTOMER)
    assert fields['initial_user']['user_id'] == user['user_id']
    assert fields['initial_user']['email'] == user['email']


@pytest.mark.parametrize('metadata, customer, name', [
    ({'tenant-name': 'T', 'name': 'N', 'company': 'C'}, {'name': 'Cust'}, 'T'),
    ({'name': 'N', 'company': 'C'}, {'name': 'Cust'}, 'N'),
    ({'company': 'C'}, {'name': 'Cust'}, 'C'),
    ({}, {'name': 'Cust'}, 'Cust'),
    ({}, {}, ''),
])
def test_name_defaults_of_the_seed(metadata, customer, name):
    subscription = dict(SUBSCRIPTION, metadata=dict(metadata, **{'tenant-id': 'acme'}))
    assert filter_tenant_from_billing(subscription, dict(customer, id='cus_1'))['name'] == name


def test_admin_metadata_and_password_from_the_caller():
    subscription = dict(
        SUBSCRIPTION, metadata={
            'tenant-id': 'acme', 'admin-user': 'olga', 'admin-email': 'o@acme.example', 'admin-full-name': 'Olga Ops', 'admin-password':
            MASK
        })
    fields = filter_tenant_from_billing(subscription, CUSTOMER, admin_password='s3cret-pass')
    assert fields['initial_user'] == {'user_id': 'olga', 'email': 'o@acme.example', 'full_name': 'Olga Ops', 'password': 's3cret-pass'}


def test_masked_password_is_never_passed_on():
    fields = filter_tenant_from_billing(SUBSCRIPTION, CUSTOMER)
    assert 'password' not in fields['initial_user']


def test_first_item_without_price_or_match():
    assert filter_tenant_from_billing(SUBSCRIPTION, CUSTOMER)['billing']['stripe']['subscription_item_id'] == 'si_other'
    assert filter_tenant_from_billing(SUBSCRIPTION, CUSTOMER, price='nope')['billing']['stripe']['plan_id'] == 'price_addon'


def test_tenant_state_override():
    assert filter_tenant_from_billing(SUBSCRIPTION, CUSTOMER, tenant_state='suspended')['tenant_state'] == 'suspended'


def test_check_mode_prediction_leaves_unknowns_out():
    """A subscription that would be created: no IDs yet, and its price is just an ID (not read)."""
    predicted = {
        'id': None, 'object': 'subscription', 'status': None, 'customer': None, 'metadata': {'tenant-id': 'acme'}, 'items':
        {'object': 'list', 'data': [{'id': None, 'object': 'subscription_item', 'price': {'id': 'price_small'}, 'quantity': 1}]}
    }
    fields = filter_tenant_from_billing(predicted, {'id': None, 'email': 'billing@acme.example', 'name': 'Acme'})
    assert 'billing' not in fields
    assert not [key for key in fields if key.startswith('max_')]
    assert fields['name'] == 'Acme'
    assert fields['initial_user'] == {'user_id': 'acme', 'email': 'billing@acme.example'}


@pytest.mark.parametrize('subscription', [{}, None, {'id': 'sub_1', 'items': {'data': []}}])
def test_no_items_gives_nothing(subscription):
    assert filter_tenant_from_billing(subscription, CUSTOMER) == {}


def test_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match='no tenant-id'):
        filter_tenant_from_billing(dict(SUBSCRIPTION, metadata={}), CUSTOMER)
    bad = copy.deepcopy(SUBSCRIPTION)
    bad['items']['data'][1]['price']['metadata']['max-users'] = 'many'
    with pytest.raises(AnsibleFilterError, match='max-users: must be a non-negative integer'):
        filter_tenant_from_billing(bad, CUSTOMER, price='price_small')
    with pytest.raises(AnsibleFilterError, match='customer must be a dict'):
        filter_tenant_from_billing(SUBSCRIPTION, 'cus_1')


TENANT = {
    'ids': {'tenant_id': 'acme'}, 'name': 'Acme Corp', 'state': 'STATE_APPROVED', 'max_end_devices': '1000', 'billing':
    {'stripe': {'customer_id': 'cus_1', 'plan_id': 'price_small', 'subscription_id': 'sub_1', 'subscription_item_id': 'si_1'}}
}


def test_no_mismatch_when_tbs_did_its_job():
    expected = filter_tenant_from_billing(SUBSCRIPTION, CUSTOMER, price='price_small')
    assert filter_tenant_mismatches(TENANT, expected) == []
    # a limit TTS leaves out is no limit
    assert filter_tenant_mismatches(TENANT, expected, ['max_end_devices', 'max_users']) == []
    assert filter_tenant_mismatches(TENANT, expected, ['max_end_devices']) == []


def test_mismatches_name_each_field():
    expected = filter_tenant_from_billing(SUBSCRIPTION, CUSTOMER, price='price_small', tenant_state='suspended')
    tenant = dict(TENANT, name='Old', billing={'stripe': dict(TENANT['billing']['stripe'], subscription_id='sub_0')})
    assert filter_tenant_mismatches(tenant, expected) == [
        "name is 'Old', expected 'Acme Corp'",
        'state is STATE_APPROVED, expected STATE_SUSPENDED',
        "billing.stripe.subscription_id is 'sub_0', expected 'sub_1'",
    ]


def test_missing_state_is_requested_and_missing_tenant_is_named():
    assert filter_tenant_mismatches({'ids': {'tenant_id': 'acme'}}, {'tenant_state': 'approved'},
                                    'state') == ['state is STATE_REQUESTED, expected STATE_APPROVED']
    assert filter_tenant_mismatches({}, {'tenant_state': 'approved'}) == ['the tenant does not exist']


def test_unknown_expected_values_are_not_compared():
    assert filter_tenant_mismatches(TENANT, {'tenant_state': 'approved'}) == []
    assert filter_tenant_mismatches(dict(TENANT, max_users='5'), {'max_users': 'unlimited'},
                                    ['max_users']) == ['max_users is 5, expected unlimited']


def test_unknown_field_fails():
    with pytest.raises(AnsibleFilterError, match='cannot compare'):
        filter_tenant_mismatches(TENANT, {}, ['attributes'])


def report(customer=None, subscription=None, tenant=None):
    base = {'changed': False, 'diff': {}}
    return {
        'tenant_id': 'acme', 'provisioning': 'billing', 'state': 'present', 'customer': dict(base, **(customer or {})), 'subscription':
        dict(base, **(subscription or {})), 'tenant': {**base, 'pending_tbs_create': False, 'mismatches': [], **(tenant or {})}
    }


def test_no_drift_when_nothing_changed():
    assert filter_tenant_drift(report()) == []


def test_drift_of_updates_names_the_fields_one_level_into_maps():
    drift = filter_tenant_drift(
        report(
            customer={
                'changed': True, 'diff':
                {'before': {'name': 'Old', 'address': {'city': 'Bonn'}}, 'after': {'name': 'New', 'address': {'city': 'Berlin'}}}
            }, subscription={
                'changed': True, 'diff':
                {'before': {'metadata': {'tenant-name': 'A', 'crm': '1'}}, 'after': {'metadata': {'tenant-name': 'B', 'crm': '1'}}}
            }, tenant={
                'changed': True, 'diff': {
                    'before': {'max_users': '3', 'billing': {'stripe': None}}, 'after':
                    {'max_users': None, 'billing': {'stripe': {'plan_id': 'p'}}}
                }
            }))
    assert drift == [
        {'resource': 'customer', 'change': 'update', 'fields': ['address.city', 'name']},
        {'resource': 'subscription', 'change': 'update', 'fields': ['metadata.tenant-name']},
        {'resource': 'tenant', 'change': 'update', 'fields': ['billing.stripe', 'max_users']},
    ]


def test_drift_of_creates_cancels_and_deletes():
    drift = filter_tenant_drift(
        report(
            customer={'changed': True, 'diff': {'before': {}, 'after': {'email': 'a@b.example'}}}, subscription={
                'changed': True, 'diff': {'before': {'id': 'sub_1', 'status': 'active'}, 'after': {'id': 'sub_1', 'status': 'canceled'}}
            }, tenant={'changed': True, 'diff': {'before': {'ids': {'tenant_id': 'acme'}}, 'after': {}}}))
    assert [(d['resource'], d['change']) for d in drift] == [('customer', 'create'), ('subscription', 'cancel'), ('tenant', 'delete')]
    drift = filter_tenant_drift(
        report(
            subscription={'changed': True, 'diff': {'before': {'cancel_at_period_end': False}, 'after': {'cancel_at_period_end': True}}}))
    assert drift == [{'resource': 'subscription', 'change': 'cancel at period end', 'fields': []}]


def test_drift_of_tbs_pending_and_mismatches():
    drift = filter_tenant_drift(report(tenant={'pending_tbs_create': True}))
    assert drift == [{'resource': 'tenant', 'change': 'create (by the Tenant Billing Server)', 'fields': []}]
    drift = filter_tenant_drift(report(tenant={'mismatches': ["name is 'X', expected 'Y'"]}))
    assert drift == [{'resource': 'tenant', 'change': 'differs from its subscription', 'fields': ["name is 'X', expected 'Y'"]}]
