# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stripe Billing Meters: input rules, lookups by event name or ID, and what Stripe lets change after creation.

A meter is identified by its ``event_name`` (the name meter events carry; Stripe keeps it on one active meter).
After creation only ``display_name`` can change; ``state: absent`` deactivates (Stripe never deletes a meter).
"""

from __future__ import annotations

import re

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import check_length

METER_ID_RE = re.compile(r'^mtr_[A-Za-z0-9]{1,250}$')
EVENT_NAME_MAX = 100
PAYLOAD_KEY_MAX = 100
DISPLAY_NAME_MAX = 250
SUMMARY = ('id', 'event_name', 'display_name', 'status', 'default_aggregation', 'customer_mapping', 'value_settings', 'event_time_window')
# option -> (path in the meter object, its value when not given at creation): what Stripe cannot change.
FROZEN = {
    'default_aggregation.formula': (('default_aggregation', 'formula'), None),
    'customer_mapping.event_payload_key': (('customer_mapping', 'event_payload_key'), 'stripe_customer_id'),
    'customer_mapping.type': (('customer_mapping', 'type'), 'by_id'),
    'value_settings.event_payload_key': (('value_settings', 'event_payload_key'), 'value'),
    'event_time_window': (('event_time_window', ), None),
}


def looks_like_meter_id(reference):
    return isinstance(reference, str) and reference.startswith('mtr_')


def check_meter_id(option, value):
    if value is not None and not METER_ID_RE.match(value):
        raise InvalidOption(option, f"{value!r} is not a billing meter ID (mtr_...)")


def check_event_name(option, value):
    if value is None:
        return
    check_length(option, value, EVENT_NAME_MAX, 1)
    if value != value.strip():
        raise InvalidOption(option, f"must not start or end with blanks, got {value!r}")


def check_meter_reference(option, value):
    """A meter named by ID (``mtr_...``) or by its event name."""
    if looks_like_meter_id(value):
        check_meter_id(option, value)
    else:
        check_event_name(option, value)


def check_meter_options(params):
    """Every input rule of stripe_meter, before the first request."""
    check_event_name('event_name', params['event_name'])
    check_length('display_name', params['display_name'], DISPLAY_NAME_MAX, 1)
    for option in ('customer_mapping', 'value_settings'):
        if params[option] is not None:
            check_length(f"{option}.event_payload_key", params[option]['event_payload_key'], PAYLOAD_KEY_MAX, 1)


def declared_frozen(params):
    """``{option: value}`` of the declared settings Stripe fixes at creation."""
    declared = {}
    for option in FROZEN:
        value = params
        for part in option.split('.'):
            value = (value or {}).get(part)
        if value is not None:
            declared[option] = value
    return declared


def frozen_value(meter, option):
    path, default = FROZEN[option]
    value = meter
    for part in path:
        value = (value or {}).get(part)
    return default if value is None else value


def frozen_changes(meter, params):
    """``[(option, current, declared)]`` for the declared settings the meter has otherwise."""
    return [(option, frozen_value(meter, option), value) for option, value in declared_frozen(params).items()
            if frozen_value(meter, option) != value]


def refuse_frozen(meter, params):
    """Fail before any write when the task declares a setting Stripe cannot change on ``meter``."""
    changes = frozen_changes(meter, params)
    if changes:
        what = ', '.join(f"{option} {current} -> {value}" for option, current, value in changes)
        raise TenancyError(
            f"{', '.join(option for option, _current, _value in changes)}: Stripe cannot change this on meter {meter['id']} "
            f"({what}); only display_name can change after creation. Declare a meter with another event_name "
            "(and deactivate this one with state=absent), or keep the meter's settings (nothing was written)", meter=meter['id'])


def list_meters(api, status=None):
    """Every meter of the account (all pages), optionally only ``active`` or ``inactive`` ones."""
    return api.list_all(api.v1.billing.meters.list, params={'status': status} if status else None)


def find_meter(api, event_name):
    """The meter with this event name: the active one, else the newest inactive one, else None."""
    found = [meter for meter in list_meters(api) if meter.get('event_name') == event_name]
    active = [meter for meter in found if meter.get('status') == 'active']
    if len(active) > 1:
        ids = [meter['id'] for meter in active]
        raise TenancyError(f"event_name: {len(ids)} active meters have the event name {event_name!r}: {', '.join(ids)}", candidates=ids)
    return (active or found or [None])[0]


def retrieve_meter(api, meter_id):
    return api.retrieve(api.v1.billing.meters.retrieve, meter_id)


def resolve_meter(api, reference, option):
    """The ID of the active meter a price names (an ID, or an event name looked up with one list read)."""
    meter = retrieve_meter(api, reference) if looks_like_meter_id(reference) else find_meter(api, reference)
    if meter is None:
        raise TenancyError(f"{option}: no billing meter has the {'ID' if looks_like_meter_id(reference) else 'event name'} "
                           f"{reference!r}; create it first (thingsstack.tenancy.stripe_meter)")
    if meter.get('status') != 'active':
        raise TenancyError(f"{option}: billing meter {meter['id']} ({meter.get('event_name')}) is inactive; reactivate it "
                           "(thingsstack.tenancy.stripe_meter with state=present) before a price uses it")
    if not METER_ID_RE.match(str(meter.get('id') or '')):
        raise TenancyError(f"{option}: Stripe returned a meter without a valid ID for {reference!r}")
    return meter['id']


def summary(meter):
    return {key: (meter or {}).get(key) for key in SUMMARY}


IDENTIFIER_MAX = 100


def check_meter_event_options(params):
    """Every input rule of stripe_meter_event, before the request."""
    check_event_name('event_name', params['event_name'])
    if not re.match(r'^cus_[A-Za-z0-9]{1,250}$', params['customer']):
        raise InvalidOption('customer', f"must be a customer ID (cus_...), got {params['customer']!r}")
    if params['value'] < 0:
        raise InvalidOption('value', f"must be 0 or more, got {params['value']}")
    check_length('identifier', params['identifier'], IDENTIFIER_MAX, 1)
    if params['timestamp'] is not None and params['timestamp'] <= 0:
        raise InvalidOption('timestamp', f"must be seconds since the Unix epoch, got {params['timestamp']}")
    for option in ('customer_payload_key', 'value_payload_key'):
        check_length(option, params[option], PAYLOAD_KEY_MAX, 1)
    if params['customer_payload_key'] == params['value_payload_key']:
        raise InvalidOption('value_payload_key', f"must differ from customer_payload_key ({params['customer_payload_key']!r})")


def is_duplicate_event(exc):
    """The ApiError of a meter event whose identifier Stripe already received: counted once already."""
    error = exc.details.get('stripe_error') or {}
    return exc.details.get('status') == 400 and error.get('param') == 'identifier'
