# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""stripe_price through run(), against the shared Stripe fake (conftest.py)."""

from __future__ import annotations

import functools
import re

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.thingsstack.tenancy.tests.unit.plugins.plugin_utils.test_stripe_prices import PRICE


@pytest.fixture
def price(run_action, stripe):
    stripe.load(products=[{'id': 'tts-enterprise', 'object': 'product', 'name': 'The Things Stack Enterprise', 'active': True}])
    return functools.partial(run_action, 'stripe_price')


OLD = dict(PRICE, type='recurring')  # the price as Stripe returns it, with its type
SMALL = dict(lookup_key='tts-small-monthly', product='tts-enterprise', currency='eur', unit_amount=9900, recurring={'interval': 'month'},
             nickname='Small', tenant_limits={'gateways': 10, 'users': 5})


def small(**changes):
    return {**SMALL, **changes}


def test_create_writes_the_limits_as_max_metadata_with_the_lookup_key(price, stripe):
    result = price(**small())
    assert result['changed'] and result['price']['id'] == 'price_new1'
    create, = stripe.writes
    assert create.method == 'prices.create' and create.natural_key == ['price', 'tts-small-monthly']
    assert create.params == {
        'product': 'tts-enterprise', 'currency': 'eur', 'unit_amount': 9900, 'lookup_key': 'tts-small-monthly', 'recurring':
        {'interval': 'month', 'interval_count': 1}, 'nickname': 'Small', 'metadata': {'max-gateways': '10', 'max-users': '5'}
    }
    assert result['diff']['before'] == {} and result['diff']['after']['lookup_key'] == 'tts-small-monthly'
    assert result['steps'] == [{'action': 'create', 'price': 'price_new1'}]


def test_converged_price_makes_one_read_and_no_write(price, stripe):
    stripe.load(prices=[OLD])
    result = price(**small())
    assert not result['changed'] and 'diff' not in result and result['steps'] == []
    assert len(stripe.calls) == 1 and not stripe.writes


def test_mutable_fields_and_limits_are_updated_in_place(price, stripe):
    stripe.load(prices=[OLD])
    result = price(**small(nickname='Small plan', tenant_limits={'gateways': 20}))
    update, = stripe.writes
    assert (update.method, update.args) == ('prices.update', ('price_old', ))
    assert update.params == {'nickname': 'Small plan', 'metadata': {'max-gateways': '20', 'max-users': ''}}
    assert result['diff']['before'] == {'nickname': 'Small', 'metadata': OLD['metadata']}
    assert result['diff']['after'] == {'nickname': 'Small plan', 'metadata': {'max-gateways': '20', 'tier': 'small'}}
    assert result['steps'] == [{'action': 'update', 'price': 'price_old', 'fields': ['metadata', 'nickname']}]


def test_an_immutable_change_creates_a_new_price_moves_the_lookup_key_and_archives_the_old_one(price, stripe):
    stripe.load(prices=[OLD])
    result = price(**small(unit_amount=10900))
    create, archive = stripe.writes
    assert create.method == 'prices.create' and create.natural_key == ['price', 'tts-small-monthly', 'replaces', 'price_old']
    assert create.params == {
        'product': 'tts-enterprise', 'currency': 'eur', 'unit_amount': 10900, 'recurring': {'interval': 'month', 'interval_count': 1},
        'nickname': 'Small', 'metadata': OLD['metadata'], 'lookup_key': 'tts-small-monthly', 'transfer_lookup_key': True
    }
    assert archive == ('prices.update', ('price_old', ), {'active': False}, None)
    assert stripe.objects['prices']['price_new1']['lookup_key'] == 'tts-small-monthly'
    assert stripe.objects['prices']['price_old']['lookup_key'] is None and not stripe.objects['prices']['price_old']['active']
    assert result['price']['id'] == 'price_new1' and result['replaced_price']['id'] == 'price_old'
    assert [step['action'] for step in result['steps']] == ['create', 'transfer_lookup_key', 'archive']
    assert result['steps'][0]['reason'] == 'unit_amount 9900 -> 10900; Stripe prices are immutable'
    assert result['steps'][1] == {
        'action': 'transfer_lookup_key', 'lookup_key': 'tts-small-monthly', 'from_price': 'price_old', 'to_price': 'price_new1'
    }
    diff = result['diff']
    assert diff['before'] == {
        'price_old': {
            **{k: OLD[k]
               for k in ('id', 'lookup_key', 'active', 'product', 'currency', 'unit_amount', 'nickname', 'metadata')}, 'recurring':
            {'interval': 'month', 'interval_count': 1}
        }
    }
    assert diff['after']['price_new1']['unit_amount'] == 10900
    assert diff['after']['price_old']['active'] is False and diff['after']['price_old']['lookup_key'] is None
    assert diff['prepared'].splitlines() == [
        '1. create price price_new1: unit_amount 9900 -> 10900; Stripe prices are immutable',
        "2. move lookup key 'tts-small-monthly' from price_old to price_new1 (transfer_lookup_key)",
        '3. archive price price_old (active: false); its subscriptions stay on it',
    ]


