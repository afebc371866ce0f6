# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os

import pytest
import yaml

stripe = pytest.importorskip('stripe')

# pylint: disable=wrong-import-position
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: E402

from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import STRIPE_API_VERSION, stripe_argument_spec  # noqa: E402
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption  # noqa: E402
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_api import (  # noqa: E402
    StripeApi, check_connection, get_api, idempotency_key)

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
    assert all(0.25 <= d <= 0.5 * 2**i for i, d in enumerate(delays))
    assert api._retry_delay(error(stripe.RateLimitError, 429, headers={'Retry-After': '7'}), 0) == 7
    api.max_retries = 50
    assert api._retry_delay(error(stripe.APIError, 500), 40) <= 8


def test_stripe_should_retry_header_wins(api):
    assert api._retry_delay(error(stripe.APIError, 500, headers={'Stripe-Should-Retry': 'false'}), 0) is None
    assert api._retry_delay(error(stripe.InvalidRequestError, 400, headers={'Stripe-Should-Retry': 'true'}), 0) is not None


def test_client_errors_are_not_retried_and_map_to_one_message(api):
    method = flaky([
        error(stripe.InvalidRequestError, 400, 'parameter_unknown', param='address[bogus]',
              message='Received unknown parameter: address[bogus]')
    ])
    with pytest.raises(ApiError) as raised:
        api.read(method)
    assert len(method.calls) == 1
    msg = raised.value.msg
    assert msg.startswith('Stripe API error (HTTP 400, invalid_request_error, parameter_unknown, param address[bogus])')
    assert '[request req_123]' in msg
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


def test_timeouts_and_connection_errors_are_retried_but_not_a_failed_certificate_check(api):
    assert api._retry_delay(stripe.APIConnectionError('Network error: ReadTimeout', should_retry=True), 0) is not None
    ssl_error = stripe.APIConnectionError("Could not verify Stripe's SSL certificate. (Network error: SSLError: bad)")
    method = flaky([ssl_error] * 3)
    with pytest.raises(ApiError, match=r'TLS certificate verification failed; set ca_path .*: SSLError: bad'):
        api.read(method)
    assert len(method.calls) == 1


def connection(**overrides):
    return dict(
        {
            'api_key': KEY, 'api_base': 'https://api.stripe.com', 'api_version': None, 'timeout': 30.0, 'max_retries': 5, 'validate_certs':
            True, 'ca_path': None, 'allow_http': False
        }, **overrides)


@pytest.mark.parametrize('overrides, message', [
    ({'api_key': 'pk_test_public'}, 'api_key: must be a Stripe secret key'),
    ({'api_base': 'api.stripe.com'
      }, "api_base: must be the https:// base address of the Stripe API, such as https://api.stripe.com, got 'api.stripe.com'"),
    ({'api_base': 'http://stripe-mock.internal:12111'
      }, "api_base: 'http://stripe-mock.internal:12111' would send the credentials in cleartext"),
    ({'api_base': 'https://api.stripe.com?x=1'}, 'api_base: must not have a query string or fragment'),
    ({'ca_path': '/nonexistent/ca.pem'}, 'ca_path: no such file or directory: /nonexistent/ca.pem'),
])
def test_connection_options_are_checked_offline(overrides, message):
    with pytest.raises(InvalidOption) as raised:
        check_connection(connection(**overrides))
    assert raised.value.msg.startswith(message)


@pytest.mark.parametrize('overrides', [{'api_base': 'http://127.0.0.1:12111'}, {'api_base': 'http://localhost:12111/'},
                                       {'api_base': 'http://[::1]:12111'}, {'api_base': 'http://stripe-mock:12111', 'allow_http': True}])
def test_http_is_accepted_for_loopback_or_with_the_opt_in(overrides):
    check_connection(connection(**overrides))


