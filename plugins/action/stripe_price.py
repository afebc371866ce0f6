# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_price (documented in plugins/modules/stripe_price.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_price
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import apply_changes, apply_metadata, project
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_prices import (
    LOOKUP_KEY_MAX, TBS_CONFIG_KEYS, TBS_METERED_REFUSAL, TBS_PLAN_KEY, TBS_PLAN_KINDS, brief_recurring, check_currency,
    check_limit_metadata, check_price_shape, check_replaceable, check_tbs_plan_metadata, check_tenant_limits, check_unit_amount,
    check_unit_amount_decimal, declared_recurring, find_price_by_lookup_key, immutable_changes, is_meter_backed, is_tiered, limits_metadata,
    price_metadata_changes, product_id, replacement_fields, retrieve_price, shape_fields, tbs_plan_metadata)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_meters import resolve_meter
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_products import check_product_id, retrieve_product
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import check_length, check_metadata

MUTABLE_FIELDS = ('nickname', 'active')
SUMMARY = ('id', 'lookup_key', 'active', 'product', 'currency', 'unit_amount', 'recurring', 'nickname', 'metadata')
NEW_PRICE = '(new price)'


class ActionModule(StripeAction):
    MODULE = stripe_price
    RESULT_KEY = 'price'

    def validate(self, params):
        check_length('lookup_key', params['lookup_key'], LOOKUP_KEY_MAX, 1)
        check_product_id('product', params['product'])
        check_currency('currency', params['currency'])
        check_unit_amount('unit_amount', params['unit_amount'])
        check_unit_amount_decimal('unit_amount_decimal', params['unit_amount_decimal'])
        if params['recurring'] and params['recurring']['interval_count'] < 1:
            raise InvalidOption('recurring.interval_count', f"must be at least 1, got {params['recurring']['interval_count']}")
        check_metadata('metadata', params['metadata'])
        check_tenant_limits('tenant_limits', params['tenant_limits'], params['metadata'])
        check_limit_metadata('metadata', params['metadata'])
        check_tbs_plan_metadata('metadata', params['metadata'])
        check_price_shape(params)
        marks = {**limits_metadata(params['tenant_limits']), **tbs_plan_metadata(params['tbs_plan'])}
        declared = {**(params['metadata'] or {}), **{k: v for k, v in marks.items() if v}}
        check_metadata('metadata and tenant_limits', declared)

    def ensure(self, api, params):
        meter = (params['recurring'] or {}).get('meter')
        if meter is not None and params['state'] == 'present':
            params = dict(params, recurring=dict(params['recurring'], meter=resolve_meter(api, meter, 'recurring.meter')))
        if params['id']:
            current = retrieve_price(api, params['id'])
        else:
            current = find_price_by_lookup_key(api, params['lookup_key'])
        if params['state'] == 'absent':
            return self.archive(api, current)
        if current is None:
            if params['id']:
                raise self.unknown_id(params['id'], 'declare a new price by lookup_key')
            return self.create(api, params)
        if params['tiers'] is not None and is_tiered(current) and 'tiers' not in current:
            current = retrieve_price(api, current['id'], expand=['tiers'])  # a list never carries a price's tiers
        immutable = immutable_changes(current, params)
        if not immutable:
            return self.update(api, params, current)
        if params['id']:
            raise TenancyError(f"{', '.join(immutable)}: Stripe cannot change these on price {current['id']} "
                               f"({describe_changes(current, params, immutable)}); declare the price by lookup_key "
                               "to have it replaced by a new price that takes over the lookup key")
        return self.replace(api, params, current, immutable)

    def create(self, api, params):
        missing = [option for option in ('product', 'currency') if not params[option]]
        if params['unit_amount'] is None and params['unit_amount_decimal'] is None and params['billing_scheme'] != 'tiered':
            missing.append('unit_amount or unit_amount_decimal')
        if missing:
            raise TenancyError(f"{missing[0]}: required to create the price {params['lookup_key']!r}, which does not exist "
                               f"(missing: {', '.join(missing)})")
        check_tbs_plan_price(params['tbs_plan'], params['recurring'])
        self.check_product_exists(api, params['product'])
        payload = {
            key: params[key]
            for key in ('product', 'currency', 'unit_amount', 'unit_amount_decimal', 'active') if params[key] is not None
        }
        if params['recurring']:
            payload['recurring'] = declared_recurring(params['recurring'])
        payload.update(shape_fields(params))
        if params['nickname']:
            payload['nickname'] = params['nickname']
        payload['lookup_key'] = params['lookup_key']
        metadata = price_metadata_changes({}, params['metadata'], params['tenant_limits'], False, params['tbs_plan'])
        if metadata:
            payload['metadata'] = metadata
        price = self.create_price(api, payload, ['price', params['lookup_key']])
        return self.created_result(price, steps=[{'action': 'create', 'price': price['id']}])

    def update(self, api, params, current):
        desired = {field: params[field] for field in MUTABLE_FIELDS if params[field] is not None}
        if params['lookup_key']:
            desired['lookup_key'] = params['lookup_key']
        if params['tax_behavior'] is not None:  # Stripe sets it once, from unspecified; a set one differs only by replacement
            desired['tax_behavior'] = params['tax_behavior']
        check_tbs_plan_price(params['tbs_plan'], current.get('recurring'), current['id'])
        changes = self.changes(
            current, desired,
            price_metadata_changes(current.get('metadata'), params['metadata'], params['tenant_limits'], params['purge_metadata'],
                                   params['tbs_plan']))
        if not changes:
            return self.unchanged_result(current, steps=[])
        after = self.updated(api, api.v1.prices, current, changes,
                             sent=dict(changes, transfer_lookup_key=True) if 'lookup_key' in changes else None)
        return self.updated_result(after, summary(current), summary(after), list(changes),
                                   steps=[{'action': 'update', 'price': current['id'], 'fields': sorted(changes)}])

    def replace(self, api, params, current, immutable):
        """A new price with the declared values takes over the lookup key; the old one is archived."""
        old_id, lookup_key = current['id'], params['lookup_key']
        check_replaceable(current, params)
        if is_tiered(current) and 'tiers' not in current:
            current = retrieve_price(api, old_id, expand=['tiers'])  # a list never carries a price's tiers
        payload = replacement_fields(current, params)
        check_tbs_plan_price(params['tbs_plan'], payload.get('recurring'))
        nickname = current.get('nickname') if params['nickname'] is None else params['nickname']
        if nickname:
            payload['nickname'] = nickname
        if params['active'] is False:
            payload['active'] = False
        metadata = apply_metadata(
            current.get('metadata'),
            price_metadata_changes(current.get('metadata'), params['metadata'], params['tenant_limits'], params['purge_metadata'],
                                   params['tbs_plan']))
        if metadata:
            payload['metadata'] = metadata
        payload.update(lookup_key=lookup_key, transfer_lookup_key=True)
        price = self.create_price(api, payload, ['price', lookup_key, 'replaces', old_id])
        archived = apply_changes(current, {'active': False, 'lookup_key': ''})  # the new price took the lookup key
        if current.get('active'):
            archived = self.updated(api, api.v1.prices, archived, {'active': False})
        new_id = price['id'] or NEW_PRICE
        reason = f"{describe_changes(current, params, immutable)}; Stripe prices are immutable"
        steps = [
            {'action': 'create', 'price': price['id'], 'reason': reason},
            {'action': 'transfer_lookup_key', 'lookup_key': lookup_key, 'from_price': old_id, 'to_price': price['id']},
        ]
        lines = [
            f"create {'price ' + price['id'] if price['id'] else 'a new price'}: {reason}",
            f"move lookup key {lookup_key!r} from {old_id} to {price['id'] or 'the new price'} (transfer_lookup_key)"
        ]
        if current.get('active'):
            steps.append({'action': 'archive', 'price': old_id})
            lines.append(f"archive price {old_id} (active: false); its subscriptions stay on it")
        result = self.changed_result(price, {old_id: summary(current)}, {new_id: summary(price), old_id: summary(archived)},
                                     replaced_price=archived, steps=steps)
        result['diff']['prepared'] = ''.join(f"{number}. {line}\n" for number, line in enumerate(lines, 1))
        kind = metadata.get(TBS_PLAN_KEY)  # the old price's mark unless the task changes it
        if kind in TBS_PLAN_KINDS:
            result['tbs_plan_change'] = {
                'tbs_plan': kind, 'config_key': TBS_CONFIG_KEYS[kind], 'new_price': price['id'], 'old_price': old_id
            }
            self.warnings.append(tbs_replacement_warning(lookup_key, kind, price['id'], old_id))
        return result

    def archive(self, api, current):
        if current is None:
            return self.missing_result(steps=[])
        if not current.get('active'):
            return self.unchanged_result(current, steps=[])
        after = self.updated(api, api.v1.prices, current, {'active': False})
        return self.updated_result(after, current, after, ['active'], steps=[{'action': 'archive', 'price': current['id']}])

    def summary(self, obj):
        return summary(obj)

    def check_product_exists(self, api, product):
        """A price of a product that does not exist would only be refused by Stripe's create; say so before any write."""
        if retrieve_product(api, product) is not None:
            return
        if not self.check_mode:
            raise TenancyError(f"product: no Stripe product has the ID {product!r}; create it first (thingsstack.tenancy.stripe_product)")
        self.warnings.append(f"product {product!r} does not exist yet; check mode assumes it will")

    def create_price(self, api, payload, natural_key):
        predicted = dict({'nickname': None, 'metadata': {}, 'active': True},
                         **{key: value
                            for key, value in payload.items() if key != 'transfer_lookup_key'}, id=None, object='price',
                         type='recurring' if payload.get('recurring') else 'one_time')
        return self.created(api, api.v1.prices, params=payload, natural_key=natural_key, kind='price', predicted=predicted)


