# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_prices import (LIMIT_METADATA_KEYS, check_currency,
                                                                                        check_limit_metadata, check_tenant_limits,
                                                                                        check_unit_amount, check_unit_amount_decimal,
                                                                                        immutable_changes, limits_metadata,
                                                                                        price_metadata_changes, replacement_fields)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import LIMIT_KEYS, tenant_limits

PRICE = {
    'id': 'price_old',
    'object': 'price',
    'active': True,
    'currency': 'eur',
    'product': 'tts-enterprise',
    'unit_amount': 9900,
    'unit_amount_decimal': '9900',
    'lookup_key': 'tts-small-monthly',
    'nickname': 'Small',
    'recurring': {'interval': 'month', 'interval_count': 1, 'meter': None, 'usage_type': 'licensed', 'trial_period_days': None},
    'tax_behavior': 'unspecified',
    'metadata': {'max-gateways': '10', 'max-users': '5', 'tier': 'small'},
}
NO_LIMITS = dict.fromkeys(LIMIT_METADATA_KEYS)


def limits(**given):
    return dict(NO_LIMITS, **given)


def declared(**params):
    return dict({'product': None, 'currency': None, 'unit_amount': None, 'unit_amount_decimal': None, 'recurring': None}, **params)


def test_limit_options_cover_every_key_the_tenant_billing_server_reads():
    assert sorted(LIMIT_METADATA_KEYS.values()) == sorted(LIMIT_KEYS.values())
    assert LIMIT_METADATA_KEYS['end_devices'] == 'max-end-devices'


def test_tenant_limits_become_max_metadata_and_an_omitted_limit_no_key():
    assert limits_metadata(None) == {}
    metadata = limits_metadata(limits(gateways=10, users=0))
    assert metadata['max-gateways'] == '10' and metadata['max-users'] == '0'
    assert metadata['max-applications'] == ''
    assert len(metadata) == 6


def test_limits_written_are_the_limits_the_tenant_billing_server_reads():
    written = {k: v for k, v in limits_metadata(limits(end_devices=1000, gateways=0)).items() if v}
    assert tenant_limits(written) == dict(dict.fromkeys(LIMIT_KEYS), max_end_devices=1000, max_gateways=0)


def test_declared_limits_are_set_and_undeclared_limit_keys_removed():
    changes = price_metadata_changes(PRICE['metadata'], None, limits(gateways=20, end_devices=500), purge=False)
    assert changes == {'max-gateways': '20', 'max-end-devices': '500', 'max-users': ''}


def test_converged_limits_change_nothing():
    assert price_metadata_changes(PRICE['metadata'], {'tier': 'small'}, limits(gateways=10, users=5), purge=True) == {}


def test_nothing_declared_changes_nothing_even_with_purge():
    assert price_metadata_changes(PRICE['metadata'], None, None, purge=True) == {}


def test_purge_without_tenant_limits_keeps_the_limit_keys():
    assert price_metadata_changes(PRICE['metadata'], {'plan': 'small'}, None, purge=True) == {'plan': 'small', 'tier': ''}


def test_purge_with_tenant_limits_keeps_only_declared_keys():
    changes = price_metadata_changes(PRICE['metadata'], {}, limits(gateways=10), purge=True)
    assert changes == {'max-users': '', 'tier': ''}


def test_limit_keys_can_still_be_removed_explicitly_as_plain_metadata():
    assert price_metadata_changes(PRICE['metadata'], {'max-users': ''}, None, purge=False) == {'max-users': ''}


def test_tenant_limits_only_never_purges_other_metadata():
    assert price_metadata_changes(PRICE['metadata'], None, limits(gateways=10, users=5), purge=True) == {}


