# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant role's decisions: by mode and state (filters tenant_steps and tenant_tts_state), the prepared tenant
(tenant_prepare), the ownership rule (tenant_ownership, tenant_adopting) and the customer reference (tenant_customer_ref)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_steps import (FilterModule, filter_tenant_adopting,
                                                                                 filter_tenant_customer_ref, filter_tenant_ownership,
                                                                                 filter_tenant_prepare, filter_tenant_steps,
                                                                                 filter_tenant_tts_state)

# (tenant_state, tenant_provisioning) -> subscription state, tenant step, the tenant state if fixed, create, missing_ok
TABLE = [
    ('present', 'billing', 'present', 'billing', 'approved', True, False),
    ('present', 'direct', 'present', 'direct', 'approved', True, False),
    ('suspended', 'billing', 'absent', 'billing', None, True, True),
    ('suspended', 'direct', 'present', 'direct', 'suspended', True, True),
    ('absent', 'billing', 'absent', 'billing', None, False, True),
    ('absent', 'direct', 'absent', 'direct', None, False, True),
]


def test_registered_names():
    assert sorted(FilterModule().filters()) == [
        'tenant_adopting', 'tenant_customer_ref', 'tenant_ownership', 'tenant_prepare', 'tenant_steps', 'tenant_tts_state'
    ]


@pytest.mark.parametrize('state, mode, subscription, tenant, tenant_state, create, missing_ok', TABLE)
def test_mode_and_state_decide_the_steps(state, mode, subscription, tenant, tenant_state, create, missing_ok):
    steps = filter_tenant_steps(state, mode)
    assert steps == {
        'customer': state != 'absent', 'subscription': subscription, 'cancel_at_period_end': False, 'tenant': tenant, 'create': create,
        'tenant_state': tenant_state, 'missing_ok': missing_ok, 'check_mode': False
    }


@pytest.mark.parametrize(
    'state, mode, expected',
    [
        ('present', 'billing', False),
        ('suspended', 'direct', False),  # the subscription is kept: nothing to cancel
        ('suspended', 'billing', True),
        ('absent', 'direct', True),
    ])
def test_cancel_at_period_end_only_when_the_subscription_is_canceled(state, mode, expected):
    assert filter_tenant_steps(state, mode, cancel_at_period_end=True)['cancel_at_period_end'] is expected


@pytest.mark.parametrize(
    'state, delete, tenant',
    [
        ('absent', True, 'delete'),
        ('absent', 'yes', 'delete'),
        ('absent', False, 'billing'),
        ('suspended', True, 'billing'),
        ('present', True, 'billing'),  # delete applies to an absent tenant only
    ])
def test_only_an_absent_tenant_is_deleted(state, delete, tenant):
    assert filter_tenant_steps(state, 'billing', delete)['tenant'] == tenant


def test_check_mode_is_carried():
    assert filter_tenant_steps('present', 'billing', check_mode=True)['check_mode'] is True


def test_unknown_mode_or_state_fails():
    with pytest.raises(AnsibleFilterError, match="tenant_provisioning one of billing, direct, got 'present' and 'tbs'"):
        filter_tenant_steps('present', 'tbs')


@pytest.mark.parametrize(
    'status, tenant_state',
    [
        ('active', 'approved'),
        ('trialing', 'approved'),
        ('past_due', 'approved'),
        ('incomplete', 'approved'),  # canceled at period end
        ('canceled', 'suspended'),
        ('incomplete_expired', 'suspended'),
        ('unpaid', 'suspended'),
        ('paused', 'suspended'),
        (None, 'suspended'),  # no subscription
    ])
def test_after_a_cancellation_the_tenant_follows_the_subscription(status, tenant_state):
    subscription = {'id': 'sub_1', 'status': status} if status else {}
    steps = filter_tenant_steps('absent', 'billing')
    assert filter_tenant_tts_state(subscription, steps) == tenant_state
    assert filter_tenant_tts_state(subscription, filter_tenant_steps('suspended', 'billing', cancel_at_period_end=True)) == tenant_state


