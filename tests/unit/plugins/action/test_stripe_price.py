# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import itertools
from types import SimpleNamespace

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.thingsstack.tenancy.plugins.action.stripe_price import ActionModule
from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_price
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_api import StripeApi
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption, TenancyError


class FakePrices:
    """Just enough of Stripe's prices API for the plugin's logic, with every call recorded."""

    retrieve = StripeApi.retrieve  # the real 404/deleted handling on top of the fake read

    def __init__(self, *prices):
        self.prices = {p['id']: copy.deepcopy(p) for p in prices}
        self.calls = []
        self.ids = (f'price_new{n}' for n in itertools.count(1))
        names = ('retrieve', 'list', 'update')
        self.v1 = SimpleNamespace(prices=SimpleNamespace(**{name: f'prices.{name}' for name in names}))

    @property
    def writes(self):
        return [call for call in self.calls if call[0] in ('create', 'prices.update')]

    def read(self, method, *args, params=None):
        self.calls.append((method, args, params))
        if method == 'prices.retrieve':
            if args[0] not in self.prices:
                raise ApiError('no such price', status=404)
            return copy.deepcopy(self.prices[args[0]])
        found = [p for p in self.prices.values() if p['lookup_key'] in params['lookup_keys']]
        return {'data': copy.deepcopy(found[:params['limit']]), 'has_more': False}

    def write(self, method, price_id, params):
        self.calls.append((method, (price_id,), params))
        price = self.prices[price_id]
        if params.get('lookup_key'):
            self.take_lookup_key(params['lookup_key'], params.get('transfer_lookup_key'))
        price.update({k: v for k, v in params.items() if k not in ('metadata', 'transfer_lookup_key')})
        for key, value in (params.get('metadata') or {}).items():
            if value:
                price['metadata'][key] = value
            else:
                price['metadata'].pop(key)
        return copy.deepcopy(price)

    def create(self, service, params, natural_key, kind):
        assert service is self.v1.prices and kind == 'price'
        self.calls.append(('create', tuple(natural_key), params))
        self.take_lookup_key(params['lookup_key'], params.get('transfer_lookup_key'))
        price = {k: v for k, v in params.items() if k != 'transfer_lookup_key'}
        price.setdefault('active', True)
        price.setdefault('nickname', None)
        price.update(id=next(self.ids), object='price', metadata=dict(params.get('metadata') or {}))
        self.prices[price['id']] = price
        return copy.deepcopy(price)

    def take_lookup_key(self, lookup_key, transfer):
        for price in self.prices.values():
            if price['lookup_key'] == lookup_key:
                assert transfer, 'Stripe refuses a lookup key in use without transfer_lookup_key'
                price['lookup_key'] = None


OLD = {
    'id': 'price_old', 'object': 'price', 'active': True, 'currency': 'eur', 'product': 'tts-enterprise',
    'unit_amount': 9900, 'unit_amount_decimal': '9900', 'lookup_key': 'tts-small-monthly', 'nickname': 'Small',
    'recurring': {'interval': 'month', 'interval_count': 1, 'meter': None, 'usage_type': 'licensed', 'trial_period_days': None},
    'tax_behavior': 'unspecified', 'type': 'recurring', 'metadata': {'max-gateways': '10', 'max-users': '5', 'tier': 'small'},
}
SMALL = dict(lookup_key='tts-small-monthly', product='tts-enterprise', currency='eur', unit_amount=9900,
             recurring={'interval': 'month'}, nickname='Small', tenant_limits={'gateways': 10, 'users': 5})


def params(**args):
    result = ArgumentSpecValidator(stripe_price.ARGUMENT_SPEC, **stripe_price.ARGUMENT_RULES).validate(dict(args, api_key='sk_test_x'))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def small(**changes):
    return params(**{**SMALL, **changes})


def action(check_mode=False):
    plugin = ActionModule.__new__(ActionModule)  # the logic only; run() is exercised by the integration target
    plugin.check_mode = check_mode
    plugin.warnings = []
    return plugin


def test_create_writes_the_limits_as_max_metadata_with_the_lookup_key():
    api = FakePrices()
    result = action().ensure(api, small())
    assert result['changed'] and result['price']['id'] == 'price_new1'
    (call, natural_key, payload), = api.writes
    assert natural_key == ('price', 'tts-small-monthly')
    assert payload == {'product': 'tts-enterprise', 'currency': 'eur', 'unit_amount': 9900, 'lookup_key': 'tts-small-monthly',
                       'recurring': {'interval': 'month', 'interval_count': 1}, 'nickname': 'Small',
                       'metadata': {'max-gateways': '10', 'max-users': '5'}}
    assert result['diff']['before'] == {} and result['diff']['after']['lookup_key'] == 'tts-small-monthly'
    assert result['steps'] == [{'action': 'create', 'price': 'price_new1'}]


