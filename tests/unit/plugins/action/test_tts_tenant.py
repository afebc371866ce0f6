# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.thingsstack.tenancy.plugins.action.tts_tenant import (
    ActionModule, changed_paths, configuration_leaves, desired_values, parse_limits, read_paths, same_value, with_attributes)
from ansible_collections.thingsstack.tenancy.plugins.modules import tts_tenant
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_api import assign, json_keys, lookup, remove

KEY = 'ab' * 32
STRIPE = {'customer_id': 'cus_1', 'plan_id': 'price_1', 'subscription_id': 'sub_1', 'subscription_item_id': 'si_1'}


def params(**args):
    args.setdefault('url', 'http://127.0.0.1:1')
    args.setdefault('tenant_admin_key', KEY)
    result = ArgumentSpecValidator(tts_tenant.ARGUMENT_SPEC, **tts_tenant.ARGUMENT_RULES).validate(dict(args))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def action(check_mode=False, **task_args):
    plugin = ActionModule.__new__(ActionModule)
    plugin.check_mode = check_mode
    plugin.warnings = []
    plugin._task = SimpleNamespace(args=task_args)
    return plugin


def run(plugin, fake, **args):
    """validate + ensure as TtsAction.execute does, with the fake API."""
    validated = params(**args)
    plugin._task.args = dict(args, **plugin._task.args)
    plugin.validate(validated)
    return plugin.ensure(fake, validated)


class FakeTts:
    """The tenant registry in memory, answering like the API: zero values left out, masks applied."""

    def __init__(self, tenants=None):
        self.tenants = copy.deepcopy(tenants or {})
        self.deleted = set()
        self.calls = []
        self.last_headers = {}
        self.sleeps = []
        self.fail_create = None

    def sleep(self, seconds):
        self.sleeps.append(seconds)

    @property
    def writes(self):
        return [c for c in self.calls if c[0] != 'get' and c[0] != 'search']

    def get_tenant(self, tenant_id, paths):
        self.calls.append(('get', tenant_id, list(paths)))
        stored = self.tenants.get(tenant_id)
        if stored is None:
            return None
        out = {key: copy.deepcopy(stored[key]) for key in ('ids', 'created_at', 'updated_at') if key in stored}
        for path in paths:
            value = lookup(stored, json_keys(path))
            if value not in (None, '', [], {}):
                assign(out, json_keys(path), copy.deepcopy(value))
        return out

    def create_tenant(self, tenant, initial_user=None):
        self.calls.append(('create', tenant, initial_user))
        if self.fail_create:
            raise self.fail_create
        stored = dict(copy.deepcopy(tenant), created_at='t0', updated_at='t0')
        self.tenants[tenant['ids']['tenant_id']] = stored
        return copy.deepcopy(stored)

    def update_tenant(self, tenant_id, tenant, paths):
        self.calls.append(('update', tenant_id, copy.deepcopy(tenant), list(paths)))
        stored = self.tenants[tenant_id]
        response = {}
        for path in paths:
            keys = json_keys(path)
            value = lookup(tenant, keys)
            if value is None:
                remove(stored, keys)
            else:
                assign(stored, keys, copy.deepcopy(value))
                assign(response, keys, copy.deepcopy(value))
        if 'state' in paths and 'state_description' not in paths:
            stored.pop('state_description', None)
        stored['updated_at'] = response['updated_at'] = 't1'
        return response

    def delete_tenant(self, tenant_id):
        self.calls.append(('delete', tenant_id))
        self.deleted.add(tenant_id)
        del self.tenants[tenant_id]
        return True

    def find_deleted_tenant(self, tenant_id):
        self.calls.append(('search', tenant_id))
        return tenant_id in self.deleted


def tenant(tenant_id='acme', **fields):
    return {tenant_id: dict({'ids': {'tenant_id': tenant_id}, 'created_at': 't0', 'updated_at': 't0'}, **fields)}


