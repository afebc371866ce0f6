# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The usage reporter's choice of meter events (filter tenant_usage_events)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_usage_events import filter_tenant_usage_events

METER = {
    'id': 'mtr_devices', 'event_name': 'tts_devices', 'status': 'active', 'customer_mapping':
    {'event_payload_key': 'stripe_customer_id', 'type': 'by_id'}, 'value_settings': {'event_payload_key': 'value'}
}
OTHER = dict(METER, id='mtr_other', event_name='tts_other')


def sub(tenant, customer='cus_A', meter='mtr_devices', status='active'):
    recurring = {'interval': 'month', 'usage_type': 'metered', 'meter': meter} if meter else {'interval': 'month'}
    return {
        'id': f'sub_{tenant}', 'customer': customer, 'status': status, 'metadata': {'tenant-id': tenant}, 'items':
        {'data': [{'price': {'id': 'price_x', 'recurring': recurring}}]}
    }


def tenant(tenant_id, state='STATE_APPROVED'):
    return {'ids': {'tenant_id': tenant_id}, 'state': state}


def usage(count):
    return {'end_devices': {'used': count, 'limit': None, 'ratio': None}}


def report(subscriptions, tenants, counts, meters=(METER, OTHER), kind='end_devices'):
    return filter_tenant_usage_events(subscriptions, tenants, {key: usage(value)
                                                               for key, value in counts.items()}, list(meters), '2026120714', kind)


def test_one_event_per_billed_metered_tenant_with_its_count_and_period_identifier():
    result = report([sub('acme'), sub('flat', customer='cus_B', meter=None)], [tenant('acme'), tenant('flat')], {'acme': 950, 'flat': 3})
    assert result['events'] == [{
        'tenant_id': 'acme', 'customer': 'cus_A', 'subscription': 'sub_acme', 'meter': 'mtr_devices', 'event_name': 'tts_devices', 'value':
        950, 'identifier': 'acme-2026120714', 'customer_payload_key': 'stripe_customer_id', 'value_payload_key': 'value'
    }]
    assert result['unmetered'] == ['flat'] and result['skipped'] == [] and result['refused'] == []


@pytest.mark.parametrize('state', ['STATE_SUSPENDED', 'STATE_REJECTED', 'STATE_REQUESTED', None])
def test_tenants_tbs_would_not_bill_are_skipped_with_their_state(state):
    result = report([sub('acme')], [dict(tenant('acme'), state=state)], {'acme': 5})
    assert result['events'] == []
    assert result['skipped'] == [{'tenant_id': 'acme', 'reason': f"state {(state or 'STATE_REQUESTED')[6:].lower()} (not billed)"}]


def test_a_customer_with_two_tenants_on_one_meter_is_refused_whole_but_its_own_meters_would_do():
    subs = [sub('acme'), sub('acme-lab'), sub('acme-x', meter='mtr_other'), sub('solo', customer='cus_B')]
    result = report(subs, [tenant(t) for t in ('acme', 'acme-lab', 'acme-x', 'solo')], {'acme': 1, 'acme-lab': 2, 'acme-x': 3, 'solo': 4})
    assert [event['tenant_id'] for event in result['events']] == ['solo']
    assert result['refused'] == [{
        'customer': 'cus_A', 'tenants': ['acme', 'acme-lab', 'acme-x'], 'reason':
        'tenants acme, acme-lab share one meter of this customer; give each its own meter'
    }]
    separate = report([sub('acme'), sub('acme-x', meter='mtr_other')], [tenant('acme'), tenant('acme-x')], {'acme': 1, 'acme-x': 3})
    assert len(separate['events']) == 2 and separate['refused'] == []


def test_untrusted_input_is_skipped_not_sent():
    subs = [sub('Bad_ID'), sub('gone'), sub('nometer', meter='mtr_deleted'), sub('badcount'), sub('nocustomer', customer='x')]
    tenants = [tenant('gone-not'), tenant('nometer'), tenant('badcount'), tenant('nocustomer')]
    result = report(subs, tenants, {'badcount': -1, 'nometer': 1, 'nocustomer': 1})
    assert result['events'] == []
    reasons = {entry['tenant_id']: entry['reason'] for entry in result['skipped']}
    assert set(reasons) == {'Bad_ID', 'gone', 'nometer', 'badcount', 'nocustomer'}
    assert 'not an active meter' in reasons['nometer'] and 'no such tenant' in reasons['gone']
    assert 'whole number' in reasons['badcount'] and 'customer ID' in reasons['nocustomer']


@pytest.mark.parametrize('period, kind, message', [('2026-12-07', 'end_devices', 'period must be the hour'),
                                                   ('2026120714', 'devices', 'kind must be one of')])
def test_bad_period_or_kind_fails(period, kind, message):
    with pytest.raises(AnsibleFilterError, match=message):
        filter_tenant_usage_events([], [], {}, [], period, kind)