def test_a_replacement_applies_the_declared_mutable_fields_to_the_new_price(price, stripe):
    stripe.load(prices=[OLD])
    price(**small(currency='usd', nickname='Small (USD)', tenant_limits={'users': 5}, metadata={'tier': ''}))
    create = stripe.writes[0].params
    assert create['currency'] == 'usd' and create['nickname'] == 'Small (USD)' and create['metadata'] == {'max-users': '5'}


def test_replacement_in_check_mode_writes_nothing_and_shows_the_three_steps(price, stripe):
    stripe.load(prices=[OLD])
    result = price(check_mode=True, **small(recurring={'interval': 'year'}))
    assert not stripe.writes
    assert result['changed'] and result['price']['id'] is None and result['price']['recurring'] == {'interval': 'year', 'interval_count': 1}
    assert result['replaced_price']['active'] is False
    assert set(result['diff']['after']) == {'(new price)', 'price_old'}
    assert len(result['steps']) == 3 and result['steps'][0]['reason'].startswith('recurring 1/month -> 1/year')
    assert result['diff']['prepared'].splitlines()[:2] == [
        '1. create a new price: recurring 1/month -> 1/year; Stripe prices are immutable',
        "2. move lookup key 'tts-small-monthly' from price_old to the new price (transfer_lookup_key)"
    ]


def test_replacing_an_archived_price_only_moves_the_key(price, stripe):
    stripe.load(prices=[dict(OLD, active=False)])
    result = price(**small(unit_amount=10900))
    assert [call.method for call in stripe.writes] == ['prices.create']
    assert [step['action'] for step in result['steps']] == ['create', 'transfer_lookup_key']


def test_an_immutable_change_of_a_price_declared_by_id_fails_before_writing(price, stripe, failed):
    stripe.load(prices=[OLD])
    expected = r'^currency: Stripe cannot change these on price price_old \(currency eur -> usd\); declare the price by lookup_key'
    failed(price(id='price_old', currency='usd'), expected)
    assert not stripe.writes


def test_id_with_a_lookup_key_moves_the_key_to_that_price(price, stripe):
    other = dict(OLD, id='price_other', lookup_key='tts-small-monthly-v2')
    stripe.load(prices=[OLD, other])
    result = price(id='price_other', lookup_key='tts-small-monthly')
    assert stripe.writes == [('prices.update', ('price_other', ), {'lookup_key': 'tts-small-monthly', 'transfer_lookup_key': True}, None)]
    assert result['diff'] == {'before': {'lookup_key': 'tts-small-monthly-v2'}, 'after': {'lookup_key': 'tts-small-monthly'}}
    assert stripe.objects['prices']['price_old']['lookup_key'] is None


def test_create_needs_product_currency_and_amount(price, stripe, failed):
    failed(price(lookup_key='tts-x', currency='eur'),
           r"^product: required to create the price 'tts-x', which does not exist \(missing: product, unit_amount")
    assert not stripe.writes


