# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""stripe_webhook_endpoint and stripe_webhook_endpoint_info through run(), against the shared Stripe fake (conftest.py)."""

from __future__ import annotations

import functools
import json
import os
import stat

import pytest

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import stripe_webhooks
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_customers import literal_values

TTS = 'https://tts.example.com'
TBS_URL = TTS + '/api/v3/tbs/stripe'
EVENTS = ['customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted']
TBS_ENDPOINT = {
    'id': 'we_tbs', 'object': 'webhook_endpoint', 'url': TBS_URL, 'enabled_events': EVENTS, 'api_version': '2022-11-15', 'description':
    'The Things Stack Tenant Billing Server', 'status': 'enabled', 'metadata': {}
}


@pytest.fixture
def endpoint(run_action, stripe):
    return functools.partial(run_action, 'stripe_webhook_endpoint')


@pytest.fixture
def info(run_action, stripe):
    return functools.partial(run_action, 'stripe_webhook_endpoint_info')


def no_secret(result):
    """Nothing of a signing secret anywhere in the result."""
    return 'whsec_' not in json.dumps(result)


def test_tbs_preset_creates_the_endpoint_and_writes_the_secret_to_a_0600_file(endpoint, stripe, tmp_path):
    secret_file = tmp_path / 'secret'
    result = endpoint(tbs=True, tts_url=TTS + '/', secret_file=str(secret_file), diff=True)
    assert stripe.writes == [
        ('webhook_endpoints.create', (),
         {'url': TBS_URL, 'enabled_events': EVENTS, 'api_version': '2022-11-15', 'description':
          'The Things Stack Tenant Billing Server'}, ['webhook_endpoint', TBS_URL])
    ]
    assert secret_file.read_text() == 'whsec_unitnew1'
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert result['changed'] and result['secret_saved'] and result['webhook_endpoint']['id'] == 'we_new1'
    assert result['diff']['after']['url'] == TBS_URL and result['diff']['before'] == {}
    assert no_secret(result)
    assert any('tbs.stripe.endpoint-secret-key' in warning and str(secret_file) in warning for warning in result['warnings'])


def test_converged_run_is_one_read_no_write_and_no_secret(endpoint, stripe, tmp_path):
    secret_file = tmp_path / 'secret'
    endpoint(tbs=True, tts_url=TTS, secret_file=str(secret_file))
    calls = len(stripe.calls)
    again = endpoint(tbs=True, tts_url=TTS, secret_file=str(secret_file), diff=True)
    assert not again['changed'] and 'diff' not in again and 'warnings' not in again
    assert [call.method for call in stripe.calls[calls:]] == ['webhook_endpoints.list']
    assert no_secret(again) and again['webhook_endpoint']['api_version'] == '2022-11-15'


def test_create_in_check_mode_sends_and_writes_nothing(endpoint, stripe, tmp_path):
    secret_file = tmp_path / 'secret'
    result = endpoint(check_mode=True, diff=True, tbs=True, url=TBS_URL, secret_file=str(secret_file))
    assert not stripe.writes and not secret_file.exists()
    assert result['changed'] and result['secret_saved'] is False and result['webhook_endpoint']['id'] is None
    assert result['diff']['after']['enabled_events'] == EVENTS


def test_create_without_secret_file_warns_that_the_secret_is_lost(endpoint, stripe):
    result = endpoint(url='https://hooks.example.com/stripe', enabled_events=['invoice.paid', 'invoice.paid'], connect=True)
    assert stripe.writes[0].params == {'url': 'https://hooks.example.com/stripe', 'enabled_events': ['invoice.paid'], 'connect': True}
    assert result['secret_saved'] is False and no_secret(result)
    assert result['warnings'] == [
        'Stripe returns the signing secret of webhook endpoint we_new1 only when it is created, and '
        'secret_file is not set: reveal it in the Stripe Dashboard, or recreate the endpoint with secret_file'
    ]


