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
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_meters import check_meter_reference
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import LIMIT_KEYS

CURRENCY_RE = re.compile(r'^[a-z]{3}$')
AMOUNT_DECIMAL_RE = re.compile(r'^\d+(\.\d{1,12})?$')
LOOKUP_KEY_MAX = 200
LOOKUP_KEYS_PER_LIST = 10  # Stripe's limit for lookup_keys[] on one list request
TBS_PLAN_KEY = 'tts-tbs-plan'
TBS_PLAN_KINDS = ('recurring', 'metered')
TBS_CONFIG_KEYS = {kind: f'tbs.stripe.{kind}-plan-ids' for kind in TBS_PLAN_KINDS}
PRICE_ID_RE = re.compile(r'^(price|plan)_[A-Za-z0-9]{1,250}$')
# Stripe API 2025-03-31.basil removed legacy metered prices: since then a metered price names a Billing Meter.
METER_REQUIRED_SINCE = '2025-03-31'
TBS_METERED_REFUSAL = (
    "a meter-backed price cannot be a TBS metered plan: the Tenant Billing Server reports usage as legacy usage records on "
    "the subscription item, which Stripe refuses on meter-backed items; mark it tbs_plan=recurring (TBS then provisions "
    "the tenant and sets its limits) and report usage to the meter with the collection's usage reporter")

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


def check_tier_list(option, tiers):
    """Tiers in increasing ``up_to`` order, each with one unit and at most one flat amount, the last one ``inf``."""
    if not tiers:
        raise InvalidOption(option, "required with billing_scheme=tiered: a list of tiers whose last up_to is 'inf'")
    last = 0
    for index, tier in enumerate(tiers):
        name = f"{option}[{index}]"
        up_to = tier_bound(tier['up_to'])
        final = index == len(tiers) - 1
        if up_to == 'inf' and not final:
            raise InvalidOption(f"{name}.up_to", "'inf' is only for the last tier")
        if up_to != 'inf':
            if not isinstance(up_to, int) or up_to <= last:
                raise InvalidOption(
                    f"{name}.up_to", f"must be a whole number above the previous tier's ({last}), got {tier['up_to']!r}; "
                    "tiers go in increasing order")
            if final:
                raise InvalidOption(f"{name}.up_to",
                                    f"the last tier must have up_to 'inf' (got {up_to}), so that every quantity has a tier")
            last = up_to
        for amount in ('unit_amount', 'flat_amount'):
            if tier.get(amount) is not None and tier.get(f'{amount}_decimal') is not None:
                raise InvalidOption(f"{name}.{amount}", f"give {amount} or {amount}_decimal, not both")
            check_unit_amount(f"{name}.{amount}", tier.get(amount))
            check_unit_amount_decimal(f"{name}.{amount}_decimal", tier.get(f'{amount}_decimal'))