def test_the_http_client_verifies_with_the_chosen_ca(tmp_path):
    """The SDK passes its own CA file with every request; the session must win, or ca_path would never be used."""
    ca_file = tmp_path / 'ca.pem'
    ca_file.write_text('')
    api = get_api(connection(ca_path=str(ca_file), max_retries=0))
    seen = []
    session = api.client._requestor._client._session
    session.send = lambda request, **kwargs: seen.append(kwargs['verify']) or pytest.fail('stop here')
    with pytest.raises(BaseException):
        api.read(api.v1.customers.list)
    assert seen == [str(ca_file)]
    assert get_api(connection(validate_certs=False, ca_path=str(ca_file))).client._requestor._client._session.verify is False


def test_the_api_version_is_pinned_to_the_one_the_collection_is_tested_with():
    assert STRIPE_API_VERSION == stripe.api_version  # the SDK of tests/requirements: bump both together
    params = ArgumentSpecValidator(stripe_argument_spec()).validate({'api_key': KEY}).validated_parameters
    assert params['api_version'] == STRIPE_API_VERSION
    assert get_api(dict(params, api_base='http://127.0.0.1:9')).client._requestor._options.stripe_version == STRIPE_API_VERSION


def test_the_documented_api_version_defaults_are_the_pinned_one():
    """The docs repeat the default (ansible-doc reads YAML, not code): the modules' fragment and the inventory plugin."""
    from ansible_collections.thingsstack.tenancy.plugins.doc_fragments.stripe import ModuleDocFragment  # pylint: disable=import-outside-toplevel
    from ansible_collections.thingsstack.tenancy.plugins.inventory import tenants  # pylint: disable=import-outside-toplevel
    assert yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']['api_version']['default'] == STRIPE_API_VERSION
    assert yaml.safe_load(tenants.DOCUMENTATION)['options']['stripe_api_version']['default'] == STRIPE_API_VERSION


def test_requirements_ask_for_the_sdk_release_that_pins_the_api_version():
    """An older 16.x pins an older API version (16.0.0: 2026-09-30.endive): requirements.txt starts at the tested release."""
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'requirements.txt')
    with open(path, encoding='utf-8') as handle:
        lines = [line.split('#')[0].strip() for line in handle]
    assert f'stripe>={stripe.VERSION},<{int(stripe.VERSION.split(".")[0]) + 1}.0.0' in lines
    assert stripe.api_version == STRIPE_API_VERSION


class RawPages:
    """``StripeClient.raw_request`` of a list call: pages of 2 objects, the first request rate-limited when asked."""

    def __init__(self, count, rate_limited=False):
        self.objects = [{'id': f'sub_{number}', 'items': {'data': [{'price': {'unit_amount_decimal': '12.5'}}]}} for number in range(count)]
        self.calls = []
        self.rate_limited = rate_limited

    def __call__(self, method, path, **params):
        self.calls.append((method, path, params))
        if self.rate_limited:
            self.rate_limited = False
            raise error(stripe.RateLimitError, 429, code='rate_limit')
        start = next((index + 1 for index, obj in enumerate(self.objects) if obj['id'] == params.get('starting_after')), 0)
        page = self.objects[start:start + 2]
        body = json.dumps({'object': 'list', 'data': page, 'has_more': start + 2 < len(self.objects)})
        return type('Response', (), {'body': body})()


def test_a_list_path_is_read_as_plain_json_page_by_page_with_retries(api):
    pages = RawPages(5, rate_limited=True)
    api.client.raw_request = pages
    found = api.list_all('/v1/subscriptions', params={'status': 'all'})
    assert found == pages.objects and all(type(obj) is dict for obj in found)  # pylint: disable=unidiomatic-typecheck
    assert [call[2].get('starting_after') for call in pages.calls] == [None, None, 'sub_1', 'sub_3']
    assert all(call[:2] == ('get', '/v1/subscriptions') and call[2]['status'] == 'all' and call[2]['limit'] == 100 for call in pages.calls)
    assert api.counts == {'reads': 3, 'writes': 0} and len(api.sleeps) == 1  # 3 pages; the retry is not a page
    assert api.list_all('/v1/subscriptions', max_pages=2) is None
