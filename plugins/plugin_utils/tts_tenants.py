# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The input rules of a tenant in The Things Stack's tenant registry, checked before any request.

Used by ``tts_tenant`` and by the tenant role's input check (filter ``tenant_input_errors``), so both apply the same rules.
"""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules.tts_tenant import LIMIT_OPTIONS
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import (
    CONTACT_VALUE_MAX, PASSWORD_MAX, TENANT_DESCRIPTION_MAX, TENANT_NAME_MAX, TENANT_STATE_DESCRIPTION_MAX, USER_NAME_MAX,
    check_attribute_keys, check_existing_tenant_id, check_tenant_id, check_tts_email, check_user_id)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import check_length

UINT64_MAX = 2 ** 64 - 1


def check_tenant_options(params, null_options=()):
    """Every rule of tts_tenant's options; returns the parsed limits (see ``parse_limits``)."""
    if params['state'] == 'present' and params['create']:
        check_tenant_id('tenant_id', params['tenant_id'])
    else:
        check_existing_tenant_id('tenant_id', params['tenant_id'])
    check_length('name', params['name'], TENANT_NAME_MAX)
    check_length('description', params['description'], TENANT_DESCRIPTION_MAX)
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
        configuration_leaves(params['configuration'])
    user = params['initial_user']
    if user is not None:
        check_user_id('initial_user.user_id', user['user_id'] or params['tenant_id'])
        check_tts_email('initial_user.email', user['email'])
        check_length('initial_user.full_name', user['full_name'], USER_NAME_MAX)
        check_length('initial_user.password', user['password'], PASSWORD_MAX)
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