def test_converged_price_makes_one_read_and_no_write():
    api = FakePrices(OLD)
    result = action().ensure(api, small())
    assert not result['changed'] and 'diff' not in result and result['steps'] == []
    assert len(api.calls) == 1 and not api.writes


def test_mutable_fields_and_limits_are_updated_in_place():
    api = FakePrices(OLD)
    result = action().ensure(api, small(nickname='Small plan', tenant_limits={'gateways': 20}))
    (method, args, payload), = api.writes
    assert (method, args) == ('prices.update', ('price_old',))
    assert payload == {'nickname': 'Small plan', 'metadata': {'max-gateways': '20', 'max-users': ''}}
    assert result['diff']['before'] == {'nickname': 'Small', 'metadata': OLD['metadata']}
    assert result['diff']['after'] == {'nickname': 'Small plan', 'metadata': {'max-gateways': '20', 'tier': 'small'}}
    assert result['steps'] == [{'action': 'update', 'price': 'price_old', 'fields': ['metadata', 'nickname']}]


def test_an_immutable_change_creates_a_new_price_moves_the_lookup_key_and_archives_the_old_one():
    api = FakePrices(OLD)
    result = action().ensure(api, small(unit_amount=10900))
    create, archive = api.writes
    assert create[1] == ('price', 'tts-small-monthly', 'replaces', 'price_old')
    assert create[2] == {'product': 'tts-enterprise', 'currency': 'eur', 'unit_amount': 10900, 'recurring': {'interval': 'month', 'interval_count': 1},
                         'nickname': 'Small', 'metadata': OLD['metadata'], 'lookup_key': 'tts-small-monthly', 'transfer_lookup_key': True}
    assert archive == ('prices.update', ('price_old',), {'active': False})
    assert api.prices['price_new1']['lookup_key'] == 'tts-small-monthly'
    assert api.prices['price_old']['lookup_key'] is None and not api.prices['price_old']['active']
    assert result['price']['id'] == 'price_new1' and result['replaced_price']['id'] == 'price_old'
    assert [step['action'] for step in result['steps']] == ['create', 'transfer_lookup_key', 'archive']
    assert result['steps'][0]['reason'] == 'unit_amount 9900 -> 10900; Stripe prices are immutable'
    assert result['steps'][1] == {'action': 'transfer_lookup_key', 'lookup_key': 'tts-small-monthly', 'from_price': 'price_old', 'to_price': 'price_new1'}
    diff = result['diff']
    assert diff['before'] == {'price_old': {**{k: OLD[k] for k in ('id', 'lookup_key', 'active', 'product', 'currency', 'unit_amount', 'nickname', 'metadata')},
                                            'recurring': {'interval': 'month', 'interval_count': 1}}}
    assert diff['after']['price_new1']['unit_amount'] == 10900
    assert diff['after']['price_old']['active'] is False and diff['after']['price_old']['lookup_key'] is None
    assert diff['prepared'].splitlines() == [
        '1. create price price_new1: unit_amount 9900 -> 10900; Stripe prices are immutable',
        "2. move lookup key 'tts-small-monthly' from price_old to price_new1 (transfer_lookup_key)",
        '3. archive price price_old (active: false); its subscriptions stay on it',
    ]


def test_a_replacement_applies_the_declared_mutable_fields_to_the_new_price():
    api = FakePrices(OLD)
    action().ensure(api, small(currency='usd', nickname='Small (USD)', tenant_limits={'users': 5}, metadata={'tier': ''}))
    create = api.writes[0][2]
    assert create['currency'] == 'usd' and create['nickname'] == 'Small (USD)' and create['metadata'] == {'max-users': '5'}


def test_replacement_in_check_mode_writes_nothing_and_shows_the_three_steps():
    api = FakePrices(OLD)
    result = action(check_mode=True).ensure(api, small(recurring={'interval': 'year'}))
    assert not api.writes
    assert result['changed'] and result['price']['id'] is None and result['price']['recurring'] == {'interval': 'year', 'interval_count': 1}
    assert result['replaced_price']['active'] is False
    assert set(result['diff']['after']) == {'(new price)', 'price_old'}
    assert len(result['steps']) == 3 and result['steps'][0]['reason'].startswith('recurring 1/month -> 1/year')
    assert result['diff']['prepared'].splitlines()[:2] == [
        '1. create a new price: recurring 1/month -> 1/year; Stripe prices are immutable',
        "2. move lookup key 'tts-small-monthly' from price_old to the new price (transfer_lookup_key)"]