# -- field masks ----------------------------------------------------------------------------------

def test_the_field_mask_holds_exactly_the_given_options_plus_the_billing_link():
    validated = params(tenant_id='acme', name='Acme', max_users=5, attributes={'crm-id': 1})
    desired = desired_values(validated, parse_limits(validated, set()))
    assert read_paths(validated, desired) == ['name', 'max_users', 'attributes', 'billing.provider.stripe']


def test_a_state_reads_its_description_too():
    validated = params(tenant_id='acme', tenant_state='suspended')
    desired = desired_values(validated, {})
    assert desired == {'state': 'STATE_SUSPENDED'}
    assert read_paths(validated, desired) == ['state', 'state_description', 'billing.provider.stripe']


def test_configuration_is_managed_by_leaf_paths():
    leaves = configuration_leaves({'default_cluster': {'ns': {'dev_addr_prefixes': ['26000000/8'], 'deduplication_window': '0.2s'},
                                                       'ui': {'branding_base_url': 'https://x.example'}},
                                   'clusters': {'eu1': {'ns': {}}}, 'pb': {'listed': True}})
    assert leaves == {
        'configuration.default_cluster.ns.dev_addr_prefixes': ['26000000/8'],
        'configuration.default_cluster.ns.deduplication_window': '0.2s',
        'configuration.default_cluster.ui.branding_base_url': 'https://x.example',
        'configuration.clusters': {'eu1': {'ns': {}}},
        'configuration.pb.listed': True,
    }


def test_configuration_keys_must_not_contain_dots():
    with pytest.raises(InvalidOption, match=r'^configuration.default_cluster: key'):
        configuration_leaves({'default_cluster': {'ns.x': 1}})


def test_billing_and_contacts_in_tts_json():
    validated = params(tenant_id='acme', billing={'stripe': STRIPE}, contact_info=[{'type': 'billing', 'value': 'b@acme.example'}])
    desired = desired_values(validated, {})
    assert desired['billing.provider.stripe'] == STRIPE
    assert desired['contact_info'] == [{'contact_type': 'CONTACT_TYPE_BILLING', 'contact_method': 'CONTACT_METHOD_EMAIL',
                                        'value': 'b@acme.example', 'public': False}]
    assert desired_values(params(tenant_id='acme', billing={}), {}) == {'billing.provider.stripe': None}


# -- limits -----------------------------------------------------------------------------------------

def test_limits_accept_numbers_unlimited_and_explicit_null():
    validated = params(tenant_id='acme', max_users=10, max_gateways='25', max_clients='unlimited', max_end_devices=0)
    assert parse_limits(validated, {'max_organizations'}) == {
        'max_users': 10, 'max_gateways': 25, 'max_clients': None, 'max_end_devices': 0, 'max_organizations': None}
    assert desired_values(validated, parse_limits(validated, set()))['max_clients'] is None


@pytest.mark.parametrize('value', [-1, '-3', 1.5, True, 'lots', 2 ** 64])
def test_bad_limits_name_the_option(value):
    with pytest.raises(InvalidOption, match=r"^max_users: must be a whole number of 0 or more, 'unlimited' or null"):
        parse_limits(params(tenant_id='acme', max_users=value), set())


# -- comparison -------------------------------------------------------------------------------------

