# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tenant in The Things Stack's tenant registry: its input rules, its desired values and TTS's JSON and equality.

- Input rules, checked before any request; the tenant role's input check (filter ``tenant_input_errors``) applies them too.
- Desired state as field mask path -> TTS JSON value; ``None`` means "not set" (the path is sent, the value is left out,
  so TTS clears it). Only the paths of the given options are read, compared and written.
- ``same_in_tts``: equal as TTS means it (a missing key is the zero value, limits compare as numbers), the one comparison
  of ``tts_tenant`` and of the role's check of a tenant the Tenant Billing Server made (filter ``tenant_mismatches``).
"""

from __future__ import annotations

import copy

from ansible_collections.thingsstack.tenancy.plugins.module_utils.tenant_limits import LIMIT_OPTIONS
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import stringify
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import (
    ATTRIBUTE_VALUE_MAX, CONTACT_VALUE_MAX, TENANT_DESCRIPTION_MAX, TENANT_NAME_MAX, TENANT_STATE_DESCRIPTION_MAX, USER_NAME_MAX,
    check_attribute_keys, check_configuration_path, check_existing_tenant_id, check_password, check_tenant_id, check_text, check_tts_email,
    check_user_id)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_json import assign, json_keys, lookup, remove
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import check_length

UINT64_MAX = 2**64 - 1
BILLING_PATH = 'billing.provider.stripe'
STATE_ZERO = 'STATE_REQUESTED'
# Fields the Tenant Billing Server rewrites on every subscription event (its update mask), as mask paths.
TBS_PATHS = ('name', 'description', 'contact_info') + LIMIT_OPTIONS + ('state', 'state_description', BILLING_PATH)
ENUM_ZEROS = frozenset({STATE_ZERO, 'CONTACT_TYPE_OTHER', 'CONTACT_METHOD_OTHER'})
MISSING = object()  # no value at a path (TTS left it out), or no earlier read that can stand in for one

# -- input rules --------------------------------------------------------------------------------


def check_tenant_options(params, null_options=()):
    """Every rule of tts_tenant's options; returns the parsed limits (see ``parse_limits``)."""
    if params['state'] == 'present' and params['create']:
        check_tenant_id('tenant_id', params['tenant_id'])
    else:
        check_existing_tenant_id('tenant_id', params['tenant_id'])
    check_text('name', params['name'], TENANT_NAME_MAX)
    check_text('description', params['description'], TENANT_DESCRIPTION_MAX, description=True)
    check_length('state_description', params['state_description'], TENANT_STATE_DESCRIPTION_MAX)
    check_attributes(params['attributes'])
    for index, contact in enumerate(params['contact_info'] or []):
        option = f'contact_info[{index}].value'
        check_length(option, contact['value'], CONTACT_VALUE_MAX)
        if contact['method'] == 'email':
            check_tts_email(option, contact['value'])
    limits = parse_limits(params, null_options)
    stripe = (params['billing'] or {}).get('stripe') or {}
    for key, value in stripe.items():
        if not value:
            raise InvalidOption(f'billing.stripe.{key}', 'must not be empty (TTS requires all four Stripe IDs)')
    if params['configuration'] is not None:
        for path in configuration_leaves(params['configuration']):
            check_configuration_path(path)
    user = params['initial_user']
    if user is not None:
        check_user_id('initial_user.user_id', user['user_id'] or params['tenant_id'])
        check_tts_email('initial_user.email', user['email'])
        check_text('initial_user.full_name', user['full_name'], USER_NAME_MAX)
        check_password('initial_user.password', user['password'])
    if params['wait_timeout'] < 0:
        raise InvalidOption('wait_timeout', f"must be 0 or more seconds, got {params['wait_timeout']}")
    return limits


def check_attributes(attributes):
    if attributes is None:
        return
    check_attribute_keys('attributes', attributes)
    for key, value in attributes.items():
        if isinstance(value, (dict, list)):
            raise InvalidOption('attributes', f"value of {key!r} must be a string or number, not a {type(value).__name__}")
        if len(stringify(value)) > ATTRIBUTE_VALUE_MAX:
            raise InvalidOption(
                'attributes', f"value of {key!r} must be at most {ATTRIBUTE_VALUE_MAX} characters long "
                f"(The Things Stack's attribute rule), got {len(stringify(value))}")


def parse_limits(params, null_options):
    """The given ``max_*`` options: an int, or None for "unlimited" (also an explicit null). Not given: left out."""
    limits = {}
    for option in LIMIT_OPTIONS:
        value = params.get(option)
        if value is None:
            if option in null_options:
                limits[option] = None
            continue
        if isinstance(value, str) and value.strip().lower() == 'unlimited':
            limits[option] = None
            continue
        number = value
        if isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= UINT64_MAX:
            raise InvalidOption(option, f"must be a whole number of 0 or more, 'unlimited' or null (no limit), "
                                f"got {value!r}")
        limits[option] = number
    return limits