@pytest.mark.parametrize('state, mode, tenant_state', [('present', 'billing', 'approved'), ('suspended', 'direct', 'suspended')])
def test_a_fixed_tenant_state_ignores_the_subscription(state, mode, tenant_state):
    assert filter_tenant_tts_state({'status': 'canceled'}, filter_tenant_steps(state, mode)) == tenant_state
    assert filter_tenant_tts_state({}, filter_tenant_steps(state, mode)) == tenant_state


# The role's variables as roles/tenant/vars/main.yml passes them (__tenant_input), defaults of meta/main.yml.
TENANT = {
    'tenant_id': 'acme', 'tenant_name': None, 'tenant_description': None, 'tenant_customer':
    {'email': 'billing@acme.example', 'name': 'ACME'}, 'tenant_customer_id': None, 'tenant_plan': {'price': 'tts-small-monthly'},
    'tenant_admin': {'email': 'admin@acme.example', 'password':
                     'S3cret-Pass'}, 'tenant_provisioning': 'direct', 'tenant_state': 'present', 'tenant_delete': False,
    'tenant_attributes': None, 'tenant_configuration': None, 'tenant_wait_timeout': 120, 'tenant_cancel_at_period_end': False,
    'tenant_purge_attributes': False, 'tenant_check_mode': False, 'tenant_adopt': False, 'tenant_claim_lookup': 'search'
}


def test_prepare_decides_the_steps_and_what_the_bulk_read_compares_without_the_password():
    prepared = filter_tenant_prepare(TENANT, 'acme-host', ['tenant_id'], check_mode=False)
    assert prepared['errors'] == [] and prepared['host'] == 'acme-host'
    assert prepared['steps'] == filter_tenant_steps('present', 'direct')
    assert prepared['declaration']['host'] == 'acme-host' and prepared['declaration']['tenant_id'] == 'acme'
    assert prepared['bulk']['admin'] == {'user': None, 'email': 'admin@acme.example', 'full_name': None}
    assert prepared['bulk']['steps'] is prepared['steps'] and prepared['bulk']['host'] == 'acme-host'
    assert 'S3cret-Pass' not in repr(prepared)


@pytest.mark.parametrize('check_mode, tenant_check_mode, expected', [(False, False, False), (True, False, True), (False, True, True),
                                                                     ('yes', 'no', True)])
def test_prepare_takes_check_mode_from_the_play_or_the_role(check_mode, tenant_check_mode, expected):
    prepared = filter_tenant_prepare(dict(TENANT, tenant_check_mode=tenant_check_mode), 'h', [], check_mode=check_mode)
    assert prepared['steps']['check_mode'] is expected


def test_prepare_of_refused_input_has_errors_and_no_steps_nor_bulk_declaration():
    prepared = filter_tenant_prepare(dict(TENANT, tenant_id='acme' * 10), 'h', ['tenant_id'])
    assert prepared['steps'] is None and prepared['bulk'] is None
    assert prepared['errors'] and prepared['errors'][0].startswith('tenant_id: must be 3 to 36 characters')
    assert filter_tenant_prepare(TENANT, 'h', ['tenant_plann'])['errors'] == ['unknown variable tenant_plann; did you mean tenant_plan?']
    assert prepared['declaration']['tenant_id'] == 'acme' * 10  # the conflict check still compares it


def test_prepare_refuses_what_is_not_a_tenant():
    with pytest.raises(AnsibleFilterError, match='tenant_prepare: the tenant must be a dict'):
        filter_tenant_prepare(['acme'], 'h')
    with pytest.raises(AnsibleFilterError, match='names must be a list'):
        filter_tenant_prepare(TENANT, 'h', 'tenant_id')


def read(billing=None, exists=True):
    tenant = {'ids': {'tenant_id': 'acme'}, 'name': 'ACME'}
    if billing is not None:
        tenant['billing'] = {'stripe': billing}
    return {'changed': False, 'tenants': [tenant] if exists else []}


