# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""stripe_meter and stripe_meter_info through run(), against the shared Stripe fake (conftest.py)."""

from __future__ import annotations

import functools

import pytest

METER = {
    'id': 'mtr_devices', 'object': 'billing.meter', 'event_name': 'tts_devices', 'display_name': 'Devices', 'status': 'active',
    'default_aggregation': {'formula': 'last'}, 'event_time_window': None, 'customer_mapping':
    {'event_payload_key': 'stripe_customer_id', 'type': 'by_id'}, 'value_settings': {'event_payload_key': 'value'}
}
DECLARED = {'event_name': 'tts_devices', 'display_name': 'Devices', 'default_aggregation': {'formula': 'last'}}


@pytest.fixture
def meter(run_action, stripe):
    return functools.partial(run_action, 'stripe_meter')


@pytest.fixture
def info(run_action, stripe):
    return functools.partial(run_action, 'stripe_meter_info')


def test_creates_a_meter_with_only_the_given_settings(meter, stripe):
    result = meter(value_settings={'event_payload_key': 'devices'}, event_time_window='hour', diff=True, **DECLARED)
    assert stripe.writes == [('meters.create', (), {
        'event_name': 'tts_devices', 'display_name': 'Devices', 'default_aggregation': {'formula': 'last'}, 'value_settings':
        {'event_payload_key': 'devices'}, 'event_time_window': 'hour'
    }, ['meter', 'tts_devices'])]
    assert result['changed'] and result['meter']['id'] == 'mtr_new1'
    assert result['diff']['before'] == {} and result['diff']['after']['event_time_window'] == 'hour'


def test_converged_run_is_one_read_and_no_write(meter, stripe):
    stripe.load(meters=[METER])
    result = meter(customer_mapping={'event_payload_key': 'stripe_customer_id'}, value_settings={'event_payload_key': 'value'}, **DECLARED)
    assert not result['changed'] and result['meter']['id'] == 'mtr_devices'
    assert stripe.writes == [] and len(stripe.reads) == 1


def test_display_name_is_updated_in_place(meter, stripe):
    stripe.load(meters=[METER])
    result = meter(**dict(DECLARED, display_name='End devices'), diff=True)
    assert stripe.writes == [('meters.update', ('mtr_devices', ), {'display_name': 'End devices'}, None)]
    assert result['diff'] == {'before': {'display_name': 'Devices'}, 'after': {'display_name': 'End devices'}}


@pytest.mark.parametrize('option, value, shown', [
    ('default_aggregation', {'formula': 'sum'}, 'default_aggregation.formula last -> sum'),
    ('value_settings', {'event_payload_key': 'devices'}, 'value_settings.event_payload_key value -> devices'),
    ('customer_mapping', {'event_payload_key': 'customer'}, 'customer_mapping.event_payload_key stripe_customer_id -> customer'),
    ('event_time_window', 'day', 'event_time_window None -> day'),
])
def test_a_setting_stripe_cannot_change_fails_before_any_write(meter, stripe, failed, option, value, shown):
    stripe.load(meters=[dict(METER, status='inactive')])
    result = failed(meter(**dict(DECLARED, display_name='Renamed', **{option: value})),
                    rf"^{option}.*: Stripe cannot change this on meter mtr_devices \({shown}\); only display_name can change")
    assert stripe.writes == [] and result['meter'] == 'mtr_devices'


def test_absent_deactivates_and_present_reactivates(meter, stripe):
    stripe.load(meters=[METER])
    result = meter(event_name='tts_devices', state='absent', diff=True)
    assert stripe.writes == [('meters.deactivate', ('mtr_devices', ), None, None)]
    assert result['changed'] and result['meter']['status'] == 'inactive'
    assert result['diff'] == {'before': {'status': 'active'}, 'after': {'status': 'inactive'}}
    assert not meter(event_name='tts_devices', state='absent')['changed']
    result = meter(**DECLARED)
    assert stripe.writes[-1] == ('meters.reactivate', ('mtr_devices', ), None, None)
    assert result['changed'] and result['meter']['status'] == 'active'
    assert len(stripe.writes) == 2


def test_check_mode_predicts_and_sends_nothing(meter, stripe):
    result = meter(check_mode=True, **DECLARED)
    assert result['changed'] and result['meter']['id'] is None and result['meter']['status'] == 'active'
    stripe.load(meters=[dict(METER, status='inactive')])
    result = meter(check_mode=True, **dict(DECLARED, display_name='New'))
    assert result['meter']['status'] == 'active' and result['meter']['display_name'] == 'New'
    assert meter(check_mode=True, event_name='tts_devices', state='absent')['changed'] is False
    assert stripe.writes == []


def test_create_needs_display_name_and_aggregation(meter, stripe, failed):
    failed(meter(event_name='tts_devices', display_name='Devices'), r'^default_aggregation: required to create the meter')
    assert stripe.writes == []


@pytest.mark.parametrize('args, pattern', [
    ({'event_name': ''}, r'^event_name: must be 1 to 100 characters'),
    ({'event_name': 'x' * 101}, r'^event_name: must be 1 to 100 characters'),
    ({'event_name': ' tts'}, r'^event_name: must not start or end with blanks'),
    ({'event_name': 'tts', 'display_name': ''}, r'^display_name: must be 1 to 250'),
    ({'event_name': 'tts', 'value_settings': {'event_payload_key': ''}}, r'^value_settings.event_payload_key: must be 1 to 100'),
])
def test_bad_input_fails_before_any_request(meter, stripe, failed, args, pattern):
    failed(meter(**args), pattern)
    assert stripe.calls == []


def test_info_by_event_name_status_and_id(info, stripe):
    stripe.load(meters=[dict(METER, id='mtr_old', status='inactive'), METER, dict(METER, id='mtr_other', event_name='other')])
    assert [m['id'] for m in info(event_name='tts_devices')['meters']] == ['mtr_old', 'mtr_devices']
    assert [m['id'] for m in info(status='inactive')['meters']] == ['mtr_old']
    assert stripe.calls[-1].params == {'status': 'inactive', 'limit': 100}
    assert [m['id'] for m in info(id='mtr_other')['meters']] == ['mtr_other']
    assert info(id='mtr_other', status='inactive')['meters'] == []
    assert info(id='mtr_gone')['meters'] == [] and not info(id='mtr_gone')['changed']
    assert stripe.writes == []
