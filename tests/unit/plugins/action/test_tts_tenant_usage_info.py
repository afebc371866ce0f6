# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tts_tenant_usage_info through run() against the shared TTS fake (conftest.py), and the client's batch of totals."""

from __future__ import annotations

import functools
import math

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import tts_api
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_usage import KINDS, usage_of

KEY = 'cd' * 32


@pytest.fixture(name='usage')
def fixture_usage(run_action, tts):
    return functools.partial(run_action, 'tts_tenant_usage_info')


def tenant(tenant_id, **fields):
    return {tenant_id: dict({'ids': {'tenant_id': tenant_id}, 'created_at': 't0', 'updated_at': 't0'}, **fields)}


def test_one_tenant_reads_its_limits_and_totals_once(usage, tts):
    tts.load(tenant('acme', max_end_devices='1000', max_gateways='0', max_users='10'))
    tts.totals['acme'] = {'end_devices': '950', 'activated_end_devices': '900', 'users': '4', 'applications': '3'}
    result = usage(tenant_id='acme')
    assert result['changed'] is False and result['missing'] == [] and result['kinds'] == list(KINDS)
    acme = result['usage']['acme']
    assert acme['end_devices'] == {'used': 950, 'limit': 1000, 'ratio': 0.95}
    assert acme['activated_end_devices'] == {'used': 900, 'limit': 1000, 'ratio': 0.9}
    assert acme['users'] == {'used': 4, 'limit': 10, 'ratio': 0.4}
    assert acme['applications'] == {'used': 3, 'limit': None, 'ratio': None}
    assert acme['gateways'] == {'used': 0, 'limit': 0, 'ratio': 0.0}
    assert acme['clients'] == {'used': 0, 'limit': None, 'ratio': None}
    assert acme['max_ratio'] == 0.95
    assert tts.methods == ['get_tenant', 'get_registry_totals']
    assert tts.calls[0].params == ['max_applications', 'max_clients', 'max_end_devices', 'max_gateways', 'max_organizations', 'max_users']
    assert tts.calls[1].params == list(KINDS)


def test_a_missing_tenant_is_listed_not_an_error(usage, tts):
    result = usage(tenant_id='ghost')
    assert not result.get('failed') and result['usage'] == {} and result['missing'] == ['ghost']
    assert tts.methods == ['get_tenant']  # no totals read for a tenant that is not there


def test_many_tenants_one_list_and_one_batch_a_hundred(usage, tts):
    for index in range(250):
        tts.load(tenant(f'tenant-{index:03d}', max_end_devices='10'))
        tts.totals[f'tenant-{index:03d}'] = {'end_devices': str(index % 11)}
    asked = [f'tenant-{index:03d}' for index in range(0, 250, 2)] + ['ghost', 'tenant-000']
    result = usage(tenant_ids=asked)
    assert result['missing'] == ['ghost']
    assert sorted(result['usage']) == sorted(set(asked) - {'ghost'})
    assert result['usage']['tenant-010']['end_devices'] == {'used': 10, 'limit': 10, 'ratio': 1.0}
    batches = [call for call in tts.calls if call.method == 'batch_registry_totals']
    assert len(batches) == math.ceil(125 / tts_api.TOTALS_BATCH_SIZE) and 'ghost' not in sum((c.args[0] for c in batches), [])
    assert 'get_registry_totals' not in tts.methods


def test_every_tenant_without_ids(usage, tts):
    tts.load(tenant('acme', max_users='2')).load(tenant('globex'))
    tts.totals.update(acme={'users': '3'})
    result = usage()
    assert sorted(result['usage']) == ['acme', 'globex'] and result['missing'] == []
    assert result['usage']['acme']['users'] == {'used': 3, 'limit': 2, 'ratio': 1.5}
    assert result['usage']['globex']['max_ratio'] is None
    assert [call.args[0] for call in tts.calls if call.method == 'batch_registry_totals'] == [['acme', 'globex']]


def test_an_empty_list_sends_no_totals_request(usage, tts):
    tts.load(tenant('acme'))
    result = usage(tenant_ids=[])
    assert result['usage'] == {} and result['missing'] == [] and 'batch_registry_totals' not in tts.methods


def test_check_mode_reads_the_same(usage, tts):
    tts.load(tenant('acme', max_end_devices='4'))
    tts.totals['acme'] = {'end_devices': '1'}
    result = usage(tenant_id='acme', check_mode=True)
    assert result['changed'] is False and result['usage']['acme']['end_devices']['ratio'] == 0.25
    assert tts.writes == []


