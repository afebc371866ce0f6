# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter thingsstack.tenancy.tenant_usage_events (documented in tenant_usage_events.yml): which meter events the
usage reporter (playbooks/report_usage.yml) sends, and which tenants it skips or refuses. Everything it reads came from
Stripe or The Things Stack and is checked here."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_meters import METER_ID_RE
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import check_existing_tenant_id
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_json import lookup

PERIOD_RE = re.compile(r'^[0-9]{10}$')
CUSTOMER_RE = re.compile(r'^cus_[A-Za-z0-9]{1,250}$')
# tts_usage.KINDS, which a filter cannot import (it would load the HTTP client).
KINDS = ('applications', 'clients', 'end_devices', 'activated_end_devices', 'gateways', 'organizations', 'users')
ENDED = ('canceled', 'incomplete_expired')
# TBS bills (and reports usage of) tenants in these states only.
BILLED_STATES = ('STATE_APPROVED', 'STATE_FLAGGED')


def _valid_tenant_id(value):
    try:
        check_existing_tenant_id('tenant_id', value)
    except InvalidOption:
        return False
    return isinstance(value, str)


def _meter_items(subscription, meters):
    """The meters (by ID) of the subscription's meter-backed metered items."""
    found = []
    for item in ((subscription.get('items') or {}).get('data') or []):
        recurring = ((item or {}).get('price') or {}).get('recurring') or {}
        if recurring.get('usage_type') == 'metered' and recurring.get('meter'):
            found.append(meters.get(recurring['meter']) or {'id': str(recurring['meter'])[:60]})
    return found


def filter_tenant_usage_events(subscriptions, tenants, usage, meters, period, kind='end_devices'):
    """``{events, skipped, refused, unmetered}``: one event per billed tenant on a meter-backed price."""
    if not isinstance(period, str) or not PERIOD_RE.match(period):
        raise AnsibleFilterError(f"tenant_usage_events: period must be the hour as YYYYMMDDHH (UTC), got {str(period)[:20]!r}")
    if kind not in KINDS:
        raise AnsibleFilterError(f"tenant_usage_events: kind must be one of {', '.join(KINDS)}, got {str(kind)[:40]!r}")
    for name, value, kinds in (('subscriptions', subscriptions, list), ('tenants', tenants, list), ('usage', usage, dict), ('meters',
                                                                                                                            meters, list)):
        if not isinstance(value, kinds):
            raise AnsibleFilterError(f"tenant_usage_events: {name} must be a {kinds.__name__}, got {type(value).__name__}")
    states = {}
    for tenant in tenants:
        tenant_id = lookup(tenant, ['ids', 'tenant_id']) if isinstance(tenant, dict) else None
        if _valid_tenant_id(tenant_id):
            states[tenant_id] = tenant.get('state') or 'STATE_REQUESTED'
    active_meters = {
        meter['id']: meter
        for meter in meters if isinstance(meter, dict) and METER_ID_RE.match(str(meter.get('id'))) and meter.get('status') == 'active'
    }
    by_tenant = {}
    for subscription in subscriptions:
        tenant_id = (subscription.get('metadata') or {}).get('tenant-id') if isinstance(subscription, dict) else None
        if tenant_id is not None and subscription.get('status') not in ENDED:
            by_tenant.setdefault(tenant_id, []).append(subscription)
    candidates, skipped, unmetered = [], [], []
    for tenant_id, subs in sorted(by_tenant.items(), key=lambda pair: str(pair[0])):
        if not _valid_tenant_id(tenant_id):
            skipped.append({'tenant_id': str(tenant_id)[:40], 'reason': 'the tenant-id of its subscription breaks the tenant ID rule'})
            continue
        metered = [(sub, meter) for sub in subs for meter in _meter_items(sub, active_meters)]
        if not metered:
            unmetered.append(tenant_id)
            continue
        reason = None
        if len(subs) > 1 or len(metered) > 1:
            reason = f"{len(subs)} live subscription(s) with {len(metered)} meter-backed item(s); one is expected"
        elif 'event_name' not in metered[0][1]:
            reason = f"its price's meter {metered[0][1]['id']} is not an active meter of the account"
        elif not CUSTOMER_RE.match(str(metered[0][0].get('customer'))):
            reason = 'its subscription has no valid customer ID'
        elif tenant_id not in states:
            reason = 'no such tenant in The Things Stack'
        elif states[tenant_id] not in BILLED_STATES:
            reason = f"state {states[tenant_id].replace('STATE_', '').lower()} (not billed)"
        elif not isinstance(usage.get(tenant_id), dict) or not isinstance(usage[tenant_id].get(kind), dict):
            reason = 'no registry totals'
        if reason:
            skipped.append({'tenant_id': tenant_id, 'reason': reason})
            continue
        subscription, meter = metered[0]
        used = usage[tenant_id][kind].get('used')
        if isinstance(used, bool) or not isinstance(used, int) or used < 0:
            skipped.append({'tenant_id': tenant_id, 'reason': f"the count of {kind} is not a whole number"})
            continue
        candidates.append({
            'tenant_id': tenant_id, 'customer': subscription['customer'], 'subscription': subscription.get('id'), 'meter': meter['id'],
            'event_name': meter['event_name'], 'value': used, 'identifier': f"{tenant_id}-{period}", 'customer_payload_key':
            (meter.get('customer_mapping') or {}).get('event_payload_key') or 'stripe_customer_id', 'value_payload_key':
            (meter.get('value_settings') or {}).get('event_payload_key') or 'value'
        })
    # A meter aggregates per customer: two tenants of one customer on one meter cannot be told apart.
    shared = {}
    for event in candidates:
        shared.setdefault((event['customer'], event['meter']), []).append(event['tenant_id'])
    refused_customers = {customer: sorted(ids) for (customer, _meter), ids in shared.items() if len(ids) > 1}
    refused = [{
        'customer': customer, 'tenants': sorted(event['tenant_id'] for event in candidates if event['customer'] == customer), 'reason':
        f"tenants {', '.join(ids)} share one meter of this customer; give each its own meter"
    } for customer, ids in sorted(refused_customers.items())]
    events = [event for event in candidates if event['customer'] not in refused_customers]
    return {'events': events, 'skipped': skipped, 'refused': refused, 'unmetered': unmetered}


class FilterModule:
    """thingsstack.tenancy usage reporting."""

    def filters(self):
        return {'tenant_usage_events': filter_tenant_usage_events}
