# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant model (plugins/plugin_utils/tts_tenants.py): field masks, limits, TTS's equality, attributes."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.thingsstack.tenancy.plugins.modules import tts_tenant
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_tenants import (changed_paths, configuration_leaves, desired_values,
                                                                                      parse_limits, read_paths, same_in_tts,
                                                                                      with_attributes)

KEY = 'ab' * 32
STRIPE = {'customer_id': 'cus_1', 'plan_id': 'price_1', 'subscription_id': 'sub_1', 'subscription_item_id': 'si_1'}


def params(**args):
    args.setdefault('url', 'http://127.0.0.1:1')
    args.setdefault('tenant_admin_key', KEY)
    result = ArgumentSpecValidator(tts_tenant.ARGUMENT_SPEC, **tts_tenant.ARGUMENT_RULES).validate(dict(args))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


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
    leaves = configuration_leaves({
        'default_cluster':
        {'ns': {'dev_addr_prefixes': ['26000000/8'], 'deduplication_window': '0.2s'}, 'ui':
         {'branding_base_url': 'https://x.example'}}, 'clusters': {'eu1': {'ns': {}}}, 'pb': {'listed': True}
    })
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
    assert desired['contact_info'] == [{
        'contact_type': 'CONTACT_TYPE_BILLING', 'contact_method': 'CONTACT_METHOD_EMAIL', 'value': 'b@acme.example', 'public': False
    }]
    assert desired_values(params(tenant_id='acme', billing={}), {}) == {'billing.provider.stripe': None}


# -- limits -----------------------------------------------------------------------------------------


def test_limits_accept_numbers_unlimited_and_explicit_null():
    validated = params(tenant_id='acme', max_users=10, max_gateways='25', max_clients='unlimited', max_end_devices=0)
    assert parse_limits(validated, {'max_organizations'}) == {
        'max_users': 10, 'max_gateways': 25, 'max_clients': None, 'max_end_devices': 0, 'max_organizations': None
    }
    assert desired_values(validated, parse_limits(validated, set()))['max_clients'] is None


@pytest.mark.parametrize('value', [-1, '-3', 1.5, True, 'lots', 2**64])
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
    ('contact_info', [{'value': 'x'}, {'contact_method': 'CONTACT_METHOD_EMAIL', 'value': 'a@b.example'}], [{
        'contact_type': 'CONTACT_TYPE_OTHER', 'contact_method': 'CONTACT_METHOD_EMAIL', 'value': 'a@b.example', 'public': False
    }, {'contact_type': 'CONTACT_TYPE_OTHER', 'contact_method': 'CONTACT_METHOD_OTHER', 'value': 'x', 'public': False}], True),
    ('contact_info', [{'value': 'x', 'public': True}], [{'value': 'x', 'public': False}], False),
    ('contact_info', None, [], True),
])
def test_comparison_follows_tts_zero_values(path, current, desired, same):
    assert same_in_tts(path, current, desired) is same


def test_attributes_merge_or_purge():
    current = {'attributes': {'aa-1': 'x', 'bb-2': 'y'}}
    keep = params(tenant_id='acme', attributes={'bb-2': 'z', 'aa-1': '', 'cc-3': 7})
    assert with_attributes({}, keep, current) == {'attributes': {'bb-2': 'z', 'cc-3': '7'}}
    purge = params(tenant_id='acme', attributes={'cc-3': 'w'}, purge_attributes=True)
    assert with_attributes({}, purge, current) == {'attributes': {'cc-3': 'w'}}
    untouched = params(tenant_id='acme', purge_attributes=True)
    assert with_attributes({}, untouched, current) == {}
    assert changed_paths(current, with_attributes({}, params(tenant_id='acme', attributes={'aa-1': 'x'}), current)) == {}
