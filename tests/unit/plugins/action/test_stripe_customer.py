# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import functools

import pytest

from ansible.errors import AnsibleActionFail
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


# -- through run(), against the shared Stripe fake (conftest.py) ---------------------------------------------

ACME = {
    'id': 'cus_acme', 'object': 'customer', 'email': 'billing@acme.example', 'name': 'Acme', 'description': None, 'phone': None, 'address':
    None, 'shipping': None, 'tax_exempt': 'none', 'metadata': {'tenant-id': 'acme', 'crm': '7'}
}
VAT = {'type': 'eu_vat', 'value': 'DE123456789'}
GST = {'type': 'au_abn', 'value': '12345678912'}
CHE = {'type': 'ch_vat', 'value': 'CHE-123.456.789 MWST'}


def tax_id(tax_id_id, kind, customer='cus_acme'):
    return dict(kind, id=tax_id_id, object='tax_id', customer=customer)


@pytest.fixture
def customer(run_action, stripe):
    return functools.partial(run_action, 'stripe_customer')


def test_create_sends_one_request_with_metadata_and_tax_ids(customer, stripe):
    result = customer(email='billing@acme.example', name='Acme', address={'city': 'Berlin', 'country': 'DE'}, tax_ids=[VAT],
                      match_metadata={'tenant-id': 'acme'}, metadata={'crm': 7, 'empty': ''})
    create, = stripe.writes
    assert create.method == 'customers.create'
    assert create.natural_key == ['customer', 'billing@acme.example', {'tenant-id': 'acme'}]
    assert create.params == {
        'email': 'billing@acme.example', 'name': 'Acme', 'address': {'city': 'Berlin', 'country': 'DE'}, 'metadata':
        {'tenant-id': 'acme', 'crm': '7'}, 'tax_id_data': [VAT]
    }
    assert result['changed'] and result['customer']['id'] == 'cus_new1'
    assert result['customer']['tax_ids'] == [dict(VAT, id='txi_new1')]
    assert result['diff'] == {
        'before': {}, 'after': {
            'email': 'billing@acme.example', 'name': 'Acme', 'address': {'city': 'Berlin', 'country': 'DE'}, 'metadata':
            {'tenant-id': 'acme', 'crm': '7'}, 'tax_ids': [VAT]
        }
    }
    assert stripe.methods == ['customers.list', 'customers.create', 'tax_ids.list']


def test_a_second_identical_run_only_reads(customer, stripe):
    task = dict(email='billing@acme.example', name='Acme', address={'city': 'Berlin', 'country': 'DE'}, tax_ids=[VAT],
                match_metadata={'tenant-id': 'acme'}, metadata={'crm': 7}, tax_exempt='reverse', preferred_locales=['de'],
                shipping={'name': 'Acme Dock', 'address': {'line1': 'Kai 1', 'city': 'Hamburg', 'country': 'DE'}})
    customer(**task)
    stripe.calls.clear()
    result = customer(**task)
    assert not result['changed'] and 'diff' not in result
    assert stripe.methods == ['customers.list', 'tax_ids.list']
    assert result['customer']['tax_ids'] == [dict(VAT, id='txi_new1')]


def test_the_email_lookup_is_narrowed_by_match_metadata_and_never_guesses(customer, stripe):
    stripe.load(customers=[ACME, dict(ACME, id='cus_lab', metadata={'tenant-id': 'lab'})])
    assert customer(email='billing@acme.example', match_metadata={'tenant-id': 'lab'}, name='Acme')['customer']['id'] == 'cus_lab'
    result = customer(email='billing@acme.example', name='Acme')
    assert result['failed'] and result['candidates'] == ['cus_acme', 'cus_lab']
    assert result['msg'].startswith("email: 2 customers match 'billing@acme.example': cus_acme, cus_lab; use id or add match_metadata")
    assert not stripe.writes


