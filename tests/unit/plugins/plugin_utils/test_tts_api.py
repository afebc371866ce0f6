# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

requests = pytest.importorskip('requests')

# pylint: disable=wrong-import-position
from requests.structures import CaseInsensitiveDict  # noqa: E402

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption  # noqa: E402
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_api import (  # noqa: E402
    TtsApi, base_url, check_connection, get_api, unsupported_paths)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_json import json_keys  # noqa: E402

KEY = '0123456789abcdef' * 4
URL = 'http://127.0.0.1:1'


class FakeResponse:

    def __init__(self, status, body=None, headers=None, text=None):
        self.status_code = status
        self.headers = CaseInsensitiveDict(headers or {})
        self.text = text if text is not None else ('' if body is None else json.dumps(body))
        self.content = self.text.encode()
        self.reason = 'Reason'

    def json(self):
        return json.loads(self.text)


def tts_error(code, namespace, name, rendered, correlation_id='abc123', attributes=None):
    details = {
        '@type': 'type.googleapis.com/ttn.lorawan.v3.ErrorDetails', 'namespace': namespace, 'name': name, 'message_format': rendered,
        'correlation_id': correlation_id, 'code': code
    }
    if attributes:
        details['attributes'] = attributes
    return {'code': code, 'message': f'error:{namespace}:{name} ({rendered})', 'details': [details]}


STATUS = {3: 400, 5: 404, 6: 409, 7: 403, 8: 429, 14: 503, 16: 401}


