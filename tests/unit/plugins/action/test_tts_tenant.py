# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tts_tenant and tts_tenant_info through run() against the shared TTS fake (conftest.py); the tenant model's pure
functions are tested in tests/unit/plugins/plugin_utils/test_tts_tenants.py."""

from __future__ import annotations

import functools
import re

import pytest

from ansible_collections.thingsstack.tenancy.plugins.action.tts_tenant import ActionModule
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError

STRIPE = {'customer_id': 'cus_1', 'plan_id': 'price_1', 'subscription_id': 'sub_1', 'subscription_item_id': 'si_1'}


@pytest.fixture
def run(run_action, tts):
    return functools.partial(run_action, 'tts_tenant')


@pytest.fixture
def info(run_action, tts):
    return functools.partial(run_action, 'tts_tenant_info')


def tenant(tenant_id='acme', **fields):
    return {tenant_id: dict({'ids': {'tenant_id': tenant_id}, 'created_at': 't0', 'updated_at': 't0'}, **fields)}


# -- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize('args, message', [
    ({'tenant_id': 'Acme'}, "tenant_id: 'Acme' must be lowercase letters and digits"),
    ({'tenant_id': 'ab'}, 'tenant_id: must be 3 to 36 characters long, got 2'),
    ({'tenant_id': 'a' * 37}, 'tenant_id: must be 3 to 36 characters long, got 37'),
    ({'tenant_id': 'admin'}, "tenant_id: 'admin' is on The Things Stack's ID blocklist"),
    ({'name': 'n' * 51}, 'name: must be at most 50 characters long, got 51'),
    ({'description': 'd' * 2001}, 'description: must be at most 2000 characters long, got 2001'),
    ({'state_description': 's' * 129}, 'state_description: must be at most 128 characters long, got 129'),
    ({'attributes': {'Bad_Key': 'x'}}, "attributes: key 'Bad_Key' must be 3 to 36 lowercase"),
    ({'attributes': {'k' * 37: 'x'}}, 'attributes: key'),
    ({'attributes': {'crm-id': {'nested': 1}}}, "attributes: value of 'crm-id' must be a string or number"),
    ({'contact_info': [{'value': 'not-an-email'}]}, "contact_info[0].value: 'not-an-email' is not an email address"),
    ({'contact_info': [{'method': 'phone', 'value': 'p' * 257}]}, 'contact_info[0].value: must be at most 256'),
    ({'max_gateways': -5}, 'max_gateways: must be a whole number'),
    ({'billing': {'stripe': dict(STRIPE, plan_id='')}}, 'billing.stripe.plan_id: must not be empty'),
    ({'initial_user': {'email': 'bad@'}}, "initial_user.email: 'bad@' is not an email address"),
    ({'initial_user': {'email': 'a@b.example', 'user_id': 'Jane'}}, "initial_user.user_id: 'Jane' must be lowercase"),
    ({'initial_user': {'email': 'a@b.example', 'user_id': 'root'}}, "initial_user.user_id: 'root' is on The Things Stack's ID blocklist"),
    ({'initial_user': {'email': 'a@b.example', 'user_id': 'x'}}, 'initial_user.user_id: must be 2 to 36 characters long, got 1'),
    ({'initial_user': {'email': 'a@b.example', 'full_name': 'f' * 51}}, 'initial_user.full_name: must be at most 50'),
    ({'wait_timeout': -1}, 'wait_timeout: must be 0 or more seconds'),
])
def test_validation_names_the_option_and_the_rule(run, tts, args, message):
    args.setdefault('tenant_id', 'acme')
    result = run(**args)
    assert result['failed'] and result['msg'].startswith(message), result['msg']
    assert result['msg'].startswith(result['option'] + ': ')  # an InvalidOption
    assert tts.calls == []


def test_a_blocklisted_id_may_be_managed_when_it_is_not_created(run, tts):
    tts.load(tenant('default', name='Default'))
    result = run(tenant_id='default', name='Default', create=False)
    assert not result['changed'] and not result.get('failed')
    assert not run(tenant_id='admin', state='absent').get('failed')


# -- present ------------------------------------------------------------------------------------------

FULL = dict(tenant_id='acme', name='Acme', tenant_state='approved', max_users=10, attributes={'crm-id': 4711},
            contact_info=[{'type': 'billing', 'value':
                           'b@acme.example'}], configuration={'default_cluster': {'ns': {'dev_addr_prefixes': ['26000000/8']}}},
            initial_user={'email': 'admin@acme.example', 'password': 'S3cret-pass'})


def test_create_sends_tenant_and_initial_user_and_masks_the_password(run, tts):
    result = run(**FULL)
    assert result['changed']
    create, = tts.writes
    assert create.method == 'create_tenant'
    body, user = create.args
    assert body == {
        'ids': {'tenant_id': 'acme'}, 'name':
        'Acme', 'state':
        'STATE_APPROVED', 'max_users':
        '10', 'attributes': {'crm-id': '4711'}, 'contact_info':
        [{'contact_type': 'CONTACT_TYPE_BILLING', 'contact_method': 'CONTACT_METHOD_EMAIL', 'value': 'b@acme.example', 'public':
          False}], 'configuration': {'default_cluster': {'ns': {'dev_addr_prefixes': ['26000000/8']}}}
    }
    assert user == {
        'ids': {'user_id': 'acme'}, 'primary_email_address': 'admin@acme.example', 'password': 'S3cret-pass', 'admin': True, 'state':
        'STATE_APPROVED'
    }
    assert result['diff']['before'] == {}
    assert result['diff']['after']['initial_user']['password'] == '********'
    assert 'S3cret-pass' not in repr(result)


def test_create_in_check_mode_writes_nothing(run, tts):
    result = run(check_mode=True, **FULL)
    assert result['changed'] and result['tenant']['name'] == 'Acme' and 'created_at' not in result['tenant']
    assert tts.writes == []


def test_a_second_identical_run_reads_once_and_writes_nothing(run, tts):
    run(**FULL)
    tts.calls.clear()
    result = run(**FULL)
    assert not result['changed'] and 'diff' not in result
    assert tts.methods == ['get_tenant']


def test_an_update_sends_only_the_changed_paths_and_diffs_exactly_them(run, tts):
    tts.load(tenant(name='Acme', max_users='10', state='STATE_APPROVED'))
    result = run(tenant_id='acme', name='Acme 2', max_users=10, tenant_state='approved')
    update, = tts.writes
    assert update.params == ['name'] and update.args == ('acme', {'ids': {'tenant_id': 'acme'}, 'name': 'Acme 2'})
    assert result['diff'] == {'before': {'name': 'Acme'}, 'after': {'name': 'Acme 2'}}
    assert result['tenant']['name'] == 'Acme 2' and result['tenant']['updated_at'] == 't1'


def test_clearing_a_limit_sends_the_path_without_a_value(run, tts):
    tts.load(tenant(max_gateways='5'))
    result = run(tenant_id='acme', max_gateways=None)
    update, = tts.writes
    assert update.params == ['max_gateways'] and 'max_gateways' not in update.args[1]
    assert result['diff'] == {'before': {'max_gateways': '5'}, 'after': {'max_gateways': None}}
    assert 'max_gateways' not in result['tenant']


def test_a_limit_not_given_is_untouched(run, tts):
    tts.load(tenant(max_gateways='5'))
    result = run(tenant_id='acme', name='Acme')
    assert tts.tenants['acme']['max_gateways'] == '5'
    assert result['changed']


def test_a_state_change_shows_the_description_tts_clears(run, tts):
    tts.load(tenant(state='STATE_APPROVED', state_description='fine'))
    result = run(tenant_id='acme', tenant_state='suspended')
    assert result['diff'] == {
        'before': {'state': 'STATE_APPROVED', 'state_description': 'fine'}, 'after':
        {'state': 'STATE_SUSPENDED', 'state_description': None}
    }
    assert 'state_description' not in result['tenant']


def test_configuration_updates_send_nested_leaf_paths(run, tts):
    tts.load(tenant(configuration={'default_cluster': {'ns': {'dev_addr_prefixes': ['26000000/8']}, 'ui': {'x': 'keep'}}}))
    result = run(tenant_id='acme', configuration={'default_cluster': {'ns': {'dev_addr_prefixes': ['27000000/8']}}})
    update, = tts.writes
    assert update.params == ['configuration.default_cluster.ns.dev_addr_prefixes']
    assert update.args[1]['configuration'] == {'default_cluster': {'ns': {'dev_addr_prefixes': ['27000000/8']}}}
    assert tts.tenants['acme']['configuration']['default_cluster']['ui'] == {'x': 'keep'}
    assert result['diff']['after'] == {'configuration': {'default_cluster': {'ns': {'dev_addr_prefixes': ['27000000/8']}}}}


def test_attributes_are_sent_as_the_merged_map(run, tts):
    tts.load(tenant(attributes={'aa-1': 'x', 'bb-2': 'y'}))
    run(tenant_id='acme', attributes={'cc-3': 'z'})
    assert tts.writes[0].args[1]['attributes'] == {'aa-1': 'x', 'bb-2': 'y', 'cc-3': 'z'}
    run(tenant_id='acme', attributes={'cc-3': 'z'}, purge_attributes=True)
    assert tts.tenants['acme']['attributes'] == {'cc-3': 'z'}


def test_update_in_check_mode_predicts_and_writes_nothing(run, tts):
    tts.load(tenant(name='Acme'))
    result = run(check_mode=True, tenant_id='acme', name='Acme 2', contact_info=[{'type': 'abuse', 'value': 'a@acme.example'}])
    assert tts.writes == []
    assert result['tenant']['name'] == 'Acme 2'
    assert result['tenant']['contact_info'] == [{
        'contact_type': 'CONTACT_TYPE_ABUSE', 'contact_method': 'CONTACT_METHOD_EMAIL', 'value': 'a@acme.example'
    }]


# -- Tenant Billing Server ------------------------------------------------------------------------------


def test_tbs_owned_fields_are_left_to_tbs_with_a_warning(run, tts):
    tts.load(tenant(name='From Stripe', max_users='10', billing={'stripe': STRIPE}, attributes={'crm-id': '1'}))
    result = run(tenant_id='acme', name='Declared', max_users=10, attributes={'crm-id': '2'})
    update, = tts.writes
    assert update.params == ['attributes']
    assert result['diff'] == {'before': {'attributes': {'crm-id': '1'}}, 'after': {'attributes': {'crm-id': '2'}}}
    warning, = result['warnings']
    assert 'managed by the Tenant Billing Server' in warning and 'owns name;' in warning
    assert "'From Stripe', declared 'Declared'" in warning and 'manage_billing_fields=true' in warning


def test_no_warning_when_tbs_fields_match(run, tts):
    tts.load(tenant(name='From Stripe', billing={'stripe': STRIPE}))
    result = run(tenant_id='acme', name='From Stripe', billing={'stripe': STRIPE})
    assert not result['changed'] and 'warnings' not in result


def test_manage_billing_fields_overrides_tbs(run, tts):
    tts.load(tenant(name='From Stripe', billing={'stripe': STRIPE}))
    result = run(tenant_id='acme', name='Declared', manage_billing_fields=True)
    assert result['changed'] and tts.tenants['acme']['name'] == 'Declared' and 'warnings' not in result


def test_create_false_without_wait_fails_clearly(run, tts, failed):
    failed(run(tenant_id='acme', create=False), "tenant_id: tenant 'acme' does not exist and create is false")
    assert tts.writes == []


class Clock:
    """Monotonic time that only sleeping moves."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(tts, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ActionModule, 'clock', clock)
    tts.sleep = clock.sleep
    return clock