def test_a_kind_the_deployment_refuses_is_left_out_with_a_warning(usage, tts):
    tts.load(tenant('acme', max_end_devices='4'))
    tts.totals['acme'] = {'end_devices': '2'}
    tts.forbidden = {'activated_end_devices'}
    result = usage(tenant_ids=['acme'])
    assert 'activated_end_devices' not in result['kinds'] and 'activated_end_devices' not in result['usage']['acme']
    assert result['usage']['acme']['end_devices']['used'] == 2
    assert any('activated_end_devices' in warning for warning in result['warnings'])
    assert [call.method for call in tts.calls if call.method == 'batch_registry_totals'] == ['batch_registry_totals'] * 2


@pytest.mark.parametrize('args,pattern', [
    ({'tenant_id': 'Acme'}, r'^tenant_id: .*lowercase'),
    ({'tenant_id': 'ab'}, r'^tenant_id: must be 3 to 36'),
    ({'tenant_ids': ['acme', 'bad_id']}, r'^tenant_ids\[1\]: '),
    ({'tenant_ids': ['acme', None]}, r'^tenant_ids\[1\]: must be 3 to 36'),
    ({'tenant_ids': ['x' * 37]}, r'^tenant_ids\[0\]: must be 3 to 36'),
    ({'tenant_id': 'acme', 'tenant_admin_key': 'not-hex'}, r'^tenant_admin_key: must be hex'),
    ({'tenant_id': 'acme', 'url': 'ftp://tts.example.com'}, r'^url: '),
])
def test_bad_input_fails_before_any_request(usage, tts, failed, args, pattern):
    result = failed(usage(**args), pattern)
    assert tts.calls == [] and 'not-hex' not in str({k: v for k, v in result.items() if k != 'invocation'})


def test_tenant_id_and_tenant_ids_exclude_each_other(usage, tts):
    with pytest.raises(AnsibleActionFail, match='mutually exclusive: tenant_id|tenant_ids'):
        usage(tenant_id='acme', tenant_ids=['acme'])
    assert tts.calls == []


def test_the_key_never_appears_in_the_result(usage, tts):
    tts.load(tenant('acme'))
    tts.failures['get_registry_totals'] = ApiError(f'TTS API error: echoed {KEY}', status=500)
    result = usage(tenant_id='acme', tenant_admin_key=KEY)
    assert result['failed'] and KEY not in str(result)


@pytest.mark.parametrize('totals,tenant_fields,pattern', [
    ({'end_devices': '-1'}, {}, r'count of end_devices of tenant .acme. .*not an unsigned 64-bit integer'),
    ({'end_devices': 'lots'}, {}, r'count of end_devices'),
    ({'users': True}, {}, r'count of users'),
    ({'users': str(2**64)}, {}, r'count of users'),
    ({}, {'max_users': 'x'}, r'max_users of tenant .acme.'),
    ('not an object', {}, r'not objects'),
])
def test_untrusted_counts_and_limits_are_checked(totals, tenant_fields, pattern):
    with pytest.raises(ApiError, match=pattern):
        usage_of('acme', totals, dict({'ids': {'tenant_id': 'acme'}}, **tenant_fields))


def test_listed_ids_that_break_the_rule_are_left_out(usage, tts):
    tts.load(tenant('acme')).load(tenant('Bad\nID'))
    result = usage()
    assert sorted(result['usage']) == ['acme'] and any('Bad\\nID' in warning for warning in result['warnings'])
    assert [call.args[0] for call in tts.calls if call.method == 'batch_registry_totals'] == [['acme']]


def test_the_client_chunks_the_batch(monkeypatch):
    api = tts_api.TtsApi('http://127.0.0.1:1', KEY, True, 1.0, 0)
    sent = []

    def request(method, path, params=None, body=None):
        sent.append((method, path, body))
        entries = [{'tenant_ids': ids, 'totals': {'users': '1'}} for ids in body['tenant_ids']]
        # An entry for a tenant not asked for and a malformed one are ignored.
        return {'totals': entries + [{'tenant_ids': {'tenant_id': 'other'}, 'totals': {}}, 'junk']}

    monkeypatch.setattr(api, 'request', request)
    ids = [f't-{index:03d}' for index in range(tts_api.TOTALS_BATCH_SIZE * 2 + 1)]
    totals = api.batch_registry_totals(ids, ['users'])
    assert sorted(totals) == ids and totals['t-000'] == {'users': '1'}
    assert [len(entry[2]['tenant_ids']) for entry in sent] == [tts_api.TOTALS_BATCH_SIZE] * 2 + [1]
    assert all(method == 'POST' and path == '/tenants/registry-totals' and body['field_mask'] == {'paths': ['users']}
               for method, path, body in sent)
