# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Things Stack's tenant rules, in one place for every module and both provisioning modes.

- Identifier and field rules of the Identity Server (IDs, blocklist, email, lengths).
- The subscription metadata the Tenant Billing Server (TBS) reads, and how it derives a tenant from a
  subscription, its customer and its price (the seed page's defaults: tenant-name -> name -> company ->
  customer name; description -> customer description; admin user -> tenant-id; admin email -> customer
  email; limits from the price's ``max-*`` metadata; the ``billing.stripe`` link).

Derived values use the option names of ``thingsstack.tenancy.tts_tenant``, so direct mode can pass them on.
"""

from __future__ import annotations

import re

from ansible_collections.thingsstack.tenancy.plugins.module_utils.tenant_limits import LIMIT_KEYS
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_blocklist import BLOCKED_IDS

TENANT_ID_RE = re.compile(r'^[a-z0-9](?:[-]?[a-z0-9]){2,}$')
USER_ID_RE = re.compile(r'^[a-z0-9](?:[-]?[a-z0-9]){1,}$')
ID_MAX = 36
# pkg/validate/email.go of The Things Stack
TTS_EMAIL_RE = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
                          r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
TENANT_NAME_MAX = 50
TENANT_DESCRIPTION_MAX = 2000
USER_NAME_MAX = 50
PASSWORD_MAX = 1000

# Subscription metadata keys the TBS reads, by the option name that sets them.
SUBSCRIPTION_KEYS = {
    'tenant_id': 'tenant-id',
    'tenant_name': 'tenant-name',
    'tenant_description': 'tenant-description',
    'admin_user': 'admin-user',
    'admin_email': 'admin-email',
    'admin_full_name': 'admin-full-name',
    'admin_password': 'admin-password',
}
DEPRECATED_NAME_KEYS = ('name', 'company')  # read by the TBS after tenant-name, in this order; never written
SECRET_METADATA_KEYS = frozenset({'admin-password'})
# The TBS reads these only when it creates the tenant (its initial user); editing them later changes nothing.
CREATION_ONLY_KEYS = frozenset({'admin-user', 'admin-email', 'admin-full-name', 'admin-password'})


def check_id(option, value, pattern, minimum):
    if value is None:
        return
    if not minimum <= len(value) <= ID_MAX:
        raise InvalidOption(option, f"must be {minimum} to {ID_MAX} characters long, got {len(value)} ({value!r})")
    if not pattern.match(value):
        raise InvalidOption(option, f"{value!r} must be lowercase letters and digits, optionally separated by single dashes, "
                                    "starting and ending with a letter or digit")
    if value in BLOCKED_IDS:
        raise InvalidOption(option, f"{value!r} is on The Things Stack's ID blocklist and would be refused (forbidden_id)")


def check_tenant_id(option, value):
    check_id(option, value, TENANT_ID_RE, 3)


def check_user_id(option, value):
    check_id(option, value, USER_ID_RE, 2)


def check_tts_email(option, value):
    if value is not None and not TTS_EMAIL_RE.match(value):
        raise InvalidOption(option, f"{value!r} is not an email address The Things Stack accepts")


def tenant_limits(price_metadata):
    """``max_*`` options from a price's ``max-*`` metadata; a missing key is None, i.e. unlimited."""
    limits = {}
    for option, key in LIMIT_KEYS.items():
        value = (price_metadata or {}).get(key)
        if value in (None, ''):
            limits[option] = None
        elif not str(value).isdigit():
            raise InvalidOption(f"price metadata {key}", f"must be a non-negative integer, got {value!r}")
        else:
            limits[option] = int(value)
    return limits


def tenant_name(subscription_metadata, customer):
    for key in ('tenant-name',) + DEPRECATED_NAME_KEYS:
        if subscription_metadata.get(key):
            return subscription_metadata[key]
    return customer.get('name') or ''


def tenant_from_billing(subscription, item, customer, price_metadata):
    """The tenant fields the TBS writes for a subscription (``toTenant``): name, description, contacts, limits, state, billing."""
    metadata = subscription.get('metadata') or {}
    contacts = [{'type': 'billing', 'method': 'email', 'value': customer.get('email') or '', 'public': False}]
    if metadata.get('admin-email'):
        contacts.append({'type': 'technical', 'method': 'email', 'value': metadata['admin-email'], 'public': False})
    tenant = {
        'tenant_id': metadata.get('tenant-id'),
        'name': tenant_name(metadata, customer),
        'description': metadata.get('tenant-description') or customer.get('description') or '',
        'contact_info': contacts,
        'tenant_state': 'approved',
        'billing': {'stripe': {
            'customer_id': customer['id'],
            'plan_id': item['price']['id'],
            'subscription_id': subscription['id'],
            'subscription_item_id': item['id'],
        }},
    }
    tenant.update(tenant_limits(price_metadata))
    return tenant


def initial_user_from_billing(subscription_metadata, customer):
    """The tenant's first admin as the TBS creates it; used only when the tenant is created."""
    return {
        'user_id': subscription_metadata.get('admin-user') or subscription_metadata.get('tenant-id'),
        'email': subscription_metadata.get('admin-email') or customer.get('email'),
        'full_name': subscription_metadata.get('admin-full-name') or '',
        'password': subscription_metadata.get('admin-password') or '',
    }


# Rules for fields of an existing tenant (thingsstack.tenancy.tts_tenant / tts_tenant_info).
TENANT_STATE_DESCRIPTION_MAX = 128
CONTACT_VALUE_MAX = 256


def check_existing_tenant_id(option, value):
    """The tenant ID rule for a tenant that may already exist: as check_tenant_id, but a blocklisted ID is accepted.

    Tenants created with ``ttn-lw-stack is-db create-tenant`` (such as ``default``) skip the blocklist.
    """
    if value is not None and value in BLOCKED_IDS and len(value) <= ID_MAX and TENANT_ID_RE.match(value):
        return
    check_tenant_id(option, value)


def check_attribute_keys(option, attributes):
    """Tenant attribute keys follow the ID rule (3 to 36 characters), without the blocklist."""
    for key in attributes or {}:
        if not isinstance(key, str) or not 3 <= len(key) <= ID_MAX or not TENANT_ID_RE.match(key):
            raise InvalidOption(option, f"key {key!r} must be 3 to {ID_MAX} lowercase letters and digits, "
                                        "optionally separated by single dashes")