def test_create_false_waits_for_tbs_to_create_the_tenant(run, tts, clock):
    original = tts.get_tenant

    def appear_later(tenant_id, paths):
        if len(tts.calls) == 3:
            tts.load(tenant(name='From Stripe', billing={'stripe': STRIPE}, state='STATE_APPROVED'))
        return original(tenant_id, paths)

    tts.get_tenant = appear_later
    result = run(tenant_id='acme', create=False, wait_timeout=30, tenant_state='approved', billing={'stripe': STRIPE})
    assert not result['changed'] and result['tenant']['state'] == 'STATE_APPROVED'
    assert tts.methods == ['get_tenant'] * 4
    assert 0 < clock.now < 30


def test_create_false_times_out_clearly(run, tts, clock, failed):
    failed(run(tenant_id='acme', create=False, wait_timeout=12),
           r"tenant 'acme' did not appear within wait_timeout=12 s and create is false")
    assert clock.now == 12 and 0 < max(clock.sleeps) <= 5 and tts.writes == []


# -- 409 on create ------------------------------------------------------------------------------------


def taken(retried):
    return ApiError('TTS API error (HTTP 409, code 6 already_exists, error:pkg/util/store:id_taken): ID already taken', status=409,
                    tts_error={'code': 6, 'name': 'id_taken', 'correlation_id': 'c1'}, retried=retried)