def test_absent_archives_once(price, stripe):
    stripe.load(prices=[OLD])
    result = price(lookup_key='tts-small-monthly', state='absent')
    assert result['changed'] and result['price']['active'] is False
    assert result['diff'] == {'before': {'active': True}, 'after': {'active': False}}
    again = price(lookup_key='tts-small-monthly', state='absent')
    assert not again['changed'] and len(stripe.writes) == 1
    assert price(lookup_key='nothing', state='absent') == {'changed': False, 'price': {}, 'steps': []}


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
    (dict(metadata={f'k{i}': 'v'
                    for i in range(48)}, tenant_limits={'users': 1, 'gateways': 1, 'clients': 1
                                                        }), r'^metadata and tenant_limits: at most 50 keys are allowed, got 51'),
    (dict(metadata={f'k{i}': 'v'
                    for i in range(48)}, tenant_limits={'users': 1, 'gateways': 1},
          tbs_plan='recurring'), r'^metadata and tenant_limits: at most 50 keys are allowed, got 51'),
    (dict(metadata={'tts-tbs-plan': 'recurring'}), r"^metadata: key 'tts-tbs-plan' is managed by tbs_plan"),
])
def test_bad_input_names_the_option_and_the_rule(price, stripe, args, message, failed):
    result = failed(price(**dict({'lookup_key': 'tts-small-monthly'}, **args)), message)
    assert result['msg'].startswith(result['option'] + ': ') and stripe.calls == []  # an InvalidOption, before any request


def test_amount_and_decimal_amount_are_mutually_exclusive(price, stripe):
    with pytest.raises(AnsibleActionFail, match=re.escape('parameters are mutually exclusive: unit_amount|unit_amount_decimal')):
        price(lookup_key='k', unit_amount=1, unit_amount_decimal='1')
    assert stripe.calls == []


def test_a_price_is_identified_by_lookup_key_or_id(price, stripe):
    with pytest.raises(AnsibleActionFail, match='one of the following is required: lookup_key, id'):
        price(currency='eur')
    assert stripe.calls == []


@pytest.mark.parametrize('active', [True, False])
def test_a_new_price_with_active_given_is_predicted_in_check_mode_and_created(price, stripe, active):
    predicted = price(check_mode=True, **small(active=active))
    assert predicted['changed'] and predicted['price']['active'] is active and predicted['price']['id'] is None
    assert stripe.writes == []
    created = price(**small(active=active))
    assert created['changed'] and stripe.writes[0].params['active'] is active


TIERS = [{'up_to': 100, 'unit_amount': 500, 'unit_amount_decimal': '500', 'flat_amount': 1000, 'flat_amount_decimal': '1000'},
         {'up_to': None, 'unit_amount': None, 'unit_amount_decimal': '250.5', 'flat_amount': None, 'flat_amount_decimal': None}]
TIERED = dict(OLD, billing_scheme='tiered', tiers_mode='graduated', tiers=TIERS, unit_amount=None, unit_amount_decimal=None,
              tax_behavior='exclusive', recurring=dict(OLD['recurring'], usage_type='metered', meter='mtr_devices'))


def test_replacing_a_tiered_metered_price_keeps_what_the_customer_pays_and_how(price, stripe):
    stripe.load(prices=[TIERED])
    price(lookup_key='tts-small-monthly', recurring={'interval': 'month', 'interval_count': 3})
    assert ('prices.retrieve', ('price_old', ), {'expand': ['tiers']}) == stripe.calls[1][:3]  # a list never carries the tiers
    create = stripe.writes[0]
    assert create.method == 'prices.create'
    assert create.params['billing_scheme'] == 'tiered' and create.params['tiers_mode'] == 'graduated'
    assert create.params['tiers'] == [{'up_to': 100, 'unit_amount': 500, 'flat_amount': 1000},
                                      {'up_to': 'inf', 'unit_amount_decimal': '250.5'}]
    assert create.params['recurring'] == {'interval': 'month', 'interval_count': 3, 'usage_type': 'metered', 'meter': 'mtr_devices'}
    assert create.params['tax_behavior'] == 'exclusive'
    assert 'unit_amount' not in create.params and 'unit_amount_decimal' not in create.params


def test_replacing_a_price_keeps_its_transform_quantity(price, stripe):
    stripe.load(prices=[dict(OLD, billing_scheme='per_unit', transform_quantity={'divide_by': 100, 'round': 'up'})])
    price(**small(unit_amount=10900))
    create = stripe.writes[0].params
    assert create['transform_quantity'] == {'divide_by': 100, 'round': 'up'} and create['unit_amount'] == 10900
    assert create['recurring'] == {'interval': 'month', 'interval_count': 1}  # licensed is Stripe's default
    assert [call.method for call in stripe.reads] == ['prices.list']  # a per-unit price needs no second read


