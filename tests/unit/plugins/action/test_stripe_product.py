# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.thingsstack.tenancy.plugins.action.stripe_product import ActionModule
from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_product
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_api import StripeApi
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption, TenancyError


class FakeProducts:
    """Just enough of Stripe's products API (and of listing prices by product), with every call recorded."""

    retrieve = StripeApi.retrieve  # the real 404/deleted handling on top of the fake read

    def __init__(self, *products, prices=(), default_active=None):
        self.products = {p['id']: copy.deepcopy(p) for p in products}
        self.default_active = default_active  # True: a list without `active` has only active prices
        self.prices = list(prices)
        self.calls = []
        self.v1 = SimpleNamespace(products=SimpleNamespace(**{name: f'products.{name}' for name in ('retrieve', 'list', 'update', 'delete')}),
                                  prices=SimpleNamespace(list='prices.list'))

    @property
    def writes(self):
        return [call for call in self.calls if call[0] in ('create', 'products.update', 'products.delete')]

    def read(self, method, *args, params=None):
        self.calls.append((method, args, params))
        if method == 'products.retrieve':
            if args[0] not in self.products:
                raise ApiError('no such product', status=404)
            return copy.deepcopy(self.products[args[0]])
        found = [p for p in self.prices if p['product'] == params['product'] and params.get('active', self.default_active) in (None, p.get('active', True))]
        return {'data': found[:params['limit']], 'has_more': len(found) > params['limit']}

    def list_all(self, method, params=None):
        self.calls.append((method, (), params))
        return [copy.deepcopy(p) for p in self.products.values() if params.get('active') in (None, p['active'])]

    def write(self, method, product_id, params=None):
        self.calls.append((method, (product_id,), params))
        if method == 'products.delete':
            del self.products[product_id]
            return {'id': product_id, 'object': 'product', 'deleted': True}
        product = self.products[product_id]
        for key, value in params.items():
            if key == 'metadata':
                product['metadata'] = {k: v for k, v in dict(product['metadata'], **value).items() if v}
            else:
                product[key] = None if value == '' else value
        return copy.deepcopy(product)

    def create(self, service, params, natural_key, kind):
        assert service is self.v1.products and kind == 'product'
        self.calls.append(('create', tuple(natural_key), params))
        product = dict({'id': 'prod_new', 'active': True, 'description': None, 'metadata': {}}, **params)
        self.products[product['id']] = product
        return copy.deepcopy(product)


TTS = {'id': 'tts-enterprise', 'object': 'product', 'name': 'The Things Stack Enterprise', 'description': 'Tenants',
       'active': True, 'metadata': {'offer': 'enterprise'}}


def params(**args):
    result = ArgumentSpecValidator(stripe_product.ARGUMENT_SPEC, **stripe_product.ARGUMENT_RULES).validate(dict(args, api_key='sk_test_x'))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def action(check_mode=False):
    plugin = ActionModule.__new__(ActionModule)  # the logic only; run() is exercised by the integration target
    plugin.check_mode = check_mode
    plugin.warnings = []
    return plugin


def test_create_with_a_chosen_id():
    api = FakeProducts()
    result = action().ensure(api, params(id='tts-enterprise', name='The Things Stack Enterprise', metadata={'offer': 'enterprise', 'x': ''}))
    assert api.writes == [('create', ('product', 'tts-enterprise'),
                           {'name': 'The Things Stack Enterprise', 'id': 'tts-enterprise', 'metadata': {'offer': 'enterprise'}})]
    assert result['changed'] and result['product']['id'] == 'tts-enterprise'
    assert result['diff']['before'] == {} and result['diff']['after']['id'] == 'tts-enterprise'


def test_create_in_check_mode_writes_nothing():
    api = FakeProducts()
    result = action(check_mode=True).ensure(api, params(name='Trial'))
    assert not api.writes and result['changed'] and result['product'] == {'name': 'Trial', 'id': None, 'object': 'product'}