@pytest.mark.parametrize('path, current, desired, same', [
    ('max_users', '100', '100', True),
    ('max_users', 100, '100', True),
    ('max_users', None, '0', False),
    ('max_users', '0', None, False),
    ('max_users', None, None, True),
    ('state', None, 'STATE_REQUESTED', True),
    ('state', None, 'STATE_APPROVED', False),
    ('name', None, '', True),
    ('name', None, 'Acme', False),
    ('billing.provider.stripe', None, None, True),
    ('billing.provider.stripe', STRIPE, dict(STRIPE), True),
    ('billing.provider.stripe', dict(STRIPE, plan_id='price_2'), STRIPE, False),
    ('configuration.default_cluster.ns.dev_addr_prefixes', None, [], True),
    ('configuration.pb.listed', None, False, True),
    ('configuration.default_cluster.gs.x', '5', 5, True),
    ('configuration.default_cluster.gs.x', 5.0, 5, True),
    ('configuration.default_cluster.gs.x', 'abc', 5, False),
    ('configuration.default_cluster.gs.x', True, 1, False),
    ('contact_info', [{'contact_type': 'CONTACT_TYPE_BILLING', 'contact_method': 'CONTACT_METHOD_EMAIL', 'value': 'a@b.example'}],
     [{'contact_type': 'CONTACT_TYPE_BILLING', 'contact_method': 'CONTACT_METHOD_EMAIL', 'value': 'a@b.example', 'public': False}], True),
    ('contact_info', [{'value': 'x'}, {'contact_method': 'CONTACT_METHOD_EMAIL', 'value': 'a@b.example'}],
     [{'contact_type': 'CONTACT_TYPE_OTHER', 'contact_method': 'CONTACT_METHOD_EMAIL', 'value': 'a@b.example', 'public': False},
      {'contact_type': 'CONTACT_TYPE_OTHER', 'contact_method': 'CONTACT_METHOD_OTHER', 'value': 'x', 'public': False}], True),
    ('contact_info', [{'value': 'x', 'public': True}], [{'value': 'x', 'public': False}], False),
    ('contact_info', None, [], True),
])
def test_comparison_follows_tts_zero_values(path, current, desired, same):
    assert same_value(path, current, desired) is same


def test_attributes_merge_or_purge():
    current = {'attributes': {'aa-1': 'x', 'bb-2': 'y'}}
    keep = params(tenant_id='acme', attributes={'bb-2': 'z', 'aa-1': '', 'cc-3': 7})
    assert with_attributes({}, keep, current) == {'attributes': {'bb-2': 'z', 'cc-3': '7'}}
    purge = params(tenant_id='acme', attributes={'cc-3': 'w'}, purge_attributes=True)
    assert with_attributes({}, purge, current) == {'attributes': {'cc-3': 'w'}}
    untouched = params(tenant_id='acme', purge_attributes=True)
    assert with_attributes({}, untouched, current) == {}
    assert changed_paths(current, with_attributes({}, params(tenant_id='acme', attributes={'aa-1': 'x'}), current)) == {}


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
def test_validation_names_the_option_and_the_rule(args, message):
    args.setdefault('tenant_id', 'acme')
    fake = FakeTts()
    with pytest.raises(InvalidOption) as raised:
        run(action(), fake, **args)
    assert raised.value.msg.startswith(message), raised.value.msg
    assert fake.calls == []


def test_a_blocklisted_id_may_be_managed_when_it_is_not_created():
    fake = FakeTts(tenant('default', name='Default'))
    result = run(action(), fake, tenant_id='default', name='Default', create=False)
    assert not result['changed']
    run(action(), fake, tenant_id='admin', state='absent')


# -- present ------------------------------------------------------------------------------------------

FULL = dict(tenant_id='acme', name='Acme', tenant_state='approved', max_users=10, attributes={'crm-id': 4711},
            contact_info=[{'type': 'billing', 'value': 'b@acme.example'}],
            configuration={'default_cluster': {'ns': {'dev_addr_prefixes': ['26000000/8']}}},
            initial_user={'email': 'admin@acme.example', 'password': 'S3cret-pass'})