class FakeSession:
    """Answers requests from a script: each item is a FakeResponse or an exception to raise."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = []

    def request(self, method, url, params=None, json=None, timeout=None, verify=None):  # pylint: disable=redefined-outer-name
        self.calls.append({'method': method, 'url': url, 'params': params, 'json': json, 'timeout': timeout, 'verify': verify})
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item


@pytest.fixture
def api():
    client = TtsApi(URL, KEY, True, 5.0, 3)
    client.sleeps = []
    client.sleep = client.sleeps.append
    return client


def script(client, *items):
    client.session = FakeSession(items)
    return client.session


def error_response(code, name='some_error', namespace='pkg/identityserver', rendered='boom', headers=None):
    return FakeResponse(STATUS[code], tts_error(code, namespace, name, rendered), headers)


def test_the_session_sends_the_tenant_admin_key_header():
    client = TtsApi(URL, KEY, True, 5.0, 0)
    assert client.session.headers['Authorization'] == f'TenantAdminKey {KEY}'


def test_one_client_per_connection_settings():
    params = {'url': URL + '/', 'tenant_admin_key': KEY, 'validate_certs': True, 'ca_path': None, 'timeout': 5.0, 'max_retries': 1}
    first = get_api(params)
    assert get_api(dict(params, url=URL + '/api/v3')) is first
    assert get_api(dict(params, max_retries=2)) is not first
    assert first.url == URL


def test_get_sends_the_field_mask_and_maps_not_found_to_none(api):
    session = script(api, FakeResponse(200, {'ids': {'tenant_id': 'acme'}, 'name': 'Acme'}),
                     error_response(5, 'tenant_not_found', 'pkg/identityserver/store', 'tenant `gone` not found'))
    assert api.get_tenant('acme', ['name', 'billing.provider.stripe']) == {'ids': {'tenant_id': 'acme'}, 'name': 'Acme'}
    assert session.calls[0]['url'] == URL + '/api/v3/tenants/acme'
    assert session.calls[0]['params'] == {'field_mask': 'name,billing.provider.stripe'}
    assert api.get_tenant('gone', ['name']) is None
    assert api.counts == {'reads': 2, 'writes': 0}


def test_not_found_is_recognised_by_code_not_by_name(api):
    script(api, error_response(5, 'entity_not_found', 'pkg/util/store', 'not there'))
    assert api.get_tenant('acme', ['name']) is None


def test_a_gateway_404_without_error_details_is_not_a_missing_tenant(api):
    script(api, FakeResponse(404, {'code': 5, 'message': 'Not Found', 'details': []}))
    with pytest.raises(ApiError) as raised:
        api.get_tenant('acme', ['name'])
    assert 'is url (http://127.0.0.1:1) the base address' in raised.value.msg


def test_update_sends_the_tenant_and_the_field_mask_in_the_body(api):
    session = script(api, FakeResponse(200, {'name': 'B'}))
    api.update_tenant('acme', {'ids': {'tenant_id': 'acme'}, 'name': 'B'}, ['name', 'max_users'])
    assert session.calls[0]['method'] == 'PUT'
    assert session.calls[0]['json'] == {
        'tenant': {'ids': {'tenant_id': 'acme'}, 'name': 'B'}, 'field_mask': {'paths': ['name', 'max_users']}
    }


def test_create_sends_tenant_and_initial_user(api):
    session = script(api, FakeResponse(200, {'ids': {'tenant_id': 'acme'}}))
    api.create_tenant({'ids': {'tenant_id': 'acme'}}, {'ids': {'user_id': 'acme'}})
    assert session.calls[0]['json'] == {'tenant': {'ids': {'tenant_id': 'acme'}}, 'initial_user': {'ids': {'user_id': 'acme'}}}
    assert api.counts['writes'] == 1


def test_error_message_has_status_code_name_and_correlation_id(api):
    script(api, FakeResponse(403, tts_error(7, 'pkg/identityserver', 'tenant_admin_key', f'invalid tenant admin key {KEY}')))
    with pytest.raises(ApiError) as raised:
        api.get_tenant('acme', ['name'])
    msg = raised.value.msg
    assert msg.startswith(
        'TTS API error (HTTP 403, code 7 permission_denied, error:pkg/identityserver:tenant_admin_key): invalid tenant admin key')
    assert '[correlation id abc123]' in msg
    assert raised.value.details == {
        'status': 403, 'retried': False, 'tts_error':
        {'code': 7, 'name': 'tenant_admin_key', 'namespace': 'pkg/identityserver', 'correlation_id': 'abc123'}
    }


def test_validation_errors_render_the_message(api):
    script(api, error_response(3, 'validation', 'pkg/errors', 'invalid `name`: value length must be at most 50 runes'))
    with pytest.raises(
            ApiError, match=r'^TTS API error \(HTTP 400, code 3 invalid_argument, error:pkg/errors:validation\): '
            r'invalid `name`: value length must be at most 50 runes \[correlation id abc123\]$'):
        api.update_tenant('acme', {}, ['name'])


def test_unauthenticated_gets_a_hint(api):
    script(api, error_response(16, 'unauthenticated', rendered='unauthenticated'))
    with pytest.raises(ApiError, match='code 16 unauthenticated.*no usable tenant admin key'):
        api.list_tenants(['name'])


def test_non_json_errors_are_reported_with_their_text(api):
    script(api, FakeResponse(502, text='<html>Bad gateway</html>'), FakeResponse(418, text='<html>oops</html>'))
    with pytest.raises(ApiError, match=r'^TTS API error \(HTTP 418\): <html>oops</html>$'):
        api.get_tenant('acme', ['name'])


def test_429_and_503_are_retried_honouring_retry_after(api):
    session = script(api, error_response(8, 'rate_limit_exceeded', headers={'Retry-After': '7'}), error_response(14, 'unavailable'),
                     FakeResponse(200, {'ids': {'tenant_id': 'acme'}}))
    assert api.get_tenant('acme', ['name'])['ids'] == {'tenant_id': 'acme'}
    assert len(session.calls) == 3
    assert api.sleeps[0] == 7
    assert 0.25 <= api.sleeps[1] <= 1.0


def test_retries_stop_at_max_retries(api):
    session = script(api, *[error_response(14, 'unavailable')] * 10)
    with pytest.raises(ApiError, match='HTTP 503, code 14 unavailable'):
        api.get_tenant('acme', ['name'])
    assert len(session.calls) == 4
    assert len(api.sleeps) == 3


def test_client_errors_are_not_retried(api):
    session = script(api, error_response(3, 'validation', 'pkg/errors'))
    with pytest.raises(ApiError):
        api.get_tenant('acme', ['name'])
    assert len(session.calls) == 1 and api.sleeps == []


def test_backoff_is_capped_exponential_with_jitter(api):
    busy = error_response(14, 'unavailable')
    delays = [api._retry_delay(busy, attempt) for attempt in range(3)]
    assert all(0.25 * 2**i <= d <= 0.5 * 2**i for i, d in enumerate(delays))
    api.max_retries = 50
    assert api._retry_delay(busy, 40) <= 8
    assert api._retry_delay(FakeResponse(429, {}, {'Retry-After': '600'}), 0) == 60


def test_connection_errors_are_retried_then_reported(api):
    refused = requests.exceptions.ConnectionError('HTTPConnectionPool: Max retries exceeded ([Errno 111] Connection refused)')
    session = script(api, *[refused] * 4)
    with pytest.raises(ApiError) as raised:
        api.get_tenant('acme', ['name'])
    assert len(session.calls) == 4
    assert raised.value.msg == 'TTS API at http://127.0.0.1:1 could not be reached (3 retries): ConnectionError: [Errno 111] Connection refused'


def test_no_retries_with_max_retries_zero(api):
    api.max_retries = 0
    session = script(api, requests.exceptions.ConnectTimeout('slow'))
    with pytest.raises(ApiError, match=r'could not be reached \(0 retries\): no response within 5 s'):
        api.list_tenants(['name'])
    assert len(session.calls) == 1


def test_certificate_errors_are_not_retried(api):
    session = script(api, requests.exceptions.SSLError('certificate verify failed'))
    with pytest.raises(ApiError, match='set ca_path'):
        api.get_tenant('acme', ['name'])
    assert len(session.calls) == 1


def test_a_retried_write_is_marked_so_a_409_can_be_recognised(api):
    script(api, error_response(14, 'unavailable'), error_response(6, 'id_taken', 'pkg/util/store', 'ID already taken'))
    with pytest.raises(ApiError) as raised:
        api.create_tenant({'ids': {'tenant_id': 'acme'}})
    assert raised.value.details['tts_error']['code'] == 6 and raised.value.details['retried'] is True


def test_a_delete_that_finds_nothing_after_a_retry_went_through(api):
    script(api, requests.exceptions.ReadTimeout('lost'), error_response(5, 'tenant_not_found'))
    assert api.delete_tenant('acme') is False
    script(api, error_response(5, 'tenant_not_found'))
    with pytest.raises(ApiError, match='code 5 not_found'):
        api.delete_tenant('acme')


def test_list_reads_every_page(api):
    page1 = [{'ids': {'tenant_id': f't{i:04d}'}} for i in range(1000)]
    page2 = [{'ids': {'tenant_id': 'zzz'}}]
    session = script(api, FakeResponse(200, {'tenants': page1}, {'X-Total-Count': '1001'}),
                     FakeResponse(200, {'tenants': page2}, {'X-Total-Count': '1001'}))
    assert len(api.list_tenants(['name'])) == 1001
    assert [c['params']['page'] for c in session.calls] == [1, 2]
    assert session.calls[0]['params']['limit'] == 1000


def test_list_of_nothing(api):
    script(api, FakeResponse(200, {}, {'X-Total-Count': '0'}))
    assert api.list_tenants(['name']) == []


def test_deleted_tenant_search(api):
    session = script(api, FakeResponse(200, {'tenants': [{'ids': {'tenant_id': 'acme-2'}}, {'ids': {'tenant_id': 'acme'}}]}),
                     FakeResponse(200, {}), error_response(7, 'no_tenant_rights'))
    assert api.find_deleted_tenant('acme') is True
    assert session.calls[0]['url'].endswith('/api/v3/search/tenants')
    assert session.calls[0]['params']['deleted'] == 'true' and session.calls[0]['params']['id_contains'] == 'acme'
    assert api.find_deleted_tenant('acme') is False
    assert api.find_deleted_tenant('acme') is None


def test_unsupported_path_warnings_are_parsed():
    assert unsupported_paths(CaseInsensitiveDict({'x-warning': 'unsupported field mask paths: configuration.foo, capabilities'
                                                  })) == ['configuration.foo', 'capabilities']
    assert unsupported_paths({}) == []


def test_mask_paths_name_the_billing_oneof_but_json_does_not():
    assert json_keys('billing.provider.stripe.customer_id') == ['billing', 'stripe', 'customer_id']
    assert json_keys('configuration.default_cluster.ns') == ['configuration', 'default_cluster', 'ns']


def connection(**overrides):
    return dict(
        {
            'url': 'https://thethings.example.com', 'tenant_admin_key': KEY, 'timeout': 30.0, 'max_retries': 5, 'validate_certs': True,
            'ca_path': None, 'allow_http': False
        }, **overrides)


@pytest.mark.parametrize('overrides, message', [
    ({'tenant_admin_key': ''}, 'tenant_admin_key: must not be empty'),
    ({'tenant_admin_key': 'not-hex-at-all'}, 'tenant_admin_key: must be hex-encoded'),
    ({'tenant_admin_key': 'ab' * 10}, 'tenant_admin_key: must be 32, 48 or 64 hex digits (16, 24 or 32 bytes), got 20'),
    ({'url': 'thethings.example.com'}, 'url: must be the https:// base address'),
    ({'url': 'http://thethings.example.com'}, "url: 'http://thethings.example.com' would send the credentials in cleartext"),
    ({'url': 'http://10.0.0.1:1885'}, "url: 'http://10.0.0.1:1885' would send the credentials in cleartext: use https://"),
    ({'ca_path': '/nonexistent/ca.pem'}, 'ca_path: no such file or directory: /nonexistent/ca.pem'),
    ({'url': 'https://thethings.example.com/?tenant=x'}, 'url: must not have a query string'),
    ({'timeout': 0}, 'timeout: must be a positive number'),
    ({'max_retries': -1}, 'max_retries: must be 0 or more'),
])
def test_connection_options_are_checked_offline(overrides, message):
    with pytest.raises(InvalidOption) as raised:
        check_connection(connection(**overrides))
    assert raised.value.msg.startswith(message)
    assert KEY not in raised.value.msg


@pytest.mark.parametrize('length', [32, 48, 64])
def test_admin_keys_of_16_24_32_bytes_are_accepted(length):
    check_connection(connection(tenant_admin_key='A' * length))


def test_base_url_strips_the_api_prefix():
    assert base_url('https://tts.example.com/api/v3/') == 'https://tts.example.com'


def test_http_only_for_loopback_addresses_or_with_the_opt_in():
    for url in ('http://127.0.0.1:1885', 'http://127.8.9.10', 'http://localhost:1885', 'http://[::1]:1885'):
        check_connection(connection(url=url))
    with pytest.raises(InvalidOption, match='would send the credentials in cleartext'):
        check_connection(connection(url='http://tts.test.internal'))
    check_connection(connection(url='http://tts.test.internal', allow_http=True))


def test_certificate_settings(tmp_path, monkeypatch):
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE', 'SSL_CERT_DIR'):
        monkeypatch.delenv(name, raising=False)
    ca_file = tmp_path / 'ca.pem'
    ca_file.write_text('')
    params = dict(connection(url=URL), max_retries=0)
    assert get_api(params).verify is True
    assert get_api(dict(params, ca_path=str(ca_file))).verify == str(ca_file)
    assert get_api(dict(params, ca_path=str(ca_file), validate_certs=False)).verify is False


@pytest.mark.parametrize('method, call', [
    ('GET', lambda api: api.get_tenant('acme', ['name'])),
    ('PUT', lambda api: api.update_tenant('acme', {'name': 'B'}, ['name'])),
    ('POST', lambda api: api.create_tenant({'ids': {'tenant_id': 'acme'}})),
    ('DELETE', lambda api: api.delete_tenant('acme')),
])
def test_500_is_retried_for_every_request(api, method, call):
    session = script(api, FakeResponse(500, tts_error(13, 'pkg/errors', 'internal', 'boom')), FakeResponse(200, {'name': 'B'}))
    call(api)
    assert [c['method'] for c in session.calls] == [method, method]
    assert len(api.sleeps) == 1