def check_tbs_plan_price(tbs_plan, recurring, price_id=None):
    """TBS handles subscriptions, and a subscription takes only recurring prices."""
    if tbs_plan in TBS_PLAN_KINDS and not recurring:
        subject = f"price {price_id} is a one-time price" if price_id else "a TBS plan needs recurring"
        raise TenancyError(f"tbs_plan: {subject}; the Tenant Billing Server only handles subscriptions, which take recurring prices")
    if tbs_plan == 'metered' and is_meter_backed(recurring):
        raise TenancyError(f"tbs_plan: {'price ' + price_id + ' is meter-backed; ' if price_id else ''}{TBS_METERED_REFUSAL}")


def tbs_replacement_warning(lookup_key, kind, new_id, old_id):
    key = TBS_CONFIG_KEYS[kind]
    new = new_id or 'a new price (its ID is known once it is created)'
    return (f"price {lookup_key!r} is a TBS {kind} plan and {'was' if new_id else 'would be'} replaced: new price {new}, old price "
            f"{old_id}. The Things Stack's Tenant Billing Server ignores subscriptions on prices it does not list: add "
            f"{new_id or 'the new ID'} to {key} before any new subscription uses it, and keep {old_id} in {key} while "
            "subscriptions remain on it (playbooks/catalog.yml writes the fragment)")