def test_replacing_an_archived_price_only_moves_the_key():
    api = FakePrices(dict(OLD, active=False))
    result = action().ensure(api, small(unit_amount=10900))
    assert [call[0] for call in api.writes] == ['create']
    assert [step['action'] for step in result['steps']] == ['create', 'transfer_lookup_key']


def test_an_immutable_change_of_a_price_declared_by_id_fails_before_writing():
    api = FakePrices(OLD)
    expected = r'^currency: Stripe cannot change these on price price_old \(currency eur -> usd\); declare the price by lookup_key'
    with pytest.raises(TenancyError, match=expected):
        action().ensure(api, params(id='price_old', currency='usd'))
    assert not api.writes


def test_id_with_a_lookup_key_moves_the_key_to_that_price():
    other = dict(OLD, id='price_other', lookup_key='tts-small-monthly-v2')
    api = FakePrices(OLD, other)
    result = action().ensure(api, params(id='price_other', lookup_key='tts-small-monthly'))
    assert api.writes == [('prices.update', ('price_other',), {'lookup_key': 'tts-small-monthly', 'transfer_lookup_key': True})]
    assert result['diff'] == {'before': {'lookup_key': 'tts-small-monthly-v2'}, 'after': {'lookup_key': 'tts-small-monthly'}}
    assert api.prices['price_old']['lookup_key'] is None


def test_create_needs_product_currency_and_amount():
    with pytest.raises(TenancyError, match=r"^product: required to create the price 'tts-x', which does not exist \(missing: product, unit_amount"):
        action().ensure(FakePrices(), params(lookup_key='tts-x', currency='eur'))


def test_absent_archives_once():
    api = FakePrices(OLD)
    result = action().ensure(api, params(lookup_key='tts-small-monthly', state='absent'))
    assert result['changed'] and result['price']['active'] is False
    assert result['diff'] == {'before': {'active': True}, 'after': {'active': False}}
    again = action().ensure(api, params(lookup_key='tts-small-monthly', state='absent'))
    assert not again['changed'] and len(api.writes) == 1
    assert action().ensure(FakePrices(), params(lookup_key='nothing', state='absent')) == {'changed': False, 'price': {}, 'steps': []}


@pytest.mark.parametrize('args, message', [
    (dict(tenant_limits={'users': -1}), r'^tenant_limits.users: must be a non-negative integer'),
    (dict(unit_amount=-1), r'^unit_amount: must be a non-negative integer'),
    (dict(currency='EUR'), r"^currency: must be a three-letter ISO 4217 currency code in lower case such as eur or usd, got 'EUR'"),
    (dict(unit_amount_decimal='12,50'), r'^unit_amount_decimal: must be a non-negative decimal'),
    (dict(recurring={'interval': 'month', 'interval_count': 0}), r'^recurring.interval_count: must be at least 1, got 0'),
    (dict(lookup_key='k' * 201), r'^lookup_key: must be 1 to 200 characters long, got 201'),
    (dict(metadata={'k' * 41: 'v'}), r"^metadata: key 'k{41}' must be 1 to 40 characters"),
    (dict(metadata={'max-users': '5'}, tenant_limits={'gateways': 1}), r"^metadata: key 'max-users' is managed by tenant_limits.users"),
    (dict(metadata={'max-users': 'many'}), r"^metadata: value of 'max-users' must be a non-negative integer"),
    (dict(metadata={f'k{i}': 'v' for i in range(48)}, tenant_limits={'users': 1, 'gateways': 1, 'clients': 1}),
     r'^metadata and tenant_limits: at most 50 keys are allowed, got 51'),
])
def test_bad_input_names_the_option_and_the_rule(args, message):
    with pytest.raises(InvalidOption, match=message):
        action().validate(params(**dict({'lookup_key': 'tts-small-monthly'}, **args)))


def test_amount_and_decimal_amount_are_mutually_exclusive():
    result = ArgumentSpecValidator(stripe_price.ARGUMENT_SPEC, **stripe_price.ARGUMENT_RULES).validate(
        {'api_key': 'sk_test_x', 'lookup_key': 'k', 'unit_amount': 1, 'unit_amount_decimal': '1'})
    assert 'parameters are mutually exclusive: unit_amount|unit_amount_decimal' in result.errors.msg


def test_a_price_is_identified_by_lookup_key_or_id():
    result = ArgumentSpecValidator(stripe_price.ARGUMENT_SPEC, **stripe_price.ARGUMENT_RULES).validate({'api_key': 'sk_test_x', 'currency': 'eur'})
    assert 'one of the following is required: lookup_key, id' in result.errors.msg
