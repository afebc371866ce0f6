# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.tts_tenant (documented in plugins/modules/tts_tenant.py).

The flow: read the managed paths, then create, update or delete. The tenant model (desired values, TTS's JSON and
equality) is plugins/plugin_utils/tts_tenants.py.
"""

from __future__ import annotations

import copy
import time

from ansible_collections.thingsstack.tenancy.plugins.modules import tts_tenant
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_action import TtsAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_api import ALREADY_EXISTS, error_code, forbidden_paths, unsupported_paths
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_json import json_keys, lookup, remove
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_tenants import (
    MISSING, changed_paths, check_owner, check_supported, check_tenant_options, desired_values, earlier_read, initial_user_body,
    is_tbs_managed, parse_limits, read_paths, set_path, tbs_warning, tenant_body, tenant_changes, values_at, with_attributes, without_zeros)

POLL_FIRST_SECONDS = 1.0
POLL_CAP_SECONDS = 5.0


class ActionModule(TtsAction):
    MODULE = tts_tenant
    RESULT_KEY = 'tenant'
    SECRET_KEYS = frozenset({'password'})  # the initial user's, in the create diff
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
        if current is MISSING:
            current = self.read(api, params['tenant_id'], paths)
        elif current is None and params['state'] == 'present' and params['create'] and any(
                path.startswith('configuration.') for path in paths):
            # A create sends no field mask, so TTS does not check the configuration paths against the ones it supports (it drops
            # what it does not know, and every later run would fail): the read the earlier one stood in for checks them.
            self.read(api, params['tenant_id'], paths)
        if params['state'] == 'absent':
            return self.delete(api, params, current)
        if current is None:
            if params['create']:
                return self.create(api, params, desired, paths)
            current = self.wait_for_tenant(api, params, paths)
        return self.update(api, params, current, desired)

    @staticmethod
    def read(api, tenant_id, paths):
        """The tenant's ``paths`` (None: it does not exist); a managed path TTS does not support fails here, before any write."""
        try:
            current = api.get_tenant(tenant_id, paths)
        except ApiError as exc:
            check_supported(paths, forbidden_paths(exc))  # current TTS refuses the whole request
            raise
        check_supported(paths, unsupported_paths(api.last_headers))  # releases before it answered without them
        return current

    # -- present --------------------------------------------------------------------------------

    def create(self, api, params, desired, paths):
        tenant = tenant_body(params['tenant_id'], with_attributes(desired, params, None))
        user = initial_user_body(params)
        after = without_zeros(tenant)
        if user is not None:
            after['initial_user'] = without_zeros(user)
        try:
            created = self.write(without_zeros(tenant), api.create_tenant, tenant, user)
        except ApiError as exc:
            if error_code(exc) != ALREADY_EXISTS:
                raise
            return self.recover_taken_id(api, params, desired, paths, exc, after)
        return self.created_result(created, after)

    def recover_taken_id(self, api, params, desired, paths, exc, after):
        """Create said 409 (id_taken) although Get said 404: our own retried create, a concurrent one, or a deleted tenant."""
        tenant_id = params['tenant_id']
        existing = self.read(api, tenant_id, paths)
        if existing is None:
            deleted = api.find_deleted_tenant(tenant_id)
            how = {
                True: 'a search of recently deleted tenants found it', False:
                'it is not among the recently deleted tenants, so it was deleted long ago or belongs to another entity', None:
                'the search of deleted tenants was not possible to confirm it'
            }[deleted]
            raise TenancyError(
                f"tenant_id: the ID {tenant_id!r} is taken, but no tenant with it exists: it belongs to a deleted tenant ({how}). "
                "The Things Stack keeps the IDs of deleted tenants and has no API to restore or purge a tenant, "
                "so choose another tenant_id.", status=exc.details.get('status'), tts_error=exc.details.get('tts_error'))
        check_owner(params, existing, desired)
        changes = changed_paths(existing, with_attributes(desired, params, existing))
        if changes:
            raise TenancyError(
                f"tenant_id: tenant {tenant_id!r} was created by someone else while this task ran "
                f"(it differs in {', '.join(changes)}); run the task again to update it", status=exc.details.get('status'),
                tts_error=exc.details.get('tts_error'))
        if exc.details.get('retried'):
            return self.created_result(existing, after)
        self.warnings.append(f"tenant {tenant_id} was created as declared by someone else while this task ran; initial_user was not used")
        return self.unchanged_result(existing)

    def wait_for_tenant(self, api, params, paths):
        tenant_id = params['tenant_id']
        timeout = params['wait_timeout']
        if not timeout:
            raise TenancyError(
                f"tenant_id: tenant {tenant_id!r} does not exist and create is false "
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
            current = self.read(api, tenant_id, paths)
            if current is not None:
                return current

    def update(self, api, params, current, desired):
        check_owner(params, current, desired)
        desired, changes, left = tenant_changes(current, params, desired)
        if left:
            self.warnings.append(tbs_warning(params['tenant_id'], current, desired, left))
        cleared = []
        if 'state' in changes and 'state_description' not in changes and lookup(current, ['state_description']):
            cleared.append('state_description')  # TTS clears it when the state changes without it
        after = copy.deepcopy(current)
        response = self.write(None, self.update_tenant, api, params['tenant_id'], changes) if changes else None
        for path, value in changes.items():
            set_path(after, path, without_zeros(value) if response is None else lookup(response, json_keys(path), MISSING))
        if response and response.get('updated_at'):
            after['updated_at'] = response['updated_at']
        for path in cleared:
            remove(after, json_keys(path))
        if not changes:
            return self.unchanged_result(after)
        keys = list(changes) + cleared
        return self.changed_result(after, values_at(current, keys), values_at(after, keys))

    @staticmethod
    def update_tenant(api, tenant_id, changes):
        """TTS's answer to the update: the changed paths as stored."""
        try:
            return api.update_tenant(tenant_id, tenant_body(tenant_id, changes), list(changes))
        except ApiError as exc:
            check_supported(list(changes), forbidden_paths(exc))
            raise

    # -- absent ---------------------------------------------------------------------------------

    def delete(self, api, params, current):
        if current is None:
            return self.missing_result()
        tenant_id = params['tenant_id']
        verb = 'would be' if self.check_mode else 'is'
        warning = (f"tenant {tenant_id} {verb} deleted: this is a one-way soft delete. The Things Stack has no API to restore or purge "
                   f"a tenant and the ID {tenant_id!r} stays taken, so it can never be created again. "
                   "tenant_state=suspended is the reversible way to take a tenant out of service")
        if is_tbs_managed(current):
            warning += ("; the tenant is managed by the Tenant Billing Server, which cannot re-create it either: "
                        "cancel its Stripe subscription to stop billing")
        self.warnings.append(warning)
        self.write(None, api.delete_tenant, tenant_id)
        return self.deleted_result({}, current)