def test_disabled_on_create_is_a_second_write(endpoint, stripe):
    result = endpoint(url='https://hooks.example.com/stripe', enabled_events=['*'], disabled=True)
    assert [(call.method, call.params) for call in stripe.writes][1] == ('webhook_endpoints.update', {'disabled': True})
    assert result['webhook_endpoint']['status'] == 'disabled'


def test_drift_is_one_update_of_the_changed_fields(endpoint, stripe):
    stripe.load(webhook_endpoints=[dict(TBS_ENDPOINT, enabled_events=EVENTS[:2], metadata={'old': 'x'})])
    result = endpoint(tbs=True, tts_url=TTS, description='', disabled=True, metadata={'owner': 'ops'}, purge_metadata=True, diff=True)
    assert stripe.writes == [('webhook_endpoints.update', ('we_tbs', ),
                              {'description': '', 'disabled': True, 'metadata': {'owner': 'ops', 'old': ''}, 'enabled_events':
                               EVENTS}, None)]
    assert result['diff'] == {
        'before': {
            'description': 'The Things Stack Tenant Billing Server', 'status': 'enabled', 'metadata': {'old': 'x'}, 'enabled_events':
            EVENTS[:2]
        }, 'after': {'description': None, 'status': 'disabled', 'metadata': {'owner': 'ops'}, 'enabled_events': EVENTS}
    }
    assert result['webhook_endpoint']['status'] == 'disabled'
    assert not endpoint(tbs=True, tts_url=TTS, description='', disabled=True, metadata={'owner': 'ops'})['changed']


def test_event_order_is_no_drift(endpoint, stripe):
    stripe.load(webhook_endpoints=[TBS_ENDPOINT])
    assert not endpoint(url=TBS_URL, enabled_events=list(reversed(EVENTS)))['changed'] and not stripe.writes


def test_another_api_version_fails_before_any_write_without_recreate(endpoint, stripe, failed):
    stripe.load(webhook_endpoints=[dict(TBS_ENDPOINT, api_version='2018-09-06')])
    failed(
        endpoint(tbs=True, tts_url=TTS), r"^endpoint_api_version: Stripe cannot change the API version of webhook endpoint "
        r"we_tbs \(2018-09-06 -> 2022-11-15\); set recreate=true")
    assert not stripe.writes


def test_recreate_deletes_and_creates_and_keeps_the_other_settings(endpoint, stripe, tmp_path):
    stripe.load(webhook_endpoints=[dict(TBS_ENDPOINT, api_version='2018-09-06', status='disabled', metadata={'owner': 'ops'})])
    secret_file = tmp_path / 'secret'
    secret_file.write_text('whsec_old')
    result = endpoint(tbs=True, tts_url=TTS, recreate=True, secret_file=str(secret_file), overwrite_secret_file=True, diff=True)
    assert [(call.method, call.args, call.params)
            for call in stripe.writes] == [('webhook_endpoints.delete', ('we_tbs', ), None),
                                           ('webhook_endpoints.create', (), {
                                               'url': TBS_URL, 'enabled_events': EVENTS, 'api_version': '2022-11-15', 'description':
                                               'The Things Stack Tenant Billing Server', 'metadata': {'owner': 'ops'}
                                           }), ('webhook_endpoints.update', ('we_new1', ), {'disabled': True})]
    assert result['recreated'] == {'deleted': 'we_tbs', 'created': 'we_new1'}
    assert result['diff']['before']['api_version'] == '2018-09-06' and result['diff']['after']['api_version'] == '2022-11-15'
    assert secret_file.read_text() == 'whsec_unitnew1' and no_secret(result)
    assert any('we_tbs was replaced by we_new1' in warning and 'tbs.stripe.endpoint-secret-key' in warning
               for warning in result['warnings'])
    assert list(stripe.objects['webhook_endpoints']) == ['we_new1']