def test_an_amount_for_a_tiered_price_fails_before_writing(price, stripe, failed):
    stripe.load(prices=[TIERED])
    failed(
        price(lookup_key='tts-small-monthly', unit_amount=100),
        r"^unit_amount: price price_old is tiered \(billing_scheme tiered\), so it has no amount of its own; declare "
        r"billing_scheme=per_unit")
    assert not stripe.writes


def test_tbs_plan_is_a_metadata_mark_that_purging_spares(price, stripe):
    result = price(**small(tbs_plan='recurring'))
    assert stripe.writes[0].params['metadata'] == {'max-gateways': '10', 'max-users': '5', 'tts-tbs-plan': 'recurring'}
    assert not price(**small(tbs_plan='recurring'))['changed']
    purged = price(lookup_key='tts-small-monthly', metadata={'tier': 's'}, purge_metadata=True)
    assert purged['price']['metadata'] == {'max-gateways': '10', 'max-users': '5', 'tts-tbs-plan': 'recurring', 'tier': 's'}
    unmarked = price(lookup_key='tts-small-monthly', tbs_plan='none')
    assert stripe.writes[-1].params == {'metadata': {'tts-tbs-plan': ''}} and 'tts-tbs-plan' not in unmarked['price']['metadata']
    assert result['price']['id'] == unmarked['price']['id']


def test_replacing_a_tbs_plan_warns_with_both_ids_and_returns_them(price, stripe):
    stripe.load(prices=[dict(OLD, metadata=dict(OLD['metadata'], **{'tts-tbs-plan': 'metered'}))])
    result = price(**small(unit_amount=10900))
    assert result['tbs_plan_change'] == {
        'tbs_plan': 'metered', 'config_key': 'tbs.stripe.metered-plan-ids', 'new_price': 'price_new1', 'old_price': 'price_old'
    }
    warning, = result['warnings']
    assert "TBS metered plan and was replaced: new price price_new1, old price price_old" in warning
    assert 'add price_new1 to tbs.stripe.metered-plan-ids before any new subscription uses it' in warning
    assert 'keep price_old in tbs.stripe.metered-plan-ids while subscriptions remain on it' in warning


def test_a_replacement_in_check_mode_warns_without_a_new_id_and_an_unmarked_one_not_at_all(price, stripe):
    stripe.load(prices=[OLD])
    assert 'warnings' not in price(check_mode=True, **small(unit_amount=10900))
    predicted = price(check_mode=True, **small(unit_amount=10900, tbs_plan='recurring'))
    assert predicted['tbs_plan_change']['new_price'] is None and predicted['tbs_plan_change']['old_price'] == 'price_old'
    assert 'would be replaced: new price a new price' in predicted['warnings'][0] and not stripe.writes


def test_a_tbs_plan_must_be_recurring(price, stripe, failed):
    failed(price(**small(recurring=None, tbs_plan='recurring')), r'^tbs_plan: a TBS plan needs recurring')
    stripe.load(prices=[dict(OLD, id='price_once', lookup_key='once', recurring=None, type='one_time')])
    failed(price(lookup_key='once', tbs_plan='metered'), r'^tbs_plan: price price_once is a one-time price')
    assert not stripe.writes


def test_tbs_plan_has_three_values(price, stripe):
    with pytest.raises(AnsibleActionFail, match='value of tbs_plan must be one of: recurring, metered, none'):
        price(lookup_key='k', tbs_plan='yes')
    assert stripe.calls == []


METER = {'id': 'mtr_devices', 'object': 'billing.meter', 'event_name': 'tts_devices', 'status': 'active'}
METERED = dict(recurring={'interval': 'month', 'usage_type': 'metered', 'meter': 'tts_devices'}, unit_amount=50)