def test_converged_product_is_one_read_and_no_write():
    api = FakeProducts(TTS)
    result = action().ensure(api, params(id='tts-enterprise', name=TTS['name'], description='Tenants', active=True, metadata={'offer': 'enterprise'}))
    assert not result['changed'] and len(api.calls) == 1


def test_update_diff_shows_the_changed_fields_only():
    api = FakeProducts(TTS)
    result = action().ensure(api, params(id='tts-enterprise', description='', metadata={'tier': 'all'}, purge_metadata=True))
    assert api.writes == [('products.update', ('tts-enterprise',), {'description': '', 'metadata': {'tier': 'all', 'offer': ''}})]
    assert result['diff'] == {'before': {'description': 'Tenants', 'metadata': {'offer': 'enterprise'}},
                              'after': {'description': None, 'metadata': {'tier': 'all'}}}


def test_found_by_exact_name_and_several_fail_with_their_ids():
    api = FakeProducts(TTS, dict(TTS, id='prod_copy'), dict(TTS, id='prod_other', name='Other'))
    with pytest.raises(TenancyError, match=r"^name: 2 products are named 'The Things Stack Enterprise': tts-enterprise, prod_copy; use id") as raised:
        action().ensure(api, params(name=TTS['name']))
    assert raised.value.details['candidates'] == ['tts-enterprise', 'prod_copy']
    assert action().ensure(api, params(name='Other'))['product']['id'] == 'prod_other'


def test_a_missing_product_needs_a_name():
    with pytest.raises(TenancyError, match=r"^name: required to create the product 'tts-x'"):
        action().ensure(FakeProducts(), params(id='tts-x', description='x'))


def test_absent_deletes_a_product_without_prices():
    api = FakeProducts(TTS)
    result = action().ensure(api, params(id='tts-enterprise', state='absent'))
    assert result['changed'] and not result['archived'] and result['product']['deleted']
    assert api.writes == [('products.delete', ('tts-enterprise',), None)]
    assert action().ensure(api, params(id='tts-enterprise', state='absent')) == {'changed': False, 'product': {}}


def test_absent_archives_a_product_with_prices_and_says_so():
    api = FakeProducts(TTS, prices=[{'id': f'price_{n}', 'product': 'tts-enterprise'} for n in range(4)])
    plugin = action()
    result = plugin.ensure(api, params(id='tts-enterprise', state='absent'))
    assert api.writes == [('products.update', ('tts-enterprise',), {'active': False})]
    assert result['changed'] and result['archived'] and result['product']['active'] is False
    assert result['msg'] == ('product tts-enterprise was archived (active: false) instead of deleted because prices use it '
                             '(price_0, price_1, price_2 and more)')
    assert plugin.warnings == [result['msg']]
    again = action().ensure(api, params(id='tts-enterprise', state='absent'))
    assert not again['changed'] and again['archived'] and 'already archived' in again['msg'] and len(api.writes) == 1


def test_archived_prices_keep_a_product_from_deletion_even_if_a_plain_list_hides_them():
    api = FakeProducts(TTS, prices=[{'id': 'price_0', 'product': 'tts-enterprise', 'active': False}], default_active=True)
    result = action().ensure(api, params(id='tts-enterprise', state='absent'))
    assert result['archived'] and api.writes == [('products.update', ('tts-enterprise',), {'active': False})]
    assert [call[2] for call in api.calls if call[0] == 'prices.list'] == [
        {'product': 'tts-enterprise', 'limit': 3}, {'active': False, 'product': 'tts-enterprise', 'limit': 3}]


def test_absent_in_check_mode_writes_nothing():
    api = FakeProducts(TTS, prices=[{'id': 'price_0', 'product': 'tts-enterprise'}])
    result = action(check_mode=True).ensure(api, params(id='tts-enterprise', state='absent'))
    assert result['changed'] and result['product']['active'] is False and not api.writes


def test_bad_input_names_the_option():
    with pytest.raises(InvalidOption, match=r"^metadata: key 'k{41}' must be 1 to 40 characters"):
        action().validate(params(id='p', metadata={'k' * 41: 'v'}))
    with pytest.raises(InvalidOption, match=r'^name: must not be empty'):
        action().validate(params(name=' '))