def test_a_deleted_tenant_id_is_explained(run, tts):
    tts.deleted.add('acme')
    tts.failures['create_tenant'] = taken(False)
    result = run(tenant_id='acme', name='Acme')
    assert result['failed'] and result['status'] == 409 and result['tts_error']['name'] == 'id_taken'
    assert "the ID 'acme' is taken, but no tenant with it exists: it belongs to a deleted tenant " \
           "(a search of recently deleted tenants found it)" in result['msg']
    assert 'no API to restore or purge' in result['msg']


def test_our_own_retried_create_is_recognised(run, tts):
    tts.failures['create_tenant'] = taken(True)
    original = tts.create_tenant

    def went_through(body, user=None):
        tts.load({body['ids']['tenant_id']: dict(body, created_at='t0', updated_at='t0')})
        return original(body, user)

    tts.create_tenant = went_through
    result = run(tenant_id='acme', name='Acme', max_users=3)
    assert result['changed'] and result['tenant']['name'] == 'Acme'


def test_a_concurrent_different_create_fails(run, tts, failed):
    tts.failures['create_tenant'] = taken(False)
    original = tts.create_tenant

    def raced(body, user=None):
        tts.load(tenant(name='Other'))
        return original(body, user)

    tts.create_tenant = raced
    failed(run(tenant_id='acme', name='Acme'), r"was created by someone else while this task ran \(it differs in name\)")