def test_recreate_in_check_mode_reports_both_steps(endpoint, stripe):
    stripe.load(webhook_endpoints=[dict(TBS_ENDPOINT, api_version=None)])
    result = endpoint(check_mode=True, url=TBS_URL, endpoint_api_version='2022-11-15', recreate=True)
    assert not stripe.writes
    assert result['changed'] and result['recreated'] == {'deleted': 'we_tbs', 'created': None}
    assert any('new signing secret must replace' in warning for warning in result['warnings'])


def test_an_existing_secret_file_is_not_replaced_unless_told(endpoint, stripe, tmp_path, failed):
    secret_file = tmp_path / 'secret'
    secret_file.write_text('whsec_other')
    failed(endpoint(tbs=True, tts_url=TTS, secret_file=str(secret_file)),
           r"^secret_file: .* exists and would be replaced .*overwrite_secret_file=true")
    assert not stripe.writes and secret_file.read_text() == 'whsec_other'


def test_a_missing_secret_file_of_an_existing_endpoint_is_a_warning(endpoint, stripe, tmp_path):
    stripe.load(webhook_endpoints=[TBS_ENDPOINT])
    result = endpoint(tbs=True, tts_url=TTS, secret_file=str(tmp_path / 'secret'))
    assert not result['changed'] and 'only when it is created' in result['warnings'][0]


def test_a_secret_that_is_not_a_signing_secret_is_not_written(endpoint, stripe, tmp_path, monkeypatch, failed):
    create = stripe.create_webhook_endpoints
    monkeypatch.setattr(stripe, 'create_webhook_endpoints', lambda **fields: dict(create(**fields), secret='../../etc\nx'))
    failed(endpoint(tbs=True, tts_url=TTS, secret_file=str(tmp_path / 'secret')), r'^secret_file: Stripe returned no signing secret')
    assert os.listdir(tmp_path) == []


def test_several_endpoints_with_the_url_fail_with_their_ids(endpoint, stripe, failed):
    stripe.load(webhook_endpoints=[TBS_ENDPOINT, dict(TBS_ENDPOINT, id='we_copy'), dict(TBS_ENDPOINT, id='we_other', url=TTS)])
    result = failed(endpoint(tbs=True, tts_url=TTS), r"^url: 2 webhook endpoints have the URL '.*/api/v3/tbs/stripe': we_tbs, we_copy;")
    assert result['candidates'] == ['we_tbs', 'we_copy'] and not stripe.writes


def test_by_id_updates_the_url_and_a_missing_id_fails(endpoint, stripe, failed):
    stripe.load(webhook_endpoints=[TBS_ENDPOINT])
    result = endpoint(id='we_tbs', tbs=True, tts_url='https://new.example.com')
    assert stripe.writes[0].params == {'url': 'https://new.example.com/api/v3/tbs/stripe'} and result['changed']
    failed(endpoint(id='we_gone', url=TBS_URL, enabled_events=EVENTS), r'^id: no webhook endpoint we_gone exists')


def test_absent_deletes_once(endpoint, stripe):
    stripe.load(webhook_endpoints=[TBS_ENDPOINT])
    result = endpoint(url=TBS_URL, state='absent', diff=True)
    assert stripe.writes == [('webhook_endpoints.delete', ('we_tbs', ), None, None)]
    assert result['changed'] and result['webhook_endpoint']['deleted'] and result['diff']['after'] == {}
    assert endpoint(url=TBS_URL, state='absent') == {'changed': False, 'webhook_endpoint': {}}