def configuration_leaves(configuration, prefix='configuration'):
    """Field mask path -> value for every leaf of ``configuration``; ``configuration.clusters`` is one leaf (a map)."""
    leaves = {}
    if not configuration and prefix != 'configuration':
        return {prefix: configuration}
    for key, value in configuration.items():
        if not isinstance(key, str) or not key or '.' in key or key != key.strip():
            raise InvalidOption(prefix, f"key {key!r} must be a non-empty field name without dots")
        path = f'{prefix}.{key}'
        if isinstance(value, dict) and path != 'configuration.clusters':
            leaves.update(configuration_leaves(value, path))
        else:
            leaves[path] = value
    return leaves


# -- desired state ------------------------------------------------------------------------------


def contact_json(contact):
    return {
        'contact_type': f"CONTACT_TYPE_{contact['type'].upper()}", 'contact_method': f"CONTACT_METHOD_{contact['method'].upper()}", 'value':
        contact['value'], 'public': bool(contact['public'])
    }


def state_json(tenant_state):
    """The TTS enum of a tenant_state option: ``approved`` is ``STATE_APPROVED``."""
    return f"STATE_{tenant_state.upper()}"


def desired_values(params, limits):
    """Field mask path -> TTS JSON value of every given option except attributes (merged later with the current map)."""
    desired = {}
    for field in ('name', 'description'):
        if params[field] is not None:
            desired[field] = params[field]
    if params['contact_info'] is not None:
        desired['contact_info'] = [contact_json(contact) for contact in params['contact_info']]
    for option, value in limits.items():
        desired[option] = None if value is None else str(value)
    if params['tenant_state'] is not None:
        desired['state'] = state_json(params['tenant_state'])
    if params['state_description'] is not None:
        desired['state_description'] = params['state_description']
    if params['billing'] is not None:
        stripe = params['billing'].get('stripe')
        desired[BILLING_PATH] = dict(stripe) if stripe else None
    if params['configuration'] is not None:
        desired.update(configuration_leaves(params['configuration']))
    return desired


def with_attributes(desired, params, current):
    """``desired`` plus the attribute map to send: the merge of the current map and O(attributes) (tags/purge_tags)."""
    if params['attributes'] is None:
        return desired
    merged = {} if params['purge_attributes'] or current is None else dict(lookup(current, ['attributes']) or {})
    for key, value in params['attributes'].items():
        value = stringify(value)
        if value:
            merged[key] = value
        else:
            merged.pop(key, None)
    return dict(desired, attributes=merged)


def read_paths(params, desired):
    """The field mask of the Get: the managed paths, the billing link (to tell TBS-managed tenants) and, with a state, its description."""
    paths = list(desired)
    if params['attributes'] is not None:
        paths.append('attributes')
    if 'state' in desired and 'state_description' not in desired:
        paths.append('state_description')
    if BILLING_PATH not in paths:
        paths.append(BILLING_PATH)
    return paths


def earlier_read(params, paths):
    """The tenant from O(tenant_info) (None: it did not exist), or MISSING when that read cannot stand in for ours."""
    info = params['tenant_info']
    if not info or info.get('tenant_id') != params['tenant_id'] or not isinstance(info.get('tenants'), list):
        return MISSING
    fields = info.get('fields') or []
    if not all(any(path == field or path.startswith(field + '.') for field in fields) for path in paths):
        return MISSING
    tenants = [t for t in info['tenants'] if lookup(t, ['ids', 'tenant_id']) == params['tenant_id']]
    return copy.deepcopy(tenants[0]) if tenants else None


def check_owner(params, current, desired):
    """The Tenant Billing Server's checks before it binds an existing tenant to a subscription, unless adopt is set."""
    wanted = desired.get(BILLING_PATH)
    if params['adopt'] or not wanted:
        return
    tenant_id = params['tenant_id']
    owner = lookup(current, ['billing', 'stripe', 'customer_id'])
    if not is_tbs_managed(current):
        raise TenancyError(
            f"billing: tenant {tenant_id!r} exists without billing.stripe (it was made by hand or by another tool), so it belongs "
            f"to no Stripe customer, and the Tenant Billing Server would refuse it (tenant_not_managed). Set adopt=true to bind it "
            f"to customer {wanted['customer_id']} on purpose", owner='')
    if owner != wanted['customer_id']:
        raise TenancyError(
            f"billing.stripe.customer_id: tenant {tenant_id!r} is owned by customer {owner}, not {wanted['customer_id']}; the Tenant "
            f"Billing Server refuses to move a tenant to another customer (customer_id_mismatch). Check tenant_id, or set "
            f"adopt=true to move the tenant to customer {wanted['customer_id']} on purpose", owner=owner)


def check_supported(paths, unsupported):
    """A managed path the server does not support would never converge: fail before any write."""
    ours = [path for path in unsupported if path in paths]
    if ours:
        option = ours[0].split('.')[0]
        raise InvalidOption(
            option, f"The Things Stack does not support the field mask path(s) {', '.join(ours)}; "
            "manage a path it supports (for configuration, a parent value)")


def tenant_body(tenant_id, values):
    """The Tenant message of a create or update: the IDs, and each set value at its path (a None is cleared by the mask)."""
    tenant = {'ids': {'tenant_id': tenant_id}}
    for path, value in values.items():
        if value is not None:
            assign(tenant, json_keys(path), value)
    return tenant


