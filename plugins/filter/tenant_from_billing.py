# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters thingsstack.tenancy.tenant_from_billing, tenant_mismatches and tenant_drift.

Both are documented in the sidecar files plugins/filter/<name>.yml. They apply the seed's rules of
plugins/plugin_utils/tenant_rules.py (the single implementation of what the Tenant Billing Server derives
from a Stripe subscription) to the results of the collection's modules; nothing here re-implements them.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import (LIMIT_KEYS, initial_user_from_billing,
                                                                                       tenant_from_billing, tenant_limits)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_tenants import (BILLING_PATH, STATE_ZERO, limit_number, same_in_tts,
                                                                                      state_json)

UNLIMITED = 'unlimited'
BILLING_KEYS = ('customer_id', 'plan_id', 'subscription_id', 'subscription_item_id')
DEFAULT_FIELDS = ('name', 'state', 'billing')


def _mapping(value, what):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AnsibleFilterError(f"tenant_from_billing: {what} must be a dict, got {type(value).__name__}")
    return value


def _items(subscription):
    items = subscription.get('items') or {}
    data = items.get('data') if isinstance(items, dict) else items
    return [item for item in data or [] if isinstance(item, dict)]


def _plan_item(items, price):
    """The item of ``price`` (ID or lookup key); without ``price`` or a match, the first item (as TBS with one plan)."""
    if price:
        for item in items:
            item_price = item.get('price') or item.get('plan') or {}
            if price in (item_price.get('id'), item_price.get('lookup_key')):
                return item
    return items[0] if items else None


def filter_tenant_from_billing(subscription, customer, price=None, admin_password=None, tenant_state=None):
    """tts_tenant options for the tenant the Tenant Billing Server would make of ``subscription``.

    Returns ``{}`` for a subscription without items (none found, or canceled and no longer returned). Values not known
    yet (in check mode, the IDs of objects that would be created; the limits of a price not read) are left out, so the
    caller can ``default(omit)`` them.
    """
    subscription = _mapping(subscription, 'the subscription')
    customer = _mapping(customer, 'customer')
    items = _items(subscription)
    item = _plan_item(items, price)
    if item is None:
        return {}
    item_price = item.get('price') or item.get('plan') or {}
    price_metadata = item_price.get('metadata')
    known = {
        'id': subscription.get('id') or '',
        'metadata': subscription.get('metadata') or {},
    }
    try:
        fields = tenant_from_billing(known, {'id': item.get('id') or '', 'price': {'id': item_price.get('id') or ''}},
                                     dict(customer, id=customer.get('id') or ''), price_metadata or {})
        user = initial_user_from_billing(known['metadata'], customer)
    except TenancyError as exc:
        raise AnsibleFilterError(f"tenant_from_billing: {exc.msg}") from None
    if not fields.get('tenant_id'):
        raise AnsibleFilterError('tenant_from_billing: the subscription has no tenant-id metadata')
    stripe = fields['billing']['stripe']
    if not all(stripe.get(key) for key in BILLING_KEYS):
        del fields['billing']  # IDs that do not exist yet (check mode): unknown
    for option in LIMIT_KEYS:
        if price_metadata is None:
            del fields[option]  # the price was not read (a check-mode prediction): unknown
        elif fields[option] is None:
            fields[option] = UNLIMITED
    if tenant_state:
        fields['tenant_state'] = tenant_state
    # The subscription result masks admin-password; the password can only come from the caller.
    user['password'] = admin_password or ''
    user = {key: value for key, value in user.items() if value}
    if user.get('email'):
        fields['initial_user'] = user
    return fields