def test_create_sends_tenant_and_initial_user_and_masks_the_password():
    fake = FakeTts()
    result = run(action(), fake, **FULL)
    assert result['changed']
    (kind, body, user), = fake.writes
    assert kind == 'create'
    assert body == {'ids': {'tenant_id': 'acme'}, 'name': 'Acme', 'state': 'STATE_APPROVED', 'max_users': '10',
                    'attributes': {'crm-id': '4711'},
                    'contact_info': [{'contact_type': 'CONTACT_TYPE_BILLING', 'contact_method': 'CONTACT_METHOD_EMAIL',
                                      'value': 'b@acme.example', 'public': False}],
                    'configuration': {'default_cluster': {'ns': {'dev_addr_prefixes': ['26000000/8']}}}}
    assert user == {'ids': {'user_id': 'acme'}, 'primary_email_address': 'admin@acme.example', 'password': 'S3cret-pass',
                    'admin': True, 'state': 'STATE_APPROVED'}
    assert result['diff']['before'] == {}
    assert result['diff']['after']['initial_user']['password'] == '********'
    assert 'S3cret-pass' not in repr(result)


def test_create_in_check_mode_writes_nothing():
    fake = FakeTts()
    result = run(action(check_mode=True), fake, **FULL)
    assert result['changed'] and result['tenant']['name'] == 'Acme' and 'created_at' not in result['tenant']
    assert fake.writes == []


def test_a_second_identical_run_reads_once_and_writes_nothing():
    fake = FakeTts()
    run(action(), fake, **FULL)
    fake.calls.clear()
    result = run(action(), fake, **FULL)
    assert not result['changed'] and 'diff' not in result
    assert len(fake.calls) == 1 and fake.calls[0][0] == 'get'


def test_an_update_sends_only_the_changed_paths_and_diffs_exactly_them():
    fake = FakeTts(tenant(name='Acme', max_users='10', state='STATE_APPROVED'))
    result = run(action(), fake, tenant_id='acme', name='Acme 2', max_users=10, tenant_state='approved')
    (kind, tenant_id, body, paths), = fake.writes
    assert paths == ['name'] and body == {'ids': {'tenant_id': 'acme'}, 'name': 'Acme 2'}
    assert result['diff'] == {'before': {'name': 'Acme'}, 'after': {'name': 'Acme 2'}}
    assert result['tenant']['name'] == 'Acme 2' and result['tenant']['updated_at'] == 't1'


def test_clearing_a_limit_sends_the_path_without_a_value():
    fake = FakeTts(tenant(max_gateways='5'))
    result = run(action(max_gateways=None), fake, tenant_id='acme', max_gateways=None)
    (kind, tenant_id, body, paths), = fake.writes
    assert paths == ['max_gateways'] and 'max_gateways' not in body
    assert result['diff'] == {'before': {'max_gateways': '5'}, 'after': {'max_gateways': None}}
    assert 'max_gateways' not in result['tenant']


def test_a_limit_not_given_is_untouched():
    fake = FakeTts(tenant(max_gateways='5'))
    result = run(action(), fake, tenant_id='acme', name='Acme')
    assert fake.tenants['acme']['max_gateways'] == '5'
    assert result['changed']


def test_a_state_change_shows_the_description_tts_clears():
    fake = FakeTts(tenant(state='STATE_APPROVED', state_description='fine'))
    result = run(action(), fake, tenant_id='acme', tenant_state='suspended')
    assert result['diff'] == {'before': {'state': 'STATE_APPROVED', 'state_description': 'fine'},
                              'after': {'state': 'STATE_SUSPENDED', 'state_description': None}}
    assert 'state_description' not in result['tenant']


def test_configuration_updates_send_nested_leaf_paths():
    fake = FakeTts(tenant(configuration={'default_cluster': {'ns': {'dev_addr_prefixes': ['26000000/8']}, 'ui': {'x': 'keep'}}}))
    result = run(action(), fake, tenant_id='acme', configuration={'default_cluster': {'ns': {'dev_addr_prefixes': ['27000000/8']}}})
    (kind, tenant_id, body, paths), = fake.writes
    assert paths == ['configuration.default_cluster.ns.dev_addr_prefixes']
    assert body['configuration'] == {'default_cluster': {'ns': {'dev_addr_prefixes': ['27000000/8']}}}
    assert fake.tenants['acme']['configuration']['default_cluster']['ui'] == {'x': 'keep'}
    assert result['diff']['after'] == {'configuration': {'default_cluster': {'ns': {'dev_addr_prefixes': ['27000000/8']}}}}


