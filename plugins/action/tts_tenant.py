# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.tts_tenant (documented in plugins/modules/tts_tenant.py).

Desired state is kept as field mask path -> TTS JSON value; ``None`` means "not set" (the path is sent, the value is
left out, so TTS clears it). Only the paths of the given options are read, compared and written.
"""

from __future__ import annotations

import copy
import time

from ansible_collections.thingsstack.tenancy.plugins.modules import tts_tenant
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import MASK, masked, stringify
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_action import TtsAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_tenants import check_tenant_options, configuration_leaves, parse_limits
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_api import (
    ALREADY_EXISTS, assign, error_code, json_keys, lookup, remove, unsupported_paths)

LIMIT_OPTIONS = tts_tenant.LIMIT_OPTIONS
BILLING_PATH = 'billing.provider.stripe'
STATE_ZERO = 'STATE_REQUESTED'
# Fields the Tenant Billing Server rewrites on every subscription event (its update mask), as mask paths.
TBS_PATHS = ('name', 'description', 'contact_info') + LIMIT_OPTIONS + ('state', 'state_description', BILLING_PATH)
ENUM_ZEROS = frozenset({STATE_ZERO, 'CONTACT_TYPE_OTHER', 'CONTACT_METHOD_OTHER'})
POLL_FIRST_SECONDS = 1.0
POLL_CAP_SECONDS = 5.0
_MISSING = object()


class ActionModule(TtsAction):
    MODULE = tts_tenant
    clock = staticmethod(time.monotonic)

    def null_options(self):
        """Options written as an explicit null in the task (``max_users: ~``), which the validated params cannot show."""
        task = getattr(self, '_task', None)
        args = getattr(task, 'args', None) or {}
        return {key for key, value in args.items() if value is None}

    def validate(self, params):
        self.limits = check_tenant_options(params, self.null_options())

    def ensure(self, api, params):
        limits = getattr(self, 'limits', None)
        if limits is None:
            limits = parse_limits(params, self.null_options())
        desired = desired_values(params, limits)
        paths = read_paths(params, desired)
        current = earlier_read(params, paths)
        if current is _MISSING:
            current = api.get_tenant(params['tenant_id'], paths)
            check_supported(paths, unsupported_paths(api.last_headers))
        if params['state'] == 'absent':
            return self.delete(api, params, current)
        if current is None:
            if params['create']:
                return self.create(api, params, desired, paths)
            current = self.wait_for_tenant(api, params, paths)
        return self.update(api, params, current, desired)

    # -- present --------------------------------------------------------------------------------

    def create(self, api, params, desired, paths):
        tenant = create_body(params['tenant_id'], with_attributes(desired, params, None))
        user = initial_user_body(params)
        after = wire(tenant)
        if user is not None:
            after['initial_user'] = wire(user)
        diff = {'before': {}, 'after': masked(after, {'password'})}
        if self.check_mode:
            return {'changed': True, 'tenant': wire(tenant), 'diff': diff}
        try:
            created = api.create_tenant(tenant, user)
        except ApiError as exc:
            password = (user or {}).get('password')
            if password and password in exc.msg:
                exc.msg = exc.msg.replace(password, MASK)
            if error_code(exc) != ALREADY_EXISTS:
                raise
            return self.recover_taken_id(api, params, desired, paths, exc, diff)
        return {'changed': True, 'tenant': created, 'diff': diff}

    def recover_taken_id(self, api, params, desired, paths, exc, diff):
        """Create said 409 (id_taken) although Get said 404: our own retried create, a concurrent one, or a deleted tenant."""
        tenant_id = params['tenant_id']
        existing = api.get_tenant(tenant_id, paths)
        if existing is None:
            deleted = api.find_deleted_tenant(tenant_id)
            how = {True: 'a search of recently deleted tenants found it',
                   False: 'it is not among the recently deleted tenants, so it was deleted long ago or belongs to another entity',
                   None: 'the search of deleted tenants was not possible to confirm it'}[deleted]
            raise TenancyError(
                f"tenant_id: the ID {tenant_id!r} is taken, but no tenant with it exists: it belongs to a deleted tenant ({how}). "
                "The Things Stack keeps the IDs of deleted tenants and has no API to restore or purge a tenant, "
                "so choose another tenant_id.", status=exc.details.get('status'), tts_error=exc.details.get('tts_error'))
        check_owner(params, existing, desired)
        changes = changed_paths(existing, with_attributes(desired, params, existing))
        if changes:
            raise TenancyError(f"tenant_id: tenant {tenant_id!r} was created by someone else while this task ran "
                               f"(it differs in {', '.join(changes)}); run the task again to update it",
                               status=exc.details.get('status'), tts_error=exc.details.get('tts_error'))
        if exc.details.get('retried'):
            return {'changed': True, 'tenant': existing, 'diff': diff}
        self.warnings.append(f"tenant {tenant_id} was created as declared by someone else while this task ran; initial_user was not used")
        return {'changed': False, 'tenant': existing}

    def wait_for_tenant(self, api, params, paths):
        tenant_id = params['tenant_id']
        timeout = params['wait_timeout']
        if not timeout:
            raise TenancyError(f"tenant_id: tenant {tenant_id!r} does not exist and create is false "
                               "(set wait_timeout to wait for the Tenant Billing Server to create it)", missing=True)
        deadline = self.clock() + timeout
        delay = POLL_FIRST_SECONDS
        while True:
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise TenancyError(
                    f"tenant_id: tenant {tenant_id!r} did not appear within wait_timeout={timeout} s and create is false. "
                    "The Tenant Billing Server creates it when it receives an active or trialing subscription whose metadata has "
                    f"tenant-id {tenant_id} and whose price is one of its plan IDs; check the subscription, the TBS configuration "
                    "and the Stripe webhook deliveries", missing=True)
            api.sleep(min(delay, remaining))
            delay = min(delay * 2, POLL_CAP_SECONDS)
            current = api.get_tenant(tenant_id, paths)
            if current is not None:
                return current

    def update(self, api, params, current, desired):
        check_owner(params, current, desired)
        desired = with_attributes(desired, params, current)
        changes = changed_paths(current, desired)
        if is_tbs_managed(current) and not params['manage_billing_fields']:
            left = [path for path in changes if path in TBS_PATHS]
            if left:
                self.warnings.append(tbs_warning(params['tenant_id'], current, desired, left))
            changes = {path: value for path, value in changes.items() if path not in left}
        cleared = []
        if 'state' in changes and 'state_description' not in changes and lookup(current, ['state_description']):
            cleared.append('state_description')  # TTS clears it when the state changes without it
        after = copy.deepcopy(current)
        if changes and not self.check_mode:
            tenant = {'ids': {'tenant_id': params['tenant_id']}}
            for path, value in changes.items():
                if value is not None:
                    assign(tenant, json_keys(path), value)
            response = api.update_tenant(params['tenant_id'], tenant, list(changes))
            for path in changes:
                set_path(after, path, lookup(response, json_keys(path), _MISSING))
            if response.get('updated_at'):
                after['updated_at'] = response['updated_at']
        else:
            for path, value in changes.items():
                set_path(after, path, wire(value))
        for path in cleared:
            remove(after, json_keys(path))
        result = {'changed': bool(changes), 'tenant': after}
        if changes:
            keys = list(changes) + cleared
            result['diff'] = {'before': view(current, keys), 'after': view(after, keys)}
        return result

    # -- absent ---------------------------------------------------------------------------------

    def delete(self, api, params, current):
        if current is None:
            return {'changed': False, 'tenant': {}}
        tenant_id = params['tenant_id']
        verb = 'would be' if self.check_mode else 'is'
        warning = (f"tenant {tenant_id} {verb} deleted: this is a one-way soft delete. The Things Stack has no API to restore or purge "
                   f"a tenant and the ID {tenant_id!r} stays taken, so it can never be created again. "
                   "tenant_state=suspended is the reversible way to take a tenant out of service")
        if is_tbs_managed(current):
            warning += ("; the tenant is managed by the Tenant Billing Server, which cannot re-create it either: "
                        "cancel its Stripe subscription to stop billing")
        self.warnings.append(warning)
        if not self.check_mode:
            api.delete_tenant(tenant_id)
        return {'changed': True, 'tenant': {}, 'diff': {'before': current, 'after': {}}}


# -- desired state ------------------------------------------------------------------------------

def contact_wire(contact):
    return {'contact_type': f"CONTACT_TYPE_{contact['type'].upper()}", 'contact_method': f"CONTACT_METHOD_{contact['method'].upper()}",
            'value': contact['value'], 'public': bool(contact['public'])}


def desired_values(params, limits):
    """Field mask path -> TTS JSON value of every given option except attributes (merged later with the current map)."""
    desired = {}
    for field in ('name', 'description'):
        if params[field] is not None:
            desired[field] = params[field]
    if params['contact_info'] is not None:
        desired['contact_info'] = [contact_wire(contact) for contact in params['contact_info']]
    for option, value in limits.items():
        desired[option] = None if value is None else str(value)
    if params['tenant_state'] is not None:
        desired['state'] = f"STATE_{params['tenant_state'].upper()}"
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
    """The tenant from O(tenant_info) (None: it did not exist), or _MISSING when that read cannot stand in for ours."""
    info = params['tenant_info']
    if not info or info.get('tenant_id') != params['tenant_id'] or not isinstance(info.get('tenants'), list):
        return _MISSING
    fields = info.get('fields') or []
    if not all(any(path == field or path.startswith(field + '.') for field in fields) for path in paths):
        return _MISSING
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
        raise InvalidOption(option, f"The Things Stack does not support the field mask path(s) {', '.join(ours)}; "
                                    "manage a path it supports (for configuration, a parent value)")


def create_body(tenant_id, desired):
    tenant = {'ids': {'tenant_id': tenant_id}}
    for path, value in desired.items():
        if value is not None:
            assign(tenant, json_keys(path), value)
    return tenant


def initial_user_body(params):
    user = params['initial_user']
    if user is None:
        return None
    body = {'ids': {'user_id': user['user_id'] or params['tenant_id']}, 'primary_email_address': user['email'],
            'admin': True, 'state': 'STATE_APPROVED'}
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


def same_zero(current, desired):
    """Equal as TTS means it: a missing key is the zero value; numbers equal their decimal strings."""
    if is_zero(desired) and is_zero(current):
        return True
    if isinstance(desired, dict) or isinstance(current, dict):
        if not isinstance(desired, dict) or not isinstance(current, dict):
            return False
        return all(same_zero(current.get(key), desired.get(key)) for key in set(current) | set(desired))
    if isinstance(desired, list) or isinstance(current, list):
        if not isinstance(desired, list) or not isinstance(current, list) or len(desired) != len(current):
            return False
        return all(same_zero(cur, want) for cur, want in zip(current, desired))
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
    return (contact.get('contact_type') or 'CONTACT_TYPE_OTHER', contact.get('contact_method') or 'CONTACT_METHOD_OTHER',
            contact.get('value') or '', bool(contact.get('public')))


def limit_number(value):
    return None if value is None or value == '' else int(value)


def same_value(path, current, desired):
    if path in LIMIT_OPTIONS:
        return limit_number(current) == limit_number(desired)
    if path == 'state':
        return (current or STATE_ZERO) == (desired or STATE_ZERO)
    if path == 'contact_info':
        return sorted(contact_key(c) for c in current or []) == sorted(contact_key(c) for c in desired or [])
    if path == 'attributes':
        return (current or {}) == (desired or {})
    return same_zero(current, desired)


def changed_paths(current, desired):
    return {path: value for path, value in desired.items() if not same_value(path, lookup(current, json_keys(path)), value)}


def is_tbs_managed(tenant):
    return bool(lookup(tenant, ['billing', 'stripe']))


def tbs_warning(tenant_id, current, desired, paths):
    differences = '; '.join(f"{path}: {lookup(current, json_keys(path))!r}, declared {desired[path]!r}" for path in paths)
    return (f"tenant {tenant_id} is managed by the Tenant Billing Server (billing.stripe is set), which owns "
            f"{', '.join(paths)}; these were left as TBS set them: {differences}. Change them through Stripe, "
            "or set manage_billing_fields=true to overwrite them (TBS rewrites them on its next subscription event)")


# -- TTS JSON ---------------------------------------------------------------------------------------

def wire(value):
    """A value as TTS would answer it: zero values (empty strings, false, empty lists and maps, zero enums) left out."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = wire(item)
            if item is not _MISSING and item != {}:
                out[key] = item
        return out
    if isinstance(value, list):
        return [{} if item is _MISSING else item for item in (wire(item) for item in value)]
    if value is None or value is False or value == '' or (isinstance(value, str) and value in ENUM_ZEROS):
        return _MISSING
    return value


def set_path(obj, path, value):
    keys = json_keys(path)
    if value is _MISSING or value is None or value == {} or value == []:
        remove(obj, keys)
    else:
        assign(obj, keys, copy.deepcopy(value))


def view(obj, paths):
    """The part of a tenant a diff shows: the values at ``paths`` (None where TTS has none), nested as in the JSON."""
    out = {}
    for path in paths:
        value = lookup(obj, json_keys(path), None)
        assign(out, json_keys(path), copy.deepcopy(value))
    return out