def filter_tenant_mismatches(tenant, expected, fields=DEFAULT_FIELDS):
    """What of ``fields`` differs, as tts_tenant compares (``same_in_tts``), between a tenant as TTS returns it and the
    expected tts_tenant options; an option not given in ``expected`` is not compared."""
    tenant = _mapping(tenant, 'the tenant')
    expected = _mapping(expected, 'expected')
    if isinstance(fields, str):
        fields = [fields]
    problems = []
    if not tenant:
        return ['the tenant does not exist']
    for field in fields:
        if field == 'state':
            if expected.get('tenant_state'):
                want = state_json(expected['tenant_state'])
                if not same_in_tts('state', tenant.get('state'), want):
                    problems.append(f"state is {tenant.get('state') or STATE_ZERO}, expected {want}")
        elif field == 'billing':
            want = (expected.get('billing') or {}).get('stripe') or {}
            have = (tenant.get('billing') or {}).get('stripe') or {}
            for key in BILLING_KEYS:
                if key in want and not same_in_tts(f'{BILLING_PATH}.{key}', have.get(key), want[key]):
                    problems.append(f"billing.stripe.{key} is {have.get(key)!r}, expected {want[key]!r}")
        elif field in LIMIT_KEYS:
            if field in expected:
                want = tenant_limits({LIMIT_KEYS[field]: None if expected[field] == UNLIMITED else expected[field]})[field]
                if not same_in_tts(field, tenant.get(field), want):
                    have = limit_number(tenant.get(field))
                    problems.append(f"{field} is {UNLIMITED if have is None else have}, expected {UNLIMITED if want is None else want}")
        elif field in ('name', 'description'):
            if field in expected and not same_in_tts(field, tenant.get(field), expected[field]):
                problems.append(f"{field} is {tenant.get(field) or ''!r}, expected {expected[field] or ''!r}")
        else:
            raise AnsibleFilterError(f"tenant_mismatches: cannot compare the field {field!r}")
    return problems


def _changed_fields(before, after, prefix=''):
    """The keys whose values differ; one level into maps (metadata, billing, configuration), as ``metadata.tenant-name``."""
    fields = []
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if not prefix and isinstance(old, dict) and isinstance(new, dict):
            fields.extend(_changed_fields(old, new, f'{key}.') or [key])
        elif not prefix and (isinstance(old, dict) or isinstance(new, dict)) and key == 'metadata':
            fields.extend(f'{key}.{name}' for name in sorted(old or new or {}, key=str))
        else:
            fields.append(f'{prefix}{key}')
    return fields


def _change(resource, result):
    diff = result.get('diff') or {}
    before, after = diff.get('before'), diff.get('after')
    if not isinstance(before, dict) or not isinstance(after, dict):
        return {'resource': resource, 'change': 'update', 'fields': []}
    if not before and after:
        return {'resource': resource, 'change': 'create', 'fields': []}
    if before and not after:
        return {'resource': resource, 'change': 'delete', 'fields': []}
    if resource == 'subscription' and after.get('status') == 'canceled' and before.get('status') != 'canceled':
        return {'resource': resource, 'change': 'cancel', 'fields': []}
    if resource == 'subscription' and after.get('cancel_at_period_end') is True and set(after) == {'cancel_at_period_end'}:
        return {'resource': resource, 'change': 'cancel at period end', 'fields': []}
    return {'resource': resource, 'change': 'update', 'fields': _changed_fields(before, after)}


def filter_tenant_drift(report):
    """The drift of one tenant from the role's ``tenant_report``: one entry per resource that differs."""
    report = _mapping(report, 'the tenant report')
    drift = []
    for resource in ('customer', 'subscription', 'tenant'):
        result = report.get(resource) or {}
        if result.get('changed'):
            drift.append(_change(resource, result))
    tenant = report.get('tenant') or {}
    if tenant.get('pending_tbs_create'):
        drift.append({'resource': 'tenant', 'change': 'create (by the Tenant Billing Server)', 'fields': []})
    if tenant.get('mismatches'):
        drift.append({'resource': 'tenant', 'change': 'differs from its subscription', 'fields': list(tenant['mismatches'])})
    return drift


class FilterModule:
    """thingsstack.tenancy tenant filters."""

    def filters(self):
        return {
            'tenant_from_billing': filter_tenant_from_billing,
            'tenant_mismatches': filter_tenant_mismatches,
            'tenant_drift': filter_tenant_drift,
        }