def summary(price):
    """The part of a price a diff shows: its identity, the immutable fields, the mutable ones."""
    brief = project(price, SUMMARY)
    brief['product'] = product_id(price)
    brief['recurring'] = brief_recurring(price.get('recurring'))
    if price.get('unit_amount') is None and price.get('unit_amount_decimal') is not None:
        brief['unit_amount_decimal'] = price['unit_amount_decimal']
    return brief


def describe_changes(current, params, immutable):
    """``unit_amount 9900 -> 10900, currency usd -> eur``: what the task declares against what the price has."""
    old = dict(current, **summary(current))
    old['unit_amount_decimal'] = current.get('unit_amount_decimal')
    old['recurring'] = current.get('recurring')
    new = dict(params)
    return ', '.join(f"{field} {fmt(old.get(field))} -> {fmt(new.get(field))}" for field in immutable)


def fmt(value):
    if isinstance(value, dict) and 'interval' in value:
        period = f"{value.get('interval_count') or 1}/{value.get('interval')}"
        return period + (f" metered by {value['meter']}" if value.get('usage_type') == 'metered' and value.get('meter') else '')
    if isinstance(value, dict):
        return '/'.join(f"{key}={value[key]}" for key in sorted(value) if value[key] is not None)
    if isinstance(value, list):
        return f"{len(value)} tiers"
    return 'none' if value is None else str(value)
