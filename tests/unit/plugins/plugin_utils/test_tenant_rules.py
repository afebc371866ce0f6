# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import (check_attribute_keys, check_configuration_path,
                                                                                       check_password, check_tenant_id, check_text,
                                                                                       check_tts_email, check_user_id,
                                                                                       initial_user_from_billing, tenant_from_billing,
                                                                                       tenant_limits)


@pytest.mark.parametrize('tenant_id', ['acme', 'a1b', 'acme-corp-2', 'a' * 36])
def test_valid_tenant_ids(tenant_id):
    check_tenant_id('tenant_id', tenant_id)


@pytest.mark.parametrize('tenant_id, rule', [
    ('Acme', 'lowercase letters and digits'),
    ('ab', 'must be 3 to 36 characters long, got 2'),
    ('a' * 37, 'must be 3 to 36 characters long, got 37'),
    ('acme--corp', 'single dashes'),
    ('-acme', 'single dashes'),
    ('admin', 'blocklist'),
    ('default', 'blocklist'),
])
def test_invalid_tenant_ids_name_option_and_rule(tenant_id, rule):
    with pytest.raises(InvalidOption, match=rf'^tenant_id: .*{rule}'):
        check_tenant_id('tenant_id', tenant_id)


def test_user_ids_may_be_two_characters_but_not_blocklisted():
    check_user_id('admin_user', 'jo')
    with pytest.raises(InvalidOption, match='blocklist'):
        check_user_id('admin_user', 'root')


def test_tts_email_rule():
    check_tts_email('admin_email', 'ops@acme.example')
    with pytest.raises(InvalidOption, match='^admin_email: '):
        check_tts_email('admin_email', 'ops@-acme.example')


def test_limits_from_price_metadata():
    limits = tenant_limits({'max-end-devices': '100', 'max-gateways': '0', 'other': 'x'})
    assert limits['max_end_devices'] == 100 and limits['max_gateways'] == 0 and limits['max_users'] is None
    with pytest.raises(InvalidOption, match='max-users'):
        tenant_limits({'max-users': '-1'})


CUSTOMER = {'id': 'cus_1', 'name': 'Acme Corp', 'email': 'billing@acme.example', 'description': 'Fleet'}
ITEM = {'id': 'si_1', 'price': {'id': 'price_1'}}


def subscription(**metadata):
    return {'id': 'sub_1', 'metadata': dict({'tenant-id': 'acme'}, **metadata)}


@pytest.mark.parametrize('metadata, name', [
    ({'tenant-name': 'T', 'name': 'N', 'company': 'C'}, 'T'),
    ({'name': 'N', 'company': 'C'}, 'N'),
    ({'company': 'C'}, 'C'),
    ({}, 'Acme Corp'),
])
def test_tenant_name_defaults_follow_the_seed(metadata, name):
    assert tenant_from_billing(subscription(**metadata), ITEM, CUSTOMER, {})['name'] == name


def test_tenant_derived_like_the_billing_server():
    tenant = tenant_from_billing(subscription(**{'admin-email': 'ops@acme.example'}), ITEM, CUSTOMER, {'max-users': '5'})
    assert tenant['description'] == 'Fleet'
    assert tenant['contact_info'] == [{'type': 'billing', 'method': 'email', 'value': 'billing@acme.example', 'public': False},
                                      {'type': 'technical', 'method': 'email', 'value': 'ops@acme.example', 'public': False}]
    assert tenant['billing'] == {
        'stripe': {'customer_id': 'cus_1', 'plan_id': 'price_1', 'subscription_id': 'sub_1', 'subscription_item_id': 'si_1'}
    }
    assert tenant['max_users'] == 5 and tenant['max_gateways'] is None
    assert tenant['tenant_state'] == 'approved'


def test_initial_user_defaults():
    assert initial_user_from_billing({'tenant-id': 'acme'},
                                     CUSTOMER) == {'user_id': 'acme', 'email': 'billing@acme.example', 'full_name': '', 'password': ''}


@pytest.mark.parametrize('value', ['Acme \u00e9\u4e2d', '', None, 'x' * 50])
def test_names_without_control_characters_pass(value):
    check_text('name', value, 50)


@pytest.mark.parametrize('value, description, rule', [
    ('Acme\x00', False, r"^name: must not contain control characters, got '\\x00' at position 4$"),
    ('Acme\tCorp', False, 'control characters'),
    ('a\x85', False, 'control characters'),
    ('line\x0bbreak', True, 'control characters'),
    ('x' * 51, False, 'at most 50 characters long, got 51'),
])
def test_control_characters_and_length_are_refused(value, description, rule):
    with pytest.raises(InvalidOption, match=rule):
        check_text('name', value, 50, description=description)


def test_a_description_may_hold_line_breaks_and_tabs():
    check_text('description', 'one\r\ntwo\tthree', 2000, description=True)


@pytest.mark.parametrize('path', [
    'configuration.default_cluster', 'configuration.default_cluster.ns',
    'configuration.default_cluster.is.user_registration.password_requirements.min_length', 'configuration.clusters', 'configuration.pb',
    'configuration.pb.listed'
])
def test_known_configuration_paths_pass(path):
    check_configuration_path(path)


@pytest.mark.parametrize('path', [
    'configuration.nope', 'configuration.default_cluster.xx.a', 'configuration.pb.other', 'configuration.clusters.eu1',
    'configuration.default_cluster.ns.a-b'
])
def test_unknown_configuration_paths_are_refused(path):
    with pytest.raises(InvalidOption, match=f"^configuration: {path} is not a field"):
        check_configuration_path(path)


def test_password_needs_the_default_minimum_length_unless_generated():
    for password in (None, '', 'x' * 8, 'x' * 1000):
        check_password('initial_user.password', password)
    for password, got in (('abc', 3), ('x' * 7, 7), ('x' * 1001, 1001)):
        with pytest.raises(InvalidOption, match=f'^initial_user.password: must be 8 to 1000 characters long, got {got}$'):
            check_password('initial_user.password', password)


def test_attribute_count_follows_the_attribute_rule():
    check_attribute_keys('attributes', {f'key-{i}': 'v' for i in range(10)})
    with pytest.raises(InvalidOption, match='^attributes: at most 10 attributes are allowed'):
        check_attribute_keys('attributes', {f'key-{i}': 'v' for i in range(1000)})
