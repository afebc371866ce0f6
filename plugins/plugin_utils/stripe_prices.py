# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stripe prices: finding one by ID or lookup key, and the rules of declaring one.

- A price's product, currency, amount and recurring interval are immutable; changing them means a new price
  that takes over the lookup key (``transfer_lookup_key``) while the old one is archived.
- The Things Stack's Tenant Billing Server reads tenant limits from a price's ``max-*`` metadata
  (``tenant_rules.LIMIT_KEYS``); ``tenant_limits`` declares them as integers, an omitted limit meaning unlimited.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import metadata_changes, stringify
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import LIMIT_KEYS

CURRENCY_RE = re.compile(r'^[a-z]{3}$')
AMOUNT_DECIMAL_RE = re.compile(r'^\d+(\.\d{1,12})?$')
LOOKUP_KEY_MAX = 200
LOOKUP_KEYS_PER_LIST = 10  # Stripe's limit for lookup_keys[] on one list request

# tenant_limits sub-option -> price metadata key: applications -> max-applications, ...
LIMIT_METADATA_KEYS = {option[len('max_'):]: key for option, key in LIMIT_KEYS.items()}


def looks_like_price_id(reference):
    return reference.startswith(('price_', 'plan_'))


def retrieve_price(api, price_id):
    """The price with this ID, or None when there is none."""
    return api.retrieve(api.v1.prices.retrieve, price_id)


def find_price_by_lookup_key(api, lookup_key):
    """The price carrying this lookup key (active or archived; Stripe keeps a key on one price), or None."""
    prices = api.read(api.v1.prices.list, params={'lookup_keys': [lookup_key], 'limit': 1})['data']
    return prices[0] if prices else None


def find_price(api, reference):
    """The price a reference names (``price_...`` ID, else lookup key), or None when there is none."""
    if looks_like_price_id(reference):
        return retrieve_price(api, reference)
    return find_price_by_lookup_key(api, reference)


def require_price(api, reference, option='price'):
    price = find_price(api, reference)
    if price is None:
        raise TenancyError(f"{option}: no Stripe price has the ID or lookup key {reference!r}")
    return price


def list_prices(api, lookup_keys=None, product=None, active=None):
    """Every price matching the filters (all pages; lookup keys in batches of Stripe's maximum per request)."""
    params = {}
    if product:
        params['product'] = product
    if active is not None:
        params['active'] = active
    if lookup_keys is None:
        return api.list_all(api.v1.prices.list, params=params)
    prices = []
    for start in range(0, len(lookup_keys), LOOKUP_KEYS_PER_LIST):
        batch = lookup_keys[start:start + LOOKUP_KEYS_PER_LIST]
        prices.extend(api.list_all(api.v1.prices.list, params=dict(params, lookup_keys=batch)))
    return prices


# --------------------------------------------------------------------------- validation (offline)

def check_currency(option, value):
    if value is not None and not CURRENCY_RE.match(value):
        raise InvalidOption(option, f"must be a three-letter ISO 4217 currency code in lower case such as eur or usd, got {value!r}")


def check_unit_amount(option, value):
    if value is not None and value < 0:
        raise InvalidOption(option, f"must be a non-negative integer in the currency's smallest unit (0 for a free price), got {value}")


def check_unit_amount_decimal(option, value):
    if value is not None and not AMOUNT_DECIMAL_RE.match(value):
        raise InvalidOption(option, f"must be a non-negative decimal with at most 12 decimal places such as '1250.5', got {value!r}")


def check_tenant_limits(option, tenant_limits, metadata):
    """Limits are non-negative integers, and a ``max-*`` key is declared in one place only."""
    if tenant_limits is None:
        return
    for name, value in tenant_limits.items():
        if value is not None and value < 0:
            raise InvalidOption(f"{option}.{name}", f"must be a non-negative integer (leave it out for no limit), got {value}")
    for name, key in LIMIT_METADATA_KEYS.items():
        if key in (metadata or {}):
            raise InvalidOption('metadata', f"key {key!r} is managed by {option}.{name}; set the limit in one place only")


def check_limit_metadata(option, metadata):
    """``max-*`` keys given as plain metadata must still be what the Tenant Billing Server can read."""
    for key in LIMIT_METADATA_KEYS.values():
        value = stringify((metadata or {}).get(key))
        if value and not value.isdigit():
            raise InvalidOption(option, f"value of {key!r} must be a non-negative integer (the tenant limit), got {value!r}")


# --------------------------------------------------------------------------- declared state

def limits_metadata(tenant_limits):
    """The ``max-*`` metadata ``tenant_limits`` declares; an omitted limit is ``''`` (no key: unlimited)."""
    if tenant_limits is None:
        return {}
    return {key: stringify(tenant_limits.get(name)) for name, key in LIMIT_METADATA_KEYS.items()}


def price_metadata_changes(current, metadata, tenant_limits, purge):
    """Metadata update payload for ``metadata`` / ``purge_metadata`` plus ``tenant_limits``.

    ``tenant_limits`` not given leaves the ``max-*`` keys alone, even when purging other metadata.
    """
    if metadata is None and tenant_limits is None:
        return {}
    current = current or {}
    desired = dict(metadata or {})
    if tenant_limits is None:
        desired = {**{key: value for key, value in current.items() if key in LIMIT_METADATA_KEYS.values()}, **desired}
    desired.update(limits_metadata(tenant_limits))
    return metadata_changes(current, desired, purge and metadata is not None)


def product_id(price):
    product = price.get('product')
    return product.get('id') if isinstance(product, dict) else product


def brief_recurring(recurring):
    """The declarable part of a price's ``recurring``: interval and interval_count."""
    if not recurring:
        return None
    return {'interval': recurring.get('interval'), 'interval_count': recurring.get('interval_count') or 1}


def same_decimal(current, desired):
    return current is not None and Decimal(str(current)) == Decimal(str(desired))


def immutable_changes(current, params):
    """Names of the declared immutable fields in which ``current`` differs; only given options are compared."""
    changes = []
    if params.get('product') is not None and product_id(current) != params['product']:
        changes.append('product')
    if params.get('currency') is not None and current.get('currency') != params['currency']:
        changes.append('currency')
    if params.get('unit_amount') is not None and current.get('unit_amount') != params['unit_amount']:
        changes.append('unit_amount')
    if params.get('unit_amount_decimal') is not None and not same_decimal(current.get('unit_amount_decimal'), params['unit_amount_decimal']):
        changes.append('unit_amount_decimal')
    if params.get('recurring') is not None and brief_recurring(current.get('recurring')) != brief_recurring(params['recurring']):
        changes.append('recurring')
    return changes


def replacement_fields(current, params):
    """The immutable fields of a price replacing ``current``: what the task declares, the rest from ``current``."""
    fields = {'product': params.get('product') or product_id(current), 'currency': params.get('currency') or current.get('currency')}
    if params.get('unit_amount') is not None:
        fields['unit_amount'] = params['unit_amount']
    elif params.get('unit_amount_decimal') is not None:
        fields['unit_amount_decimal'] = params['unit_amount_decimal']
    elif current.get('unit_amount') is not None:
        fields['unit_amount'] = current['unit_amount']
    elif current.get('unit_amount_decimal') is not None:
        fields['unit_amount_decimal'] = current['unit_amount_decimal']
    recurring = brief_recurring(params.get('recurring') or current.get('recurring'))
    if recurring:
        fields['recurring'] = recurring
    if current.get('tax_behavior') in ('inclusive', 'exclusive'):
        fields['tax_behavior'] = current['tax_behavior']
    return fields
