# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stripe prices: finding one by ID or lookup key, and the rules of declaring one.

- A price's product, currency, amount and recurring interval are immutable; changing them means a new price
  that takes over the lookup key (``transfer_lookup_key``) while the old one is archived.
- The Things Stack's Tenant Billing Server reads tenant limits from a price's ``max-*`` metadata
  (``tenant_rules.LIMIT_KEYS``); ``tenant_limits`` declares them as integers, an omitted limit meaning unlimited.
- A price is marked as a TBS plan by the metadata key ``tts-tbs-plan`` (``recurring`` or ``metered``): the list of
  ``tbs.stripe.recurring-plan-ids`` / ``metered-plan-ids`` the Tenant Billing Server must be configured with.
- A replacement keeps what defines what the customer pays and how (billing scheme, tiers, usage type, meter,
  transform_quantity, tax behaviour); Stripe returns ``tiers`` only when asked with ``expand``.
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
TBS_PLAN_KEY = 'tts-tbs-plan'
TBS_PLAN_KINDS = ('recurring', 'metered')
TBS_CONFIG_KEYS = {kind: f'tbs.stripe.{kind}-plan-ids' for kind in TBS_PLAN_KINDS}
PRICE_ID_RE = re.compile(r'^(price|plan)_[A-Za-z0-9]{1,250}$')

# tenant_limits sub-option -> price metadata key: applications -> max-applications, ...
LIMIT_METADATA_KEYS = {option[len('max_'):]: key for option, key in LIMIT_KEYS.items()}


def looks_like_price_id(reference):
    return reference.startswith(('price_', 'plan_'))


def retrieve_price(api, price_id, expand=None):
    """The price with this ID, or None when there is none."""
    return api.retrieve(api.v1.prices.retrieve, price_id, params={'expand': expand} if expand else None)


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


def check_tbs_plan_metadata(option, metadata):
    if TBS_PLAN_KEY in (metadata or {}):
        raise InvalidOption(option, f"key {TBS_PLAN_KEY!r} is managed by tbs_plan; mark a TBS plan with tbs_plan: recurring or metered")


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


def tbs_plan_metadata(tbs_plan):
    """The ``tts-tbs-plan`` metadata ``tbs_plan`` declares (``none``: ``''``, no key); not given: nothing."""
    if tbs_plan is None:
        return {}
    return {TBS_PLAN_KEY: '' if tbs_plan == 'none' else tbs_plan}


def price_metadata_changes(current, metadata, tenant_limits, purge, tbs_plan=None):
    """Metadata update payload for ``metadata`` / ``purge_metadata`` plus ``tenant_limits`` and ``tbs_plan``.

    ``tenant_limits`` / ``tbs_plan`` not given leaves their keys alone, even when purging other metadata.
    """
    if metadata is None and tenant_limits is None and tbs_plan is None:
        return {}
    current = current or {}
    reserved = ([] if tenant_limits is None else list(LIMIT_METADATA_KEYS.values())) + ([] if tbs_plan is None else [TBS_PLAN_KEY])
    kept = [key for key in (*LIMIT_METADATA_KEYS.values(), TBS_PLAN_KEY) if key not in reserved]
    desired = {**{key: value for key, value in current.items() if key in kept}, **(metadata or {})}
    desired.update(limits_metadata(tenant_limits))
    desired.update(tbs_plan_metadata(tbs_plan))
    return metadata_changes(current, desired, purge and metadata is not None)


def price_tbs_plan(price):
    """``recurring`` / ``metered`` when the price is marked as a TBS plan with an ID fit for TBS's configuration, else None.

    The mark and the ID come from Stripe: anything else is not a plan.
    """
    kind = (price.get('metadata') or {}).get(TBS_PLAN_KEY)
    if kind in TBS_PLAN_KINDS and PRICE_ID_RE.match(str(price.get('id') or '')):
        return kind
    return None


def tbs_plans(prices):
    """The IDs of the marked prices by kind, in the given order: ``{'recurring': [...], 'metered': [...]}``."""
    plans = {kind: [] for kind in TBS_PLAN_KINDS}
    for price in prices:
        kind = price_tbs_plan(price)
        if kind and price['id'] not in plans[kind]:
            plans[kind].append(price['id'])
    return plans


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


def is_tiered(price):
    return price.get('billing_scheme') == 'tiered'


def check_replaceable(current, params):
    """A tiered price has no amount of its own, and stripe_price does not declare tiers."""
    for option in ('unit_amount', 'unit_amount_decimal'):
        if is_tiered(current) and params.get(option) is not None:
            raise TenancyError(f"{option}: price {current['id']} is tiered (billing_scheme tiered); stripe_price does not manage "
                               "tiers, so it cannot give this price one amount (change the tiers in the Stripe Dashboard)")


def tier_params(tiers):
    """A price's tiers as create parameters: ``up_to`` null is ``inf``; an amount as integer, else as decimal."""
    params = []
    for tier in tiers or []:
        param = {'up_to': 'inf' if tier.get('up_to') is None else tier['up_to']}
        for amount in ('unit_amount', 'flat_amount'):
            if tier.get(amount) is not None:
                param[amount] = tier[amount]
            elif tier.get(f'{amount}_decimal') is not None:
                param[f'{amount}_decimal'] = tier[f'{amount}_decimal']
        params.append(param)
    return params


def replacement_recurring(declared, current):
    """``recurring`` of a replacement: the declared interval, the usage type and meter of ``current``."""
    recurring = brief_recurring(declared or current)
    if not recurring:
        return None
    current = current or {}
    if current.get('usage_type') == 'metered':
        recurring.update(usage_type='metered', meter=current.get('meter'))
    if current.get('trial_period_days'):
        recurring['trial_period_days'] = current['trial_period_days']
    return {key: value for key, value in recurring.items() if value is not None}


def replacement_fields(current, params):
    """The immutable fields of a price replacing ``current``: what the task declares, the rest from ``current``.

    ``current`` of a tiered price must carry its ``tiers`` (read with ``expand``).
    """
    fields = {'product': params.get('product') or product_id(current), 'currency': params.get('currency') or current.get('currency')}
    if is_tiered(current):
        fields.update(billing_scheme='tiered', tiers_mode=current.get('tiers_mode'), tiers=tier_params(current.get('tiers')))
    elif params.get('unit_amount') is not None:
        fields['unit_amount'] = params['unit_amount']
    elif params.get('unit_amount_decimal') is not None:
        fields['unit_amount_decimal'] = params['unit_amount_decimal']
    elif current.get('unit_amount') is not None:
        fields['unit_amount'] = current['unit_amount']
    elif current.get('unit_amount_decimal') is not None:
        fields['unit_amount_decimal'] = current['unit_amount_decimal']
    recurring = replacement_recurring(params.get('recurring'), current.get('recurring'))
    if recurring:
        fields['recurring'] = recurring
    if current.get('transform_quantity'):
        fields['transform_quantity'] = {key: current['transform_quantity'].get(key) for key in ('divide_by', 'round')}
    if current.get('tax_behavior') in ('inclusive', 'exclusive'):
        fields['tax_behavior'] = current['tax_behavior']
    return fields
