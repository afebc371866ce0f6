# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tenant's usage: the registry totals of The Things Stack against the tenant's limits (``max_*``).

Shared by tts_tenant_usage_info and the inventory plugin's ``usage`` option.
"""

from __future__ import annotations

import re

from ansible_collections.thingsstack.tenancy.plugins.module_utils.tenant_limits import LIMIT_OPTIONS
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_api import forbidden_paths
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_json import lookup

# TenantRegistryTotals, in the API's order; each is a path of its field mask.
KINDS = ('applications', 'clients', 'end_devices', 'activated_end_devices', 'gateways', 'organizations', 'users')
# The tenant field that limits each kind; TTS counts end devices all or only activated ones (billing.counting).
LIMIT_FIELDS = dict({kind: 'max_' + kind for kind in KINDS if 'max_' + kind in LIMIT_OPTIONS}, activated_end_devices='max_end_devices')
UINT64_MAX = 2**64 - 1
_DIGITS_RE = re.compile(r'^[0-9]{1,20}$')


def uint64(value, what):
    """A uint64 of TTS's JSON (a string of digits, or a number); None stays None. Anything else is an ApiError."""
    if isinstance(value, str) and _DIGITS_RE.match(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT64_MAX:
        raise ApiError(f"The Things Stack returned {what} that is not an unsigned 64-bit integer: {str(value)[:40]!r}")
    return value


def read_totals(read, kinds=KINDS):
    """``(read(kinds), kinds read)``: ``read`` is a registry totals call of the client with its field mask. A TTS that
    refuses some kinds in the mask (a release before they were counted) is asked again without them, once."""
    try:
        return read(kinds), kinds
    except ApiError as exc:
        refused = [kind for kind in forbidden_paths(exc) if kind in kinds]
        if not refused:
            raise
    kinds = tuple(kind for kind in kinds if kind not in refused)
    return read(kinds), kinds


def usage_of(tenant_id, totals, tenant, kinds=KINDS):
    """``{kind: {used, limit, ratio}, ..., 'max_ratio'}`` of one tenant: its totals (zero counts are left out by TTS) and
    its limits (no limit: ``limit`` and ``ratio`` null). With a limit of 0 the ratio is the count itself."""
    if totals is None:
        totals = {}
    if not isinstance(totals, dict) or not isinstance(tenant, dict):
        raise ApiError(f"The Things Stack returned registry totals or limits of tenant {tenant_id!r} that are not objects")
    usage, ratios = {}, []
    for kind in kinds:
        used = uint64(totals.get(kind, 0), f"a count of {kind} of tenant {tenant_id!r}")
        field = LIMIT_FIELDS[kind]
        limit = None if tenant.get(field) in (None, '') else uint64(tenant[field], f"a {field} of tenant {tenant_id!r}")
        ratio = None if limit is None else round(used / max(limit, 1), 4)
        usage[kind] = {'used': used, 'limit': limit, 'ratio': ratio}
        if ratio is not None:
            ratios.append(ratio)
    usage['max_ratio'] = max(ratios) if ratios else None
    return usage


def read_fleet_usage(api, tenants, exists_rule):
    """The raw registry totals of the listed ``tenants`` whose ID passes ``exists_rule`` (None when it may name a host):
    ``{'kinds': [...], 'tenants': {tenant_id: totals}}``, by the batch call only."""
    ids = [
        tenant_id for tenant_id in (lookup(tenant, ['ids', 'tenant_id']) for tenant in tenants)
        if isinstance(tenant_id, str) and exists_rule(tenant_id, exists=True) is None
    ]
    totals, kinds = read_totals(lambda mask: api.batch_registry_totals(ids, mask)) if ids else ({}, KINDS)
    return {'kinds': list(kinds), 'tenants': totals}


def with_usage(built, fleet):
    """The hosts of ``build_fleet`` with ``tenant_usage`` (``usage_of``) for each tenant the raw fleet has totals of."""
    usage = fleet.get('usage')
    if not usage:
        return built
    tenants = {lookup(tenant, ['ids', 'tenant_id']): tenant for tenant in fleet.get('tenants') or []}
    for tenant_id, host in built['hosts'].items():
        if tenant_id in usage['tenants'] and tenant_id in tenants:
            host['tenant_usage'] = usage_of(tenant_id, usage['tenants'][tenant_id], tenants[tenant_id], tuple(usage['kinds']))
    return built