def test_an_update_sends_and_diffs_only_what_changed(customer, stripe):
    stripe.load(customers=[ACME])
    result = customer(email='billing@acme.example', name='Acme GmbH', description='', phone='+49 30 1234', metadata={'tier': 'gold'},
                      purge_metadata=True)
    update, = stripe.writes
    assert update[:2] == ('customers.update', ('cus_acme', ))
    assert update.params == {'name': 'Acme GmbH', 'phone': '+49 30 1234', 'metadata': {'tier': 'gold', 'tenant-id': '', 'crm': ''}}
    assert result['diff'] == {
        'before': {'name': 'Acme', 'phone': None, 'metadata': {'tenant-id': 'acme', 'crm': '7'}}, 'after':
        {'name': 'Acme GmbH', 'phone': '+49 30 1234', 'metadata': {'tier': 'gold'}}
    }
    assert result['customer']['metadata'] == {'tier': 'gold'} and stripe.objects['customers']['cus_acme']['name'] == 'Acme GmbH'


def test_metadata_not_given_is_untouched_even_with_purge(customer, stripe):
    stripe.load(customers=[ACME])
    assert not customer(id='cus_acme', purge_metadata=True)['changed']
    assert not stripe.writes


def test_tax_exempt_is_compared_and_updated(customer, stripe):
    stripe.load(customers=[ACME])
    assert not customer(id='cus_acme', tax_exempt='none')['changed']
    result = customer(id='cus_acme', tax_exempt='reverse')
    assert stripe.writes == [('customers.update', ('cus_acme', ), {'tax_exempt': 'reverse'}, None)]
    assert result['diff'] == {'before': {'tax_exempt': 'none'}, 'after': {'tax_exempt': 'reverse'}}


def test_a_declared_shipping_replaces_the_whole_shipping_details(customer, stripe):
    shipped = dict(
        ACME, shipping={
            'name': 'Acme Dock', 'phone': '+49 40 1', 'address':
            {'line1': 'Kai 1', 'line2': 'Tor 3', 'city': 'Hamburg', 'state': None, 'postal_code': '20457', 'country': 'DE'}
        })
    stripe.load(customers=[shipped])
    result = customer(id='cus_acme', shipping={'name': 'Acme Dock', 'address': {'line1': 'Kai 2', 'city': 'Hamburg', 'country': 'DE'}})
    update, = stripe.writes
    assert update.params == {
        'shipping': {
            'name': 'Acme Dock', 'phone': '', 'address':
            {'line1': 'Kai 2', 'line2': '', 'city': 'Hamburg', 'state': '', 'postal_code': '', 'country': 'DE'}
        }
    }
    assert result['customer']['shipping'] == {
        'name': 'Acme Dock', 'phone': None, 'address':
        {'line1': 'Kai 2', 'line2': None, 'city': 'Hamburg', 'state': None, 'postal_code': None, 'country': 'DE'}
    }
    assert result['diff']['before']['shipping'] == shipped['shipping']


def test_shipping_needs_a_name_and_a_valid_country(customer, stripe):
    with pytest.raises(AnsibleActionFail, match='missing required arguments: name found in shipping'):
        customer(id='cus_acme', shipping={'address': {'city': 'Hamburg'}})
    result = customer(id='cus_acme', shipping={'name': 'Dock', 'address': {'country': 'Germany'}})
    assert result['failed'] and result['option'] == 'shipping.address.country'
    assert stripe.calls == []


def test_missing_tax_ids_are_added_and_others_kept(customer, stripe):
    stripe.load(customers=[ACME], tax_ids=[tax_id('txi_vat', VAT), tax_id('txi_gst', GST)])
    result = customer(id='cus_acme', tax_ids=[VAT, CHE])
    create, = stripe.writes
    assert (create.method, create.args, create.params) == ('tax_ids.create', ('cus_acme', ), CHE)
    assert create.natural_key == ['cus_acme', CHE['type'], CHE['value']]
    assert result['customer']['tax_ids'] == [dict(VAT, id='txi_vat'), dict(GST, id='txi_gst'), dict(CHE, id='txi_new1')]
    assert result['diff']['after']['tax_ids'] == result['customer']['tax_ids']