def tier_bound(value):
    """A tier's ``up_to`` as declared: ``'inf'`` or a whole number (YAML may give one as a string)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def meters_from_basil(api_version):
    return str(api_version or '9999')[:10] >= METER_REQUIRED_SINCE


def is_metered(price):
    """A metered price: Stripe bills the usage its meter measured, and its subscription item takes no quantity."""
    return ((price or {}).get('recurring') or {}).get('usage_type') == 'metered'


def is_meter_backed(recurring):
    return bool(recurring) and recurring.get('usage_type') == 'metered' and bool(recurring.get('meter'))


def check_price_shape(params):
    """The usage type, meter, billing scheme, tiers and quantity transform a task declares, before the first request."""
    recurring = params.get('recurring') or {}
    usage_type, meter = recurring.get('usage_type'), recurring.get('meter')
    if meter is not None:
        check_meter_reference('recurring.meter', meter)
        if usage_type != 'metered':
            raise InvalidOption('recurring.meter', 'is only for recurring.usage_type=metered: a licensed price bills its '
                                'quantity, not a meter')
    elif usage_type == 'metered' and meters_from_basil(params.get('api_version')):
        raise InvalidOption(
            'recurring.meter', f"required with recurring.usage_type=metered at Stripe API version "
            f"{params.get('api_version')}: API 2025-03-31.basil removed legacy metered "
            "prices (without a Billing Meter); create a meter with "
            "thingsstack.tenancy.stripe_meter and give its ID (mtr_...) or event name")
    tiered = params.get('billing_scheme') == 'tiered'
    for option in ('tiers', 'tiers_mode'):
        if params.get(option) is not None and not tiered:
            raise InvalidOption(option, 'is only for billing_scheme=tiered (a per-unit price has one amount)')
    if tiered:
        for option in ('unit_amount', 'unit_amount_decimal'):
            if params.get(option) is not None:
                raise InvalidOption(option, 'a price with billing_scheme=tiered has no amount of its own: give the amounts in tiers')
        if params.get('transform_quantity'):
            raise InvalidOption('transform_quantity', 'cannot be combined with billing_scheme=tiered (Stripe refuses it)')
        if not params.get('tiers_mode'):
            raise InvalidOption('tiers_mode', 'required with billing_scheme=tiered: graduated or volume')
        check_tier_list('tiers', params.get('tiers'))
    transform = params.get('transform_quantity')
    if transform and transform['divide_by'] < 1:
        raise InvalidOption('transform_quantity.divide_by', f"must be at least 1, got {transform['divide_by']}")
    if params.get('tbs_plan') == 'metered' and is_meter_backed(recurring):
        raise InvalidOption('tbs_plan', TBS_METERED_REFUSAL)


# --------------------------------------------------------------------------- declared state


def declared_tiers(tiers):
    """Declared tiers as create parameters: only the amounts given."""
    return [
        dict({'up_to': tier_bound(tier['up_to'])}, **{
            key: tier[key]
            for key in ('unit_amount', 'unit_amount_decimal', 'flat_amount', 'flat_amount_decimal') if tier.get(key) is not None
        }) for tier in tiers
    ]


def comparable_tiers(tiers):
    """Tiers (Stripe's, or create parameters) as ``(up_to, unit, flat)`` with decimal amounts, for comparing."""

    def amount(tier, name):
        value = tier.get(f'{name}_decimal') if tier.get(f'{name}_decimal') is not None else tier.get(name)
        return None if value is None else Decimal(str(value)).normalize()

    return [(None if tier_bound(tier.get('up_to')) in (None, 'inf') else tier_bound(tier['up_to']), amount(tier, 'unit_amount')
             or Decimal(0), amount(tier, 'flat_amount') or Decimal(0)) for tier in tiers or []]


def declared_recurring(recurring):
    """``recurring`` as create parameters: the interval, and the usage type and meter when declared."""
    if not recurring:
        return None
    fields = brief_recurring(recurring)
    fields.update({key: recurring[key] for key in ('usage_type', 'meter') if recurring.get(key) is not None})
    return fields


def shape_fields(params):
    """The declared billing scheme, tiers, quantity transform and tax behaviour, as create parameters."""
    fields = {key: params[key] for key in ('billing_scheme', 'tiers_mode', 'tax_behavior') if params.get(key) is not None}
    if params.get('tiers') is not None:
        fields['tiers'] = declared_tiers(params['tiers'])
    if params.get('transform_quantity'):
        fields['transform_quantity'] = dict(params['transform_quantity'])
    return fields


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
    if params.get('unit_amount_decimal') is not None and not same_decimal(current.get('unit_amount_decimal'),
                                                                          params['unit_amount_decimal']):
        changes.append('unit_amount_decimal')
    if params.get('recurring') is not None and recurring_differs(current.get('recurring'), params['recurring']):
        changes.append('recurring')
    scheme = current.get('billing_scheme') or 'per_unit'
    if params.get('billing_scheme') is not None and scheme != params['billing_scheme']:
        changes.append('billing_scheme')
    if params.get('tiers_mode') is not None and current.get('tiers_mode') != params['tiers_mode']:
        changes.append('tiers_mode')
    if params.get('tiers') is not None and comparable_tiers(current.get('tiers')) != comparable_tiers(params['tiers']):
        changes.append('tiers')
    transform = params.get('transform_quantity')
    if transform is not None and project_transform(current.get('transform_quantity')) != project_transform(transform):
        changes.append('transform_quantity')
    if params.get('tax_behavior') is not None and current.get('tax_behavior') in ('inclusive', 'exclusive') \
            and current['tax_behavior'] != params['tax_behavior']:
        changes.append('tax_behavior')
    return changes


def project_transform(transform):
    return {key: (transform or {}).get(key) for key in ('divide_by', 'round')} if transform else None


def recurring_differs(current, declared):
    """The declared interval, and usage type and meter when given, against a price's ``recurring``."""
    if brief_recurring(current) != brief_recurring(declared):
        return True
    current = current or {}
    if declared.get('usage_type') is not None and (current.get('usage_type') or 'licensed') != declared['usage_type']:
        return True
    return declared.get('meter') is not None and current.get('meter') != declared['meter']


def is_tiered(price):
    return price.get('billing_scheme') == 'tiered'


def check_replaceable(current, params):
    """A tiered price has no amount of its own: one amount needs billing_scheme per_unit to be declared."""
    for option in ('unit_amount', 'unit_amount_decimal'):
        if is_tiered(current) and params.get(option) is not None and params.get('billing_scheme') != 'per_unit':
            raise TenancyError(f"{option}: price {current['id']} is tiered (billing_scheme tiered), so it has no amount of its "
                               "own; declare billing_scheme=per_unit to replace it by a per-unit price, or declare tiers")
    if params.get('billing_scheme') == 'per_unit' and is_tiered(current) \
            and params.get('unit_amount') is None and params.get('unit_amount_decimal') is None:
        raise TenancyError(f"unit_amount: required to replace the tiered price {current['id']} by a per-unit one")
    if params.get('tiers') is None and params.get('billing_scheme') == 'tiered' and not is_tiered(current):
        raise TenancyError(f"tiers: required to replace the per-unit price {current['id']} by a tiered one")


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
    """``recurring`` of a replacement: the declared interval, usage type and meter, else those of ``current``."""
    recurring = brief_recurring(declared or current)
    if not recurring:
        return None
    current, declared = current or {}, declared or {}
    if declared.get('usage_type') is not None:
        recurring['usage_type'] = declared['usage_type']
        if declared['usage_type'] == 'metered':
            recurring['meter'] = declared.get('meter') or current.get('meter')
    elif current.get('usage_type') == 'metered':
        recurring.update(usage_type='metered', meter=declared.get('meter') or current.get('meter'))
    if current.get('trial_period_days'):
        recurring['trial_period_days'] = current['trial_period_days']
    return {key: value for key, value in recurring.items() if value is not None}


def replacement_fields(current, params):
    """The immutable fields of a price replacing ``current``: what the task declares, the rest from ``current``.

    ``current`` of a tiered price must carry its ``tiers`` (read with ``expand``).
    """
    fields = {'product': params.get('product') or product_id(current), 'currency': params.get('currency') or current.get('currency')}
    tiered = params.get('billing_scheme') == 'tiered' or (is_tiered(current) and params.get('billing_scheme') != 'per_unit')
    if tiered:
        fields.update(billing_scheme='tiered', tiers_mode=params.get('tiers_mode') or current.get('tiers_mode'),
                      tiers=declared_tiers(params['tiers']) if params.get('tiers') is not None else tier_params(current.get('tiers')))
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
    transform = params.get('transform_quantity') or current.get('transform_quantity')
    if transform and not tiered:
        fields['transform_quantity'] = project_transform(transform)
    if params.get('tax_behavior') is not None:
        fields['tax_behavior'] = params['tax_behavior']
    elif current.get('tax_behavior') in ('inclusive', 'exclusive'):
        fields['tax_behavior'] = current['tax_behavior']
    return fields