def initial_user_body(params):
    user = params['initial_user']
    if user is None:
        return None
    body = {
        'ids': {'user_id': user['user_id'] or params['tenant_id']}, 'primary_email_address': user['email'], 'admin': True, 'state':
        'STATE_APPROVED'
    }
    if user['full_name']:
        body['name'] = user['full_name']
    if user['password']:
        body['password'] = user['password']
    return body


# -- comparison with TTS's zero-value semantics --------------------------------------------------


def is_zero(value):
    if value is None or value is False or value == '' or (isinstance(value, str) and value in ENUM_ZEROS):
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, (list, dict)):
        return not value or (isinstance(value, dict) and all(is_zero(v) for v in value.values()))
    return False


def same_json(current, desired):
    """Equal as TTS means it: a missing key is the zero value; numbers equal their decimal strings."""
    if is_zero(desired) and is_zero(current):
        return True
    if isinstance(desired, dict) or isinstance(current, dict):
        if not isinstance(desired, dict) or not isinstance(current, dict):
            return False
        return all(same_json(current.get(key), desired.get(key)) for key in set(current) | set(desired))
    if isinstance(desired, list) or isinstance(current, list):
        if not isinstance(desired, list) or not isinstance(current, list) or len(desired) != len(current):
            return False
        return all(same_json(cur, want) for cur, want in zip(current, desired))
    if isinstance(desired, bool) or isinstance(current, bool):
        return desired is current
    numeric = (int, float)
    if isinstance(desired, numeric) and isinstance(current, numeric):
        return float(desired) == float(current)
    if isinstance(desired, numeric) and isinstance(current, str) or isinstance(current, numeric) and isinstance(desired, str):
        try:
            return float(desired) == float(current)
        except ValueError:
            return False
    return current == desired


def contact_key(contact):
    contact = contact or {}
    return (contact.get('contact_type') or 'CONTACT_TYPE_OTHER', contact.get('contact_method')
            or 'CONTACT_METHOD_OTHER', contact.get('value') or '', bool(contact.get('public')))


def limit_number(value):
    return None if value is None or value == '' else int(value)


def same_in_tts(path, current, desired):
    if path in LIMIT_OPTIONS:
        return limit_number(current) == limit_number(desired)
    if path == 'state':
        return (current or STATE_ZERO) == (desired or STATE_ZERO)
    if path == 'contact_info':
        return sorted(contact_key(c) for c in current or []) == sorted(contact_key(c) for c in desired or [])
    if path == 'attributes':
        return (current or {}) == (desired or {})
    return same_json(current, desired)


def changed_paths(current, desired):
    return {path: value for path, value in desired.items() if not same_in_tts(path, lookup(current, json_keys(path)), value)}


def tenant_changes(current, params, desired):
    """What tts_tenant writes on ``current``: ``(desired with the attribute map, changed paths, TBS-owned paths left as
    they are)``; a tenant the Tenant Billing Server manages keeps its TBS_PATHS unless manage_billing_fields is set. Also
    the role's bulk comparison (tenant_snapshot)."""
    desired = with_attributes(desired, params, current)
    changes = changed_paths(current, desired)
    left = []
    if is_tbs_managed(current) and not params['manage_billing_fields']:
        left = [path for path in changes if path in TBS_PATHS]
        changes = {path: value for path, value in changes.items() if path not in left}
    return desired, changes, left


def is_tbs_managed(tenant):
    return bool(lookup(tenant, ['billing', 'stripe']))


def tbs_warning(tenant_id, current, desired, paths):
    differences = '; '.join(f"{path}: {lookup(current, json_keys(path))!r}, declared {desired[path]!r}" for path in paths)
    return (f"tenant {tenant_id} is managed by the Tenant Billing Server (billing.stripe is set), which owns "
            f"{', '.join(paths)}; these were left as TBS set them: {differences}. Change them through Stripe, "
            "or set manage_billing_fields=true to overwrite them (TBS rewrites them on its next subscription event)")


# -- TTS JSON ---------------------------------------------------------------------------------------


def without_zeros(value):
    """A value as TTS would answer it: zero values (empty strings, false, empty lists and maps, zero enums) left out."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = without_zeros(item)
            if item is not MISSING and item != {}:
                out[key] = item
        return out
    if isinstance(value, list):
        return [{} if item is MISSING else item for item in (without_zeros(item) for item in value)]
    if value is None or value is False or value == '' or (isinstance(value, str) and value in ENUM_ZEROS):
        return MISSING
    return value


def set_path(obj, path, value):
    keys = json_keys(path)
    if value is MISSING or value is None or value == {} or value == []:
        remove(obj, keys)
    else:
        assign(obj, keys, copy.deepcopy(value))


def values_at(obj, paths):
    """The part of a tenant a diff shows: the values at ``paths`` (None where TTS has none), nested as in the JSON."""
    out = {}
    for path in paths:
        value = lookup(obj, json_keys(path), None)
        assign(out, json_keys(path), copy.deepcopy(value))
    return out