@pytest.mark.parametrize('params, changed', [
    (declared(), []),
    (declared(currency='eur', unit_amount=9900, product='tts-enterprise', recurring={'interval': 'month', 'interval_count': 1}), []),
    (declared(unit_amount=10900), ['unit_amount']),
    (declared(currency='usd'), ['currency']),
    (declared(product='tts-other'), ['product']),
    (declared(recurring={'interval': 'month', 'interval_count': 3}), ['recurring']),
    (declared(recurring={'interval': 'year', 'interval_count': 1}), ['recurring']),
    (declared(unit_amount_decimal='9900.000'), []),
    (declared(unit_amount_decimal='9900.5'), ['unit_amount_decimal']),
    (declared(currency='usd', unit_amount=0), ['currency', 'unit_amount']),
])
def test_immutable_changes_compare_only_declared_fields(params, changed):
    assert immutable_changes(PRICE, params) == changed


def test_declaring_recurring_on_a_one_time_price_is_an_immutable_change():
    one_time = dict(PRICE, recurring=None, type='one_time')
    assert immutable_changes(one_time, declared(recurring={'interval': 'month', 'interval_count': 1})) == ['recurring']


def test_an_expanded_product_compares_by_id():
    assert immutable_changes(dict(PRICE, product={'id': 'tts-enterprise'}), declared(product='tts-enterprise')) == []


def test_a_replacement_keeps_what_the_task_does_not_declare():
    assert replacement_fields(PRICE, declared(unit_amount=10900)) == {
        'product': 'tts-enterprise', 'currency': 'eur', 'unit_amount': 10900, 'recurring': {'interval': 'month', 'interval_count': 1}
    }
    fields = replacement_fields(dict(PRICE, tax_behavior='exclusive'), declared(unit_amount_decimal='9900.5', currency='usd'))
    assert fields['unit_amount_decimal'] == '9900.5' and 'unit_amount' not in fields
    assert fields['currency'] == 'usd' and fields['tax_behavior'] == 'exclusive'


def test_a_replacement_of_a_decimal_price_keeps_the_decimal_amount():
    decimal_price = dict(PRICE, unit_amount=None, unit_amount_decimal='12.5', recurring=None)
    assert replacement_fields(decimal_price,
                              declared(currency='usd')) == {'product': 'tts-enterprise', 'currency': 'usd', 'unit_amount_decimal': '12.5'}


@pytest.mark.parametrize('value', ['EUR', 'euro', 'eu', '€'])
def test_currency_must_be_lowercase_iso_4217(value):
    with pytest.raises(InvalidOption, match=rf"^currency: must be a three-letter ISO 4217 currency code in lower case .*{value!r}"):
        check_currency('currency', value)


def test_amounts():
    check_unit_amount('unit_amount', 0)
    with pytest.raises(InvalidOption, match='^unit_amount: must be a non-negative integer .* got -1$'):
        check_unit_amount('unit_amount', -1)
    for good in ('0', '1250', '1250.5', '0.000000000001'):
        check_unit_amount_decimal('unit_amount_decimal', good)
    for bad in ('-1', '1,5', '1.0000000000001', 'abc', '1e3', ''):
        with pytest.raises(InvalidOption, match='^unit_amount_decimal: must be a non-negative decimal'):
            check_unit_amount_decimal('unit_amount_decimal', bad)


def test_tenant_limits_are_non_negative():
    check_tenant_limits('tenant_limits', limits(users=0), None)
    with pytest.raises(InvalidOption, match=r'^tenant_limits.users: must be a non-negative integer .*got -1$'):
        check_tenant_limits('tenant_limits', limits(users=-1), None)


def test_a_limit_key_is_declared_in_one_place_only():
    check_tenant_limits('tenant_limits', None, {'max-users': '5'})
    with pytest.raises(InvalidOption, match=r"^metadata: key 'max-users' is managed by tenant_limits.users"):
        check_tenant_limits('tenant_limits', limits(gateways=1), {'max-users': '5'})


def test_limit_keys_given_as_metadata_must_be_readable_limits():
    check_limit_metadata('metadata', {'max-users': 5, 'max-gateways': '', 'other': 'x'})
    with pytest.raises(InvalidOption, match=r"^metadata: value of 'max-users' must be a non-negative integer .*'-1'"):
        check_limit_metadata('metadata', {'max-users': -1})
