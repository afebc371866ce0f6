# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""stripe_product through run(), against the shared Stripe fake (conftest.py)."""

from __future__ import annotations

import functools

import pytest


@pytest.fixture
def product(run_action, stripe):
    return functools.partial(run_action, 'stripe_product')


TTS = {
    'id': 'tts-enterprise', 'object': 'product', 'name': 'The Things Stack Enterprise', 'description': 'Tenants', 'active': True,
    'metadata': {'offer': 'enterprise'}
}


def test_create_with_a_chosen_id(product, stripe):
    result = product(id='tts-enterprise', name='The Things Stack Enterprise', metadata={'offer': 'enterprise', 'x': ''})
    assert stripe.writes == [('products.create', (),
                              {'name': 'The Things Stack Enterprise', 'id': 'tts-enterprise', 'metadata':
                               {'offer': 'enterprise'}}, ['product', 'tts-enterprise'])]
    assert result['changed'] and result['product']['id'] == 'tts-enterprise'
    assert result['diff']['before'] == {} and result['diff']['after']['id'] == 'tts-enterprise'


def test_create_in_check_mode_writes_nothing(product, stripe):
    result = product(check_mode=True, name='Trial')
    assert not stripe.writes and result['changed'] and result['product'] == {'name': 'Trial', 'id': None, 'object': 'product'}


def test_converged_product_is_one_read_and_no_write(product, stripe):
    stripe.load(products=[TTS])
    result = product(id='tts-enterprise', name=TTS['name'], description='Tenants', active=True, metadata={'offer': 'enterprise'})
    assert not result['changed'] and len(stripe.calls) == 1


def test_update_diff_shows_the_changed_fields_only(product, stripe):
    stripe.load(products=[TTS])
    result = product(id='tts-enterprise', description='', metadata={'tier': 'all'}, purge_metadata=True)
    assert stripe.writes == [('products.update', ('tts-enterprise', ), {'description': '', 'metadata': {'tier': 'all', 'offer': ''}}, None)]
    assert result['diff'] == {
        'before': {'description': 'Tenants', 'metadata': {'offer': 'enterprise'}}, 'after':
        {'description': None, 'metadata': {'tier': 'all'}}
    }


def test_found_by_exact_name_and_several_fail_with_their_ids(product, stripe, failed):
    stripe.load(products=[TTS, dict(TTS, id='prod_copy'), dict(TTS, id='prod_other', name='Other')])
    result = failed(product(name=TTS['name']),
                    r"^name: 2 products are named 'The Things Stack Enterprise': tts-enterprise, prod_copy; use id")
    assert result['candidates'] == ['tts-enterprise', 'prod_copy']
    assert product(name='Other')['product']['id'] == 'prod_other'


def test_a_missing_product_needs_a_name(product, stripe, failed):
    failed(product(id='tts-x', description='x'), r"^name: required to create the product 'tts-x'")
    assert not stripe.writes


def test_absent_deletes_a_product_without_prices(product, stripe):
    stripe.load(products=[TTS])
    result = product(id='tts-enterprise', state='absent')
    assert result['changed'] and not result['archived'] and result['product']['deleted']
    assert stripe.writes == [('products.delete', ('tts-enterprise', ), None, None)]
    assert product(id='tts-enterprise', state='absent') == {'changed': False, 'product': {}}


def test_absent_archives_a_product_with_prices_and_says_so(product, stripe):
    stripe.load(products=[TTS], prices=[{'id': f'price_{n}', 'product': 'tts-enterprise'} for n in range(4)])
    result = product(id='tts-enterprise', state='absent')
    assert stripe.writes == [('products.update', ('tts-enterprise', ), {'active': False}, None)]
    assert result['changed'] and result['archived'] and result['product']['active'] is False
    assert result['msg'] == ('product tts-enterprise was archived (active: false) instead of deleted because prices use it '
                             '(price_0, price_1, price_2 and more)')
    assert result['warnings'] == [result['msg']]
    again = product(id='tts-enterprise', state='absent')
    assert not again['changed'] and again['archived'] and 'already archived' in again['msg'] and len(stripe.writes) == 1


def test_archived_prices_keep_a_product_from_deletion_even_if_a_plain_list_hides_them(product, stripe):
    stripe.load(products=[TTS], prices=[{'id': 'price_0', 'product': 'tts-enterprise', 'active': False}])
    stripe.plain_price_list_hides_archived = True
    result = product(id='tts-enterprise', state='absent')
    assert result['archived'] and stripe.writes == [('products.update', ('tts-enterprise', ), {'active': False}, None)]
    assert [call.params for call in stripe.calls
            if call.method == 'prices.list'] == [{'product': 'tts-enterprise', 'limit': 3},
                                                 {'active': False, 'product': 'tts-enterprise', 'limit': 3}]


def test_absent_in_check_mode_writes_nothing(product, stripe):
    stripe.load(products=[TTS], prices=[{'id': 'price_0', 'product': 'tts-enterprise'}])
    result = product(check_mode=True, id='tts-enterprise', state='absent')
    assert result['changed'] and result['product']['active'] is False and not stripe.writes


def test_bad_input_names_the_option(product, stripe, failed):
    failed(product(id='p', metadata={'k' * 41: 'v'}), r"^metadata: key 'k{41}' must be 1 to 40 characters")
    failed(product(name=' '), r'^name: must not be empty')
    assert stripe.calls == []


def test_unit_label_statement_descriptor_and_tax_code_are_created_updated_and_converge(product, stripe):
    fields = dict(unit_label='tenant', statement_descriptor='TTS ENTERPRISE', tax_code='txcd_10103001')
    result = product(id='tts-enterprise', name='The Things Stack Enterprise', **fields)
    assert stripe.writes[0].params == dict(fields, name='The Things Stack Enterprise', id='tts-enterprise')
    assert result['diff']['after']['unit_label'] == 'tenant'
    assert not product(id='tts-enterprise', **fields)['changed'] and len(stripe.writes) == 1
    changed = product(id='tts-enterprise', unit_label='device', tax_code='')
    assert stripe.writes[-1].params == {'unit_label': 'device', 'tax_code': ''}
    assert changed['diff'] == {
        'before': {'unit_label': 'tenant', 'tax_code': 'txcd_10103001'}, 'after': {'unit_label': 'device', 'tax_code': None}
    }


@pytest.mark.parametrize('args, message', [
    (dict(unit_label='end devices 1'), r"^unit_label: must be at most 12 characters long \(Stripe's rule\), got 13"),
    (dict(statement_descriptor='TTS'), r"^statement_descriptor: must be 5 to 22 characters long \(Stripe's rule\), got 3"),
    (dict(statement_descriptor='T' * 23), r'^statement_descriptor: must be 5 to 22 characters long'),
    (dict(statement_descriptor="TTS <Enterprise's>"), r"^statement_descriptor: must not contain any of .*got \"'<>\""),
    (dict(statement_descriptor='12345'), r'^statement_descriptor: must contain at least one letter'),
    (dict(tax_code='10103001'), r"^tax_code: must be a Stripe product tax code such as txcd_10103001, got '10103001'"),
    (dict(metadata={'offer': 'x', 'max-users': '5'}),
     r"^metadata: key 'max-users' has no effect on a product: .* price's metadata only; set them with tenant_limits of thingsstack.tenancy.stripe_price"
     ),
])
def test_bad_product_input_names_the_option_and_sends_nothing(product, stripe, failed, args, message):
    failed(product(id='tts-enterprise', name='TTS', **args), message)
    assert stripe.calls == []
