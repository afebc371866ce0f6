# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""stripe_meter_event through run(), against the shared Stripe fake (conftest.py)."""

from __future__ import annotations

import functools

import pytest

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError

EVENT = {'event_name': 'tts_end_devices', 'customer': 'cus_Acme1', 'value': 950, 'identifier': 'acme-2026120714'}


@pytest.fixture(name='send')
def fixture_send(run_action, stripe):
    return functools.partial(run_action, 'stripe_meter_event')


def test_sends_one_event_with_the_value_as_a_string(send, stripe):
    result = send(diff=True, **EVENT)
    assert stripe.methods == ['meter_events.create']
    assert stripe.calls[0].params == {
        'event_name': 'tts_end_devices', 'identifier': 'acme-2026120714', 'payload': {'stripe_customer_id': 'cus_Acme1', 'value': '950'}
    }
    assert result['changed'] is True and result['duplicate'] is False
    assert result['event']['identifier'] == 'acme-2026120714' and result['event']['object'] == 'billing.meter_event'
    assert result['diff'] == {'before': {}, 'after': result['event']}
    assert len(stripe.meter_events) == 1


def test_timestamp_and_payload_keys_are_sent_as_given(send, stripe):
    send(timestamp=1_799_999_000, customer_payload_key='customer', value_payload_key='devices', **EVENT)
    assert stripe.calls[0].params == {
        'event_name': 'tts_end_devices', 'identifier': 'acme-2026120714', 'timestamp': 1_799_999_000, 'payload':
        {'customer': 'cus_Acme1', 'devices': '950'}
    }


def test_a_value_of_zero_is_sent(send, stripe):
    assert send(**dict(EVENT, value=0))['changed']
    assert stripe.meter_events[0]['payload']['value'] == '0'


def test_the_same_identifier_again_is_not_counted_and_not_a_failure(send, stripe):
    assert send(**EVENT)['changed']
    result = send(**dict(EVENT, value=951))
    assert not result.get('failed'), result
    assert result['changed'] is False and result['duplicate'] is True
    assert result['event']['identifier'] == 'acme-2026120714' and result['event']['payload']['value'] == '951'
    assert stripe.methods == ['meter_events.create'] * 2 and len(stripe.meter_events) == 1
    assert stripe.meter_events[0]['payload']['value'] == '950'
    assert send(**dict(EVENT, identifier='acme-2026120715'))['changed'] and len(stripe.meter_events) == 2


@pytest.mark.parametrize('error', [
    ApiError('Stripe API error (HTTP 400, invalid_request_error, param timestamp): out of range', status=400,
             stripe_error={'type': 'invalid_request_error', 'code': None, 'param': 'timestamp', 'request_id': None}),
    ApiError('Stripe API error (HTTP 500, api_error): boom', status=500,
             stripe_error={'type': 'api_error', 'code': None, 'param': 'identifier', 'request_id': None}),
])
def test_other_refusals_fail(send, stripe, failed, error):
    stripe.failures['meter_events.create'] = error
    failed(send(**EVENT), r'^Stripe API error \(HTTP (400|500)')
    assert stripe.meter_events == []


def test_check_mode_sends_nothing_and_predicts_the_event(send, stripe):
    result = send(check_mode=True, diff=True, **EVENT)
    assert stripe.calls == []
    assert result['changed'] is True and result['duplicate'] is False
    assert result['event'] == {
        'object': 'billing.meter_event', 'event_name': 'tts_end_devices', 'identifier': 'acme-2026120714', 'payload':
        {'stripe_customer_id': 'cus_Acme1', 'value': '950'}
    }
    assert result['diff']['after'] == result['event']


def test_the_api_key_is_in_no_result(send, stripe):
    stripe.failures['meter_events.create'] = ApiError('Stripe API error (HTTP 401): Invalid API Key provided: sk_test_unit', status=401)
    results = [
        send(api_key='sk_test_unit', **EVENT),
        send(api_key='sk_test_unit', diff=True, **EVENT),
        send(api_key='sk_test_unit', diff=True, **EVENT)
    ]
    assert results[0].get('failed') and not results[1].get('failed') and results[2]['duplicate']
    assert 'sk_test_unit' not in repr(results)


@pytest.mark.parametrize('args, pattern', [
    ({'customer': 'acme'}, r"^customer: must be a customer ID \(cus_\.\.\.\), got 'acme'"),
    ({'customer': 'cus_'}, r'^customer: must be a customer ID'),
    ({'customer': 'cus_a b'}, r'^customer: must be a customer ID'),
    ({'customer': 'sub_Acme1'}, r'^customer: must be a customer ID'),
    ({'value': -1}, r'^value: must be 0 or more, got -1'),
    ({'event_name': ''}, r'^event_name: must be 1 to 100 characters'),
    ({'event_name': 'x' * 101}, r'^event_name: must be 1 to 100 characters'),
    ({'event_name': 'tts_end_devices '}, r'^event_name: must not start or end with blanks'),
    ({'identifier': ''}, r'^identifier: must be 1 to 100 characters'),
    ({'identifier': 'a' * 101}, r'^identifier: must be 1 to 100 characters'),
    ({'timestamp': 0}, r'^timestamp: must be seconds since the Unix epoch, got 0'),
    ({'customer_payload_key': ''}, r'^customer_payload_key: must be 1 to 100 characters'),
    ({'value_payload_key': 'v' * 101}, r'^value_payload_key: must be 1 to 100 characters'),
    ({'value_payload_key': 'stripe_customer_id'}, r"^value_payload_key: must differ from customer_payload_key \('stripe_customer_id'\)"),
])
def test_bad_input_fails_before_any_request(send, stripe, failed, args, pattern):
    failed(send(**dict(EVENT, **args)), pattern)
    assert stripe.calls == [] and stripe.clients_made == 0


def test_bad_input_fails_in_check_mode_too(send, stripe, failed):
    failed(send(check_mode=True, **dict(EVENT, value=-5)), r'^value: must be 0 or more')
    assert stripe.calls == []