def test_attributes_are_sent_as_the_merged_map():
    fake = FakeTts(tenant(attributes={'aa-1': 'x', 'bb-2': 'y'}))
    run(action(), fake, tenant_id='acme', attributes={'cc-3': 'z'})
    assert fake.writes[0][2]['attributes'] == {'aa-1': 'x', 'bb-2': 'y', 'cc-3': 'z'}
    run(action(), fake, tenant_id='acme', attributes={'cc-3': 'z'}, purge_attributes=True)
    assert fake.tenants['acme']['attributes'] == {'cc-3': 'z'}


def test_update_in_check_mode_predicts_and_writes_nothing():
    fake = FakeTts(tenant(name='Acme'))
    result = run(action(check_mode=True), fake, tenant_id='acme', name='Acme 2', contact_info=[{'type': 'abuse', 'value': 'a@acme.example'}])
    assert fake.writes == []
    assert result['tenant']['name'] == 'Acme 2'
    assert result['tenant']['contact_info'] == [{'contact_type': 'CONTACT_TYPE_ABUSE', 'contact_method': 'CONTACT_METHOD_EMAIL',
                                                 'value': 'a@acme.example'}]


# -- Tenant Billing Server ------------------------------------------------------------------------------

def test_tbs_owned_fields_are_left_to_tbs_with_a_warning():
    fake = FakeTts(tenant(name='From Stripe', max_users='10', billing={'stripe': STRIPE}, attributes={'crm-id': '1'}))
    plugin = action()
    result = run(plugin, fake, tenant_id='acme', name='Declared', max_users=10, attributes={'crm-id': '2'})
    (kind, tenant_id, body, paths), = fake.writes
    assert paths == ['attributes']
    assert result['diff'] == {'before': {'attributes': {'crm-id': '1'}}, 'after': {'attributes': {'crm-id': '2'}}}
    warning, = plugin.warnings
    assert 'managed by the Tenant Billing Server' in warning and 'owns name;' in warning
    assert "'From Stripe', declared 'Declared'" in warning and 'manage_billing_fields=true' in warning


def test_no_warning_when_tbs_fields_match():
    fake = FakeTts(tenant(name='From Stripe', billing={'stripe': STRIPE}))
    plugin = action()
    result = run(plugin, fake, tenant_id='acme', name='From Stripe', billing={'stripe': STRIPE})
    assert not result['changed'] and plugin.warnings == []


def test_manage_billing_fields_overrides_tbs():
    fake = FakeTts(tenant(name='From Stripe', billing={'stripe': STRIPE}))
    plugin = action()
    result = run(plugin, fake, tenant_id='acme', name='Declared', manage_billing_fields=True)
    assert result['changed'] and fake.tenants['acme']['name'] == 'Declared' and plugin.warnings == []


def test_create_false_without_wait_fails_clearly():
    fake = FakeTts()
    with pytest.raises(TenancyError, match="tenant_id: tenant 'acme' does not exist and create is false"):
        run(action(), fake, tenant_id='acme', create=False)
    assert fake.writes == []


class Clock:
    def __init__(self, fake):
        self.now = 0.0
        fake.sleep = self.sleep

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_create_false_waits_for_tbs_to_create_the_tenant():
    fake = FakeTts()
    clock = Clock(fake)
    plugin = action()
    plugin.clock = clock
    original = fake.get_tenant

    def appear_later(tenant_id, paths):
        if len(fake.calls) == 3:
            fake.tenants.update(tenant(name='From Stripe', billing={'stripe': STRIPE}, state='STATE_APPROVED'))
        return original(tenant_id, paths)
    fake.get_tenant = appear_later
    result = run(plugin, fake, tenant_id='acme', create=False, wait_timeout=30, tenant_state='approved', billing={'stripe': STRIPE})
    assert not result['changed'] and result['tenant']['state'] == 'STATE_APPROVED'
    assert [c[0] for c in fake.calls] == ['get'] * 4
    assert 0 < clock.now < 30