def test_a_metered_price_names_its_meter_by_event_name_resolved_with_one_read(price, stripe):
    stripe.load(meters=[METER])
    result = price(**small(**METERED, tbs_plan='recurring', tax_behavior='exclusive'))
    assert [call.method for call in stripe.reads] == ['meters.list', 'prices.list', 'products.retrieve']
    create, = stripe.writes
    assert create.params['recurring'] == {'interval': 'month', 'interval_count': 1, 'usage_type': 'metered', 'meter': 'mtr_devices'}
    assert create.params['tax_behavior'] == 'exclusive' and create.params['metadata']['tts-tbs-plan'] == 'recurring'
    stripe.calls.clear()
    again = price(**small(**METERED, tbs_plan='recurring', tax_behavior='exclusive'))
    assert not again['changed'] and stripe.writes == [] and result['price']['id'] == again['price']['id']


def test_a_meter_that_is_missing_or_inactive_fails_before_any_write(price, stripe, failed):
    failed(price(**small(**METERED)), r"^recurring.meter: no billing meter has the event name 'tts_devices'; create it first")
    stripe.load(meters=[dict(METER, status='inactive')])
    failed(price(**small(recurring=dict(METERED['recurring'], meter='mtr_devices'), unit_amount=50)),
           r'^recurring.meter: billing meter mtr_devices \(tts_devices\) is inactive')
    assert stripe.writes == []


def test_another_meter_replaces_the_price(price, stripe):
    stripe.load(meters=[METER, dict(METER, id='mtr_other', event_name='other')],
                prices=[dict(OLD, unit_amount=50, recurring=dict(OLD['recurring'], usage_type='metered', meter='mtr_devices'))])
    result = price(**small(recurring=dict(METERED['recurring'], meter='other'), unit_amount=50))
    assert result['steps'][0]['reason'].startswith('recurring 1/month metered by mtr_devices -> 1/month metered by mtr_other')
    assert stripe.writes[0].params['recurring']['meter'] == 'mtr_other'


def test_a_tiered_price_is_created_and_compared_on_its_expanded_tiers(price, stripe):
    tiers = [{'up_to': 100, 'unit_amount': 500, 'flat_amount': 1000}, {'up_to': 'inf', 'unit_amount_decimal': '250.5'}]
    declared = small(unit_amount=None, billing_scheme='tiered', tiers_mode='graduated', tiers=tiers)
    price(**declared)
    create = stripe.writes[0].params
    assert create['billing_scheme'] == 'tiered' and create['tiers'] == tiers and 'unit_amount' not in create
    stripe.load(prices=[dict(stripe.objects['prices']['price_new1'], tiers=TIERS[:1] + [dict(TIERS[1])])])
    stripe.calls.clear()
    assert not price(**declared)['changed']
    assert [call.method for call in stripe.reads] == ['prices.list', 'prices.retrieve']
    changed = price(**dict(declared, tiers=[tiers[0], {'up_to': 'inf', 'unit_amount': 200}]))
    assert changed['changed'] and changed['steps'][0]['reason'].startswith('tiers 2 tiers -> 2 tiers')


def test_tax_behavior_is_set_once_in_place_then_replaces(price, stripe):
    stripe.load(prices=[OLD])
    result = price(**small(tax_behavior='inclusive'))
    assert [call.method for call in stripe.writes] == ['prices.update']
    assert stripe.writes[0].params == {'tax_behavior': 'inclusive'} and result['price']['tax_behavior'] == 'inclusive'
    replaced = price(**small(tax_behavior='exclusive'))
    assert [step['action'] for step in replaced['steps']] == ['create', 'transfer_lookup_key', 'archive']
    assert stripe.writes[1].params['tax_behavior'] == 'exclusive'


def test_a_meter_backed_price_cannot_become_a_tbs_metered_plan(price, stripe, failed):
    stripe.load(meters=[METER], prices=[dict(OLD, recurring=dict(OLD['recurring'], usage_type='metered', meter='mtr_devices'))])
    failed(price(lookup_key='tts-small-monthly', tbs_plan='metered'),
           r"^tbs_plan: price price_old is meter-backed; .*usage records.*refuses on meter-backed items; mark it tbs_plan=recurring")
    assert stripe.writes == []