# -- absent -------------------------------------------------------------------------------------------


def test_absent_deletes_once_with_a_soft_delete_warning(run, tts):
    tts.load(tenant(name='Acme'))
    result = run(tenant_id='acme', state='absent')
    assert result['changed'] and result['tenant'] == {} and result['diff']['after'] == {}
    assert 'one-way soft delete' in result['warnings'][0] and 'tenant_state=suspended' in result['warnings'][0]
    assert tts.methods == ['get_tenant', 'delete_tenant']
    again = run(tenant_id='acme', state='absent')
    assert not again['changed'] and again['tenant'] == {}


def test_absent_in_check_mode_deletes_nothing(run, tts):
    tts.load(tenant(name='Acme'))
    assert run(check_mode=True, tenant_id='acme', state='absent')['changed']
    assert tts.writes == [] and 'acme' in tts.tenants


def test_unsupported_managed_paths_fail_before_any_write(run, tts, failed):
    # A path of the configuration this release of TTS does not know yet (an older release): its X-Warning on the read.
    tts.load(tenant())
    tts.last_headers = {'X-Warning': 'unsupported field mask paths: configuration.default_cluster.noc.x'}
    result = failed(run(tenant_id='acme', configuration={'default_cluster': {'noc': {'x': 1}}}),
                    r'^configuration: The Things Stack does not support the field mask path\(s\) configuration.default_cluster.noc.x')
    assert result['option'] == 'configuration' and tts.writes == []


@pytest.mark.parametrize('configuration, path', [({'nope': {'x': 1}}, 'configuration.nope.x'),
                                                 ({'default_cluster': {'xyz': {'a': 1}}}, 'configuration.default_cluster.xyz.a'),
                                                 ({'pb': {'unlisted': True}}, 'configuration.pb.unlisted'),
                                                 ({'clusters': {'eu1': {}}, 'ui': 1}, 'configuration.ui')])
def test_an_unknown_configuration_path_fails_before_any_request(run, tts, failed, configuration, path):
    result = failed(run(tenant_id='acme', configuration=configuration),
                    rf"^configuration: {re.escape(path)} is not a field of The Things Stack's tenant configuration")
    assert result['option'] == 'configuration' and tts.calls == []


def forbidden(*paths):
    return ApiError(
        'TTS API error (HTTP 400, code 3 invalid_argument, error:pkg/rpcmiddleware/validator:field_mask_paths): '
        'forbidden path(s) in field mask', status=400, tts_error={'code': 3, 'name': 'field_mask_paths', 'forbidden_paths': list(paths)})


def test_paths_current_tts_refuses_fail_as_the_option_before_any_write(run, tts, failed):
    tts.load(tenant())
    tts.forbidden = {'configuration.default_cluster.noc.x'}
    result = failed(run(tenant_id='acme', name='Acme', configuration={'default_cluster': {'noc': {'x': 1}}}),
                    r'^configuration: The Things Stack does not support the field mask path\(s\) configuration.default_cluster.noc.x')
    assert result['option'] == 'configuration' and tts.writes == []
    tts.failures['update_tenant'] = forbidden(
        'configuration.default_cluster.noc.x')  # a registry whose update mask allows less than its read
    tts.forbidden = set()
    failed(run(tenant_id='acme', configuration={'default_cluster': {'noc': {'x': 1}}}),
           r'^configuration: The Things Stack does not support')
    assert 'noc' not in tts.tenants['acme'].get('configuration', {}).get('default_cluster', {})


def test_a_refusal_of_other_paths_stays_the_api_error(run, tts, failed):
    tts.load(tenant())
    tts.failures['get_tenant'] = forbidden('capabilities')
    result = failed(run(tenant_id='acme', name='Acme'), r'field_mask_paths')
    assert result['status'] == 400 and tts.writes == []