def test_create_false_times_out_clearly():
    fake = FakeTts()
    clock = Clock(fake)
    plugin = action()
    plugin.clock = clock
    with pytest.raises(TenancyError, match=r"tenant 'acme' did not appear within wait_timeout=12 s and create is false"):
        run(plugin, fake, tenant_id='acme', create=False, wait_timeout=12)
    assert clock.now == 12 and max(fake.sleeps or [0]) <= 5 and fake.writes == []


# -- 409 on create ------------------------------------------------------------------------------------

def taken(retried):
    return ApiError('TTS API error (HTTP 409, code 6 already_exists, error:pkg/util/store:id_taken): ID already taken',
                    status=409, tts_error={'code': 6, 'name': 'id_taken', 'correlation_id': 'c1'}, retried=retried)


def test_a_deleted_tenant_id_is_explained():
    fake = FakeTts()
    fake.deleted.add('acme')
    fake.fail_create = taken(False)
    with pytest.raises(TenancyError) as raised:
        run(action(), fake, tenant_id='acme', name='Acme')
    assert "the ID 'acme' is taken, but no tenant with it exists: it belongs to a deleted tenant " \
           "(a search of recently deleted tenants found it)" in raised.value.msg
    assert 'no API to restore or purge' in raised.value.msg


def test_our_own_retried_create_is_recognised():
    fake = FakeTts()
    fake.fail_create = taken(True)
    original = fake.create_tenant

    def went_through(body, user=None):
        fake.tenants[body['ids']['tenant_id']] = dict(copy.deepcopy(body), created_at='t0', updated_at='t0')
        return original(body, user)
    fake.create_tenant = went_through
    result = run(action(), fake, tenant_id='acme', name='Acme', max_users=3)
    assert result['changed'] and result['tenant']['name'] == 'Acme'


def test_a_concurrent_different_create_fails():
    fake = FakeTts()
    fake.fail_create = taken(False)
    original = fake.create_tenant

    def raced(body, user=None):
        fake.tenants.update(tenant(name='Other'))
        return original(body, user)
    fake.create_tenant = raced
    with pytest.raises(TenancyError, match=r"was created by someone else while this task ran \(it differs in name\)"):
        run(action(), fake, tenant_id='acme', name='Acme')


# -- absent -------------------------------------------------------------------------------------------

def test_absent_deletes_once_with_a_soft_delete_warning():
    fake = FakeTts(tenant(name='Acme'))
    plugin = action()
    result = run(plugin, fake, tenant_id='acme', state='absent')
    assert result['changed'] and result['tenant'] == {} and result['diff']['after'] == {}
    assert 'one-way soft delete' in plugin.warnings[0] and 'tenant_state=suspended' in plugin.warnings[0]
    again = run(action(), fake, tenant_id='acme', state='absent')
    assert not again['changed'] and again['tenant'] == {}


def test_absent_in_check_mode_deletes_nothing():
    fake = FakeTts(tenant(name='Acme'))
    assert run(action(check_mode=True), fake, tenant_id='acme', state='absent')['changed']
    assert fake.writes == [] and 'acme' in fake.tenants


def test_unsupported_managed_paths_fail_before_any_write():
    fake = FakeTts(tenant())
    fake.last_headers = {'X-Warning': 'unsupported field mask paths: configuration.nope.x'}
    with pytest.raises(InvalidOption, match=r'^configuration: The Things Stack does not support the field mask path\(s\) configuration.nope.x'):
        run(action(), fake, tenant_id='acme', configuration={'nope': {'x': 1}})
    assert fake.writes == []