@pytest.mark.parametrize('args, pattern', [
    (dict(recurring={'interval': 'month', 'usage_type': 'metered'}),
     r'^recurring.meter: required with recurring.usage_type=metered at Stripe API version 2026-10-28.endive: API '
     r'2025-03-31.basil removed legacy metered prices .*thingsstack.tenancy.stripe_meter'),
    (dict(recurring={'interval': 'month', 'meter': 'mtr_devices'}), r'^recurring.meter: is only for recurring.usage_type=metered'),
    (dict(recurring={'interval': 'month', 'usage_type': 'licensed', 'meter': 'mtr_devices'}), r'^recurring.meter: is only for'),
    (dict(recurring={'interval': 'month', 'usage_type': 'metered', 'meter': 'mtr_'}),
     r"^recurring.meter: 'mtr_' is not a billing meter ID"),
    (dict(tiers=[{'up_to': 'inf', 'unit_amount': 1}]), r'^tiers: is only for billing_scheme=tiered'),
    (dict(tiers_mode='volume'), r'^tiers_mode: is only for billing_scheme=tiered'),
    (dict(billing_scheme='tiered', tiers_mode='volume',
          tiers=[{'up_to': 'inf', 'unit_amount': 1}]), r'^unit_amount: a price with billing_scheme=tiered has no amount of its own'),
    (dict(unit_amount=None, billing_scheme='tiered', tiers=[{'up_to': 'inf', 'unit_amount': 1}
                                                            ]), r'^tiers_mode: required with billing_scheme=tiered'),
    (dict(unit_amount=None, billing_scheme='tiered', tiers_mode='volume', tiers=[{'up_to': 10, 'unit_amount': 1}, {
        'up_to': 5, 'unit_amount': 1
    }]), r"^tiers\[1\].up_to: must be a whole number above the previous tier's \(10\), got 5; tiers go in increasing order"),
    (dict(unit_amount=None, billing_scheme='tiered', tiers_mode='volume',
          tiers=[{'up_to': 10, 'unit_amount': 1}]), r"^tiers\[0\].up_to: the last tier must have up_to 'inf'"),
    (dict(unit_amount=None, billing_scheme='tiered', tiers_mode='volume', tiers=[{'up_to': 'inf', 'unit_amount': 1}, {'up_to': 'inf'}
                                                                                 ]), r"^tiers\[0\].up_to: 'inf' is only for the last tier"),
    (dict(unit_amount=None, billing_scheme='tiered', tiers_mode='volume', tiers=[{'up_to': 'many', 'unit_amount': 1}, {'up_to': 'inf'}
                                                                                 ]), r"^tiers\[0\].up_to: must be a whole number"),
    (dict(unit_amount=None, billing_scheme='tiered', tiers_mode='volume', tiers=[]), r'^tiers: required with billing_scheme=tiered'),
    (dict(unit_amount=None, billing_scheme='tiered', tiers_mode='volume', transform_quantity={'divide_by': 10, 'round': 'up'},
          tiers=[{'up_to': 'inf', 'unit_amount': 1}]), r'^transform_quantity: cannot be combined with billing_scheme=tiered'),
    (dict(transform_quantity={'divide_by': 0, 'round': 'up'}), r'^transform_quantity.divide_by: must be at least 1, got 0'),
    (dict(recurring={'interval': 'month', 'usage_type': 'metered', 'meter': 'tts_devices'}, tbs_plan='metered'),
     r'^tbs_plan: a meter-backed price cannot be a TBS metered plan: .* mark it tbs_plan=recurring .* usage reporter'),
])
def test_bad_metered_and_tiered_input_fails_before_any_request(price, stripe, failed, args, pattern):
    failed(price(**small(**args)), pattern)
    assert stripe.calls == []


def test_legacy_metered_is_allowed_only_at_an_api_version_before_basil(price, stripe):
    result = price(**small(recurring={'interval': 'month', 'usage_type': 'metered'}, api_version='2024-06-20'))
    assert not result.get('failed'), result
    assert stripe.writes[0].params['recurring']['usage_type'] == 'metered'


def test_replacing_a_meter_backed_price_keeps_refusing_the_tbs_metered_mark(price, stripe, failed):
    stripe.load(meters=[METER], prices=[dict(OLD, recurring=dict(OLD['recurring'], usage_type='metered', meter='mtr_devices'))])
    failed(price(lookup_key='tts-small-monthly', unit_amount=100, tbs_plan='metered'), r"^tbs_plan: a meter-backed price cannot be")
    assert stripe.writes == []