def test_a_create_after_an_earlier_read_checks_its_configuration_paths_once(run, tts, failed):
    earlier = {'tenant_id': 'acme', 'tenants': [], 'fields': ['name', 'configuration', 'billing']}
    tts.forbidden = {'configuration.default_cluster.noc.x'}
    failed(run(tenant_id='acme', name='Acme', configuration={'default_cluster': {'noc': {'x': 1}}}, tenant_info=earlier),
           r'^configuration: The Things Stack does not support')
    assert tts.methods == ['get_tenant'] and tts.writes == []
    tts.forbidden = set()
    assert run(tenant_id='acme', name='Acme', configuration={'default_cluster': {'noc': {'x': 1}}}, tenant_info=earlier)['changed']
    assert tts.methods[1:] == ['get_tenant', 'create_tenant']
    tts.calls.clear()
    result = run(tenant_id='globex', name='Globex', tenant_info=dict(earlier, tenant_id='globex'))
    assert result['changed'], result
    assert tts.methods == ['create_tenant']  # without configuration the earlier read is enough


def test_a_refused_create_never_shows_the_password(run, tts):
    tts.failures['create_tenant'] = ApiError('TTS API error (HTTP 400, code 3 invalid_argument, error:pkg/x:password): bad S3cret-pass',
                                             status=400, tts_error={'code': 3})
    result = run(tenant_id='acme', initial_user={'email': 'a@acme.example', 'password': 'S3cret-pass'})
    assert result['failed'] and result['status'] == 400
    assert 'S3cret-pass' not in result['msg'] and '********' in result['msg']


def test_the_billing_link_is_tbs_owned_too(run, tts):
    tts.load(tenant(billing={'stripe': STRIPE}))
    result = run(tenant_id='acme', billing={})
    assert not result['changed'] and 'owns billing.provider.stripe' in result['warnings'][0]
    result = run(tenant_id='acme', billing={}, manage_billing_fields=True)
    assert result['changed'] and tts.writes[-1].params == ['billing.provider.stripe'] and 'billing' not in tts.tenants['acme']


# -- tts_tenant_info ----------------------------------------------------------------------------------


def test_info_reads_one_or_all_with_the_default_fields(info, tts):
    tts.load(dict(tenant('acme', name='Acme', max_users='3'), **tenant('beta', name='Beta')))
    one = info(tenant_id='acme')
    paths = tts.calls[0].params
    assert one == {'changed': False, 'tenants': [tts.get_tenant('acme', ['name', 'max_users'])], 'tenant_id': 'acme', 'fields': paths}
    assert 'configuration' in paths and 'billing' in paths
    missing = info(tenant_id='gone')
    assert missing['tenants'] == []
    every = info(fields=['name'], check_mode=True)
    assert [t['ids']['tenant_id'] for t in every['tenants']] == ['acme', 'beta'] and 'max_users' not in every['tenants'][0]
    assert tts.writes == []


def test_info_accepts_blocklisted_ids_and_checks_fields(info, tts, failed):
    tts.load(tenant('default', name='Default'))
    assert info(tenant_id='default')['tenants'][0]['name'] == 'Default'
    failed(info(fields=['Name Of Tenant']), r"^fields: 'Name Of Tenant' is not a field mask path")
    failed(info(tenant_id='Default'), r"^tenant_id: 'Default' must be lowercase")


def test_info_warns_about_unsupported_fields(info, tts):
    tts.load(tenant())
    tts.last_headers = {'X-Warning': 'unsupported field mask paths: capabilities'}
    result = info(tenant_id='acme', fields=['capabilities'])
    assert result['warnings'] == ['The Things Stack does not support the field mask path(s) capabilities; they were not returned']


def test_info_reads_the_other_fields_when_current_tts_refuses_some(info, tts, failed):
    tts.load(tenant(name='Acme'))
    tts.forbidden = {'capabilities'}
    result = info(tenant_id='acme', fields=['name', 'capabilities'])
    assert result['tenants'][0]['name'] == 'Acme' and result['fields'] == ['name']
    assert result['warnings'] == ['The Things Stack does not support the field mask path(s) capabilities; they were not returned']
    assert [call.params for call in tts.calls] == [['name', 'capabilities'], ['name']]
    tts.failures['get_tenant'] = forbidden('description')  # not a path it asked for: the error stands
    failed(info(tenant_id='acme', fields=['name']), r'field_mask_paths')
