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
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import check_length

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
# The Identity Server's default password requirements (is.user-registration.password-requirements.min-length, OSS
# cmd/internal/shared/identityserver/config.go); a tenant can lower it only in its own configuration, which does not exist yet
# when its first admin is created.
PASSWORD_MIN = 8
# TTS's rule for entity attributes (map max_pairs 10, value max_len 200: DOCS ttn.lorawan.v3 User.yml, Application.yml,
# Gateway.yml, Organization.yml); Tenant.yml lists only the key rule, the same attribute store applies the rest.
ATTRIBUTES_MAX = 10
ATTRIBUTE_VALUE_MAX = 200
# Control characters (Unicode Cc): not a PGV rule of TTS, but names are shown on one line in the Console, the CLI's
# tables and its emails, and Stripe's Dashboard; a description may hold line breaks and tabs.
CONTROL_RE = re.compile(r'[\x00-\x1f\x7f-\x9f]')
DESCRIPTION_CONTROL_RE = re.compile(r'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]')
# The seed's paths of tti.lorawan.v3.Configuration a field mask may name (DOCS Configuration.yml, Configuration.Cluster.yml;
# CLI flags of ttn-lw-cli tenants update): under default_cluster one service and any of its fields, clusters as one map.
CONFIGURATION_FIELDS = ('default_cluster', 'clusters', 'pb')
CLUSTER_SERVICES = ('ui', 'is', 'gs', 'ns', 'as', 'js', 'noc', 'ars')
CONFIGURATION_PART_RE = re.compile(r'^[A-Za-z0-9_]+$')

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
        raise InvalidOption(
            option, f"{value!r} must be lowercase letters and digits, optionally separated by single dashes, "
            "starting and ending with a letter or digit")
    if value in BLOCKED_IDS:
        raise InvalidOption(option, f"{value!r} is on The Things Stack's ID blocklist and would be refused (forbidden_id)")


def check_tenant_id(option, value):
    check_id(option, value, TENANT_ID_RE, 3)


def check_user_id(option, value):
    check_id(option, value, USER_ID_RE, 2)


def check_text(option, value, maximum, description=False):
    """A TTS name (one line) or description: its length, and no control characters."""
    check_length(option, value, maximum)
    found = (DESCRIPTION_CONTROL_RE if description else CONTROL_RE).search(value or '')
    if found:
        raise InvalidOption(option, f"must not contain control characters, got {found.group()!r} at position {found.start()}")


def check_password(option, value):
    """An initial user's password by the Identity Server's default requirements; empty lets TTS generate one."""
    if value:
        check_length(option, value, PASSWORD_MAX, PASSWORD_MIN)


def check_configuration_path(path):
    """A field mask path of the tenant configuration (``configuration.…``) that TTS knows, or InvalidOption."""
    top, *rest = path.split('.')[1:]
    if top == 'default_cluster':
        known = not rest or rest[0] in CLUSTER_SERVICES and all(CONFIGURATION_PART_RE.match(part) for part in rest)
    else:
        known = top in CONFIGURATION_FIELDS and (not rest or top == 'pb' and rest == ['listed'])
    if not known:
        raise InvalidOption(
            'configuration', f"{path} is not a field of The Things Stack's tenant configuration (known: "
            f"default_cluster.{{{','.join(CLUSTER_SERVICES)}}}.FIELD, clusters, pb.listed)")


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
    for key in ('tenant-name', ) + DEPRECATED_NAME_KEYS:
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
        'billing': {
            'stripe': {
                'customer_id': customer['id'],
                'plan_id': item['price']['id'],
                'subscription_id': subscription['id'],
                'subscription_item_id': item['id'],
            }
        },
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
    """Tenant attribute keys follow the ID rule (3 to 36 characters), without the blocklist; at most ATTRIBUTES_MAX of them."""
    if len(attributes or {}) > ATTRIBUTES_MAX:
        raise InvalidOption(
            option, f"at most {ATTRIBUTES_MAX} attributes are allowed (The Things Stack's attribute rule), "
            f"got {len(attributes)}")
    for key in attributes or {}:
        if not isinstance(key, str) or not 3 <= len(key) <= ID_MAX or not TENANT_ID_RE.match(key):
            raise InvalidOption(option, f"key {key!r} must be 3 to {ID_MAX} lowercase letters and digits, "
                                "optionally separated by single dashes")
