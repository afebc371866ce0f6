# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

stripe = pytest.importorskip('stripe')

# pylint: disable=wrong-import-position
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError  # noqa: E402
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_api import StripeApi, idempotency_key  # noqa: E402

KEY = 'sk_test_unit_secret_key'


class FakeObject(dict):
    last_response = None

    def to_dict(self, for_json=False):
        return dict(self)


def error(cls, status, code=None, headers=None, message='boom', param=None):
    body = {'error': {'type': 'invalid_request_error' if status < 500 else 'api_error', 'code': code, 'message': message, 'param': param}}
    kwargs = dict(http_status=status, json_body=body, headers=dict({'request-id': 'req_123'}, **(headers or {})), code=code)
    if issubclass(cls, stripe.InvalidRequestError):
        return cls(message, param, **kwargs)
    return cls(message, **kwargs)


@pytest.fixture
def api():
    client = StripeApi(KEY, 'http://127.0.0.1:1', None, 5.0, 3)
    client.sleeps = []
    client.sleep = client.sleeps.append
    return client


def flaky(failures, result=None):
    calls = []

    def method(*args, params=None, options=None):
        calls.append(options)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return FakeObject(result or {'id': 'cus_1'})
    method.calls = calls
    return method


def test_rate_limit_and_lock_timeout_are_retried_with_one_idempotency_key(api):
    method = flaky([error(stripe.RateLimitError, 429, 'rate_limit'), error(stripe.InvalidRequestError, 429, 'lock_timeout')])
    assert api.write(method, 'cus_1', params={'name': 'x'}) == {'id': 'cus_1'}
    assert len(method.calls) == 3
    assert len({c['idempotency_key'] for c in method.calls}) == 1
    assert len(api.sleeps) == 2 and api.sleeps[1] > 0


def test_backoff_is_capped_exponential_and_honours_retry_after(api):
    delays = [api._retry_delay(error(stripe.APIError, 500), attempt) for attempt in range(3)]
    assert all(0.25 <= d <= 0.5 * 2 ** i for i, d in enumerate(delays))
    assert api._retry_delay(error(stripe.RateLimitError, 429, headers={'Retry-After': '7'}), 0) == 7
    api.max_retries = 50
    assert api._retry_delay(error(stripe.APIError, 500), 40) <= 8


def test_stripe_should_retry_header_wins(api):
    assert api._retry_delay(error(stripe.APIError, 500, headers={'Stripe-Should-Retry': 'false'}), 0) is None
    assert api._retry_delay(error(stripe.InvalidRequestError, 400, headers={'Stripe-Should-Retry': 'true'}), 0) is not None


def test_client_errors_are_not_retried_and_map_to_one_message(api):
    method = flaky([error(stripe.InvalidRequestError, 400, 'parameter_unknown', param='address[bogus]',
                          message=f'Received unknown parameter: address[bogus] with key {KEY}')])
    with pytest.raises(ApiError) as raised:
        api.read(method)
    assert len(method.calls) == 1
    msg = raised.value.msg
    assert msg.startswith('Stripe API error (HTTP 400, invalid_request_error, parameter_unknown, param address[bogus])')
    assert '[request req_123]' in msg
    assert KEY not in msg and '********' in msg
    assert raised.value.details['status'] == 400


def test_retries_stop_at_max_retries(api):
    method = flaky([error(stripe.APIError, 503)] * 10)
    with pytest.raises(ApiError, match='HTTP 503'):
        api.read(method)
    assert len(method.calls) == 4


def test_create_keys_are_deterministic_and_change_with_parameters():
    first = idempotency_key('customer', ['customer', 'a@b.example', None], {'name': 'A'})
    assert first == idempotency_key('customer', ['customer', 'a@b.example', None], {'name': 'A'})
    assert first != idempotency_key('customer', ['customer', 'a@b.example', None], {'name': 'B'})
    assert len(first) <= 255


def test_writes_without_key_get_a_fresh_key_each(api):
    method = flaky([])
    api.write(method, params={})
    api.write(method, params={})
    assert method.calls[0]['idempotency_key'] != method.calls[1]['idempotency_key']
