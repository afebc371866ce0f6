# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant role's decisions by mode and state (filters tenant_steps and tenant_tts_state)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_steps import FilterModule, filter_tenant_steps, filter_tenant_tts_state

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
    assert sorted(FilterModule().filters()) == ['tenant_steps', 'tenant_tts_state']


@pytest.mark.parametrize('state, mode, subscription, tenant, tenant_state, create, missing_ok', TABLE)
def test_mode_and_state_decide_the_steps(state, mode, subscription, tenant, tenant_state, create, missing_ok):
    steps = filter_tenant_steps(state, mode)
    assert steps == {'customer': state != 'absent', 'subscription': subscription, 'cancel_at_period_end': False,
                     'tenant': tenant, 'create': create, 'tenant_state': tenant_state, 'missing_ok': missing_ok,
                     'check_mode': False}


@pytest.mark.parametrize('state, mode, expected', [
    ('present', 'billing', False), ('suspended', 'direct', False),  # the subscription is kept: nothing to cancel
    ('suspended', 'billing', True), ('absent', 'direct', True),
])
def test_cancel_at_period_end_only_when_the_subscription_is_canceled(state, mode, expected):
    assert filter_tenant_steps(state, mode, cancel_at_period_end=True)['cancel_at_period_end'] is expected


@pytest.mark.parametrize('state, delete, tenant', [
    ('absent', True, 'delete'), ('absent', 'yes', 'delete'), ('absent', False, 'billing'),
    ('suspended', True, 'billing'), ('present', True, 'billing'),  # delete applies to an absent tenant only
])
def test_only_an_absent_tenant_is_deleted(state, delete, tenant):
    assert filter_tenant_steps(state, 'billing', delete)['tenant'] == tenant


def test_check_mode_is_carried():
    assert filter_tenant_steps('present', 'billing', check_mode=True)['check_mode'] is True


def test_unknown_mode_or_state_fails():
    with pytest.raises(AnsibleFilterError, match="tenant_provisioning one of billing, direct, got 'present' and 'tbs'"):
        filter_tenant_steps('present', 'tbs')


@pytest.mark.parametrize('status, tenant_state', [
    ('active', 'approved'), ('trialing', 'approved'), ('past_due', 'approved'), ('incomplete', 'approved'),  # canceled at period end
    ('canceled', 'suspended'), ('incomplete_expired', 'suspended'), ('unpaid', 'suspended'), ('paused', 'suspended'),
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