def test_purge_tax_ids_removes_the_undeclared_ones(customer, stripe):
    stripe.load(customers=[ACME], tax_ids=[tax_id('txi_vat', VAT), tax_id('txi_gst', GST)])
    result = customer(id='cus_acme', tax_ids=[VAT], purge_tax_ids=True)
    assert stripe.writes == [('tax_ids.delete', ('cus_acme', 'txi_gst'), None, None)]
    assert result['changed'] and result['customer']['tax_ids'] == [dict(VAT, id='txi_vat')]
    assert result['diff'] == {
        'before': {'tax_ids': [dict(VAT, id='txi_vat'), dict(GST, id='txi_gst')]}, 'after': {'tax_ids': [dict(VAT, id='txi_vat')]}
    }
    assert list(stripe.objects['tax_ids']) == ['txi_vat']
    assert not customer(id='cus_acme', tax_ids=[VAT], purge_tax_ids=True)['changed']


def test_the_same_tax_id_twice_is_refused(customer, stripe):
    result = customer(email='billing@acme.example', tax_ids=[VAT, VAT])
    assert result['failed'] and result['msg'] == 'tax_ids: each type and value pair may be listed only once' and stripe.calls == []


def test_absent_deletes_once(customer, stripe):
    stripe.load(customers=[ACME])
    result = customer(email='billing@acme.example', state='absent')
    assert stripe.writes == [('customers.delete', ('cus_acme', ), None, None)]
    assert result['changed'] and result['customer'] == {'id': 'cus_acme', 'object': 'customer', 'deleted': True}
    assert result['diff'] == {'before': {key: ACME[key] for key in ('id', 'email', 'name', 'description', 'metadata')}, 'after': {}}
    assert customer(email='billing@acme.example', state='absent') == {'changed': False, 'customer': {}}
    assert customer(id='cus_acme', state='absent') == {'changed': False, 'customer': {}}
    assert len(stripe.writes) == 1


def test_present_with_the_id_of_a_missing_customer_fails(customer, stripe):
    result = customer(id='cus_gone', name='Acme')
    assert result['failed'] and result['msg'].startswith('id: customer cus_gone does not exist or was deleted') and not stripe.writes


def test_check_mode_predicts_create_update_and_delete_without_writing(customer, stripe):
    created = customer(check_mode=True, email='new@acme.example', name='New', tax_ids=[VAT])
    assert created['changed'] and created['customer']['id'] is None and created['customer']['tax_ids'] == [VAT]
    assert created['diff']['after'] == {'email': 'new@acme.example', 'name': 'New', 'tax_ids': [VAT]}
    stripe.load(customers=[ACME], tax_ids=[tax_id('txi_gst', GST)])
    updated = customer(check_mode=True, id='cus_acme', name='Acme GmbH', tax_ids=[VAT], purge_tax_ids=True)
    assert updated['changed'] and updated['customer']['name'] == 'Acme GmbH'
    assert updated['customer']['tax_ids'] == [dict(VAT, id=None)]
    deleted = customer(check_mode=True, id='cus_acme', state='absent')
    assert deleted['changed'] and deleted['customer'] == {'id': 'cus_acme', 'deleted': True}
    assert stripe.writes == [] and stripe.objects['customers']['cus_acme'] == ACME


def test_stripe_limits_on_phone_and_name_are_refused_before_any_request(customer, stripe):
    result = customer(email='billing@acme.example', phone='+49' + '1' * 97)
    assert result['failed'] and result['msg'] == 'phone: must be at most 20 characters long, got 100' and stripe.calls == []
    result = customer(email='billing@acme.example', name='N' * 257)
    assert result['failed'] and result['msg'] == 'name: must be at most 256 characters long, got 257' and stripe.calls == []
