# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.thingsstack.tenancy.plugins.action.stripe_customer import desired_fields, without_empty
from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_customer


def params(**args):
    result = ArgumentSpecValidator(stripe_customer.ARGUMENT_SPEC, **stripe_customer.ARGUMENT_RULES).validate(dict(args))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def test_api_key_and_base_fall_back_to_the_environment(monkeypatch):
    monkeypatch.setenv('STRIPE_API_KEY', 'sk_test_from_env')
    monkeypatch.setenv('STRIPE_API_BASE', 'http://127.0.0.1:12111')
    validated = params(email='a@b.example')
    assert validated['api_key'] == 'sk_test_from_env'
    assert validated['api_base'] == 'http://127.0.0.1:12111'


def test_api_key_is_required_and_no_log(monkeypatch):
    monkeypatch.delenv('STRIPE_API_KEY', raising=False)
    result = ArgumentSpecValidator(stripe_customer.ARGUMENT_SPEC).validate({'email': 'a@b.example'})
    assert 'missing required arguments: api_key' in result.errors.msg
    monkeypatch.setenv('STRIPE_API_KEY', 'sk_test_secret')
    result = ArgumentSpecValidator(stripe_customer.ARGUMENT_SPEC).validate({'email': 'a@b.example'})
    assert 'sk_test_secret' in result._no_log_values


def test_only_given_fields_are_desired():
    assert desired_fields(params(email='a@b.example', api_key='sk_test_x', name='Acme')) == {'email': 'a@b.example', 'name': 'Acme'}


def test_a_declared_address_replaces_the_whole_address():
    desired = desired_fields(params(email='a@b.example', api_key='sk_test_x', address={'city': 'Berlin', 'country': 'DE'}))
    assert desired['address'] == {'line1': '', 'line2': '', 'city': 'Berlin', 'state': '', 'postal_code': '', 'country': 'DE'}
    assert without_empty(desired)['address'] == {'city': 'Berlin', 'country': 'DE'}


def test_empty_lists_unset():
    desired = desired_fields(params(email='a@b.example', api_key='sk_test_x', preferred_locales=[], invoice_settings={'custom_fields': []}))
    assert desired['preferred_locales'] == ''
    assert desired['invoice_settings'] == {'custom_fields': ''}