OWNED = {'customer_id': 'cus_A', 'subscription_id': 'sub_A'}

# The Tenant Billing Server's rule: (read, tenant_customer_id, tenant_adopt, tenant_state) -> owner, problem (a word of it)
OWNERSHIP = [
    (read(exists=False), None, False, 'present', '', None),  # a new tenant: nobody owns it
    (read(OWNED), None, False, 'present', 'cus_A', None),  # owned; the declared email is checked by stripe_customer
    (read(OWNED), 'cus_A', False, 'present', 'cus_A', None),  # owned by the declared customer
    (read(OWNED), 'cus_B', False, 'present', 'cus_A', 'customer_id_mismatch'),  # another customer's
    (read(OWNED), 'cus_B', True, 'present', 'cus_A', None),  # moved on purpose
    (read(), None, False, 'present', '', 'tenant_not_managed'),  # made by hand: no billing link
    (read({}), 'cus_B', False, 'suspended', '', 'tenant_not_managed'),
    (read(), None, True, 'present', '', None),  # adopted on purpose
    (read(), None, False, 'absent', '', None),  # an absent tenant without a link: nothing to refuse
    (read(OWNED), 'cus_B', False, 'absent', 'cus_A', 'customer_id_mismatch'),
]


@pytest.mark.parametrize('tenant_read, customer_id, adopt, state, owner, problem', OWNERSHIP)
def test_ownership_follows_the_tenant_billing_servers_rule(tenant_read, customer_id, adopt, state, owner, problem):
    decided = filter_tenant_ownership(tenant_read, dict(TENANT, tenant_customer_id=customer_id, tenant_adopt=adopt, tenant_state=state))
    assert decided['owner'] == owner
    assert decided['existing'] == (tenant_read['tenants'][0] if tenant_read['tenants'] else {})
    if problem is None:
        assert decided['problem'] == ''
    else:
        assert problem in decided['problem'] and 'tenant_adopt: true' in decided['problem']
        if owner:
            assert f'is owned by customer {owner}, not tenant_customer_id {customer_id}' in decided['problem']


def test_ownership_of_a_skipped_or_failed_read_is_nobodys():
    assert filter_tenant_ownership({'skipped': True}, TENANT) == {'existing': {}, 'owner': '', 'problem': ''}


@pytest.mark.parametrize(
    'tenant_read, customer, adopt, expected',
    [
        (read(OWNED), {'id': 'cus_B'}, True, True),  # taken over from cus_A
        (read(OWNED), {'id': 'cus_A'}, True, False),  # already the found customer's
        (read(), {'id': 'cus_B'}, True, True),  # made by hand
        (read(exists=False), {'id': 'cus_B'}, True, False),  # nothing to adopt
        (read(OWNED), {'id': 'cus_B'}, False, False),  # not asked for
        (read(), {}, 'yes', False),  # check mode, a customer to be created: no ID to compare yet
    ])
def test_adopting_only_a_tenant_whose_link_names_another_customer(tenant_read, customer, adopt, expected):
    assert filter_tenant_adopting(filter_tenant_ownership(tenant_read, dict(TENANT, tenant_adopt=adopt)), customer, adopt) is expected


@pytest.mark.parametrize(
    'customer, customer_id, email, expected',
    [
        ({'id': 'cus_A'}, 'cus_X', 'a@x.example', 'cus_A'),  # the customer stripe_customer found
        ({}, 'cus_X', 'a@x.example', 'cus_X'),  # not ensured (absent tenant) or to be created (check mode)
        ({'id': None}, None, 'a@x.example', 'a@x.example'),
        (None, None, None, ''),
    ])
def test_the_customer_reference_prefers_the_found_id(customer, customer_id, email, expected):
    tenant = dict(TENANT, tenant_customer_id=customer_id, tenant_customer={'email': email} if email else {})
    assert filter_tenant_customer_ref(customer, tenant) == expected