@pytest.mark.parametrize('args, pattern', [
    ({'url': 'http://tts.example.com/api/v3/tbs/stripe', 'enabled_events': EVENTS
      }, r"^url: .* cleartext: use https://, or set allow_http=true"),
    ({'tbs': True, 'tts_url': 'http://tts.example.com'}, r'^tts_url: .* cleartext'),
    ({'url': 'ftp://x.example.com/', 'enabled_events': EVENTS}, r'^url: must be an absolute https:// URL'),
    ({'url': TBS_URL, 'endpoint_api_version': '2022-13-45'}, r"^endpoint_api_version: '2022-13-45' is not a Stripe API version "
     r"that the installed stripe SDK knows"),
    ({'url': TBS_URL, 'enabled_events': ['customer.subscription.updatd']
      }, r"^enabled_events: unknown event type\(s\) 'customer.subscription.updatd'"),
    ({'url': TBS_URL, 'enabled_events': []}, r'^enabled_events: must name at least one event type'),
    ({'url': TBS_URL, 'enabled_events': ['*', 'invoice.paid']}, r"^enabled_events: '\*' \(every event\) cannot be combined"),
    ({'tbs': True, 'tts_url': TTS, 'enabled_events': ['*']}, r"^enabled_events: must not be '\*' with tbs=true"),
    ({'tbs': True, 'tts_url': TTS, 'enabled_events': EVENTS[:2]}, r'^enabled_events: must include customer.subscription.deleted'),
    ({'tbs': True, 'url': TTS + '/stripe'}, r'^url: must end with /api/v3/tbs/stripe with tbs=true'),
    ({'tbs': True, 'tts_url': TTS, 'endpoint_api_version': '2026-10-28.endive'
      }, r'^endpoint_api_version: must be 2022-11-15 with tbs=true'),
    ({'tbs': True, 'id': 'we_tbs'}, r'^tbs: needs tts_url'),
    ({'tts_url': TTS}, r'^tts_url: is only used with tbs=true'),
    ({'id': 'whsec_x'}, r"^id: 'whsec_x' is not a webhook endpoint ID"),
    ({'url': TBS_URL, 'metadata': {'k' * 41: 'v'}}, r'^metadata: key'),
    ({'url': TBS_URL, 'secret_file': '/nonexistent-dir/secret'}, r'^secret_file: .* must be a file in an existing directory'),
])
def test_bad_input_fails_before_any_request(endpoint, stripe, failed, args, pattern):
    failed(endpoint(**args), pattern)
    assert stripe.calls == []


def test_without_the_sdk_list_an_api_version_is_checked_as_a_date(endpoint, stripe, failed, monkeypatch):
    monkeypatch.setattr(stripe_webhooks, 'SDK_API_VERSIONS', frozenset())
    failed(endpoint(url=TBS_URL, endpoint_api_version='latest'),
           r"^endpoint_api_version: 'latest' is not a Stripe API version \(YYYY-MM-DD")
    assert stripe.calls == []


def test_the_sdk_lists_the_versions_and_events_the_tbs_needs():
    assert '2022-11-15' in stripe_webhooks.SDK_API_VERSIONS and set(EVENTS) < stripe_webhooks.SDK_EVENTS
    from stripe.params import WebhookEndpointCreateParams  # pylint: disable=import-outside-toplevel
    annotations = WebhookEndpointCreateParams.__annotations__
    assert stripe_webhooks.SDK_API_VERSIONS == literal_values(annotations['api_version'])  # read from source as its types say
    assert stripe_webhooks.SDK_EVENTS == literal_values(annotations['enabled_events'])


def test_info_by_url_and_by_id_never_returns_a_secret(info, stripe):
    stripe.load(webhook_endpoints=[dict(TBS_ENDPOINT, secret='whsec_leaked'), dict(TBS_ENDPOINT, id='we_other', url=TTS)])
    by_url = info(url=TBS_URL)
    assert [e['id'] for e in by_url['webhook_endpoints']] == ['we_tbs'] and not by_url['changed'] and no_secret(by_url)
    by_id = info(id='we_tbs')
    assert by_id['webhook_endpoints'][0]['url'] == TBS_URL and no_secret(by_id)
    assert len(info()['webhook_endpoints']) == 2 and info(id='we_none')['webhook_endpoints'] == []
