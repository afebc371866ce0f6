# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import (apply_changes, apply_metadata, changed_fields,
                                                                                    mask_secret_keys, metadata_changes, satisfies,
                                                                                    secret_key_values, update_diff)


def test_metadata_not_given_changes_nothing_even_with_purge():
    assert metadata_changes({'a': '1'}, None, purge=True) == {}


def test_metadata_adds_and_changes_only_what_differs():
    assert metadata_changes({'a': '1', 'b': '2'}, {'a': '1', 'b': '3', 'c': 4}, purge=False) == {'b': '3', 'c': '4'}


def test_metadata_empty_value_removes_present_key_only():
    assert metadata_changes({'a': '1'}, {'a': '', 'gone': ''}, purge=False) == {'a': ''}


def test_metadata_purge_removes_undeclared_keys():
    assert metadata_changes({'a': '1', 'b': '2'}, {'a': '1'}, purge=True) == {'b': ''}


def test_metadata_booleans_are_lowercase_strings():
    assert metadata_changes({}, {'flag': True}, purge=False) == {'flag': 'true'}
    assert metadata_changes({'flag': 'true'}, {'flag': True}, purge=False) == {}


def test_apply_metadata_merges_and_removes():
    assert apply_metadata({'a': '1', 'b': '2'}, {'a': '', 'c': '3'}) == {'b': '2', 'c': '3'}


def test_empty_string_and_none_are_the_same_unset_value():
    assert satisfies(None, '')
    assert not satisfies('x', '')


def test_dicts_compare_on_declared_keys_only():
    assert satisfies({'line1': 'a', 'city': 'b'}, {'line1': 'a'})
    assert not satisfies({'line1': 'a', 'line2': 'x'}, {'line1': 'a', 'line2': ''})


def test_lists_compare_in_order():
    assert satisfies(['de', 'en'], ['de', 'en'])
    assert not satisfies(['en', 'de'], ['de', 'en'])


def test_changed_fields_reports_only_differences():
    current = {'name': 'Acme', 'phone': None, 'address': {'city': 'Berlin', 'country': 'DE'}}
    desired = {'name': 'Acme', 'phone': '', 'address': {'city': 'Hamburg', 'country': 'DE'}}
    assert changed_fields(current, desired) == {'address': {'city': 'Hamburg', 'country': 'DE'}}


def test_apply_changes_predicts_stripe_update():
    current = {'name': 'Old', 'phone': '1', 'metadata': {'a': '1'}, 'address': {'city': 'A', 'line1': 'x'}}
    after = apply_changes(current, {'name': 'New', 'phone': '', 'metadata': {'a': '', 'b': '2'}, 'address': {'city': 'B', 'line1': ''}})
    assert after == {'name': 'New', 'phone': None, 'metadata': {'b': '2'}, 'address': {'city': 'B', 'line1': None}}
    assert current['metadata'] == {'a': '1'}


def test_mask_secret_keys_hides_secrets_at_any_depth_and_keeps_empty_ones():
    obj = {'metadata': {'admin-password': 'hunter2', 'tenant-id': 'acme'}, 'api_key': '', 'list': [{'api_key': 'k'}]}
    assert mask_secret_keys(obj, {'admin-password', 'api_key'}) == {
        'metadata': {'admin-password': '********', 'tenant-id': 'acme'}, 'api_key': '', 'list': [{'api_key': '********'}]
    }


def test_secret_key_values_finds_the_non_empty_strings_of_the_keys_at_any_depth():
    obj = {
        'metadata': {'admin-password': 'hunter2', 'tenant-id': 'acme'}, 'api_key': ' ', 'n': {'api_key': 7}, 'list': [{'api_key': 'k'},
                                                                                                                      {'other': 'hunter3'}]
    }
    assert secret_key_values(obj, {'admin-password', 'api_key'}) == {'hunter2', 'k'}
    assert secret_key_values(obj, set()) == set()


def test_update_diff_shows_exactly_the_changed_keys():
    diff = update_diff({'name': 'a', 'email': 'x@y.z', 'phone': '1'}, {'name': 'b', 'email': 'x@y.z', 'phone': '1'}, ['name'])
    assert diff == {'before': {'name': 'a'}, 'after': {'name': 'b'}}