def test_a_refused_create_never_shows_the_password():
    fake = FakeTts()
    fake.fail_create = ApiError('TTS API error (HTTP 400, code 3 invalid_argument, error:pkg/x:password): bad S3cret-pass', status=400,
                                tts_error={'code': 3})
    with pytest.raises(ApiError) as raised:
        run(action(), fake, tenant_id='acme', initial_user={'email': 'a@acme.example', 'password': 'S3cret-pass'})
    assert 'S3cret-pass' not in raised.value.msg and '********' in raised.value.msg


def test_the_billing_link_is_tbs_owned_too():
    fake = FakeTts(tenant(billing={'stripe': STRIPE}))
    plugin = action()
    result = run(plugin, fake, tenant_id='acme', billing={})
    assert not result['changed'] and 'owns billing.provider.stripe' in plugin.warnings[0]
    result = run(action(), fake, tenant_id='acme', billing={}, manage_billing_fields=True)
    assert result['changed'] and fake.writes[-1][3] == ['billing.provider.stripe'] and 'billing' not in fake.tenants['acme']


# -- tts_tenant_info ----------------------------------------------------------------------------------

def info(fake, check_mode=False, **args):
    from ansible_collections.thingsstack.tenancy.plugins.action.tts_tenant_info import ActionModule as InfoModule
    from ansible_collections.thingsstack.tenancy.plugins.modules import tts_tenant_info
    args.setdefault('url', 'http://127.0.0.1:1')
    args.setdefault('tenant_admin_key', KEY)
    validated = ArgumentSpecValidator(tts_tenant_info.ARGUMENT_SPEC).validate(args)
    assert not validated.error_messages, validated.error_messages
    plugin = InfoModule.__new__(InfoModule)
    plugin.check_mode = check_mode
    plugin.warnings = []
    plugin.validate(validated.validated_parameters)
    fake.list_tenants = lambda paths: [fake.get_tenant(t, paths) for t in sorted(fake.tenants)]
    return plugin, plugin.ensure(fake, validated.validated_parameters)


def test_info_reads_one_or_all_with_the_default_fields():
    fake = FakeTts(dict(tenant('acme', name='Acme', max_users='3'), **tenant('beta', name='Beta')))
    dummy, one = info(fake, tenant_id='acme')
    assert one == {'changed': False, 'tenants': [fake.get_tenant('acme', ['name', 'max_users'])], 'tenant_id': 'acme',
                   'fields': fake.calls[0][2]}
    assert 'configuration' in fake.calls[0][2] and 'billing' in fake.calls[0][2]
    dummy, missing = info(fake, tenant_id='gone')
    assert missing['tenants'] == []
    dummy, every = info(fake, fields=['name'], check_mode=True)
    assert [t['ids']['tenant_id'] for t in every['tenants']] == ['acme', 'beta'] and 'max_users' not in every['tenants'][0]
    assert fake.writes == []


def test_info_accepts_blocklisted_ids_and_checks_fields():
    fake = FakeTts(tenant('default', name='Default'))
    assert info(fake, tenant_id='default')[1]['tenants'][0]['name'] == 'Default'
    with pytest.raises(InvalidOption, match=r"^fields: 'Name Of Tenant' is not a field mask path"):
        info(fake, fields=['Name Of Tenant'])
    with pytest.raises(InvalidOption, match=r"^tenant_id: 'Default' must be lowercase"):
        info(fake, tenant_id='Default')


def test_info_warns_about_unsupported_fields():
    fake = FakeTts(tenant())
    fake.last_headers = {'X-Warning': 'unsupported field mask paths: capabilities'}
    plugin, result = info(fake, tenant_id='acme', fields=['capabilities'])
    assert plugin.warnings == ['The Things Stack does not support the field mask path(s) capabilities; they were not returned']
